"""Detector frames: expected count rates and their Poisson draws.

Rate of a pixel (counts/s), for flux F on the sample, transmission T, thickness t:

    F * T * [t * dSigma/dOmega(q) + parasitic(q)] * solid angle * polarisation

times the beamstop shadow; with the beamstop out, the transmitted direct beam F * T
lands at the beam centre as a small Gaussian spot. Module gaps count nothing.
The flux is what the detector counts of the direct beam (detector efficiency included).
The unpolarised polarisation factor (1 + cos^2 2theta) / 2 is pyFAI's
``polarization_factor=0``.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from functools import lru_cache

import numpy as np

from sardana_nxsas.simulation.detectors import DetectorModel
from sardana_nxsas.simulation.geometry import Geometry
from sardana_nxsas.simulation.samples import SAMPLE_MODELS, SampleModel, parasitic_scattering

# A GeniX3D-class Cu microfocus source with multilayer optics and scatterless slits
# delivers 1e7 photons/s to the sample in a ~0.7 mm beam: a 1 s glassy carbon frame
# holds ~ 6e4 counts, a 300 s one stays below 200 counts/pixel outside the direct beam,
# and the direct beam alone peaks at ~ 5e5 counts/s in one Pilatus pixel: there is
# no attenuator, so beamstop-out exposures longer than ~ 2 s saturate the beam centre.
DEFAULT_FLUX = 1.0e7  # photons/s
BEAM_FWHM = 0.7  # mm, direct beam spot on the detector
BEAMSTOP_RADIUS = 2.0  # mm, round tungsten beamstop centred on the beam
BEAMSTOP_ARM_WIDTH = 1.0  # mm, the strip holding it, from the beamstop to the nearest edge
BEAMSTOP_LEAK = 1e-7  # fraction of the light still reaching the shadowed pixels

_INT32_MAX = np.iinfo(np.int32).max
_CACHE_BYTES = 512 * 2**20  # cached rate maps: six of an Eiger 9M, hundreds of a 300K
_INVERSION_MAX = 10.0  # mean counts up to which the inversion sampler is used
_rates: OrderedDict[tuple, np.ndarray] = OrderedDict()
_lock = threading.Lock()  # the Sardana controller may call from several threads


def sample_model(kind: str | SampleModel) -> SampleModel:
    """The SampleModel of ``kind`` (a key of SAMPLE_MODELS), or ``kind`` itself."""
    if isinstance(kind, SampleModel):
        return kind
    try:
        return SAMPLE_MODELS[kind]
    except KeyError:
        raise ValueError(
            f"unknown sample kind {kind!r}; known: {', '.join(SAMPLE_MODELS)}"
        ) from None


def beamstop_shadow(detector: DetectorModel, geometry: Geometry) -> np.ndarray:
    """Open fraction (0..1) of each pixel left by the beamstop and its arm, edges blurred 1 px."""
    return _static_maps(detector, geometry)[2]


def beamstop_mask(detector: DetectorModel, geometry: Geometry) -> np.ndarray:
    """Bool array, True where the beamstop or its arm shadows a pixel at all (mask these)."""
    return beamstop_shadow(detector, geometry) < 1.0


def direct_beam_spot(detector: DetectorModel, geometry: Geometry) -> np.ndarray:
    """Fraction of the direct beam landing in each pixel (sums to 1 when it all hits)."""
    return _static_maps(detector, geometry)[3]


@lru_cache(maxsize=2)
def _static_maps(
    detector: DetectorModel, geometry: Geometry
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """q, solid angle x polarisation, beamstop shadow and direct-beam spot of each pixel."""
    shape = detector.shape
    q = geometry.q_map(shape)
    cos_2theta = 1 - 2 * (q * (geometry.wavelength / (4 * np.pi))) ** 2
    omega_pol = geometry.solid_angle_map(shape) * 0.5 * (1 + cos_2theta**2)
    # Distances from the beam centre in pixels; a linear ramp over one pixel at each
    # shadow edge approximates the partly covered pixels.
    dr = np.arange(shape[0]) - geometry.beam_center_row
    dc = np.arange(shape[1]) - geometry.beam_center_col
    radius = np.sqrt(dr[:, None] ** 2 + dc[None, :] ** 2)
    stop = np.clip(radius - BEAMSTOP_RADIUS / geometry.pixel_size + 0.5, 0.0, 1.0)
    half_arm = 0.5 * BEAMSTOP_ARM_WIDTH / geometry.pixel_size
    # The arm runs from the beamstop to the nearest detector edge.
    reach = {"up": -dr[0], "down": dr[-1], "left": -dc[0], "right": dc[-1]}
    side = min(reach, key=lambda k: reach[k])
    vertical = side in ("up", "down")
    across, along = (dc, dr) if vertical else (dr, dc)
    toward = along <= 0 if side in ("up", "left") else along >= 0
    arm_1d = np.clip(np.abs(across) - half_arm + 0.5, 0.0, 1.0)
    if vertical:
        arm = np.where(toward[:, None], arm_1d[None, :], 1.0)
    else:
        arm = np.where(toward[None, :], arm_1d[:, None], 1.0)
    shadow = np.minimum(stop, arm).astype(np.float32)
    # The spot is a Gaussian integrated over each pixel (separable in rows and columns).
    sigma = BEAM_FWHM / (2 * math.sqrt(2 * math.log(2))) / geometry.pixel_size
    spot = np.outer(_gauss_bins(dr, sigma), _gauss_bins(dc, sigma))
    for array in (q, omega_pol, shadow, spot):
        array.setflags(write=False)
    return q, omega_pol, shadow, spot


def _gauss_bins(centres: np.ndarray, sigma: float) -> np.ndarray:
    """Fraction of a unit centred Gaussian falling in each 1-pixel bin around ``centres``."""
    edges = np.append(centres - 0.5, centres[-1] + 0.5) / (sigma * math.sqrt(2))
    return np.diff([0.5 * math.erfc(-x) for x in edges])


def expected_rate(
    detector: DetectorModel,
    geometry: Geometry,
    kind: str | SampleModel,
    *,
    beamstop_in: bool = True,
    flux: float = DEFAULT_FLUX,
) -> np.ndarray:
    """Expected counts/s of every pixel (float64, read-only, cached), 0 in module gaps."""
    model = sample_model(kind)
    if not (math.isfinite(flux) and flux >= 0):
        raise ValueError(f"flux must be a finite number >= 0, not {flux!r}")
    key = (detector, geometry, model, bool(beamstop_in), float(flux))
    with _lock:
        rate = _rates.get(key)
        if rate is not None:
            _rates.move_to_end(key)
            return rate
    rate = _compute_rate(detector, geometry, model, bool(beamstop_in), float(flux))
    with _lock:
        _rates[key] = rate
        while len(_rates) > 1 and sum(a.nbytes for a in _rates.values()) > _CACHE_BYTES:
            _rates.popitem(last=False)
    return rate


def _compute_rate(
    detector: DetectorModel, geometry: Geometry, model: SampleModel, beamstop_in: bool, flux: float
) -> np.ndarray:
    q, omega_pol, shadow, spot = _static_maps(detector, geometry)
    # The models are evaluated on a fine 1-D q grid (step 5e-4 1/nm, far below a pixel
    # and an AgBeh peak width) and interpolated: much cheaper than per pixel on an Eiger.
    q_top = float(q.max())
    grid = np.linspace(0.0, q_top, max(4096, math.ceil(q_top / 5e-4)) + 1)
    per_sr = model.thickness * model.cross_section(grid) + parasitic_scattering(grid)
    flux_out = flux * model.transmission
    rate = flux_out * np.interp(q, grid, per_sr) * omega_pol + flux_out * spot
    if beamstop_in:
        rate *= BEAMSTOP_LEAK + (1.0 - BEAMSTOP_LEAK) * shadow
    rate[detector.gap_mask()] = 0.0
    rate.setflags(write=False)
    return rate


def simulate_frame(
    detector: DetectorModel,
    geometry: Geometry,
    kind: str | SampleModel,
    exposure_time: float,
    *,
    beamstop_in: bool = True,
    rng: np.random.Generator | None = None,
    flux: float = DEFAULT_FLUX,
) -> np.ndarray:
    """One exposure: int32 Poisson counts, -1 in module gaps, clipped at saturation."""
    try:
        t = float(exposure_time)
    except (TypeError, ValueError):
        raise ValueError(f"exposure time must be a number, not {exposure_time!r}") from None
    if not (math.isfinite(t) and t > 0):
        raise ValueError(f"exposure time must be a finite number > 0 s, not {exposure_time!r}")
    rate = expected_rate(detector, geometry, kind, beamstop_in=beamstop_in, flux=flux)
    rng = np.random.default_rng() if rng is None else rng
    if sample_model(kind).transmission == 0 or flux == 0:
        frame = np.zeros(detector.shape, dtype=np.int32)  # dark: nothing to draw
    else:
        cap = min(detector.saturation_value, _INT32_MAX)
        frame = poisson_counts(rate.ravel() * t, rng, cap).reshape(detector.shape)
    frame[detector.gap_mask()] = -1  # as in Pilatus CBF files
    return frame


def poisson_counts(lam: np.ndarray, rng: np.random.Generator, cap: int) -> np.ndarray:
    """Exact Poisson draws (int32, at most ``cap``) of the 1-D means ``lam``.

    Most pixels of a SAXS frame expect well below one count; for them CDF inversion of
    one uniform number, refined only where it exceeds P(0), is several times faster than
    ``rng.poisson``. The few bright pixels use ``rng.poisson``.
    """
    counts = np.zeros(lam.size, dtype=np.int32)
    bright = lam > _INVERSION_MAX
    u = rng.random(lam.size)
    cdf = np.exp(-lam)
    idx = np.flatnonzero((u > cdf) & ~bright)
    u, mean, pmf = u[idx], lam[idx], cdf[idx]
    cdf = pmf.copy()
    for k in range(1, 200):  # P(k >= 200 | mean <= 10) is far below double precision
        if idx.size == 0:
            break
        counts[idx] = k
        pmf = pmf * mean / k
        cdf += pmf
        more = u > cdf
        idx, u, mean, pmf, cdf = idx[more], u[more], mean[more], pmf[more], cdf[more]
    bright_idx = np.flatnonzero(bright)
    counts[bright_idx] = np.minimum(rng.poisson(lam[bright_idx]), cap)
    np.minimum(counts, cap, out=counts)
    return counts


def clear_cache() -> None:
    """Forget the cached rate and geometry maps (e.g. to free memory)."""
    with _lock:
        _rates.clear()
    _static_maps.cache_clear()
