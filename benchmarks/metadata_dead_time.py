"""Does the complete metadata record cost dead time? ``expose`` with the full instrument
description against a minimal one, interleaved in one run on the live simulated instrument.

    python benchmarks/metadata_dead_time.py --time 1.0 --repeats 20 --output docs/performance.md

Dead time = wall time of ``expose T`` (client clock around the Door call) minus T. The full
description records the source, three pinholes, the beamstop (from a motor), two sensors and
every motor at the start (snapshot while counting) and at the end; the minimal one holds only
what NXsas requires and records no motor.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

from sardana_nxsas.system.simulated_instrument import start_simulated_instrument

MINIMAL = """\
[instrument]
name = "sardana-nxsas simulated SAXS (minimal description)"
[source]
type = "Fixed Tube X-ray"
probe = "x-ray"
[monochromator]
wavelength = {{ value = 0.15418, units = "nm" }}
[detector]
channel = "pilatus"
description = "minimal"
distance = {{ value = {distance}, units = "mm" }}
x_pixel_size = {{ value = {pixel}, units = "mm" }}
y_pixel_size = {{ value = {pixel}, units = "mm" }}
beam_center_x = {{ value = {col}, units = "pixel" }}
beam_center_y = {{ value = {row}, units = "pixel" }}
[positioners]
include = []
"""


def minimal_description(full: Path, target: Path) -> Path:
    from sardana_nxsas.description.instrument import load_instrument

    det = load_instrument(full).detector
    target.write_text(MINIMAL.format(distance=det.distance.value, pixel=det.x_pixel_size.value,
                                     col=det.beam_center_col.value, row=det.beam_center_row.value))  # fmt: skip
    return target


def measure(detector: str, exposure: float, repeats: int, warmup: int) -> dict[str, list[float]]:
    dead: dict[str, list[float]] = {"full": [], "minimal": []}
    with tempfile.TemporaryDirectory(prefix="nxs-bench-") as tmp:
        base = Path(tmp)
        with start_simulated_instrument(base / "work", base / "data", detector) as instrument:
            files = {
                "full": instrument.instrument_file,
                "minimal": minimal_description(instrument.instrument_file, base / "minimal.toml"),
            }
            door = instrument.door
            door.run("mv samx 20 samy 0", raise_on_error=True)  # glassy carbon in the beam
            for index in range(warmup + repeats):
                order = ("full", "minimal") if index % 2 else ("minimal", "full")
                for variant in order:
                    door.run(f"senv NxsInstrumentFile {files[variant]}", raise_on_error=True)
                    started = time.perf_counter()
                    door.run(f"expose {exposure} 1 tst", raise_on_error=True)
                    if index >= warmup:
                        dead[variant].append(time.perf_counter() - started - exposure)
    return dead


def table(detector: str, exposure: float, dead: dict[str, list[float]]) -> str:
    ms = {k: [1000 * v for v in values] for k, values in dead.items()}
    rows = [
        f"| {k} | {statistics.median(v):.1f} | {min(v):.1f} | {max(v):.1f} |" for k, v in ms.items()
    ]
    paired = [f - m for f, m in zip(ms["full"], ms["minimal"], strict=True)]
    return "\n".join([
        f"### `expose {exposure:g}` dead time, {detector}, {len(paired)} interleaved pairs",
        "",
        "| description | median ms | min ms | max ms |",
        "|---|---|---|---|",
        *rows,
        "",
        f"full − minimal: median of paired differences {statistics.median(paired):+.1f} ms",
    ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detector", nargs="+", default=["pilatus300k"])
    parser.add_argument("--time", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--output", type=Path, help="append the results to this Markdown file")
    args = parser.parse_args()
    sections = [
        table(d, args.time, measure(d, args.time, args.repeats, args.warmup)) for d in args.detector
    ]
    command = "python benchmarks/metadata_dead_time.py " + " ".join(
        [
            f"--detector {' '.join(args.detector)}",
            f"--time {args.time:g}",
            f"--repeats {args.repeats}",
        ]
    )
    report = "\n\n".join([
        f"## Metadata dead time — {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"`{command}` on {platform.node()} (Python {platform.python_version()}).",
        *sections,
    ])  # fmt: skip
    print(report)
    if args.output:
        with open(args.output, "a") as handle:
            handle.write("\n\n" + report + "\n")


if __name__ == "__main__":
    main()
