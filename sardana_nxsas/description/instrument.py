"""The instrument description as the writer sees it: plain values, ready to write.

One human-editable TOML file per instrument (its path in the MacroServer
environment variable ``NxsInstrumentFile``); see
:mod:`sardana_nxsas.description` for the format, sources and checks, and
docs/reference/instrument-description.md. Numbers are tables with their units,
and optionally an uncertainty::

    [monochromator]
    wavelength = { value = 0.15418, units = "nm", error = 0.0001 }

Beam centre positions are given in pixels (0-based: the centre of the first
pixel is 0), as operators read them off an image; the writer converts them to
the lengths NXsas asks for.
"""

from __future__ import annotations

from pathlib import Path

from sardana_nxsas.description import load_description, resolve
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

__all__ = [
    "ApertureInfo",
    "BeamStopInfo",
    "DetectorInfo",
    "ExperimentInfo",
    "InstrumentInfo",
    "MissingValue",
    "PositionerInfo",
    "Quantity",
    "SensorInfo",
    "load_instrument",
]


def load_instrument(path: Path) -> InstrumentInfo:
    """Read and check a description; ConfigError names the file, line and key.

    Nothing is read from the instrument: fields that come from sources are
    listed in ``InstrumentInfo.missing`` (the adapter reads them and calls
    :func:`sardana_nxsas.description.resolve` itself).
    """
    return resolve(load_description(path), {})
