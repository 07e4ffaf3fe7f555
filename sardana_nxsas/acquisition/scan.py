"""A Sardana scan recorded as one NeXus file, its frames as ``scn`` exposures.

The recorder plugin (``recorders/nxsas_scan_recorder.py``) translates Sardana's record list
into plain values (:mod:`.scan_setup`) and calls, in order: :meth:`ScanRecording.begin`
before anything moves, :meth:`ScanRecording.add` for each point, :meth:`ScanRecording.end`
once. Like an exposure, the scan never touches HDF5 here (decision 0008): each step
hands a durable job to the data root's writer process (``sardana_nxsas.writer.scan``),
which creates the file, appends the points, finishes it and queues the catalog rows.
Each point's frame gets the next ``scn`` FSN and its CBF ``images/scn/scn_<fsn>.cbf``
here (:mod:`.frames`: claimed from the detector's file, or written from an array).
See docs/decisions/0010-scan-files.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sardana_nxsas.acquisition.frames import cbf_header, take_frame
from sardana_nxsas.acquisition.scan_setup import (
    FRAME_PREFIX,
    ScanPoint,
    ScanSetup,
    check_scan_target,
    columns,
    plot_layout,
)
from sardana_nxsas.acquisition.settings import Settings
from sardana_nxsas.dataroot.cbf import MiniCbfHeader
from sardana_nxsas.dataroot.claim import settle_claim
from sardana_nxsas.dataroot.fsn import FsnCounter
from sardana_nxsas.description import load_description, load_instrument, resolve
from sardana_nxsas.description.info import InstrumentInfo
from sardana_nxsas.description.model import Reading
from sardana_nxsas.nexus.exposure.nxsas import iso
from sardana_nxsas.nexus.exposure.readings import readings_to_json
from sardana_nxsas.samples.model import Sample
from sardana_nxsas.writer import drain, submit
from sardana_nxsas.writer.scan_jobs import (
    SCAN_BEGIN,
    SCAN_END,
    SCAN_POINT,
    PointFrame,
    ScanBegin,
    ScanEnd,
    ScanPointJob,
    scan_stem,
)

__all__ = ["ScanPoint", "ScanRecording", "ScanSetup", "ScanSummary"]  # what a recorder uses

log = logging.getLogger(__name__)

Wake = Callable[[], None]  # tells the writer there is a job (writer_for(root).wake)


@dataclass(frozen=True)
class ScanSummary:
    """What the recorder reports in its one line (the writer finishes the file just after)."""

    identifier: str
    path: Path
    title: str
    status: str
    points: int
    frames: tuple[int, int] | None  # first and last scn FSN

    def line(self) -> str:
        frames = "" if self.frames is None else f"  scn {self.frames[0]}-{self.frames[1]}"
        status = "" if self.status == "complete" else f" [{self.status.upper()}]"
        return f"{self.path}  {self.title!r}  {self.points} points{frames}{status}"


class ScanRecording:
    """One scan from its start to its end; not thread-safe (Sardana calls it in order).

    ``readings``: the instrument description's sources read at the scan start (None: no
    instrument metadata in the file); ``wake`` tells the writer process of each job (None:
    the jobs are done here and now, as scripts and unit tests want); ``hold``, entered once
    the scan has begun and left after its last job, keeps the writer off the cores while
    a fast scan counts (``WriterProcess.yielding()``, see :func:`.scan_setup.yields_to_scan`).
    """

    def __init__(
        self,
        settings: Settings,
        setup: ScanSetup,
        readings: Mapping[str, Reading] | None = None,
        sample: Sample | None = None,
        warn: Callable[[str], None] = log.warning,
        wake: Wake | None = None,
        hold: AbstractContextManager[None] | None = None,
    ) -> None:
        self.settings, self.setup, self.sample = settings, setup, sample
        self.readings = readings
        self.layout = plot_layout(setup)
        self.warn, self.wake = warn, wake
        self.points = 0
        self.fsns: list[int] = []
        self.stem = scan_stem(setup.path)
        self._header: InstrumentInfo | None = None  # of the CBFs written from arrays
        self._hold = hold
        self._held = ExitStack()

    def begin(self, now: datetime | None = None) -> None:
        """Check everything, then queue the creation of the file (status running)."""
        settings, setup = self.settings, self.setup
        settings.root.check()
        check_scan_target(setup.path, settings)
        if setup.detector:
            settings.root.prefix(FRAME_PREFIX)  # refuse before moving if scn is not configured
            settings.root.ensure_dirs(FRAME_PREFIX)
            self._header = load_instrument(settings.instrument_file)
        if self.readings is not None:
            info = resolve(load_description(settings.instrument_file), self.readings)
            if info.missing:
                items = ", ".join(m.key for m in info.missing[:5])
                self.warn(f"{setup.identifier}: missing metadata: {items}")
        start = (now or datetime.now()).astimezone()
        job = ScanBegin(
            str(setup.path), setup.identifier, setup.number, setup.title, iso(start),
            columns(setup), self.layout, settings.compression,
            None if self.readings is None else str(settings.instrument_file),
            {} if self.readings is None else readings_to_json(self.readings),
            None if self.sample is None else self.sample.to_dict(), settings.catalog_url,
        )  # fmt: skip
        self._submit(SCAN_BEGIN, job.to_json())
        if self._hold is not None:
            self._held.enter_context(self._hold)

    def add(self, point: ScanPoint) -> None:
        """Give the point's frame its scn FSN and CBF, and queue the point."""
        values: dict[str, float] = {"point_nb": point.index, **point.positions, **point.counters}
        values["timestamp"] = float("nan") if point.seconds is None else point.seconds
        frame = None if point.frame is None else self._take_frame(point)
        self.points = max(self.points, point.index + 1)
        job = ScanPointJob.make(
            self.setup.path, point.index, values, self.layout, self.settings.compression,
            frame, self.settings.catalog_url,
        )  # fmt: skip
        self._submit(SCAN_POINT, job.to_json(), frame)

    def end(
        self, status: str, reason: str | None = None, now: datetime | None = None
    ) -> ScanSummary:
        """Queue the end time and the final status."""
        end_time = iso((now or datetime.now()).astimezone())
        job = ScanEnd(
            str(self.setup.path), end_time, status, reason, self.points, self.settings.catalog_url
        )
        try:
            self._submit(SCAN_END, job.to_json())
        finally:
            self._held.close()  # the writer catches up now
        frames = (min(self.fsns), max(self.fsns)) if self.fsns else None
        setup = self.setup
        return ScanSummary(setup.identifier, setup.path, setup.title, status, self.points, frames)

    def _take_frame(self, point: ScanPoint) -> PointFrame:
        assert point.frame is not None
        root = self.settings.root
        fsn = FsnCounter(root).allocate(FRAME_PREFIX).fsn
        self.fsns.append(fsn)

        def header() -> MiniCbfHeader:  # only for a frame written from an array
            assert self._header is not None
            return cbf_header(self._header, point.count_time or 0.0, datetime.now())

        # a claim is settled after the point's job (one file-system commit for both)
        taken = take_frame(point.frame, root.cbf_path(FRAME_PREFIX, fsn), header, settle=False)
        return PointFrame(
            str(taken.path), fsn, root.stem(FRAME_PREFIX, fsn), point.count_time,
            None if taken.source is None else str(taken.source),
        )  # fmt: skip

    def _submit(self, kind: str, payload: dict[str, Any], frame: PointFrame | None = None) -> None:
        """A durable job (on disk when this returns), then the writer is told."""
        submit(self.settings.root, self.stem, kind, payload)
        if frame is not None and frame.source is not None:
            settle_claim(Path(frame.source), Path(frame.cbf))
        if self.wake is None:
            drain(self.settings.root)
        else:
            self.wake()
