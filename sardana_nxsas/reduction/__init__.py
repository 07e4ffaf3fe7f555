"""Data reduction of one exposure: the 2-D frame to I(Q) on an absolute scale, NXcanSAS.

:func:`reduce_exposure` is the one entry point (the reducer process calls it for every
complete ``crd`` exposure). The steps, their uncertainties and the rule that picks the
dark, empty beam and glassy carbon are in docs/explanation/reduction.md. The package
imports no pyFAI until a reduction runs (the simulation reads the shipped reference
curve through :mod:`.reference` in the Pool process).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sardana_nxsas.layout import DataRoot


@dataclass(frozen=True)
class ReductionOutcome:
    status: str  # "done" or "failed"
    reason: str | None  # one line, for the file, the catalog and a spock warning
    absolute_factor: float | None  # cm^-1 per (counts/s normalised) from glassy carbon
    absolute_factor_error: float | None
    flux: float | None  # photons/s from the empty beam, if known
    q_min: float | None  # 1/nm
    q_max: float | None
    dark: str | None  # identifiers of the exposures used, e.g. "crd_00012"
    empty_beam: str | None
    glassy_carbon: str | None
    ascii_path: Path | None


def reduce_exposure(root: DataRoot, nxs: Path) -> ReductionOutcome:
    """Reduce one completed crd exposure file in place (writes /entry/reduced and the ASCII
    file next to it); chooses dark/empty beam/GC by rule among the completed files of the data
    root; never raises for a science problem (status failed + reason written into the file)."""
    from sardana_nxsas.reduction.pipeline import reduce_file

    return reduce_file(root, Path(nxs))


__all__ = ["ReductionOutcome", "reduce_exposure"]
