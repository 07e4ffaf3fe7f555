"""The jobs of a scan file on the writer's queue: what the recorder hands over, as JSON.

A scan is three kinds of job of one stem (:func:`scan_stem`, the scan file), done in
the order they were submitted: ``scan-begin`` (create the file, status running),
``scan-point`` (one per point: its columns and, if the point has a frame, the frame's
CBF under its scn FSN) and ``scan-end`` (end time, final status). Every job carries
what its work needs, so that any writer, also one started after a crash, can do it.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sardana_nxsas.nexus.scan.plot import Grid, PlotLayout

SCAN_BEGIN = "scan-begin"
SCAN_POINT = "scan-point"
SCAN_END = "scan-end"
SCAN_KINDS = (SCAN_BEGIN, SCAN_POINT, SCAN_END)

_NOT_IN_STEM = re.compile(r"[^A-Za-z0-9_-]")


def scan_stem(path: Path) -> str:
    """The jobs' stem of a scan file: its name without ``.nxs`` (a dot, which separates the
    parts of a job's name, becomes ``_``), as an exposure's jobs have its file's stem, so
    that ``validate`` finds them. Never an exposure's stem: a scan file named like an
    exposure of a configured prefix is refused (``check_scan_target``)."""
    return _NOT_IN_STEM.sub("_", Path(path).stem)


def _finite(value: float | None) -> float | None:
    """JSON has no NaN: a missing value travels as null."""
    return None if value is None or not math.isfinite(value) else float(value)


def plot_to_json(plot: PlotLayout) -> dict[str, Any]:
    return asdict(plot)


def plot_from_json(data: dict[str, Any]) -> PlotLayout:
    grid = data.get("grid")
    return PlotLayout(
        signal=data["signal"],
        axes=tuple(data["axes"]),
        auxiliary=tuple(data.get("auxiliary") or ()),
        units=data.get("units"),
        grid=None
        if grid is None
        else Grid(
            grid["fast"],
            tuple(grid["fast_positions"]),
            grid["slow"],
            tuple(grid["slow_positions"]),
            bool(grid.get("bidirectional", False)),
        ),
        frames_axis=data.get("frames_axis", "point_nb"),
    )


@dataclass(frozen=True)
class ScanBegin:
    """``scan-begin``: everything the file says from the start."""

    path: str  # the scan file (absolute)
    identifier: str  # "scan_00012"
    number: int  # Sardana's ScanID
    title: str  # the scan command
    start_time: str  # ISO 8601
    columns: dict[str, str | None]  # measurement column -> units, in order
    plot: PlotLayout
    compression: str
    instrument_file: str | None = None  # None: no instrument metadata (scripts, tests)
    start_readings: dict[str, list[Any]] = field(default_factory=dict)  # readings_to_json
    sample: dict[str, Any] | None = None  # Sample.to_dict()
    catalog_url: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "plot": plot_to_json(self.plot)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScanBegin:
        return cls(**{**data, "plot": plot_from_json(data["plot"])})


@dataclass(frozen=True)
class PointFrame:
    """A point's frame: its CBF already has its scn name (written or claimed)."""

    cbf: str  # images/scn/scn_<fsn>.cbf (absolute)
    fsn: int
    identifier: str  # "scn_00042"
    count_time: float | None = None
    source: str | None = None  # the detector's name of it while the claim is unsettled


@dataclass(frozen=True)
class ScanPointJob:
    """``scan-point``: one point's columns and frame."""

    path: str
    index: int
    values: dict[str, float | None]  # measurement column -> value (None: not measured)
    plot: PlotLayout  # a mesh's point also goes into its grid cell
    compression: str
    frame: PointFrame | None = None
    catalog_url: str | None = None

    @classmethod
    def make(
        cls,
        path: Path,
        index: int,
        values: dict[str, float],
        plot: PlotLayout,
        compression: str,
        frame: PointFrame | None,
        catalog_url: str | None,
    ) -> ScanPointJob:
        finite = {name: _finite(value) for name, value in values.items()}
        return cls(str(path), index, finite, plot, compression, frame, catalog_url)

    def measured(self) -> dict[str, float]:
        return {name: math.nan if v is None else v for name, v in self.values.items()}

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "plot": plot_to_json(self.plot)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScanPointJob:
        frame = data.get("frame")
        return cls(**{
            **data,
            "plot": plot_from_json(data["plot"]),
            "frame": None if frame is None else PointFrame(**frame),
        })  # fmt: skip


@dataclass(frozen=True)
class ScanEnd:
    """``scan-end``: the end time and final status (and why)."""

    path: str
    end_time: str  # ISO 8601
    status: str
    reason: str | None = None
    points: int = 0
    catalog_url: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScanEnd:
        return cls(**data)
