"""Scattering of the demo samples in absolute units: dSigma/dOmega(q) in 1/cm, q in 1/nm.

The detector count rate of a sample is flux * T * thickness * dSigma/dOmega * solid angle,
so the numbers here are what an absolute-intensity reduction must get back.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sardana_nxsas.reduction.reference import glassy_carbon_table

AGBEH_D_SPACING = 5.8380  # nm, silver behenate lamellar period (Huang et al. 1993)
WATER_CROSS_SECTION = 0.01632  # 1/cm, water at 20 degC (Orthaber et al. 2000)
SILICA_WATER_CONTRAST = 9.24e10  # 1/cm^2, X-ray SLD of silica (2.2 g/cm^3) minus water's

# The glassy carbon follows the NIST SRM 3600 certificate the absolute calibration
# compares with (one shipped file: sardana_nxsas/reduction/srm3600_glassy_carbon.csv),
# extrapolated below and beyond its certified range.
_GC_FLAT = 0.2  # 1/cm, level the Porod tail beyond the certified range levels off at
_GC_Q_FLOOR = 0.01  # 1/nm: keeps the low-q extrapolation finite at the direct beam


@dataclass(frozen=True)
class SampleModel:
    """One sample: its kind, X-ray transmission, thickness (cm) and (spheres) particle size."""

    kind: str
    transmission: float
    thickness: float  # cm
    radius: float = 20.0  # nm, spheres only
    polydispersity: float = 0.05  # relative standard deviation of the radius, spheres only
    volume_fraction: float = 0.01  # spheres only

    def __post_init__(self) -> None:
        if self.kind not in _CROSS_SECTIONS:
            raise ValueError(
                f"unknown sample kind {self.kind!r}; known: {', '.join(_CROSS_SECTIONS)}"
            )
        if not 0.0 <= self.transmission <= 1.0:
            raise ValueError(f"transmission must be within [0, 1], not {self.transmission}")
        if not (self.thickness >= 0 and self.radius > 0 and 0 <= self.polydispersity < 0.3):
            raise ValueError("thickness must be >= 0, radius > 0, polydispersity in [0, 0.3)")

    def cross_section(self, q: np.ndarray) -> np.ndarray:
        """dSigma/dOmega (1/cm) at ``q`` (1/nm), same shape as ``q``."""
        return _CROSS_SECTIONS[self.kind](self, np.asarray(q, dtype=np.float64))


def parasitic_scattering(q: np.ndarray) -> np.ndarray:
    """Slit and window scattering reaching the detector, per steradian of the incident beam.

    Steep (q^-4 beyond 0.03 1/nm): a few % of glassy carbon at the beamstop edge, the
    size of water's signal near q = 0.3 1/nm, negligible further out. It comes from
    upstream of the sample, so the sample attenuates it by its transmission.
    """
    q = np.asarray(q, dtype=np.float64)
    return 3.0 / (1.0 + (q / 0.03) ** 2) ** 2


def _nothing(model: SampleModel, q: np.ndarray) -> np.ndarray:
    return np.zeros_like(q)


def _glassy_carbon(model: SampleModel, q: np.ndarray) -> np.ndarray:
    table = glassy_carbon_table()
    log_q, log_i = np.log(table[:, 0]), np.log(table[:, 1])
    # Inside the table: log-log interpolation; below it: the table's first power law.
    slope_low = (log_i[1] - log_i[0]) / (log_q[1] - log_q[0])
    lq = np.log(np.maximum(q, _GC_Q_FLOOR))
    low = log_i[0] + slope_low * (lq - log_q[0])
    out = np.exp(np.where(lq < log_q[0], low, np.interp(lq, log_q, log_i)))
    # Beyond it: Porod q^-4 from the last certified point down to a flat level.
    q_last, i_last = table[-1]
    tail = (i_last - _GC_FLAT) * (q_last / np.maximum(q, q_last)) ** 4 + _GC_FLAT
    return np.where(q > q_last, tail, out)


def _agbeh(model: SampleModel, q: np.ndarray) -> np.ndarray:
    # Powder-averaged Bragg peaks: Gaussian in q with a lab-typical 0.02 1/nm FWHM
    # (crystallites plus beam size), heights falling as n^-1.5, over a weak diffuse
    # background from the powder grains (steep) and disorder (flat).
    sigma = 0.02 / (2 * math.sqrt(2 * math.log(2)))
    out = 0.5 * np.maximum(q, 0.05) ** -3 + 0.5
    q_top = float(q.max(initial=0.0))
    for n in range(1, int((q_top + 6 * sigma) * AGBEH_D_SPACING / (2 * math.pi)) + 1):
        q_n = 2 * math.pi * n / AGBEH_D_SPACING
        out += 4.0e4 * n**-1.5 * np.exp(-0.5 * ((q - q_n) / sigma) ** 2)
    return out


def _water(model: SampleModel, q: np.ndarray) -> np.ndarray:
    # Water's structure factor rises slowly towards its 20 1/nm peak (+2 % at 2 1/nm).
    return WATER_CROSS_SECTION * (1.0 + 0.005 * q**2)


def sphere_form_factor(x: np.ndarray) -> np.ndarray:
    """Normalised sphere form factor P(qR) = [3 (sin x - x cos x) / x^3]^2, P(0) = 1."""
    x = np.asarray(x, dtype=np.float64)
    small = x < 1e-3
    xs = np.where(small, 1.0, x)
    amplitude = np.where(small, 1.0 - x**2 / 10, 3 * (np.sin(xs) - xs * np.cos(xs)) / xs**3)
    return amplitude**2


def _spheres(model: SampleModel, q: np.ndarray) -> np.ndarray:
    # Number-weighted Gaussian radius distribution, +-3 sigma:
    # dSigma/dOmega = phi * contrast^2 * <V^2 P(qR)> / <V>, plus the buffer around them.
    nodes = np.linspace(-3.0, 3.0, 31) if model.polydispersity > 0 else np.zeros(1)
    weights = np.exp(-0.5 * nodes**2)
    radii = model.radius * (1 + model.polydispersity * nodes)
    volumes = 4 / 3 * math.pi * (radii * 1e-7) ** 3  # cm^3
    out = np.zeros_like(q)
    for r, w, v in zip(radii, weights, volumes, strict=True):
        out += w * v**2 * sphere_form_factor(q * r)
    scale = model.volume_fraction * SILICA_WATER_CONTRAST**2 / float(np.dot(weights, volumes))
    return scale * out + (1 - model.volume_fraction) * _water(model, q)


_CROSS_SECTIONS: dict[str, Callable[[SampleModel, np.ndarray], np.ndarray]] = {
    "dark": _nothing,
    "empty_beam": _nothing,
    "glassy_carbon": _glassy_carbon,
    "agbeh": _agbeh,
    "spheres": _spheres,
    "buffer": _water,
}

SAMPLE_MODELS: dict[str, SampleModel] = {
    # A 1 mm tungsten blocker: nothing gets through.
    "dark": SampleModel("dark", transmission=0.0, thickness=0.1),
    # An empty hole: the direct beam and the parasitic scattering only.
    "empty_beam": SampleModel("empty_beam", transmission=1.0, thickness=0.0),
    # 1 mm glassy carbon plate (NIST SRM 3600 type).
    "glassy_carbon": SampleModel("glassy_carbon", transmission=0.55, thickness=0.1),
    # Silver behenate powder, 0.2 mm (mu ~ 70 1/cm at Cu K-alpha).
    "agbeh": SampleModel("agbeh", transmission=0.25, thickness=0.02),
    # Water in a 2 mm capillary (mu = 10.4 1/cm at Cu K-alpha).
    "buffer": SampleModel("buffer", transmission=0.12, thickness=0.2),
    # 1 vol% silica spheres of 20 nm radius in the same buffer; silica absorbs more.
    "spheres": SampleModel("spheres", transmission=0.105, thickness=0.2),
}
