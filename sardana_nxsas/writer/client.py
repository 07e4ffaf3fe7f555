"""The macros' side of the writer: one writer process per data root, woken per job
(a :class:`~sardana_nxsas.jobs.process.WorkerProcess` running :mod:`.service`)."""

from __future__ import annotations

from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.jobs.process import WorkerProcess, shared_process
from sardana_nxsas.writer.jobs import WRITER

LOG = "writer.log"


class WriterProcess(WorkerProcess):
    module = "sardana_nxsas.writer"
    log = LOG
    queue = WRITER


def writer_for(root: DataRoot) -> WriterProcess:
    """The process's writer for ``root`` (one per data root, for the life of the process)."""
    return shared_process(WriterProcess, root)
