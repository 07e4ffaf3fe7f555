"""How fast does ``sardana-nxsas catalog reindex`` read exposure files (target: >= 200 files/s)?

    python benchmarks/catalog_reindex.py --files 300 --repeats 5 --output benchmarks/results/history.md

Makes ``--files`` real, distinct exposures (CBF + .nxs, Pilatus 300K Poisson frame, the
CREDO-like instrument description of ``sardana-nxsas instrument example credo-like``) with the
core library, as nxsbegin / ct / nxsend leave them, in a temporary data root (or uses
``--data ROOT`` as it is). Then times :func:`sardana_nxsas.catalog.maintenance.reindex` into
a fresh SQLite catalog ``--repeats`` times (the page cache is warm after the first run, as it
is for a reindex right after acquisition) and prints files/s: median, min, max.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import datetime
from importlib import resources
from pathlib import Path

import numpy as np

from sardana_nxsas.acquisition.exposure import begin_exposure, end_exposure, record_counts
from sardana_nxsas.acquisition.settings import Settings
from sardana_nxsas.catalog import Catalog
from sardana_nxsas.catalog.maintenance import exposure_files, reindex
from sardana_nxsas.dataroot.layout import DataRoot

TITLES = ("Glassy_Carbon", "AgBeh", "buffer_PBS", "REV_{n}_lysozyme", "empty_beam", "dark")


def make_files(root: Path, count: int) -> None:
    """``count`` distinct exposures under ``root`` (two prefixes, varied titles and frames)."""
    instrument = root.parent / "instrument.toml"
    example = resources.files("sardana_nxsas") / "examples" / "credo-like.toml"
    instrument.write_text(example.read_text())
    settings = Settings(DataRoot(root), instrument)
    rng = np.random.default_rng(4)
    for n in range(count):
        title = TITLES[n % len(TITLES)].format(n=n)
        session, _ = begin_exposure(settings, "crd" if n % 5 else "tst", title)
        frame = rng.poisson(2 + n % 7, (619, 487)).astype(np.int32)
        record_counts(session, settings, count_time=1.0, monitor=1.0, counters={}, frame=frame)
        end_exposure(session, settings)


def time_reindex(root: DataRoot, scratch: Path, workers: int) -> tuple[float, int]:
    database = scratch / "bench-catalog.sqlite"
    database.unlink(missing_ok=True)
    with Catalog(f"sqlite:///{database}") as catalog:
        started = time.perf_counter()
        report = reindex(root, catalog, workers=workers)
        seconds = time.perf_counter() - started
        assert not report.unreadable, report.unreadable[:3]
        assert catalog.count() == report.files
    return seconds, report.files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--data", type=Path, help="an existing data root to reindex as it is")
    parser.add_argument("--tmp-dir", type=Path, default=None)
    parser.add_argument("--output", type=Path, help="append a dated section to this file")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="nxsas-reindex-", dir=args.tmp_dir))
    try:
        if args.data is None:
            data = scratch / "data"
            data.mkdir()
            started = time.perf_counter()
            make_files(data, args.files)
            print(f"made {args.files} exposures in {time.perf_counter() - started:.1f} s")
        else:
            data = args.data
        root = DataRoot(data)
        files = len(list(exposure_files(root)))
        size = sum(p.stat().st_size for p in exposure_files(root)) / files / 1e6
        rates: dict[int, list[float]] = {1: [], args.workers: []}
        for _ in range(args.repeats):
            for workers in rates:  # interleaved
                seconds, done = time_reindex(root, scratch, workers)
                rates[workers].append(done / seconds)
        report = _report(files, size, rates, args)
        print(report)
        if args.output is not None:
            with args.output.open("a") as out:
                out.write("\n" + report)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _report(
    files: int, size_mb: float, rates: dict[int, list[float]], args: argparse.Namespace
) -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return (
        f"## {datetime.now():%Y-%m-%d}: catalog reindex speed\n\n"
        f"`python benchmarks/catalog_reindex.py --files {args.files} --repeats {args.repeats}`"
        f" at commit {commit or '?'} (plus the working tree), {platform.node()}, "
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}.\n\n"
        f"{files} exposure files ({size_mb:.2f} MB .nxs each), into a fresh SQLite catalog; "
        f"{args.repeats} runs each, interleaved, warm page cache.\n\n"
        "| files/s | median | min | max |\n|---|---|---|---|\n"
        + "".join(
            f"| reindex, {w} worker(s) | {statistics.median(r):.0f} | {min(r):.0f} "
            f"| {max(r):.0f} |\n"
            for w, r in rates.items()
        )
    )


if __name__ == "__main__":
    main()
