"""Reduce jobs: durable job files (sardana_nxsas.jobs) in a queue of their own, ``state/reduce-pending/<stem>.<ns>.reduce.json``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sardana_nxsas.catalog.rows import relative
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.jobs.queue import Job, Queue, pending, submit, wait_done

REDUCE = Queue("reduce-pending", ("reduce",), "reducer")
REDUCED_PREFIXES = ("crd",)  # the measurements; tra, scn, tst... are not reduced


def request_reduction(
    root: DataRoot,
    nxs: Path,
    catalog_url: str | None,
    status: Callable[[Path], str],
    durable: bool = True,
) -> Job | None:
    """Queue the reduction of ``nxs`` if it is a complete exposure of a reduced prefix.

    Called by the writer after it completed the file (``status`` reads its final
    status); returns the job, or None when the file is not to be reduced.
    ``durable=False``: the caller fsyncs the job and its folder (the writer, in a batch).
    """
    prefix = nxs.stem.rpartition("_")[0]
    if prefix not in REDUCED_PREFIXES or status(nxs) != "complete":
        return None
    payload = {"nxs": relative(nxs, root), "catalog_url": catalog_url}
    return submit(root, nxs.stem, "reduce", payload, durable, queue=REDUCE)


def pending_reductions(root: DataRoot) -> list[Job]:
    """Reduce jobs not done yet, oldest first."""
    return pending(root, REDUCE)


def wait_reduced(root: DataRoot, stem: str | None = None, timeout: float = 120.0) -> bool:
    """Wait until no reduction of ``stem`` (None: of any exposure) is pending; False on
    timeout. Reductions are requested by the writer: wait for it first
    (sardana_nxsas.writer.wait_written)."""
    return wait_done(root, REDUCE, stem, timeout)
