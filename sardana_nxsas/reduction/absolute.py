"""The absolute scale: glassy carbon's normalised curve against the certified one.

The glassy carbon exposure is reduced like any sample (same steps, its own transmission
and thickness) to n_GC(q), counts s^-1 sr^-1 cm^-1. Over the q range where both exist
(the certificate's 0.08-2.5 1/nm and the measured range), n_GC = R(q) / k is fitted by
weighted least squares (weights from the counting variance), giving
k = 1 / c, c = sum(n R / s^2) / sum(R^2 / s^2). The fit's error is scaled by
sqrt(chi^2_red) when that exceeds 1; the relative errors of glassy carbon's transmission
and thickness add in quadrature (they scale n_GC as a whole). 1/k is the flux: the
photons per second on the sample the detector would count in the direct beam.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sardana_nxsas.reduction.curves import Curve
from sardana_nxsas.reduction.inputs import ReductionError, Value
from sardana_nxsas.reduction.reference import glassy_carbon_reference

MIN_POINTS = 10  # points of overlap needed for a fit


@dataclass(frozen=True)
class Calibration:
    factor: Value  # k, cm^-1 per (counts s^-1 sr^-1 cm^-1)
    points: int
    q_range: tuple[float, float]
    chi2_reduced: float

    @property
    def flux(self) -> float:
        return 1.0 / self.factor.value


def calibrate(gc: Curve, thickness: Value, transmission: Value) -> Calibration:
    """k from the glassy carbon curve (ReductionError when it cannot be determined)."""
    reference = glassy_carbon_reference(gc.q)
    use = np.isfinite(reference) & np.isfinite(gc.value) & (gc.stat_var > 0)
    points = int(use.sum())
    if points < MIN_POINTS:
        raise ReductionError(
            f"glassy carbon: only {points} points in the certified q range 0.08-2.5 1/nm "
            f"(need {MIN_POINTS}): the geometry does not cover it"
        )
    n, r, w = gc.value[use], reference[use], 1.0 / gc.stat_var[use]
    c = float(np.sum(w * n * r) / np.sum(w * r * r))
    if not (math.isfinite(c) and c > 0):
        raise ReductionError(f"glassy carbon: no positive intensity to calibrate with ({c:g})")
    chi2 = float(np.sum(w * (n - c * r) ** 2) / max(points - 1, 1))
    c_error = math.sqrt(1.0 / float(np.sum(w * r * r))) * math.sqrt(max(chi2, 1.0))
    relative = math.sqrt((c_error / c) ** 2 + thickness.relative**2 + transmission.relative**2)
    k = 1.0 / c
    q = gc.q[use]
    return Calibration(Value(k, k * relative), points, (float(q.min()), float(q.max())), chi2)
