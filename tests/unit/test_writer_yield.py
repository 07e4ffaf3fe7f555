"""The writer yields to a fast series, and deletes a job only after its files' fsync.

Nothing here waits to see that nothing happened: the serve loop runs on a clock the
test sets (a hold ends, a job ages, only when the test says so), and the drainer
tells the test each answer it gave to "does this job wait?".
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from sardana_nxsas.acquisition.exposure import begin_exposure, end_exposure, record_counts
from sardana_nxsas.acquisition.settings import Settings
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.jobs import drain as jobs_drain
from sardana_nxsas.jobs.drain import Drainer
from sardana_nxsas.jobs.queue import Job
from sardana_nxsas.jobs.yielding import GO, JOB, MAX_BACKLOG_S, Hold, asks_to_yield, hold_line
from sardana_nxsas.writer import WriterProcess, drain, pending, wait_written
from sardana_nxsas.writer.service import PID_FILE, writer_drainer

WAIT_S = 60.0  # an upper bound only: every wait ends as soon as its condition holds


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


class FakeClock:
    """The serve loop's time, moved only by the test: the monotonic time stands still
    (a hold never ends by itself), and the wall clock is set to make a job as old as
    the test wants (a job's age is the wall clock minus the ns in its name)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.wall_ns = 0  # before every job: all of them young

    def monotonic(self) -> float:
        return self.seconds

    def time_ns(self) -> int:
        return self.wall_ns

    def advance(self, seconds: float) -> None:
        self.seconds += seconds

    def age(self, job: Job, seconds: float) -> None:
        """Make ``job`` ``seconds`` old (the jobs submitted after it, younger)."""
        self.wall_ns = job.ns + round(seconds * 1e9)


class WatchedDrainer(Drainer):
    """The writer's drainer, telling the test each answer the serve loop gave to "does
    this job wait?" once the drain that asked it is over (its done jobs deleted)."""

    def __init__(self, root: DataRoot) -> None:
        writer = writer_drainer(root)
        super().__init__(root, writer.queue, writer.run, writer.errors)
        self.told = threading.Condition()
        self.answers: dict[Path, bool] = {}  # job file -> whether it waited, the first time

    def drain(self, lock_timeout: float = 30.0, pause: Callable[[Job], bool] | None = None) -> int:
        if pause is None:
            return super().drain(lock_timeout)
        asked = pause
        answers: dict[Path, bool] = {}

        def answer(job: Job) -> bool:
            answers[job.path] = waits = asked(job)
            return waits

        try:
            return super().drain(lock_timeout, answer)
        finally:
            with self.told:
                for path, waits in answers.items():
                    self.answers.setdefault(path, waits)
                self.told.notify_all()

    def waited(self, job: Job) -> bool:
        """Whether the serve loop held ``job`` the first time it came to it."""
        with self.told:
            assert self.told.wait_for(lambda: job.path in self.answers, WAIT_S), job
            return self.answers[job.path]


class Serving:
    """The writer's ``serve`` loop in a thread on ``clock``, fed through a real pipe."""

    def __init__(
        self,
        root: DataRoot,
        relay: Callable[[bytes], None] | None = None,
        clock: FakeClock | None = None,
    ) -> None:
        root.state_dir.mkdir(parents=True, exist_ok=True)  # as the macros leave it
        self.drainer = WatchedDrainer(root)
        self.read_end, self.write_end = os.pipe()
        wake = os.fdopen(self.read_end, "rb", buffering=0)
        self.thread = threading.Thread(
            target=jobs_drain.serve,
            args=(self.drainer, wake, PID_FILE),
            kwargs={"relay": relay, "clock": clock or FakeClock()},
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
        self.thread.join(WAIT_S)
        assert not self.thread.is_alive()


class PipeToServing:
    """What the writer's client starts, standing for its process: the serving thread."""

    def __init__(self, serving: Serving) -> None:
        self.stdin = os.fdopen(serving.write_end, "wb", closefd=False)
        self.pid = os.getpid()

    def poll(self) -> int | None:
        return None  # running


class WriterOnPipe(WriterProcess):
    """The real client (its wakes, holds and go) talking to the serving thread."""

    def __init__(self, root: DataRoot, serving: Serving) -> None:
        super().__init__(root)
        self.serving = serving

    def _start(self) -> subprocess.Popen[bytes]:
        return PipeToServing(self.serving)  # type: ignore[return-value]


def test_hold_lines_are_read_whole_and_go_ends_a_hold() -> None:
    clock = FakeClock()
    hold = Hold(clock)
    hold.feed(b"\nhol")
    assert hold.remaining() == 0  # half a line does nothing yet
    assert hold.feed(b"d 5\n\n") == [b"hold 5\n"]  # told on: the reducer holds too
    assert hold.remaining() == 5
    clock.advance(1)
    hold.feed(b"hold nonsense\n")
    assert hold.remaining() == 4  # a bad line is ignored
    hold.feed(GO)
    assert hold.remaining() == 0
    hold.feed(hold_line(1e6))
    assert hold.remaining() == MAX_BACKLOG_S  # never longer than the backlog cap
    clock.advance(MAX_BACKLOG_S)
    assert hold.remaining() == 0  # expired by itself


def test_only_a_series_of_short_exposures_asks_to_yield() -> None:
    assert asks_to_yield(0.1, 50)
    assert not asks_to_yield(0.1, 1)  # one exposure: its file as soon as possible
    assert not asks_to_yield(10.0, 50)  # the writer's work fits in the count


def test_a_held_writer_starts_no_job_until_go(settings: Settings) -> None:
    with Serving(settings.root) as serving:
        serving.send(hold_line(20))
        exposure(settings)
        serving.send(hold_line(20))
        create = pending(settings.root)[0]
        assert serving.drainer.waited(create)  # the writer came to the job and held it
        assert [j.kind for j in pending(settings.root)] == ["create", "complete"]
        serving.send(GO)
        assert wait_written(settings.root, timeout=WAIT_S)


def test_a_hold_expires_by_itself(settings: Settings) -> None:
    clock = FakeClock()
    with Serving(settings.root, clock=clock) as serving:
        serving.send(hold_line(0.5))  # a MacroServer that died mid-series sends no go
        exposure(settings)
        serving.send(JOB)
        assert serving.drainer.waited(pending(settings.root)[0])  # held while it lasts
        clock.advance(0.5)
        serving.send(JOB)
        assert wait_written(settings.root, timeout=WAIT_S)


def test_a_backlog_too_old_is_written_while_held(settings: Settings) -> None:
    clock = FakeClock()  # its monotonic time stands still: the hold never ends by itself
    with Serving(settings.root, clock=clock) as serving:
        serving.send(hold_line(25))
        exposure(settings)
        clock.age(pending(settings.root)[-1], MAX_BACKLOG_S)
        serving.send(hold_line(25))
        assert wait_written(settings.root, timeout=WAIT_S)  # held, yet written


def test_a_closing_pipe_ends_the_hold_and_the_jobs_are_done(settings: Settings) -> None:
    serving = Serving(settings.root)  # on a clock that stands still: only the close ends it
    serving.send(hold_line(25))
    exposure(settings)
    serving.close()  # the MacroServer is gone: the writer finishes what is pending
    assert pending(settings.root) == []


def test_a_series_asks_its_writer_to_hold(settings: Settings) -> None:
    with Serving(settings.root) as serving:  # held until go: its clock stands still
        writer = WriterOnPipe(settings.root, serving)
        with writer.yielding():
            session, _ = begin_exposure(settings, "crd", "t", wake=writer.wake)
            frame = np.zeros((619, 487), np.int32)
            record_counts(session, settings, count_time=0.1, monitor=0.1, counters={}, frame=frame)
            end_exposure(session, settings, wake=writer.wake)
            assert serving.drainer.waited(pending(settings.root)[0])
            assert len(pending(settings.root)) == 2
        assert wait_written(settings.root, timeout=WAIT_S)  # the series' go


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


def test_while_held_only_jobs_past_the_backlog_cap_are_done(settings: Settings) -> None:
    clock = FakeClock()  # its monotonic time stands still: the hold never ends by itself
    with Serving(settings.root, clock=clock) as serving:
        serving.send(hold_line(25))
        exposure(settings)
        first = pending(settings.root)
        exposure(settings)
        young = [j for j in pending(settings.root) if j not in first]
        clock.age(first[-1], MAX_BACKLOG_S)  # the first exposure is due; the second is younger
        serving.send(hold_line(25))
        assert serving.drainer.waited(young[0])  # the writer came to the young one: it waits
        left = pending(settings.root)
        assert left == young  # the old exposure written, the young one waits
        clock.age(young[-1], MAX_BACKLOG_S)
        serving.send(hold_line(25))
        assert wait_written(settings.root, timeout=WAIT_S)  # its turn comes, still held


def test_holds_and_go_are_relayed_to_the_reducer(settings: Settings) -> None:
    relayed: list[bytes] = []
    serving = Serving(settings.root, relayed.append)
    serving.send(hold_line(20) + JOB + JOB)
    serving.send(GO)
    serving.close()
    assert relayed == [hold_line(20), GO]  # job lines are the writer's own
