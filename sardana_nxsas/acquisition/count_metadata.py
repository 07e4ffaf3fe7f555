"""The instrument's readings beside a count: a start snapshot and the end values.

Started in a worker thread, so that the count starts at once; the sensors and
positioners are read again when the count has ended. What the readings come from
(the Pool's motors, the readers of the description's sources) is the adapter's:
it passes in a :class:`MetadataSources`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from sardana_nxsas.acquisition.exposure import Session
from sardana_nxsas.acquisition.snapshot import BackgroundSnapshot, Read, shared_pool
from sardana_nxsas.description import load_description
from sardana_nxsas.description.model import SourceRef
from sardana_nxsas.nexus.exposure.nxsas import iso
from sardana_nxsas.nexus.exposure.readings import end_refs, readings_to_json

# The start snapshot waits this long (at most a quarter of the count): reading the sensors
# takes the MacroServer's GIL, which the Pool in the same process needs to start the
# detectors (measured: ~3 ms per 0.1 s exposure, benchmarks/exposure_soak.py)
SNAPSHOT_DELAY = 0.03  # s
READY_TIMEOUT = 30.0  # s: the longest a count waits for the readers to be prepared
MISSING_SHOWN = 5  # missing readings named in the warning; the others are counted


class MetadataSources(Protocol):
    """What the instrument is read through (macro_support.MacroSources for a macro)."""

    def moveable_names(self) -> list[str]:
        """The names of every motor and pseudo motor."""
        ...

    def reader(self, refs: Sequence[SourceRef]) -> Read:
        """``read(ref)`` for the snapshot, prepared for ``refs``."""
        ...


def snapshot_delay(count_time: float) -> float:
    return min(SNAPSHOT_DELAY, count_time / 4)


class CountMetadata:
    """Starts preparing the readers and the start snapshot at construction (in a worker)."""

    def __init__(self, sources: MetadataSources, instrument_file: Path, delay: float = 0.0) -> None:
        self._ready = threading.Event()
        self._snapshot: BackgroundSnapshot | None = None
        self._refs: list[SourceRef] = []
        self._read: Read | None = None
        self._error: str | None = None
        shared_pool().submit(self._start, sources, instrument_file, delay)

    def _start(self, sources: MetadataSources, instrument_file: Path, delay: float) -> None:
        time.sleep(delay)  # see SNAPSHOT_DELAY
        try:
            description = load_description(instrument_file)
            self._refs = list(description.sources(sources.moveable_names()))
            self._read = sources.reader(self._refs)
            self._snapshot = BackgroundSnapshot(self._refs, self._read)
        except Exception as exc:  # told in spock; the exposure goes on with the constants
            self._error = f"{type(exc).__name__}: {exc}"
        finally:
            self._ready.set()

    def read_end(self) -> BackgroundSnapshot | None:
        """Start reading the sensors and positioners again (None if metadata failed)."""
        self._ready.wait(READY_TIMEOUT)
        if self._snapshot is None or self._read is None:
            return None
        return BackgroundSnapshot(end_refs(self._refs), self._read)

    def collect(
        self,
        session: Session,
        warn: Callable[[str], None],
        end: BackgroundSnapshot | None = None,
    ) -> None:
        """Put the readings into ``session``; one warning for what could not be read."""
        self._ready.wait(READY_TIMEOUT)
        end = end or self.read_end()
        if self._snapshot is None or end is None:
            warn(
                f"{session.identifier}: metadata not read ({self._error or 'timeout'}); "
                "the exposure goes on with the constants only"
            )
            return
        started = self._snapshot.result()
        missing = started.missing()
        if missing:
            shown = list(missing.items())[:MISSING_SHOWN]
            items = ", ".join(f"{key} ({why})" for key, why in shown)
            more = f" and {len(missing) - len(shown)} more" if len(missing) > len(shown) else ""
            warn(f"{session.identifier}: missing metadata: {items}{more}")
        ended = end.result()
        session.start_readings = readings_to_json(started.readings)
        session.end_readings = readings_to_json(ended.readings)
        session.end_seconds = (ended.taken - started.taken).total_seconds()
        session.snapshot_time = iso(started.taken)
