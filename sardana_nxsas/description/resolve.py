"""Constants plus the values read for an exposure -> the InstrumentInfo the writer uses.

A value that could not be read never stops an exposure: it is listed in
``InstrumentInfo.missing`` with the reason, optional fields are left out and the
numbers NXsas requires become NaN (docs/reference/instrument-description.md).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Real

import numpy as np

from sardana_nxsas.description.info import (
    ApertureInfo,
    BeamStopInfo,
    DetectorInfo,
    ExperimentInfo,
    InstrumentInfo,
    MissingValue,
    PositionerInfo,
    Quantity,
    SensorInfo,
)
from sardana_nxsas.description.model import InstrumentDescription, Reading, SourceRef
from sardana_nxsas.description.schema import nexus_enumeration

_POSITIONERS = "positioners."


def resolve(description: InstrumentDescription, readings: Mapping[str, Reading]) -> InstrumentInfo:
    """``readings`` maps SourceRef.key to what was read; absent keys count as missing."""
    return _Resolver(description, readings).instrument()


class _Resolver:
    def __init__(self, description: InstrumentDescription, readings: Mapping[str, Reading]):
        self.values = description.values
        self.readings = readings
        self.missing: list[MissingValue] = []

    def _lost(self, ref: SourceRef, reason: str) -> None:
        if not ref.optional:
            self.missing.append(MissingValue(ref.key, ref.spec, reason))

    def _read(self, ref: SourceRef) -> object | None:
        reading = self.readings.get(ref.key)
        if reading is None:
            self._lost(ref, "not read")
        elif reading.value is None:
            self._lost(ref, reading.reason or "no value")
        return None if reading is None else reading.value

    def _number(self, ref: SourceRef | None, raw: object) -> float | None:
        if isinstance(raw, np.ndarray | np.generic) and raw.ndim == 0:
            raw = raw.item()  # a 0-d numpy array or a numpy scalar, as some readers return
        try:
            number = (
                float(raw) if isinstance(raw, Real | str) and not isinstance(raw, bool) else None
            )
        except ValueError:
            number = None
        if number is None or not math.isfinite(number):
            if ref is not None:
                self._lost(ref, f"not a finite number: {raw!r}")
            return None
        return number

    def text(self, key: str, choices: tuple[str, ...] = ()) -> str | None:
        value = self.values.get(key)
        if value is None:
            return None
        if value.source is None:
            return str(value.constant)
        raw = self._read(value.source)
        if raw is None:
            return None
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", "replace")
        text = " ".join(map(str, raw)) if isinstance(raw, list | tuple) else str(raw)
        if choices and text not in choices:
            self._lost(value.source, f"{text!r} is not one of {', '.join(choices)}")
            return None
        return text

    def quantity(self, key: str) -> Quantity | None:
        value = self.values.get(key)
        if value is None:
            return None
        if value.source is None:
            number = self._number(None, value.constant)
        else:
            raw = self._read(value.source)
            number = None if raw is None else self._number(value.source, raw)
        if number is None:
            return None
        error = value.error
        if value.error_source is not None:
            raw = self._read(value.error_source)
            error = None if raw is None else self._number(value.error_source, raw)
            error = None if error is None else abs(error)
        return Quantity(number, value.units or "", error)

    def required(self, key: str) -> Quantity:
        found = self.quantity(key)
        if found is not None:
            return found
        value = self.values.get(key)
        return Quantity(math.nan, (value.units if value else None) or "")

    def integer(self, key: str) -> int | None:
        found = self.quantity(key)
        if found is None:
            return None
        source = self.values[key].source
        if source is not None and not found.value.is_integer():  # constants are checked ints
            self._lost(source, f"not an integer: {found.value!r}")
            return None
        return int(found.value)

    def detector(self) -> DetectorInfo:
        bad = self.values.get("detector.bad_pixels")
        bad_file = bad.constant if bad and isinstance(bad.constant, str) else None
        pixels = bad.constant if bad and isinstance(bad.constant, list) else []
        return DetectorInfo(
            description=self.text("detector.description") or "",
            distance=self.required("detector.distance"),
            x_pixel_size=self.required("detector.x_pixel_size"),
            y_pixel_size=self.required("detector.y_pixel_size"),
            beam_center_col=self.required("detector.beam_center_x"),
            beam_center_row=self.required("detector.beam_center_y"),
            channel=self.text("detector.channel"),
            sensor_material=self.text("detector.sensor_material"),
            sensor_thickness=self.quantity("detector.sensor_thickness"),
            saturation_value=self.integer("detector.saturation_value"),
            threshold=self.quantity("detector.threshold"),
            bad_pixels_file=bad_file,
            bad_pixels=tuple((int(row), int(col)) for row, col in pixels),
        )

    def apertures(self) -> tuple[ApertureInfo, ...]:
        found = []
        index = 0
        while f"aperture[{index}].name" in self.values:
            key = f"aperture[{index}]"
            found.append(
                ApertureInfo(
                    name=self.text(f"{key}.name") or key,
                    size=self.quantity(f"{key}.size") or self.quantity(f"{key}.diameter"),
                    shape=self.text(f"{key}.shape", nexus_enumeration("NXaperture", "shape")),
                    distance=self.quantity(f"{key}.distance"),
                    description=self.text(f"{key}.description"),
                )
            )
            index += 1
        return tuple(found)

    def beam_stop(self) -> BeamStopInfo | None:
        if not any(key.startswith("beam_stop.") for key in self.values):
            return None
        return BeamStopInfo(
            shape=self.text("beam_stop.shape", nexus_enumeration("NXbeam_stop", "description")),
            size=self.quantity("beam_stop.size") or self.quantity("beam_stop.diameter"),
            x=self.quantity("beam_stop.x"),
            y=self.quantity("beam_stop.y"),
            distance_to_detector=self.quantity("beam_stop.distance_to_detector"),
            status=self.text("beam_stop.status", nexus_enumeration("NXbeam_stop", "status")),
        )

    def sensors(self) -> tuple[SensorInfo, ...]:
        found = []
        index = 0
        while f"sensor[{index}].name" in self.values:
            key = f"sensor[{index}]"
            found.append(
                SensorInfo(
                    name=self.text(f"{key}.name") or key,
                    measurement=self.text(f"{key}.measurement") or "",
                    value=self.quantity(f"{key}.value"),
                    type=self.text(f"{key}.type"),
                    description=self.text(f"{key}.description"),
                )
            )
            index += 1
        return tuple(found)

    def positioners(self) -> tuple[PositionerInfo, ...]:
        found = []
        for key, reading in self.readings.items():
            if not key.startswith(_POSITIONERS):
                continue
            ref = SourceRef(key, "motor", key[len(_POSITIONERS) :])
            raw = self._read(ref)
            number = None if raw is None else self._number(ref, raw)
            if number is not None:
                found.append(PositionerInfo(ref.target, number, reading.units or None))
        return tuple(found)

    def instrument(self) -> InstrumentInfo:
        spread = self.quantity("monochromator.wavelength_spread")
        return InstrumentInfo(
            name=self.text("instrument.name") or "",
            source_type=self.text("source.type") or "",
            source_probe=self.text("source.probe") or "",
            wavelength=self.required("monochromator.wavelength"),
            detector=self.detector(),
            source_name=self.text("source.name"),
            source_target=self.text("source.anode_material") or self.text("source.target_material"),
            source_voltage=self.quantity("source.voltage"),
            source_current=self.quantity("source.current"),
            source_power=self.quantity("source.power"),
            wavelength_spread=None if spread is None else spread.value,
            apertures=self.apertures(),
            beam_stop=self.beam_stop(),
            sensors=self.sensors(),
            positioners=self.positioners(),
            experiment=ExperimentInfo(
                *(
                    self.text(f"experiment.{f}")
                    for f in ("identifier", "name", "operator", "proposer")
                )
            ),
            missing=tuple(sorted(self.missing, key=self._file_order)),
        )

    def _file_order(self, missing: MissingValue) -> tuple[int, bool]:
        # In the description's order (an error right after its value), positioners last.
        key, is_error = missing.key, missing.key.endswith(".error")
        if is_error:
            key = key.removesuffix(".error")
        return list(self.values).index(key) if key in self.values else len(self.values), is_error
