"""A worker's loop: take the pending jobs of a queue in order and do them.

``drain`` does every pending job once (the command line's catch-up, the tests);
``serve`` is the worker process (:mod:`.process`): it drains whenever it is woken
(a line on its standard input) and at least every second, and exits when its
standard input closes (its client ended or was killed) after a last drain. One
worker at a time per queue and data root (an flock), so two MacroServers or a
catch-up beside a running worker never do a job twice.

A job is deleted only once its files are on the disk: each drain fsyncs the files
its jobs wrote once, together, then deletes the jobs (a deleted job's folder entry
is not fsynced: if a power cut brings it back, it is done again, harmlessly). While
a fast series asks it to (:mod:`.yielding`), the worker starts no job.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from sardana_nxsas.dataroot.durable import exclusive_lock, fsync_dir, fsync_file
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.errors import FileBusyError, NxsError
from sardana_nxsas.jobs.queue import FAILED, Job, Queue, pending, pending_dir
from sardana_nxsas.jobs.yielding import MAX_BACKLOG_S, SYSTEM_CLOCK, Clock, Hold

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # a job failing this often is set aside (state/<queue>/failed/)
POLL_S = 1.0
ERRORS: tuple[type[BaseException], ...] = (OSError, ValueError, KeyError, NxsError)

Run = Callable[[DataRoot, Job], "Iterable[Path] | None"]
"""A job's work; returns the files and folders it left to flush (None: nothing)."""


class Drainer:
    """Does the pending jobs of ``queue`` with ``run``; remembers failures (``errors``)
    to retry later, then sets them aside. A job whose work left
    files to flush is deleted at the end of the drain, after one fsync per file for the
    whole drain; a job that left none (the reducer's: its writes are durable) at once.
    """

    def __init__(
        self,
        root: DataRoot,
        queue: Queue,
        run: Run,
        errors: tuple[type[BaseException], ...] = ERRORS,
    ) -> None:
        self.root = root
        self.queue, self.run, self.errors = queue, run, errors
        self.attempts: dict[Path, int] = {}
        self.busy: set[Path] = set()  # jobs waiting for a file a reader holds (said once)
        self.done = 0
        self._to_delete: list[Job] = []  # done; deleted once ``_unflushed`` is on the disk
        self._unflushed: dict[Path, None] = {}  # files and folders, in the order written

    def drain(self, lock_timeout: float = 30.0, pause: Callable[[Job], bool] | None = None) -> int:
        """Do every job pending now; return how many are left (being retried).

        ``pause(job)`` is asked before each job: True ends the drain there (it and the
        later jobs wait).
        """
        folder = pending_dir(self.root, self.queue)
        if not folder.is_dir():
            return 0
        with exclusive_lock(folder / ".lock", lock_timeout, self.queue.what):
            left = 0
            blocked: set[str] = set()  # an exposure whose earlier job failed waits for it
            try:
                for job in pending(self.root, self.queue):
                    if pause is not None and pause(job):
                        break
                    if job.stem in blocked or not self._do(job):
                        blocked.add(job.stem)
                        left += 1
            finally:
                self._flush()
            return left

    def _flush(self) -> None:
        """Put the done jobs' files on the disk (one fsync each), then delete the jobs.
        If an fsync fails, the jobs stay and are done again at the next drain."""
        try:
            for path in self._unflushed:
                with contextlib.suppress(FileNotFoundError):  # a reduce job already done
                    fsync_dir(path) if path.is_dir() else fsync_file(path)
            for job in self._to_delete:
                job.path.unlink(missing_ok=True)
        finally:
            self._unflushed.clear()
            self._to_delete.clear()

    def _do(self, job: Job) -> bool:
        try:
            dirty = self.run(self.root, job)
        except FileNotFoundError as exc:
            if not job.path.exists():  # another worker did it
                return True
            return self._failed(job, exc)
        except FileBusyError as exc:  # not the job's fault: it waits, not counted
            if job.path not in self.busy:
                log.info("%s waits: %s", job.path.name, exc)
            self.busy.add(job.path)
            return False
        except self.errors as exc:
            return self._failed(job, exc)
        dirty = list(dirty or ())
        if dirty:
            self._to_delete.append(job)
            self._unflushed.update(dict.fromkeys(dirty))
        else:
            job.path.unlink(missing_ok=True)
        self.attempts.pop(job.path, None)
        self.busy.discard(job.path)
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


def drain(drainer: Drainer, retries: int = MAX_ATTEMPTS, pause: float = 0.2) -> int:
    """Do every pending job, retrying failures; return how many are left."""
    left = drainer.drain()
    for _ in range(retries):
        if not left:
            break
        time.sleep(pause)
        left = drainer.drain()
    return left


def serve(
    drainer: Drainer,
    wake: BinaryIO,
    pid_file: str,
    after_drain: Callable[[], None] | None = None,
    relay: Callable[[bytes], None] | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> None:
    """The worker process: drain when woken or every second; end when ``wake`` closes.

    ``pid_file`` (in ``state/``) names the newest worker of the data root, for people
    and tests; ``after_drain`` runs after each drain (the writer wakes the reducer with
    it); ``relay`` gets each hold and go line (the writer passes them to the reducer);
    ``clock`` times the holds and the jobs' ages (a test's own decides when they end).
    """
    root = drainer.root
    (root.state_dir / pid_file).write_text(f"{os.getpid()}\n")  # for people and tests
    log.info("%s %d serving %s", drainer.queue.what, os.getpid(), root.path)
    lines = _WakeLines(wake.fileno(), relay, clock)

    def waits(job: Job) -> bool:  # asked before each job: a series may have begun
        lines.read(0.0)
        return lines.holds(job)

    while True:
        try:
            drainer.drain(pause=waits)
            if after_drain is not None:
                after_drain()
        except Exception:  # a bad day on the disk: keep serving, the jobs stay pending
            log.exception("%s: drain failed", drainer.queue.what)
        if not lines.read(lines.timeout(root, drainer.queue)):
            break  # the MacroServer is gone: finish what is pending, then go
    drain(drainer)
    if after_drain is not None:
        after_drain()


class _WakeLines:
    """The wake pipe: a line per job, and the holds of a fast series (:mod:`.yielding`)."""

    def __init__(
        self,
        fd: int,
        relay: Callable[[bytes], None] | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.fd, self.hold, self.open, self.relay = fd, Hold(clock), True, relay
        self.clock = clock

    def read(self, timeout: float) -> bool:
        """Read what came within ``timeout`` s; False once the pipe has closed."""
        while self.open and select.select([self.fd], [], [], timeout)[0]:
            data = os.read(self.fd, 4096)
            if not data:
                self.open = False
            for line in self.hold.feed(data):
                if self.relay is not None:
                    self.relay(line)
            timeout = 0.0
        return self.open

    def holds(self, job: Job) -> bool:
        """Whether ``job`` waits: held, and younger than MAX_BACKLOG_S (a long series'
        files come that late, one by one, as its exposures are made)."""
        return self.open and self.hold.remaining() > 0 and self._age(job) < MAX_BACKLOG_S

    def timeout(self, root: DataRoot, queue: Queue) -> float:
        """How long to wait for a wake: until the hold ends or the oldest job is due."""
        left = self.hold.remaining()
        if not left:
            return POLL_S
        jobs = pending(root, queue)  # listed only while held
        if jobs:
            left = min(left, max(0.0, MAX_BACKLOG_S - self._age(jobs[0])))
        return min(POLL_S, left)

    def _age(self, job: Job) -> float:
        """Seconds since ``job`` was submitted (its name's ns, from the wall clock)."""
        return (self.clock.time_ns() - job.ns) / 1e9
