"""What an exposure file says about the instrument: plain values, ready to write.

:func:`sardana_nxsas.description.resolve` builds an :class:`InstrumentInfo` from a
description and the values read for an exposure. Anything that could not be read
is listed in ``InstrumentInfo.missing`` instead of stopping the exposure.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Quantity:
    """A number with its units and, when known, its standard uncertainty."""

    value: float
    units: str
    error: float | None = None


@dataclass(frozen=True)
class MissingValue:
    """A field left out of the file (or written as NaN, see docs) and why."""

    key: str  # description key, e.g. "source.voltage"
    source: str  # "tango:genix/1/hv/voltage"
    reason: str

    @property
    def field_name(self) -> str:
        """Its field in /entry/raw/missing_metadata: "sensor[1].value" -> "sensor_1_value"."""
        return self.key.replace("[", "_").replace("]", "").replace(".", "_")


@dataclass(frozen=True)
class DetectorInfo:
    description: str
    distance: Quantity  # sample to detector
    x_pixel_size: Quantity
    y_pixel_size: Quantity
    beam_center_col: Quantity  # pixels, 0-based ("x")
    beam_center_row: Quantity  # pixels, 0-based ("y")
    channel: str | None = None  # the Sardana 2D channel; None: the only one in the group
    sensor_material: str | None = None
    sensor_thickness: Quantity | None = None
    saturation_value: int | None = None
    threshold: Quantity | None = None  # energy threshold -> NXdetector/threshold_energy
    bad_pixels_file: str | None = None  # absolute path of a mask file
    bad_pixels: tuple[tuple[int, int], ...] = ()  # (row, col), 0-based

    @property
    def beam_center_x(self) -> Quantity:
        """Beam centre as a length from the outer edge of the first column (NXsas)."""
        return _pixel_to_length(self.beam_center_col, self.x_pixel_size)

    @property
    def beam_center_y(self) -> Quantity:
        return _pixel_to_length(self.beam_center_row, self.y_pixel_size)


@dataclass(frozen=True)
class ApertureInfo:
    """A pinhole or slit; ``distance`` is its z from the sample (upstream < 0)."""

    name: str
    size: Quantity | None = None  # diameter of a pinhole
    shape: str | None = None
    distance: Quantity | None = None
    description: str | None = None


@dataclass(frozen=True)
class BeamStopInfo:
    shape: str | None = None  # NXbeam_stop/description: "circular" or "rectangular"
    size: Quantity | None = None
    x: Quantity | None = None
    y: Quantity | None = None
    distance_to_detector: Quantity | None = None
    status: str | None = None  # "in" or "out"


@dataclass(frozen=True)
class SensorInfo:
    name: str
    measurement: str  # NXsensor/measurement: "temperature", "pressure", ...
    value: Quantity | None  # None: could not be read (see InstrumentInfo.missing)
    type: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class PositionerInfo:
    name: str
    value: float
    units: str | None = None


@dataclass(frozen=True)
class ExperimentInfo:
    identifier: str | None = None  # NXentry/experiment_identifier (project id)
    name: str | None = None  # NXentry/experiment_description (project name)
    operator: str | None = None  # NXuser role "operator"
    proposer: str | None = None  # NXuser role "proposer"


@dataclass(frozen=True)
class InstrumentInfo:
    name: str
    source_type: str
    source_probe: str
    wavelength: Quantity
    detector: DetectorInfo
    source_name: str | None = None
    source_target: str | None = None
    source_voltage: Quantity | None = None
    source_current: Quantity | None = None
    source_power: Quantity | None = None
    wavelength_spread: float | None = None  # delta lambda / lambda (NXsas)
    apertures: tuple[ApertureInfo, ...] = ()
    beam_stop: BeamStopInfo | None = None
    sensors: tuple[SensorInfo, ...] = ()
    positioners: tuple[PositionerInfo, ...] = ()
    experiment: ExperimentInfo = ExperimentInfo()
    missing: tuple[MissingValue, ...] = ()


def _pixel_to_length(position: Quantity, pixel: Quantity) -> Quantity:
    error = None if position.error is None else position.error * pixel.value
    return Quantity((position.value + 0.5) * pixel.value, pixel.units, error)
