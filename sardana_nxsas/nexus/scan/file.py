"""The scan file: one NXentry per Sardana scan, written point by point.

Layout (see docs/reference/nexus-tree.md, "The scan file")::

    /entry                NXentry  @default="plot"
      title, start_time, end_time, entry_identifier, program_name, status, scan_number
      instrument          NXinstrument (snapshot at the scan start; detector/data: the frames)
      sample, operator, proposer, missing_metadata
      measurement         NXcollection: one value per point of every column
      plot                NXdata: @signal = a counter or frame_sum, @axes = the moved motor(s)
      frames              NXdata: the frame stack as images

Each step opens the file, writes and closes it (no handle is held between points), so a
viewer may read it during the scan and a crash leaves a closed file with the points so far.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import h5py
import numpy as np

from sardana_nxsas import __version__
from sardana_nxsas.description.info import InstrumentInfo
from sardana_nxsas.errors import FileExistsNxsError
from sardana_nxsas.nexus import compression
from sardana_nxsas.nexus.exposure.metadata import (
    write_experiment,
    write_instrument,
    write_sample,
)
from sardana_nxsas.nexus.exposure.nxsas import PROGRAM, STATUSES, iso, write_root_attributes
from sardana_nxsas.nexus.fields import group, link, text
from sardana_nxsas.nexus.scan.plot import PlotLayout, grow_grid, write_plots
from sardana_nxsas.samples.model import Sample

MEASUREMENT = "measurement"
FRAME_SUM = "frame_sum"  # the measurement column of each frame's total counts
DETECTOR = "instrument/detector"
_STR = h5py.string_dtype()


@dataclass(frozen=True)
class ScanFileStart:
    """What is known when the scan starts."""

    identifier: str  # "scan_00012"
    number: int  # Sardana's ScanID
    title: str  # the scan command
    start_time: datetime
    columns: dict[str, str | None]  # measurement column -> units, in order
    plot: PlotLayout
    instrument: InstrumentInfo | None = None
    sample: Sample | None = None


@dataclass(frozen=True)
class PointRecord:
    """One point as it goes into the file."""

    index: int
    values: dict[str, float]  # measurement column -> value
    frame: np.ndarray | None = None
    fsn: int = -1  # of the frame's scn exposure
    identifier: str = ""  # "scn_00042"
    frame_file: str = ""  # the CBF, relative to the scan file
    sha256: str = ""
    count_time: float = float("nan")


@dataclass(frozen=True)
class ScanFileEnd:
    end_time: datetime
    status: str
    reason: str | None = None
    points: int = 0
    extra: dict[str, str] = field(default_factory=dict)


def create_scan_file(path: Path, start: ScanFileStart, codec: str = compression.DEFAULT) -> None:
    """Create the file exclusively with the entry, the metadata and empty columns."""
    compression.check(codec)
    try:
        handle = h5py.File(path, "x")
    except FileExistsError:
        raise FileExistsNxsError(
            f"{path} already exists: sardana-nxsas never overwrites a scan file "
            "(set ScanID, or give ScanFile a {ScanID} field)"
        ) from None
    with handle as nxroot:
        write_root_attributes(nxroot, Path(path).name, start.start_time)
        entry = group(nxroot, "entry", "NXentry", default="plot")
        text(entry, "title", start.title)
        text(entry, "start_time", iso(start.start_time))
        text(entry, "entry_identifier", start.identifier)
        text(entry, "program_name", PROGRAM, version=__version__)
        text(entry, "status", "running")
        entry.create_dataset("scan_number", data=np.int64(start.number)).attrs["long_name"] = (
            "Sardana's ScanID of this scan"
        )
        if start.instrument is not None:
            write_instrument(entry, start.instrument)
            write_experiment(entry, entry, start.instrument.experiment)
        if start.sample is not None:
            write_sample(entry, start.sample.name, start.sample)
        measurement = group(entry, MEASUREMENT, "NXcollection")
        for name, units in start.columns.items():
            _column(measurement, name, np.int64 if name == "point_nb" else np.float64, units)
        if "timestamp" in measurement:  # seconds after this moment, as NXlog's time@start
            measurement["timestamp"].attrs["start"] = iso(start.start_time)
        write_plots(entry, start.plot)


def _column(parent: h5py.Group, name: str, dtype: type, units: str | None) -> h5py.Dataset:
    fill = -1 if dtype is np.int64 else np.nan
    dset = parent.create_dataset(
        name, shape=(0,), maxshape=(None,), chunks=(256,), dtype=dtype, fillvalue=fill
    )
    if units is not None:
        dset.attrs["units"] = units
    return dset


def _put(dset: h5py.Dataset, index: int, value: object) -> None:
    if dset.shape[0] <= index:
        dset.resize(index + 1, axis=0)
    dset[index] = value


def append_points(path: Path, points: list[PointRecord], codec: str, plot: PlotLayout) -> None:
    """Write these points (their columns, frames and references) into the file."""
    with h5py.File(path, "r+") as nxroot:
        entry = nxroot["entry"]
        measurement = entry[MEASUREMENT]
        for point in points:
            for name, value in point.values.items():
                if name in measurement:
                    _put(measurement[name], point.index, value)
            grow_grid(entry, plot, point.index, point.values)
            if point.frame is not None or DETECTOR + "/data" in entry:
                _write_frame(entry, point, codec)
        nxroot.flush()


def _write_frame(entry: h5py.Group, point: PointRecord, codec: str) -> None:
    detector = group(entry, DETECTOR.split("/")[0], "NXinstrument").require_group("detector")
    detector.attrs["NX_class"] = "NXdetector"
    if "data" not in detector:
        if point.frame is None:
            return
        _create_stack(entry, detector, point.frame, codec)
    data = detector["data"]
    if data.shape[0] <= point.index:
        data.resize(point.index + 1, axis=0)
    if point.frame is not None:
        data[point.index] = point.frame
    _put(detector["sequence_number"], point.index, point.fsn)
    _put(detector["count_time"], point.index, point.count_time)
    _put(detector["frame_identifier"], point.index, point.identifier)
    note = detector["data_file"]
    _put(note["file_name"], point.index, point.frame_file)
    _put(note["checksum"], point.index, point.sha256)


def _create_stack(entry: h5py.Group, detector: h5py.Group, frame: np.ndarray, codec: str) -> None:
    options = compression.dataset_options(codec, frame)
    options["chunks"] = (1, *options["chunks"])
    data = detector.create_dataset(
        "data",
        shape=(0, *frame.shape),
        maxshape=(None, *frame.shape),
        dtype=np.int32,
        fillvalue=-1,
        **options,
    )
    data.attrs.update(
        units="counts",
        long_name="detector counts per pixel (-1: module gap, bad pixel or no frame)",
        interpretation="image",
    )
    _column(detector, "sequence_number", np.int64, None).attrs["long_name"] = (
        "FSN of each frame's scn exposure (-1: no frame)"
    )
    _column(detector, "count_time", np.float64, "s")
    _strings(detector, "frame_identifier")
    note = group(detector, "data_file", "NXnote")
    _strings(note, "file_name")
    _strings(note, "checksum")
    text(note, "algorithm", "sha256")
    text(note, "type", "application/x-cbf")
    text(note, "description", "each frame's own CBF (miniCBF), paths relative to this file")
    link(entry["frames"], "data", data)


def _strings(parent: h5py.Group, name: str) -> h5py.Dataset:
    return parent.create_dataset(name, shape=(0,), maxshape=(None,), chunks=(256,), dtype=_STR)


def finish_scan_file(path: Path, end: ScanFileEnd) -> None:
    """End time, the final status (and why), the number of points; fsync."""
    if end.status not in STATUSES[1:]:
        raise ValueError(f"final status must be one of {STATUSES[1:]}, not {end.status!r}")
    with h5py.File(path, "r+") as nxroot:
        entry = nxroot["entry"]
        if "end_time" in entry:
            del entry["end_time"]
        text(entry, "end_time", iso(end.end_time))
        del entry["status"]
        status = text(entry, "status", end.status)
        if end.reason:
            status.attrs["reason"] = end.reason
        if "frames" in entry and "data" not in entry["frames"]:
            del entry["frames"]  # no frame was taken: no image stack to show
        nxroot.flush()
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())
