"""Metadata of an exposure, read and written while the detector counts.

``ct`` starts a :class:`MetadataRecorder` just before counting: it reads every
source of the instrument description at once (see :mod:`sardana_nxsas.snapshot`),
resolves them and writes the instrument group into the exposure file, all in
a background thread. When counting has ended only the sensors and positioners
are read again (``end_refs``), concurrently and quickly, for their end values.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sardana_nxsas.description import InstrumentDescription, resolve
from sardana_nxsas.description.info import InstrumentInfo
from sardana_nxsas.description.model import Reading, SourceRef
from sardana_nxsas.nexus.nxsas import EndValues, write_instrument_metadata
from sardana_nxsas.snapshot import BackgroundSnapshot, Read


def end_refs(refs: Sequence[SourceRef]) -> list[SourceRef]:
    """The references read again at the end: sensors and positioners."""
    return [r for r in refs if r.key.startswith(("positioners.", "sensor["))]


class MetadataRecorder:
    """Snapshot, resolve and write the instrument metadata beside the counting."""

    def __init__(
        self,
        nxs: Path,
        description: InstrumentDescription,
        refs: Sequence[SourceRef],
        read: Read,
        write_after: float = 0.0,
    ) -> None:
        """``write_after`` s: resolving and writing (CPU, under the GIL) wait that long, so
        that they do not slow the start of the acquisition in the same process."""
        self.started = time.monotonic()
        self.taken = datetime.now().astimezone()
        self.info: InstrumentInfo | None = None
        self.error: str | None = None
        self._nxs, self._description = Path(nxs), description
        self._write_after = write_after
        self._snapshot = BackgroundSnapshot(refs, read)
        self._thread = threading.Thread(target=self._run, name="nxs-metadata", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            readings = self._snapshot.result().readings
            time.sleep(max(0.0, self._write_after - (time.monotonic() - self.started)))
            info = resolve(self._description, readings)
            write_instrument_metadata(self._nxs, info)
            self.info = info
        except Exception as exc:  # reported by the caller; the exposure goes on
            self.error = f"{type(exc).__name__}: {exc}"

    def wait(self, timeout: float = 30.0) -> InstrumentInfo | None:
        """The metadata written (None if it failed: see ``error``)."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            self.error = f"metadata not written within {timeout:g} s"
        return self.info

    def seconds(self) -> float:
        return time.monotonic() - self.started


def readings_to_json(readings: Mapping[str, Reading]) -> dict[str, list[Any]]:
    """Plain lists, to keep them in the session (MacroServer environment)."""
    return {key: [_plain(r.value), r.reason, r.units] for key, r in readings.items()}


def readings_from_json(data: Mapping[str, list[Any]]) -> dict[str, Reading]:
    return {key: Reading(value, reason, units) for key, (value, reason, units) in data.items()}


def _plain(value: object) -> object:
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        value = item()
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)


def end_values(
    description: InstrumentDescription,
    readings: Mapping[str, Reading],
    seconds: float,
    start: str | None = None,
) -> EndValues:
    """Sensors and positioners at the end; what could not be read there is listed too."""
    info = resolve(description, readings)
    lost = tuple(m for m in info.missing if m.key in readings)  # only what was read again
    return EndValues(seconds, info.sensors, info.positioners, lost, start)
