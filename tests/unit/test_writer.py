"""The writer: durable jobs done off the macro path, idempotent, by a process of its own."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import h5py
import numpy as np
import pytest

from sardana_nxsas.acquisition.exposure import Session, begin_exposure, end_exposure, record_counts
from sardana_nxsas.acquisition.settings import Settings
from sardana_nxsas.cli.main import main
from sardana_nxsas.cli.pending import pending_note
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.jobs.drain import MAX_ATTEMPTS
from sardana_nxsas.nexus.exposure.validate import validate_exposure
from sardana_nxsas.writer import WriterProcess, drain, pending, wait_written


@pytest.fixture
def settings(data_root: Path, instrument_file: Path) -> Settings:
    return Settings(DataRoot(data_root), instrument_file)


def later() -> None:  # a writer that is not there yet: the jobs wait on disk
    pass


def frame() -> np.ndarray:
    return np.random.default_rng(5).poisson(3, (619, 487)).astype(np.int32)


def counted(settings: Settings, title: str = "t") -> Session:
    session, _ = begin_exposure(settings, "crd", title, wake=later)
    record_counts(session, settings, count_time=1.0, monitor=1.0, counters={}, frame=frame())
    return session


def status(nxs: str | Path) -> bytes:
    with h5py.File(nxs, "r") as f:
        return f["entry/status"][()]


def test_jobs_wait_on_disk_until_a_writer_does_them(settings: Settings) -> None:
    session = counted(settings)
    assert [j.kind for j in pending(settings.root)] == ["create"]
    assert not Path(session.nxs).exists()  # the macro path never touches HDF5
    summary = end_exposure(session, settings, wake=later)
    assert summary.status == "complete"
    assert [j.kind for j in pending(settings.root)] == ["create", "complete"]
    assert "completion pending" in (pending_note(Path(session.nxs)) or "")
    assert drain(settings.root) == 0
    assert pending(settings.root) == [] and pending_note(Path(session.nxs)) is None
    report = validate_exposure(Path(session.nxs))
    assert report.ok, report.errors


def test_a_job_done_twice_changes_nothing(settings: Settings) -> None:
    session = counted(settings)
    end_exposure(session, settings, wake=later)
    copies = [shutil.copy(j.path, j.path.with_suffix(".keep")) for j in pending(settings.root)]
    drain(settings.root)
    with h5py.File(session.nxs, "r") as f:
        first = f["entry/end_time"][()]
    for copy in copies:  # as if the writer was killed before deleting its jobs
        Path(copy).rename(Path(copy).with_suffix(".json"))
    assert len(pending(settings.root)) == 2
    assert drain(settings.root) == 0
    with h5py.File(session.nxs, "r") as f:
        assert f["entry/end_time"][()] == first and f["entry/status"][()] == b"complete"


def test_a_broken_file_is_moved_aside_and_made_again(settings: Settings) -> None:
    session = counted(settings)
    drain(settings.root)  # the create job
    Path(session.nxs).write_bytes(b"half an HDF5 file, as a crash may leave it")
    end_exposure(session, settings, wake=later)
    assert drain(settings.root) == 0
    assert status(session.nxs) == b"complete"
    aside = list(Path(session.nxs).parent.glob("crd_00001.nxs.broken-*"))
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"half an HDF5")


def test_a_failing_job_is_set_aside_and_blocks_no_other(settings: Settings) -> None:
    doomed = counted(settings, "doomed")
    end_exposure(doomed, Settings(settings.root, settings.root.path / "gone.toml"), wake=later)
    fine = counted(settings, "fine")
    end_exposure(fine, settings, wake=later)
    drain(settings.root, retries=MAX_ATTEMPTS, pause=0)
    assert status(fine.nxs) == b"complete"
    assert status(doomed.nxs) == b"running"  # kept, never half-written
    failed = list((settings.root.state_dir / "pending" / "failed").glob("crd_00001.*.json"))
    assert len(failed) == 1 and pending(settings.root) == []


@contextmanager
def held_by_another_process(path: str | Path) -> Iterator[None]:
    """A viewer in another process holds ``path`` open (HDF5 file locking), until the end."""
    code = "import h5py, sys; f = h5py.File(sys.argv[1], 'r'); print('open', flush=True); sys.stdin.read()"
    reader = subprocess.Popen(
        [sys.executable, "-c", code, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout is not None and reader.stdout.readline() == "open\n"
        yield
    finally:
        assert reader.stdin is not None
        reader.stdin.close()
        reader.wait(30)


def test_an_exposure_file_a_reader_holds_is_completed_once_it_is_free(
    settings: Settings,
) -> None:
    session = counted(settings)
    drain(settings.root)  # the create job: the file exists, running
    end_exposure(session, settings, wake=later)
    with held_by_another_process(session.nxs):
        # more tries than a failing job gets: a busy file is no failure, nothing set aside
        assert drain(settings.root, retries=MAX_ATTEMPTS + 2, pause=0) == 1
    assert not (settings.root.state_dir / "pending" / "failed").exists()
    assert drain(settings.root) == 0
    assert status(session.nxs) == b"complete"


def test_the_writer_process_serves_then_ends_with_its_pipe(settings: Settings) -> None:
    writer = WriterProcess(settings.root)
    session = counted(settings)
    end_exposure(session, settings, wake=writer.wake)
    assert writer.pid is not None
    assert wait_written(settings.root, timeout=60)
    assert status(session.nxs) == b"complete"
    popen = writer._popen
    writer.close()
    assert popen is not None and popen.returncode == 0
    log = (settings.root.state_dir / "writer.log").read_text()
    assert f"writer {popen.pid} serving" in log


def test_pending_command_lists_and_writes(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    session = counted(settings)
    end_exposure(session, settings, wake=later)
    data = str(settings.root.path)
    assert main(["pending", "--data", data]) == 0
    assert "2 job(s) pending" in capsys.readouterr().out
    assert main(["validate", session.nxs]) == 1
    assert "completion pending" in capsys.readouterr().out
    assert main(["pending", "--data", data, "--write"]) == 0
    assert main(["validate", session.nxs]) == 0


def test_the_writer_settles_a_claim_its_macro_left_half_way(settings: Settings) -> None:
    from datetime import datetime

    from sardana_nxsas.acquisition.exposure import cbf_header
    from sardana_nxsas.dataroot.cbf import write_cbf
    from sardana_nxsas.dataroot.claim import INCOMING
    from sardana_nxsas.description import load_instrument

    session, _ = begin_exposure(settings, "crd", "t", wake=later)
    incoming = settings.root.path / "images" / INCOMING
    incoming.mkdir(parents=True, exist_ok=True)
    source = incoming / "frame_000007.cbf"
    header = cbf_header(load_instrument(settings.instrument_file), 1.0, datetime.now())
    write_cbf(source, frame(), header)
    record_counts(session, settings, count_time=1.0, monitor=1.0, counters={}, frame=str(source))
    assert source.samefile(session.cbf)  # linked; settled by end_exposure
    end_exposure(session, settings, wake=later)
    assert not source.exists()
    # as if the macro died after its complete job, before settling: the writer does it
    source.hardlink_to(session.cbf)
    Path(session.cbf).unlink()  # and a power cut took the unsettled link
    drain(settings.root)
    assert not source.exists() and Path(session.cbf).is_file()
    assert validate_exposure(Path(session.nxs)).ok
