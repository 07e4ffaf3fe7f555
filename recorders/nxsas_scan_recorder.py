"""Sardana file recorder of sardana-nxsas: one NeXus file per scan, its frames as scn exposures.

Chosen by Sardana for a ``ScanFile`` ending in ``.nxs`` (or by name: ``senv ScanRecorder
NxsScanRecorder``). A thin adapter: it turns Sardana's record list into plain values and
calls the core (``sardana_nxsas.acquisition.scan``), which writes the file, the CBFs and the catalog
rows. See docs/how-to/record-scans.md and docs/decisions/0010-scan-files.md.
"""

import math
import os
import weakref
from pathlib import Path

import numpy as np
from sardana.macroserver.scan.gscan import ScanEndStatus
from sardana.macroserver.scan.recorder import BaseFileRecorder
from sardana.macroserver.scan.scandata import MoveableDesc

from sardana_nxsas.acquisition import macro_support as ms
from sardana_nxsas.acquisition.scan import (
    SIGNAL_ENV,
    ScanPoint,
    ScanRecording,
    ScanSetup,
    column_name,
    scan_file_path,
)
from sardana_nxsas.acquisition.snapshot import take_snapshot
from sardana_nxsas.description import load_description, resolve
from sardana_nxsas.nexus.scan.plot import Grid
from sardana_nxsas.samples.text import door_text

_END = {
    "Normal": ("complete", None),
    "Stop": ("aborted", "scan stopped (Ctrl-C)"),
    "Abort": ("aborted", "scan aborted"),
    "Exception": ("failed", "scan failed"),
}


def _number(value):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number


class NxsScanRecorder(BaseFileRecorder):
    """NeXus scan file of sardana-nxsas (NXentry with a NeXus v3 default plot)."""

    formats = {"nxsas": ".nxs"}

    def __init__(self, filename=None, macro=None, **pars):
        BaseFileRecorder.__init__(self, **pars)
        self._macro = weakref.ref(macro) if macro is not None else None
        self._recording = None
        self._keys = {}  # record key -> (kind, column)
        self._frame_key = None
        self._timer = None
        if filename:
            self.setFileName(filename)

    def getFormat(self):
        return "NeXus (sardana-nxsas)"

    def setFileName(self, filename):
        """One file per scan: the scan number is added unless ScanFile has {ScanID}.
        (Sardana only warns when a recorder cannot be made: never raise here.)"""
        self.filename = filename
        macro = self._macro() if self._macro is not None else None
        try:
            number = int(macro._getEnv("ScanID"))
            raw = macro._getEnv("ScanFile")
        except Exception:
            return
        name = os.path.basename(filename)
        entries = [raw] if isinstance(raw, str) else list(raw)
        numbered = any("{ScanID" in e and _formats_to(e, number, name) for e in entries)
        self.filename = str(scan_file_path(os.path.dirname(filename), name, number, numbered))

    # -- Sardana's three calls -------------------------------------------------------------

    def _startRecordList(self, recordlist):
        """Everything is checked here, before the scan moves anything."""
        if self.filename is None:
            return
        macro = self._macro()
        env = recordlist.getEnviron()
        settings = ms.settings(macro)
        description = load_description(settings.instrument_file)
        setup = self._setup(macro, env, resolve(description, {}).detector.channel)
        sample = ms.chosen_sample(macro, settings)
        info = _snapshot(macro, description)
        if info.missing:
            items = ", ".join(m.key for m in info.missing[:5])
            macro.warning(door_text(f"{setup.identifier}: missing metadata: {items}"))
        recording = ScanRecording(settings, setup, info, sample, warn=self._warn)
        recording.begin()
        self._recording = recording

    def _writeRecord(self, record):
        if self._recording is None:
            return
        data = record.data
        point = ScanPoint(int(data.get("point_nb", record.recordno)))
        for key, (kind, column) in self._keys.items():
            if key not in data:
                continue
            if kind == "motor":
                point.positions[column] = _number(data[key])
            else:
                point.counters[column] = _number(data[key])
        frame = data.get(self._frame_key) if self._frame_key else None
        if isinstance(frame, str | np.ndarray):
            point.frame = frame.removeprefix("file://") if isinstance(frame, str) else frame
        seconds = data.get("timestamp")
        point.seconds = None if seconds is None else _number(seconds)
        if self._timer in point.counters:
            point.count_time = point.counters[self._timer]
        self._recording.add(point)

    def _endRecordList(self, recordlist):
        recording, self._recording = self._recording, None
        if recording is None:
            return
        macro = self._macro()
        env = recordlist.getEnviron()
        ended = ScanEndStatus.whatis(env.get("endstatus", ScanEndStatus.Exception))
        if ended == "Exception" and _interrupted(macro):
            # a stop that lands during a move ends the motion first: Sardana then reports
            # "Motion ended with ..." as an exception, yet the operator stopped the scan
            ended = "Abort" if macro.isAborted() else "Stop"
        status, why = _END.get(ended, ("failed", f"scan ended with {ended}"))
        planned = getattr(macro, "nb_points", None)
        reason = None
        if why:
            of = f" of {planned}" if planned else ""
            reason = f"{why} after {recording.points}{of} points"
        try:
            summary = recording.end(status, reason)
        except Exception as exc:
            if status == "complete":
                raise
            macro._warning(door_text(f"{recording.setup.path} not finished: {exc}"))
            return
        macro._output(door_text(summary.line()))

    # -- helpers -----------------------------------------------------------------------------

    def _warn(self, text):
        macro = self._macro()
        if macro is not None:
            macro._warning(door_text(text))

    def _setup(self, macro, env, wanted_channel):
        counters_full = set(env.get("counters", ()))
        timers = _timers(macro)
        motors, counters, units = [], [], {}
        images = []
        for desc in env["datadesc"]:
            if isinstance(desc, MoveableDesc):
                column = column_name(desc.name)
                motors.append(column)
                self._keys[desc.name] = ("motor", column)
                units[column] = _motor_units(macro, desc.name)
            elif desc.name in counters_full:
                shape = list(getattr(desc, "shape", None) or [])
                if len(shape) == 2 or getattr(desc, "value_ref_enabled", False):
                    images.append(desc)
                elif not shape:
                    column = column_name(desc.label)
                    counters.append(column)
                    self._keys[desc.name] = ("counter", column)
                    if desc.name in timers or desc.label in timers:
                        self._timer = column
        if wanted_channel:
            images = [d for d in images if wanted_channel in (d.label, d.name)] or images
        self._frame_key = images[0].name if images else None
        return ScanSetup(
            number=int(env["serialno"]),
            title=str(env.get("title", "scan")),
            path=Path(self.filename),
            motors=tuple(motors),
            counters=tuple(counters),
            timer=self._timer,
            detector=self._frame_key is not None,
            signal=ms.env(macro, SIGNAL_ENV) or None,
            motor_units=units,
            grid=_grid(macro, motors),
        )


def _interrupted(macro):
    try:
        return bool(macro.isStopped() or macro.isAborted())
    except Exception:  # an older Sardana without these
        return False


def _formats_to(entry, number, name):
    try:
        return entry.format(ScanID=number) == name
    except (KeyError, IndexError, ValueError):
        return False


def _timers(macro):
    """Full names and names of the active measurement group's timer(s)."""
    found = set()
    try:
        mg = macro.getMeasurementGroup(ms.env(macro, "ActiveMntGrp"))
        for full in (True, False):
            found.update(mg.getTimer(ret_full_name=full).values())
    except Exception:  # no timer known: every scalar channel is a counter
        pass
    return found


def _motor_units(macro, name):
    try:
        value = macro.getMoveable(name).getAttribute("Position").read(cache=False).rvalue
        units = getattr(value, "units", None)
        return f"{units:~}" or None if units is not None else None
    except Exception:
        return None


def _grid(macro, motors):
    """The nominal grid of a mesh (Sardana's mesh keeps starts, finals and intervals)."""
    if getattr(macro, "hints", {}).get("scan") != "mesh" or len(motors) != 2:
        return None
    try:
        starts, finals, intervals = macro.starts, macro.finals, macro.nr_intervs
    except AttributeError:
        return None
    axes = [
        tuple(np.linspace(s, f, int(n) + 1))
        for s, f, n in zip(starts, finals, intervals, strict=True)
    ]
    return Grid(
        motors[0], axes[0], motors[1], axes[1], bool(getattr(macro, "bidirectional_mode", False))
    )


def _snapshot(macro, description):
    """Every source of the instrument description, read once at the scan start."""
    elements = [*macro.getMotors().values(), *macro.getPseudoMotors().values()]
    refs = description.sources([element.name for element in elements])
    readings = take_snapshot(refs, ms.prepare_reader(macro, refs)).readings
    return resolve(description, readings)
