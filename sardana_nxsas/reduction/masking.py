"""The pixels a reduction leaves out: gaps and bad pixels, and the beamstop's shadow.

- gaps and bad pixels: negative frame values and ``pixel_mask`` (read with the frame);
- the beamstop: a disc of the NXbeam_stop diameter around the beam centre, one pixel
  wider for the pixels it partly covers;
- its holder (an arm or wire NeXus does not describe) and anything else that shadows
  the detector: found in the glassy carbon frame, the strongest isotropic scatterer
  measured in the same geometry. Counts are summed over WINDOW x WINDOW pixels; where
  that sum is below SHADOW_FRACTION of the median at the same radius (and the median
  is big enough to tell: MIN_COUNTS), the pixels are in a shadow; the shadow is widened
  by GROW pixels for its partly covered edge.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from sardana_nxsas.reduction.inputs import Geometry

WINDOW = 5
SHADOW_FRACTION = 0.5
MIN_COUNTS = 40.0  # median window sum needed to call a window shadowed (Poisson: 5 sigma)
GROW = 2
DISC_MARGIN = 1.0  # pixels


def _radius(geometry: Geometry) -> np.ndarray:
    rows = np.arange(geometry.shape[0]) - geometry.beam_row.value
    cols = (np.arange(geometry.shape[1]) - geometry.beam_col.value) * (
        geometry.pixel_x / geometry.pixel_y
    )
    return np.hypot(rows[:, None], cols[None, :])


def beamstop_disc(geometry: Geometry, diameter_mm: float | None) -> np.ndarray:
    """True inside the beamstop's disc (nothing when its size is not known)."""
    if diameter_mm is None or not diameter_mm > 0:
        return np.zeros(geometry.shape, bool)
    return _radius(geometry) <= 0.5 * diameter_mm / geometry.pixel_y + DISC_MARGIN


def shadow(geometry: Geometry, counts: np.ndarray, invalid: np.ndarray) -> np.ndarray:
    """Shadowed pixels seen in ``counts`` (a strong, isotropic frame); ``invalid`` pixels
    (gaps, bad, the beamstop disc) are neither counted nor flagged."""
    size = (WINDOW, WINDOW)
    valid = (~invalid).astype(np.float64)
    window_sum = ndimage.uniform_filter(np.where(invalid, 0.0, counts), size, mode="constant")
    window_valid = ndimage.uniform_filter(valid, size, mode="constant")
    with np.errstate(invalid="ignore", divide="ignore"):
        # the sum a full window of valid pixels would hold
        per_window = np.where(window_valid > 0.5, window_sum / window_valid, np.nan)
    per_window *= WINDOW * WINDOW
    ring = np.floor(_radius(geometry)).astype(np.int64)
    usable = np.isfinite(per_window) & ~invalid
    expected = np.full(ring.max() + 1, np.nan)
    order = np.argsort(ring[usable], kind="stable")
    rings, values = ring[usable][order], per_window[usable][order]
    starts = np.flatnonzero(np.r_[True, np.diff(rings) > 0])
    for start, stop in zip(starts, np.r_[starts[1:], rings.size], strict=True):
        expected[rings[start]] = np.median(values[start:stop])
    wanted = expected[ring]
    with np.errstate(invalid="ignore"):
        dark = usable & (wanted >= MIN_COUNTS) & (per_window < SHADOW_FRACTION * wanted)
    if not dark.any():
        return dark
    return ndimage.binary_dilation(dark, iterations=GROW + WINDOW // 2) & ~invalid
