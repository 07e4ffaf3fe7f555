"""Transmission macro of sardana-nxsas: ``nxstrans SAMPLE [n] [time]``.

As operators measure it: beamstop out, then ``n`` exposures each of the dark, the
empty beam and the sample on the ``tra`` prefix (normal exposure files, through
``expose``), T = (S - D) / (E - D) with its uncertainty from the direct beam
(sardana_nxsas.acquisition.transmission), stored in the sample registry (so every later exposure
of the sample carries it), and the beamstop back in, also when the macro is stopped
or fails half-way. A thin adapter; see docs/how-to/measure-transmission.md.
"""

from sardana.macroserver.macro import Macro, Type
from taurus.core.util.log import Logger

from sardana_nxsas import env
from sardana_nxsas.acquisition import macro_support as ms
from sardana_nxsas.acquisition.transmission import (
    TRANSMISSION_PREFIX,
    beamstop_motor,
    measure,
    reference_sample,
)
from sardana_nxsas.dataroot.fsn import FsnCounter
from sardana_nxsas.description import load_description
from sardana_nxsas.errors import NxsError
from sardana_nxsas.samples.store import registry_for, spock_quote
from sardana_nxsas.samples.text import door_text, from_door


def _say_anyway(macro, line):
    """Output that reaches the Door also while a Stop is processed (Macro.output would
    raise Sardana's StopException before writing, in the finally of a stopped macro)."""
    Logger.output(macro, door_text(line))


class nxstrans(Macro):
    """Measure the transmission of SAMPLE (registry name) and store it in the registry.

    Beamstop out (NxsBeamstopOut), N exposures of TIME s each of the dark, the empty
    beam and SAMPLE on the tra prefix, T = (S - D) / (E - D), beamstop back in.
    """

    param_def = [
        ["sample", Type.String, None, "sample name in the registry"],
        ["n", Type.Integer, 1, "exposures of each (dark, empty beam, sample)"],
        ["time", Type.Float, 0.5, "exposure time, s (short: the direct beam hits the detector)"],
    ]

    def run(self, sample, n, time):
        try:
            self._measure(from_door(sample), n, time)
        except NxsError as exc:
            exc.args = (door_text(str(exc)),)
            raise

    def _measure(self, name, n, time):
        if n < 1 or not time > 0:
            raise NxsError(f"nxstrans needs n >= 1 and a positive time (not {n}, {time})")
        settings = ms.settings(self)
        registry = registry_for(settings.root)
        target = registry.get(name)
        samples = registry.list()
        dark = reference_sample(samples, "Dark", ms.env(self, env.DARK_SAMPLE))
        empty = reference_sample(samples, "Empty beam", ms.env(self, env.EMPTY_BEAM_SAMPLE))
        description = load_description(settings.instrument_file)
        motor_name = beamstop_motor(description, ms.env(self, env.BEAMSTOP_MOTOR))
        motor = self.getMoveable(motor_name)
        if motor is None:
            raise NxsError(
                f"beamstop motor {motor_name!r} does not exist: set {env.BEAMSTOP_MOTOR}"
            )
        out = ms.env(self, env.BEAMSTOP_OUT)
        if out is None:
            raise NxsError(
                f"set the beamstop's out position first: senv {env.BEAMSTOP_OUT} <position>"
            )
        back = ms.env(self, env.BEAMSTOP_IN)
        back = float(motor.getPosition() if back is None else back)
        frames = {}
        try:
            self.execMacro("mv", [[motor_name, float(out)]])
            ms.say(self, f"beamstop {motor_name} out at {float(out):g}")
            for role, sample in (("dark", dark), ("empty", empty), ("sample", target)):
                self.execMacro(f"nxssample use {spock_quote(sample.name)} move")
                frames[role] = self._expose(settings, n, time)
        finally:
            _put_back(motor, back)
            _say_anyway(self, f"beamstop {motor_name} back in at {back:g}")
        result = measure(settings.instrument_file, frames["sample"], frames["empty"],
                         frames["dark"])  # fmt: skip
        stored = registry.set(target.name, transmission=result.value,
                              transmission_error=result.error)  # fmt: skip
        ms.say(self, result.line(stored.name))
        self.setData({"transmission": result.value, "error": result.error,
                      "exposures": [p.stem for ps in frames.values() for p in ps]})  # fmt: skip

    def _expose(self, settings, n, time):
        """n exposures on tra through expose; their CBFs (expose takes consecutive FSNs)."""
        self.execMacro(["expose", str(time), str(n), TRANSMISSION_PREFIX])
        last = FsnCounter(settings.root).last(TRANSMISSION_PREFIX)
        fsns = range(last - n + 1, last + 1)
        return [settings.root.cbf_path(TRANSMISSION_PREFIX, fsn) for fsn in fsns]


def _put_back(motor, position, attempts=5, tolerance=1e-3):
    """Move the beamstop back in; not a macro, so it works after a Stop too. The
    MacroServer's own stop of the macro's motors may land on this move: check, retry."""
    for _ in range(attempts):
        motor.move(position)
        if abs(float(motor.getPosition(force=True)) - position) <= tolerance:
            return
    raise NxsError(f"the beamstop did not come back to {position:g}: move it in by hand")
