"""The sample holder: which sample the beam goes through, from the sample motor positions."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sardana_nxsas.simulation.samples import SAMPLE_MODELS


@dataclass(frozen=True)
class HolderSlot:
    """A sample in the holder, centred at sample motor position (x, y) in mm."""

    name: str  # what the operator calls it, e.g. "Glassy_Carbon"
    kind: str  # a key of SAMPLE_MODELS
    x: float
    y: float
    radius: float = 1.5  # mm: the beam goes through this slot within this distance

    def __post_init__(self) -> None:
        if self.kind not in SAMPLE_MODELS:
            raise ValueError(
                f"slot {self.name!r}: unknown sample kind {self.kind!r}; "
                f"known: {', '.join(SAMPLE_MODELS)}"
            )
        if not (math.isfinite(self.x) and math.isfinite(self.y) and self.radius > 0):
            raise ValueError(f"slot {self.name!r}: position must be finite and radius > 0")


@dataclass(frozen=True)
class SampleHolder:
    """A set of slots; anywhere else the beam passes through air (an empty beam)."""

    slots: tuple[HolderSlot, ...]

    def __post_init__(self) -> None:
        names = [slot.name for slot in self.slots]
        if len(set(names)) != len(names):
            raise ValueError(f"slot names must be unique: {names}")

    def slot_at(self, x: float, y: float) -> HolderSlot | None:
        """The slot the beam goes through at (x, y), the nearest if slots overlap, or None."""
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ValueError(f"sample position must be finite, not ({x!r}, {y!r})")
        hits = [s for s in self.slots if math.hypot(x - s.x, y - s.y) <= s.radius]
        return min(hits, key=lambda s: math.hypot(x - s.x, y - s.y), default=None)

    def kind_at(self, x: float, y: float) -> str:
        """Sample kind in the beam at (x, y); "empty_beam" between slots."""
        slot = self.slot_at(x, y)
        return "empty_beam" if slot is None else slot.kind

    def slot(self, name: str) -> HolderSlot:
        """The slot called ``name``."""
        for slot in self.slots:
            if slot.name == name:
                return slot
        raise KeyError(f"no slot {name!r} in the sample holder; slots: {', '.join(self.names)}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(slot.name for slot in self.slots)


# The demo holder: one row of holes every 10 mm along x at y = 0.
DEFAULT_HOLDER = SampleHolder(
    (
        HolderSlot("Empty_Beam", "empty_beam", 0.0, 0.0),
        HolderSlot("Dark", "dark", 10.0, 0.0),  # a tungsten blocker
        HolderSlot("Glassy_Carbon", "glassy_carbon", 20.0, 0.0),
        HolderSlot("AgBeh", "agbeh", 30.0, 0.0),
        HolderSlot("Buffer", "buffer", 40.0, 0.0),
        HolderSlot("Spheres_R20nm", "spheres", 50.0, 0.0),
    )
)
