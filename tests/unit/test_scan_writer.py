"""A scan's file is written by the writer from durable jobs; the recording only queues them."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import h5py
import numpy as np
import pytest
from test_scan_file import ascan, frame, run_points
from test_writer import held_by_another_process

from sardana_nxsas.acquisition import scan as scan_module
from sardana_nxsas.acquisition.frames import cbf_header
from sardana_nxsas.acquisition.scan import ScanPoint, ScanRecording
from sardana_nxsas.acquisition.settings import Settings
from sardana_nxsas.cli.pending import pending_note
from sardana_nxsas.dataroot.cbf import write_cbf
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.description import load_instrument
from sardana_nxsas.description.model import Reading
from sardana_nxsas.errors import FileExistsNxsError
from sardana_nxsas.jobs.drain import MAX_ATTEMPTS
from sardana_nxsas.jobs.queue import Job
from sardana_nxsas.nexus.scan.plot import Grid, PlotLayout
from sardana_nxsas.nexus.scan.validate import validate_scan
from sardana_nxsas.writer import drain, pending
from sardana_nxsas.writer.scan import run_scan_job
from sardana_nxsas.writer.scan_jobs import (
    PointFrame,
    ScanBegin,
    ScanPointJob,
    plot_from_json,
    plot_to_json,
    scan_stem,
)


@pytest.fixture
def settings(data_root: Path, instrument_file: Path) -> Settings:
    return Settings(DataRoot(data_root), instrument_file)


def queued(settings: Settings, number: int = 1) -> ScanRecording:
    """A recording whose writer is never told: its jobs stay on disk."""
    return ScanRecording(settings, ascan(settings, number), wake=lambda: None)


def test_the_recording_queues_jobs_in_order_and_writes_no_hdf5(settings: Settings) -> None:
    rec = queued(settings)
    rec.begin()
    run_points(rec, [16.0, 17.0, 18.0])  # frames as arrays: written as CBFs
    summary = rec.end("complete")
    assert summary.frames == (1, 3)
    jobs = pending(settings.root)
    assert [j.kind for j in jobs] == ["scan-begin", *["scan-point"] * 3, "scan-end"]
    assert {j.stem for j in jobs} == {scan_stem(rec.setup.path)} == {"scan_00001"}
    assert not rec.setup.path.exists()  # nothing but the writer makes the scan file
    assert sorted(p.name for p in (settings.root.path / "images/scn").iterdir()) == [
        "scn_00001.cbf", "scn_00002.cbf", "scn_00003.cbf",
    ]  # fmt: skip
    assert drain(settings.root) == 0
    report = validate_scan(rec.setup.path)
    assert report.ok, report.errors
    assert pending(settings.root) == []


def test_every_job_can_be_done_again(settings: Settings, tmp_path: Path) -> None:
    """A writer killed after the work but before deleting its job does it again."""
    rec = queued(settings)
    rec.begin()
    run_points(rec, [16.0, 17.0])
    rec.end("aborted", "scan stopped (Ctrl-C) after 2 of 6 points")
    copies = tmp_path / "copies"
    shutil.copytree(settings.root.state_dir / "pending", copies)
    assert drain(settings.root) == 0
    with h5py.File(rec.setup.path) as f:
        before = f["entry/instrument/detector/data"][()]
    for job in pending(settings.root):
        job.path.unlink()
    for saved in sorted(copies.glob("*.json")):
        job = Job.from_path(saved, ("scan-begin", "scan-point", "scan-end"))
        assert job is not None
        run_scan_job(settings.root, job)
    report = validate_scan(rec.setup.path)
    assert report.status == "aborted"
    with h5py.File(rec.setup.path) as f:
        assert np.array_equal(f["entry/instrument/detector/data"][()], before)
        assert f["entry/measurement/point_nb"].shape == (2,)
        assert f["entry/status"].attrs["reason"] == "scan stopped (Ctrl-C) after 2 of 6 points"


def test_another_scans_file_is_never_overwritten(settings: Settings) -> None:
    ScanRecording(settings, ascan(settings, 7)).begin()  # the file exists, made by the writer
    rec = queued(settings, 7)
    path = rec.setup.path
    path.rename(path.with_suffix(".old"))  # passes the recorder's check ...
    rec.begin()
    path.with_suffix(".old").rename(path)  # ... then another file takes the name
    (job,) = pending(settings.root)
    with pytest.raises(FileExistsNxsError, match="another scan's file"):
        run_scan_job(settings.root, job)


def test_a_file_hdf5_cannot_open_is_moved_aside(settings: Settings) -> None:
    rec = queued(settings)
    rec.begin()
    rec.setup.path.write_bytes(b"not HDF5")
    assert drain(settings.root) == 0
    assert validate_scan(rec.setup.path).status == "running"
    (broken,) = rec.setup.path.parent.glob("scan_00001.nxs.broken-*")
    assert broken.read_bytes() == b"not HDF5"


def test_a_claim_left_unsettled_is_settled_by_the_writer(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    incoming = settings.root.path / "images" / ".incoming"
    incoming.mkdir(parents=True)
    detector_file = incoming / "frame_000001.cbf"
    header = cbf_header(load_instrument(settings.instrument_file), 0.1, datetime.now())
    write_cbf(detector_file, frame(5.0), header)
    rec = queued(settings)
    rec.begin()
    # the recorder dies between its point's job and settling the claim
    monkeypatch.setattr(scan_module, "settle_claim", lambda source, dest: None)
    rec.add(ScanPoint(0, {"samx": 1.0}, {"timer": 0.1}, None, f"file://{detector_file}"))
    (point,) = [j for j in pending(settings.root) if j.kind == "scan-point"]
    assert json.loads(point.path.read_text())["frame"]["source"] == str(detector_file)
    assert detector_file.exists()
    assert drain(settings.root) == 0
    assert not detector_file.exists()  # the detector's name is gone, the scn name stays
    assert (settings.root.path / "images/scn/scn_00001.cbf").is_file()


def test_a_file_a_reader_holds_is_written_once_it_is_free(settings: Settings) -> None:
    rec = queued(settings)
    rec.begin()
    assert drain(settings.root) == 0
    run_points(rec, [16.0, 17.0])
    with held_by_another_process(rec.setup.path):  # a viewer (HDF5 file locking)
        # however often the writer tries, the points wait in order: none is set aside
        assert drain(settings.root, retries=MAX_ATTEMPTS + 2, pause=0) == 2
    assert not (settings.root.state_dir / "pending" / "failed").exists()
    assert drain(settings.root) == 0
    with h5py.File(rec.setup.path) as f:
        assert f["entry/measurement/samx"][()].tolist() == [16.0, 17.0]


def test_project_and_people_as_in_an_exposure(settings: Settings) -> None:
    readings = {
        "experiment.identifier": Reading("P-42"),
        "experiment.operator": Reading("Jane Doe"),
    }
    rec = ScanRecording(settings, ascan(settings), readings)
    rec.begin()
    rec.end("complete")
    with h5py.File(rec.setup.path) as f:
        entry = f["entry"]
        assert entry["experiment_identifier"][()] == b"P-42"
        assert entry["operator"].attrs["NX_class"] == "NXuser"
        assert entry["operator/name"][()] == b"Jane Doe"
        assert "proposer" not in entry


def test_job_payloads_round_trip_through_json() -> None:
    grid = Grid("samx", (0.0, 1.0), "samy", (0.0, 1.0, 2.0), bidirectional=True)
    plot = PlotLayout("diode", ("samy", "samx"), ("timer",), "counts", grid, "point_nb")
    assert plot_from_json(json.loads(json.dumps(plot_to_json(plot)))) == plot
    frame_ref = PointFrame("/d/images/scn/scn_00003.cbf", 3, "scn_00003", None, "/d/x.cbf")
    job = ScanPointJob.make(
        Path("/d/s.nxs"), 4, {"samx": 1.0, "diode": float("nan")}, plot, "gzip", frame_ref, None
    )
    text = json.dumps(job.to_json(), allow_nan=False)  # JSON has no NaN: it travels as null
    again = ScanPointJob.from_json(json.loads(text))
    assert again == job and np.isnan(again.measured()["diode"])
    begin = ScanBegin("/d/s.nxs", "scan_00001", 1, "t", "2026-01-01T00:00:00+00:00",
                      {"point_nb": None}, plot, "gzip")  # fmt: skip
    assert ScanBegin.from_json(json.loads(json.dumps(begin.to_json()))) == begin


def test_the_writer_is_held_from_the_scan_begin_to_its_last_job(settings: Settings) -> None:
    events: list[str] = []

    @contextmanager
    def hold() -> Iterator[None]:
        events.append(f"hold after {[j.kind for j in pending(settings.root)]}")
        yield
        events.append(f"go after {[j.kind for j in pending(settings.root)]}")

    rec = ScanRecording(settings, ascan(settings), wake=lambda: None, hold=hold())
    rec.begin()
    run_points(rec, [16.0])
    assert events == ["hold after ['scan-begin']"]
    rec.end("complete")
    assert events[1] == "go after ['scan-begin', 'scan-point', 'scan-end']"


def test_validate_tells_a_scan_file_whose_jobs_wait(settings: Settings) -> None:
    rec = queued(settings)
    rec.begin()
    assert drain(settings.root) == 0  # the file exists, running
    run_points(rec, [16.0])
    note = pending_note(rec.setup.path)
    assert note is not None and note.startswith("completion pending (scan-point job")
    assert drain(settings.root) == 0
    assert pending_note(rec.setup.path) is None
