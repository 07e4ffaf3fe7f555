"""The pixels a reduction leaves out: gaps and bad pixels, and the beamstop's shadow.

- gaps and bad pixels: negative frame values and ``pixel_mask`` (read with the frame);
- the beamstop: a disc of the NXbeam_stop diameter around the beam centre, one pixel
  wider for the pixels it partly covers;
- its holder (an arm or wire NeXus does not describe) and anything else that shadows
  the detector: found in a strong isotropic frame of the same geometry (the glassy
  carbon, summed over exposures: :mod:`.shadowref`). A region is *dark* when its counts
  are significantly below SHADOW_FRACTION of what the ring mean at each pixel's radius
  predicts: P(N <= n | SHADOW_FRACTION * mu) <= FALSE_ALARM (Poisson). So a region lit
  at least at SHADOW_FRACTION is called dark with probability at most FALSE_ALARM, an
  unshadowed one (lit at 1) with far less. Two kinds of region are tested:

  * WINDOW x WINDOW windows: any shadow, where the frame has the counts (long exposures);
  * strips along the rays from the beam centre (:mod:`.strips`): the holder, which runs
    from the beamstop outward, with the statistics of its length (short exposures).

  Dark regions are widened by GROW pixels for their partly covered edge. The ring means
  are computed twice, the second time without the shadow found the first time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage, special

from sardana_nxsas.reduction.inputs import Geometry
from sardana_nxsas.reduction.strips import rays, strip_shadow

WINDOW = 5
SHADOW_FRACTION = 0.5
FALSE_ALARM = 1e-6  # per window or strip segment lit at SHADOW_FRACTION of its ring's mean
GROW = 2
DISC_MARGIN = 1.0  # pixels
PASSES = 2
# Expected counts at which a region with no count at all becomes dark (27.6): less,
# and no observation can tell; strip segments are cut at twice this.
NEEDED_COUNTS = math.log(1 / FALSE_ALARM) / SHADOW_FRACTION


@dataclass(frozen=True)
class Shadow:
    """The shadow found in a frame, and how it was found."""

    mask: np.ndarray  # bool, the frame's shape
    by_windows: int  # pixels (grown) found by the window test
    by_strips: int  # pixels (grown) found along the rays
    testable: float  # fraction of the directions from the beam whose strip can be tested


def _offsets(geometry: Geometry) -> tuple[np.ndarray, np.ndarray]:
    rows = np.arange(geometry.shape[0]) - geometry.beam_row.value
    cols = (np.arange(geometry.shape[1]) - geometry.beam_col.value) * (
        geometry.pixel_x / geometry.pixel_y
    )
    return rows, cols


def _radius(geometry: Geometry) -> np.ndarray:
    rows, cols = _offsets(geometry)
    return np.hypot(rows[:, None], cols[None, :])


def beamstop_disc(geometry: Geometry, diameter_mm: float | None) -> np.ndarray:
    """True inside the beamstop's disc (nothing when its size is not known)."""
    if diameter_mm is None or not diameter_mm > 0:
        return np.zeros(geometry.shape, bool)
    return _radius(geometry) <= 0.5 * diameter_mm / geometry.pixel_y + DISC_MARGIN


def is_dark(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """The Poisson test: counts ``observed`` significantly below SHADOW_FRACTION of
    ``expected`` (a mean, from the ring means)."""
    n, mean = np.rint(observed), SHADOW_FRACTION * expected
    # P(N <= n) >= P(N = 0) = exp(-mean): both are needed, and spare the CDF elsewhere
    dark = (n < mean) & (mean >= math.log(1 / FALSE_ALARM))
    dark[dark] = special.pdtr(n[dark], mean[dark]) <= FALSE_ALARM
    return dark


def ring_means(ring: np.ndarray, counts: np.ndarray, use: np.ndarray) -> np.ndarray:
    """Each pixel's expected counts: the mean over the ``use`` pixels of its ring."""
    size = int(ring.max()) + 1
    total = np.bincount(ring[use], counts[use], size)
    number = np.bincount(ring[use], None, size)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(number > 0, total / number, 0.0)
    return mean[ring]


def _window_test(counts: np.ndarray, expected: np.ndarray, valid: np.ndarray) -> np.ndarray:
    area = WINDOW * WINDOW

    def summed(values: np.ndarray) -> np.ndarray:
        return area * ndimage.uniform_filter(np.where(valid, values, 0.0), WINDOW, mode="constant")

    return valid & is_dark(summed(counts), summed(expected))


def _grown(seed: np.ndarray, by: int, valid: np.ndarray) -> np.ndarray:
    if not seed.any():
        return seed
    return ndimage.binary_dilation(seed, iterations=by) & valid


def shadow(geometry: Geometry, counts: np.ndarray, invalid: np.ndarray) -> Shadow:
    """Shadowed pixels seen in ``counts`` (a strong, isotropic frame or a sum of them);
    ``invalid`` pixels (gaps, bad, the beamstop disc) are neither counted nor flagged."""
    valid = ~invalid
    rows, cols = _offsets(geometry)
    radius = np.hypot(rows[:, None], cols[None, :])
    angle = np.arctan2(rows[:, None], cols[None, :]) % (2 * np.pi)
    ring = np.floor(radius).astype(np.int64)
    cells = rays(radius, angle, valid)
    found = np.zeros(geometry.shape, bool)
    windows = strips = found
    testable = 0.0
    for _ in range(PASSES):
        expected = ring_means(ring, counts, valid & ~found)
        windows = _grown(_window_test(counts, expected, valid), GROW + WINDOW // 2, valid)
        seed, testable = strip_shadow(cells, counts, expected, 2 * NEEDED_COUNTS, is_dark)
        strips = _grown(seed, GROW, valid)
        found = windows | strips
    return Shadow(found, int(windows.sum()), int(strips.sum()), testable)
