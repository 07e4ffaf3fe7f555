"""One exposure from nxsbegin to nxsend, as plain steps on files.

The open session is a small plain dict (see :class:`Session`) that the macros
keep in the MacroServer environment (``NxsSession``): GUIs and scripts can show
it, every Door sees it, and it survives a MacroServer restart. Each step opens
the exposure file, writes and closes it again, so nothing depends on a Python
object living from one macro to the next.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from sardana_nxsas.acquisition.frames import cbf_header, take_frame
from sardana_nxsas.acquisition.settings import Settings
from sardana_nxsas.dataroot.claim import settle_claim
from sardana_nxsas.dataroot.fsn import Allocation, Block, FsnCounter
from sardana_nxsas.dataroot.layout import check_title
from sardana_nxsas.description import InstrumentDescription, load_description, load_instrument
from sardana_nxsas.errors import NxsError, SessionError
from sardana_nxsas.jobs.yielding import asks_to_yield
from sardana_nxsas.nexus.exposure.nxsas import iso
from sardana_nxsas.samples.model import Sample
from sardana_nxsas.writer import drain, submit, writer_for

Wake = Callable[[], None]  # tells the writer there is a job (writer_for(root).wake)


@dataclass
class Session:
    """What is known about the open exposure; stored as a dict in the environment."""

    prefix: str
    fsn: int
    title: str
    nxs: str
    cbf: str
    start_time: str
    count_time: float | None = None
    monitor: float | None = None
    counters: dict[str, float] = field(default_factory=dict)
    frame_file: str | None = None
    frame_source: str | None = None  # the detector's name of the claimed frame, until settled
    timer: str | None = None  # the counter that measured the elapsed time (its value is s)
    sample: str | None = None  # the chosen sample (registry name), if any
    start_readings: dict[str, list[Any]] = field(default_factory=dict)  # taken while counting
    end_readings: dict[str, list[Any]] = field(default_factory=dict)  # sensors, positioners
    end_seconds: float | None = None  # when they were read, after the start snapshot
    snapshot_time: str | None = None  # ISO 8601: when the start snapshot was taken
    extra: dict[str, Any] = field(default_factory=dict)  # adapter's own bookkeeping

    @property
    def identifier(self) -> str:
        return Path(self.nxs).stem

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Session:
        known = {f.name for f in dataclasses.fields(cls)}  # a session of an older version
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class Summary:
    """What nxsend reports in its one line (the writer completes the file just after)."""

    identifier: str
    nxs: Path
    title: str
    status: str
    count_time: float | None

    def line(self) -> str:
        time = "-" if self.count_time is None else f"{self.count_time:g} s"
        status = "" if self.status == "complete" else f" [{self.status.upper()}]"
        return f"{self.nxs}  {self.title!r}  {time}{status}"


def check_exposure_time(value: float) -> float:
    if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise NxsError(f"exposure time {value!r}: give a positive finite number of seconds")
    return float(value)


def begin_exposure(
    settings: Settings,
    prefix: str,
    title: str,
    now: datetime | None = None,
    description: InstrumentDescription | None = None,
    sample: Sample | None = None,
    wake: Wake | None = None,
    fsns: Block | None = None,
) -> tuple[Session, Allocation]:
    """Check everything, allocate the FSN and queue the creation of the .nxs.

    The writer creates the file (entry, sample, ``status = running``) and its
    catalog row while the detector counts; ``wake`` tells it (None: the job is
    done here and now, as tests and scripts without a writer want). ``fsns``: the
    numbers a series reserved (:meth:`FsnCounter.reserve`) for this prefix.
    """
    root = settings.root
    prefix = root.prefix(prefix)
    title = check_title(title)
    root.check()
    if description is None:
        load_description(settings.instrument_file)  # refuse before allocating
    root.ensure_dirs(prefix)
    if fsns is not None and fsns.prefix == prefix:
        allocation = fsns.allocate()
    else:
        allocation = FsnCounter(root).allocate(prefix)
    start = (now or datetime.now()).astimezone()
    nxs = root.nxs_path(prefix, allocation.fsn)
    session = Session(
        prefix=prefix,
        fsn=allocation.fsn,
        title=title,
        nxs=str(nxs),
        cbf=str(root.cbf_path(prefix, allocation.fsn)),
        start_time=iso(start),
        sample=None if sample is None else sample.name,
    )
    session.extra["start"] = {
        "nxs": str(nxs.relative_to(root.path)),
        "prefix": prefix,
        "fsn": allocation.fsn,
        "title": title,
        "sample_name": sample.name if sample is not None else title,
        "sample": None if sample is None else sample.to_dict(),
        "start_time": iso(start),
    }
    # not fsynced: after a power cut the complete job (or the stale session) creates the file
    create = {"start": session.extra["start"], **_catalog_of(settings)}
    submit(root, nxs.stem, "create", create, durable=False)
    _hand_over(settings, wake)
    return session, allocation


@contextmanager
def series(
    settings: Settings, prefix: str | None, count: int, count_time: float
) -> Iterator[Block | None]:
    """A series of ``count`` exposures of ``count_time`` s: its FSNs reserved at once
    (one durable store write, not one per exposure; a stopped series gives the unused
    ones back), and, if it is fast, the data root's writer holding its jobs until the
    series ends (sardana_nxsas.jobs.yielding: the files wait, not the counts)."""
    if count < 2:
        yield None
        return
    prefix = settings.root.prefix(prefix or settings.default_prefix)
    fast = asks_to_yield(count_time, count)
    hold = writer_for(settings.root).yielding() if fast else nullcontext()
    with FsnCounter(settings.root).reserve(prefix, count) as block, hold:
        yield block


def _catalog_of(settings: Settings) -> dict[str, Any]:
    # the URL may hold a password: the job files are private to the MacroServer's account
    return {"catalog_url": settings.catalog_url}


def _hand_over(settings: Settings, wake: Wake | None) -> None:
    if wake is None:
        drain(settings.root)
    else:
        wake()


def record_counts(
    session: Session,
    settings: Settings,
    *,
    count_time: float,
    monitor: float | None,
    counters: dict[str, float],
    frame: str | Path | np.ndarray | None,
) -> Session:
    """Take what ``ct`` measured; an array frame is written to the session's CBF."""
    session.count_time = count_time
    session.monitor = monitor
    session.counters = dict(counters)
    if frame is not None:
        # a claim is settled by end_exposure, after the complete job: one commit for both
        taken = take_frame(
            frame,
            Path(session.cbf),
            lambda: cbf_header(
                load_instrument(settings.instrument_file), count_time, datetime.now()
            ),
            settle=False,
        )
        session.frame_source = None if taken.source is None else str(taken.source)
        session.frame_file = str(taken.path)
    return session


def end_exposure(
    session: Session,
    settings: Settings,
    *,
    status: str = "complete",
    reason: str | None = None,
    now: datetime | None = None,
    wake: Wake | None = None,
) -> Summary:
    """Queue the completion of the file (frame, checksum, metadata, final status).

    Durable when it returns: the job is on disk, and the writer (or a later
    ``sardana-nxsas writer``) completes the file from the CBF even if this
    process dies now. ``wake`` as for :func:`begin_exposure`.
    """
    root = settings.root
    if status == "complete" and session.frame_file is None:
        status, reason = "failed", "no frame was recorded (was ct run inside the session?)"
    payload = {
        "start": session.extra["start"],  # the creation data, kept by begin_exposure
        "session": session.to_dict(),
        "status": status,
        "reason": reason,
        "end_time": iso((now or datetime.now()).astimezone()),
        "instrument_file": str(settings.instrument_file),
        "compression": settings.compression,
        **_catalog_of(settings),
    }
    payload["session"]["extra"] = {}  # the adapter's bookkeeping is not the writer's business
    submit(root, Path(session.nxs).stem, "complete", payload)
    if session.frame_source and session.frame_file:
        settle_claim(Path(session.frame_source), Path(session.frame_file))
    _hand_over(settings, wake)
    return Summary(session.identifier, Path(session.nxs), session.title, status, session.count_time)


def require_session(data: dict[str, Any] | None) -> Session:
    if not data:
        raise SessionError("no exposure is open: start one with nxsbegin (or use expose)")
    return Session.from_dict(data)
