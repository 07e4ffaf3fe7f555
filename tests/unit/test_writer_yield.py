"""The writer yields to a fast series, and deletes a job only after its files' fsync."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from sardana_nxsas.acquisition.exposure import begin_exposure, end_exposure, record_counts
from sardana_nxsas.acquisition.settings import Settings
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.jobs import drain as jobs_drain
from sardana_nxsas.jobs.yielding import GO, JOB, MAX_BACKLOG_S, Hold, asks_to_yield, hold_line
from sardana_nxsas.writer import WriterProcess, drain, pending, wait_written
from sardana_nxsas.writer.service import PID_FILE, writer_drainer


@pytest.fixture
def settings(data_root: Path, instrument_file: Path) -> Settings:
    return Settings(DataRoot(data_root), instrument_file)


def later() -> None:
    pass


def exposure(settings: Settings) -> None:
    session, _ = begin_exposure(settings, "crd", "t", wake=later)
    frame = np.random.default_rng(5).poisson(3, (619, 487)).astype(np.int32)
    record_counts(session, settings, count_time=0.1, monitor=0.1, counters={}, frame=frame)
    end_exposure(session, settings, wake=later)


class Serving:
    """The writer's ``serve`` loop in a thread, fed through a real pipe."""

    def __init__(self, root: DataRoot, relay=None) -> None:
        root.state_dir.mkdir(parents=True, exist_ok=True)  # as the macros leave it
        self.read_end, self.write_end = os.pipe()
        wake = os.fdopen(self.read_end, "rb", buffering=0)
        self.thread = threading.Thread(
            target=jobs_drain.serve,
            args=(writer_drainer(root), wake, PID_FILE),
            kwargs={"relay": relay},
            daemon=True,
        )
        self.thread.start()

    def __enter__(self) -> Serving:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.thread.is_alive():
            self.close()

    def send(self, line: bytes) -> None:
        os.write(self.write_end, line)

    def close(self) -> None:
        os.close(self.write_end)
        self.thread.join(60)
        assert not self.thread.is_alive()


def test_hold_lines_are_read_whole_and_go_ends_a_hold() -> None:
    hold = Hold()
    hold.feed(b"\nhol")
    assert hold.remaining() == 0  # half a line does nothing yet
    assert hold.feed(b"d 5\n\n") == [b"hold 5\n"]  # told on: the reducer holds too
    assert 4 < hold.remaining() <= 5
    hold.feed(b"hold nonsense\n")
    assert hold.remaining() > 4  # a bad line is ignored
    hold.feed(GO)
    assert hold.remaining() == 0
    hold.feed(hold_line(1e6))
    assert hold.remaining() <= MAX_BACKLOG_S  # never longer than the backlog cap


def test_only_a_series_of_short_exposures_asks_to_yield() -> None:
    assert asks_to_yield(0.1, 50)
    assert not asks_to_yield(0.1, 1)  # one exposure: its file as soon as possible
    assert not asks_to_yield(10.0, 50)  # the writer's work fits in the count


def test_a_held_writer_starts_no_job_until_go(settings: Settings) -> None:
    with Serving(settings.root) as serving:
        serving.send(hold_line(20))
        exposure(settings)
        serving.send(hold_line(20))
        time.sleep(1.5)  # more than the writer's poll: it would have drained by now
        assert [j.kind for j in pending(settings.root)] == ["create", "complete"]
        serving.send(GO)
        assert wait_written(settings.root, timeout=60)


def test_a_hold_expires_by_itself(settings: Settings) -> None:
    with Serving(settings.root) as serving:
        serving.send(hold_line(0.5))  # a MacroServer that died mid-series sends no go
        exposure(settings)
        serving.send(JOB)
        assert wait_written(settings.root, timeout=60)


def test_a_backlog_too_old_is_written_while_held(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs_drain, "MAX_BACKLOG_S", 0.3)
    with Serving(settings.root) as serving:
        serving.send(hold_line(25))
        exposure(settings)
        serving.send(hold_line(25))
        assert wait_written(settings.root, timeout=60)  # held for 25 s, written within 1 s


def test_a_closing_pipe_ends_the_hold_and_the_jobs_are_done(settings: Settings) -> None:
    serving = Serving(settings.root)
    serving.send(hold_line(25))
    exposure(settings)
    serving.close()  # the MacroServer is gone: the writer finishes what is pending
    assert pending(settings.root) == []


def test_a_series_asks_its_writer_to_hold(settings: Settings) -> None:
    writer = WriterProcess(settings.root)
    try:
        with writer.yielding():
            session, _ = begin_exposure(settings, "crd", "t", wake=writer.wake)
            frame = np.zeros((619, 487), np.int32)
            record_counts(session, settings, count_time=0.1, monitor=0.1, counters={}, frame=frame)
            end_exposure(session, settings, wake=writer.wake)
            time.sleep(1.5)
            assert len(pending(settings.root)) == 2
        assert wait_written(settings.root, timeout=60)
    finally:
        writer.close()


def test_jobs_are_deleted_only_after_their_files_are_flushed(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    exposure(settings)
    events: list[str] = []
    real_fsync, real_unlink = jobs_drain.fsync_file, Path.unlink

    def fsync(path: Path) -> None:
        events.append(f"fsync {Path(path).suffix}")
        real_fsync(path)

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if self.name.endswith((".create.json", ".complete.json")):
            events.append("delete job")
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(jobs_drain, "fsync_file", fsync)
    monkeypatch.setattr(Path, "unlink", unlink)
    assert drain(settings.root) == 0
    assert events.count("fsync .nxs") == 1  # create and complete: one flush for the file
    assert events.count("delete job") == 2
    assert events.index("delete job") > max(i for i, e in enumerate(events) if "fsync" in e)


def test_while_held_only_jobs_past_the_backlog_cap_are_done(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs_drain, "MAX_BACKLOG_S", 1.5)
    with Serving(settings.root) as serving:
        serving.send(hold_line(25))
        exposure(settings)
        first = {j.stem for j in pending(settings.root)}
        time.sleep(1.0)
        exposure(settings)
        serving.send(hold_line(25))
        deadline = time.monotonic() + 30
        while first & {j.stem for j in pending(settings.root)} and time.monotonic() < deadline:
            time.sleep(0.02)
        left = {j.stem for j in pending(settings.root)}
        assert left and not left & first  # the old exposure written, the young one waits
        assert wait_written(settings.root, timeout=60)  # its turn comes, still held


def test_holds_and_go_are_relayed_to_the_reducer(settings: Settings) -> None:
    relayed: list[bytes] = []
    serving = Serving(settings.root, relayed.append)
    serving.send(hold_line(20) + JOB + JOB)
    serving.send(GO)
    serving.close()
    assert relayed == [hold_line(20), GO]  # job lines are the writer's own
