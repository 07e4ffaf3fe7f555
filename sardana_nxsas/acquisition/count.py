"""``ct`` inside an exposure: the count, the metadata read beside it, the frame recorded.

Shared by ``ct`` in an nxsbegin session and by ``expose``. The adapter passes in the
count itself (a callable returning the channel values) and :class:`CountHooks`:
what only it knows — Sardana's Stop and Abort exceptions, its check point, how an
exposure is finished and how the operator is told.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sardana_nxsas.acquisition.count_metadata import CountMetadata, MetadataSources, snapshot_delay
from sardana_nxsas.acquisition.exposure import Session, check_exposure_time, record_counts
from sardana_nxsas.acquisition.measurement_group import DetectorSetup, sort_counts
from sardana_nxsas.acquisition.recovery import Finish
from sardana_nxsas.acquisition.settings import Settings
from sardana_nxsas.errors import SessionError

Count = Callable[[], Mapping[str, object]]  # counts; the channel values by full name


@dataclass(frozen=True)
class Interrupts:
    """The exception types by which the control system tells an operator's Stop and Abort
    (the adapter's: the core cannot import Sardana's)."""

    stop: tuple[type[BaseException], ...]
    abort: tuple[type[BaseException], ...]

    def outcome(self, exc: BaseException) -> str | None:
        """``exc`` is a Stop ("stopped"), an Abort ("aborted") or a failure (None)."""
        if isinstance(exc, self.stop):
            return "stopped"
        if isinstance(exc, self.abort):
            return "aborted"
        return None


@dataclass(frozen=True)
class CountHooks:
    """What a count needs from the adapter, all of it Sardana-free."""

    interrupts: Interrupts
    sources: MetadataSources
    check_point: Callable[[], None]  # raises a pending Stop/Abort (Sardana: Macro.checkPoint)
    finish: Finish
    warn: Callable[[str], None]


def check_count(session: Session, count_time: float) -> float:
    """Refuse a count that cannot go into ``session``, before anything starts."""
    count_time = check_exposure_time(count_time)
    if session.frame_file is not None:
        raise SessionError(
            f"{session.identifier} already has its frame: nxsend, then nxsbegin the next one"
        )
    return count_time


def count_exposure(
    session: Session,
    settings: Settings,
    count_time: float,
    count: Count,
    hooks: CountHooks,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> Session:
    """Count with the metadata read beside it, then give the exposure its frame.

    An interrupted or failed count finishes the exposure (aborted or failed, with the
    time counted) and re-raises.
    """
    count_time = check_count(session, count_time)
    metadata = CountMetadata(hooks.sources, settings.instrument_file, snapshot_delay(count_time))
    started = clock()
    try:
        values = count()
    except BaseException as exc:
        # a pending Stop/Abort raises here once; Sardana then lets the calls below through
        with contextlib.suppress(BaseException):
            hooks.check_point()
        metadata.collect(session, hooks.warn)
        _finish_interrupted(session, count_time, clock() - started, exc, hooks)
        raise
    end = metadata.read_end()  # sensors and motors again, while the frame is claimed
    counts = sort_counts(values, DetectorSetup.of(session))
    session.timer = counts.timer
    record_counts(
        session,
        settings,
        count_time=count_time,
        monitor=counts.monitor,
        counters=counts.counters,
        frame=counts.frame,
    )
    metadata.collect(session, hooks.warn, end)
    return session


def _finish_interrupted(
    session: Session, count_time: float, elapsed: float, exc: BaseException, hooks: CountHooks
) -> None:
    outcome = hooks.interrupts.outcome(exc)
    why = f"{outcome} during counting" if outcome else f"failed: {exc}"
    if session.count_time is None:
        # what was asked, and the time counted before the interruption as the clock tells it
        session.count_time, session.monitor = count_time, min(count_time, elapsed)
    status = "aborted" if outcome else "failed"
    summary = hooks.finish(session=session, status=status, reason=f"ct {why}")
    hooks.warn(f"ct {why.split(':')[0]}; {summary.line()}")
