"""A throwaway Tango database: PyTango's own DataBaseds on SQLite, on loopback.

Listening sockets (checked with ``ss -ltnp``, PyTango 10.3 / cppTango 10): the
CORBA endpoint is 127.0.0.1:PORT because the server is given
``-ORBendPoint giop:tcp:127.0.0.1:PORT`` (built by ``--host/--port``); cppTango
binds its ZMQ event and heartbeat sockets to the IP given in ORBendPoint, so
these two (OS-chosen ports) are on 127.0.0.1 as well. Nothing listens on
0.0.0.0, so TANGO_ZMQ_EVENT_PORT / ORBendPointPublish are not needed. omniORB
also opens a Unix-domain socket in /tmp/omni-<user>/ (same-host transport, not
reachable from the network; removed when the server exits).
"""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path
from types import TracebackType

import tango

from sardana_nxsas.system.ports import LOOPBACK, free_port
from sardana_nxsas.system.process import ManagedProcess

DB_INSTANCE = "2"


class TangoDatabase:
    """Start/stop a Tango DB whose SQLite file and log live in ``workdir``."""

    host = LOOPBACK

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.workdir = Path(workdir).resolve()
        self._fixed_port = port is not None
        self.port: int = port if port is not None else free_port()
        self.db_file = self.workdir / "tango.db"
        self._process = ManagedProcess("Tango database", self.workdir / "tangodb.log")
        self._database: tango.Database | None = None

    @property
    def tango_host(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def env(self) -> dict[str, str]:
        """The environment for children and clients of this database."""
        env = dict(os.environ)
        env["TANGO_HOST"] = self.tango_host
        # cppTango creates /tmp/tango-<user>/<server>/<instance> for its logs otherwise
        env["TANGO_LOG_PATH"] = str(self.workdir / "tango-logs")
        return env

    def start(self, timeout: float = 20) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        # an OS-chosen port may be taken by someone else before we bind it: retry
        attempts = 1 if self._fixed_port else 3
        for attempt in range(attempts):
            try:
                self._start_once(timeout)
                return
            except Exception:
                if attempt == attempts - 1 or not self._port_taken():
                    raise
                self.port = free_port()

    def _port_taken(self) -> bool:
        """True when someone else holds our port (False: the start failed for another reason)."""
        with socket.socket() as sock:
            try:
                sock.bind((self.host, self.port))
            except OSError:
                return False
        return True

    def _start_once(self, timeout: float) -> None:
        env = self.env()
        env["PYTANGO_DATABASE_NAME"] = str(self.db_file)
        cmd = [
            sys.executable, "-m", "tango.databaseds.database",
            "--host", self.host, "--port", str(self.port), DB_INSTANCE,
        ]  # fmt: skip
        self._process.start(cmd, cwd=self.workdir, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._process.running():
                raise self._process.fail("exited during start-up")
            try:
                db = tango.Database(self.host, self.port)
                db.get_server_list("*")
            except tango.DevFailed:
                time.sleep(0.1)
                continue
            self._database = db
            return
        raise self._process.fail(f"did not answer within {timeout:.0f} s on {self.tango_host}")

    def detach(self) -> None:
        """Keep the database running after this process exits; stop it by its PID."""
        self._process.detach()

    def stop(self) -> None:
        self._database = None
        self._process.stop()

    def database(self) -> tango.Database:
        if self._database is None:
            self._database = tango.Database(self.host, self.port)
        return self._database

    def __enter__(self) -> TangoDatabase:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
