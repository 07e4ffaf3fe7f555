"""How fast does ``Catalog.find`` answer on 1,000,000 exposures (target: each under 50 ms)?

    python benchmarks/catalog_find.py --rows 1000000 --repeats 20 --output benchmarks/results/history.md

Builds a catalog of ``--rows`` synthetic but realistic rows (titles from a lab vocabulary,
many with an FSN in them, ~100 projects, start times over 5 years, two prefixes) by bulk
insert (SQLAlchemy Core executemany in batches on SQLite, COPY on PostgreSQL), on SQLite in
a temporary folder and on a throwaway PostgreSQL server (started here, stopped by its PID at
the end). The ``header`` column is left empty (a real one is ~5 kB per row). Then times
``Catalog.find`` (the API the CLI and the macros call), median of ``--repeats`` runs, with
``limit=20`` (what ``findexp`` shows; ``catalog find`` shows 50) and without a limit
(``catalog find --limit 0``), without the JSON header column as the CLI asks but for
``--format json``.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from sardana_nxsas.catalog import Catalog
from sardana_nxsas.catalog.schema import exposures

WORDS = ("Glassy_Carbon", "AgBeh", "buffer", "water", "empty_beam", "dark", "lysozyme",
         "BSA", "silica", "micelles", "polymer", "gold_np", "PS_latex", "SDS", "DOPC")  # fmt: skip
T0 = datetime(2021, 1, 1, tzinfo=UTC)
SPAN_S = 5 * 365 * 86400
BATCH = 20_000


def synthetic_rows(count: int, seed: int = 1) -> Iterator[list[dict[str, Any]]]:
    """Batches of rows; FSNs count up per prefix, start times increase with the FSN."""
    rng = np.random.default_rng(seed)
    starts = np.sort(rng.integers(0, SPAN_S, count))
    words = rng.integers(0, len(WORDS), count)
    kinds = rng.integers(0, 4, count)
    projects = rng.integers(1, 101, count)
    for low in range(0, count, BATCH):
        batch = []
        for i in range(low, min(low + BATCH, count)):
            prefix, fsn = ("crd", i // 2 + 1) if i % 2 else ("tst", i // 2 + 1)
            word = WORDS[words[i]]
            title = (word, f"REV_{fsn}_{word}", f"{word}_{kinds[i]}mg", f"{word}_buffer_{fsn}")[
                kinds[i]
            ]
            start = T0 + timedelta(seconds=int(starts[i]))
            batch.append({
                "prefix": prefix, "fsn": fsn, "title": title, "sample": word,
                "project": f"P{projects[i]:03d}", "operator": "operator",
                "nxs_path": f"nexus/{prefix}/{prefix}_{fsn:05d}.nxs",
                "cbf_path": f"images/{prefix}/{prefix}_{fsn:05d}.cbf",
                "start_time": start, "end_time": start + timedelta(seconds=300),
                "exposure_time": 300.0, "distance": 1000.0, "wavelength": 0.15418,
                "status": "done", "total_counts": int(fsn * 7 % 10**8),
            })  # fmt: skip
        yield batch


def fill(catalog: Catalog, count: int) -> float:
    started = time.perf_counter()
    if catalog.engine.dialect.name == "postgresql":
        _copy(catalog, count)
    else:
        with catalog.engine.begin() as conn:
            for batch in synthetic_rows(count):
                conn.execute(exposures.insert(), batch)
    with catalog.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - started


def _copy(catalog: Catalog, count: int) -> None:
    columns = ("prefix", "fsn", "title", "sample", "project", "operator", "nxs_path",
               "cbf_path", "start_time", "end_time", "exposure_time", "distance",
               "wavelength", "status", "total_counts")  # fmt: skip
    raw = catalog.engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(f"COPY exposures ({', '.join(columns)}) FROM STDIN") as copy:
            for batch in synthetic_rows(count):
                for row in batch:
                    copy.write_row([row[c] for c in columns])
        raw.commit()
    finally:
        raw.close()


def queries(limit: int | None) -> dict[str, dict[str, Any]]:
    return {
        "title prefix glob `REV_1234*`": {"title": "REV_1234*"},
        "title prefix glob `Glassy*`": {"title": "Glassy*"},
        "title infix glob `*buffer_4242*`": {"title": "*buffer_4242*"},
        "title infix glob `*lysozyme*`": {"title": "*lysozyme*"},
        "project `P042`": {"project": "P042"},
        "date range, one week": {
            "since": datetime(2023, 6, 1, tzinfo=UTC),
            "until": datetime(2023, 6, 8, tzinfo=UTC),
        },
        "project + one month": {
            "project": "P042",
            "since": datetime(2023, 6, 1, tzinfo=UTC),
            "until": datetime(2023, 7, 1, tzinfo=UTC),
        },
    } | ({} if limit is None else {})


def measure(catalog: Catalog, repeats: int) -> list[tuple[str, str, float, int]]:
    """(query, limit, median ms, rows returned) for each query, limited and full."""
    results = []
    for limit in (20, None):
        for label, filters in queries(limit).items():
            call: Callable[[], list[dict[str, Any]]] = lambda f=filters, n=limit: catalog.find(  # noqa: E731
                **f, limit=n, newest_first=n is not None, header=False
            )
            found = call()  # warm-up
            times = []
            for _ in range(repeats):
                started = time.perf_counter()
                call()
                times.append((time.perf_counter() - started) * 1e3)
            results.append((label, str(limit or "none"), statistics.median(times), len(found)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--backend", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--output", type=Path, help="append a dated section to this file")
    args = parser.parse_args()
    tables = []
    for backend in args.backend:
        scratch = Path(tempfile.mkdtemp(prefix="nxsas-find-", dir="/tmp"))
        server = None
        try:
            if backend == "postgresql":
                from sardana_nxsas.system.postgres import PostgresServer

                server = PostgresServer(scratch)
                server.start()
                url = server.url
            else:
                url = f"sqlite:///{scratch / 'catalog.sqlite'}"
            with Catalog(url) as catalog:
                seconds = fill(catalog, args.rows)
                print(f"{backend}: {catalog.count()} rows inserted in {seconds:.0f} s", flush=True)
                results = measure(catalog, args.repeats)
        finally:
            if server is not None:
                server.stop()
            shutil.rmtree(scratch, ignore_errors=True)
        tables.append((backend, seconds, results))
    report = _report(tables, args)
    print(report)
    if args.output is not None:
        with args.output.open("a") as out:
            out.write("\n" + report)


def _report(tables: list[tuple[str, float, list[tuple[str, str, float, int]]]], args: Any) -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    lines = [
        f"## {datetime.now():%Y-%m-%d}: catalog find on {args.rows:,} rows",
        "",
        f"`python benchmarks/catalog_find.py --rows {args.rows} --repeats {args.repeats}` at "
        f"commit {commit or '?'} (plus the working tree), {platform.node()}, "
        f"{platform.machine()}, Python {platform.python_version()}. Median of {args.repeats} "
        "calls of `Catalog.find`, ms (limit 20 = newest 20, as `findexp`; none = every match, "
        "as `catalog find`).",
        "",
        "| query | limit | " + " | ".join(f"{b} ms (rows)" for b, _, _ in tables) + " |",
        "|---|---|" + "---|" * len(tables),
    ]
    for i, (label, limit, _, _) in enumerate(tables[0][2]):
        cells = [f"{t[2][i][2]:.1f} ({t[2][i][3]})" for t in tables]
        lines.append(f"| {label} | {limit} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Bulk fill: " + ", ".join(f"{b} {s:.0f} s" for b, s, _ in tables) + ".")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
