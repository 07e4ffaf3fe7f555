"""The file writer: the file work of exposures and scans, off the macros' path.

The macros allocate the FSN, read the instrument, give the detector's frame its
name, and hand the rest to a writer as durable jobs (:mod:`.jobs`): creating the
.nxs at ``nxsbegin``, and at ``nxsend`` completing it from the CBF (compressed
frame, checksum, metadata, final status) and queueing its catalog row and its
reduction (:mod:`.complete`). The scan recorder hands over a scan file the same way:
begin, one job per point, end (:mod:`.scan_jobs`, :mod:`.scan`). The writer is a
process of its own (:mod:`.client`, :mod:`.service`; the queue, the loop and the
process are sardana_nxsas.jobs), so its CPU work never holds the MacroServer's
interpreter. See docs/decisions/0008 and 0010.
"""

from sardana_nxsas.writer.client import WriterProcess, writer_for
from sardana_nxsas.writer.jobs import Job, pending, pending_for, submit, wait_written
from sardana_nxsas.writer.service import drain

__all__ = [
    "Job",
    "WriterProcess",
    "drain",
    "pending",
    "pending_for",
    "submit",
    "wait_written",
    "writer_for",
]
