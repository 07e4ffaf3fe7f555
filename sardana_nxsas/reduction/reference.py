"""The glassy-carbon reference curve shipped with the package (NIST SRM 3600).

One file, ``srm3600_glassy_carbon.csv`` beside this module, with its citation in its
header: the absolute calibration compares a measured glassy carbon with it, and the
simulated instrument's glassy carbon follows it, so the two can never disagree.
This module imports numpy only (the simulation runs in the Pool process).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np

REFERENCE_FILE = "srm3600_glassy_carbon.csv"


@lru_cache(maxsize=1)
def glassy_carbon_table() -> np.ndarray:
    """The certified points: array (n, 2) of q (1/nm), dSigma/dOmega (1/cm), read-only."""
    text = resources.files(__package__).joinpath(REFERENCE_FILE).read_text("utf-8")
    rows = [
        tuple(float(v) for v in line.split(","))
        for line in text.splitlines()
        if line and not line.startswith("#") and line[0].isdigit()
    ]
    table = np.array(rows, dtype=np.float64)
    table.setflags(write=False)
    return table


def glassy_carbon_reference(q: np.ndarray) -> np.ndarray:
    """dSigma/dOmega (1/cm) at ``q`` (1/nm), log-log interpolated; NaN outside the
    certified range (the calibration uses only what the certificate states)."""
    table = glassy_carbon_table()
    q = np.asarray(q, dtype=np.float64)
    inside = (q >= table[0, 0]) & (q <= table[-1, 0])
    safe = np.where(inside, q, table[0, 0])
    out = np.exp(np.interp(np.log(safe), np.log(table[:, 0]), np.log(table[:, 1])))
    return np.where(inside, out, np.nan)
