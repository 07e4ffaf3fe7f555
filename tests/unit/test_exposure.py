"""nxsbegin / ct / nxsend as core steps, without Sardana."""

from pathlib import Path

import h5py
import numpy as np
import pytest

from sardana_nxsas.acquisition.exposure import (
    Session,
    begin_exposure,
    check_exposure_time,
    end_exposure,
    record_counts,
    require_session,
)
from sardana_nxsas.acquisition.settings import Settings
from sardana_nxsas.dataroot.cbf import read_cbf
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.errors import ConfigError, InvalidNameError, SessionError, UnknownPrefixError
from sardana_nxsas.nexus.exposure.validate import validate_exposure


@pytest.fixture
def settings(data_root: Path, instrument_file: Path) -> Settings:
    return Settings(DataRoot(data_root), instrument_file)


def frame() -> np.ndarray:
    return np.random.default_rng(3).poisson(2, (619, 487)).astype(np.int32)


def test_a_complete_exposure_from_an_array(settings: Settings) -> None:
    session, allocation = begin_exposure(settings, "crd", "Glassy_Carbon")
    assert allocation.fsn == 1 and session.identifier == "crd_00001"
    assert Path(session.nxs) == settings.root.path / "nexus/crd/crd_00001.nxs"
    session = Session.from_dict(session.to_dict())  # survives the trip through the environment
    record_counts(
        session, settings, count_time=2.0, monitor=2.0, counters={"timer": 2.0}, frame=frame()
    )
    cbf_frame, header = read_cbf(Path(session.cbf))
    assert np.array_equal(cbf_frame, frame())
    assert header["exposure_time"] == pytest.approx(2.0)
    assert header["beam_xy"] == pytest.approx((243.5, 309.25))
    summary = end_exposure(session, settings)
    assert summary.status == "complete"
    assert "writer" not in summary.line() and summary.line().endswith("2 s")
    with h5py.File(session.nxs, "r") as nxs:  # completed by the writer (inline here)
        assert nxs["entry/status"][()] == b"complete"
        assert np.array_equal(nxs["entry/raw/data/data"][()], frame())
    report = validate_exposure(Path(session.nxs))
    assert report.ok, report.errors


def test_each_prefix_counts_on_its_own(settings: Settings) -> None:
    numbers = [
        begin_exposure(settings, prefix, "t")[0].identifier for prefix in ("crd", "tst", "crd")
    ]
    assert numbers == ["crd_00001", "tst_00001", "crd_00002"]


def test_an_exposure_without_a_frame_is_marked_failed(settings: Settings) -> None:
    session, _ = begin_exposure(settings, "crd", "x")
    summary = end_exposure(session, settings)
    assert summary.status == "failed"
    report = validate_exposure(Path(session.nxs))
    assert not report.ok and report.status == "failed"


def test_aborted_keeps_what_was_measured(settings: Settings) -> None:
    session, _ = begin_exposure(settings, "crd", "x")
    session.count_time = 5.0
    summary = end_exposure(session, settings, status="aborted", reason="stopped by the operator")
    assert summary.status == "aborted"
    report = validate_exposure(Path(session.nxs))
    assert report.status == "aborted"
    assert any("stopped by the operator" in e for e in report.errors)


@pytest.mark.parametrize("value", [0, -1, float("nan"), float("inf")])
def test_bad_exposure_times(value: float) -> None:
    with pytest.raises(Exception, match="positive finite"):
        check_exposure_time(value)


def test_bad_input_consumes_no_fsn(settings: Settings) -> None:
    with pytest.raises(UnknownPrefixError):
        begin_exposure(settings, "xyz", "t")
    with pytest.raises(InvalidNameError):
        begin_exposure(settings, "../crd", "t")
    with pytest.raises(InvalidNameError):
        begin_exposure(settings, "crd", "bad\ntitle")
    session, _ = begin_exposure(settings, "crd", "ok")
    assert session.fsn == 1


def test_missing_data_root_is_a_config_error(tmp_path: Path, instrument_file: Path) -> None:
    settings = Settings(DataRoot(tmp_path / "missing"), instrument_file)
    with pytest.raises(ConfigError, match="does not exist"):
        begin_exposure(settings, "crd", "t")


def test_no_session() -> None:
    with pytest.raises(SessionError, match="nxsbegin"):
        require_session({})
