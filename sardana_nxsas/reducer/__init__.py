"""The on-line reduction worker: every complete ``crd`` exposure is reduced beside acquisition.

The writer process (sardana_nxsas.writer), after it completes a ``crd`` file, leaves a
durable reduce job in ``state/reduce-pending/`` (:mod:`.jobs`) and wakes the data root's
reducer process (:mod:`.client`), which runs :func:`sardana_nxsas.reduction.reduce_exposure`
on it (:mod:`.service`), puts the results into the catalog row and, for a failed
reduction, leaves a one-line warning the next exposure macro shows (:mod:`.news`).
pyFAI is imported by the reducer process only. See docs/decisions/0011.
"""

from sardana_nxsas.reducer.jobs import (
    REDUCE,
    REDUCED_PREFIXES,
    pending_reductions,
    request_reduction,
    wait_reduced,
)
from sardana_nxsas.reducer.news import reduction_news

__all__ = [
    "REDUCE",
    "REDUCED_PREFIXES",
    "pending_reductions",
    "reduction_news",
    "request_reduction",
    "wait_reduced",
]
