"""The Last image and Exposures panels, and the whole TaurusGui, on files the Door made."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.writer import wait_written

WAIT_MS = 120_000


@pytest.fixture(scope="module")
def exposed(gui_context, simulated):
    """Two exposures of a titled sample, taken through the Door as spock would."""
    door = simulated.door
    for line in (
        "nxssample add GUI_AgBeh title 'GUI silver behenate' project P-GUI x 0 y 0",
        "nxssample use GUI_AgBeh",
        "expose 0.1 2 crd",
        "nxssample use -",
    ):
        result = door.run(line)
        assert result.ok, result.errors
    root = DataRoot(simulated.data_root)
    assert wait_written(root, timeout=60)
    return root, max(root.fsns_on_disk("crd"))


def test_last_image_shows_the_newest_frame_with_the_beam_centre(qtbot, ctx, exposed):
    from nxsas_gui_image import LastImagePanel

    root, last = exposed
    panel = LastImagePanel(ctx=ctx)
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: panel.path == root.nxs_path("crd", last), timeout=WAIT_MS)
    assert panel.title.text().startswith(f"crd_{last:05d}  'GUI silver behenate'")
    image = panel.image_plot.getImage("frame")
    with h5py.File(root.nxs_path("crd", last), "r") as f:
        frame = f["entry/raw/instrument/detector/data"][()]
    assert image.getData(copy=False).shape == frame.shape
    marker = panel.image_plot._getMarker("beam")
    assert marker is not None and panel.shown.beam_x is not None
    assert marker.getXPosition() == pytest.approx(panel.shown.beam_x + 0.5)
    assert "not yet available" in panel.curve_note.text()


def test_last_image_shows_a_reduced_curve_once_there(qtbot, ctx, exposed):
    from nxsas_gui_image import LastImagePanel

    from sardana_nxsas.gui_model import read_last_image

    root, last = exposed
    path = root.nxs_path("crd", last)
    image = read_last_image(path)
    image.q, image.intensity, image.q_units = np.array([0.1, 1.0]), np.array([5.0, 1.0]), "1/nm"
    panel = LastImagePanel(ctx=ctx)
    qtbot.addWidget(panel)
    panel.timer.stop()
    panel.show_image(image)
    assert panel.curve_plot.getCurve(image.identifier) is not None
    assert "reduced curve of" in panel.curve_note.text()


def test_exposures_panel_finds_by_title_and_shows_metadata(qtbot, ctx, exposed, monkeypatch):
    import subprocess

    from nxsas_gui_catalog import ExposuresPanel

    root, last = exposed
    panel = ExposuresPanel(ctx=ctx)
    qtbot.addWidget(panel)
    panel.title.setText("gui silver*")
    panel.project.setText("P-GUI")

    def found() -> bool:
        panel.search()  # the catalog row arrives shortly after the file
        return panel.table.rowCount() >= 2

    qtbot.waitUntil(found, timeout=WAIT_MS)
    assert panel.table.item(0, 0).text() == f"crd_{last:05d}"
    assert {panel.table.item(r, 1).text() for r in range(panel.table.rowCount())} == {
        "GUI silver behenate"
    }
    panel.table.selectRow(0)
    keys = [panel.details.verticalHeaderItem(r).text() for r in range(panel.details.rowCount())]
    assert "title" in keys and "project" in keys
    assert panel.selected_file() == str(root.nxs_path("crd", last))
    launched = []
    monkeypatch.setattr(subprocess, "Popen", lambda cmd, **kw: launched.append(cmd))
    panel.open_selected()
    assert launched and launched[0][-3:] == ["silx", "view", str(root.nxs_path("crd", last))]
    panel.since.setText("yesterday")
    panel.search()
    assert "is not a date" in panel.message.text()


def test_the_taurus_gui_opens_with_every_panel(qtbot, ctx, simulated):
    from nxsas_gui_launch import CONFIG
    from taurus.qt.qtgui.taurusgui import TaurusGui

    # Sardana's macro panels ask (a modal question) to set JsonRecorder unless it is set
    assert simulated.door.run("senv JsonRecorder True").ok
    gui = TaurusGui(confname=str(CONFIG))
    gui.SAVE_SETTINGS_ON_CLOSE = False  # else closing asks (a modal question)
    try:
        names = set(gui.getPanelNames())
        assert {"Exposure", "FSN", "Samples", "Last image", "Exposures"} <= names
        assert {"Macros", "Door output"} & names, names  # Sardana's own panels
        assert gui.getPanel("Exposure").widget().ctx is ctx
    finally:
        gui.close()
        gui.deleteLater()
