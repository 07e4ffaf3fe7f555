"""The writer's loop: take the pending jobs of a data root in order and do them.

``drain`` does every pending job once (the command line's catch-up, the tests);
``serve`` is the writer process started by the macros: it drains whenever it is
woken (a line on its standard input) and at least every second, and exits when
its standard input closes (the MacroServer ended or was killed) after a last
drain. One writer at a time per data root (an flock), so two MacroServers or a
catch-up beside a running writer never do a job twice.
"""

from __future__ import annotations

import logging
import os
import select
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from sardana_nxsas.durable import exclusive_lock, fsync_dir
from sardana_nxsas.errors import NxsError
from sardana_nxsas.layout import DataRoot
from sardana_nxsas.writer.complete import run_job
from sardana_nxsas.writer.jobs import FAILED, WRITER, Job, Queue, pending, pending_dir

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # a job failing this often is set aside (state/pending/failed/)
POLL_S = 1.0
NICE = 5  # the writer's CPU priority below acquisition (its reducer adds its own 10)
PID_FILE = "writer.pid"  # in state/: the newest writer process of the data root
ERRORS: tuple[type[BaseException], ...] = (OSError, ValueError, KeyError, NxsError)


class Drainer:
    """Does pending jobs; remembers failures to retry later, then set them aside.

    The writer's by default; the reducer (sardana_nxsas.reducer) passes its own queue,
    job function and the errors that count as a failed attempt.
    """

    def __init__(
        self,
        root: DataRoot,
        queue: Queue = WRITER,
        run: Callable[[DataRoot, Job], None] = run_job,
        errors: tuple[type[BaseException], ...] = ERRORS,
    ) -> None:
        self.root = root
        self.queue, self.run, self.errors = queue, run, errors
        self.attempts: dict[Path, int] = {}
        self.done = 0

    def drain(self, lock_timeout: float = 30.0) -> int:
        """Do every job pending now; return how many are left (being retried)."""
        folder = pending_dir(self.root, self.queue)
        if not folder.is_dir():
            return 0
        with exclusive_lock(folder / ".lock", lock_timeout, self.queue.what):
            left = 0
            blocked: set[str] = set()  # an exposure whose earlier job failed waits for it
            for job in pending(self.root, self.queue):
                if job.stem in blocked or not self._do(job):
                    blocked.add(job.stem)
                    left += 1
            return left

    def _do(self, job: Job) -> bool:
        try:
            self.run(self.root, job)
        except FileNotFoundError as exc:
            if not job.path.exists():  # another writer did it
                return True
            return self._failed(job, exc)
        except self.errors as exc:
            return self._failed(job, exc)
        job.path.unlink(missing_ok=True)
        fsync_dir(job.path.parent)
        self.attempts.pop(job.path, None)
        self.done += 1
        return True

    def _failed(self, job: Job, exc: BaseException) -> bool:
        count = self.attempts[job.path] = self.attempts.get(job.path, 0) + 1
        log.warning("%s (attempt %d): %s: %s", job.path.name, count, type(exc).__name__, exc)
        if count < MAX_ATTEMPTS:
            return False
        aside = job.path.parent / FAILED
        aside.mkdir(exist_ok=True)
        os.replace(job.path, aside / job.path.name)
        log.error("%s set aside in %s after %d attempts", job.path.name, aside, count)
        self.attempts.pop(job.path, None)
        return True


def drain(
    root: DataRoot, retries: int = MAX_ATTEMPTS, pause: float = 0.2, drainer: Drainer | None = None
) -> int:
    """Do every pending job, retrying failures; return how many are left."""
    drainer = drainer or Drainer(root)
    left = drainer.drain()
    for _ in range(retries):
        if not left:
            break
        time.sleep(pause)
        left = drainer.drain()
    return left


def serve(
    root: DataRoot,
    wake: BinaryIO,
    drainer: Drainer | None = None,
    pid_file: str = PID_FILE,
    after_drain: Callable[[], None] | None = None,
) -> None:
    """The writer process: drain when woken or every second; end when ``wake`` closes.

    ``after_drain`` runs after each drain (the writer wakes the reducer with it).
    """
    drainer = drainer or Drainer(root)
    (root.state_dir / pid_file).write_text(f"{os.getpid()}\n")  # for people and tests
    log.info("%s %d serving %s", drainer.queue.what, os.getpid(), root.path)
    fd = wake.fileno()
    while True:
        try:
            drainer.drain()
            if after_drain is not None:
                after_drain()
        except Exception:  # a bad day on the disk: keep serving, the jobs stay pending
            log.exception("%s: drain failed", drainer.queue.what)
        ready, _, _ = select.select([fd], [], [], POLL_S)
        if ready and not os.read(fd, 4096):
            break  # the MacroServer is gone: finish what is pending, then go
    drain(root, drainer=drainer)
    if after_drain is not None:
        after_drain()


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m sardana_nxsas.writer")
    parser.add_argument("--data", required=True, type=Path, help="data root")
    parser.add_argument("--serve", action="store_true", help="serve until stdin closes")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    root = DataRoot(args.data)
    if args.serve:
        from sardana_nxsas.reducer.client import reducer_for  # issue 7: wakes the reducer

        os.nice(NICE)  # the count's processes (MacroServer, Pool) come first; files can wait
        serve(root, sys.stdin.buffer, after_drain=reducer_for(root).nudge)
        return 0
    return 1 if drain(root) else 0
