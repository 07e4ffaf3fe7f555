"""The GUI panels against a real Tango DB + Sardana on loopback, Qt offscreen.

Every test here is marked ``gui`` and ``system``. The simulated instrument is
started once for these tests (as tests/system does) and stopped by its PIDs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import pytest  # noqa: E402

from sardana_nxsas.paths import plugin_dir  # noqa: E402
from sardana_nxsas.system.simulated_instrument import (  # noqa: E402
    SimulatedInstrument,
    start_simulated_instrument,
)

if str(plugin_dir("taurusgui")) not in sys.path:
    sys.path.insert(0, str(plugin_dir("taurusgui")))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.gui)
            item.add_marker(pytest.mark.system)


@pytest.fixture(scope="session")
def qapp_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("gui-home")
    os.environ["HOME"] = str(home)  # Taurus/Qt settings go here, not into the real home
    os.environ.setdefault("XDG_RUNTIME_DIR", str(home))
    return home


@pytest.fixture(scope="session")
def qapp(qapp_home: Path):
    from taurus.qt.qtgui.application import TaurusApplication

    app = TaurusApplication.instance() or TaurusApplication(
        ["nxsas-gui-tests"], cmd_line_parser=None, app_name="nxsas-gui-tests"
    )
    yield app


@pytest.fixture(scope="session")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatedInstrument]:
    base = tmp_path_factory.mktemp("gui-instrument")
    with start_simulated_instrument(base / "work", base / "data", "pilatus300k") as instrument:
        yield instrument


@pytest.fixture(scope="session")
def gui_context(simulated: SimulatedInstrument, qapp):
    from nxsas_gui_context import GuiContext, set_context

    names = simulated.server.names
    # Sardana's own panels (macro executor, Door output) find the MacroServer through
    # the default Tango host, as in any Sardana GUI
    os.environ["TANGO_HOST"] = simulated.db.tango_host
    ctx = GuiContext(
        door=names.door,
        tango_host=simulated.db.tango_host,
        macroserver=names.macroserver,
        data_root=simulated.data_root,
    )
    ctx.read_environment()
    return set_context(ctx)


@pytest.fixture
def ctx(gui_context, simulated: SimulatedInstrument):
    """The shared GUI context; no exposure left open and the runner idle after each test."""
    yield gui_context
    simulated.door.run("usenv NxsSession")
