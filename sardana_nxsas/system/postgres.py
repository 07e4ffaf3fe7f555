"""A throwaway PostgreSQL server on loopback, for the catalog's server-mode tests.

``initdb`` in a folder of ours, then ``postgres`` listening on 127.0.0.1 at a free
port only (no Unix socket in a shared folder), password authentication for a
user of ours. PostgreSQL refuses to run as root: as root the server runs as the
``postgres`` account (created by Debian's package), started directly with that
user so that the PID we hold is the postmaster's own; it is stopped by that PID.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from sardana_nxsas.system.ports import LOOPBACK, free_port
from sardana_nxsas.system.process import ManagedProcess

USER, PASSWORD, DATABASE = "nxsas", "nxsas-test-secret", "postgres"


def server_binaries() -> Path | None:
    """The folder of initdb/postgres (Debian keeps them off PATH), or None."""
    found = shutil.which("initdb")
    if found:
        return (
            Path(found).resolve().parent
        )  # Debian keeps the real ones in /usr/lib/postgresql/N/bin
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=os.path.getmtime)
    return Path(versions[-1]).parent if versions else None


class PostgresServer:
    def __init__(self, workdir: Path, port: int | None = None) -> None:
        bindir = server_binaries()
        if bindir is None:
            raise FileNotFoundError("PostgreSQL server binaries (initdb, postgres) not found")
        self.bindir, self.workdir = bindir, Path(workdir).resolve()
        self.port = port or free_port()
        self.datadir = self.workdir / "pgdata"
        self._user = "postgres" if os.geteuid() == 0 else None
        self._process = ManagedProcess("PostgreSQL", self.workdir / "postgres.log")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{USER}:{PASSWORD}@{LOOPBACK}:{self.port}/{DATABASE}"

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def _as_server_user(self, path: Path) -> None:
        if self._user is not None:
            shutil.chown(path, self._user, self._user)

    def init(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._as_server_user(self.workdir)
        password = self.workdir / "pwfile"
        password.write_text(PASSWORD + "\n")
        self._as_server_user(password)
        cmd = [str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", USER,
               f"--pwfile={password}", "--auth=scram-sha-256", "--no-sync", "-E", "UTF8"]  # fmt: skip
        done = subprocess.run(cmd, cwd=self.workdir, capture_output=True, text=True,
                              user=self._user, group=self._user, check=False)  # fmt: skip
        password.unlink()
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stdout}{done.stderr}")

    def start(self, timeout: float = 30) -> None:
        if not self.datadir.exists():
            self.init()
        cmd = [str(self.bindir / "postgres"), "-D", str(self.datadir), "-h", LOOPBACK,
               "-p", str(self.port), "-k", "", "-c", "fsync=off"]  # fmt: skip
        self._process.start(cmd, cwd=self.workdir, env=dict(os.environ), user=self._user)
        ready = [str(self.bindir / "pg_isready"), "-h", LOOPBACK, "-p", str(self.port), "-q"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._process.running():
                raise self._process.fail("exited during start-up")
            if subprocess.run(ready, check=False).returncode == 0:
                return
            time.sleep(0.1)
        raise self._process.fail(f"not ready within {timeout:.0f} s")

    def stop(self) -> None:
        self._process.stop(sig=signal.SIGINT)  # PostgreSQL's fast shutdown: ends open sessions

    def __enter__(self) -> PostgresServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
