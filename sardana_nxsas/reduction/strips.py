"""The beamstop holder's shadow, seen with the statistics of its whole length.

An arm or wire holding the beamstop crosses the detector as a straight strip from the
beamstop outward. In a short glassy carbon exposure a 5x5 window behind it expects a
few counts, too few to tell a shadow from a fluctuation; the strip along the ray holds
many more. So every direction from the beam centre (neighbours ANGLE_STEP pixels apart
at the farthest pixel) is followed outward in a strip STRIP_WIDTH pixels wide, cut into
consecutive segments that each expect at least ``segment_counts`` counts (the last one
takes the rest), and each segment is tested like a window. The resolution along the ray
follows the statistics: a long exposure gives short segments.

The pixels are binned once into polar cells (radial cells RADIAL_STEP of the radius
wide, angular cells one direction wide); a strip is, in each radial cell, the angular
cells within STRIP_WIDTH / 2 pixels of arc of its direction. Every pixel is in one
cell, so a segment's sum is a sum of distinct pixels: Poisson.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

STRIP_WIDTH = 3.0  # pixels: narrower than a holder (a 1 mm arm is 6 Pilatus pixels)
ANGLE_STEP = 1.0  # pixels of arc between neighbouring directions at the farthest pixel
RADIAL_STEP = 1 / 16  # relative width of a radial cell (a strip is that much wedge-shaped)


def _around(values: np.ndarray, half: np.ndarray) -> np.ndarray:
    """Per row j, the sum of ``values[j, k - half[j] : k + half[j] + 1]`` (k circular)."""
    rows, k_max = values.shape
    pad = int(half.max())
    padded = np.concatenate([values[:, k_max - pad :], values, values[:, :pad]], axis=1)
    cumulative = np.zeros((rows, padded.shape[1] + 1))
    np.cumsum(padded, axis=1, out=cumulative[:, 1:])
    k = np.arange(k_max)[None, :] + pad
    high = np.take_along_axis(cumulative, k + half[:, None] + 1, axis=1)
    return high - np.take_along_axis(cumulative, k - half[:, None], axis=1)


@dataclass(frozen=True)
class Rays:
    """The valid pixels binned into polar cells, and each radial cell's strip half-width."""

    valid: np.ndarray  # bool, the frame's shape
    j: np.ndarray  # radial cell of each valid pixel
    k: np.ndarray  # angular cell (direction) of each valid pixel
    half: np.ndarray  # per radial cell: angular cells each side of a direction in its strip
    shape: tuple[int, int]  # (radial cells, directions)

    def per_cell(self, values: np.ndarray) -> np.ndarray:
        """``values`` (the frame's shape) summed in each cell."""
        rows, directions = self.shape
        cell = self.j * directions + self.k
        return np.bincount(cell, values[self.valid], rows * directions).reshape(self.shape)


def rays(radius: np.ndarray, angle: np.ndarray, valid: np.ndarray) -> Rays:
    """The cells of the ``valid`` pixels (``radius`` in pixels, ``angle`` in [0, 2 pi))."""
    r, phi = radius[valid], angle[valid]
    r_in = max(float(r.min()), 1.0) if r.size else 1.0
    r_out = max(float(r.max()) if r.size else 0.0, r_in + 1.0)
    directions = max(64, math.ceil(2 * math.pi * r_out / ANGLE_STEP))
    n_radial = math.ceil(math.log(r_out / r_in) / math.log1p(RADIAL_STEP)) + 1
    edges = r_in * (1 + RADIAL_STEP) ** np.arange(n_radial + 1)
    j = np.clip(np.searchsorted(edges, r, side="right") - 1, 0, n_radial - 1)
    k = np.minimum((phi * (directions / (2 * math.pi))).astype(np.int64), directions - 1)
    # (2 half + 1) angular cells make an arc of ~STRIP_WIDTH pixels at the cell's radius
    arc = np.sqrt(edges[:-1] * edges[1:]) * (2 * math.pi / directions)
    half = np.clip(np.rint(0.5 * (STRIP_WIDTH / arc - 1)), 0, (directions - 1) // 2)
    return Rays(valid, j, k, half.astype(np.int64), (n_radial, directions))


def strip_shadow(
    cells: Rays,
    counts: np.ndarray,
    expected: np.ndarray,
    segment_counts: float,
    is_dark: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> tuple[np.ndarray, float]:
    """Pixels in dark strip segments, and the fraction of directions whose strip expects
    at least ``segment_counts`` (those where a shadow can be seen)."""
    flagged = np.zeros(cells.valid.shape, bool)
    if cells.j.size == 0:
        return flagged, 0.0
    directions = cells.shape[1]
    observed = _around(cells.per_cell(counts), cells.half)
    mean = _around(cells.per_cell(expected), cells.half)
    # Segments along each direction: cut where the expected counts inward pass a multiple
    # of segment_counts; the remainder beyond the last full one joins it.
    inward = np.cumsum(mean, axis=0) - mean
    total = inward[-1] + mean[-1]
    last = np.maximum(np.floor(total / segment_counts) - 1, 0)
    cut = np.minimum(np.floor(inward / segment_counts), last[None, :])
    # numbered 0, 1, ... along each direction (a bright cell may pass several multiples)
    segment = np.cumsum(np.diff(cut, axis=0, prepend=cut[:1]) > 0, axis=0)
    index = segment * directions + np.arange(directions)[None, :]
    size = cells.shape[0] * directions
    dark = is_dark(
        np.bincount(index.ravel(), observed.ravel(), size),
        np.bincount(index.ravel(), mean.ravel(), size),
    )
    covered = _around(dark[index].astype(np.float64), cells.half) > 0.5
    flagged[cells.valid] = covered[cells.j, cells.k]
    return flagged, float(np.mean(total >= segment_counts))
