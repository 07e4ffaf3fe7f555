"""Hybrid-pixel detector models: shape, pixel size and the dead gaps between modules.

Only the module gaps are modelled. Pilatus modules read out their inter-chip pixels
(as enlarged pixels), and the Eiger inter-chip gaps are left out for simplicity.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np


@dataclass(frozen=True)
class DetectorModel:
    """Geometry and counter of one detector; array shapes are numpy (rows, cols)."""

    name: str
    shape: tuple[int, int]
    pixel_size: float  # mm, square pixels
    module_shape: tuple[int, int]
    gap: tuple[int, int]  # dead pixels between two modules (rows, cols)
    sensor_material: str
    sensor_thickness: float  # mm
    saturation_value: int  # largest count a pixel can hold in one frame

    def __post_init__(self) -> None:
        if not self.pixel_size > 0 or not self.sensor_thickness > 0:
            raise ValueError(f"{self.name}: pixel size and sensor thickness must be positive")
        for axis in (0, 1):
            n, m, g = self.shape[axis], self.module_shape[axis], self.gap[axis]
            # A detector is a whole number of modules with a gap between neighbours.
            if m <= 0 or g < 0 or (n + g) % (m + g) != 0:
                raise ValueError(
                    f"{self.name}: {n} pixels along axis {axis} is not a whole number "
                    f"of {m}-pixel modules separated by {g}-pixel gaps"
                )

    def gap_mask(self) -> np.ndarray:
        """Read-only bool array of ``shape``, True on the dead pixels between modules."""
        return _gap_mask(self.shape, self.module_shape, self.gap)


def _axis_gaps(n: int, module: int, gap: int) -> np.ndarray:
    # Position within one module+gap period; the last ``gap`` pixels of a period are dead.
    return (np.arange(n) % (module + gap)) >= module


@lru_cache(maxsize=8)
def _gap_mask(
    shape: tuple[int, int], module_shape: tuple[int, int], gap: tuple[int, int]
) -> np.ndarray:
    rows = _axis_gaps(shape[0], module_shape[0], gap[0])
    cols = _axis_gaps(shape[1], module_shape[1], gap[1])
    mask = rows[:, None] | cols[None, :]
    mask.setflags(write=False)  # shared by every caller through the cache
    return mask


DETECTORS: dict[str, DetectorModel] = {
    # Pilatus3: 487 x 195 pixel modules, 20-bit counters.
    "pilatus300k": DetectorModel(
        name="Pilatus 300K",
        shape=(619, 487),
        pixel_size=0.172,
        module_shape=(195, 487),
        gap=(17, 7),
        sensor_material="Si",
        sensor_thickness=0.45,
        saturation_value=1_048_575,
    ),
    "pilatus1m": DetectorModel(
        name="Pilatus 1M",
        shape=(1043, 981),
        pixel_size=0.172,
        module_shape=(195, 487),
        gap=(17, 7),
        sensor_material="Si",
        sensor_thickness=0.45,
        saturation_value=1_048_575,
    ),
    # Eiger: 1030 x 514 pixel modules, 32-bit summed images.
    "eiger9m": DetectorModel(
        name="Eiger 9M",
        shape=(3269, 3110),
        pixel_size=0.075,
        module_shape=(514, 1030),
        gap=(37, 10),
        sensor_material="Si",
        sensor_thickness=0.45,
        saturation_value=4_294_967_295,
    ),
}


def _normalise(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch not in " _-")


def get_detector(name: str) -> DetectorModel:
    """The detector called ``name``: "Pilatus 300K", "pilatus_300k", "EIGER-9M", ..."""
    wanted = _normalise(name)
    for key, model in DETECTORS.items():
        if wanted in (key, _normalise(model.name)):
            return model
    known = ", ".join(f"{key} ({model.name})" for key, model in DETECTORS.items())
    raise ValueError(f"unknown detector {name!r}; known detectors: {known}")
