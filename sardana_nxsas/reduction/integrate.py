"""Azimuthal averaging with pyFAI: one long-lived integrator per geometry.

pyFAI's first integration on a new integrator costs 0.1-3 s (look-up tables), later ones
milliseconds (docs: /work/shared/notes/performance.md), so integrators are kept in a
small least-recently-used cache keyed by the geometry. Each average is the mean of the
solid-angle (and polarisation) corrected pixel values of a bin,
``sum(signal) / sum(solid angle x polarisation)``, with pyFAI's relative solid angle (1 at
normal incidence); ``sigma`` is sqrt(sum(variance)) / sum(normalisation), the standard
error of that mean for independent pixels.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

from sardana_nxsas.reduction.inputs import Geometry

CACHE_SIZE = 4  # integrators kept (geometries in use at once on one instrument)
METHOD = ("no", "csr", "cython")  # no pixel splitting: each pixel in one bin, exactly linear
POLARIZATION = 0.0  # unpolarised laboratory source: (1 + cos^2 2theta) / 2
UNIT = "q_nm^-1"

_integrators: OrderedDict[tuple, Any] = OrderedDict()
_lock = threading.Lock()


@dataclass(frozen=True)
class Averaged:
    """One frame averaged in q bins: mean corrected value, its variance, and per bin the
    number of pixels over the sum of their normalisation (to subtract a constant level)."""

    q: np.ndarray  # 1/nm, bin centres
    value: np.ndarray
    variance: np.ndarray
    per_norm: np.ndarray  # count / sum(solid angle x polarisation)
    count: np.ndarray


def integrator(geometry: Geometry) -> Any:
    """The cached pyFAI AzimuthalIntegrator of ``geometry``."""
    key = geometry.key()
    with _lock:
        found = _integrators.get(key)
        if found is not None:
            _integrators.move_to_end(key)
            return found
    from pyFAI.integrator.azimuthal import AzimuthalIntegrator

    made = AzimuthalIntegrator(
        dist=geometry.distance.value * 1e-3,
        poni1=(geometry.beam_row.value + 0.5) * geometry.pixel_y * 1e-3,
        poni2=(geometry.beam_col.value + 0.5) * geometry.pixel_x * 1e-3,
        pixel1=geometry.pixel_y * 1e-3,
        pixel2=geometry.pixel_x * 1e-3,
        wavelength=geometry.wavelength.value * 1e-9,
    )
    made.detector.max_shape = geometry.shape
    with _lock:
        _integrators[key] = made
        while len(_integrators) > CACHE_SIZE:
            _integrators.popitem(last=False)
    return made


def cached_geometries() -> int:
    with _lock:
        return len(_integrators)


def q_map(geometry: Geometry) -> np.ndarray:
    """|q| (1/nm) of each pixel centre."""
    return np.asarray(integrator(geometry).qArray(geometry.shape))


def solid_angle_at_normal(geometry: Geometry) -> float:
    """Solid angle (sr) of one pixel at normal incidence, pyFAI's unit of solid angle."""
    return geometry.pixel_x * geometry.pixel_y / geometry.distance.value**2


def bins(geometry: Geometry, mask: np.ndarray) -> tuple[int, tuple[float, float]]:
    """About one bin per pixel of radius over the q range of the unmasked pixels."""
    q = q_map(geometry)[~mask]
    if q.size == 0:
        raise ValueError("every pixel is masked")
    rows, cols = np.nonzero(~mask)
    radius = np.hypot(
        (rows - geometry.beam_row.value) * geometry.pixel_y / geometry.pixel_x,
        cols - geometry.beam_col.value,
    )
    npt = max(8, math.ceil(float(radius.max() - radius.min())))
    return npt, (float(q.min()), float(q.max()))


def average(
    geometry: Geometry,
    signal: np.ndarray,
    variance: np.ndarray,
    mask: np.ndarray,
    npt: int,
    q_range: tuple[float, float],
    count_unit: float,
) -> Averaged:
    """Azimuthal average of ``signal`` (with its per-pixel ``variance``) over unmasked pixels.

    ``count_unit`` is what one count is worth in ``signal`` (1 / exposure time): a bin whose
    pixels counted nothing has the uncertainty of one count, not zero."""
    result = integrator(geometry).integrate1d(
        signal, npt, variance=variance, mask=mask, radial_range=q_range, unit=UNIT,
        correctSolidAngle=True, polarization_factor=POLARIZATION, method=METHOD,
    )  # fmt: skip
    count = np.asarray(result.count, dtype=np.float64)
    norm = np.asarray(result.sum_normalization, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_norm = np.where(norm > 0, count / norm, np.nan)
        floor = np.where(norm > 0, count_unit / norm, 0.0)
    return Averaged(
        q=np.asarray(result.radial, dtype=np.float64),
        value=np.asarray(result.intensity, dtype=np.float64),
        variance=np.maximum(np.asarray(result.sigma, dtype=np.float64), floor) ** 2,
        per_norm=per_norm,
        count=count,
    )
