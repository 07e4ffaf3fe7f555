"""What a scan records, decided before it moves: the file's name, its columns, its plot.

The recorder plugin turns Sardana's objects into the plain values here (:class:`Channel`
for each data description, the environment's strings); every choice — the file name of
a scan, which channel is the frame, which is the timer, the default plot's signal, the
final status of a stopped scan — is made here, without Sardana, and unit-tested.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sardana_nxsas import env
from sardana_nxsas.acquisition.settings import Settings
from sardana_nxsas.errors import ConfigError, FileExistsNxsError
from sardana_nxsas.jobs.yielding import asks_to_yield
from sardana_nxsas.nexus.scan.file import FRAME_SUM
from sardana_nxsas.nexus.scan.plot import Grid, PlotLayout

FRAME_PREFIX = "scn"  # every frame of a scan is an exposure of this prefix
SIGNAL_ENV = env.SCAN_SIGNAL  # the default plot's signal, if not the first counter
DEFAULT_SCAN_FILE = "scan_{ScanID:05d}.nxs"
_EXPOSURE_NAME = re.compile(r"([A-Za-z][A-Za-z0-9]*)_([0-9]+)\.nxs")
_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
_ENDED = {  # Sardana's end status -> (ours, why)
    "Normal": ("complete", None),
    "Stop": ("aborted", "scan stopped (Ctrl-C)"),
    "Abort": ("aborted", "scan aborted"),
    "Exception": ("failed", "scan failed"),
}


def column_name(label: str) -> str:
    """A Sardana label as an HDF5/NeXus field name."""
    name = _UNSAFE.sub("_", str(label)) or "column"
    return f"_{name}" if name[0].isdigit() else name


def as_number(value: object) -> float:
    """A recorded value as a float (NaN if it is none)."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


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


# -- Sardana's record list as columns ------------------------------------------------------


@dataclass(frozen=True)
class Channel:
    """One of Sardana's data descriptions, as plain values."""

    name: str  # the record's key
    label: str
    moveable: bool = False
    shape: tuple[int, ...] = ()
    value_ref: bool = False  # hands a file reference instead of the array


@dataclass(frozen=True)
class RecordColumns:
    """Where each value of a record goes."""

    motors: dict[str, str]  # record key -> column, reference motor first
    counters: dict[str, str]  # record key -> column (scalar channels)
    timer: str | None = None  # the counter column that measured the time
    frame_key: str | None = None  # the record key of the 2D channel's frame

    def point(self, index: int, data: Mapping[str, object]) -> ScanPoint:
        """One record as a point; a ``file://`` reference becomes a path."""
        point = ScanPoint(index)
        point.positions = {c: as_number(data[k]) for k, c in self.motors.items() if k in data}
        point.counters = {c: as_number(data[k]) for k, c in self.counters.items() if k in data}
        frame = data.get(self.frame_key) if self.frame_key else None
        if isinstance(frame, str):
            point.frame = frame.removeprefix("file://")
        elif isinstance(frame, np.ndarray):
            point.frame = frame
        seconds = data.get("timestamp")
        point.seconds = None if seconds is None else as_number(seconds)
        if self.timer in point.counters:
            point.count_time = point.counters[self.timer]
        return point


def record_columns(
    channels: Iterable[Channel],
    measured: Collection[str],
    timers: Collection[str],
    wanted_frame: str | None = None,
) -> RecordColumns:
    """The moved motors, the scalar counters among the ``measured`` channels, the timer
    (one of ``timers``, full names or names) and the frame: the 2D (or referencing)
    channel named ``wanted_frame`` (the description's detector channel), else the first."""
    motors: dict[str, str] = {}
    counters: dict[str, str] = {}
    images: list[Channel] = []
    timer = None
    for channel in channels:
        if channel.moveable:
            motors[channel.name] = column_name(channel.name)
        elif channel.name in measured:
            if len(channel.shape) == 2 or channel.value_ref:
                images.append(channel)
            elif not channel.shape:
                column = counters[channel.name] = column_name(channel.label)
                if channel.name in timers or channel.label in timers:
                    timer = column
    if wanted_frame:
        images = [c for c in images if wanted_frame in (c.label, c.name)] or images
    return RecordColumns(motors, counters, timer, images[0].name if images else None)


def mesh_grid(
    motors: Sequence[str],
    starts: Sequence[float],
    finals: Sequence[float],
    intervals: Sequence[int],
    bidirectional: bool = False,
) -> Grid | None:
    """The nominal grid of a two-motor mesh (None for anything else)."""
    if len(motors) != 2:
        return None
    axes = [
        tuple(float(x) for x in np.linspace(s, f, int(n) + 1))
        for s, f, n in zip(starts, finals, intervals, strict=True)
    ]
    return Grid(motors[0], axes[0], motors[1], axes[1], bool(bidirectional))


def yields_to_scan(integration_time: object, points: object) -> bool:
    """Whether the writer should hold its jobs while this scan counts: a scan of short
    counts is a fast series (``jobs.yielding``); its file is written after it (at most
    MAX_BACKLOG_S late), its frames' CBFs at once. Unknown values: it does not hold."""
    count_time, count = as_number(integration_time), as_number(points)
    return (
        math.isfinite(count_time) and math.isfinite(count) and asks_to_yield(count_time, int(count))
    )


def final_status(
    ended: str, interrupted: str | None, points: int, planned: int | None
) -> tuple[str, str | None]:
    """The file's status and reason from Sardana's end status (``Normal``, ``Stop``,
    ``Abort``, ``Exception``). A stop that lands during a move reaches the recorder as
    ``Exception`` (the motion ended with an error): ``interrupted`` (``Stop``/``Abort``,
    what the macro says happened to it) then decides."""
    if ended == "Exception" and interrupted:
        ended = interrupted
    status, why = _ENDED.get(ended, ("failed", f"scan ended with {ended}"))
    if why is None:
        return status, None
    of = f" of {planned}" if planned else ""
    return status, f"{why} after {points}{of} points"


# -- the file and its plot -----------------------------------------------------------------


def scan_file_path(scan_dir: str | Path, name: str, number: int, numbered: bool) -> Path:
    """The scan file: ``name`` in ``scan_dir``, with ``_<ScanID:05d>`` added before the
    extension unless the ScanFile already had a ``{ScanID}`` field (one file per scan)."""
    path = Path(scan_dir).expanduser() / name
    if numbered:
        return path
    return path.with_name(f"{path.stem}_{number:05d}{path.suffix or '.nxs'}")


def scan_file_for(filename: str, scan_file: str | Sequence[str], number: int) -> Path:
    """The file of scan ``number`` for Sardana's ``filename`` (``ScanDir``/``ScanFile``
    formatted): kept if one ``ScanFile`` entry with ``{ScanID}`` formats to it, else
    numbered (:func:`scan_file_path`)."""
    name = os.path.basename(filename)
    entries = [scan_file] if isinstance(scan_file, str) else list(scan_file)
    numbered = any("{ScanID" in e and _formats_to(e, number, name) for e in entries)
    return scan_file_path(os.path.dirname(filename), name, number, numbered)


def _formats_to(entry: str, number: int, name: str) -> bool:
    try:
        return entry.format(ScanID=number) == name
    except (KeyError, IndexError, ValueError):
        return False


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
