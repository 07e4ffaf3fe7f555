"""FSNs and open exposures survive a MacroServer that is killed or restarted."""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Iterator

import h5py
import numpy as np
import pytest

from sardana_nxsas.dataroot.cbf import read_cbf
from sardana_nxsas.dataroot.fsn import FsnCounter
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.nexus.exposure.validate import validate_exposure
from sardana_nxsas.system.simulated_instrument import (
    SimulatedInstrument,
    start_simulated_instrument,
)
from sardana_nxsas.writer import pending, wait_written


@pytest.fixture(scope="module")
def instrument(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatedInstrument]:
    base = tmp_path_factory.mktemp("crash")
    with start_simulated_instrument(base / "work", base / "data") as inst:
        yield inst


def test_sigkill_during_ct_then_restart(instrument: SimulatedInstrument) -> None:
    root = DataRoot(instrument.data_root)
    assert instrument.door.run("expose 0.1").ok
    killed = FsnCounter(root).next("crd")
    assert instrument.door.run("nxsbegin crd doomed").ok
    instrument.door.start("ct", "5")
    instrument.door.wait_for_output(":", timeout=5)
    os.kill(instrument.server.pid, signal.SIGKILL)
    time.sleep(0.2)
    instrument.restart_sardana()

    after = instrument.door.run("expose 0.1")
    assert after.ok, after.errors
    assert any(f"crd_{killed:05d} was left open" in w for w in after.warnings)
    assert f"crd_{killed + 1:05d}" in after.text  # the killed exposure's number is not reused
    assert wait_written(root)
    with h5py.File(root.nxs_path("crd", killed)) as f:  # closed and readable
        assert f["entry/status"][()] == b"failed"
        assert "MacroServer stopped" in f["entry/status"].attrs["reason"]
    assert validate_exposure(root.nxs_path("crd", killed + 1)).ok


def test_deleted_store_resumes_after_the_files(instrument: SimulatedInstrument) -> None:
    root = DataRoot(instrument.data_root)
    highest = root.highest_fsn_on_disk("crd")
    shutil.rmtree(root.state_dir / "fsn")
    result = instrument.door.run("expose 0.1")
    assert result.ok, result.errors
    assert f"crd_{highest + 1:05d}" in result.text


def test_clean_restart_continues_the_count(instrument: SimulatedInstrument) -> None:
    root = DataRoot(instrument.data_root)
    expected = FsnCounter(root).next("tst")
    instrument.restart_sardana()
    result = instrument.door.run("expose 0.1 1 tst")
    assert f"tst_{expected:05d}" in result.text


def test_nxsend_after_a_crash_closes_the_left_exposure_with_its_reason(
    instrument: SimulatedInstrument,
) -> None:
    root = DataRoot(instrument.data_root)
    left = FsnCounter(root).next("tst")
    assert instrument.door.run("nxsbegin tst left").ok
    assert instrument.door.run("ct 0.1").ok  # counted: the record is whole
    os.kill(instrument.server.pid, signal.SIGKILL)
    time.sleep(0.2)
    instrument.restart_sardana()
    result = instrument.door.run("nxsend")
    assert result.ok and any("was left open" in w for w in result.warnings)
    assert wait_written(root)
    with h5py.File(root.nxs_path("tst", left)) as f:
        assert f["entry/status"][()] == b"complete"
        assert "MacroServer stopped" in f["entry/status"].attrs["reason"]


def test_an_exposure_whose_macro_returned_survives_killing_everything(
    instrument: SimulatedInstrument,
) -> None:
    """The writer is frozen, the exposure returns, then the MacroServer and the writer are
    killed: the jobs on disk complete the file from the CBF after the restart."""
    root = DataRoot(instrument.data_root)
    assert instrument.door.run("expose 0.1").ok  # a writer is running
    assert wait_written(root)
    writer = int((root.state_dir / "writer.pid").read_text())
    os.kill(writer, signal.SIGSTOP)
    try:
        fsn = FsnCounter(root).next("crd")
        returned = instrument.door.run("expose 0.2")
        assert returned.ok, returned.errors
        assert [job.kind for job in pending(root)] == ["create", "complete"]
        os.kill(instrument.server.pid, signal.SIGKILL)
    finally:
        os.kill(writer, signal.SIGKILL)
    time.sleep(0.2)
    assert root.cbf_path("crd", fsn).exists()  # the frame was claimed before the macro returned
    instrument.restart_sardana()
    assert instrument.door.run("expose 0.1").ok  # its writer does the jobs left
    assert wait_written(root)
    report = validate_exposure(root.nxs_path("crd", fsn))
    assert report.ok, report.errors
    with h5py.File(root.nxs_path("crd", fsn)) as f:
        assert f["entry/status"][()] == b"complete"
        frame = f["entry/raw/instrument/detector/data"][()]
    assert np.array_equal(frame, read_cbf(root.cbf_path("crd", fsn))[0])
