"""The macros' side of the writer: one writer process per data root, woken per job.

The process is started on first use (``sys.executable -m sardana_nxsas.writer
--serve``) in a session of its own, so that a Ctrl-C or a signal to the
MacroServer's process group does not interrupt a file being written; it ends by
itself when the MacroServer's end of the pipe closes, after the last job. A
writer that died is started again at the next job; jobs are on disk meanwhile.
During a fast series (:meth:`WriterProcess.yielding`) each wake asks it to hold.
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

from sardana_nxsas.layout import DataRoot
from sardana_nxsas.writer.jobs import WRITER, Queue, pending_dir
from sardana_nxsas.writer.yielding import GO, JOB, hold_line

P = TypeVar("P", bound="WriterProcess")

LOG = "writer.log"


class WriterProcess:
    """The data root's writer process; the reducer's (sardana_nxsas.reducer) is the same
    with its own ``module``, ``log`` and ``queue``."""

    module = "sardana_nxsas.writer"
    log = LOG
    queue: Queue = WRITER

    def __init__(self, root: DataRoot) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._popen: subprocess.Popen[bytes] | None = None
        self._line = JOB  # what a wake writes: a hold during a fast series

    @property
    def pid(self) -> int | None:
        return None if self._popen is None else self._popen.pid

    def wake(self) -> None:
        """Tell the writer there is a job (starting it if needed); never raises OSError."""
        self._send(self._line)

    @contextmanager
    def yielding(self) -> Iterator[None]:
        """A fast series: the writer holds its jobs until it ends (sardana_nxsas.writer.yielding)."""
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
        """Close the pipe and wait for the writer to finish its jobs (tests, demo)."""
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


_SHARED: dict[tuple[type, Path], WriterProcess] = {}
_SHARED_LOCK = threading.Lock()


def shared_process(kind: type[P], root: DataRoot) -> P:
    """The process's ``kind`` (writer, reducer) for ``root``: one per data root, for life."""
    with _SHARED_LOCK:
        process = _SHARED.get((kind, root.path))
        if process is None:
            process = _SHARED[(kind, root.path)] = kind(root)
        return process  # type: ignore[return-value]


def writer_for(root: DataRoot) -> WriterProcess:
    """The process's writer for ``root`` (one per data root, for the life of the process)."""
    return shared_process(WriterProcess, root)
