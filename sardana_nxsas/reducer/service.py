"""The reducer process: take the reduce jobs of a data root in order and reduce each file.

The generic loop and drainer (sardana_nxsas.jobs.drain) with the reduce queue.
What differs: any exception of the reduction is a failed attempt (the science code
may raise what it likes), and attempts are counted on disk (``<job>.tries``) before
each run, so a job that kills the process (a crash in a C extension, the OOM killer)
is set aside after MAX_ATTEMPTS starts instead of being retried forever. A job set
aside marks the reduction failed (catalog row and a warning for spock). The process
runs at a lower CPU priority (nice 10): exposures never wait for it.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sardana_nxsas.catalog import CatalogRow, shared_writer
from sardana_nxsas.catalog.reduced import ReductionColumns, failed_columns, outcome_columns
from sardana_nxsas.catalog.rows import key_of, relative, write_catalog_note
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.jobs.drain import MAX_ATTEMPTS, Drainer, drain, serve
from sardana_nxsas.jobs.queue import Job
from sardana_nxsas.reducer.jobs import REDUCE
from sardana_nxsas.reducer.news import tell_failure

log = logging.getLogger(__name__)

PID_FILE = "reducer.pid"  # in state/: the newest reducer process of the data root
NICE = 10
TRIES = ".tries"  # beside a job: how many times a reducer started it

Reduce = Callable[[DataRoot, Path], Any]  # reduce_exposure's contract


def _reduce_exposure(root: DataRoot, nxs: Path) -> Any:
    from sardana_nxsas.reduction import reduce_exposure  # pyFAI: in this process only

    return reduce_exposure(root, nxs)


class ReductionDrainer(Drainer):
    def __init__(self, root: DataRoot, reduce: Reduce = _reduce_exposure) -> None:
        super().__init__(root, REDUCE, self._run, (Exception,))
        self.reduce = reduce
        self.catalog_urls: set[str | None] = set()

    def _do(self, job: Job) -> bool:
        tries_file = job.path.with_name(job.path.name + TRIES)
        started = _read_int(tries_file)
        try:
            if started >= MAX_ATTEMPTS:  # each start ended with the process: never again
                why = f"the reducer stopped during each of {started} attempts (crash?)"
                self.attempts[job.path] = MAX_ATTEMPTS - 1
                return self._failed(job, RuntimeError(why))
            tries_file.write_text(f"{started + 1}\n")
            self.attempts.setdefault(job.path, started)
            return super()._do(job)
        finally:
            if not job.path.exists():  # done or set aside
                tries_file.unlink(missing_ok=True)

    def _run(self, root: DataRoot, job: Job) -> None:
        payload = job.load()
        nxs = root.path / payload["nxs"]
        outcome = self.reduce(root, nxs)
        write_catalog_note(nxs)  # the reduction dropped the note (stale): reindex's shortcut
        self._record(nxs, payload.get("catalog_url"), outcome_columns(outcome))
        log.info("%s: reduction %s %s", nxs.stem, outcome.status, outcome.reason or "")

    def _failed(self, job: Job, exc: BaseException) -> bool:
        if self.attempts.get(job.path, 0) + 1 >= MAX_ATTEMPTS:  # set aside now: say so first
            try:
                payload = job.load()
            except (OSError, ValueError):
                payload = {}
            nxs = self.root.path / payload.get("nxs", f"nexus/x/{job.stem}.nxs")
            reason = f"reduction crashed: {type(exc).__name__}: {exc}"
            self._record(nxs, payload.get("catalog_url"), failed_columns(reason))
        return super()._failed(job, exc)

    def _record(self, nxs: Path, url: str | None, columns: ReductionColumns) -> None:
        """Catalog row and, for a failure, the warning for spock."""
        prefix, fsn = key_of(nxs)
        if columns["reduction_status"] != "done":
            tell_failure(self.root, nxs.stem, columns["reduction_reason"] or "no reason given")
        # status: only complete files are reduced (the row exists unless the catalog was lost)
        row: CatalogRow = {
            "prefix": prefix,
            "fsn": fsn,
            "nxs_path": relative(nxs, self.root),
            "status": "done",
        }
        row.update(columns)
        shared_writer(self.root, url).submit(row)
        self.catalog_urls.add(url)

    def flush(self, timeout: float = 30.0) -> None:
        for url in self.catalog_urls:
            shared_writer(self.root, url).flush(timeout)


def _read_int(path: Path) -> int:
    try:
        return int(path.read_text().strip() or 0)
    except (OSError, ValueError):
        return 0


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m sardana_nxsas.reducer")
    parser.add_argument("--data", required=True, type=Path, help="data root")
    parser.add_argument("--serve", action="store_true", help="serve until stdin closes")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    root = DataRoot(args.data)
    drainer = ReductionDrainer(root)
    if args.serve:
        os.nice(NICE)  # beside acquisition: the MacroServer and the writer come first
        serve(drainer, sys.stdin.buffer, PID_FILE)
        left = 0
    else:
        left = drain(drainer)
    drainer.flush()
    return 1 if left else 0
