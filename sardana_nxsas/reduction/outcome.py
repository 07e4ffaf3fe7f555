"""What one reduction came to: the record the reducer puts into the catalog and the file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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
