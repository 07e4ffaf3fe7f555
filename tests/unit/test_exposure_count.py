"""ct inside an exposure: the count, its metadata, Stop/Abort/failure, with fakes (no Sardana)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import h5py
import numpy as np
import pytest

from sardana_nxsas.acquisition.count import CountHooks, Interrupts, check_count, count_exposure
from sardana_nxsas.acquisition.exposure import Session, Summary, begin_exposure, end_exposure
from sardana_nxsas.acquisition.measurement_group import DetectorSetup
from sardana_nxsas.acquisition.settings import Settings
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.description.model import SourceRef
from sardana_nxsas.errors import NxsError, SessionError

TIMER = "tango://h:1/expchan/timerctrl/1"
DETECTOR = "tango://h:1/expchan/pilatusctrl/1"
SETUP = DetectorSetup(
    "mg_saxs", "pilatus", DETECTOR, {TIMER: "timer", DETECTOR: "pilatus"}, ["timer", "pilatus"]
)


class StopError(Exception):  # stands for Sardana's StopException
    pass


class AbortError(Exception):  # stands for Sardana's AbortException
    pass


class StopAndAbortLookalike(Exception):  # a failure whose name says Stop and Abort
    pass


class Sources:
    """The instrument: motors samx, samy at 1.5 mm; ``broken`` fails to prepare."""

    def __init__(self, broken: bool = False) -> None:
        self.broken = broken

    def moveable_names(self) -> list[str]:
        if self.broken:
            raise RuntimeError("pool not answering")
        return ["samx", "samy"]

    def reader(self, refs: Sequence[SourceRef]) -> Callable[[SourceRef], object]:
        return lambda ref: 1.5


class Macro:
    """What the adapter would pass: records finishes, warnings and check points."""

    def __init__(self, settings: Settings, sources: Sources | None = None) -> None:
        self.settings = settings
        self.finished: list[tuple[str, str | None]] = []
        self.warnings: list[str] = []
        self.check_points = 0
        self.hooks = CountHooks(
            interrupts=Interrupts(stop=(StopError,), abort=(AbortError,)),
            sources=sources or Sources(),
            check_point=self.check_point,
            finish=self.finish,
            warn=self.warnings.append,
        )

    def check_point(self) -> None:
        self.check_points += 1

    def finish(self, *, session: Session, status: str, reason: str | None) -> Summary:
        self.finished.append((status, reason))
        return end_exposure(session, self.settings, status=status, reason=reason)


class Clock:
    """Monotonic time that advances ``step`` s at each reading."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 100.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@pytest.fixture
def settings(data_root: Path, instrument_file: Path) -> Settings:
    return Settings(DataRoot(data_root), instrument_file)


def open_session(settings: Settings) -> Session:
    session, _ = begin_exposure(settings, "crd", "Glassy_Carbon")
    session.extra.update(SETUP.to_extra())
    return session


def counted(values: Mapping[str, object]) -> Callable[[], Mapping[str, object]]:
    return lambda: values


def test_a_count_gives_the_exposure_its_frame_counters_and_readings(settings: Settings) -> None:
    macro, session = Macro(settings), open_session(settings)
    frame = np.arange(12.0).reshape(3, 4)
    count_exposure(session, settings, 0.5, counted({TIMER: 0.5, DETECTOR: frame}), macro.hooks)
    assert session.count_time == 0.5 and session.timer == "timer" and session.monitor == 0.5
    assert session.counters == {"timer": 0.5}
    assert session.frame_file == session.cbf and Path(session.cbf).exists()
    assert {"positioners.samx", "positioners.samy"} <= set(session.start_readings)
    assert session.end_readings["positioners.samx"][0] == 1.5
    assert session.snapshot_time is not None and session.end_seconds is not None
    assert macro.finished == [] and macro.warnings == [] and macro.check_points == 0


@pytest.mark.parametrize(
    ("raised", "why"),
    [
        (StopError("stopped after calling count"), "stopped during counting"),
        (AbortError(), "aborted during counting"),
    ],
)
def test_stop_and_abort_leave_an_aborted_exposure(
    settings: Settings, raised: Exception, why: str
) -> None:
    macro, session = Macro(settings), open_session(settings)

    def count() -> Mapping[str, object]:
        raise raised

    with pytest.raises(type(raised)):
        count_exposure(session, settings, 5.0, count, macro.hooks, clock=Clock(step=1.25))
    assert macro.finished == [("aborted", f"ct {why}")]
    assert macro.check_points == 1  # a pending Stop/Abort was let out before finishing
    assert session.count_time == 5.0 and session.monitor == 1.25  # what was counted
    assert session.end_readings  # the motors read again after the interruption
    [warning] = macro.warnings
    assert warning.startswith(f"ct {why}; ") and warning.endswith("5 s [ABORTED]")
    with h5py.File(session.nxs) as nxs:  # written inline (no writer process here)
        assert nxs["entry/status"][()] == b"aborted"


def test_a_failure_is_told_by_its_type_not_its_name(settings: Settings) -> None:
    macro, session = Macro(settings), open_session(settings)

    def count() -> Mapping[str, object]:
        raise StopAndAbortLookalike("detector timeout")

    with pytest.raises(StopAndAbortLookalike):
        count_exposure(session, settings, 2.0, count, macro.hooks, clock=Clock(step=10))
    assert macro.finished == [("failed", "ct failed: detector timeout")]
    assert session.monitor == 2.0  # never more than asked
    assert macro.warnings[0].startswith("ct failed; ")


def test_metadata_that_cannot_be_read_costs_a_warning_not_the_exposure(
    settings: Settings,
) -> None:
    macro, session = Macro(settings, Sources(broken=True)), open_session(settings)
    values = {TIMER: 0.2, DETECTOR: np.ones((2, 2))}
    count_exposure(session, settings, 0.2, counted(values), macro.hooks)
    [warning] = macro.warnings
    assert "metadata not read (RuntimeError: pool not answering)" in warning
    assert session.start_readings == {} and session.counters == {"timer": 0.2}


def test_a_count_that_cannot_go_into_the_session_is_refused_before_counting(
    settings: Settings,
) -> None:
    macro, session = Macro(settings), open_session(settings)
    calls: list[str] = []

    def count() -> Mapping[str, object]:
        calls.append("count")
        return {}

    with pytest.raises(NxsError, match="positive finite"):
        count_exposure(session, settings, 0.0, count, macro.hooks)
    session.frame_file = session.cbf
    with pytest.raises(SessionError, match="already has its frame: nxsend"):
        check_count(session, 1.0)
    with pytest.raises(SessionError):
        count_exposure(session, settings, 1.0, count, macro.hooks)
    assert calls == [] and macro.finished == []


def test_interrupts_by_type() -> None:
    interrupts = Interrupts(stop=(StopError,), abort=(AbortError,))
    assert interrupts.outcome(StopError()) == "stopped"
    assert interrupts.outcome(AbortError()) == "aborted"
    assert interrupts.outcome(StopAndAbortLookalike()) is None
    assert interrupts.outcome(KeyboardInterrupt()) is None
