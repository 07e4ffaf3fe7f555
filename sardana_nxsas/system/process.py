"""A child server process that is started with its own log and stopped by its PID.

Servers are started in a new session so that a Ctrl-C in the operator's
terminal reaches only the launcher, which then stops them in order. They are
never looked up or killed by name: only the PID we started is signalled.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path


class ServerStartError(RuntimeError):
    """A server did not come up; the message ends with the tail of its log."""


class ManagedProcess:
    """One child process writing stdout and stderr to ``log_path``."""

    def __init__(self, name: str, log_path: Path) -> None:
        self.name = name
        self.log_path = log_path
        self._popen: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen is not None else None

    def start(
        self, cmd: Sequence[str], cwd: Path, env: Mapping[str, str], user: str | None = None
    ) -> None:
        """Start ``cmd``; ``user`` (needs root) runs it as that account, with no wrapper
        process in between, so that our PID is the server's own."""
        if self.running():
            raise RuntimeError(f"{self.name} is already running (pid {self.pid})")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            log.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(cmd)}\n".encode())
            log.flush()
            self._popen = subprocess.Popen(
                list(cmd),
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                user=user,
                group=user,
            )
        # a launcher that dies on an exception must not leave servers behind
        atexit.register(self.stop)

    def detach(self) -> None:
        """Leave the process running after this launcher exits (demo --keep)."""
        atexit.unregister(self.stop)

    def running(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    def returncode(self) -> int | None:
        return self._popen.poll() if self._popen is not None else None

    def stop(self, timeout: float = 10.0, sig: signal.Signals = signal.SIGTERM) -> None:
        """``sig`` (SIGTERM), then SIGKILL after ``timeout`` seconds; always reaps the child."""
        popen = self._popen
        if popen is None:
            return
        atexit.unregister(self.stop)
        if popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(popen.pid, sig)
            try:
                popen.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(popen.pid, signal.SIGKILL)
                popen.wait(5)
        self._popen = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def fail(self, why: str) -> ServerStartError:
        """Stop the process and build the error to raise, with the log's tail."""
        code = self.returncode()
        self.stop()
        exited = f" (exited with code {code})" if code is not None else ""
        return ServerStartError(
            f"{self.name} {why}{exited}; log {self.log_path}:\n{self.log_tail()}"
        )
