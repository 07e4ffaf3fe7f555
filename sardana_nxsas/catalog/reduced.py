"""The reduction columns of a catalog row (schema v4): one mapping, from a ReductionOutcome.

The reducer process puts the outcome of each reduction into the row
(:func:`outcome_columns`); every row read from a file (nxsend's row sent later, ``catalog
reindex`` with or without ``--deep``) takes the same columns from the outcome the file
records in ``/entry/reduced`` (sardana_nxsas.reduction.recorded), so a catalog rebuilt
from the files holds what the reducer wrote. A file without ``/entry/reduced`` gives no
reduction column: the row leaves them as they are (not reduced yet, or a reduction that
stopped the reducer, which only the catalog knows of).
"""

from __future__ import annotations

from typing import Any, TypedDict

import h5py

from sardana_nxsas.reduction.recorded import outcome_in_file


class ReductionColumns(TypedDict, total=False):
    """The reduction columns of a :class:`~sardana_nxsas.catalog.schema.CatalogRow` (the
    same names and types: mypy checks them where a row is updated with these)."""

    reduction_status: str | None
    reduction_reason: str | None
    absolute_factor: float | None
    absolute_factor_error: float | None
    flux: float | None
    q_min: float | None
    q_max: float | None
    dark_exposure: str | None
    empty_beam_exposure: str | None
    glassy_carbon_exposure: str | None


def outcome_columns(outcome: Any) -> ReductionColumns:
    """The catalog columns of a ReductionOutcome (sardana_nxsas.reduction)."""

    def get(name: str) -> Any:
        return getattr(outcome, name, None)

    status = "done" if get("status") == "done" else "failed"
    return {
        "reduction_status": status,
        "reduction_reason": get("reason") or (None if status == "done" else "no reason given"),
        "absolute_factor": get("absolute_factor"),
        "absolute_factor_error": get("absolute_factor_error"),
        "flux": get("flux"),
        "q_min": get("q_min"),
        "q_max": get("q_max"),
        "dark_exposure": get("dark"),
        "empty_beam_exposure": get("empty_beam"),
        "glassy_carbon_exposure": get("glassy_carbon"),
    }


def failed_columns(reason: str) -> ReductionColumns:
    """A reduction that left nothing in the file (the reducer crashed or gave up)."""
    return {"reduction_status": "failed", "reduction_reason": reason}


def file_columns(entry: h5py.Group, header: dict[str, Any]) -> ReductionColumns:
    """The reduction columns of the exposure whose /entry is ``entry``; ``header``: its
    scalar fields by path (sardana_nxsas.catalog.rows). {} when it was not reduced."""
    outcome = outcome_in_file(entry, header)
    return {} if outcome is None else outcome_columns(outcome)
