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


def _mg_writes(index: int) -> Callable[[Probe], float]:
    """Pattern + enable writes of begin (index 0) or of the restore (index 1)."""
    return lambda p: (
        _nth("mg.setValueRefPattern", index)(p) + _nth("mg.setValueRefEnabled", index)(p)
    )


def _diff(
    total: Callable[[Probe], float], *parts: Callable[[Probe], float]
) -> Callable[[Probe], float]:
    return lambda p: total(p) - sum(part(p) for part in parts)


def _first_description(p: Probe) -> float:
    """begin's own look at the description: its first load, the element check, resolve."""
    return _nth("load_description", 0)(p) + _sum("require_elements")(p) + _sum("resolve")(p)


_COUNT = _sum("stock ct.run")
_CT_OVERRIDE = _diff(_sum("ct.run (override)"), _COUNT)
EXPOSE_ROWS: tuple[tuple[str, Callable[[Probe], float]], ...] = (
    ("`expose`, inside the MacroServer", _sum("total")),
    ("  the count itself (stock `ct.run`)", _COUNT),
    ("  **everything else** (expose − count)", _diff(_sum("total"), _COUNT)),
    ("  nxsbegin's work (`begin`)", _sum("begin")),
    ("    core `begin_exposure`", _sum("begin_exposure")),
    ("    description: load, check the elements exist, resolve", _first_description),
    ("    MG configuration: set pattern + enable referencing (2 writes)", _mg_writes(0)),
    (
        "    rest (environment, channel lookup, sample, settings)",
        _diff(_sum("begin"), _sum("begin_exposure"), _first_description, _mg_writes(0)),
    ),
    ("  ct override around the count", _CT_OVERRIDE),
    ("    metadata start (description again, reader, thread)", _sum("_start_metadata")),
    ("    metadata end (wait for the thread, end snapshot)", _sum("_end_metadata")),
    ("    core `record_counts`", _sum("record_counts")),
    (
        "    rest (environment, channel values)",
        _diff(_CT_OVERRIDE, _sum("_start_metadata"), _sum("_end_metadata"), _sum("record_counts")),
    ),
    ("  nxsend's work (`finish`)", _sum("finish")),
    ("    core `end_exposure`", _sum("end_exposure")),
    ("    MG configuration: restore (2 writes)", _mg_writes(1)),
    (
        "    rest (environment, settings)",
        _diff(_sum("finish"), _sum("end_exposure"), _mg_writes(1)),
    ),
    (
        "  expose's own rest (sub-macro ct, output, hooks)",
        _diff(_sum("total"), _sum("begin"), _sum("ct.run (override)"), _sum("finish")),
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
    detector: str, integ_time: float, runs: int, sample: str, tmp_dir: Path | None
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
            f"Sample in the beam: {sample}; one warm-up round not counted. MG = the measurement "
            "group (each write sends its whole configuration to the Pool and waits for the event). "
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
        sections.append(probe_detector(detector, args.time, args.runs, args.sample, args.tmp_dir))
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
