"""A Sardana scan recorded as one NeXus file, its frames as ``scn`` exposures.

The recorder plugin (``recorders/nxsas_scan_recorder.py``) translates Sardana's record list
into plain values and calls, in order: :func:`check_scan_target` and
:meth:`ScanRecording.begin` before anything moves, :meth:`ScanRecording.add` for each point,
:meth:`ScanRecording.end` once. Each point's frame gets the next ``scn`` FSN and its CBF
``images/scn/scn_<fsn>.cbf``, written here from an array or claimed from the detector's own
file; the scan file embeds the frames and references each CBF with its SHA-256.
See docs/decisions/0010-scan-files.md.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from sardana_nxsas.acquisition.exposure import cbf_header
from sardana_nxsas.acquisition.settings import Settings
from sardana_nxsas.catalog import shared_writer
from sardana_nxsas.catalog.scan_rows import FRAME_SUM, point_row, scan_row
from sardana_nxsas.dataroot.cbf import read_cbf, sha256_file, write_cbf
from sardana_nxsas.dataroot.claim import claim_frame, frame_path
from sardana_nxsas.dataroot.fsn import FsnCounter
from sardana_nxsas.description.info import InstrumentInfo
from sardana_nxsas.description.instrument import load_instrument
from sardana_nxsas.errors import ConfigError, FileExistsNxsError
from sardana_nxsas.nexus.mask import total_counts
from sardana_nxsas.nexus.scan.file import (
    PointRecord,
    ScanFileEnd,
    ScanFileStart,
    append_points,
    create_scan_file,
    finish_scan_file,
)
from sardana_nxsas.nexus.scan.plot import Grid, PlotLayout
from sardana_nxsas.samples.model import Sample

log = logging.getLogger(__name__)

FRAME_PREFIX = "scn"  # every frame of a scan is an exposure of this prefix
SIGNAL_ENV = "NxsScanSignal"
DEFAULT_SCAN_FILE = "scan_{ScanID:05d}.nxs"
_EXPOSURE_NAME = re.compile(r"([A-Za-z][A-Za-z0-9]*)_([0-9]+)\.nxs")
_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def column_name(label: str) -> str:
    """A Sardana label as an HDF5/NeXus field name."""
    name = _UNSAFE.sub("_", str(label)) or "column"
    return f"_{name}" if name[0].isdigit() else name


@dataclass(frozen=True)
class ScanSetup:
    number: int  # Sardana's ScanID
    title: str  # the scan command
    path: Path  # the scan file
    motors: tuple[str, ...] = ()  # moved, reference motor first
    counters: tuple[str, ...] = ()  # scalar channels, measurement group order
    timer: str | None = None
    detector: bool = False  # the measurement group has a 2D channel
    signal: str | None = None  # NxsScanSignal, None: the default
    motor_units: dict[str, str | None] = field(default_factory=dict)
    grid: Grid | None = None

    @property
    def identifier(self) -> str:
        return f"scan_{self.number:05d}"


@dataclass
class ScanPoint:
    index: int
    positions: dict[str, float] = field(default_factory=dict)
    counters: dict[str, float] = field(default_factory=dict)
    seconds: float | None = None  # after the scan started
    frame: np.ndarray | str | None = None  # an array, or the detector's file (file:// or path)
    count_time: float | None = None


@dataclass(frozen=True)
class ScanSummary:
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


def scan_file_path(scan_dir: str | Path, name: str, number: int, numbered: bool) -> Path:
    """The scan file: ``name`` in ``scan_dir``, with ``_<ScanID:05d>`` added before the
    extension unless the ScanFile already had a ``{ScanID}`` field (one file per scan)."""
    path = Path(scan_dir).expanduser() / name
    if numbered:
        return path
    return path.with_name(f"{path.stem}_{number:05d}{path.suffix or '.nxs'}")


def scan_defaults(data_root: Path) -> dict[str, str]:
    """Sardana's ScanDir and ScanFile for scan files beside the exposures (the folder is
    created): ``<data root>/nexus/scn/scan_<ScanID:05d>.nxs``."""
    folder = Path(data_root) / "nexus" / FRAME_PREFIX
    folder.mkdir(parents=True, exist_ok=True)
    return {"ScanDir": str(folder), "ScanFile": DEFAULT_SCAN_FILE}


def check_scan_target(path: Path, settings: Settings) -> None:
    """ConfigError unless the scan file can be created (checked before the scan moves)."""
    folder = Path(path).parent
    if not folder.exists():
        raise ConfigError(
            f"ScanDir {folder} does not exist: create it or set ScanDir "
            f"(senv ScanDir {settings.root.path / 'nexus' / FRAME_PREFIX})"
        )
    if not folder.is_dir():
        raise ConfigError(f"ScanDir {folder} is not a directory: point ScanDir to a directory")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".nxs-write-test-", dir=folder)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise ConfigError(
            f"ScanDir {folder} is not writable ({exc.strerror or exc}): "
            "fix its permissions or set ScanDir"
        ) from None
    match = _EXPOSURE_NAME.fullmatch(Path(path).name)
    if match and match.group(1) in settings.root.prefixes:
        raise ConfigError(
            f"scan file {Path(path).name} would look like an exposure of prefix "
            f"{match.group(1)!r}: set ScanFile to e.g. {DEFAULT_SCAN_FILE}"
        )
    if os.path.lexists(path):
        raise FileExistsNxsError(
            f"{path} already exists: sardana-nxsas never overwrites a scan file "
            f"(set ScanID above {_number_in(path)}, or use a {{ScanID}} field in ScanFile)"
        )


def _number_in(path: Path) -> str:
    digits = re.findall(r"[0-9]+", Path(path).stem)
    return str(int(digits[-1])) if digits else "the last scan's"


def plot_layout(setup: ScanSetup) -> PlotLayout:
    """Signal, axes and auxiliary signals of the default plot (ConfigError: bad signal)."""
    signals = [c for c in setup.counters if c != setup.timer]
    if setup.detector:
        signals.append(FRAME_SUM)
    choices = [*signals, *([setup.timer] if setup.timer else [])]
    if setup.signal:
        signal = column_name(setup.signal)
        if signal not in choices:
            raise ConfigError(
                f"{SIGNAL_ENV} is {setup.signal!r}, which this scan does not measure: "
                f"use one of {', '.join(choices) or '(none)'} or usenv {SIGNAL_ENV}"
            )
    elif choices:
        signal = choices[0]
    else:
        raise ConfigError("the measurement group has no counter and no 2D channel to plot")
    axes = setup.motors or ("timestamp",)
    auxiliary = tuple(s for s in signals if s != signal)
    frames_axis = setup.motors[0] if len(setup.motors) == 1 else "point_nb"
    return PlotLayout(signal, axes, auxiliary, _units(setup, signal), setup.grid, frames_axis)


def _units(setup: ScanSetup, name: str) -> str | None:
    if name in setup.motors:
        return setup.motor_units.get(name)
    if name in ("timestamp", setup.timer):
        return "s"
    return None if name == "point_nb" else "counts"


def columns(setup: ScanSetup) -> dict[str, str | None]:
    """Every measurement column and its units, in order."""
    names = ["point_nb", *setup.motors, *setup.counters]
    if setup.detector:
        names.append(FRAME_SUM)
    names.append("timestamp")
    return {name: _units(setup, name) for name in dict.fromkeys(names)}


class ScanRecording:
    """One scan from its start to its end; not thread-safe (Sardana calls it in order)."""

    def __init__(
        self,
        settings: Settings,
        setup: ScanSetup,
        instrument: InstrumentInfo | None = None,
        sample: Sample | None = None,
        warn: Callable[[str], None] = log.warning,
    ) -> None:
        self.settings, self.setup, self.sample = settings, setup, sample
        self.instrument = instrument
        self.layout = plot_layout(setup)
        self.warn = warn
        self.points = 0
        self.fsns: list[int] = []
        self._pending: list[PointRecord] = []
        self._blocked = False
        self._start = datetime.now().astimezone()
        self._header: InstrumentInfo | None = None

    # -- the three steps -----------------------------------------------------------------

    def begin(self, now: datetime | None = None) -> None:
        """Check, create the scan file (status running) and queue its catalog row."""
        settings, setup = self.settings, self.setup
        settings.root.check()
        check_scan_target(setup.path, settings)
        if setup.detector:
            settings.root.prefix(FRAME_PREFIX)  # refuse before moving if scn is not configured
            settings.root.ensure_dirs(FRAME_PREFIX)
            self._header = load_instrument(settings.instrument_file)
        self._start = (now or datetime.now()).astimezone()
        start = ScanFileStart(
            setup.identifier, setup.number, setup.title, self._start, columns(setup),
            self.layout, self.instrument, self.sample,
        )  # fmt: skip
        create_scan_file(setup.path, start, settings.compression)
        self._catalog(lambda: scan_row(self, "running"))

    def add(self, point: ScanPoint) -> None:
        """Store the point's frame as the next scn exposure and write the point."""
        values: dict[str, float] = {"point_nb": point.index, **point.positions, **point.counters}
        values["timestamp"] = np.nan if point.seconds is None else point.seconds
        record = PointRecord(point.index, values)
        if point.frame is not None:
            record = self._store_frame(point, values)
            self.fsns.append(record.fsn)
        self.points = max(self.points, point.index + 1)
        self._pending.append(record)
        self._flush()
        if record.fsn >= 0:
            self._catalog(lambda: point_row(self, point, record))

    def end(
        self, status: str, reason: str | None = None, now: datetime | None = None
    ) -> ScanSummary:
        """Write what is pending, the end time and the final status."""
        self._flush(final=True)
        end = ScanFileEnd((now or datetime.now()).astimezone(), status, reason, self.points)
        finish_scan_file(self.setup.path, end)
        self._catalog(lambda: scan_row(self, status, end.end_time, reason))
        frames = (min(self.fsns), max(self.fsns)) if self.fsns else None
        return ScanSummary(
            self.setup.identifier, self.setup.path, self.setup.title, status, self.points, frames
        )

    # -- internals ------------------------------------------------------------------------

    @property
    def start_time(self) -> datetime:
        return self._start

    def _store_frame(self, point: ScanPoint, values: dict[str, float]) -> PointRecord:
        root = self.settings.root
        fsn = FsnCounter(root).allocate(FRAME_PREFIX).fsn
        cbf = root.cbf_path(FRAME_PREFIX, fsn)
        count_time = point.count_time
        if isinstance(point.frame, np.ndarray):
            frame = point.frame
            if not np.issubdtype(frame.dtype, np.integer):  # Tango images arrive as float64
                frame = np.rint(frame)
            frame = frame.astype(np.int32)
            assert self._header is not None
            header = cbf_header(self._header, count_time or 0.0, datetime.now())
            sha = write_cbf(cbf, frame, header)
        else:
            claim_frame(frame_path(str(point.frame)), cbf)
            frame = np.asarray(read_cbf(cbf)[0], dtype=np.int32)
            sha = sha256_file(cbf)
        values[FRAME_SUM] = float(total_counts(frame))
        relative = os.path.relpath(cbf, self.setup.path.parent)
        return PointRecord(
            point.index, values, frame, fsn, root.stem(FRAME_PREFIX, fsn), relative, sha,
            np.nan if count_time is None else count_time,
        )  # fmt: skip

    def _flush(self, final: bool = False) -> None:
        """Write the pending points; a file held open by a reader is retried at the next
        point (and, at the end, a few more times) rather than failing the scan."""
        attempts = 20 if final else 1
        for attempt in range(attempts):
            if not self._pending:
                return
            try:
                append_points(
                    self.setup.path, self._pending, self.settings.compression, self.layout
                )
            except OSError as exc:
                if not self._blocked:
                    self._blocked = True
                    self.warn(f"{self.setup.path} cannot be written now ({exc}); retrying")
                if attempt + 1 == attempts:
                    if final:
                        raise
                    return
                time.sleep(0.25)
                continue
            self._pending.clear()
            self._blocked = False

    def _catalog(self, row: Callable[[], dict[str, Any]]) -> None:
        try:
            shared_writer(self.settings.root, self.settings.catalog_url).submit(row())
        except Exception as exc:  # the catalog never stops a scan; reindex repairs
            self.warn(f"catalog row not queued: {exc}")
