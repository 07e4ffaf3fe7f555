"""A throwaway Sardana (Pool + MacroServer + Door in one ``Sardana`` server) on loopback.

Listening sockets (checked with ``ss -ltnp``): ``-ORBendPoint giop:tcp:127.0.0.1:0``
puts the CORBA endpoint on 127.0.0.1 (port chosen by the OS) and cppTango binds
its ZMQ event and heartbeat sockets to that same IP, so all three listening
sockets are on 127.0.0.1. Without the option they would be on 0.0.0.0. As for the
database, omniORB adds a Unix-domain socket in /tmp/omni-<user>/ (not a network
listener).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import tango

import sardana_nxsas
from sardana_nxsas.system.door import DoorClient
from sardana_nxsas.system.ports import LOOPBACK
from sardana_nxsas.system.process import ManagedProcess
from sardana_nxsas.system.tangodb import TangoDatabase

_STARTER = "import sys; from sardana.tango import main; sys.argv[0] = 'Sardana'; sys.exit(main())"


@dataclass
class SardanaNames:
    instance: str = "nxsas"
    pool: str = "pool/nxsas/1"
    macroserver: str = "macroserver/nxsas/1"
    door: str = "door/nxsas/1"
    pool_alias: str = "Pool_nxsas_1"
    ms_alias: str = "MS_nxsas_1"
    door_alias: str = "Door_nxsas_1"

    @property
    def server(self) -> str:
        return f"Sardana/{self.instance}"


def _paths(paths: list[Path]) -> list[str]:
    return [str(Path(p).resolve()) for p in paths]


def _put(db: tango.Database, device: str, props: dict[str, list[str]]) -> None:
    """Write the properties; an empty list deletes one (left over from an earlier run)."""
    db.put_device_property(device, {k: v for k, v in props.items() if v})
    empty = [k for k, v in props.items() if not v]
    if empty:
        db.delete_device_property(device, empty)


@dataclass
class _Plugins:
    pool_path: list[Path] = field(default_factory=list)
    macro_path: list[Path] = field(default_factory=list)
    recorder_path: list[Path] = field(default_factory=list)


class SardanaServer:
    """Register and run one Sardana server in ``db``; files and logs go to ``workdir``."""

    def __init__(
        self,
        db: TangoDatabase,
        workdir: Path,
        names: SardanaNames | None = None,
        pool_path: list[Path] | None = None,
        macro_path: list[Path] | None = None,
        recorder_path: list[Path] | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.db = db
        self.workdir = Path(workdir).resolve()
        self.names = names or SardanaNames()
        self.plugins = _Plugins(pool_path or [], macro_path or [], recorder_path or [])
        self.extra_env = dict(extra_env or {})
        self.environment_db = self.workdir / "ms-environment" / "macroserver.properties"
        self._process = ManagedProcess("Sardana", self.workdir / "sardana.log")
        self._door: DoorClient | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def register(self) -> None:
        """Declare the server, its three devices and their properties (idempotent)."""
        db, n = self.db.database(), self.names
        for klass, name, alias in (
            ("Pool", n.pool, n.pool_alias),
            ("MacroServer", n.macroserver, n.ms_alias),
            ("Door", n.door, n.door_alias),
        ):
            info = tango.DbDevInfo()
            info._class, info.name, info.server = klass, name, n.server
            db.add_device(info)
            db.put_device_alias(name, alias)
        self.environment_db.parent.mkdir(parents=True, exist_ok=True)
        _put(db, n.pool, {"PoolPath": _paths(self.plugins.pool_path)})
        _put(
            db,
            n.macroserver,
            {
                "PoolNames": [n.pool],
                "MacroPath": _paths(self.plugins.macro_path),
                "RecorderPath": _paths(self.plugins.recorder_path),
                "EnvironmentDb": [str(self.environment_db)],
            },
        )
        _put(db, n.door, {"MacroServerName": [n.macroserver]})

    def env(self) -> dict[str, str]:
        env = self.db.env()
        # macro/recorder/controller files import sardana_nxsas by its absolute name
        inherited = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        env["PYTHONPATH"] = os.pathsep.join([str(self._package_root()), *inherited])
        env.update(self.extra_env)
        return env

    def _package_root(self) -> Path:
        """A directory holding only ``sardana_nxsas``, so that nothing else from a
        checkout (its macros/, tests/, ... folders) can shadow a module in the server."""
        package = Path(sardana_nxsas.__file__).resolve().parent
        if "site-packages" in package.parts:
            return package.parent
        root = self.workdir / "pythonpath"
        root.mkdir(parents=True, exist_ok=True)
        link = root / "sardana_nxsas"
        if not (link.is_symlink() and link.resolve() == package):
            link.unlink(missing_ok=True)
            link.symlink_to(package, target_is_directory=True)
        return root

    def command(self) -> list[str]:
        script = Path(sys.executable).parent / "Sardana"
        start = [str(script)] if script.exists() else [sys.executable, "-c", _STARTER]
        return start + [
            self.names.instance,
            "-ORBendPoint", f"giop:tcp:{LOOPBACK}:0",
            f"--log-file-name={self.workdir / 'sardana-debug.log'}",
        ]  # fmt: skip

    def start(self, timeout: float = 60) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.register()
        # the MacroServer imports macro modules by bare name: a stray folder in the
        # working directory (e.g. env/) would shadow one, so start in an empty one
        cwd = Path(tempfile.mkdtemp(prefix="cwd-", dir=self.workdir))
        self._process.start(self.command(), cwd=cwd, env=self.env())
        door = tango.DeviceProxy(f"tango://{self.db.tango_host}/{self.names.door}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._process.running():
                raise self._process.fail("exited during start-up")
            try:
                if door.state() == tango.DevState.ON:
                    return
            except tango.DevFailed:
                pass  # not exported yet
            time.sleep(0.2)
        raise self._process.fail(f"Door {self.names.door} not ON within {timeout:.0f} s")

    def door(self) -> DoorClient:
        """The DoorClient of this server's Door (one per server, reused)."""
        if self._door is None:
            self._door = DoorClient(self.names.door, self.db.tango_host)
        return self._door

    def detach(self) -> None:
        """Keep the server running after this process exits; stop it by its PID."""
        if self._door is not None:
            self._door.close()
            self._door = None
        self._process.detach()

    def stop(self) -> None:
        if self._door is not None:
            self._door.close()  # unsubscribe first: no reconnection noise
            self._door = None
        self._process.stop()

    def __enter__(self) -> SardanaServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
