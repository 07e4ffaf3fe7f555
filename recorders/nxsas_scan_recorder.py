"""Sardana file recorder of sardana-nxsas: one NeXus file per scan, its frames as scn exposures.

Chosen by Sardana for a ``ScanFile`` ending in ``.nxs`` (or by name: ``senv ScanRecorder
NxsScanRecorder``). A thin adapter: it turns Sardana's record list into plain values
(``sardana_nxsas.acquisition.scan_setup``) and calls the core
(``sardana_nxsas.acquisition.scan``), which hands the file work to the data root's writer
process. See docs/how-to/record-scans.md and docs/decisions/0010-scan-files.md.
"""

import weakref
from pathlib import Path

from sardana.macroserver.scan.gscan import ScanEndStatus
from sardana.macroserver.scan.recorder import BaseFileRecorder
from sardana.macroserver.scan.scandata import MoveableDesc

from sardana_nxsas.acquisition import macro_support as ms
from sardana_nxsas.acquisition.scan import ScanRecording, ScanSetup
from sardana_nxsas.acquisition.scan_setup import (
    SIGNAL_ENV,
    Channel,
    final_status,
    mesh_grid,
    record_columns,
    scan_file_for,
    yields_to_scan,
)
from sardana_nxsas.acquisition.snapshot import take_snapshot
from sardana_nxsas.description import load_description, resolve
from sardana_nxsas.samples.text import door_text
from sardana_nxsas.writer import writer_for


class NxsScanRecorder(BaseFileRecorder):
    """NeXus scan file of sardana-nxsas (NXentry with a NeXus v3 default plot)."""

    formats = {"nxsas": ".nxs"}

    def __init__(self, filename=None, macro=None, **pars):
        BaseFileRecorder.__init__(self, **pars)
        self._macro = weakref.ref(macro) if macro is not None else None
        self._recording = None
        self._columns = None
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
            scan_file = macro._getEnv("ScanFile")
        except Exception:
            return
        self.filename = str(scan_file_for(filename, scan_file, number))

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
        writer = writer_for(settings.root)
        fast = yields_to_scan(getattr(macro, "integ_time", None), getattr(macro, "nb_points", None))
        recording = ScanRecording(
            settings,
            setup,
            _snapshot(macro, description),
            ms.chosen_sample(macro, settings),
            warn=self._warn,
            wake=writer.wake,
            hold=writer.yielding() if fast else None,
        )
        recording.begin()
        self._recording = recording

    def _writeRecord(self, record):
        if self._recording is not None:
            data = record.data
            index = int(data.get("point_nb", record.recordno))
            self._recording.add(self._columns.point(index, data))

    def _endRecordList(self, recordlist):
        recording, self._recording = self._recording, None
        if recording is None:
            return
        macro = self._macro()
        ended = recordlist.getEnviron().get("endstatus", ScanEndStatus.Exception)
        status, reason = final_status(
            ScanEndStatus.whatis(ended),
            _interrupted(macro),
            recording.points,
            getattr(macro, "nb_points", None),
        )
        macro._output(door_text(recording.end(status, reason).line()))

    # -- helpers -----------------------------------------------------------------------------

    def _warn(self, text):
        macro = self._macro()
        if macro is not None:
            macro._warning(door_text(text))

    def _setup(self, macro, env, wanted_channel):
        channels = [
            Channel(
                desc.name,
                desc.label,
                isinstance(desc, MoveableDesc),
                tuple(getattr(desc, "shape", None) or ()),
                bool(getattr(desc, "value_ref_enabled", False)),
            )
            for desc in env["datadesc"]
        ]
        found = record_columns(
            channels, set(env.get("counters", ())), _timers(macro), wanted_channel
        )
        self._columns = found
        motors = tuple(found.motors.values())
        return ScanSetup(
            number=int(env["serialno"]),
            title=str(env.get("title", "scan")),
            path=Path(self.filename),
            motors=motors,
            counters=tuple(found.counters.values()),
            timer=found.timer,
            detector=found.frame_key is not None,
            signal=ms.env(macro, SIGNAL_ENV) or None,
            motor_units={c: _motor_units(macro, name) for name, c in found.motors.items()},
            grid=_grid(macro, motors),
        )


def _interrupted(macro):
    """ "Stop" or "Abort" if the macro was interrupted (Sardana may report it as an
    exception: the motion under way ended with an error)."""
    try:
        return "Abort" if macro.isAborted() else "Stop" if macro.isStopped() else None
    except Exception:  # an older Sardana without these
        return None


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
    if getattr(macro, "hints", {}).get("scan") != "mesh":
        return None
    try:
        starts, finals, intervals = macro.starts, macro.finals, macro.nr_intervs
    except AttributeError:
        return None
    bidirectional = getattr(macro, "bidirectional_mode", False)
    return mesh_grid(motors, starts, finals, intervals, bidirectional)


def _snapshot(macro, description):
    """Every source of the instrument description, read once at the scan start."""
    elements = [*macro.getMotors().values(), *macro.getPseudoMotors().values()]
    refs = description.sources([element.name for element in elements])
    return take_snapshot(refs, ms.prepare_reader(macro, refs)).readings
