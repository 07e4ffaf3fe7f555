"""The reduction an exposure file records, read back as a :class:`ReductionOutcome`.

The inverse of :mod:`.output` for what the catalog keeps (status, reason, absolute factor,
flux, q range, the standards used), so that a catalog rebuilt from the files
(``catalog reindex``) holds what the reducer put there: both go through
sardana_nxsas.catalog.reduced.outcome_columns. Cheap (no pyFAI; with the file's scalar
fields already read, two more reads at most: the Q array and, for a failure, its reason).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import h5py
import numpy as np

from sardana_nxsas.reduction.cansas import SASDATA
from sardana_nxsas.reduction.outcome import ReductionOutcome

REDUCED = "reduced"  # /entry/reduced: NXsubentry, NXcanSAS when done
_PROCESS = f"{REDUCED}/sasprocess"
_Q_TO_NM = {"1/nm": 1.0, "1/angstrom": 10.0, "1/m": 1e-9}  # NXcanSAS's Q units -> 1/nm


def outcome_in_file(entry: h5py.Group, scalars: Mapping[str, Any]) -> ReductionOutcome | None:
    """The reduction recorded in ``entry`` (an exposure's /entry); None if it has none.

    ``scalars``: the scalar fields under /entry by path (the catalog's header, from the
    fields or from a current catalog note). A damaged subentry gives None for what cannot be
    read, never an exception: the exposure stays readable.
    """
    sub = entry.get(REDUCED)
    if not isinstance(sub, h5py.Group):
        return None
    status = scalars.get(f"{REDUCED}/status")
    if status is None:  # no status field: done if it is a SASentry (as export reads it)
        status = "done" if scalars.get(f"{REDUCED}/definition") == "NXcanSAS" else "failed"
    done = status == "done"
    q_min, q_max = _q_range(sub) if done else (None, None)
    return ReductionOutcome(
        "done" if done else "failed",
        None if done else _reason(sub),
        _float(scalars, "absolute_factor"),
        _float(scalars, "absolute_factor_error"),
        _float(scalars, "flux"),
        q_min,
        q_max,
        _str(scalars, "dark_exposure"),
        _str(scalars, "empty_beam_exposure"),
        _str(scalars, "glassy_carbon_exposure"),
        None,
    )


def _float(scalars: Mapping[str, Any], term: str) -> float | None:
    value = scalars.get(f"{_PROCESS}/{term}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _str(scalars: Mapping[str, Any], term: str) -> str | None:
    value = scalars.get(f"{_PROCESS}/{term}")
    return value if isinstance(value, str) and value else None


def _reason(sub: h5py.Group) -> str | None:
    try:
        value = sub["status"].attrs.get("reason")
    except (KeyError, OSError):
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value) if value else None


def _q_range(sub: h5py.Group) -> tuple[float | None, float | None]:
    """(min, max) of the curve's Q in 1/nm, as the reducer reported them."""
    try:
        q = sub[f"{SASDATA}/Q"]
        units = q.attrs.get("units", "1/nm")
        values = np.asarray(q[()], dtype=np.float64)
    except (KeyError, OSError, TypeError, ValueError):
        return None, None
    scale = _Q_TO_NM.get(units.decode() if isinstance(units, bytes) else str(units))
    values = values[np.isfinite(values)]
    if scale is None or values.size == 0:
        return None, None
    # scale 1.0 keeps the value bit for bit (the reducer's float(q.min()))
    return float(values.min()) * scale, float(values.max()) * scale
