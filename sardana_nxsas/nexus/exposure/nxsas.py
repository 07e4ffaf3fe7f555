"""The exposure file: one NXentry whose ``raw`` NXsubentry follows NXsas.

Written in two steps so that an exposure leaves a readable record from its
first moment: :func:`create_exposure_file` at ``nxsbegin`` (exclusive
creation, everything known before counting, ``status = running``) and
:func:`complete_exposure_file` at ``nxsend`` (end time, monitor, counters, the
compressed frame, the CBF's checksum, the default plot, the final status).
See docs/explanation/nexus-interpretation.md for the choices made here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import h5py
import numpy as np

from sardana_nxsas import __version__
from sardana_nxsas.dataroot.durable import fsync_file
from sardana_nxsas.description.info import (
    InstrumentInfo,
)
from sardana_nxsas.errors import FileExistsNxsError
from sardana_nxsas.nexus import compression
from sardana_nxsas.nexus.exposure.metadata import (
    EndValues,
    write_end_values,
    write_experiment,
    write_instrument,
    write_sample,
)
from sardana_nxsas.nexus.fields import group, link, number, text
from sardana_nxsas.nexus.mask import pixel_mask
from sardana_nxsas.samples.model import Sample

PROGRAM = "sardana-nxsas"
RAW = "raw"
STATUSES = ("running", "complete", "aborted", "failed")


@dataclass(frozen=True)
class ExposureStart:
    identifier: str  # "crd_52133"
    title: str
    sample_name: str
    start_time: datetime
    instrument: InstrumentInfo | None = None  # usually written later, from the snapshot
    sample: Sample | None = None  # the chosen sample's registry record


@dataclass(frozen=True)
class FrameFile:
    """The detector's own file, referenced from NXdetector/data_file."""

    path: Path
    sha256: str


@dataclass(frozen=True)
class ExposureResult:
    end_time: datetime
    status: str  # one of STATUSES except "running"
    count_time: float | None = None  # preset, s
    monitor_integral: float | None = None  # elapsed counting time measured by the timer, s
    counters: dict[str, float] = field(default_factory=dict)
    frame: np.ndarray | None = None
    frame_file: FrameFile | None = None
    reason: str | None = None
    compression: str = compression.DEFAULT
    timer: str | None = None  # which counter is the timer (its value is seconds, not counts)
    instrument: InstrumentInfo | None = None  # written here if the file has none yet
    end: EndValues | None = None
    bad_pixels: np.ndarray | None = None  # bool, True: a pixel the description calls bad


def iso(moment: datetime) -> str:
    """ISO 8601 with the time zone, as NeXus NX_DATE_TIME asks."""
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.isoformat(timespec="microseconds")


def write_root_attributes(nxroot: h5py.File, file_name: str, moment: datetime) -> None:
    """NXroot's attributes, the ``@default`` chain's first link and who wrote the file."""
    nxroot.attrs.update(
        NX_class="NXroot",
        default="entry",
        file_name=file_name,
        file_time=iso(moment),
        creator=f"{PROGRAM} {__version__}",
        HDF5_Version=h5py.version.hdf5_version,
        h5py_version=h5py.version.version,
    )


def create_exposure_file(path: Path, start: ExposureStart) -> None:
    """Create the file exclusively and write what is known before counting."""
    try:
        handle = h5py.File(path, "x")
    except FileExistsError:
        raise FileExistsNxsError(
            f"{path} already exists: sardana-nxsas never overwrites a file"
        ) from None
    with handle as nxroot:
        write_root_attributes(nxroot, Path(path).name, start.start_time)
        entry = group(nxroot, "entry", "NXentry", default=RAW)
        text(entry, "title", start.title)
        text(entry, "start_time", iso(start.start_time))
        text(entry, "entry_identifier", start.identifier)
        text(entry, "program_name", PROGRAM, version=__version__)
        text(entry, "status", "running")
        raw = group(entry, RAW, "NXsubentry")  # @default="data" once there is a frame
        text(raw, "definition", "NXsas")
        text(raw, "title", start.title)
        text(raw, "start_time", iso(start.start_time))
        write_sample(raw, start.sample_name, start.sample)
        if start.instrument is not None:
            write_instrument(raw, start.instrument)
            write_experiment(entry, raw, start.instrument.experiment)


def complete_exposure_file(path: Path, result: ExposureResult, durable: bool = True) -> None:
    """Add what counting produced and mark the file with its final status."""
    if result.status not in STATUSES[1:]:
        raise ValueError(f"final status must be one of {STATUSES[1:]}, not {result.status!r}")
    with h5py.File(path, "r+") as nxroot:
        entry = nxroot["entry"]
        raw = entry[RAW]
        if "instrument" not in raw and result.instrument is not None:
            write_instrument(raw, result.instrument)
            write_experiment(entry, raw, result.instrument.experiment)
        if result.end is not None and "instrument" in raw:
            write_end_values(raw, result.end)
        end = iso(result.end_time)
        text(entry, "end_time", end)
        text(raw, "end_time", end)
        detector = group(raw, "instrument", "NXinstrument").require_group("detector")
        detector.attrs["NX_class"] = "NXdetector"
        if result.count_time is not None:
            # NXdetector/count_time is the elapsed counting time; the preset goes to NXmonitor
            elapsed = (
                result.count_time if result.monitor_integral is None else result.monitor_integral
            )
            number(detector, "count_time", elapsed, "s")
            monitor = group(raw, "control", "NXmonitor")
            text(monitor, "mode", "timer")
            number(monitor, "preset", result.count_time, "s")
            integral = result.monitor_integral
            number(monitor, "integral", result.count_time if integral is None else integral, "s")
        if result.counters:
            counters = group(raw, "counters", "NXcollection")
            for name, value in result.counters.items():
                number(counters, name, value, "s" if name == result.timer else "counts")
        if result.frame is not None:
            _write_frame(raw, detector, result.frame, result.compression, result.bad_pixels)
        if result.frame_file is not None:
            _write_frame_file(detector, path, result.frame_file)
        del entry["status"]
        status = text(entry, "status", result.status)
        if result.reason:
            status.attrs["reason"] = result.reason
        nxroot.flush()
    if durable:  # else the caller fsyncs after its own last write (one flush, not two)
        fsync_file(path)


def _write_frame(
    raw: h5py.Group,
    detector: h5py.Group,
    frame: np.ndarray,
    codec: str,
    bad: np.ndarray | None = None,
) -> None:
    data = detector.create_dataset("data", data=frame, **compression.dataset_options(codec, frame))
    data.attrs["units"] = "counts"
    data.attrs["long_name"] = "detector counts per pixel (-1: module gap or bad pixel)"
    plot = group(raw, "data", "NXdata", signal="data")
    link(plot, "data", data)
    raw.attrs["default"] = "data"
    mask = pixel_mask(frame, bad)
    detector.create_dataset("pixel_mask", data=mask, **compression.dataset_options(codec, mask))
    detector["pixel_mask"].attrs["long_name"] = "NXdetector bit field: bit 0 gap, bit 1 dead"
    detector["pixel_mask"].attrs["units"] = ""  # a bit field: dimensionless
    detector.create_dataset("pixel_mask_applied", data=False)
    # the frame's sum, kept so that the catalog need not decompress the frame (NXdetector
    # allows an NXcollection of related data; see docs/explanation/nexus-interpretation.md)
    from sardana_nxsas.nexus.mask import total_counts

    summary = group(detector, "frame_summary", "NXcollection")
    number(summary, "total_counts", np.int64(total_counts(frame)), "counts")


def _write_frame_file(detector: h5py.Group, nxs_path: Path, frame_file: FrameFile) -> None:
    note = group(detector, "data_file", "NXnote")
    relative = os.path.relpath(frame_file.path, Path(nxs_path).parent)
    text(note, "file_name", relative)
    text(note, "type", "application/x-cbf")
    text(note, "algorithm", "sha256")
    text(note, "checksum", frame_file.sha256)
    text(note, "description", "the detector's own frame file (miniCBF), path relative to this file")
