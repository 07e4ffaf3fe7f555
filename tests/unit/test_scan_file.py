"""The scan file as the recorder's core writes it, without Sardana."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
from silx.io.nxdata import get_default

from sardana_nxsas import env
from sardana_nxsas.acquisition.frames import cbf_header
from sardana_nxsas.acquisition.scan import ScanPoint, ScanRecording, ScanSetup
from sardana_nxsas.acquisition.scan_setup import check_scan_target, plot_layout, scan_file_path
from sardana_nxsas.acquisition.settings import Settings
from sardana_nxsas.catalog import Catalog, catalog_url, shared_writer
from sardana_nxsas.dataroot.cbf import read_cbf, write_cbf
from sardana_nxsas.dataroot.fsn import FsnCounter
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.description import load_instrument
from sardana_nxsas.errors import ConfigError, FileExistsNxsError
from sardana_nxsas.nexus.scan.plot import Grid
from sardana_nxsas.nexus.scan.validate import validate_scan

SHAPE = (40, 30)


@pytest.fixture
def settings(data_root: Path, instrument_file: Path) -> Settings:
    return Settings(DataRoot(data_root), instrument_file)


def scan_dir(settings: Settings) -> Path:
    folder = settings.root.path / "nexus" / "scn"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def frame(level: float, seed: int = 0) -> np.ndarray:
    data = np.random.default_rng(seed).poisson(level, SHAPE).astype(np.float64)
    data[:, 10] = -1  # a module gap
    return data


def ascan(settings: Settings, number: int = 1, **extra) -> ScanSetup:
    return ScanSetup(
        number=number,
        title="ascan samx 16 21 5 0.1",
        path=scan_file_path(scan_dir(settings), f"scan_{number:05d}.nxs", number, True),
        motors=("samx",),
        counters=("timer",),
        timer="timer",
        detector=True,
        motor_units={"samx": "mm"},
        **extra,
    )


def run_points(rec: ScanRecording, positions: list[float], edge: float = 18.5) -> None:
    for index, x in enumerate(positions):
        level = 50.0 if x >= edge else 0.5
        rec.add(
            ScanPoint(index, {"samx": x}, {"timer": 0.1}, 0.2 * index, frame(level, index), 0.1)
        )


def test_ascan_file_plot_frames_and_catalog(settings: Settings) -> None:
    setup = ascan(settings)
    rec = ScanRecording(settings, setup)
    rec.begin()
    positions = [16.0, 17.0, 18.0, 19.0, 20.0, 21.0]
    run_points(rec, positions)
    summary = rec.end("complete")
    assert summary.points == 6 and summary.frames == (1, 6)
    assert "6 points" in summary.line() and "scn 1-6" in summary.line()
    path = setup.path
    assert path == settings.root.path / "nexus/scn/scan_00001.nxs"
    report = validate_scan(path)
    assert report.ok, report.errors
    with h5py.File(path) as f:
        entry = f["entry"]
        assert entry["title"][()] == b"ascan samx 16 21 5 0.1"
        assert entry["entry_identifier"][()] == b"scan_00001"
        assert entry["status"][()] == b"complete"
        assert list(entry["measurement/samx"][()]) == positions
        sums = entry["plot/frame_sum"][()]
        assert entry["plot"].attrs["signal"] == "frame_sum"
        assert list(entry["plot"].attrs["axes"]) == ["samx"]
        assert sums[3] > 10 * sums[2]  # the edge between 18 and 19
        stack = entry["instrument/detector/data"]
        assert stack.shape == (6, *SHAPE) and stack.compression == "gzip"
        assert list(entry["instrument/detector/sequence_number"][()]) == [1, 2, 3, 4, 5, 6]
        names = entry["instrument/detector/data_file/file_name"].asstr()[()]
        assert names[0] == "../../images/scn/scn_00001.cbf"
        cbf, header = read_cbf(path.parent / names[0])
        assert np.array_equal(cbf, stack[0]) and header["exposure_time"] == pytest.approx(0.1)
        assert entry["frames"].attrs["signal"] == "data"
    with h5py.File(path) as f:
        nxdata = get_default(f)
        assert nxdata is not None and nxdata.is_valid
        assert nxdata.signal_name == "frame_sum" and nxdata.axes_names == ["samx"]
    # the catalog: one row for the scan, one per frame
    assert shared_writer(settings.root).flush(10)
    with Catalog(catalog_url(settings.root.path, None)) as catalog:
        (scan,) = catalog.find(prefix="scan")
        points = catalog.find(prefix="scn")
    assert scan["fsn"] == 1 and scan["category"] == "scan" and scan["status"] == "done"
    assert scan["nxs_path"] == "nexus/scn/scan_00001.nxs"
    assert scan["header"]["points"] == 6 and scan["header"]["scn_last"] == 6
    assert [p["fsn"] for p in points] == [1, 2, 3, 4, 5, 6]
    assert points[3]["header"]["point"] == 3 and points[3]["header"]["scan_number"] == 1
    assert points[3]["cbf_path"] == "images/scn/scn_00004.cbf"
    assert points[3]["nxs_path"] == "nexus/scn/scan_00001.nxs"
    assert points[3]["total_counts"] == int(sums[3])


def test_frames_claimed_from_the_detector_files(settings: Settings) -> None:
    incoming = settings.root.path / "images" / ".incoming"
    incoming.mkdir(parents=True)
    header = cbf_header(
        load_instrument(settings.instrument_file), 0.1, __import__("datetime").datetime.now()
    )
    rec = ScanRecording(settings, ascan(settings))
    rec.begin()
    for index in range(3):
        detector_file = incoming / f"frame_{index:06d}.cbf"
        write_cbf(detector_file, frame(5.0, index), header)
        rec.add(
            ScanPoint(
                index, {"samx": float(index)}, {"timer": 0.1}, None, f"file://{detector_file}", 0.1
            )
        )
    rec.end("complete")
    assert not any(incoming.iterdir())  # every detector file got its scn name
    assert sorted(p.name for p in (settings.root.path / "images/scn").iterdir()) == [
        "scn_00001.cbf", "scn_00002.cbf", "scn_00003.cbf",
    ]  # fmt: skip
    assert validate_scan(rec.setup.path).ok


def test_mesh_is_a_two_axis_image(settings: Settings) -> None:
    grid = Grid("samx", (0.0, 1.0, 2.0), "samy", (0.0, 1.0), bidirectional=True)
    setup = ScanSetup(
        2, "mesh samx 0 2 2 samy 0 1 1 0.1 True", scan_dir(settings) / "scan_00002.nxs",
        ("samx", "samy"), ("timer", "diode"), "timer", False, None, {"samx": "mm", "samy": "mm"}, grid,
    )  # fmt: skip
    rec = ScanRecording(settings, setup)
    rec.begin()
    order = [(0, 0), (1, 0), (2, 0), (2, 1), (1, 1), (0, 1)]  # s-shaped
    for index, (x, y) in enumerate(order):
        rec.add(ScanPoint(index, {"samx": x, "samy": y}, {"timer": 0.1, "diode": 10 * x + y}))
    rec.end("complete")
    assert validate_scan(setup.path).ok
    with h5py.File(setup.path) as f:
        plot = f["entry/plot"]
        assert plot.attrs["signal"] == "diode"
        assert list(plot.attrs["axes"]) == ["samy", "samx"]
        assert plot.attrs["samy_indices"] == 0 and plot.attrs["samx_indices"] == 1
        assert plot["diode"][()].tolist() == [[0, 10, 20], [1, 11, 21]]
        assert "frames" not in f["entry"]  # no detector, no image stack
        nxdata = get_default(f)
        assert nxdata.is_valid and nxdata.signal_is_2d
        assert nxdata.axes_dataset_names == ["samy", "samx"]


def test_a_stopped_scan_keeps_its_points_and_says_so(settings: Settings) -> None:
    rec = ScanRecording(settings, ascan(settings, 3))
    rec.begin()
    run_points(rec, [16.0, 17.0])
    summary = rec.end("aborted", "scan stopped (Ctrl-C) after 2 of 6 points")
    assert summary.status == "aborted" and "[ABORTED]" in summary.line()
    report = validate_scan(rec.setup.path)
    assert report.status == "aborted" and report.errors == [
        "scan status is aborted: scan stopped (Ctrl-C) after 2 of 6 points"
    ]
    with h5py.File(rec.setup.path) as f:
        assert f["entry/instrument/detector/data"].shape[0] == 2
        assert get_default(f).is_valid


def test_signal_choice(settings: Settings) -> None:
    assert plot_layout(ascan(settings)).signal == "frame_sum"
    setup = ScanSetup(1, "t", Path("x.nxs"), ("samx",), ("timer", "diode"), "timer", True)
    assert plot_layout(setup).signal == "diode"
    assert plot_layout(setup).auxiliary == ("frame_sum",)
    chosen = ScanSetup(1, "t", Path("x.nxs"), ("samx",), ("timer", "diode"), "timer", True, "timer")
    assert plot_layout(chosen).signal == "timer"
    bad = ScanSetup(1, "t", Path("x.nxs"), ("samx",), ("timer",), "timer", True, "nope")
    with pytest.raises(ConfigError, match=f"{env.SCAN_SIGNAL} is 'nope'.*frame_sum, timer"):
        plot_layout(bad)
    timescan = ScanSetup(1, "timescan 3 0.1", Path("x.nxs"), (), ("timer",), "timer", True)
    assert plot_layout(timescan).axes == ("timestamp",)


def test_scan_file_names(tmp_path: Path) -> None:
    assert scan_file_path(tmp_path, "scan_00007.nxs", 7, True) == tmp_path / "scan_00007.nxs"
    assert scan_file_path(tmp_path, "align.nxs", 7, False) == tmp_path / "align_00007.nxs"


def test_bad_scan_dir_and_names_are_refused(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"ScanDir .*/nope does not exist: create it"):
        check_scan_target(tmp_path / "nope" / "scan_00001.nxs", settings)
    plain = tmp_path / "plain"
    plain.write_text("")
    with pytest.raises(ConfigError, match="is not a directory"):
        check_scan_target(plain / "scan_00001.nxs", settings)
    with pytest.raises(ConfigError, match="would look like an exposure of prefix 'scn'"):
        check_scan_target(scan_dir(settings) / "scn_00001.nxs", settings)
    rec = ScanRecording(settings, ascan(settings, 5))
    rec.begin()
    rec.end("complete")
    with pytest.raises(FileExistsNxsError, match="never overwrites a scan file"):
        ScanRecording(settings, ascan(settings, 5)).begin()
    # a failed start costs no FSN
    assert FsnCounter(settings.root).last("scn") is None
