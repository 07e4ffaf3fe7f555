"""Exposures from the real Door: nxsbegin / ct / nxsend, expose, lsfsn, Ctrl-C, bad input."""

from __future__ import annotations

import math
import re
import time
from datetime import datetime
from pathlib import Path

import h5py
import numpy as np
import pytest

from sardana_nxsas import env
from sardana_nxsas.dataroot.cbf import read_cbf
from sardana_nxsas.dataroot.claim import INCOMING
from sardana_nxsas.dataroot.fsn import FsnCounter
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.nexus.exposure.validate import validate_exposure
from sardana_nxsas.system.door import DoorClient
from sardana_nxsas.system.simulated_instrument import SimulatedInstrument, move_to_slot_macro
from sardana_nxsas.writer import wait_written


def root(simulated: SimulatedInstrument) -> DataRoot:
    return DataRoot(simulated.data_root)


def next_fsn(simulated: SimulatedInstrument, prefix: str) -> int:
    return FsnCounter(root(simulated)).next(prefix)


def run_ok(door: DoorClient, line: str):
    result = door.run(line)
    assert result.ok, f"{line}: {result.errors}"
    return result


def test_three_step_exposure_writes_valid_cbf_and_nxs(simulated, door) -> None:
    fsn = next_fsn(simulated, "crd")
    run_ok(door, move_to_slot_macro("Glassy_Carbon"))
    opened = run_ok(door, "nxsbegin crd Glassy_Carbon")
    assert f"crd_{fsn:05d} open" in opened.text
    run_ok(door, "ct 0.3")
    summary = run_ok(door, "nxsend")
    nxs = root(simulated).nxs_path("crd", fsn)
    cbf = root(simulated).cbf_path("crd", fsn)
    assert str(nxs) in summary.text and "Glassy_Carbon" in summary.text and "0.3 s" in summary.text
    report = validate_exposure(nxs)
    assert report.ok, report.errors
    frame, header = read_cbf(cbf)
    assert header["exposure_time"] == pytest.approx(0.3)
    with h5py.File(nxs) as f:
        entry = f["entry"]
        assert entry["entry_identifier"][()].decode() == f"crd_{fsn:05d}"
        assert np.array_equal(entry["raw/instrument/detector/data"][()], frame)
        assert entry["raw/control/integral"][()] == pytest.approx(0.3, abs=0.05)
        assert entry["raw/counters/timer"][()] == pytest.approx(0.3, abs=0.05)
        assert frame[frame >= 0].sum() > 100  # glassy carbon scatters


def test_expose_series_takes_consecutive_fsns(simulated, door) -> None:
    first = next_fsn(simulated, "tst")
    result = run_ok(door, "expose 0.1 3 tst")
    fsns = [int(m) for m in re.findall(r"tst_(\d{5})\.nxs", result.text)]
    assert fsns == [first, first + 1, first + 2]
    for fsn in fsns:
        assert validate_exposure(root(simulated).nxs_path("tst", fsn)).ok
        # claimed: the detector's own name of the frame is gone
        assert root(simulated).cbf_path("tst", fsn).stat().st_nlink == 1
    assert not FsnCounter(root(simulated)).reservation_path("tst").exists()
    listing = run_ok(door, "lsfsn").text
    assert re.search(rf"tst\s+{first + 2}\s+{first + 3}", listing)


def end_time(path: Path) -> float:
    with h5py.File(path, "r") as f:
        return datetime.fromisoformat(f["entry/end_time"][()].decode()).timestamp()


@pytest.mark.parametrize(
    ("line", "yields"), [("expose 0.1 3 tst", True), ("expose 1 2 tst", False)]
)
def test_the_writer_yields_to_a_fast_series_only(simulated, door, line, yields) -> None:
    fsns = [int(m) for m in re.findall(r"tst_(\d{5})\.nxs", run_ok(door, line).text)]
    files = [root(simulated).nxs_path("tst", fsn) for fsn in fsns]
    last_count_ended = end_time(files[-1])
    # a fast series' files are all written after its last count; a slow one's beside it
    assert (files[0].stat().st_mtime > last_count_ended) is yields


def test_stock_ct_outside_a_session_makes_no_exposure(simulated, door) -> None:
    def exposures() -> list[Path]:
        return sorted(p for p in simulated.data_root.rglob("*.*") if INCOMING not in p.parts)

    before, counters = exposures(), FsnCounter(root(simulated)).summary()
    incoming = set((simulated.data_root / "images" / INCOMING).glob("*.cbf"))
    result = run_ok(door, "ct 0.1")
    assert re.search(r"pilatus\s+=\s+file://", result.text)  # the detector saved its frame
    assert exposures() == before and FsnCounter(root(simulated)).summary() == counters
    # the frame stays in the incoming folder, claimed by no exposure
    assert len(set((simulated.data_root / "images" / INCOMING).glob("*.cbf")) - incoming) == 1


def test_agbeh_ring_lands_where_physics_puts_it(simulated, door) -> None:
    fsn = next_fsn(simulated, "crd")
    run_ok(door, move_to_slot_macro("AgBeh"))
    run_ok(door, "nxsbegin crd AgBeh")
    run_ok(door, "ct 1")
    run_ok(door, "nxsend")
    with h5py.File(root(simulated).nxs_path("crd", fsn)) as f:
        det = f["entry/raw/instrument/detector"]
        frame = det["data"][()].astype(float)
        pixel = det["x_pixel_size"][()]
        col0 = det["beam_center_x"][()] / pixel - 0.5
        row0 = det["beam_center_y"][()] / pixel - 0.5
        distance = det["distance"][()]
        wavelength = f["entry/raw/instrument/monochromator/wavelength"][()]
    rows, cols = np.indices(frame.shape)
    radius = np.hypot(rows - row0, cols - col0).astype(int)
    good = frame >= 0
    profile = np.bincount(radius[good], frame[good]) / np.maximum(np.bincount(radius[good]), 1)
    q1 = 2 * math.pi / 5.838  # silver behenate, first order, 1/nm
    two_theta = 2 * math.asin(q1 * wavelength / (4 * math.pi))
    expected = distance * math.tan(two_theta) / pixel
    window = slice(int(expected) - 8, int(expected) + 9)
    peak = window.start + int(np.argmax(profile[window]))
    assert abs(peak - expected) <= 2, (peak, expected)
    assert profile[peak] > 3 * np.median(profile[int(expected) + 15 : int(expected) + 40])


@pytest.mark.parametrize("how", ["stop", "abort"])
def test_interrupted_ct_leaves_an_aborted_file_and_no_session(simulated, door, how) -> None:
    fsn = next_fsn(simulated, "crd")
    run_ok(door, "nxsbegin crd interrupted")
    door.start("ct", "5")
    door.wait_for_output(":", timeout=5)  # ct prints the date when counting starts
    time.sleep(0.5)
    getattr(door, how)()
    result = door.wait(timeout=20)
    assert not result.ok
    assert wait_written(root(simulated))
    with h5py.File(root(simulated).nxs_path("crd", fsn)) as f:
        assert f["entry/status"][()] == b"aborted"
        assert "during counting" in f["entry/status"].attrs["reason"]
        assert "end_time" in f["entry"]
        assert f["entry/raw/control/preset"][()] == 5  # what was asked
        assert 0.3 < f["entry/raw/control/integral"][()] < 4  # what was counted before the stop
        # the metadata taken while counting, and the motors read again after the stop
        assert f["entry/raw/instrument/name"][()]
        assert len(f["entry/raw/instrument/positioners/samx/value_log/value"]) == 2
    assert validate_exposure(root(simulated).nxs_path("crd", fsn)).status == "aborted"
    no_session = door.run("nxsend")
    assert not no_session.ok and any("no exposure is open" in e for e in no_session.errors)
    after = run_ok(door, "expose 0.1")
    assert f"crd_{fsn + 1:05d}" in after.text
    assert validate_exposure(root(simulated).nxs_path("crd", fsn + 1)).ok


@pytest.mark.parametrize("how", ["stop", "abort"])
def test_interrupted_expose_leaves_an_aborted_file_and_goes_no_further(
    simulated, door, how
) -> None:
    fsn = next_fsn(simulated, "crd")
    door.start("expose", "5", "3", "crd")  # counts without a ct sub-macro
    time.sleep(1.5)
    getattr(door, how)()
    result = door.wait(timeout=20)
    assert not result.ok
    assert wait_written(root(simulated))
    with h5py.File(root(simulated).nxs_path("crd", fsn)) as f:
        assert f["entry/status"][()] == b"aborted"
        assert 0.8 < f["entry/raw/control/integral"][()] < 4.5
        assert len(f["entry/raw/instrument/positioners/samx/value_log/value"]) == 2
    assert not root(simulated).nxs_path("crd", fsn + 1).exists()  # the series stopped
    # the numbers the series had reserved went back
    assert not FsnCounter(root(simulated)).reservation_path("crd").exists()
    assert next_fsn(simulated, "crd") == fsn + 1
    no_session = door.run("nxsend")
    assert not no_session.ok and any("no exposure is open" in e for e in no_session.errors)


def one_line_error(result) -> str:
    assert not result.ok
    text = " ".join(result.errors)
    return text


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("nxsbegin xyz", "unknown prefix 'xyz'"),
        ("nxsbegin ../crd", "invalid prefix"),
        ("nxsend", "no exposure is open"),
        ("expose 0", "positive finite"),
        ("expose -1", "positive finite"),
        ("expose nan", "positive finite"),
        ("expose inf", "positive finite"),
        ("expose 0.1 0", "at least 1"),
    ],
)
def test_bad_input_is_one_clear_line_and_consumes_nothing(simulated, door, line, message) -> None:
    before = {p: next_fsn(simulated, p) for p in ("crd", "tst")}
    result = door.run(line)
    assert message in one_line_error(result)
    assert {p: next_fsn(simulated, p) for p in ("crd", "tst")} == before


def test_nxsbegin_inside_a_session_and_bad_ct_time(simulated, door) -> None:
    run_ok(door, "nxsbegin tst first")
    try:
        assert "still open" in one_line_error(door.run("nxsbegin tst second"))
        assert "positive finite" in one_line_error(door.run("ct -1"))
    finally:
        run_ok(door, "ct 0.1")
        run_ok(door, "nxsend")


def test_file_already_at_the_allocated_name_is_skipped(simulated, door) -> None:
    fsn = next_fsn(simulated, "tst")
    squatter = root(simulated).nxs_path("tst", fsn)
    squatter.parent.mkdir(parents=True, exist_ok=True)
    squatter.write_bytes(b"somebody else's file")
    result = run_ok(door, "expose 0.1 1 tst")
    assert squatter.read_bytes() == b"somebody else's file"
    assert any(str(fsn) in w for w in result.warnings)
    assert f"tst_{fsn + 1:05d}" in result.text


def test_bad_configuration_is_reported(simulated, door, tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    try:
        run_ok(door, f"senv {env.DATA_ROOT} {tmp_path / 'missing'}")
        assert "does not exist" in one_line_error(door.run("nxsbegin crd"))
        run_ok(door, f"senv {env.DATA_ROOT} {not_a_dir}")
        assert "not a directory" in one_line_error(door.run("nxsbegin crd"))
    finally:
        run_ok(door, f"senv {env.DATA_ROOT} {simulated.data_root}")
    try:
        run_ok(door, "defmeas mg_no_image timer")
        run_ok(door, "senv ActiveMntGrp mg_no_image")
        assert "2D channel" in one_line_error(door.run("nxsbegin crd"))
    finally:
        run_ok(door, "senv ActiveMntGrp mg_saxs")


def test_a_channel_without_value_referencing_gets_its_cbf_written_by_us(simulated, door) -> None:
    plain = simulated.workdir / "plain-detector.toml"
    plain.write_text(simulated.instrument_file.read_text().replace('"pilatus"', '"plain2d"'))
    run_ok(door, "defctrl BasicDummyTwoDController plainctrl")
    run_ok(door, "defelem plain2d plainctrl 1")
    run_ok(door, "defmeas mg_plain timer plain2d")
    fsn = next_fsn(simulated, "tst")
    try:
        run_ok(door, "senv ActiveMntGrp mg_plain")
        run_ok(door, f"senv {env.INSTRUMENT_FILE} {plain}")
        run_ok(door, "expose 1 1 tst")  # the dummy image peaks at (time * 1.0)**2
    finally:
        run_ok(door, "senv ActiveMntGrp mg_saxs")
        run_ok(door, f"senv {env.INSTRUMENT_FILE} {simulated.instrument_file}")
    report = validate_exposure(root(simulated).nxs_path("tst", fsn))
    assert report.ok, report.errors
    frame, header = read_cbf(root(simulated).cbf_path("tst", fsn))
    assert frame.shape == (1024, 1024) and frame.max() > 0
    assert header["exposure_time"] == pytest.approx(1)


def test_one_frame_per_exposure(simulated, door) -> None:
    fsn = next_fsn(simulated, "tst")
    run_ok(door, "nxsbegin tst twice")
    run_ok(door, "ct 0.1")
    second = door.run("ct 0.1")
    assert "already has its frame" in one_line_error(second)
    run_ok(door, "nxsend")
    assert validate_exposure(root(simulated).nxs_path("tst", fsn)).ok


def test_a_failed_nxsend_keeps_the_exposure_open_for_a_retry(simulated, door) -> None:
    fsn = next_fsn(simulated, "tst")
    run_ok(door, "nxsbegin tst retry")
    run_ok(door, "ct 0.1")
    try:
        run_ok(door, f"senv {env.COMPRESSION} zip")
        assert env.COMPRESSION in one_line_error(door.run("nxsend"))
    finally:
        run_ok(door, f"senv {env.COMPRESSION} gzip")
    run_ok(door, "nxsend")
    assert validate_exposure(root(simulated).nxs_path("tst", fsn)).ok
    with h5py.File(root(simulated).nxs_path("tst", fsn)) as f:
        assert f["entry/raw/counters/timer"].attrs["units"] == "s"
