"""Simulated motors of the sardana-nxsas demo instrument (sample x/y, beamstop).

Each axis plays a role (``sample_x``, ``sample_y``, ``beamstop_x``, from the
controller property ``Roles``); the positions live in the core's shared
stage, where the simulated detector reads them.
"""

from sardana import State
from sardana.pool.controller import DefaultValue, Description, MotorController, Type

from sardana_nxsas.simulation.stage import ROLES, STAGE


class NxsSimMotorController(MotorController):
    """Motors of the simulated SAXS instrument: positions shared with its detector."""

    gender = "Simulation"
    model = "sardana-nxsas stage"
    organization = "sardana-nxsas"
    MaxDevice = len(ROLES)

    ctrl_properties = {
        "Roles": {
            Type: str,
            Description: "space-separated role of each axis, in axis order",
            DefaultValue: " ".join(ROLES),
        },
    }

    def __init__(self, inst, props, *args, **kwargs):
        MotorController.__init__(self, inst, props, *args, **kwargs)
        self._roles = self.Roles.split()
        unknown = set(self._roles) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles {sorted(unknown)}: use {' '.join(ROLES)}")
        self._pars = {}

    def _role(self, axis):
        return self._roles[axis - 1]

    def AddDevice(self, axis):
        if axis > len(self._roles):
            raise ValueError(f"axis {axis} has no role: Roles lists {len(self._roles)}")
        self._pars[axis] = {
            "velocity": 50.0,
            "acceleration": 0.01,
            "deceleration": 0.01,
            "base_rate": 0.0,
            "step_per_unit": 1.0,
        }

    def DeleteDevice(self, axis):
        self._pars.pop(axis, None)

    def StateOne(self, axis):
        if STAGE.moving(self._role(axis)):
            return State.Moving, "moving", 0
        return State.On, "stopped", 0

    def ReadOne(self, axis):
        return STAGE.position(self._role(axis))

    def StartOne(self, axis, position):
        STAGE.start(self._role(axis), float(position), self._pars[axis]["velocity"])

    def StopOne(self, axis):
        STAGE.stop(self._role(axis))

    def AbortOne(self, axis):
        STAGE.stop(self._role(axis))

    def DefinePosition(self, axis, position):
        STAGE.positions[self._role(axis)] = float(position)

    def SetAxisPar(self, axis, name, value):
        self._pars[axis][name.lower()] = float(value)

    def GetAxisPar(self, axis, name):
        return self._pars[axis].get(name.lower())
