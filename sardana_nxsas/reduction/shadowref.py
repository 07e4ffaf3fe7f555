"""The frames the beamstop holder's shadow is seen in: glassy carbon, summed.

The holder's shadow is the same in every frame taken in one geometry with the beamstop
in the same place, so its statistics grow with every glassy carbon exposure measured
there. The shadow mask of an exposure is seen in the sum of the glassy carbon the rule
chose for it (:mod:`.standards`; a glassy carbon exposure is its own) and the earlier
complete glassy carbon exposures of the same prefix, geometry and beamstop position
(NXbeam_stop x, y within BEAMSTOP_TOLERANCE when both files have them), newest first:
until the sum averages ENOUGH_COUNTS per pixel, at most MAX_FRAMES frames, looking at
most SCAN_LIMIT files back. Only earlier exposures: reducing again gives the same mask.
Without a glassy carbon (a dark or an empty beam measured before any), the exposure's
own frame is used. Glassy carbon because it is isotropic by design: a sample's frame
may not be, and a weak sector of an oriented sample is no shadow.

Masks are cached by their first frame (a reducer reduces many samples with one glassy
carbon; the frames summed with it are earlier files, which do not change), headers by
file (path, size and modification time).
"""

from __future__ import annotations

import math
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.reduction.inputs import Header, ReductionError, read_frame
from sardana_nxsas.reduction.masking import (
    FALSE_ALARM,
    SHADOW_FRACTION,
    WINDOW,
    Shadow,
    beamstop_disc,
    shadow,
)
from sardana_nxsas.reduction.standards import earlier_fsns, exposure_path, standard_header

MAX_FRAMES = 10
SCAN_LIMIT = 200  # earlier files looked at for more glassy carbon
ENOUGH_COUNTS = 4.0  # per pixel on average: a 5x5 window then expects ~100 counts
BEAMSTOP_TOLERANCE = 0.1  # mm
_CACHE_MASKS = 4

_masks: OrderedDict[tuple, ShadowMask] = OrderedDict()
_lock = threading.Lock()


@dataclass(frozen=True)
class ShadowMask:
    """The shadow and the frames it was seen in (identifiers, newest first)."""

    found: Shadow
    frames: tuple[str, ...]
    seconds: float  # their total counting time
    role: str  # of the frames: "glassy carbon" or the exposure's own

    @property
    def mask(self) -> np.ndarray:
        return self.found.mask

    def step(self) -> str:
        s = self.found
        n = len(self.frames)
        what = f"the sum of {n} {self.role} frames" if n > 1 else f"1 {self.role} frame"
        return (
            f"shadow (the beamstop holder) seen in {what} {', '.join(self.frames)} "
            f"({self.seconds:g} s): {int(s.mask.sum())} px, {s.by_windows} by {WINDOW}x{WINDOW} "
            f"windows and {s.by_strips} along rays from the beam centre, dark where the "
            f"counts are below {SHADOW_FRACTION:g} of the ring mean at p < {FALSE_ALARM:g} "
            f"(Poisson); {100 * s.testable:.0f} % of the rays had the counts to be tested"
        )

    def terms(self) -> dict[str, str | float | int]:
        return {
            "shadow_mask_exposures": " ".join(self.frames),
            "shadow_mask_counting_time": self.seconds,
            "shadow_mask_pixels": int(self.found.mask.sum()),
            "shadow_mask_false_alarm": FALSE_ALARM,
            "shadow_mask_testable_rays": self.found.testable,
        }


def _stamped(path: Path) -> tuple[str, int, int]:
    info = os.stat(path)
    return str(path), info.st_size, info.st_mtime_ns


def _same_beamstop(a: Header, b: Header) -> bool:
    return all(
        u is None or v is None or math.isclose(u, v, abs_tol=BEAMSTOP_TOLERANCE)
        for u, v in zip(a.beamstop_xy, b.beamstop_xy, strict=True)
    )


def glassy_carbons(root: DataRoot, gc: Header) -> Iterator[Header]:
    """``gc`` and the earlier glassy carbon exposures its shadow may be summed with, newest
    first (looked for only when asked: one long exposure needs no others)."""
    assert gc.geometry is not None
    yield gc
    found = 1
    for fsn in earlier_fsns(root, gc)[:SCAN_LIMIT]:
        if found == MAX_FRAMES:
            return
        other = standard_header(exposure_path(root, gc.prefix, fsn))
        if (
            other is not None and other.role == "glassy_carbon" and other.status == "complete"
            and other.geometry is not None and other.geometry.same_as(gc.geometry)
            and _same_beamstop(other, gc)
        ):  # fmt: skip
            found += 1
            yield other


def shadow_mask(root: DataRoot, exposure: Header, gc: Header | None) -> ShadowMask:
    """The shadow in ``exposure``'s geometry; its beamstop disc is left out."""
    geometry = exposure.geometry
    assert geometry is not None
    first = exposure if gc is None else gc
    # The frames summed are earlier ones, which do not change: the first one identifies them.
    key = (_stamped(first.path), geometry.key(), exposure.beamstop_size)
    with _lock:
        cached = _masks.get(key)
        if cached is not None:
            _masks.move_to_end(key)
            return cached
    candidates = iter([exposure]) if gc is None else glassy_carbons(root, gc)
    total = np.zeros(geometry.shape)
    invalid = beamstop_disc(geometry, exposure.beamstop_size)
    used: list[Header] = []
    for header in candidates:
        try:
            counts, bad = read_frame(header.path)
        except ReductionError:
            if not used:
                raise  # the chosen one: the reduction cannot do without it either
            continue  # an older one: the mask can
        total += counts
        invalid |= bad
        used.append(header)
        if np.sum(total, where=~invalid) >= ENOUGH_COUNTS * np.count_nonzero(~invalid):
            break
    found = ShadowMask(
        shadow(geometry, total, invalid),
        tuple(h.identifier for h in used),
        sum(h.count_time or 0.0 for h in used),
        "glassy carbon" if gc is not None else exposure.role.replace("_", " "),
    )
    with _lock:
        _masks[key] = found
        while len(_masks) > _CACHE_MASKS:
            _masks.popitem(last=False)
    return found
