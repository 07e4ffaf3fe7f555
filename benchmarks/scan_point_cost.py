"""What one scan point costs the MacroServer: ``ScanRecording.add`` outside Sardana.

    python benchmarks/scan_point_cost.py --points 200 --shape 619 487

The frame of each point is a CBF the "detector" saved in ``images/.incoming/`` (written
untimed before the point), claimed by the point as the recorder does with value
referencing on; ``--array`` hands it as an array instead. Prints the median, 90th
percentile and max of ``add`` in ms, then (since scans went through the writer) what the
writer's work on the jobs costs per point, done afterwards in this process. To compare
with an older commit, run it from a clone (benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np

from sardana_nxsas.acquisition.scan import ScanPoint, ScanRecording, ScanSetup
from sardana_nxsas.acquisition.settings import Settings
from sardana_nxsas.dataroot.cbf import MiniCbfHeader, write_cbf
from sardana_nxsas.dataroot.layout import DataRoot

INSTRUMENT = """\
[instrument]
name = "bench"
[source]
type = "Fixed Tube X-ray"
probe = "x-ray"
[monochromator]
wavelength = { value = 0.15418, units = "nm" }
[detector]
description = "Pilatus"
distance = { value = 1000.0, units = "mm" }
x_pixel_size = { value = 0.172, units = "mm" }
y_pixel_size = { value = 0.172, units = "mm" }
beam_center_x = { value = 243.5, units = "pixel" }
beam_center_y = { value = 309.25, units = "pixel" }
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--shape", type=int, nargs=2, default=(619, 487))
    parser.add_argument("--array", action="store_true", help="frames as arrays (no referencing)")
    parser.add_argument("--tmp-dir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.tmp_dir) as tmp:
        base = Path(tmp)
        (base / "data").mkdir()
        (base / "instrument.toml").write_text(INSTRUMENT)
        settings = Settings(DataRoot(base / "data"), base / "instrument.toml")
        scans = base / "data" / "nexus" / "scn"
        scans.mkdir(parents=True)
        incoming = base / "data" / "images" / ".incoming"
        incoming.mkdir(parents=True)
        setup = ScanSetup(
            1, "ascan samx 0 1 199 0.01", scans / "scan_00001.nxs", ("samx",), ("timer",),
            "timer", True, None, {"samx": "mm"},
        )  # fmt: skip
        try:  # since scans go through the writer: queue only, the writer is elsewhere
            rec = ScanRecording(settings, setup, wake=lambda: None)
            queued = True
        except TypeError:  # before: the recording wrote the HDF5 file itself
            rec, queued = ScanRecording(settings, setup), False
        rec.begin()
        rng = np.random.default_rng(0)
        header = MiniCbfHeader("Pilatus", (0.172, 0.172), 0.01, 0.154, 1000.0, (243.5, 309.25),
                               datetime.now().astimezone())  # fmt: skip
        took = []
        for index in range(args.points):
            frame = rng.poisson(5.0, tuple(args.shape)).astype(np.int32)
            if args.array:
                given: object = frame.astype(np.float64)
            else:
                given = incoming / f"frame_{index:06d}.cbf"
                write_cbf(given, frame, header)
                given = f"file://{given}"
            point = ScanPoint(index, {"samx": index / 100}, {"timer": 0.01}, index * 0.02,
                              given, 0.01)  # type: ignore[arg-type]  # fmt: skip
            begun = time.perf_counter()
            rec.add(point)
            took.append(1000 * (time.perf_counter() - begun))
        rec.end("complete")
        took.sort()
        print(
            f"{'writer' if queued else 'in-process'} recording, {args.points} points "
            f"{args.shape[0]}x{args.shape[1]} ({'arrays' if args.array else 'claimed'}): add "
            f"median {statistics.median(took):.2f} ms, p90 {took[int(0.9 * len(took))]:.2f}, "
            f"max {took[-1]:.2f}"
        )
        if queued:
            from sardana_nxsas.writer import drain

            begun = time.perf_counter()
            drain(settings.root)
            per_point = 1000 * (time.perf_counter() - begun) / args.points
            print(f"  the writer's jobs afterwards: {per_point:.2f} ms per point")


if __name__ == "__main__":
    main()
