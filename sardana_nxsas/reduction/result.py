"""What a reduction produced, handed from the pipeline to the writers (:mod:`.output`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sardana_nxsas.reduction.absolute import Calibration
from sardana_nxsas.reduction.curves import Curve
from sardana_nxsas.reduction.inputs import Header


@dataclass
class Result:
    """What the reduction produced, for the writers."""

    exposure: Header
    curve: Curve
    qdev: np.ndarray
    units: str  # "1/cm", or "arbitrary" for the dark and the empty beam
    standards: dict[str, Header]
    calibration: Calibration | None
    steps: list[str] = field(default_factory=list)
    terms: dict[str, str | float | int] = field(default_factory=dict)
    units_of: dict[str, str] = field(default_factory=dict)
