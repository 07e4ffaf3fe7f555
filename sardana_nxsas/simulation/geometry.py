"""Flat-detector scattering geometry: where each pixel sits in q and how much sky it sees.

Convention: pixel (i, j) has its centre at row i, column j, and the beam centre is
given in the same 0-based numpy index units (row = "y", col = "x"). pyFAI puts the
centre of pixel i at (i + 0.5) * pixel, hence ``poni = (beam_center + 0.5) * pixel``.
The detector plane is normal to the beam.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sardana_nxsas.simulation.detectors import DetectorModel

CU_KALPHA_NM = 0.15418  # nm, Cu K-alpha (weighted K-alpha1/K-alpha2 doublet)


@dataclass(frozen=True)
class Geometry:
    """Wavelength (nm), sample-detector distance (mm), beam centre (pixels), pixel size (mm)."""

    wavelength: float
    distance: float
    beam_center_row: float
    beam_center_col: float
    pixel_size: float

    def __post_init__(self) -> None:
        for field in ("wavelength", "distance", "pixel_size"):
            value = getattr(self, field)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"geometry {field} must be a positive number, not {value!r}")
        if not (math.isfinite(self.beam_center_row) and math.isfinite(self.beam_center_col)):
            raise ValueError("geometry beam centre must be finite")

    def radius_map(self, shape: tuple[int, int]) -> np.ndarray:
        """Distance of each pixel centre from the beam centre, mm."""
        return np.sqrt(self._radius2(shape))

    def _radius2(self, shape: tuple[int, int]) -> np.ndarray:
        rows = (np.arange(shape[0]) - self.beam_center_row) * self.pixel_size
        cols = (np.arange(shape[1]) - self.beam_center_col) * self.pixel_size
        return rows[:, None] ** 2 + cols[None, :] ** 2

    def two_theta_map(self, shape: tuple[int, int]) -> np.ndarray:
        """Scattering angle 2theta of each pixel centre, radians."""
        return np.arctan2(self.radius_map(shape), self.distance)

    def q_map(self, shape: tuple[int, int]) -> np.ndarray:
        """|q| = 4 pi sin(theta) / lambda of each pixel centre, 1/nm."""
        # sin^2(theta) = (1 - cos 2theta) / 2 = r^2 / (2 L (L + D)), L = sqrt(D^2 + r^2):
        # no trigonometry on every pixel and no cancellation near the beam centre.
        r2 = self._radius2(shape)
        path = np.sqrt(r2 + self.distance**2)
        return (4 * np.pi / self.wavelength) * np.sqrt(r2 / (2 * path * (path + self.distance)))

    def solid_angle_map(self, shape: tuple[int, int]) -> np.ndarray:
        """Solid angle of each pixel seen from the sample, sr: (p/D)^2 cos^3(2theta)."""
        path = np.sqrt(self._radius2(shape) + self.distance**2)
        return self.pixel_size**2 * self.distance / path**3

    def radius_for_q(self, q: float) -> float:
        """Radius in pixels of the ring where ``q`` (1/nm) lands on the detector."""
        sin_theta = q * self.wavelength / (4 * math.pi)
        if not 0 <= sin_theta < math.sqrt(0.5):  # 2theta must stay below 90 degrees
            raise ValueError(f"q = {q} 1/nm does not reach a flat detector at this wavelength")
        return self.distance * math.tan(2 * math.asin(sin_theta)) / self.pixel_size

    def q_for_radius(self, radius: float) -> float:
        """The q (1/nm) seen at ``radius`` pixels from the beam centre."""
        two_theta = math.atan2(radius * self.pixel_size, self.distance)
        return 4 * math.pi * math.sin(0.5 * two_theta) / self.wavelength


# Beam centres are off the detector middle (as on a real instrument) and well inside a
# module, at least a beamstop radius away from any gap. At 1 m with Cu K-alpha the AgBeh
# rings 1-3 sit at 26, 53 and 79 mm: on the 300K the centre is moved up so that the
# third ring still crosses the lower part of the detector.
_DEFAULTS: dict[str, tuple[float, float, float]] = {
    "Pilatus 300K": (1000.0, 150.3, 231.6),
    "Pilatus 1M": (1000.0, 530.4, 455.7),
    "Eiger 9M": (1000.0, 1700.3, 1530.6),
}


def default_geometry(detector: DetectorModel) -> Geometry:
    """A sensible lab geometry: Cu K-alpha, 1 m, the beam centre inside a module."""
    if detector.name in _DEFAULTS:
        distance, row, col = _DEFAULTS[detector.name]
    else:
        distance = 1000.0
        row = _inside_module(detector.shape[0], detector.module_shape[0], detector.gap[0])
        col = _inside_module(detector.shape[1], detector.module_shape[1], detector.gap[1])
    return Geometry(CU_KALPHA_NM, distance, row, col, detector.pixel_size)


def _inside_module(n: int, module: int, gap: int) -> float:
    # Near the middle, but clear of the gaps by a 2 mm beamstop's worth of pixels.
    period = module + gap
    start = min(int(0.45 * n) // period * period, n - module)
    margin = min(module // 3, 30)
    return round(float(np.clip(0.45 * n, start + margin, start + module - 1 - margin)) + 0.3, 2)
