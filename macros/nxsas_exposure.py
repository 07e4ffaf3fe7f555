"""Exposure macros of sardana-nxsas: nxsbegin / ct / nxsend, expose, lsfsn.

Thin adapters: they read the MacroServer environment and the measurement
group, then call the core library (``sardana_nxsas``), which allocates the FSN
and writes the files. See docs/tutorial/spock-session.md.
"""

import os
import time

from sardana.macroserver.macro import Hookable, Macro, Optional, Type
from sardana.macroserver.macros.standard import ct as _stock_ct

from sardana_nxsas import macro_support as ms
from sardana_nxsas.description import load_description, require_elements, resolve
from sardana_nxsas.errors import NxsError, SessionError
from sardana_nxsas.exposure import (
    Session,
    begin_exposure,
    catalog_news,
    check_exposure_time,
    end_exposure,
    record_counts,
    require_session,
)
from sardana_nxsas.fsn import FsnCounter, lsfsn_lines
from sardana_nxsas.nexus.nxsas import iso
from sardana_nxsas.recording import end_refs, readings_to_json
from sardana_nxsas.sample_store import registry_for
from sardana_nxsas.sample_text import door_text, from_door
from sardana_nxsas.settings import data_root_from_getter
from sardana_nxsas.snapshot import BackgroundSnapshot, take_snapshot
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
    images = [ch for ch in mg.getChannelsEnabledInfo() if getattr(ch, "ndim", None) == 2]
    if wanted:
        images = [ch for ch in images if wanted in (ch.name, ch.label, ch.full_name)]
    if len(images) != 1:
        what = f"2D channel {wanted!r}" if wanted else "exactly one 2D channel"
        raise NxsError(
            f"measurement group {mg_name} must have {what} enabled (found {len(images)})"
        )
    return mg, images[0]


def begin(macro, prefix, title):
    """nxsbegin's work, also used by expose."""
    current = _open_session(macro)
    if current is not None:
        raise SessionError(f"{current.identifier} is still open: finish it with nxsend")
    settings = ms.settings(macro)
    description = load_description(settings.instrument_file)
    require_elements(description, lambda kind, name: ms.element_exists(macro, kind, name))
    instrument = resolve(description, {})
    mg, channel = _detector_channel(macro, instrument)
    sample = _chosen_sample(macro, settings)
    if not title:
        title = ms.env(macro, TITLE_ENV) or (sample.exposure_title if sample else "untitled")
    session, allocation = begin_exposure(
        settings,
        prefix or settings.default_prefix,
        str(title),
        description=description,
        sample=sample,
        wake=_wake(settings),
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


def finish(macro, status="complete", reason=None, counted=None):
    """nxsend's work: finalise the file, restore the detector, close the session.

    ``counted`` = (preset, elapsed) of a ct that did not finish. If finishing
    fails (bad configuration, disk full), the session stays open for a retry.
    """
    session = require_session(ms.env(macro, SESSION_ENV))
    if counted is not None and session.count_time is None:
        session.count_time, session.monitor = counted
    settings = ms.settings(macro)
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
        settings = ms.settings(self)
        snapshot, refs, read = _start_metadata(self, settings)
        started = time.monotonic()
        try:
            _stock_ct.run(self, integ_time, countable_elem)
        except BaseException as exc:
            _end_metadata(self, session, snapshot, refs, read)
            self.setEnv(SESSION_ENV, session.to_dict())  # finish() reads the session from there
            cause = type(exc).__name__
            interrupted = "Stop" in cause or "Abort" in cause
            status = "aborted" if interrupted else "failed"
            if interrupted:
                why = ("stopped" if "Stop" in cause else "aborted") + " during counting"
            else:
                why = f"failed: {exc}"
            # the time counted before the interruption, as well as the wall clock tells it
            elapsed = min(float(integ_time), time.monotonic() - started)
            summary = finish(self, status, f"ct {why}", counted=(float(integ_time), elapsed))
            _warning(self, f"ct {why.split(':')[0]}; {summary.line()}")
            raise
        values = self.getData().data
        mg = self.getMeasurementGroup(session.extra["mg"])
        names = {ch.full_name: ch.name for ch in mg.getChannelsEnabledInfo()}
        frame_name = session.extra.get("channel_full_name")
        counters = {
            names.get(full, full): float(v)
            for full, v in values.items()
            if full != frame_name and _is_scalar(v)
        }
        timers = [t for t in mg.getTimer().values() if t in counters]
        session.timer = timers[0] if timers else None
        _end_metadata(self, session, snapshot, refs, read)
        record_counts(
            session,
            settings,
            count_time=float(integ_time),
            monitor=counters[timers[0]] if timers else None,
            counters=counters,
            frame=_frame_source(values.get(frame_name)),
        )
        self.setEnv(SESSION_ENV, session.to_dict())


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
        yield 0.0
        for index in range(nimages):
            for hook in self.getHooks("pre-exposure"):
                hook()
            begin(self, prefix, None)
            self.execMacro("ct", time)
            _output(self, finish(self).line())
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


def _chosen_sample(macro, settings):
    name = ms.env(macro, "NxsSample")
    if not name:
        return None
    sample = registry_for(settings.root).find(str(name))
    if sample is None:
        raise NxsError(
            f"NxsSample names {name!r}, which is not in the sample registry: nxssample use"
        )
    return sample


def _start_metadata(macro, settings):
    """Begin reading every source of the description while the detector counts."""
    description = load_description(settings.instrument_file)
    elements = [*macro.getMotors().values(), *macro.getPseudoMotors().values()]
    refs = description.sources([element.name for element in elements])
    read = ms.prepare_reader(macro, refs)
    return BackgroundSnapshot(refs, read), refs, read


def _end_metadata(macro, session, snapshot, refs, read):
    """Collect the readings taken while counting; read sensors and motors again."""
    started = snapshot.result()
    missing = started.missing()
    if missing:
        items = ", ".join(f"{key} ({why})" for key, why in list(missing.items())[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        _warning(macro, f"{session.identifier}: missing metadata: {items}{more}")
    end = take_snapshot(end_refs(refs), read)
    session.start_readings = readings_to_json(started.readings)
    session.end_readings = readings_to_json(end.readings)
    session.end_seconds = (end.taken - started.taken).total_seconds()
    session.snapshot_time = iso(started.taken)
