"""What a full exposure costs compared with Sardana's stock ``ct``: an on-demand benchmark.

    python benchmarks/exposure_overhead.py [--detector pilatus300k|pilatus1m|eiger9m ...]
        [--time 1.0] [--repeats 20] [--output benchmarks/results/history.md]

For each detector it starts the simulated instrument (Tango DB + Sardana on
loopback), measures stock ``ct T``, ``ct T`` with the detector writing its CBF,
``expose T`` and nxsbegin/ct/nxsend interleaved in one run (overhead_live),
stops it, then profiles the core library's steps of one exposure outside
Sardana (overhead_profile). Prints Markdown tables; with ``--output`` appends
them, with the command, date and machine, to that file. Nothing is asserted:
machines are noisy, read ratios within one run.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from overhead_live import measure_live
from overhead_profile import profile_detector
from overhead_report import live_section, machine_lines, profile_section, write_doc

from sardana_nxsas.nexus.compression import CHOICES, DEFAULT
from sardana_nxsas.simulation import DEFAULT_HOLDER, DETECTORS

DENSE_TIME = 300.0  # s: a typical lab exposure, frames with counts in most pixels

METHOD = """\
Variants, interleaved: each repeat runs all four once, the order rotated by one from a repeat
to the next. Stock `ct` is Sardana's own ct outside an exposure session: as the simulated
instrument is configured, value referencing is off, so the simulated detector writes no file
and the frame travels from the Pool to the MacroServer as an array. "ct with detector CBF"
switches value referencing on for that call only (switching is not timed): the simulated
detector then writes the CBF itself (fabio, fsync, SHA-256, after the count time), as
`expose` makes it do. `expose` = nxsbegin + ct + nxsend in one macro; the 3-call form runs them
as three Door calls. The simulated detector computes its frame in a thread while it counts."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--detector", nargs="+", choices=sorted(DETECTORS), default=["pilatus300k"])
    parser.add_argument("--time", type=float, default=1.0, help="exposure time T, s")
    parser.add_argument("--repeats", type=int, default=20, help="timed rounds per detector")
    parser.add_argument("--warmup", type=int, default=2, help="untimed rounds first")
    parser.add_argument("--profile-cycles", type=int, default=5, help="per frame, after 1 untimed")
    parser.add_argument("--sample", default="Glassy_Carbon", choices=DEFAULT_HOLDER.names)
    parser.add_argument(
        "--compression", choices=CHOICES, default=None, help=f"NxsCompression (default {DEFAULT})"
    )
    parser.add_argument("--tmp-dir", type=Path, default=None, help="where data roots go")
    parser.add_argument("--no-live", action="store_true", help="only the core profile")
    parser.add_argument("--no-profile", action="store_true", help="only the live comparison")
    parser.add_argument("--output", type=Path, default=None, help="append the report here")
    args = parser.parse_args(argv)
    if args.time <= 0 or args.repeats < 1 or args.warmup < 0 or args.profile_cycles < 1:
        parser.error("--time must be > 0, --repeats and --profile-cycles >= 1, --warmup >= 0")
    return args


def run(args: argparse.Namespace) -> str:
    """Measure every detector asked for; return the Markdown section."""
    started = datetime.now().astimezone()
    tmp_dir = args.tmp_dir or Path(tempfile.gettempdir())
    loads = [os.getloadavg()]
    kind = DEFAULT_HOLDER.slot(args.sample).kind
    frames = [
        (f"{kind}, {args.time:g} s (as live)", kind, args.time),
        (f"{kind}, {DENSE_TIME:g} s", kind, DENSE_TIME),
    ]
    sections: list[str] = []
    for detector in args.detector:
        if not args.no_live:
            live = measure_live(
                detector,
                args.time,
                args.repeats,
                args.warmup,
                args.sample,
                args.compression,
                args.tmp_dir,
            )
            sections.append(live_section(live))
            print(sections[-1] + "\n", flush=True)
        if not args.no_profile:
            print(f"{detector}: profiling the core steps", file=sys.stderr, flush=True)
            profile = profile_detector(
                detector, frames, args.profile_cycles, args.compression or DEFAULT, args.tmp_dir
            )
            sections.append(profile_section(profile))
            print(sections[-1] + "\n", flush=True)
        loads.append(os.getloadavg())
    minutes = (datetime.now().astimezone() - started).total_seconds() / 60
    command = shlex.join(["python", *sys.argv])
    head = [
        f"## {started:%Y-%m-%d %H:%M %Z}: `expose` against stock `ct` (benchmarks/exposure_overhead.py)",
        "",
        f"    {command}",
        "",
        *machine_lines(tmp_dir, loads),
        f"- run time {minutes:.1f} min",
        "",
        METHOD,
    ]
    return "\n".join(head) + "\n\n" + "\n\n".join(sections)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    t0 = time.perf_counter()
    report = run(args)
    if args.output is not None:
        write_doc(args.output, report)
        print(f"appended to {args.output}", file=sys.stderr)
    print(f"done in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
