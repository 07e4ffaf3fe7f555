"""NXdetector/pixel_mask: module gaps from the frame, bad pixels from the description.

The NeXus bit field: bit 0 (1) gap, a pixel with no sensor; bit 1 (2) dead.
Pilatus frames mark gaps with -1 and bad pixels with -2; the instrument
description may list more bad pixels, or name a mask file (any image fabio
reads; non-zero = bad, as pyFAI masks are).
"""

from __future__ import annotations

import functools
from pathlib import Path

import fabio
import numpy as np

from sardana_nxsas.description.info import DetectorInfo
from sardana_nxsas.errors import ConfigError

GAP, DEAD = 1, 2


def pixel_mask(frame: np.ndarray, bad: np.ndarray | None = None) -> np.ndarray:
    mask = np.zeros(frame.shape, np.int32)
    mask[frame == -1] = GAP
    mask[frame < -1] |= DEAD
    if bad is not None:
        mask[bad] |= DEAD
    return mask


def total_counts(frame: np.ndarray) -> int:
    """Counts in the frame, leaving out the negative gap and bad-pixel markers (no copy)."""
    return int(np.sum(frame, dtype=np.int64, where=frame > 0))


@functools.lru_cache(maxsize=4)
def _mask_file(path: str, mtime: float) -> np.ndarray:
    return np.asarray(fabio.open(path).data) != 0


def bad_pixel_mask(detector: DetectorInfo, shape: tuple[int, ...]) -> np.ndarray | None:
    """The description's bad pixels as a bool array of the frame's shape (None: none)."""
    if not detector.bad_pixels and not detector.bad_pixels_file:
        return None
    bad = np.zeros(shape, bool)
    if detector.bad_pixels_file:
        path = Path(detector.bad_pixels_file)
        from_file = _mask_file(str(path), path.stat().st_mtime)
        if from_file.shape != tuple(shape):
            raise ConfigError(
                f"bad-pixel mask {path} is {from_file.shape[0]}x{from_file.shape[1]}, "
                f"the frame {shape[0]}x{shape[1]}: give a mask of the detector's size"
            )
        bad |= from_file
    for row, col in detector.bad_pixels:
        if 0 <= row < shape[0] and 0 <= col < shape[1]:
            bad[row, col] = True
    return bad
