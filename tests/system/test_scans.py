"""Scans through the real Door write one NeXus file each (recorders/nxsas_scan_recorder.py)."""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
import tango
from silx.io.nxdata import get_default

from sardana_nxsas import env
from sardana_nxsas.catalog import Catalog, catalog_url
from sardana_nxsas.dataroot.cbf import read_cbf, sha256_file
from sardana_nxsas.dataroot.fsn import FsnCounter
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.nexus.scan.validate import validate_scan
from sardana_nxsas.simulation.holder import DEFAULT_HOLDER
from sardana_nxsas.system.simulated_instrument import (
    DETECTOR_CHANNEL,
    MEASUREMENT_GROUP,
    SimulatedInstrument,
)
from sardana_nxsas.writer import pending, wait_written
from sardana_nxsas.writer.scan_jobs import scan_stem

CBF_NAME = re.compile(r"scn_\d{5}\.cbf")


def run_ok(door, line: str):
    result = door.run(line)
    assert result.ok, f"{line}: {result.errors}"
    return result


def scan_file(result) -> Path:
    """The file the recorder names in its summary line."""
    (path,) = {m for line in result.output for m in re.findall(r"(\S+\.nxs)\s", line)}
    return Path(path)


def motor(simulated: SimulatedInstrument, name: str) -> float:
    proxy = tango.DeviceProxy(f"tango://{simulated.db.tango_host}/{name}")
    return proxy.read_attribute("Position").value


def catalog_rows(simulated: SimulatedInstrument, prefix: str) -> list[dict]:
    spool = simulated.data_root / "state" / "catalog-spool"
    deadline = time.monotonic() + 30
    while any(spool.glob("*.json")) and time.monotonic() < deadline:
        time.sleep(0.05)  # the MacroServer's catalog writer sends its rows
    with Catalog(catalog_url(simulated.data_root, None)) as catalog:
        return catalog.find(prefix=prefix)


def check_frames(path: Path, points: int) -> list[int]:
    """Every point has its frame, its own scn FSN and its CBF with the recorded SHA-256."""
    with h5py.File(path) as f:
        detector = f["entry/instrument/detector"]
        assert detector["data"].shape[0] == points
        fsns = list(detector["sequence_number"][()])
        names = detector["data_file/file_name"].asstr()[()]
        sums = detector["data_file/checksum"].asstr()[()]
        for index in (0, points - 1):
            cbf = path.parent / names[index]
            assert CBF_NAME.fullmatch(cbf.name) and cbf.name == f"scn_{fsns[index]:05d}.cbf"
            assert sha256_file(cbf) == sums[index]
            assert np.array_equal(read_cbf(cbf)[0], detector["data"][index])
    assert fsns == list(range(fsns[0], fsns[0] + points))
    return fsns


def test_ascan_across_the_beam_finds_the_sample_edge(simulated, door) -> None:
    first_fsn = FsnCounter(DataRoot(simulated.data_root)).next("scn")
    run_ok(door, f"mv samy {DEFAULT_HOLDER.slot('Glassy_Carbon').y}")  # other tests move it
    before = motor(simulated, "samx")
    result = run_ok(door, "ascan samx 16 21 20 0.1")
    path = scan_file(result)
    assert path.parent == simulated.data_root / "nexus" / "scn"
    assert re.fullmatch(r"scan_\d{5}\.nxs", path.name)
    assert any(str(path) in line for line in result.info)  # Sardana's "Operation will be saved in"
    report = validate_scan(path)
    assert report.ok, report.errors
    with h5py.File(path) as f:
        entry = f["entry"]
        assert entry["title"][()].decode().startswith("ascan samx 16")
        assert entry["status"][()] == b"complete" and "end_time" in entry
        # the metadata snapshot is taken as the scan starts, before the first move
        assert entry["instrument/positioners/samx/value"][()] == pytest.approx(before)
        plot = get_default(f)
        assert plot is not None and plot.is_valid
        assert plot.signal_dataset_name == "frame_sum" and plot.axes_dataset_names == ["samx"]
        x = entry["measurement/samx"][()]
        counts = entry["measurement/frame_sum"][()]
        assert entry["measurement/samx"].attrs["units"] == "mm"
        assert entry["frames/data"].attrs["interpretation"] == "image"
    # Glassy_Carbon sits at x = 20 with a radius of 1.5 mm: the edge is at 18.5, found to
    # within the step (0.25 mm; a point right on the edge may fall either side)
    inside = counts > 0.5 * counts.max()
    edge = x[np.argmax(inside)]
    assert 18.25 <= edge <= 18.75 and not inside[:9].any() and inside[11:].all()
    assert counts[inside].min() > 100 * max(counts[~inside].max(), 1)
    fsns = check_frames(path, 21)
    assert fsns[0] == first_fsn
    (scan,) = [r for r in catalog_rows(simulated, "scan") if r["nxs_path"].endswith(path.name)]
    assert scan["status"] == "done" and scan["category"] == "scan"
    assert scan["header"]["points"] == 21
    points = {r["fsn"]: r for r in catalog_rows(simulated, "scn")}
    assert all(points[fsn]["nxs_path"] == scan["nxs_path"] for fsn in fsns)
    assert points[fsns[9]]["header"]["point"] == 9


@pytest.fixture
def value_referencing_off(simulated, door):
    """The 2D channel hands the scan arrays (no file of its own) during the test."""
    run_ok(door, f"set_meas_conf ValueRefEnabled False [ {DETECTOR_CHANNEL} ] {MEASUREMENT_GROUP}")
    yield
    run_ok(door, f"set_meas_conf ValueRefEnabled True [ {DETECTOR_CHANNEL} ] {MEASUREMENT_GROUP}")


def test_frames_as_arrays_are_written_as_cbf(simulated, door, value_referencing_off) -> None:
    run_ok(door, "mv samx 20 samy 0")
    result = run_ok(door, "dscan samy -0.5 0.5 3 0.05")
    path = scan_file(result)
    assert validate_scan(path).ok
    check_frames(path, 4)
    with h5py.File(path) as f:
        assert f["entry/plot"].attrs["signal"] == "frame_sum"
        assert list(f["entry/plot"].attrs["axes"]) == ["samy"]
        assert min(f["entry/measurement/frame_sum"][()]) > 1000  # glassy carbon all along
    assert motor(simulated, "samy") == pytest.approx(0.0)  # dscan went back


def test_mesh_gives_a_two_axis_plot(simulated, door) -> None:
    path = scan_file(run_ok(door, "mesh samx 18 22 4 samy -1 1 2 0.05 True"))
    assert validate_scan(path).ok
    with h5py.File(path) as f:
        plot = f["entry/plot"]
        assert list(plot.attrs["axes"]) == ["samy", "samx"]
        assert plot.attrs["samy_indices"] == 0 and plot.attrs["samx_indices"] == 1
        grid = plot["frame_sum"][()]
        assert grid.shape == (3, 5)
        assert list(plot["samx"][()]) == [18, 19, 20, 21, 22] and list(plot["samy"][()]) == [
            -1,
            0,
            1,
        ]
        measured = f["entry/measurement/frame_sum"][()]
        assert sorted(grid.ravel()) == sorted(measured)  # every point in its cell
        assert grid[1, 2] > 1000 and grid[0, 0] < 10  # (0, 20) in the sample, (-1, 18) not
        nxdata = get_default(f)
        assert nxdata.is_valid and nxdata.signal_is_2d
        assert nxdata.axes_dataset_names == ["samy", "samx"]


def test_timescan_has_a_frame_at_every_point(simulated, door) -> None:
    # a timescan triggers the detector by software every integration + latency time; a
    # trigger that finds the previous frame still being made is skipped by Sardana
    path = scan_file(run_ok(door, "timescan 3 0.1"))  # Sardana's timescan: 3 points
    report = validate_scan(path)
    assert report.ok, report.errors
    with h5py.File(path) as f:
        assert f["entry/measurement/point_nb"].shape == (3,)
        assert list(f["entry/plot"].attrs["axes"]) == ["timestamp"]
    check_frames(path, 3)


def test_stop_mid_scan_leaves_a_closed_file_marked_stopped(simulated, door) -> None:
    frames = simulated.data_root / "images" / "scn"
    before = len(list(frames.glob("scn_*.cbf")))
    door.start("ascan samx 16 24 30 0.2")
    deadline = time.monotonic() + 60
    while len(list(frames.glob("scn_*.cbf"))) < before + 3:  # three points are recorded
        assert time.monotonic() < deadline, "the scan recorded no points"
        time.sleep(0.05)
    door.stop()
    result = door.wait(timeout=60)
    assert not result.ok
    assert wait_written(DataRoot(simulated.data_root))  # the writer finishes the file
    (path,) = {Path(m) for line in result.info for m in re.findall(r"saved in (\S+\.nxs)", line)}
    report = validate_scan(path)  # opens: the recorder closed it
    assert report.status == "aborted"
    (status_error,) = report.errors
    assert re.search(r"scan stopped \(Ctrl-C\) after \d+ of 31 points", status_error)
    with h5py.File(path) as f:
        points = f["entry/measurement/point_nb"].shape[0]
        assert 3 <= points < 31
        assert f["entry/instrument/detector/data"].shape[0] == points
        assert get_default(f).is_valid
    check_frames(path, points)
    (scan,) = [r for r in catalog_rows(simulated, "scan") if r["nxs_path"].endswith(path.name)]
    assert scan["status"] == "aborted" and scan["header"]["points"] == points
    run_ok(door, "ascan samx 20 21 1 0.05")  # the next scan works


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("ScanDir", "/nonexistent/scans", "ScanDir /nonexistent/scans does not exist"),
        (env.SCAN_SIGNAL, "nope", f"{env.SCAN_SIGNAL} is 'nope', which this scan does not measure"),
    ],
)
def test_bad_input_is_refused_before_anything_moves(
    simulated, door, variable, value, message
) -> None:
    run_ok(door, "mv samx 5")
    run_ok(door, f"senv {variable} {value}")
    try:
        result = door.run("ascan samx 0 1 2 0.05")
    finally:
        if variable == "ScanDir":
            run_ok(door, f"senv ScanDir {simulated.data_root / 'nexus' / 'scn'}")
        else:
            run_ok(door, f"usenv {variable}")
    assert not result.ok
    assert any(message in line for line in result.errors), result.errors
    assert motor(simulated, "samx") == pytest.approx(5.0)  # nothing moved


def test_stock_recorders_keep_their_extensions(simulated, door, tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o777)
    run_ok(door, f"senv ScanDir {tmp_path}")
    run_ok(door, "senv ScanFile \"['scan_{ScanID:05d}.nxs', 'stock.h5']\"")
    try:
        result = run_ok(door, "ascan samx 19 20 1 0.05")
    finally:
        run_ok(door, f"senv ScanDir {simulated.data_root / 'nexus' / 'scn'}")
        run_ok(door, "senv ScanFile scan_{ScanID:05d}.nxs")
    ours = scan_file(result)
    assert ours.parent == tmp_path and validate_scan(ours).ok
    with h5py.File(tmp_path / "stock.h5") as f:  # Sardana's own NXscan recorder
        (entry,) = list(f)
        assert f[entry]["measurement"]["samx"].shape == (2,)


def test_newfile_sets_where_the_next_scan_goes(simulated, door, tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o777)
    run_ok(door, f"newfile [ {tmp_path}/align.nxs ] 41")  # Sardana's own macro
    try:
        result = run_ok(door, "ascan samx 19 20 1 0.05")
    finally:
        run_ok(door, f"senv ScanDir {simulated.data_root / 'nexus' / 'scn'}")
        run_ok(door, "senv ScanFile scan_{ScanID:05d}.nxs")
    path = scan_file(result)
    # a .nxs name without {ScanID} gets the scan's number: the next scan is 42
    assert path.parent == tmp_path and path.name == "align_00042.nxs"
    assert validate_scan(path).ok


def test_the_scan_file_is_written_by_the_writer_process(simulated, door) -> None:
    """The MacroServer never opens the scan file: with the writer frozen the scan returns,
    its frames have their scn names and its jobs wait on disk, in order; once the writer
    runs again it writes the whole file from them."""
    root = DataRoot(simulated.data_root)
    run_ok(door, "ascan samx 19 20 1 0.05")  # a writer is running
    writer = int((root.state_dir / "writer.pid").read_text())
    first_fsn = FsnCounter(root).next("scn")
    os.kill(writer, signal.SIGSTOP)
    try:
        result = door.unwritten.run("ascan samx 19 21 2 0.05")
        assert result.ok, result.errors
        path = scan_file(result)
        assert not path.exists()  # not even created: the writer does that
        jobs = [job.kind for job in pending(root) if job.stem == scan_stem(path)]
        assert jobs == ["scan-begin", *["scan-point"] * 3, "scan-end"]
        for fsn in range(first_fsn, first_fsn + 3):  # claimed on the macro's path
            assert root.cbf_path("scn", fsn).is_file()
    finally:
        os.kill(writer, signal.SIGCONT)
    assert wait_written(root)
    report = validate_scan(path)
    assert report.ok, report.errors
    assert check_frames(path, 3) == [first_fsn, first_fsn + 1, first_fsn + 2]
