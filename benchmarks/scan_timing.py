"""What the NeXus scan recorder costs a fast scan, against Sardana's stock SPEC recorder.

    python benchmarks/scan_timing.py --points 100 --time 0.01 --repeats 3

On the simulated instrument (``--detector``, default Pilatus 300K; value referencing on),
each repeat runs every scan with ``ScanFile`` set to our ``.nxs`` recorder and to
Sardana's ``.dat`` (SPEC) recorder, in alternating order, timed by the client's wall
clock around ``door.run`` (the macro's return, not the writer's: the writer's work for
the scan file is waited for, untimed, before the next scan). Prints the median, min,
max per variant and the median of the paired differences per point.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.system.simulated_instrument import start_simulated_instrument

try:  # the writer's queue (absent before scans went through the writer: nothing to wait)
    from sardana_nxsas.writer import wait_written
except ImportError:  # pragma: no cover
    wait_written = None  # type: ignore[assignment]

RECORDERS = {"nxs": "scan_{ScanID:05d}.nxs", "dat": "scan_{ScanID:05d}.dat"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=100)
    parser.add_argument("--time", type=float, default=0.01)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--detector", default="pilatus300k", help="pilatus300k, pilatus1m, eiger9m")
    parser.add_argument("--tmp-dir", type=Path, default=None)
    args = parser.parse_args()
    intervals = args.points - 1
    scans = {
        "timescan": f"timescan {intervals} {args.time}",
        "ascan": f"ascan samx 16 21 {intervals} {args.time}",
    }
    with tempfile.TemporaryDirectory(dir=args.tmp_dir) as tmp:
        base = Path(tmp)
        with start_simulated_instrument(base / "work", base / "data", args.detector) as inst:
            root = DataRoot(inst.data_root)
            timings: dict[tuple[str, str], list[float]] = {}
            for repeat in range(args.repeats + 1):  # the first round warms up, untimed
                order = list(RECORDERS) if repeat % 2 else list(reversed(RECORDERS))
                for scan, line in scans.items():
                    for recorder in order:
                        inst.door.run(f"senv ScanFile {RECORDERS[recorder]}", raise_on_error=True)
                        begun = time.perf_counter()
                        inst.door.run(line, raise_on_error=True, timeout=600)
                        took = time.perf_counter() - begun
                        if wait_written is not None:
                            wait_written(root, timeout=600)
                        if repeat:
                            timings.setdefault((scan, recorder), []).append(took)
            inst.door.run(f"senv ScanFile {RECORDERS['nxs']}", raise_on_error=True)
    print(
        f"{args.detector}: {args.points} points of {args.time:g} s, {args.repeats} repeats "
        "(wall clock, s)"
    )
    for scan in scans:
        for recorder in RECORDERS:
            values = timings[(scan, recorder)]
            print(
                f"  {scan:9s} {recorder}: median {statistics.median(values):.3f}  "
                f"min {min(values):.3f}  max {max(values):.3f}"
            )
        paired = [
            n - d for n, d in zip(timings[(scan, "nxs")], timings[(scan, "dat")], strict=True)
        ]
        per_point = 1000 * statistics.median(paired) / args.points
        print(f"  {scan:9s} nxs - dat: {per_point:+.1f} ms per point (median of paired)")


if __name__ == "__main__":
    main()
