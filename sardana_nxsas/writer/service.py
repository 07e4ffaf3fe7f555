"""The writer process: the writer's queue drained with :func:`.complete.run_job`.

The loop is the generic one (sardana_nxsas.jobs.drain); after each drain the writer
nudges the data root's reducer (reduce jobs it queued) and relays the holds of a
fast series to it, so that neither works beside the series' counts.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.jobs import drain as jobs_drain
from sardana_nxsas.jobs.drain import Drainer, serve
from sardana_nxsas.reducer.client import reducer_for
from sardana_nxsas.writer.complete import run_job
from sardana_nxsas.writer.jobs import WRITER

NICE = 5  # the writer's CPU priority below acquisition (its reducer adds its own 10)
PID_FILE = "writer.pid"  # in state/: the newest writer process of the data root


def writer_drainer(root: DataRoot) -> Drainer:
    return Drainer(root, WRITER, run_job)


def drain(root: DataRoot, retries: int = jobs_drain.MAX_ATTEMPTS, pause: float = 0.2) -> int:
    """Do every pending writer job, retrying failures; return how many are left."""
    return jobs_drain.drain(writer_drainer(root), retries, pause)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m sardana_nxsas.writer")
    parser.add_argument("--data", required=True, type=Path, help="data root")
    parser.add_argument("--serve", action="store_true", help="serve until stdin closes")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    root = DataRoot(args.data)
    if args.serve:
        os.nice(NICE)  # the count's processes (MacroServer, Pool) come first; files can wait
        reducer = reducer_for(root)
        serve(writer_drainer(root), sys.stdin.buffer, PID_FILE, reducer.nudge, reducer.tell)
        return 0
    return 1 if drain(root) else 0
