"""Exposure macros of sardana-nxsas: nxsbegin / ct / nxsend, expose, lsfsn.

Thin adapters: they read the MacroServer environment and the measurement
group, then call the core library (``sardana_nxsas``), which allocates the FSN
and writes the files. See docs/tutorial/spock-session.md.
"""

import contextlib
import functools
import os
import threading
import time

from sardana.macroserver.macro import Hookable, Macro, Optional, Type
from sardana.macroserver.macros.standard import ct as _stock_ct
from tango import DevState

from sardana_nxsas.acquisition import macro_support as ms
from sardana_nxsas.acquisition.exposure import (
    Session,
    begin_exposure,
    catalog_news,
    check_exposure_time,
    end_exposure,
    record_counts,
    require_session,
    series,
)
from sardana_nxsas.acquisition.settings import data_root_from_getter
from sardana_nxsas.acquisition.snapshot import BackgroundSnapshot, shared_pool
from sardana_nxsas.dataroot.fsn import FsnCounter, lsfsn_lines
from sardana_nxsas.description import load_description, require_elements, resolve
from sardana_nxsas.errors import NxsError, SessionError
from sardana_nxsas.nexus.exposure.nxsas import iso
from sardana_nxsas.nexus.exposure.readings import end_refs, readings_to_json
from sardana_nxsas.reducer import reduction_news
from sardana_nxsas.samples.text import door_text, from_door
from sardana_nxsas.writer import writer_for

SESSION_ENV = "NxsSession"
TITLE_ENV = "NxsTitle"


def _output(macro, text):
    macro.output(door_text(str(text)))  # Tango strings are Latin-1: others as \uXXXX


def _warning(macro, text):
    macro.warning(door_text(str(text)))


def _catalog_warning(macro, settings):
    """One warning per catalog outage: the rows wait in the spool and arrive later."""
    news = catalog_news(settings)
    if news:
        _warning(macro, f"catalog unreachable, rows are kept and sent when it is back: {news}")
    for line in reduction_news(settings.root):  # issue 7: failed reductions, told once
        _warning(macro, line)


def _open_session(macro):
    """The open exposure, or None; one left open by a MacroServer that died is closed."""
    data = ms.env(macro, SESSION_ENV)
    if not data:
        return None
    session = Session.from_dict(data)
    if session.extra.get("server_pid", os.getpid()) != os.getpid():
        # counted before the crash: the record is whole; otherwise it failed
        status = "complete" if session.frame_file else "failed"
        summary = finish(macro, status, "the MacroServer stopped during this exposure")
        _warning(
            macro,
            f"{session.identifier} was left open by a MacroServer that stopped; "
            f"closed it: {summary.line()}",
        )
        return None
    return session


def _detector_channel(macro, instrument):
    """(measurement group, name of its 2D channel) or a one-line error."""
    mg_name = ms.env(macro, "ActiveMntGrp")
    if not mg_name:
        raise NxsError("no active measurement group: set ActiveMntGrp (senv ActiveMntGrp <mg>)")
    mg = macro.getMeasurementGroup(mg_name)
    if mg is None:
        raise NxsError(f"ActiveMntGrp names {mg_name!r}, which does not exist: set an existing one")
    wanted = instrument.detector.channel
    enabled = mg.getChannelsEnabledInfo()
    images = [ch for ch in enabled if getattr(ch, "ndim", None) == 2]
    if wanted:
        images = [ch for ch in images if wanted in (ch.name, ch.label, ch.full_name)]
    if len(images) != 1:
        what = f"2D channel {wanted!r}" if wanted else "exactly one 2D channel"
        raise NxsError(
            f"measurement group {mg_name} must have {what} enabled (found {len(images)})"
        )
    return mg, images[0], {ch.full_name: ch.name for ch in enabled}


_TIMERS = {}  # (measurement group, its enabled channels) -> timer names: asking costs ms


def _timers(mg, channels):
    key = (mg.getName(), tuple(sorted(channels.items())))
    if key not in _TIMERS:
        _TIMERS[key] = list(mg.getTimer().values())
    return _TIMERS[key]


def begin(macro, prefix, title, settings=None, fsns=None):
    """nxsbegin's work, also used by expose (``fsns``: the numbers its series reserved)."""
    current = _open_session(macro)
    if current is not None:
        raise SessionError(f"{current.identifier} is still open: finish it with nxsend")
    settings = settings or ms.settings(macro)
    description = load_description(settings.instrument_file)
    require_elements(description, lambda kind, name: ms.element_exists(macro, kind, name))
    instrument = resolve(description, {})
    mg, channel, channels = _detector_channel(macro, instrument)
    sample = ms.chosen_sample(macro, settings)
    if not title:
        title = ms.env(macro, TITLE_ENV) or (sample.exposure_title if sample else "untitled")
    session, allocation = begin_exposure(
        settings,
        prefix or settings.default_prefix,
        str(title),
        description=description,
        sample=sample,
        wake=_wake(settings),
        fsns=fsns,
    )
    _catalog_warning(macro, settings)
    if allocation.skipped:
        _warning(
            macro,
            f"files already existed at FSN {', '.join(map(str, allocation.skipped))} "
            f"of {session.prefix}: using {session.fsn}",
        )
    session.extra.update(
        mg=mg.getName(),
        channel=channel.name,
        channel_full_name=channel.full_name,
        channels=channels,
        timers=_timers(mg, channels),
        server_pid=os.getpid(),  # tells a session of a MacroServer that died
    )
    try:
        macro.setEnv(SESSION_ENV, session.to_dict())
    except BaseException as exc:
        end_exposure(
            session, settings, status="failed", reason=f"nxsbegin failed: {exc}",
            wake=_wake(settings),
        )  # fmt: skip
        raise
    return session


def _wake(settings):
    """Hands the file work to the writer process of the data root (decision 0008)."""
    return writer_for(settings.root).wake


def finish(macro, status="complete", reason=None, counted=None, session=None, settings=None):
    """nxsend's work: hand the file's completion to the writer, close the session.

    ``counted`` = (preset, elapsed) of a ct that did not finish. If the job cannot
    be written (disk full), the session stays open for a retry.
    """
    if session is None:
        session = require_session(ms.env(macro, SESSION_ENV))
    if counted is not None and session.count_time is None:
        session.count_time, session.monitor = counted
    settings = settings or ms.settings(macro)
    summary = end_exposure(session, settings, status=status, reason=reason, wake=_wake(settings))
    _catalog_warning(macro, settings)
    macro.setEnv(SESSION_ENV, {})
    return summary


class nxsbegin(Macro):
    """Open an exposure: allocate the next FSN of PREFIX and create its NeXus file."""

    param_def = [
        ["prefix", Type.String, Optional, "file prefix (default: NxsDefaultPrefix)"],
        ["title", Type.String, Optional, "exposure title (default: NxsTitle)"],
    ]

    def run(self, prefix, title):
        session = begin(self, prefix, from_door(title) if title else title)
        _output(self, f"{session.identifier} open: {session.nxs}")


class nxsend(Macro):
    """Finish the open exposure: frame, checksum, monitor, end time; close the file."""

    def run(self):
        data = ms.env(self, SESSION_ENV)
        if data and _open_session(self) is None:
            return  # it was left by a MacroServer that stopped: closed with a warning
        summary = finish(self)
        _output(self, summary.line())
        self.setData(summary.identifier)


class ct(_stock_ct):
    """Count for the specified time on the measurement group or channel given.

    Inside an nxsbegin session the counts, the monitor and the 2D frame go into
    the exposure; outside a session this is Sardana's own ct.
    """

    def run(self, integ_time, countable_elem):
        session = _open_session(self)
        if session is None:
            return _stock_ct.run(self, integ_time, countable_elem)
        check_exposure_time(integ_time)
        if session.frame_file is not None:
            raise SessionError(
                f"{session.identifier} already has its frame: nxsend, then nxsbegin the next one"
            )

        def count():
            _stock_ct.run(self, integ_time, countable_elem)
            return self.getData().data

        count_in_session(self, session, ms.settings(self), float(integ_time), count)
        self.setEnv(SESSION_ENV, session.to_dict())


def count_in_session(macro, session, settings, integ_time, count):
    """Count (``count()`` returns the channel values) with the metadata read beside it,
    then give the exposure its frame. An interrupted or failed count finishes the
    exposure (aborted/failed, with what was counted) and re-raises."""
    metadata = _Metadata(macro, settings, delay=min(SNAPSHOT_DELAY, integ_time / 4))
    started = time.monotonic()
    try:
        values = count()
    except BaseException as exc:
        # a pending Stop/Abort raises here once; Sardana then lets the calls below through
        with contextlib.suppress(BaseException):
            macro.checkPoint()
        metadata.collect(macro, session)
        cause = type(exc).__name__
        interrupted = "Stop" in cause or "Abort" in cause
        status = "aborted" if interrupted else "failed"
        if interrupted:
            why = ("stopped" if "Stop" in cause else "aborted") + " during counting"
        else:
            why = f"failed: {exc}"
        # the time counted before the interruption, as well as the wall clock tells it
        elapsed = min(integ_time, time.monotonic() - started)
        summary = finish(
            macro, status, f"ct {why}", counted=(integ_time, elapsed), session=session,
            settings=settings,
        )  # fmt: skip
        _warning(macro, f"ct {why.split(':')[0]}; {summary.line()}")
        raise
    end = metadata.read_end()  # sensors and motors again, while the frame is claimed
    channels = session.extra["channels"]
    frame_name = session.extra.get("channel_full_name")
    counters = {
        channels.get(full, full): float(v)
        for full, v in values.items()
        if full != frame_name and _is_scalar(v)
    }
    timers = [t for t in session.extra["timers"] if t in counters]
    session.timer = timers[0] if timers else None
    record_counts(
        session,
        settings,
        count_time=integ_time,
        monitor=counters[timers[0]] if timers else None,
        counters=counters,
        frame=_frame_source(values.get(frame_name)),
    )
    metadata.collect(macro, session, end)
    return session


def _is_scalar(value):
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _frame_source(value):
    if isinstance(value, str):
        return value.removeprefix("file://")
    return value


def _mg_count(macro, mg_name, integ_time):
    """The measurement group's count, as stock ct does it (expose counts without a
    sub-macro: a macro's start costs milliseconds)."""
    mg = macro.getObj(mg_name)  # reserved by the macro (not getMeasurementGroup): Ctrl-C stops it
    state, data = mg.count(integ_time)
    macro.checkPoint()  # raises Sardana's Stop/Abort exception if the macro was interrupted
    if state != DevState.ON:
        raise ValueError(f"acquisition ended with {state}")
    return data


class expose(Macro, Hookable):
    """Take NIMAGES exposures of TIME seconds on PREFIX: nxsbegin + ct + nxsend each."""

    hints = {"allowsHooks": ("pre-exposure", "post-exposure")}
    param_def = [
        ["time", Type.Float, None, "exposure time, s"],
        ["nimages", Type.Integer, 1, "number of exposures"],
        ["prefix", Type.String, Optional, "file prefix (default: NxsDefaultPrefix)"],
    ]

    def run(self, time, nimages, prefix):
        check_exposure_time(time)
        if nimages < 1:
            raise NxsError(f"nimages {nimages} must be at least 1")
        settings = ms.settings(self)
        with series(settings, prefix, nimages, time) as fsns:
            for index in range(nimages):
                for hook in self.getHooks("pre-exposure"):
                    hook()
                session = begin(self, prefix, None, settings, fsns)
                count = functools.partial(_mg_count, self, session.extra["mg"], time)
                count_in_session(self, session, settings, time, count)
                _output(self, finish(self, session=session, settings=settings).line())
                for hook in self.getHooks("post-exposure"):
                    hook()
                yield 100.0 * (index + 1) / nimages


class lsfsn(Macro):
    """Last and next file sequence number (FSN) of every prefix."""

    def run(self):
        counter = FsnCounter(data_root_from_getter(ms.getter(self)))
        for line in lsfsn_lines(counter):
            _output(self, line)
        self.setData(counter.summary())


# The start snapshot waits this long (at most a quarter of the count): reading the sensors
# takes the MacroServer's GIL, which the Pool in the same process needs to start the
# detectors (measured: ~3 ms per 0.1 s exposure, benchmarks/exposure_soak.py)
SNAPSHOT_DELAY = 0.03  # s


class _Metadata:
    """The instrument's readings beside the count: started in a worker thread, so that
    the count starts at once; read again (sensors, motors) when it has ended."""

    def __init__(self, macro, settings, delay=0.0):
        self._ready = threading.Event()
        self._snapshot = self._refs = self._read = None
        self._error = None
        shared_pool().submit(self._start, macro, settings, delay)

    def _start(self, macro, settings, delay):
        time.sleep(delay)
        try:
            description = load_description(settings.instrument_file)
            elements = [*macro.getMotors().values(), *macro.getPseudoMotors().values()]
            self._refs = description.sources([element.name for element in elements])
            self._read = ms.prepare_reader(macro, self._refs)
            self._snapshot = BackgroundSnapshot(self._refs, self._read)
        except Exception as exc:  # told in spock; the exposure goes on with the constants
            self._error = f"{type(exc).__name__}: {exc}"
        finally:
            self._ready.set()

    def read_end(self):
        """Start reading the sensors and positioners again (None if metadata failed)."""
        self._ready.wait(30)
        if self._snapshot is None:
            return None
        return BackgroundSnapshot(end_refs(self._refs), self._read)

    def collect(self, macro, session, end=None):
        """Put the readings into the session; one warning for what could not be read."""
        self._ready.wait(30)
        if self._snapshot is None:
            _warning(
                macro,
                f"{session.identifier}: metadata not read ({self._error or 'timeout'}); "
                "the exposure goes on with the constants only",
            )
            return
        started = self._snapshot.result()
        missing = started.missing()
        if missing:
            items = ", ".join(f"{key} ({why})" for key, why in list(missing.items())[:5])
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            _warning(macro, f"{session.identifier}: missing metadata: {items}{more}")
        end = (end or self.read_end()).result()
        session.start_readings = readings_to_json(started.readings)
        session.end_readings = readings_to_json(end.readings)
        session.end_seconds = (end.taken - started.taken).total_seconds()
        session.snapshot_time = iso(started.taken)
