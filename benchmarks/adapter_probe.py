"""Where ``expose``'s time goes inside the MacroServer: an on-demand benchmark.

    python benchmarks/adapter_probe.py [--detector pilatus300k|pilatus1m|eiger9m ...]
        [--time 1.0] [--runs 10] [--output docs/performance.md]

Starts the simulated instrument, adds ``benchmarks/sardana_probe`` to the
MacroPath of that throwaway instrument and restarts its Sardana, then runs
the probe macro ``nxsas_bench_probe`` alternately on ``expose T`` and on a
stock ``ct T``: the probe wraps the adapter's steps (nxsbegin's and nxsend's
work, the core calls, the measurement-group configuration writes, the
environment) with timers inside the MacroServer. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from overhead_cpu import CpuMeter
from overhead_report import machine_lines, write_doc
from overhead_stats import ms, table

from sardana_nxsas.simulation import DEFAULT_HOLDER, DETECTORS
from sardana_nxsas.system.door import DoorClient
from sardana_nxsas.system.simulated_instrument import (
    move_to_slot_macro,
    start_simulated_instrument,
)

PROBE_DIR = Path(__file__).resolve().parent / "sardana_probe"
Probe = dict[str, list[float]]  # label -> duration of each call, s, in call order


def _sum(label: str) -> Callable[[Probe], float]:
    return lambda p: sum(p.get(label, []))


def _nth(label: str, index: int) -> Callable[[Probe], float]:
    return lambda p: p[label][index] if len(p.get(label, [])) > index else 0.0


def _diff(
    total: Callable[[Probe], float], *parts: Callable[[Probe], float]
) -> Callable[[Probe], float]:
    return lambda p: total(p) - sum(part(p) for part in parts)


def _first_description(p: Probe) -> float:
    """begin's own look at the description: its first load, the element check, resolve."""
    return _nth("load_description", 0)(p) + _sum("require_elements")(p) + _sum("resolve")(p)


_COUNT = _sum("_mg_count")  # expose counts without a ct sub-macro
_AROUND = _diff(_sum("count_in_session"), _COUNT)
_METADATA = (_sum("_Metadata.__init__"), _sum("_Metadata.read_end"), _sum("_Metadata.collect"))
EXPOSE_ROWS: tuple[tuple[str, Callable[[Probe], float]], ...] = (
    ("`expose`, inside the MacroServer", _sum("total")),
    ("  the count itself (the measurement group's `count`)", _COUNT),
    ("  **everything else** (expose − count)", _diff(_sum("total"), _COUNT)),
    ("  nxsbegin's work (`begin`)", _sum("begin")),
    ("    core `begin_exposure`", _sum("begin_exposure")),
    ("      FSN allocation (flock, store write, fsync)", _sum("FsnCounter.allocate")),
    ("      create job to disk (not fsynced)", _nth("submit", 0)),
    ("      waking the writer process", _nth("_hand_over", 0)),
    ("    description: load, check the elements exist, resolve", _first_description),
    ("    measurement group and channels (`_detector_channel`)", _sum("_detector_channel")),
    ("    its timer (cached `_timers`)", _sum("_timers")),
    ("    catalog news (`_catalog_warning`)", _nth("_catalog_warning", 0)),
    (
        "    rest (environment, the sample, session to the environment)",
        _diff(
            _sum("begin"),
            _sum("begin_exposure"),
            _first_description,
            _sum("_detector_channel"),
            _sum("_timers"),
            _nth("_catalog_warning", 0),
        ),
    ),
    ("  around the count (`count_in_session` − count)", _AROUND),
    ("    metadata start (hands the snapshot to a worker thread)", _METADATA[0]),
    ("    metadata end (end snapshot, collect)", lambda p: _METADATA[1](p) + _METADATA[2](p)),
    ("    core `record_counts` (claim the detector's CBF)", _sum("record_counts")),
    ("    rest (channel values)", _diff(_AROUND, *_METADATA, _sum("record_counts"))),
    ("  nxsend's work (`finish`)", _sum("finish")),
    ("    core `end_exposure`", _sum("end_exposure")),
    ("      complete job to disk (fsync)", _nth("submit", 1)),
    ("      waking the writer process", _nth("_hand_over", 1)),
    ("    rest (environment, settings)", _diff(_sum("finish"), _sum("end_exposure"))),
    (
        "  expose's own rest (settings, output, hooks, progress)",
        _diff(_sum("total"), _sum("begin"), _sum("count_in_session"), _sum("finish")),
    ),
    ("  all `setEnv` calls", _sum("setEnv")),
    ("  all `getEnv` calls", _sum("getEnv")),
)
CT_ROWS: tuple[tuple[str, Callable[[Probe], float]], ...] = (
    ("stock `ct` alone, inside the MacroServer", _sum("total")),
    ("  the count itself (stock `ct.run`)", _sum("stock ct.run")),
)


def _probe(door: DoorClient, macro: str, integ_time: float) -> Probe:
    result = door.run(f"nxsas_bench_probe {macro} {integ_time:g}", timeout=600)
    lines = [line for line in result.output if line.startswith("PROBE ")]
    if not result.ok or not lines:
        raise RuntimeError(f"probe of {macro} failed: {(result.errors or [result.status])[-1]}")
    return json.loads(lines[-1].removeprefix("PROBE "))


def _calls(probes: list[Probe], label: str) -> str:
    counts = {len(p.get(label, [])) for p in probes}
    return "/".join(str(c) for c in sorted(counts))


def probe_detector(
    detector: str,
    integ_time: float,
    runs: int,
    sample: str,
    tmp_dir: Path | None,
    profile: bool = False,
) -> str:
    exposes: list[Probe] = []
    cts: list[Probe] = []
    with tempfile.TemporaryDirectory(prefix=f"nxsas-probe-{detector}-", dir=tmp_dir) as tmp:
        print(f"{detector}: starting the simulated instrument", file=sys.stderr, flush=True)
        with start_simulated_instrument(Path(tmp) / "work", Path(tmp) / "data", detector) as inst:
            inst.server.plugins.macro_path.append(PROBE_DIR)
            inst.restart_sardana()  # MacroPath is read when the server starts
            inst.door.run(move_to_slot_macro(sample), raise_on_error=True)
            meter = CpuMeter([])
            for index in range(runs + 1):  # the first round warms up
                if index == 1:
                    meter = CpuMeter([inst.server.pid, inst.db.pid])
                print(f"{detector}: probe round {index}/{runs}", file=sys.stderr, flush=True)
                pair = ("expose", "ct") if index % 2 else ("ct", "expose")
                got = {macro: _probe(inst.door, macro, integ_time) for macro in pair}
                if index:
                    exposes.append(got["expose"])
                    cts.append(got["ct"])
            cpu = meter.stop()
            if profile:
                for _ in range(3):  # the last of three: warm caches
                    result = inst.door.run(f"nxsas_bench_probe profile {integ_time:g}", timeout=600)
                print("\n".join(result.output), file=sys.stderr, flush=True)
    header = ["step (inclusive times)", "calls", "median, ms", "min", "max"]
    rows = []
    for probes, spec in ((exposes, EXPOSE_ROWS), (cts, CT_ROWS)):
        for label, value in spec:
            values = [1000.0 * value(p) for p in probes]
            key = label.split("`")[1] if label.count("`") >= 2 else ""
            calls = _calls(probes, key) if key in {"setEnv", "getEnv"} else ""
            stats = [statistics.median(values), min(values), max(values)]
            rows.append([label, calls, *(ms(v) for v in stats)])
    return "\n".join(
        [
            f"### {detector}: inside the MacroServer, {runs} alternating probe runs, T = {integ_time:g} s",
            "",
            f"Sample in the beam: {sample}; one warm-up round not counted. The file work is "
            "done by the writer process, outside these times (see exposure_soak.py). "
            + (cpu.text() + "." if cpu else ""),
            "",
            table(header, rows),
        ]
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--detector", nargs="+", choices=sorted(DETECTORS), default=["pilatus300k"])
    parser.add_argument("--time", type=float, default=1.0, help="exposure time T, s")
    parser.add_argument("--runs", type=int, default=10, help="probe runs of each macro")
    parser.add_argument("--sample", default="Glassy_Carbon", choices=DEFAULT_HOLDER.names)
    parser.add_argument("--tmp-dir", type=Path, default=None, help="where data roots go")
    parser.add_argument("--output", type=Path, default=None, help="append the report here")
    parser.add_argument(
        "--profile", action="store_true", help="also print a cProfile of one expose (stderr)"
    )
    args = parser.parse_args(argv)
    if args.time <= 0 or args.runs < 1:
        parser.error("--time must be > 0 and --runs >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = datetime.now().astimezone()
    loads = [os.getloadavg()]
    sections = []
    for detector in args.detector:
        sections.append(
            probe_detector(detector, args.time, args.runs, args.sample, args.tmp_dir, args.profile)
        )
        loads.append(os.getloadavg())
        print(sections[-1] + "\n", flush=True)
    if args.output is not None:
        head = [
            f"## {started:%Y-%m-%d %H:%M %Z}: `expose` inside the MacroServer (benchmarks/adapter_probe.py)",
            "",
            f"    {shlex.join(['python', *sys.argv])}",
            "",
            *machine_lines(args.tmp_dir or Path(tempfile.gettempdir()), loads),
        ]
        write_doc(args.output, "\n".join(head) + "\n\n" + "\n\n".join(sections))
        print(f"appended to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
