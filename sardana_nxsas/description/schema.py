"""What each section and key of a description may hold.

Enumerations (source type and probe, aperture and beam-stop shapes) are read
from the NeXus definitions bundled with nexusformat, so they follow the
standard the validator checks against.
"""

from __future__ import annotations

import importlib.util
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from sardana_nxsas import env


@dataclass(frozen=True)
class Spec:
    kind: str  # "text", "number", "integer", "bad_pixels"
    dimension: str | None = None  # units required and checked (units.DIMENSIONS or "pixel")
    required: bool = False
    constant: bool = False  # must be written in the file: no source
    choices: tuple[str, ...] = ()


# Used only if nexusformat's definitions cannot be found.
_FALLBACK = {
    ("NXsource", "type"): ("Fixed Tube X-ray", "Rotating Anode X-ray", "Metal Jet X-ray"),
    ("NXsource", "probe"): ("x-ray", "neutron", "photon", "electron"),
    ("NXaperture", "shape"): ("pinhole", "circle", "square", "straight slit", "open"),
    ("NXbeam_stop", "description"): ("circular", "rectangular"),
    ("NXbeam_stop", "status"): ("in", "out"),
}


@cache
def nexus_enumeration(base_class: str, field: str) -> tuple[str, ...]:
    """The enumerated values of ``base_class/field`` in the bundled NeXus definitions."""
    spec = importlib.util.find_spec("nexusformat")  # locate, don't import (slow)
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        path = Path(folder) / "definitions" / "base_classes" / f"{base_class}.nxdl.xml"
        if not path.is_file():
            continue
        ns = {"nx": "http://definition.nexusformat.org/nxdl/3.1"}
        for node in ET.parse(path).getroot().findall("nx:field", ns):
            if node.get("name") == field:
                items = node.findall("nx:enumeration/nx:item", ns)
                return tuple(item.get("value", "") for item in items)
    return _FALLBACK[(base_class, field)]


def _text(required: bool = False, constant: bool = False, choices: tuple[str, ...] = ()) -> Spec:
    return Spec("text", None, required, constant, choices)


def _number(dimension: str | None, required: bool = False) -> Spec:
    return Spec("number", dimension, required)


@lru_cache(maxsize=1)
def sections() -> dict[str, dict[str, Spec]]:
    """Plain tables; ``[[aperture]]`` and ``[[sensor]]`` (arrays) are in ITEMS."""
    return {
        "instrument": {"name": _text(required=True, constant=True)},
        "source": {
            "type": _text(
                required=True, constant=True, choices=nexus_enumeration("NXsource", "type")
            ),
            "probe": _text(
                required=True, constant=True, choices=nexus_enumeration("NXsource", "probe")
            ),
            "name": _text(),
            "anode_material": _text(),  # NXsource/anode_material (X-ray tubes)
            "target_material": _text(),  # older spelling of anode_material, still read
            "voltage": _number("voltage"),
            "current": _number("current"),
            "power": _number("power"),
        },
        "monochromator": {
            "wavelength": _number("length", required=True),
            "wavelength_spread": _number(None),  # delta lambda / lambda, a ratio (NXsas)
        },
        "detector": {
            "channel": _text(constant=True),
            "description": _text(required=True),
            "distance": _number("length", required=True),
            "x_pixel_size": _number("length", required=True),
            "y_pixel_size": _number("length", required=True),
            "beam_center_x": _number("pixel", required=True),
            "beam_center_y": _number("pixel", required=True),
            "sensor_material": _text(),
            "sensor_thickness": _number("length"),
            "saturation_value": Spec("integer"),
            "threshold": _number("energy"),
            "bad_pixels": Spec("bad_pixels", constant=True),
        },
        "beam_stop": {
            "shape": _text(choices=nexus_enumeration("NXbeam_stop", "description")),
            "size": _number("length"),
            "diameter": _number("length"),  # = size, for a round beamstop
            "x": _number("length"),
            "y": _number("length"),
            "distance_to_detector": _number("length"),
            "status": _text(choices=nexus_enumeration("NXbeam_stop", "status")),
        },
        "experiment": {
            "identifier": _text(),
            "name": _text(),
            "operator": _text(),
            "proposer": _text(),
        },
    }


@lru_cache(maxsize=1)
def items() -> dict[str, dict[str, Spec]]:
    """Arrays of tables; each item is checked like a section, ``name`` unique."""
    return {
        "aperture": {
            "name": _text(required=True, constant=True),
            "shape": _text(choices=nexus_enumeration("NXaperture", "shape")),
            "size": _number("length"),
            "diameter": _number("length"),  # = size, for a pinhole
            "distance": _number("length"),  # z from the sample, upstream negative
            "description": _text(),
        },
        "sensor": {
            "name": _text(required=True, constant=True),
            "measurement": _text(required=True, constant=True),
            "type": _text(),
            "description": _text(),
            "value": _number("any", required=True),  # dimension follows "measurement"
        },
    }


# NXsensor/measurement -> the dimension its value must have (others: any units)
MEASUREMENT_DIMENSIONS = {
    "temperature": "temperature",
    "pressure": "pressure",
    "current": "current",
    "voltage": "voltage",
}

# Built in when [experiment] is absent; unset variables are left out silently.
EXPERIMENT_DEFAULTS = {
    "identifier": env.PROJECT,
    "name": env.PROJECT_NAME,
    "operator": env.OPERATOR,
    "proposer": env.PROPOSER,
}
