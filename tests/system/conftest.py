"""One real Tango DB + Sardana on loopback for the whole test session.

Every test under tests/system is marked ``system``. The servers are started
once (about 7 s) and stopped by their PIDs at the end of the session.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.paths import plugin_dir
from sardana_nxsas.reducer import wait_reduced
from sardana_nxsas.system.door import DoorClient, MacroResult
from sardana_nxsas.system.sardana_server import SardanaServer
from sardana_nxsas.system.simulated_instrument import (
    SimulatedInstrument,
    start_simulated_instrument,
)
from sardana_nxsas.system.tangodb import TangoDatabase
from sardana_nxsas.writer import wait_written

# Macros only the launcher tests use; in a directory after ours in MacroPath.
TEST_MACROS = '''\
from sardana.macroserver.macro import Macro, Type


class nxsas_test_burst(Macro):
    """Output n numbered lines, one record each, with info/warning in between."""

    param_def = [["n", Type.Integer, 100, "number of lines"]]

    def run(self, n):
        for i in range(n):
            self.output("line %d", i)
            if i % 100 == 0:
                self.info("info %d", i)
                self.warning("warning %d", i)
        self.output("multi\\nline\\nrecord")


class nxsas_test_fail(Macro):
    """Print a line, then fail."""

    def run(self):
        self.output("about to fail")
        raise ValueError("nxsas test failure")


class nxsas_test_result(Macro):
    """Return a value through the Door's Result."""

    param_def = [["x", Type.Float, 1.5, "value"]]
    result_def = [["y", Type.Float, None, "twice x"]]

    def run(self, x):
        return 2 * x
'''


@dataclass
class SardanaSystem:
    db: TangoDatabase
    server: SardanaServer
    door: DoorClient
    workdir: Path


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.system)


@pytest.fixture(scope="session")
def sardana_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SardanaSystem]:
    workdir = tmp_path_factory.mktemp("sardana-system")
    test_macros = workdir / "test-macros"
    test_macros.mkdir()
    (test_macros / "nxsas_launcher_testmacros.py").write_text(TEST_MACROS)
    db = TangoDatabase(workdir)
    server = SardanaServer(
        db,
        workdir,
        pool_path=[plugin_dir("controllers")],
        macro_path=[plugin_dir("macros"), test_macros],
        recorder_path=[plugin_dir("recorders")],
    )
    try:
        db.start()
        server.start()
        yield SardanaSystem(db=db, server=server, door=server.door(), workdir=workdir)
    finally:
        server.stop()
        db.stop()


@pytest.fixture(scope="session")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatedInstrument]:
    """The demo's simulated instrument (Pilatus 300K) with a data root of its own."""
    base = tmp_path_factory.mktemp("simulated-instrument")
    with start_simulated_instrument(base / "work", base / "data", "pilatus300k") as instrument:
        yield instrument


class WrittenDoor:
    """A Door whose ``run`` returns once the writer (and the reducer) have done the file
    work the macro queued, so that a test reads complete files (``unwritten`` to see the moment
    the macro returns; the writer's own behaviour is tested in test_writer_system)."""

    def __init__(self, door: DoorClient, data_root: Path) -> None:
        self.unwritten, self._root = door, DataRoot(data_root)

    def run(self, *macro: str | list[str], **options: Any) -> MacroResult:
        result = self.unwritten.run(*macro, **options)
        if not wait_written(self._root, timeout=60):
            raise TimeoutError(f"the writer left jobs pending in {self._root.path}")
        if not wait_reduced(self._root, timeout=120):  # the reducer writes .dat files too
            raise TimeoutError(f"the reducer left jobs pending in {self._root.path}")
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.unwritten, name)


@pytest.fixture
def door(simulated: SimulatedInstrument) -> Iterator[WrittenDoor]:
    """The simulated instrument's Door, left without an open exposure after each test."""
    yield WrittenDoor(simulated.door, simulated.data_root)
    simulated.door.run("usenv NxsSession")  # a test that failed half-way must not leak its session
