"""The writer's job queue: ``state/pending/<stem>.<ns>.<kind>.json`` (sardana_nxsas.jobs).

An exposure has two jobs, taken in order: ``create`` (at nxsbegin) and ``complete``
(at nxsend). A scan has ``scan-begin``, one ``scan-point`` per point and ``scan-end``
(:mod:`.scan_jobs`), all of the scan file's stem.
"""

from __future__ import annotations

from typing import Any

from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.jobs import queue
from sardana_nxsas.jobs.queue import Job, Queue
from sardana_nxsas.writer.scan_jobs import SCAN_KINDS

WRITER = Queue("pending", ("create", "complete", *SCAN_KINDS), "exposure writer")


def submit(
    root: DataRoot, stem: str, kind: str, payload: dict[str, Any], durable: bool = True
) -> Job:
    """Write a writer job (OSError if it cannot be written); fsynced unless ``durable=False``."""
    return queue.submit(root, stem, kind, payload, durable, queue=WRITER)


def pending(root: DataRoot) -> list[Job]:
    """The writer's jobs not done yet, oldest first."""
    return queue.pending(root, WRITER)


def pending_for(root: DataRoot, stem: str) -> list[Job]:
    return [job for job in pending(root) if job.stem == stem]


def wait_written(root: DataRoot, stem: str | None = None, timeout: float = 30.0) -> bool:
    """Wait until no writer job of ``stem`` (None: of any) is pending; False on timeout."""
    return queue.wait_done(root, WRITER, stem, timeout)
