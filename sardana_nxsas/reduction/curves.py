"""The per-curve steps: dark level, transmission, empty beam, solid angle, thickness, scale.

Every step is linear in the pixel values, so averaging each frame first (with one
integrator, one mask, one set of bins) and then combining the averages gives the same
I(q) as combining pixel by pixel, and lets the factors that are the same for every pixel
(transmissions, thickness, dark level, absolute factor) carry their uncertainty as what
it is: correlated across q, not averaged away. Rates are counts/s; the normalised
intensity is counts s^-1 sr^-1 cm^-1:

    n(q) = [ (<S> - D c) / T_S  -  (<E> - D c) / T_E ] / (Omega0 d)

<S>, <E>: averaged count rates of sample and empty beam (Poisson variance counts/t^2 per
pixel); D: dark level (counts/s per pixel) and c(q) = pixels / sum(solid angle x
polarisation) of the bin; Omega0: a pixel's solid angle at normal incidence; d: thickness
(cm). Then I(q) = k n(q) (1/cm) with k from glassy carbon. First-order propagation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sardana_nxsas.reduction.inputs import Value
from sardana_nxsas.reduction.integrate import Averaged


@dataclass(frozen=True)
class Curve:
    """I(q) with its variance split in the counting part and the part from scalar factors
    (the same for every q)."""

    q: np.ndarray
    value: np.ndarray
    stat_var: np.ndarray
    scale_var: np.ndarray

    @property
    def error(self) -> np.ndarray:
        return np.sqrt(self.stat_var + self.scale_var)

    def select(self, keep: np.ndarray) -> Curve:
        return Curve(self.q[keep], self.value[keep], self.stat_var[keep], self.scale_var[keep])

    def scaled(self, factor: Value) -> Curve:
        """Multiplied by ``factor`` (the absolute factor), its uncertainty propagated."""
        k = factor.value
        return Curve(
            self.q,
            k * self.value,
            k**2 * self.stat_var,
            k**2 * self.scale_var + (self.value * factor.error) ** 2,
        )


def normalised(
    sample: Averaged,
    empty: Averaged | None,
    dark: Value,
    t_sample: Value,
    t_empty: Value,
    omega0: float,
    thickness: Value | None,
) -> Curve:
    """n(q) of the formula above; ``empty`` None for no empty-beam subtraction, ``thickness``
    None for none (the standards' own curves)."""
    c = sample.per_norm
    a = sample.value - dark.value * c
    var = sample.variance / t_sample.value**2
    dark_slope = -c / t_sample.value  # d n / d D, before Omega0 d
    scale = (a * t_sample.error / t_sample.value**2) ** 2
    n = a / t_sample.value
    if empty is not None:
        b = empty.value - dark.value * empty.per_norm
        n = n - b / t_empty.value
        var = var + empty.variance / t_empty.value**2
        dark_slope = dark_slope + empty.per_norm / t_empty.value
        scale = scale + (b * t_empty.error / t_empty.value**2) ** 2
    scale = scale + (dark_slope * dark.error) ** 2
    d = Value(1.0) if thickness is None else thickness
    factor = 1.0 / (omega0 * d.value)
    n = n * factor
    return Curve(
        sample.q,
        n,
        var * factor**2,
        scale * factor**2 + (n * d.relative) ** 2 if d.error else scale * factor**2,
    )


def dark_level(counts: np.ndarray, mask: np.ndarray, seconds: float) -> Value:
    """Mean dark rate per pixel (counts/s) over the unmasked pixels, Poisson error."""
    pixels = int((~mask).sum())
    total = float(counts[~mask].sum())
    # no count at all still has the uncertainty of one count
    return Value(total / (pixels * seconds), max(np.sqrt(total), 1.0) / (pixels * seconds))
