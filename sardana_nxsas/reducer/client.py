"""The writer's side of the reducer: one reducer process per data root, started on demand.

Started (``sys.executable -m sardana_nxsas.reducer --serve``) like the writer, in a
session of its own, by the writer process after a drain that left reduce jobs; it
ends after the last job when the writer's end of the pipe closes. A reducer that
died (killed, crashed) is started again at the next nudge and catches up: its jobs
are on disk.
"""

from __future__ import annotations

from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.jobs.process import WorkerProcess, shared_process
from sardana_nxsas.reducer.jobs import REDUCE, pending_reductions

LOG = "reducer.log"


class ReducerProcess(WorkerProcess):
    module = "sardana_nxsas.reducer"
    log = LOG
    queue = REDUCE

    def __init__(self, root: DataRoot) -> None:
        super().__init__(root)
        self._seen: frozenset[str] = frozenset()

    def nudge(self) -> None:
        """Wake the reducer if jobs wait that it has not been told of, or start it again
        if it is not running; nothing when no job waits. Cheap: one folder listing."""
        names = frozenset(job.path.name for job in pending_reductions(self.root))
        if not names:
            self._seen = names
            return
        popen = self._popen
        if popen is None or popen.poll() is not None or not names <= self._seen:
            self.wake()
        self._seen = names


def reducer_for(root: DataRoot) -> ReducerProcess:
    """The process's reducer for ``root`` (one per data root, for the life of the process)."""
    return shared_process(ReducerProcess, root)
