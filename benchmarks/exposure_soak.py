"""Series, soak and time-to-file of `expose` on the live simulated instrument.

    python benchmarks/exposure_soak.py --detector pilatus1m --output benchmarks/results/history.md

Three measurements on one running instrument:

1. **Series**: `expose T N` against N stock `ct T` calls (value referencing on, as a lab
   configures its detector), alternated `--rounds` times. The fraction of the wall time spent
   counting (N·T / wall) of each, and their ratio.
2. **Soak**: `--soak` consecutive exposures in chunks of `--chunk` (`expose T chunk`),
   reporting the dead time per exposure (wall/chunk − T) of each chunk (drift: first against
   last), and at start and end the resident memory (VmRSS) and open file descriptors of the
   Sardana server (Pool + MacroServer in one process) and of the writer process.
3. **Time to file**: the soak's files are checked with `validate` (a sample of
   `--validate`). Then two series `expose T chunk tst` (prefix tst: the reducer never
   rewrites them, so a file's mtime is the writer's completion): from the end of counting
   (the file's `/entry/end_time`, stamped right after the count) and from the series' end
   (the writer yields to a fast series: sardana_nxsas.jobs.yielding) to the completion:
   p50, p99, max. The same for `--single` single `expose T 1 tst` calls, each followed by
   polling the catalog until its row reads `done` (time from the Door's return).

Nothing is asserted: figures go to stdout and, with `--output FILE`, into a dated section
appended to FILE (benchmarks/results/history.md keeps the runs so far).
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import h5py
from overhead_cpu import CpuMeter
from overhead_report import machine_lines, write_doc
from overhead_stats import ms, table

from sardana_nxsas.catalog import Catalog, catalog_url
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.nexus.exposure.validate import validate_exposure
from sardana_nxsas.reducer import wait_reduced
from sardana_nxsas.system.door import DoorClient
from sardana_nxsas.system.simulated_instrument import move_to_slot_macro, start_simulated_instrument
from sardana_nxsas.writer import wait_written
from sardana_nxsas.writer.service import PID_FILE


def _run(door: DoorClient, line: str, timeout: float = 3600) -> float:
    t0 = time.perf_counter()
    result = door.run(line, timeout=timeout)
    if not result.ok:
        raise RuntimeError(f"{line!r} failed: {(result.errors or [result.status])[-1]}")
    return time.perf_counter() - t0


def _proc(pid: int | None) -> tuple[float, int]:
    """(VmRSS in MiB, open file descriptors) of a live process; (nan, -1) if gone."""
    if pid is None:
        return float("nan"), -1
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        rss = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
        return rss / 1024, len(os.listdir(f"/proc/{pid}/fd"))
    except (OSError, StopIteration):
        return float("nan"), -1


def _writer_pid(root: DataRoot) -> int | None:
    try:
        return int((root.state_dir / PID_FILE).read_text())
    except (OSError, ValueError):
        return None


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def series(door: DoorClient, root: DataRoot, t: float, n: int, rounds: int) -> list[str]:
    expose, ct, behind = [], [], []
    _run(door, f"expose {t:g} 2")  # warm-up: the writer process is started and running
    wait_written(root, timeout=120)
    for index in range(rounds):
        pair = ("expose", "ct") if index % 2 == 0 else ("ct", "expose")
        for what in pair:
            print(f"series round {index + 1}/{rounds}: {what}", file=sys.stderr, flush=True)
            if what == "expose":
                expose.append(_run(door, f"expose {t:g} {n}"))
                t0 = time.perf_counter()
                wait_written(root, timeout=600)  # not to slow the next ct round
                behind.append(time.perf_counter() - t0)
            else:
                t0 = time.perf_counter()
                for _ in range(n):
                    _run(door, f"ct {t:g}")
                ct.append(time.perf_counter() - t0)
    counting = n * t
    f_expose = counting / statistics.median(expose)
    f_ct = counting / statistics.median(ct)
    # each round's pair ran back to back: their ratio is the least disturbed by drift
    paired = statistics.median(c / e for e, c in zip(expose, ct, strict=True))
    rows = [
        [
            f"`expose {t:g} {n}` (one macro)",
            str(rounds),
            ms(statistics.median(expose) / n * 1e3),
            f"{f_expose:.3f}",
        ],
        [
            f"{n} × stock `ct {t:g}` (one Door call each)",
            str(rounds),
            ms(statistics.median(ct) / n * 1e3),
            f"{f_ct:.3f}",
        ],
    ]
    return [
        table(["variant", "rounds", "wall per exposure, ms (median)", "counting fraction"], rows),
        "",
        f"- counting fraction of `expose` / of stock `ct`: {f_expose / f_ct:.3f} from the "
        f"medians, {paired:.3f} as the median of the {rounds} rounds' paired ratios "
        "(target: within 5 %, i.e. ≥ 0.95)",
        f"- the writer finished the series' last files {ms(1e3 * statistics.median(behind))} ms "
        "(median) after `expose` returned (waited for before the next round, not counted).",
    ]


def soak(door: DoorClient, root: DataRoot, server_pid: int, t: float, total: int, chunk: int):
    _run(door, f"expose {t:g} 1")  # the writer is running
    wait_written(root, timeout=120)
    start = {"server": _proc(server_pid), "writer": _proc(_writer_pid(root))}
    dead = []
    for index in range(total // chunk):
        print(f"soak chunk {index + 1}/{total // chunk}", file=sys.stderr, flush=True)
        dead.append(_run(door, f"expose {t:g} {chunk}") / chunk - t)
    backlog = time.perf_counter()
    wait_written(root, timeout=600)
    backlog = time.perf_counter() - backlog
    end = {"server": _proc(server_pid), "writer": _proc(_writer_pid(root))}
    wait_reduced(root, timeout=3600)  # before validating: the reducer rewrites crd files
    return dead, start, end, backlog


def series_files(door: DoorClient, root: DataRoot, t: float, chunk: int, count: int):
    """``count`` series ``expose t chunk tst`` (tst: files the reducer never rewrites, so
    their mtime is the writer's completion); their files and when each series returned."""
    files, returns = [], []
    for _ in range(count):
        result = door.run(f"expose {t:g} {chunk} tst")
        returns.append(time.time())
        files += [root.path / "nexus" / "tst" / n for n in _nxs_names(result.output)]
        wait_written(root, timeout=600)  # each series' files on their own
    return files, returns


def _nxs_names(output: list[str]) -> list[str]:
    return [Path(w).name for line in output for w in line.split() if w.endswith(".nxs")]


def time_to_file(files: list[Path], returns: list[float] | None = None) -> list[float]:
    """From each file's end of counting (or from the end of its series, the first of
    ``returns`` after it) to its completion (mtime)."""
    delays = []
    for path in files:
        with h5py.File(path, "r") as f:
            end = datetime.fromisoformat(f["entry/end_time"][()].decode()).timestamp()
        if returns is not None:
            end = next((r for r in returns if r >= end), end)
        delays.append(path.stat().st_mtime - end)
    return delays


def _spread(values: list[float]) -> tuple[float, float, float]:
    return _pct(values, 0.5), _pct(values, 0.99), max(values)


def catalog_delays(
    door: DoorClient, root: DataRoot, t: float, n: int
) -> tuple[list[float], list[Path]]:
    delays, files = [], []
    with Catalog(catalog_url(root.path, None)) as catalog:
        for _ in range(n):
            result = door.run(f"expose {t:g} 1 tst")  # tst: see series_files
            returned = time.perf_counter()
            (name,) = _nxs_names(result.output)
            prefix, fsn = Path(name).stem.rsplit("_", 1)
            files.append(root.path / "nexus" / prefix / name)
            while True:
                rows = catalog.find(prefix=prefix, fsn_min=int(fsn), fsn_max=int(fsn))
                if rows and rows[0]["status"] == "done":
                    break
                if time.perf_counter() - returned > 30:
                    raise RuntimeError(f"{name}: no done row after 30 s")
                time.sleep(0.002)
            delays.append(time.perf_counter() - returned)
    return delays, files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--detector", default="pilatus1m")
    parser.add_argument("--time", type=float, default=0.1, help="exposure time, s")
    parser.add_argument("--series", type=int, default=50, help="exposures per series")
    parser.add_argument("--rounds", type=int, default=3, help="series rounds of each variant")
    parser.add_argument("--soak", type=int, default=1000, help="soak exposures")
    parser.add_argument("--chunk", type=int, default=50, help="exposures per expose call")
    parser.add_argument("--single", type=int, default=20, help="single exposures for the catalog")
    parser.add_argument("--validate", type=int, default=50, help="soak files validated")
    parser.add_argument("--tmp-dir", type=Path, default=None)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    started, loads = datetime.now().astimezone(), [os.getloadavg()]
    with tempfile.TemporaryDirectory(
        prefix="nxsas-soak-", dir=args.tmp_dir, ignore_cleanup_errors=True
    ) as tmp:
        base = Path(tmp)
        with start_simulated_instrument(base / "work", base / "data", args.detector) as inst:
            root = DataRoot(inst.data_root)
            door = inst.door
            _run(door, move_to_slot_macro("Glassy_Carbon"))
            meter = CpuMeter([inst.server.pid, inst.db.pid])
            lines = series(door, root, args.time, args.series, args.rounds)
            before = set(root.path.glob("nexus/crd/*.nxs"))
            dead, start, end, backlog = soak(
                door, root, inst.server.pid, args.time, args.soak, args.chunk
            )
            soaked = sorted(set(root.path.glob("nexus/crd/*.nxs")) - before)
            timed, returns = series_files(door, root, args.time, args.chunk, 2)
            delays, after = time_to_file(timed), time_to_file(timed, returns)
            step = max(1, len(soaked) // max(1, args.validate))
            bad = [p for p in soaked[::step] if not validate_exposure(p).ok]
            catalog, singles = catalog_delays(door, root, args.time, args.single)
            wait_written(root, timeout=120)
            single_delays = time_to_file(singles)
            cpu = meter.stop()
    loads.append(os.getloadavg())
    third = max(1, len(dead) // 3)
    proc_rows = [
        [who, f"{start[who][0]:.1f}", f"{end[who][0]:.1f}", str(start[who][1]), str(end[who][1])]
        for who in ("server", "writer")
    ]
    lines += [
        "",
        f"#### Soak: {len(soaked)} consecutive exposures (`expose {args.time:g} {args.chunk}` × "
        f"{len(dead)})",
        "",
        table(
            ["dead time per exposure, ms", "median", "min", "max"],
            [
                [
                    f"first {third} chunks",
                    *(ms(1e3 * f(dead[:third])) for f in (statistics.median, min, max)),
                ],
                [
                    f"last {third} chunks",
                    *(ms(1e3 * f(dead[-third:])) for f in (statistics.median, min, max)),
                ],
                ["all chunks", *(ms(1e3 * f(dead)) for f in (statistics.median, min, max))],
            ],
        ),
        "",
        table(
            ["process", "RSS start, MiB", "RSS end", "open fds start", "open fds end"], proc_rows
        ),
        "",
        f"- server = the Sardana process (Pool + MacroServer); writer = the data root's writer "
        f"process. Jobs left when the soak's last macro returned were done {backlog * 1e3:.0f} ms "
        "later.",
        "",
        "#### Time to file",
        "",
        table(
            ["exposures: from … to …", "n", "p50, ms", "p99, ms", "max, ms"],
            [
                [what, str(len(values)), *(ms(1e3 * v) for v in _spread(values))]
                for what, values in (
                    (
                        f"series (2 × `expose {args.time:g} {args.chunk} tst`): end of "
                        "counting → .nxs complete (file mtime)",
                        delays,
                    ),
                    ("series: its end (the macro returned) → .nxs complete", after),
                    (
                        f"single `expose {args.time:g} 1 tst`: end of counting → .nxs complete",
                        single_delays,
                    ),
                    ("single: Door's return → catalog row `done`", catalog),
                )
            ],
        ),  # fmt: skip
        "",
        f"- validated {len(soaked[::step])} of the soak's files with `validate_exposure`: "
        + ("all complete and valid." if not bad else f"{len(bad)} with errors: {bad[:3]}"),
    ]
    if cpu is not None:
        lines.append(f"- {cpu.text()}.")
    text = "\n".join(
        [
            f"### {args.detector}: series, soak and time to file, T = {args.time:g} s",
            "",
            *lines,
        ]
    )
    print(text)
    if args.output is not None:
        head = [
            f"## {started:%Y-%m-%d %H:%M %Z}: series, soak, time to file (benchmarks/exposure_soak.py)",
            "",
            f"    {shlex.join(['python', *sys.argv])}",
            "",
            *machine_lines(args.tmp_dir or Path(tempfile.gettempdir()), loads),
        ]
        write_doc(args.output, "\n".join(head) + "\n\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
