"""The samples operators measure: name, title, thickness, transmission, position...

A :class:`Sample` is immutable and valid by construction, so whatever the
registry (:mod:`.store`) hands out can go into a file as it is. Fields,
units and categories follow the reference lab (CREDO): thickness in cm,
positions and ``distminus`` in mm, transmission as a fraction.

Names are shown and stored verbatim (spaces, quotes, any script) but are never
part of a file name. Two names that differ only in case or Unicode
normalisation are the same sample: that keeps ``nxssample use gc`` unambiguous.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import asdict, dataclass, fields, replace
from datetime import date
from typing import Any

from sardana_nxsas.dataroot.layout import check_title
from sardana_nxsas.errors import NxsError

# CREDO's list (cct Sample.Categories): the NeXus NXsample/type values plus its
# own "Empty beam", "Dark", "subtracted", "merged". Stored spelled like this.
CATEGORIES: tuple[str, ...] = (
    "sample",
    "sample+can",
    "sample+buffer",
    "can",
    "buffer",
    "calibration sample",
    "normalization sample",
    "Empty beam",
    "Dark",
    "simulated data",
    "sample environment",
    "subtracted",
    "merged",
    "none",
)
# NXsample/type allows these (NeXus spells "normalisation"); other categories map to "none".
NXSAMPLE_TYPES = frozenset(
    {"sample", "sample+can", "can", "sample+buffer", "buffer", "calibration sample"}
    | {"normalisation sample", "simulated data", "none", "sample environment"}
)
_CATEGORY_ALIASES = {"normalisation sample": "normalization sample"}
SITUATIONS: tuple[str, ...] = ("air", "vacuum", "sealed can")

NAME_MAX_CHARS = 100
TEXT_MAX_CHARS = 1000
# A measured T = (S - D) / (E - D) of a weak absorber can exceed 1 by its
# counting error: accepted (with a warning) up to here, beyond it is a mistake.
TRANSMISSION_MAX = 1.05

# value field -> its uncertainty field
ERROR_OF = {
    "thickness": "thickness_error",
    "transmission": "transmission_error",
    "position_x": "position_x_error",
    "position_y": "position_y_error",
}
NUMBER_FIELDS = (*ERROR_OF, *ERROR_OF.values(), "distminus")
TEXT_FIELDS = ("description", "prepared_by", "project")

_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_BAD_CHAR_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})  # as layout.check_title


class SampleError(NxsError):
    """A sample definition is invalid."""


class UnknownSampleError(SampleError):
    """No sample of that name is in the registry."""


class SampleExistsError(SampleError):
    """A sample of that name is in the registry already."""


def sample_key(name: str) -> str:
    """What makes two names the same sample: NFC-normalised, case-folded."""
    return unicodedata.normalize("NFC", name).casefold()


def check_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise SampleError(f"invalid sample name {name!r}: give a non-empty name")
    if name != name.strip():
        raise SampleError(f"sample name {name!r} starts or ends with a space: remove it")
    if len(name) > NAME_MAX_CHARS:
        raise SampleError(
            f"sample name too long ({len(name)} characters): shorten it to {NAME_MAX_CHARS}"
        )
    _check_line(name, "sample name")
    return name


def _check_line(text: str, what: str) -> None:
    for char in text:
        if unicodedata.category(char) in _BAD_CHAR_CATEGORIES:
            raise SampleError(
                f"{what} contains the control character {char!r}: remove it "
                "(a single line of printable text)"
            )


def _canonical(value: object, choices: tuple[str, ...], what: str) -> str:
    if isinstance(value, str):
        value = _CATEGORY_ALIASES.get(value.strip().casefold(), value)
        for choice in choices:
            if choice.casefold() == value.strip().casefold():
                return choice
    listed = ", ".join(repr(c) for c in choices)
    raise SampleError(f"unknown {what} {value!r}: use one of {listed}")


def _number(name: str, value: object) -> float | None:
    if value is None:
        return None
    # bool is an int subclass; True as a thickness is surely a bug.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SampleError(f"{name} {value!r} is not a number: give e.g. {name} 0.1")
    if not math.isfinite(value):
        raise SampleError(f"{name} {value!r} is not a finite number: give a real value")
    return float(value)


@dataclass(frozen=True)
class Sample:
    """One sample definition; invalid values raise SampleError on construction."""

    name: str
    title: str | None = None  # exposure title; None: the name
    thickness: float | None = None  # cm
    thickness_error: float | None = None
    transmission: float | None = None  # fraction, 0..TRANSMISSION_MAX
    transmission_error: float | None = None
    position_x: float | None = None  # mm, sample motor positions
    position_x_error: float | None = None
    position_y: float | None = None
    position_y_error: float | None = None
    distminus: float | None = None  # mm closer to the detector than the nominal position
    category: str = "sample"
    situation: str = "vacuum"
    description: str = ""
    preparation_date: str | None = None  # YYYY-MM-DD
    prepared_by: str = ""
    project: str = ""

    def __post_init__(self) -> None:
        check_name(self.name)
        if self.title is not None:
            try:
                title = check_title(self.title)
            except NxsError as exc:
                raise SampleError(f"sample {self.name!r}: {exc}") from None
            object.__setattr__(self, "title", title)
        for name in NUMBER_FIELDS:
            object.__setattr__(self, name, _number(name, getattr(self, name)))
        for value_name, error_name in ERROR_OF.items():
            error = getattr(self, error_name)
            if error is not None and error < 0:
                raise SampleError(f"{error_name} {error:g} is negative: give it as >= 0")
            if error is not None and getattr(self, value_name) is None:
                raise SampleError(f"{error_name} given without {value_name}: give both")
        if self.thickness is not None and self.thickness <= 0:
            raise SampleError(f"thickness {self.thickness:g} cm must be positive: give it in cm")
        t = self.transmission
        if t is not None and not 0 <= t <= TRANSMISSION_MAX:
            raise SampleError(f"transmission {t:g} must be between 0 and {TRANSMISSION_MAX:g}")
        object.__setattr__(self, "category", _canonical(self.category, CATEGORIES, "category"))
        object.__setattr__(self, "situation", _canonical(self.situation, SITUATIONS, "situation"))
        for name in TEXT_FIELDS:
            text = getattr(self, name)
            if not isinstance(text, str) or len(text) > TEXT_MAX_CHARS:
                raise SampleError(f"{name} must be text of at most {TEXT_MAX_CHARS} characters")
            _check_line(text, name)
        self._check_date()

    def _check_date(self) -> None:
        day = self.preparation_date
        if day is None:
            return
        try:
            if not isinstance(day, str) or not _DATE_RE.fullmatch(day):
                raise ValueError
            date.fromisoformat(day)
        except ValueError:
            raise SampleError(
                f"preparation date {day!r} is not a date: give it as YYYY-MM-DD"
            ) from None

    @property
    def exposure_title(self) -> str:
        """The title exposures of this sample get."""
        return self.title or self.name

    @property
    def nexus_type(self) -> str:
        """The category as NXsample/type allows it."""
        spelled = "normalisation sample" if self.category == "normalization sample" else None
        category = spelled or self.category
        return category if category in NXSAMPLE_TYPES else "none"

    def warnings(self) -> list[str]:
        """Valid but suspicious values, one line each."""
        if self.transmission is not None and self.transmission > 1:
            return [
                f"sample {self.name!r}: transmission {self.transmission:g} > 1 "
                "(accepted as a measurement within its error)"
            ]
        return []

    def with_changes(self, **changes: Any) -> Sample:
        """A validated copy with ``changes`` (field name -> value)."""
        unknown = sorted(set(changes) - {f.name for f in fields(self)})
        if unknown:
            raise SampleError(f"unknown sample field {unknown[0]!r}: use one of {field_list()}")
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Sample:
        if not isinstance(data, dict) or "name" not in data:
            raise SampleError(f"sample entry {data!r} has no name")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SampleError(
                f"sample {data['name']!r} has an unknown field {unknown[0]!r}: remove it"
            )
        return cls(**data)


def field_list() -> str:
    return ", ".join(f.name for f in fields(Sample) if f.name != "name")
