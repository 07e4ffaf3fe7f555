"""A simulated Pilatus/Eiger for the sardana-nxsas demo instrument.

A Sardana TwoD controller with value referencing: with ``ValueRefEnabled`` it
writes each frame as a miniCBF at the path of ``ValueRefPattern`` (``{index}``
is substituted) and reports ``file://<path>``, as a LImA-driven Pilatus does.
The frame is Poisson counts of the pattern of the sample that the simulated
stage has in the beam; it is computed while the exposure runs.
"""

import threading
import time
from datetime import datetime
from pathlib import Path

from sardana import State
from sardana.pool.controller import (
    DefaultValue,
    Description,
    Referable,
    TwoDController,
    Type,
)

from sardana_nxsas.dataroot.cbf import MiniCbfHeader, write_cbf
from sardana_nxsas.simulation import DEFAULT_HOLDER, default_geometry, get_detector, simulate_frame
from sardana_nxsas.simulation.stage import STAGE

# Dead time between two frames that the controller reports as its latency_time: Sardana's
# software-triggered acquisitions (timescan) trigger every integration + latency time and skip
# a trigger that finds the previous frame not yet read. A simulated frame is computed while it
# counts (~0.25 us per pixel here) and then written: the latency is what the last frames took
# beyond their integration time, plus a margin for Sardana's polling and reading.
READOUT_MARGIN = 0.1  # s
SECONDS_PER_PIXEL = 3e-7  # first estimate of the frame's making, before one is measured


class _Acquisition(threading.Thread):
    """Counts for ``integ_time``, then (unless stopped) has a frame, written if asked."""

    def __init__(self, ctrl, integ_time, path):
        super().__init__(daemon=True, name="nxs-sim-pilatus")
        self.ctrl, self.integ_time, self.path = ctrl, integ_time, path
        self.stopped = threading.Event()
        self.frame, self.error = None, None

    def run(self):
        started = time.monotonic()
        try:
            kind = DEFAULT_HOLDER.kind_at(STAGE.position("sample_x"), STAGE.position("sample_y"))
            frame = simulate_frame(
                self.ctrl.detector,
                self.ctrl.geometry,
                kind,
                self.integ_time,
                beamstop_in=STAGE.beamstop_in(),
            )
            if self.stopped.wait(max(0.0, self.integ_time - (time.monotonic() - started))):
                return  # a Pilatus discards the frame of a killed exposure
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                write_cbf(self.path, frame, self.ctrl.header(self.integ_time))
            self.ctrl.observe_overrun(time.monotonic() - started - self.integ_time)
            self.frame = frame
        except Exception as exc:  # reported through StateOne
            self.error = f"{type(exc).__name__}: {exc}"


class NxsSimPilatusController(TwoDController, Referable):
    """Simulated photon-counting detector writing Pilatus miniCBF files."""

    gender = "Simulation"
    model = "sardana-nxsas simulated Pilatus"
    organization = "sardana-nxsas"
    MaxDevice = 1
    default_timer = 1

    ctrl_properties = {
        "Detector": {
            Type: str,
            Description: "pilatus300k, pilatus1m or eiger9m",
            DefaultValue: "pilatus300k",
        },
    }

    def __init__(self, inst, props, *args, **kwargs):
        TwoDController.__init__(self, inst, props, *args, **kwargs)
        self.detector = get_detector(self.Detector)
        self.geometry = default_geometry(self.detector)
        self._integ_time = 1.0
        self._acq = None
        self._last = None
        self._index = 0
        self._ref_enabled = False
        self._ref_pattern = ""
        rows, columns = self.detector.shape
        self._overrun = SECONDS_PER_PIXEL * rows * columns

    def observe_overrun(self, seconds):
        """How long the last frame took beyond its integration time (decays slowly)."""
        self._overrun = max(seconds, 0.8 * self._overrun, 0.0)

    def GetCtrlPar(self, parameter):
        if parameter == "latency_time":
            return READOUT_MARGIN + self._overrun
        return TwoDController.GetCtrlPar(self, parameter)

    def header(self, integ_time):
        g = self.geometry
        return MiniCbfHeader(
            detector=f"{self.detector.name} (sardana-nxsas simulation)",
            pixel_size=(g.pixel_size, g.pixel_size),
            exposure_time=integ_time,
            wavelength=g.wavelength,
            distance=g.distance,
            beam_xy=(g.beam_center_col, g.beam_center_row),
            timestamp=datetime.now().astimezone(),
            count_cutoff=self.detector.saturation_value,
            sensor_thickness=self.detector.sensor_thickness,
        )

    def AddDevice(self, axis):
        pass

    def DeleteDevice(self, axis):
        pass

    def LoadOne(self, axis, integ_time, repetitions, latency_time):
        if repetitions != 1:
            raise ValueError("the simulated detector takes one frame per start")
        self._integ_time = integ_time

    def StartOne(self, axis, value=None):
        path = None
        if self._ref_enabled:
            # after a restart the index begins again: skip names still taken
            while Path(self._reference().removeprefix("file://")).exists():
                self._index += 1
            path = Path(self._reference().removeprefix("file://"))
        self._acq = _Acquisition(self, self._integ_time, path)

    def StartAll(self):
        self._acq.start()

    def StateOne(self, axis):
        acq = self._acq
        if acq is None:
            return State.On, "idle"
        if acq.is_alive():
            return State.Moving, "acquiring"
        if acq.error is not None:
            return State.Fault, acq.error
        return State.On, "frame ready"

    def ReadOne(self, axis):
        acq = self._acq
        if acq is None or acq.frame is None:
            raise RuntimeError("no frame acquired yet")
        return acq.frame

    def RefOne(self, axis):
        reference = self._reference()
        self._index += 1
        return reference

    def _reference(self):
        pattern = self._ref_pattern or "file:///tmp/nxs_sim_{index:05d}.cbf"
        return pattern.format(index=self._index)

    def AbortOne(self, axis):
        if self._acq is not None:
            self._acq.stopped.set()
            self._acq.join(5)

    def SetAxisPar(self, axis, parameter, value):
        if parameter == "value_ref_pattern":
            self._ref_pattern = value
        elif parameter == "value_ref_enabled":
            self._ref_enabled = bool(value)

    def GetAxisPar(self, axis, parameter):
        if parameter == "shape":
            return list(self.detector.shape)
        if parameter == "value_ref_pattern":
            return self._ref_pattern
        if parameter == "value_ref_enabled":
            return self._ref_enabled
        return None
