"""The panels as an operator uses them, against the simulated instrument through its Door."""

from __future__ import annotations

import h5py
import pytest
import tango
from taurus.external.qt import Qt

from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.writer import wait_written

WAIT_MS = 120_000  # an upper bound only: every wait ends as soon as its condition holds


def _report(qtbot, runner, action):
    """Do ``action`` and return the RunReport of the run it starts."""
    with qtbot.waitSignal(runner.finished, timeout=WAIT_MS) as blocker:
        action()
    return blocker.args[0]


def _status(path) -> str:
    with h5py.File(path, "r") as f:
        return f["entry/status"][()].decode()


def _fill(qtbot, panel, prefix: str, time: str, count: str, sample: str = "") -> None:
    panel.prefix.setCurrentText(prefix)
    panel.sample.setCurrentText(sample)
    for edit, text in ((panel.time, time), (panel.count, count)):
        edit.clear()
        qtbot.keyClicks(edit, text)


@pytest.fixture
def panels(qtbot, ctx):
    from nxsas_gui_exposure import ExposurePanel
    from nxsas_gui_fsn import FsnPanel

    exposure, fsn = ExposurePanel(ctx=ctx), FsnPanel(ctx=ctx)
    qtbot.addWidget(exposure)
    qtbot.addWidget(fsn)
    return exposure, fsn


def test_start_runs_expose_and_the_fsn_indicator_follows(qtbot, ctx, panels, simulated):
    exposure, fsn = panels
    root = DataRoot(simulated.data_root)
    last_before = fsn.value("tst")[0]
    first = 1 if last_before == "-" else int(last_before) + 1
    _fill(qtbot, exposure, "tst", "0.2", "2")
    assert exposure.start_button.isEnabled(), exposure.reason.text()
    report = _report(
        qtbot, ctx.runner, lambda: qtbot.mouseClick(exposure.start_button, Qt.Qt.LeftButton)
    )
    assert report.ok, report.message
    assert wait_written(root, timeout=60)
    for fsn_number in (first, first + 1):
        assert _status(root.nxs_path("tst", fsn_number)) == "complete"
        assert root.cbf_path("tst", fsn_number).exists()
    assert f"tst_{first + 1:05d}.nxs" in exposure.summary.text()
    assert exposure.bar.value() == 100
    qtbot.waitUntil(lambda: fsn.value("tst") == (str(first + 1), str(first + 2)), timeout=WAIT_MS)


def test_stop_during_an_exposure_aborts_it(qtbot, ctx, panels, simulated):
    exposure, _ = panels
    root = DataRoot(simulated.data_root)
    _fill(qtbot, exposure, "tst", "60", "1")
    door = tango.DeviceProxy(ctx.full_door)
    with qtbot.waitSignal(ctx.runner.finished, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(exposure.start_button, Qt.Qt.LeftButton)
        # counting: the Door runs expose and the session names the open file
        qtbot.waitUntil(lambda: door.state() == tango.DevState.RUNNING, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: ctx.runner.busy and _open_file(root) is not None, timeout=WAIT_MS)
        path = _open_file(root)
        assert exposure.stop_button.isEnabled()
        qtbot.mouseClick(exposure.stop_button, Qt.Qt.LeftButton)
    report = blocker.args[0]
    assert not report.ok and report.stopped, report
    assert wait_written(root, timeout=60)
    assert _status(path) == "aborted"
    assert exposure.message.text().startswith("stopped")
    assert exposure.start_button.isEnabled()


def _open_file(root: DataRoot):
    """The newest tst file while it is still running, else None."""
    last = sorted(root.fsns_on_disk("tst"))
    if not last:
        return None
    path = root.nxs_path("tst", last[-1])
    try:
        return path if _status(path) == "running" else None
    except (OSError, KeyError):
        return None


def test_a_sample_edited_in_the_table_is_in_the_next_file(qtbot, ctx, panels, simulated):
    from nxsas_gui_samples import SamplesPanel

    exposure, _ = panels
    samples = SamplesPanel(ctx=ctx)
    qtbot.addWidget(samples)
    root = DataRoot(simulated.data_root)
    name = "GUI glassy carbon"
    samples.new_name.setText(name)
    report = _report(
        qtbot, ctx.runner, lambda: qtbot.mouseClick(samples.add_button, Qt.Qt.LeftButton)
    )
    assert report.ok, report.message
    row = [s.name for s in samples.samples].index(name)
    thickness = samples.table.item(row, 2)
    report = _report(qtbot, ctx.runner, lambda: thickness.setText("0.123"))
    assert report.ok, report.message
    assert samples.samples[row].thickness == pytest.approx(0.123)
    exposure.reload_samples()
    _fill(qtbot, exposure, "tst", "0.1", "1", sample=name)
    report = _report(
        qtbot, ctx.runner, lambda: qtbot.mouseClick(exposure.start_button, Qt.Qt.LeftButton)
    )
    assert report.ok, report.message
    assert wait_written(root, timeout=60)
    newest = root.nxs_path("tst", max(root.fsns_on_disk("tst")))
    with h5py.File(newest, "r") as f:
        sample = f["entry/raw/sample"]
        assert sample["name"][()].decode() == name
        assert sample["thickness"][()] == pytest.approx(0.123)
        assert f["entry/title"][()].decode() == name


def test_a_refused_sample_value_is_shown_and_not_sent(qtbot, ctx):
    from nxsas_gui_samples import SamplesPanel

    samples = SamplesPanel(ctx=ctx)
    qtbot.addWidget(samples)
    name = "GUI refused value"  # a sample of its own: the test runs alone or in any order
    if name not in [s.name for s in samples.samples]:
        samples.new_name.setText(name)
        report = _report(
            qtbot, ctx.runner, lambda: qtbot.mouseClick(samples.add_button, Qt.Qt.LeftButton)
        )
        assert report.ok, report.message
    row = [s.name for s in samples.samples].index(name)
    thickness = samples.samples[row].thickness
    started = []
    ctx.runner.started.connect(started.append)
    try:
        samples.table.item(row, 2).setText("-3")
        assert "thickness" in samples.message.text() and "positive" in samples.message.text()
        assert not started
    finally:
        ctx.runner.started.disconnect(started.append)
    assert samples.samples[row].thickness == thickness  # the table shows the registry again
    assert samples.table.item(row, 2).text() != "-3"


@pytest.mark.parametrize(
    ("time", "count", "reason"),
    [
        ("", "1", "give the exposure time"),
        ("abc", "1", "'abc' is not a number"),
        ("0", "1", "positive number of seconds"),
        ("1", "-2", "must be at least 1"),
        ("1", "", "give the number of images"),
    ],
)
def test_bad_input_keeps_start_disabled_with_the_reason(qtbot, panels, time, count, reason):
    exposure, _ = panels
    _fill(qtbot, exposure, "tst", time, count)
    assert not exposure.start_button.isEnabled()
    assert reason in exposure.reason.text()
    exposure.time.setText("1")
    exposure.count.setText("1")
    assert exposure.start_button.isEnabled()
    assert exposure.reason.text() == ""


def test_a_busy_door_gives_a_clear_message(qtbot, ctx, panels, simulated):
    exposure, _ = panels
    _fill(qtbot, exposure, "tst", "0.1", "1")
    simulated.door.start("expose 3 1 tst")  # another client (spock) is exposing
    try:
        door = tango.DeviceProxy(ctx.full_door)
        qtbot.waitUntil(lambda: door.state() == tango.DevState.RUNNING, timeout=WAIT_MS)
        report = _report(
            qtbot, ctx.runner, lambda: qtbot.mouseClick(exposure.start_button, Qt.Qt.LeftButton)
        )
    finally:
        assert simulated.door.wait(120).ok
    assert not report.ok
    assert "busy" in report.message
    assert "busy" in exposure.message.text()
    assert exposure.start_button.isEnabled()  # the window goes on


def test_a_door_that_is_gone_gives_a_clear_message(qtbot, ctx):
    from nxsas_gui_context import GuiContext
    from nxsas_gui_exposure import ExposurePanel

    gone = GuiContext(door="door/nosuch/1", tango_host=ctx.tango_host, data_root=ctx.data_root)
    panel = ExposurePanel(ctx=gone)
    qtbot.addWidget(panel)
    _fill(qtbot, panel, "tst", "0.1", "1")
    report = _report(
        qtbot, gone.runner, lambda: qtbot.mouseClick(panel.start_button, Qt.Qt.LeftButton)
    )
    assert not report.ok
    assert "cannot reach the Door door/nosuch/1" in panel.message.text()
    assert panel.start_button.isEnabled()
