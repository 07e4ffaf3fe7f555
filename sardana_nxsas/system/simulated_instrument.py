"""The embedded simulated SAXS instrument: a Tango DB + Sardana on loopback with
a simulated Pilatus, a counter/timer and sample/beamstop motors, configured
for sardana-nxsas. Used by the demo, the system tests and the benchmarks.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

import tango

from sardana_nxsas import env
from sardana_nxsas.acquisition.scan_setup import scan_defaults
from sardana_nxsas.dataroot.claim import INCOMING
from sardana_nxsas.paths import plugin_dir
from sardana_nxsas.simulation.holder import DEFAULT_HOLDER
from sardana_nxsas.simulation.instrument_file import simulated_instrument_toml
from sardana_nxsas.system.door import DoorClient
from sardana_nxsas.system.sardana_server import SardanaServer
from sardana_nxsas.system.tangodb import TangoDatabase

MEASUREMENT_GROUP = "mg_saxs"
DETECTOR_CHANNEL = "pilatus"
TIMER = "timer"
MOTORS = {"sample_x": "samx", "sample_y": "samy", "beamstop_x": "bsx"}


def incoming_pattern(data_root: Path) -> str:
    """Where the simulated detector saves its frames before an exposure claims them."""
    return f"file://{Path(data_root) / 'images' / INCOMING}/frame_{{index:06d}}.cbf"


def element_macros(detector: str, data_root: Path | None = None) -> list[str]:
    """The macros that create the simulated instrument's elements on a fresh Pool.

    With ``data_root`` the detector saves every frame as a CBF (value referencing,
    as a lab configures a LImA Pilatus) in the data root's incoming folder.
    """
    referencing = []
    if data_root is not None:
        pattern = shlex.quote(incoming_pattern(data_root))
        referencing = [
            f"set_meas_conf ValueRefPattern {pattern} [ {DETECTOR_CHANNEL} ] {MEASUREMENT_GROUP}",
            f"set_meas_conf ValueRefEnabled True [ {DETECTOR_CHANNEL} ] {MEASUREMENT_GROUP}",
        ]
    return [
        "defctrl DummyCounterTimerController timerctrl",
        f"defelem {TIMER} timerctrl 1",
        f"defctrl NxsSimPilatusController pilatusctrl Detector {detector}",
        f"defelem {DETECTOR_CHANNEL} pilatusctrl 1",
        "defctrl NxsSimMotorController stagectrl",
        *(f"defelem {name} stagectrl {axis}" for axis, name in enumerate(MOTORS.values(), 1)),
        f"defmeas {MEASUREMENT_GROUP} {TIMER} {DETECTOR_CHANNEL}",
        f"senv ActiveMntGrp {MEASUREMENT_GROUP}",
        *referencing,
    ]


def move_to_slot_macro(slot_name: str) -> str:
    slot = DEFAULT_HOLDER.slot(slot_name)
    return f"mv {MOTORS['sample_x']} {slot.x} {MOTORS['sample_y']} {slot.y}"


@dataclass
class SimulatedInstrument:
    """A running simulated instrument; ``stop()`` ends every process it started."""

    workdir: Path
    data_root: Path
    instrument_file: Path
    db: TangoDatabase
    server: SardanaServer
    door: DoorClient

    def restart_sardana(self) -> None:
        """Stop (or reap a killed) Sardana server and start it again on the same DB."""
        self.server.stop()
        self.server.start()
        self.door = self.server.door()

    def detach(self) -> None:
        """Leave the servers running when this process exits (``demo --keep``)."""
        self.server.detach()
        self.db.detach()

    def stop(self) -> None:
        try:
            self.server.stop()
        finally:
            self.db.stop()

    def __enter__(self) -> SimulatedInstrument:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_simulated_instrument(
    workdir: Path, data_root: Path, detector: str = "pilatus300k"
) -> SimulatedInstrument:
    """Start DB + Sardana in ``workdir`` and configure sardana-nxsas for ``data_root``."""
    workdir, data_root = Path(workdir).resolve(), Path(data_root).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    data_root.mkdir(parents=True, exist_ok=True)
    instrument_file = workdir / "instrument.toml"
    instrument_file.write_text(simulated_instrument_toml(detector, DETECTOR_CHANNEL))
    db = TangoDatabase(workdir / "tango")
    db.start()
    try:
        server = SardanaServer(
            db,
            workdir / "sardana",
            pool_path=[plugin_dir("controllers")],
            macro_path=[plugin_dir("macros")],
            recorder_path=[plugin_dir("recorders")],
        )
        server.start()
    except BaseException:
        db.stop()
        raise
    instrument = SimulatedInstrument(workdir, data_root, instrument_file, db, server, server.door())
    try:
        for macro in element_macros(detector, data_root) + [
            f"senv {env.DATA_ROOT} {shlex.quote(str(data_root))}",
            f"senv {env.INSTRUMENT_FILE} {shlex.quote(str(instrument_file))}",
            *(
                f"senv {key} {shlex.quote(value)}"
                for key, value in scan_defaults(data_root).items()
            ),
        ]:
            instrument.door.run(macro, raise_on_error=True)
        _set_motor_units(db, "mm")
    except BaseException:
        instrument.stop()
        raise
    return instrument


def _set_motor_units(db: TangoDatabase, units: str) -> None:
    """Give the simulated motors' Position a unit, as a lab configures its real motors."""
    for alias in MOTORS.values():
        proxy = tango.DeviceProxy(f"tango://{db.tango_host}/{alias}")
        config = proxy.get_attribute_config("Position")
        config.unit = units
        proxy.set_attribute_config(config)
