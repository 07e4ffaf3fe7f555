"""The client's side of a worker process: one per data root and kind, woken per job.

The process is started on first use (``sys.executable -m <module> --data ROOT
--serve``) in a session of its own, so that a Ctrl-C or a signal to the client's
process group does not interrupt a file being written; it ends by itself when the
client's end of the pipe closes, after the last job. A worker that died is started
again at the next job; jobs are on disk meanwhile. During a fast series
(:meth:`WorkerProcess.yielding`) each wake asks it to hold (:mod:`.yielding`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.jobs.queue import Queue, pending_dir
from sardana_nxsas.jobs.yielding import GO, JOB, hold_line

P = TypeVar("P", bound="WorkerProcess")


class WorkerProcess:
    """A data root's worker process; a kind (the writer, the reducer) names its
    ``module`` (run with ``-m``), its ``log`` file in ``state/`` and its ``queue``."""

    module: str
    log: str
    queue: Queue

    def __init__(self, root: DataRoot) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._popen: subprocess.Popen[bytes] | None = None
        self._line = JOB  # what a wake writes: a hold during a fast series

    @property
    def pid(self) -> int | None:
        return None if self._popen is None else self._popen.pid

    def wake(self) -> None:
        """Tell the worker there is a job (starting it if needed); never raises OSError."""
        self._send(self._line)

    @contextmanager
    def yielding(self) -> Iterator[None]:
        """A fast series: the worker holds its jobs until it ends (:mod:`.yielding`)."""
        self._line = hold_line()
        self._send(self._line)  # a catch-up under way pauses before its next job
        try:
            yield
        finally:
            self._line = JOB
            self._send(GO)

    def tell(self, line: bytes) -> None:
        """Send ``line`` if the process is running (a hold relayed: nothing to start for)."""
        popen = self._popen
        if popen is not None and popen.poll() is None:
            self._send(line)

    def _send(self, line: bytes) -> None:
        with self._lock:
            popen = self._popen
            if popen is None or popen.poll() is not None:
                popen = self._popen = self._start()
            try:
                assert popen.stdin is not None
                popen.stdin.write(line)
                popen.stdin.flush()
            except (BrokenPipeError, OSError):
                self._popen = None  # it died: the next job starts a new one

    def _start(self) -> subprocess.Popen[bytes]:
        folder = pending_dir(self.root, self.queue)
        folder.mkdir(parents=True, exist_ok=True)
        log = open(self.root.state_dir / self.log, "ab")  # noqa: SIM115 - handed to the child
        try:
            return subprocess.Popen(
                [sys.executable, "-m", self.module, "--data", str(self.root.path), "--serve"],
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=log,
                cwd=self.root.path,
                start_new_session=True,
                close_fds=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )  # fmt: skip
        finally:
            log.close()

    def close(self, timeout: float = 30.0) -> None:
        """Close the pipe and wait for the worker to finish its jobs (tests, demo)."""
        with self._lock:
            popen, self._popen = self._popen, None
        if popen is None:
            return
        assert popen.stdin is not None
        popen.stdin.close()
        try:
            popen.wait(timeout)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait()


_SHARED: dict[tuple[type, Path], WorkerProcess] = {}
_SHARED_LOCK = threading.Lock()


def shared_process(kind: type[P], root: DataRoot) -> P:
    """The process's ``kind`` (writer, reducer) for ``root``: one per data root, for life."""
    with _SHARED_LOCK:
        process = _SHARED.get((kind, root.path))
        if process is None:
            process = _SHARED[(kind, root.path)] = kind(root)
        assert isinstance(process, kind)  # keyed by its kind: tells the type checker
        return process
