"""Exposure macros of sardana-nxsas: nxsbegin / ct / nxsend, expose, lsfsn.

Thin adapters: they translate the MacroServer environment, the measurement group and
Sardana's Stop/Abort into calls of the core (``sardana_nxsas.acquisition``), which
allocates the FSN, counts with the metadata read beside it, closes a session left by a
MacroServer that died and hands the files to the writer. See docs/tutorial/spock-session.md.
"""

import functools

from sardana.macroserver.macro import AbortException, Hookable, Macro, Optional, StopException, Type
from sardana.macroserver.macros.standard import ct as _stock_ct
from tango import DevState

from sardana_nxsas import env
from sardana_nxsas.acquisition import macro_support as ms
from sardana_nxsas.acquisition import recovery
from sardana_nxsas.acquisition.count import CountHooks, Interrupts, check_count, count_exposure
from sardana_nxsas.acquisition.exposure import (
    begin_exposure,
    check_exposure_time,
    end_exposure,
    require_session,
    series,
)
from sardana_nxsas.acquisition.measurement_group import DetectorSetup, detector_setup
from sardana_nxsas.acquisition.news import operator_news
from sardana_nxsas.acquisition.settings import data_root_from_getter
from sardana_nxsas.dataroot.fsn import FsnCounter, lsfsn_lines
from sardana_nxsas.description import load_description, require_elements, resolve
from sardana_nxsas.errors import NxsError, SessionError
from sardana_nxsas.samples.text import from_door
from sardana_nxsas.writer import writer_for

INTERRUPTS = Interrupts(stop=(StopException,), abort=(AbortException,))  # Sardana's own


def _tell_news(macro, settings, allocation=None):  # catalog outage, failed reductions...
    for line in operator_news(settings, allocation):
        ms.warn(macro, line)


def _open_session(macro):
    """The open exposure, or None; one left open by a MacroServer that died is closed."""
    finish_it, warn = functools.partial(finish, macro), functools.partial(ms.warn, macro)
    return recovery.open_session(ms.env(macro, env.SESSION), finish_it, warn)


def begin(macro, prefix, title, settings=None, fsns=None):
    """nxsbegin's work, also used by expose (``fsns``: the numbers its series reserved)."""
    current = _open_session(macro)
    if current is not None:
        raise SessionError(f"{current.identifier} is still open: finish it with nxsend")
    settings = settings or ms.settings(macro)
    description = load_description(settings.instrument_file)
    require_elements(description, lambda kind, name: ms.element_exists(macro, kind, name))
    wanted = resolve(description, {}).detector.channel
    setup = detector_setup(ms.env(macro, "ActiveMntGrp"), macro.getMeasurementGroup, wanted)
    sample = ms.chosen_sample(macro, settings)
    if not title:
        title = ms.env(macro, env.TITLE) or (sample.exposure_title if sample else "untitled")
    session, allocation = begin_exposure(
        settings, prefix or settings.default_prefix, str(title), description=description,
        sample=sample, wake=_wake(settings), fsns=fsns,
    )  # fmt: skip
    _tell_news(macro, settings, allocation)
    session.extra.update(setup.to_extra())
    recovery.mark_owned(session)  # tells a session of a MacroServer that died
    try:
        macro.setEnv(env.SESSION, session.to_dict())
    except BaseException as exc:
        end_exposure(session, settings, status="failed", reason=f"nxsbegin failed: {exc}",
                     wake=_wake(settings))  # fmt: skip
        raise
    return session


def _wake(settings):  # hands the file work to the data root's writer process (decision 0008)
    return writer_for(settings.root).wake


def finish(macro, status="complete", reason=None, session=None, settings=None):
    """nxsend's work: hand the file's completion to the writer, close the session.
    If the job cannot be written (disk full), the session stays open for a retry."""
    if session is None:
        session = require_session(ms.env(macro, env.SESSION))
    settings = settings or ms.settings(macro)
    summary = end_exposure(session, settings, status=status, reason=reason, wake=_wake(settings))
    _tell_news(macro, settings)
    macro.setEnv(env.SESSION, {})
    return summary


def count_in_session(macro, session, settings, integ_time, count):
    """The core's count of an exposure; ``count()`` returns the channel values."""
    hooks = CountHooks(
        interrupts=INTERRUPTS,
        sources=ms.MacroSources(macro),
        check_point=macro.checkPoint,
        finish=functools.partial(finish, macro, settings=settings),
        warn=functools.partial(ms.warn, macro),
    )
    return count_exposure(session, settings, integ_time, count, hooks)


class nxsbegin(Macro):
    """Open an exposure: allocate the next FSN of PREFIX and create its NeXus file."""

    param_def = [
        ["prefix", Type.String, Optional, "file prefix (default: NxsDefaultPrefix)"],
        ["title", Type.String, Optional, "exposure title (default: NxsTitle)"],
    ]

    def run(self, prefix, title):
        session = begin(self, prefix, from_door(title) if title else title)
        ms.say(self, f"{session.identifier} open: {session.nxs}")


class nxsend(Macro):
    """Finish the open exposure: frame, checksum, monitor, end time; close the file."""

    def run(self):
        data = ms.env(self, env.SESSION)
        if data and _open_session(self) is None:
            return  # it was left by a MacroServer that stopped: closed with a warning
        summary = finish(self)
        ms.say(self, summary.line())
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
        integ_time = check_count(session, integ_time)

        def count():
            _stock_ct.run(self, integ_time, countable_elem)
            return self.getData().data

        count_in_session(self, session, ms.settings(self), integ_time, count)
        self.setEnv(env.SESSION, session.to_dict())


def _mg_count(macro, mg_name, integ_time):
    """The measurement group's count, as stock ct does it (expose counts without a
    sub-macro: a macro's start costs milliseconds)."""
    mg = macro.getObj(mg_name)  # reserved by the macro (not getMeasurementGroup): Ctrl-C stops it
    state, data = mg.count(integ_time)
    macro.checkPoint()  # raises Sardana's StopException/AbortException if interrupted
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
                mg_name = DetectorSetup.of(session).measurement_group
                count = functools.partial(_mg_count, self, mg_name, time)
                count_in_session(self, session, settings, time, count)
                ms.say(self, finish(self, session=session, settings=settings).line())
                for hook in self.getHooks("post-exposure"):
                    hook()
                yield 100.0 * (index + 1) / nimages


class lsfsn(Macro):
    """Last and next file sequence number (FSN) of every prefix."""

    def run(self):
        counter = FsnCounter(data_root_from_getter(ms.getter(self)))
        for line in lsfsn_lines(counter):
            ms.say(self, line)
        self.setData(counter.summary())
