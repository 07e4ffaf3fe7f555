"""The parsed description: every field as a constant or a reference to where it is read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

SOURCE_KINDS = ("motor", "channel", "tango", "env")
ELEMENT_KINDS = ("motor", "channel", "tango")  # what check_elements asks the adapter about

Constant = str | int | float | bool | list


@dataclass(frozen=True)
class SourceRef:
    """Where one value is read for each exposure.

    ``key`` is unique per reference (the description key, ``KEY.error`` for an
    ``error_source``, ``positioners.NAME`` for a recorded motor); readings are
    handed back to :func:`resolve` under it.
    """

    key: str
    kind: str  # one of SOURCE_KINDS
    target: str  # element name, Tango attribute (optionally tango://host:port/...) or env name
    units: str | None = None
    optional: bool = False  # a built-in default: omitted silently when it cannot be read

    @property
    def spec(self) -> str:
        return f"{self.kind}:{self.target}"


@dataclass(frozen=True)
class Value:
    """One field: a constant or a source, with units and an optional uncertainty."""

    key: str
    constant: Constant | None = None
    source: SourceRef | None = None
    units: str | None = None
    error: float | None = None
    error_source: SourceRef | None = None


@dataclass(frozen=True)
class Reading:
    """What the adapter read for a SourceRef; ``value is None`` means missing, see reason."""

    value: object | None
    reason: str | None = None
    units: str | None = None  # the element's own units (used for positioners only)

    @classmethod
    def missing(cls, reason: str) -> Reading:
        return cls(None, reason)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a description, located as precisely as the text allows."""

    path: Path
    lineno: int | None
    key: str
    message: str

    def line(self) -> str:
        """``FILE:LINE: key: message`` (LINE and key left out when unknown)."""
        where = f"{self.path}:{self.lineno}" if self.lineno else f"{self.path}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"

    def __str__(self) -> str:
        return self.line()


@dataclass(frozen=True)
class PositionerSelection:
    """Which motors an exposure records: every motor (``include = "all"``) or a list."""

    include: tuple[str, ...] | None = None  # None: all
    exclude: tuple[str, ...] = ()

    def selects(self, name: str) -> bool:
        if name in self.exclude:
            return False
        return self.include is None or name in self.include


@dataclass(frozen=True)
class InstrumentDescription:
    path: Path
    values: dict[str, Value]  # by key, in file order ("detector.distance", "sensor[0].value")
    apertures: int = 0  # how many [[aperture]] tables
    sensors: int = 0  # how many [[sensor]] tables
    positioners: PositionerSelection = PositionerSelection()
    lines: dict[str, int] = field(default_factory=dict, repr=False)

    def sources(self, motors: Iterable[str] = ()) -> list[SourceRef]:
        """Every non-constant reference, then the positioners to record.

        ``motors`` are the Pool's motor names: with ``include = "all"`` each one
        the selection keeps becomes a ``positioners.NAME`` reference.
        """
        refs = [ref for value in self.values.values() for ref in _refs(value)]
        names = self.positioners.include
        if names is None:
            names = tuple(motors)
        refs += [
            SourceRef(f"positioners.{name}", "motor", name)
            for name in dict.fromkeys(names)
            if self.positioners.selects(name)
        ]
        return refs

    def line_of(self, key: str) -> int | None:
        """The line of ``key`` or of its closest enclosing key/table."""
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key.rpartition(".")[0]
        return None

    def problem(self, key: str, message: str) -> Problem:
        return Problem(self.path, self.line_of(key), key, message)


def _refs(value: Value) -> list[SourceRef]:
    return [ref for ref in (value.source, value.error_source) if ref is not None]
