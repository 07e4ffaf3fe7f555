"""Read every metadata source at once, beside the counting.

"Most metadata is written while the exposure is being made": the snapshot of
motors, sensors and Tango attributes starts when counting starts and runs in
worker threads, so it adds nothing to the time between exposures. A value that
cannot be read becomes a *missing* reading with the reason; an exposure is
never lost for a metadata failure.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime

from sardana_nxsas.description.model import Reading, SourceRef

Read = Callable[[SourceRef], object]  # a value, or a Reading; raises when it cannot read
DEFAULT_TIMEOUT = 3.0  # s: a Tango client's own default timeout


@dataclass(frozen=True)
class Snapshot:
    taken: datetime  # when reading began
    readings: dict[str, Reading]  # by SourceRef.key

    def missing(self) -> dict[str, str]:
        """key -> reason of every value that could not be read."""
        return {k: r.reason or "unknown" for k, r in self.readings.items() if r.value is None}


def _one(read: Read, ref: SourceRef) -> Reading:
    try:
        value = read(ref)
    except Exception as exc:  # any failure of one source is that source's problem only
        return Reading.missing(f"{ref.spec}: {type(exc).__name__}: {exc}")
    if isinstance(value, Reading):
        return value
    if value is None:
        return Reading.missing(f"{ref.spec}: no value")
    return Reading(value)


WORKERS = 16  # threads shared by every snapshot of the process (created once)
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def shared_pool() -> ThreadPoolExecutor:
    """The process's snapshot threads: starting threads per exposure costs milliseconds."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(WORKERS, "nxs-snapshot")
        return _pool


class BackgroundSnapshot:
    """Starts reading ``refs`` at construction; :meth:`result` collects them."""

    def __init__(
        self,
        refs: Sequence[SourceRef],
        read: Read,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.taken = datetime.now().astimezone()
        self._refs = list(refs)
        self._timeout = timeout
        pool = shared_pool()
        self._futures: list[Future[Reading]] = [pool.submit(_one, read, r) for r in self._refs]
        self._lock = threading.Lock()

    def result(self) -> Snapshot:
        with self._lock:
            done, _ = wait(self._futures, timeout=self._timeout)
            readings = {
                ref.key: future.result()
                if future in done
                else Reading.missing(f"{ref.spec}: no answer within {self._timeout:g} s")
                for ref, future in zip(self._refs, self._futures, strict=True)
            }
            for future in self._futures:
                future.cancel()  # those not started yet
        return Snapshot(self.taken, readings)


def take_snapshot(refs: Sequence[SourceRef], read: Read, **options: float) -> Snapshot:
    """Read everything now (concurrently) and wait for it."""
    return BackgroundSnapshot(refs, read, **options).result()
