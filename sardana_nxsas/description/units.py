"""Units: parsed and checked with pint, written in a NeXus/UDUNITS spelling.

The file keeps the operator's string when it is plain ASCII (``mm``, ``nm``,
``kV``, ``mA``, ``W``, ``mbar``, ``degC``, ``eV``, ``keV``...); the few common
non-ASCII spellings are rewritten (``µm`` -> ``um``, ``Å`` -> ``angstrom``,
``°C`` -> ``degC``) because not every HDF5 reader decodes UTF-8 attributes.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

# dimension name -> a pint unit of that dimension (None: any unit that parses)
DIMENSIONS: dict[str, str | None] = {
    "length": "m",
    "angle": "rad",
    "energy": "J",
    "voltage": "V",
    "current": "A",
    "power": "W",
    "temperature": "K",
    "pressure": "Pa",
    "dimensionless": "",
    "any": None,
}
EXAMPLES = {
    "length": "mm",
    "angle": "deg",
    "energy": "keV",
    "voltage": "kV",
    "current": "mA",
    "power": "W",
    "temperature": "degC",
    "pressure": "mbar",
}
_ASCII = {"µ": "u", "μ": "u", "Å": "angstrom", "°C": "degC", "°": "deg", "²": "^2", "³": "^3"}


def nexus_units(units: str) -> str:
    """The spelling written to the file."""
    for old, new in _ASCII.items():
        units = units.replace(old, new)
    return units.strip()


@lru_cache(maxsize=1)
def _registry() -> Any:
    import pint  # only when a description is checked: building the registry takes ~0.3 s

    return pint.UnitRegistry()


def units_problem(units: object, dimension: str) -> str | None:
    """Why ``units`` cannot be used for a field of ``dimension``, or None if it can."""
    if not isinstance(units, str):
        return f"must be a string like {_example(dimension)}, got {units!r}"
    if dimension == "pixel":  # beam centres: the writer converts pixels to lengths
        return None if units == "pixel" else 'must be "pixel" (0-based pixel indices)'
    spelled = nexus_units(units)
    if not spelled.isascii() or not spelled.isprintable():
        return f"{units!r}: use an ASCII spelling like {_example(dimension)}"
    registry = _registry()
    try:
        parsed = registry.parse_units(spelled)
    except Exception:  # pint raises several types (UndefinedUnitError, ValueError, ...)
        return f"unknown units {units!r}: use a spelling like {_example(dimension)}"
    reference = DIMENSIONS.get(dimension)
    if reference is None:
        return None
    wrong = f"{units!r} is not a unit of {dimension}: use e.g. {_example(dimension)}"
    if not (1 * parsed).is_compatible_with(reference):
        return wrong
    # pint counts angles as dimensionless: "counts" would pass as an angle, so look for radian.
    if dimension == "angle" and "radian" not in str(registry.get_root_units(parsed)[1]):
        return wrong
    return None


def _example(dimension: str) -> str:
    return f'"{EXAMPLES[dimension]}"' if dimension in EXAMPLES else '"mm"'


def convert(value: float, units: str, to: str) -> float:
    """``value`` in ``units`` expressed in ``to`` (e.g. a wavelength in nm for the CBF header)."""
    if nexus_units(units) == to:
        return value
    return float(_registry().Quantity(value, nexus_units(units)).to(to).magnitude)
