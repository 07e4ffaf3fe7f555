"""Metadata of an exposure, read while the detector counts.

``ct`` starts a :class:`~sardana_nxsas.acquisition.snapshot.BackgroundSnapshot` just before
counting: it reads every source of the instrument description at once. When
counting has ended only the sensors and positioners are read again
(``end_refs``), concurrently and quickly, for their end values. The readings
travel as plain JSON (:func:`readings_to_json`) to the writer, which resolves
them and writes the instrument group (:mod:`sardana_nxsas.writer`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sardana_nxsas.description import InstrumentDescription, resolve
from sardana_nxsas.description.model import Reading, SourceRef
from sardana_nxsas.nexus.exposure.metadata import EndValues
from sardana_nxsas.plain import plain_value


def end_refs(refs: Sequence[SourceRef]) -> list[SourceRef]:
    """The references read again at the end: sensors and positioners."""
    return [r for r in refs if r.key.startswith(("positioners.", "sensor["))]


def readings_to_json(readings: Mapping[str, Reading]) -> dict[str, list[Any]]:
    """Plain lists, to keep them in the session (MacroServer environment).

    A NaN or infinite value is kept: a Reading's None means "not read", and resolve
    reports a non-finite value as such ("not a finite number: nan").
    """
    return {
        key: [plain_value(r.value, keep_non_finite=True), r.reason, r.units]
        for key, r in readings.items()
    }


def readings_from_json(data: Mapping[str, list[Any]]) -> dict[str, Reading]:
    return {key: Reading(value, reason, units) for key, (value, reason, units) in data.items()}


def end_values(
    description: InstrumentDescription,
    readings: Mapping[str, Reading],
    seconds: float,
    start: str | None = None,
) -> EndValues:
    """Sensors and positioners at the end; what could not be read there is listed too."""
    info = resolve(description, readings)
    lost = tuple(m for m in info.missing if m.key in readings)  # only what was read again
    return EndValues(seconds, info.sensors, info.positioners, lost, start)
