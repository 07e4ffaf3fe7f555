"""The launcher: Tango DB + Sardana on loopback, macros driven through the Door."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import tango

from sardana_nxsas.paths import plugin_dir
from sardana_nxsas.system.door import MacroError
from sardana_nxsas.system.plugin_setup import setup_plugin_paths
from sardana_nxsas.system.ports import LOOPBACK, listening_addresses
from sardana_nxsas.system.spock import create_spock_profile
from sardana_nxsas.system.tangodb import TangoDatabase

if TYPE_CHECKING:
    from conftest import SardanaSystem

MG = "mntgrp_launcher"


@pytest.fixture(scope="module")
def dummy_mg(sardana_system: SardanaSystem) -> str:
    """A dummy counter/timer and a measurement group holding it (ActiveMntGrp untouched)."""
    door = sardana_system.door
    for macro in (
        "defctrl DummyCounterTimerController ctctrl_launcher",
        "defelem ct_launcher01 ctctrl_launcher 1",
        f"defmeas {MG} ct_launcher01",
    ):
        door.run(macro, raise_on_error=True)
    return MG


def test_lsenv_and_wa_output_is_captured(sardana_system: SardanaSystem) -> None:
    door = sardana_system.door
    door.run("senv", "NxsasLauncherTest", "two words", raise_on_error=True)
    lsenv = door.run("lsenv")
    assert lsenv.ok and lsenv.state == "ON" and lsenv.status == "finish"
    assert any("NxsasLauncherTest" in line and "two words" in line for line in lsenv.output)
    wa = door.run("wa")
    assert wa.ok and wa.output  # "No motor defined" or the positions table


def test_ct_on_a_dummy_mg_returns_values(sardana_system: SardanaSystem, dummy_mg: str) -> None:
    result = sardana_system.door.run("ct", "0.1", dummy_mg)
    assert result.ok, result
    values = [line.split("=") for line in result.output if "=" in line]
    assert [(name.strip(), float(value)) for name, value in values] == [("ct_launcher01", 0.1)]


def test_ct_round_trip_is_fast(sardana_system: SardanaSystem, dummy_mg: str) -> None:
    door = sardana_system.door
    times = []
    for _ in range(5):
        start = time.perf_counter()
        assert door.run("ct", "0.05", dummy_mg).ok
        times.append(time.perf_counter() - start)
    assert min(times) < 0.5, times  # ~0.1 s here; Sardana's own executor sleeps 3 s


def test_stop_during_ct_then_ct_again(sardana_system: SardanaSystem, dummy_mg: str) -> None:
    door = sardana_system.door
    door.start("ct", "10", dummy_mg)
    door.wait_for_output(str(time.localtime().tm_year), timeout=10)  # outputDate: counting
    stopped_at = time.perf_counter()
    door.stop()
    result = door.wait(timeout=10)
    assert time.perf_counter() - stopped_at < 3
    assert not result.ok and result.status == "stop" and result.state == "ON"
    assert "Executing ct.on_stop method..." in result.output
    again = door.run("ct", "0.1", dummy_mg)
    assert again.ok, again


def test_unknown_macro_is_rejected(sardana_system: SardanaSystem) -> None:
    result = sardana_system.door.run("nxsas_no_such_macro 1")
    assert not result.ok and result.status == "rejected"
    assert any("Unknown macro nxsas_no_such_macro" in e for e in result.errors)
    with pytest.raises(MacroError, match="Unknown macro"):
        sardana_system.door.run("nxsas_no_such_macro", raise_on_error=True)


def test_bad_parameter_and_failing_macro(sardana_system: SardanaSystem) -> None:
    door = sardana_system.door
    bad = door.run("ct abc")
    assert not bad.ok and bad.state == "ALARM"
    assert any("could not convert string to float" in e for e in bad.errors)
    failed = door.run("nxsas_test_fail")
    assert not failed.ok and failed.state == "ALARM" and failed.status == "exception"
    assert failed.output == ["about to fail"]
    assert any("ValueError: nxsas test failure" in e for e in failed.errors)
    assert door.run("lsenv").ok  # the Door accepts macros again after ALARM


def test_output_capture_is_complete_and_ordered(sardana_system: SardanaSystem) -> None:
    n = 3000
    result = sardana_system.door.run("nxsas_test_burst", str(n))
    assert result.ok, result.errors
    assert result.output == [f"line {i}" for i in range(n)] + ["multi", "line", "record"]
    assert result.info == [f"info {i}" for i in range(0, n, 100)]
    assert result.warnings == [f"warning {i}" for i in range(0, n, 100)]
    small = sardana_system.door.run("lsdef")  # fewer lines than the Door's 512-line buffer
    assert small.ok and len(small.output) > 20
    assert list(sardana_system.door.proxy.read_attribute("Output").value) == small.output


def test_result_is_captured(sardana_system: SardanaSystem) -> None:
    result = sardana_system.door.run("nxsas_test_result 2.25")
    assert result.ok and float(result.result) == 4.5


def _tcp_listeners_from_ss(pid: int) -> set[tuple[str, int]]:
    ss = shutil.which("ss")
    if ss is None:
        return set()
    out = subprocess.run([ss, "-ltnpH"], capture_output=True, text=True, check=True).stdout
    found = set()
    for line in out.splitlines():
        if f"pid={pid}," in line:
            host, _, port = line.split()[3].rpartition(":")
            found.add((host.strip("[]"), int(port)))
    return found


def test_servers_listen_on_loopback_only(sardana_system: SardanaSystem) -> None:
    for pid in (sardana_system.db.pid, sardana_system.server.pid):
        assert pid is not None
        listening = listening_addresses(pid)
        assert len(listening) >= 2, listening  # CORBA + ZMQ event/heartbeat
        assert {host for host, _ in listening} == {LOOPBACK}, listening
        if shutil.which("ss"):  # same picture from ss
            assert _tcp_listeners_from_ss(pid) == set(listening)
    assert (LOOPBACK, sardana_system.db.port) in listening_addresses(sardana_system.db.pid)


@pytest.fixture
def decoy(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A process whose command line looks like a Tango database: must survive teardown."""
    fake = tmp_path / "tango.databaseds.database"
    fake.write_text("import time\ntime.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, str(fake), "--port", "1", "2"])
    yield proc
    proc.kill()
    proc.wait()


def test_stop_kills_only_its_own_process(tmp_path: Path, decoy: subprocess.Popen[bytes]) -> None:
    db = TangoDatabase(tmp_path / "db")
    db.start()
    pid = db.pid
    assert pid is not None and db.database().get_server_list("*")
    db.stop()
    assert db.pid is None and not Path(f"/proc/{pid}").exists()
    assert decoy.poll() is None  # the look-alike is still running


def test_plugin_setup_writes_properties(sardana_system: SardanaSystem) -> None:
    db = sardana_system.db.database()
    for klass, name in (("Pool", "pool/nxsastest/1"), ("MacroServer", "macroserver/nxsastest/1")):
        info = tango.DbDevInfo()
        info._class, info.name, info.server = klass, name, "Sardana/nxsastest"
        db.add_device(info)
    db.put_device_alias("pool/nxsastest/1", "Pool_nxsastest")
    ours = {k: str(plugin_dir(k)) for k in ("macros", "recorders", "controllers")}
    db.put_device_property(
        "macroserver/nxsastest/1",
        {
            "PoolNames": ["Pool_nxsastest"],
            "MacroPath": [f"/opt/site/macros{os.pathsep}{ours['macros']}"],
        },
    )
    db.put_device_property("pool/nxsastest/1", {"PoolPath": ["/opt/site/ctrls"]})

    setup = setup_plugin_paths(db, "macroserver/nxsastest/1")
    expected = {
        "macroserver/nxsastest/1": {
            "MacroPath": [ours["macros"], "/opt/site/macros"],
            "RecorderPath": [ours["recorders"]],
        },
        "pool/nxsastest/1": {"PoolPath": [ours["controllers"], "/opt/site/ctrls"]},
    }
    assert setup.written == expected and setup.changed
    assert setup.servers == ["Sardana/nxsastest"] and "restart Sardana/nxsastest" in setup.note
    for device, props in expected.items():
        stored = db.get_device_property(device, list(props))
        assert {k: list(v) for k, v in stored.items()} == props
    again = setup_plugin_paths(db, "macroserver/nxsastest/1", pools=["Pool_nxsastest"])
    assert again.written == expected and not again.changed


def test_spock_profile_runs_a_macro(sardana_system: SardanaSystem) -> None:
    server = sardana_system.server
    profile = create_spock_profile(
        server.names.door, sardana_system.db.tango_host, sardana_system.workdir / "ipython"
    )
    assert (profile.profile_dir / "ipython_config.py").is_file()
    assert profile.command.startswith(f"TANGO_HOST={sardana_system.db.tango_host} IPYTHONDIR=")
    done = subprocess.run(
        f"{profile.command} -c 'senv NxsasSpockTest 42'",
        shell=True,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=sardana_system.workdir,
    )
    assert "NxsasSpockTest = 42" in done.stdout, done.stdout + done.stderr


def test_run_timeout_stops_the_macro(sardana_system: SardanaSystem, dummy_mg: str) -> None:
    door = sardana_system.door
    with pytest.raises(TimeoutError, match="still running"):
        door.run("ct", "10", dummy_mg, timeout=0.5)
    assert door.proxy.state() == tango.DevState.ON  # stopped, not left running
    assert door.run("ct", "0.05", dummy_mg).ok
