"""One exposure from nxsbegin to nxsend, as plain steps on files.

The open session is a small plain dict (see :class:`Session`) that the macros
keep in the MacroServer environment (``NxsSession``): GUIs and scripts can show
it, every Door sees it, and it survives a MacroServer restart. Each step opens
the exposure file, writes and closes it again, so nothing depends on a Python
object living from one macro to the next.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from sardana_nxsas.catalog import row_for_running, shared_writer
from sardana_nxsas.catalog.spool import file_row
from sardana_nxsas.cbf import MiniCbfHeader, read_cbf, sha256_file, write_cbf
from sardana_nxsas.description import InstrumentDescription, load_description, resolve
from sardana_nxsas.description.units import convert
from sardana_nxsas.errors import NxsError, SessionError
from sardana_nxsas.fsn import Allocation, FsnCounter
from sardana_nxsas.instrument import InstrumentInfo, Quantity, load_instrument
from sardana_nxsas.layout import check_title
from sardana_nxsas.nexus.mask import bad_pixel_mask, total_counts
from sardana_nxsas.nexus.nxsas import (
    ExposureResult,
    ExposureStart,
    FrameFile,
    complete_exposure_file,
    create_exposure_file,
    iso,
)
from sardana_nxsas.recording import end_values, readings_from_json
from sardana_nxsas.samples import Sample
from sardana_nxsas.settings import Settings


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
    timer: str | None = None  # the counter that measured the elapsed time (its value is s)
    sample: str | None = None  # the chosen sample (registry name), if any
    instrument_written: bool = False  # by ct, from the snapshot taken while counting
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
        return cls(**data)


@dataclass(frozen=True)
class Summary:
    """What nxsend reports in its one line."""

    identifier: str
    nxs: Path
    title: str
    status: str
    count_time: float | None
    total_counts: int | None

    def line(self) -> str:
        time = "-" if self.count_time is None else f"{self.count_time:g} s"
        counts = "-" if self.total_counts is None else f"{self.total_counts}"
        status = "" if self.status == "complete" else f" [{self.status.upper()}]"
        return f"{self.nxs}  {self.title!r}  {time}  total counts {counts}{status}"


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
) -> tuple[Session, Allocation]:
    """Check everything, allocate the FSN, create the .nxs exclusively.

    The file starts with the entry, the sample and ``status = running``; the
    instrument is added while counting (see :mod:`sardana_nxsas.recording`).
    """
    root = settings.root
    prefix = root.prefix(prefix)
    title = check_title(title)
    root.check()
    description = description or load_description(
        settings.instrument_file
    )  # refuse before allocating
    root.ensure_dirs(prefix)
    allocation = FsnCounter(root).allocate(prefix)
    start = (now or datetime.now()).astimezone()
    nxs = root.nxs_path(prefix, allocation.fsn)
    sample_name = sample.name if sample is not None else title
    create_exposure_file(nxs, ExposureStart(nxs.stem, title, sample_name, start, sample=sample))
    _catalog(settings, lambda: row_for_running(
        root, prefix, allocation.fsn, title, session_sample(sample), iso(start)
    ))  # fmt: skip
    session = Session(
        prefix=prefix,
        fsn=allocation.fsn,
        title=title,
        nxs=str(nxs),
        cbf=str(root.cbf_path(prefix, allocation.fsn)),
        start_time=iso(start),
        sample=None if sample is None else sample.name,
    )
    return session, allocation


def cbf_header(instrument: InstrumentInfo, count_time: float, moment: datetime) -> MiniCbfHeader:
    det = instrument.detector

    def mm(q: Quantity) -> float:
        return convert(q.value, q.units, "mm")

    return MiniCbfHeader(
        detector=det.description,
        pixel_size=(mm(det.x_pixel_size), mm(det.y_pixel_size)),
        exposure_time=count_time,
        wavelength=convert(instrument.wavelength.value, instrument.wavelength.units, "nm"),
        distance=mm(det.distance),
        beam_xy=(det.beam_center_col.value, det.beam_center_row.value),
        timestamp=moment.astimezone(),
    )


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
    if isinstance(frame, np.ndarray):
        if not np.issubdtype(frame.dtype, np.integer):  # Tango images arrive as float64
            frame = np.rint(frame)
        header = cbf_header(load_instrument(settings.instrument_file), count_time, datetime.now())
        write_cbf(Path(session.cbf), frame, header)
        session.frame_file = session.cbf
    elif frame is not None:
        session.frame_file = str(frame)
    return session


def end_exposure(
    session: Session,
    settings: Settings,
    *,
    status: str = "complete",
    reason: str | None = None,
    now: datetime | None = None,
) -> Summary:
    """Finish the file: frame, checksum, monitor, end time, final status."""
    frame, frame_file = None, None
    if session.frame_file is not None:
        try:
            frame, _ = read_cbf(Path(session.frame_file))
            frame_file = FrameFile(Path(session.frame_file), sha256_file(Path(session.frame_file)))
        except (OSError, ValueError) as exc:
            status, reason = "failed", f"cannot read the frame {session.frame_file}: {exc}"
    if status == "complete" and frame is None:
        status, reason = "failed", "no frame was recorded (was ct run inside the session?)"
    description = load_description(settings.instrument_file)
    constants = resolve(description, {})
    # no ct, or its metadata failed: the constants at least
    instrument = None if session.instrument_written else constants
    end = None
    if session.end_readings:
        end = end_values(
            description,
            readings_from_json(session.end_readings),
            session.end_seconds or 0.0,
            session.snapshot_time,
        )
    bad = None
    if frame is not None:
        try:
            bad = bad_pixel_mask(constants.detector, frame.shape)
        except (OSError, ValueError, NxsError) as exc:  # never lose an exposure over a mask
            logging.getLogger(__name__).warning("%s: bad pixels not marked: %s", session.nxs, exc)
    result = ExposureResult(
        end_time=(now or datetime.now()).astimezone(),
        status=status,
        count_time=session.count_time,
        monitor_integral=session.monitor,
        counters=session.counters,
        timer=session.timer,
        frame=frame,
        frame_file=frame_file,
        reason=reason,
        compression=settings.compression,
        instrument=instrument,
        end=end,
        bad_pixels=bad,
    )
    complete_exposure_file(Path(session.nxs), result)
    total = None if frame is None else total_counts(frame)
    _catalog(settings, lambda: file_row(Path(session.nxs), settings.root, total_counts=total))
    return Summary(
        session.identifier, Path(session.nxs), session.title, status, session.count_time, total
    )


def session_sample(sample: Sample | None) -> str | None:
    return None if sample is None else sample.name


def _catalog(settings: Settings, row: Callable[[], dict[str, Any]]) -> None:
    """Queue a catalog row; the catalog never stops an exposure (see catalog_news)."""
    try:
        shared_writer(settings.root, settings.catalog_url).submit(row())
    except Exception as exc:  # a full disk or an unreadable file: the file itself stands
        logging.getLogger(__name__).warning("catalog row not queued: %s", exc)


def catalog_news(settings: Settings) -> str | None:
    """A catalog problem to tell the operator once per outage, or None."""
    return shared_writer(settings.root, settings.catalog_url).news()


def require_session(data: dict[str, Any] | None) -> Session:
    if not data:
        raise SessionError("no exposure is open: start one with nxsbegin (or use expose)")
    return Session.from_dict(data)
