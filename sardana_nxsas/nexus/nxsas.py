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
from sardana_nxsas.errors import FileExistsNxsError
from sardana_nxsas.instrument import InstrumentInfo
from sardana_nxsas.nexus import compression
from sardana_nxsas.nexus.fields import group, link, number, quantity, text

PROGRAM = "sardana-nxsas"
RAW = "raw"
STATUSES = ("running", "complete", "aborted", "failed")


@dataclass(frozen=True)
class ExposureStart:
    identifier: str  # "crd_52133"
    title: str
    sample_name: str
    start_time: datetime
    instrument: InstrumentInfo


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


def iso(moment: datetime) -> str:
    """ISO 8601 with the time zone, as NeXus NX_DATE_TIME asks."""
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.isoformat(timespec="microseconds")


def create_exposure_file(path: Path, start: ExposureStart) -> None:
    """Create the file exclusively and write what is known before counting."""
    try:
        handle = h5py.File(path, "x")
    except FileExistsError:
        raise FileExistsNxsError(
            f"{path} already exists: sardana-nxsas never overwrites a file"
        ) from None
    with handle as nxroot:
        nxroot.attrs.update(
            NX_class="NXroot",
            default="entry",
            file_name=Path(path).name,
            file_time=iso(start.start_time),
            creator=f"{PROGRAM} {__version__}",
            HDF5_Version=h5py.version.hdf5_version,
            h5py_version=h5py.version.version,
        )
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
        _write_instrument(raw, start.instrument)
        sample = group(raw, "sample", "NXsample")
        text(sample, "name", start.sample_name)


def _write_instrument(raw: h5py.Group, info: InstrumentInfo) -> None:
    instrument = group(raw, "instrument", "NXinstrument")
    text(instrument, "name", info.name)
    source = group(instrument, "source", "NXsource")
    text(source, "type", info.source_type)
    text(source, "probe", info.source_probe)
    if info.source_name:
        text(source, "name", info.source_name)
    if info.source_target:
        text(source, "target_material", info.source_target)
    mono = group(instrument, "monochromator", "NXmonochromator")
    quantity(mono, "wavelength", info.wavelength)
    det_info = info.detector
    detector = group(instrument, "detector", "NXdetector")
    text(detector, "description", det_info.description)
    quantity(detector, "distance", det_info.distance)
    quantity(detector, "x_pixel_size", det_info.x_pixel_size)
    quantity(detector, "y_pixel_size", det_info.y_pixel_size)
    quantity(detector, "beam_center_x", det_info.beam_center_x)
    quantity(detector, "beam_center_y", det_info.beam_center_y)
    if det_info.sensor_material:
        text(detector, "sensor_material", det_info.sensor_material)
    if det_info.sensor_thickness:
        quantity(detector, "sensor_thickness", det_info.sensor_thickness)
    if det_info.saturation_value is not None:
        number(detector, "saturation_value", det_info.saturation_value, "counts")


def complete_exposure_file(path: Path, result: ExposureResult) -> None:
    """Add what counting produced and mark the file with its final status."""
    if result.status not in STATUSES[1:]:
        raise ValueError(f"final status must be one of {STATUSES[1:]}, not {result.status!r}")
    with h5py.File(path, "r+") as nxroot:
        entry = nxroot["entry"]
        raw = entry[RAW]
        end = iso(result.end_time)
        text(entry, "end_time", end)
        text(raw, "end_time", end)
        detector = raw["instrument/detector"]
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
            _write_frame(raw, detector, result.frame, result.compression)
        if result.frame_file is not None:
            _write_frame_file(detector, path, result.frame_file)
        del entry["status"]
        status = text(entry, "status", result.status)
        if result.reason:
            status.attrs["reason"] = result.reason
        nxroot.flush()
    _fsync(path)


def _write_frame(raw: h5py.Group, detector: h5py.Group, frame: np.ndarray, codec: str) -> None:
    data = detector.create_dataset("data", data=frame, **compression.dataset_options(codec, frame))
    data.attrs["units"] = "counts"
    data.attrs["long_name"] = "detector counts per pixel (-1: module gap or bad pixel)"
    plot = group(raw, "data", "NXdata", signal="data")
    link(plot, "data", data)
    raw.attrs["default"] = "data"
    mask = pixel_mask(frame)
    detector.create_dataset("pixel_mask", data=mask, **compression.dataset_options(codec, mask))
    detector["pixel_mask"].attrs["long_name"] = "NXdetector bit field: bit 0 gap, bit 1 dead"
    detector.create_dataset("pixel_mask_applied", data=False)


GAP, DEAD = 1, 2  # NXdetector pixel_mask bits 0 (gap: no sensor) and 1 (dead)


def pixel_mask(frame: np.ndarray) -> np.ndarray:
    """The NXdetector bit field from a Pilatus-style frame: -1 gaps, other negatives bad."""
    mask = np.zeros(frame.shape, np.int32)
    mask[frame == -1] = GAP
    mask[frame < -1] = DEAD
    return mask


def _write_frame_file(detector: h5py.Group, nxs_path: Path, frame_file: FrameFile) -> None:
    note = group(detector, "data_file", "NXnote")
    relative = os.path.relpath(frame_file.path, Path(nxs_path).parent)
    text(note, "file_name", relative)
    text(note, "type", "application/x-cbf")
    text(note, "algorithm", "sha256")
    text(note, "checksum", frame_file.sha256)
    text(note, "description", "the detector's own frame file (miniCBF), path relative to this file")


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())
