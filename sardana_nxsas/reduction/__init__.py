"""Data reduction of one exposure: the 2-D frame to I(Q) on an absolute scale, NXcanSAS.

:func:`reduce_exposure` is the one entry point (the reducer process calls it for every
complete ``crd`` exposure). The steps, their uncertainties and the rule that picks the
dark, empty beam and glassy carbon are in docs/explanation/reduction.md. The package
imports no pyFAI until a reduction runs (the simulation reads the shipped reference
curve through :mod:`.reference` in the Pool process).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sardana_nxsas.reduction.outcome import ReductionOutcome

if TYPE_CHECKING:
    from sardana_nxsas.dataroot.layout import DataRoot


def reduce_exposure(root: DataRoot, nxs: Path) -> ReductionOutcome:
    """Reduce one completed crd exposure file in place (writes /entry/reduced and the ASCII
    file next to it); chooses dark/empty beam/GC by rule among the completed files of the data
    root; never raises for a science problem (status failed + reason written into the file)."""
    from sardana_nxsas.reduction.pipeline import reduce_file

    return reduce_file(root, Path(nxs))


__all__ = ["ReductionOutcome", "reduce_exposure"]
