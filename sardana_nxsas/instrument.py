"""The instrument description: what an exposure file says about the instrument.

One human-editable TOML file per instrument (its path in the MacroServer
environment variable ``NxsInstrumentFile``). Numbers are tables with their
units, and optionally an uncertainty::

    [monochromator]
    wavelength = { value = 0.15418, units = "nm", error = 0.0001 }

Beam centre positions are given in pixels (0-based: the centre of the first
pixel is 0), as operators read them off an image; the writer converts them to
the lengths NXsas asks for.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sardana_nxsas.errors import ConfigError


@dataclass(frozen=True)
class Quantity:
    """A number with its units and, when known, its standard uncertainty."""

    value: float
    units: str
    error: float | None = None


@dataclass(frozen=True)
class DetectorInfo:
    description: str
    distance: Quantity  # sample to detector
    x_pixel_size: Quantity
    y_pixel_size: Quantity
    beam_center_col: Quantity  # pixels, 0-based ("x")
    beam_center_row: Quantity  # pixels, 0-based ("y")
    channel: str | None = (
        None  # the Sardana 2D channel; None: the only one in the measurement group
    )
    sensor_material: str | None = None
    sensor_thickness: Quantity | None = None
    saturation_value: int | None = None

    @property
    def beam_center_x(self) -> Quantity:
        """Beam centre as a length from the outer edge of the first column (NXsas)."""
        return _pixel_to_length(self.beam_center_col, self.x_pixel_size)

    @property
    def beam_center_y(self) -> Quantity:
        return _pixel_to_length(self.beam_center_row, self.y_pixel_size)


@dataclass(frozen=True)
class InstrumentInfo:
    name: str
    source_type: str
    source_probe: str
    wavelength: Quantity
    detector: DetectorInfo
    source_name: str | None = None
    source_target: str | None = None


def _pixel_to_length(position: Quantity, pixel: Quantity) -> Quantity:
    error = None if position.error is None else position.error * pixel.value
    return Quantity((position.value + 0.5) * pixel.value, pixel.units, error)


def load_instrument(path: Path) -> InstrumentInfo:
    """Read and check an instrument description; ConfigError names the file and key."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            doc = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(
            f"instrument description {path} not found: set NxsInstrumentFile to an existing file"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    return _Reader(path, doc).instrument()


class _Reader:
    def __init__(self, path: Path, doc: dict[str, Any]) -> None:
        self.path, self.doc = path, doc

    def _get(self, key: str, required: bool = True) -> Any:
        node: Any = self.doc
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                if required:
                    raise ConfigError(f"{self.path}: missing {key}")
                return None
            node = node[part]
        return node

    def text(self, key: str, required: bool = True) -> str | None:
        value = self._get(key, required)
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"{self.path}: {key} must be a string, got {value!r}")
        return value

    def quantity(self, key: str, required: bool = True) -> Quantity | None:
        node = self._get(key, required)
        if node is None:
            return None
        if not isinstance(node, dict) or "value" not in node or "units" not in node:
            raise ConfigError(f'{self.path}: {key} must be {{ value = ..., units = "..." }}')
        value, error = node["value"], node.get("error")
        for name, number in (("value", value), ("error", error)):
            if number is None and name == "error":
                continue
            if isinstance(number, bool) or not isinstance(number, int | float):
                raise ConfigError(f"{self.path}: {key}.{name} must be a number, got {number!r}")
            if not math.isfinite(number):
                raise ConfigError(f"{self.path}: {key}.{name} must be finite")
        if error is not None and error < 0:
            raise ConfigError(f"{self.path}: {key}.error must not be negative")
        return Quantity(float(value), str(node["units"]), None if error is None else float(error))

    def instrument(self) -> InstrumentInfo:
        detector = DetectorInfo(
            description=self.text("detector.description"),
            distance=self.quantity("detector.distance"),
            x_pixel_size=self.quantity("detector.x_pixel_size"),
            y_pixel_size=self.quantity("detector.y_pixel_size"),
            beam_center_col=self.quantity("detector.beam_center_x"),
            beam_center_row=self.quantity("detector.beam_center_y"),
            channel=self.text("detector.channel", required=False),
            sensor_material=self.text("detector.sensor_material", required=False),
            sensor_thickness=self.quantity("detector.sensor_thickness", required=False),
            saturation_value=self._get("detector.saturation_value", required=False),
        )
        for key in ("beam_center_x", "beam_center_y"):
            units = self._get(f"detector.{key}.units")
            if units != "pixel":
                raise ConfigError(f'{self.path}: detector.{key}.units must be "pixel"')
        return InstrumentInfo(
            name=self.text("instrument.name"),
            source_type=self.text("source.type"),
            source_probe=self.text("source.probe"),
            source_name=self.text("source.name", required=False),
            source_target=self.text("source.target_material", required=False),
            wavelength=self.quantity("monochromator.wavelength"),
            detector=detector,
        )
