"""What a reduction reads from an exposure file: sample, time, geometry and the frame.

Everything comes from ``/entry/raw`` (NXsas) as the writer stores it (see
docs/reference/nexus-tree.md); values are converted to mm, nm, cm and s. A file that
lacks something the reduction needs raises :class:`ReductionError` with a one-line
reason, never a KeyError.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from sardana_nxsas.description.units import convert


class ReductionError(Exception):
    """A science problem: the exposure is kept, its reduction is marked failed (one line)."""


@dataclass(frozen=True)
class Value:
    """A number with its standard uncertainty (0 when the file states none)."""

    value: float
    error: float = 0.0

    @property
    def relative(self) -> float:
        return self.error / abs(self.value) if self.value else math.inf


@dataclass(frozen=True)
class Geometry:
    """Flat detector normal to the beam: distance (mm, ``distminus`` applied), beam centre
    (0-based pixels: row = y, col = x), pixel sizes (mm), wavelength (nm), frame shape."""

    distance: Value
    beam_row: Value
    beam_col: Value
    pixel_y: float
    pixel_x: float
    wavelength: Value
    shape: tuple[int, int]

    def key(self) -> tuple[float, ...]:
        """Identifies the integrator (one per geometry)."""
        return (
            round(self.distance.value, 3), round(self.beam_row.value, 3),
            round(self.beam_col.value, 3), round(self.pixel_y, 6), round(self.pixel_x, 6),
            round(self.wavelength.value, 7), *self.shape,
        )  # fmt: skip

    def same_as(self, other: Geometry) -> bool:
        """Same geometry for the choice of standards: shape and pixel size equal, distance
        and wavelength within 0.1 %, beam centre within half a pixel."""
        return (
            self.shape == other.shape
            and math.isclose(self.pixel_x, other.pixel_x, rel_tol=1e-6)
            and math.isclose(self.pixel_y, other.pixel_y, rel_tol=1e-6)
            and math.isclose(self.distance.value, other.distance.value, rel_tol=1e-3)
            and math.isclose(self.wavelength.value, other.wavelength.value, rel_tol=1e-3)
            and abs(self.beam_row.value - other.beam_row.value) <= 0.5
            and abs(self.beam_col.value - other.beam_col.value) <= 0.5
        )


@dataclass(frozen=True)
class Header:
    """An exposure without its frame: enough to choose standards and to reduce it."""

    path: Path
    identifier: str  # "crd_00012"
    prefix: str
    fsn: int
    status: str
    title: str
    sample_name: str
    category: str | None
    thickness: Value | None  # cm
    transmission: Value | None
    count_time: float | None  # s
    geometry: Geometry | None
    geometry_problem: str | None  # why the geometry is unusable, if it is
    beamstop_size: float | None  # mm, NXbeam_stop/size (a diameter)
    start_time: str
    beamstop_xy: tuple[float | None, float | None] = (None, None)  # mm, NXbeam_stop/x, y

    @property
    def role(self) -> str:
        return role_of(self.sample_name, self.category)


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.casefold())


def role_of(name: str, category: str | None) -> str:
    """ "dark", "empty_beam", "glassy_carbon" or "sample": by the registry's category, or
    by the standard names (Dark, Empty_Beam, Glassy_Carbon) when there is no category."""
    key = _key(name)
    if category == "Dark" or (category is None and key == "dark"):
        return "dark"
    if category == "Empty beam" or (category is None and key in ("emptybeam", "empty")):
        return "empty_beam"
    if "glassycarbon" in key or key == "gc":
        return "glassy_carbon"
    return "sample"


def _text(group: h5py.Group, name: str) -> str | None:
    node = group.get(name)
    if not isinstance(node, h5py.Dataset):
        return None
    value = node[()]
    return value.decode() if isinstance(value, bytes) else str(value)


def _value(group: h5py.Group | None, name: str, units: str | None) -> Value | None:
    """A number and its ``_errors`` sibling, in ``units``; None if absent or not finite."""
    if group is None or not isinstance(group.get(name), h5py.Dataset):
        return None
    node = group[name]
    value = float(node[()])
    error_node = group.get(f"{name}_errors")
    error = float(error_node[()]) if isinstance(error_node, h5py.Dataset) else 0.0
    if units is not None:
        given = node.attrs.get("units", units)
        given = given.decode() if isinstance(given, bytes) else str(given)
        if given and given != units:
            value, error = convert(value, given, units), convert(error, given, units)
    if not math.isfinite(value) or not math.isfinite(error):
        return None
    return Value(value, abs(error))


def read_header(path: Path) -> Header:
    """The header of an exposure file (ReductionError if it is not one)."""
    stem = Path(path).stem
    prefix, _, number = stem.rpartition("_")
    try:
        with h5py.File(path, "r") as nxroot:
            entry = nxroot["entry"]
            raw = entry["raw"]
            sample = raw.get("sample")
            detector = raw.get("instrument/detector")
            stop = raw.get("instrument/beam_stop")
            geometry, problem = _geometry(raw, detector)
            size = _value(stop, "size", "mm")
            count_time = _value(detector, "count_time", "s")
            stop_x, stop_y = _value(stop, "x", "mm"), _value(stop, "y", "mm")
            return Header(
                path=Path(path),
                identifier=stem,
                prefix=prefix,
                fsn=int(number) if number.isdigit() else -1,
                status=_text(entry, "status") or "unknown",
                title=_text(entry, "title") or stem,
                sample_name=(_text(sample, "name") if sample is not None else None) or stem,
                category=_text(sample, "category") if sample is not None else None,
                thickness=_value(sample, "thickness", "cm"),
                transmission=_value(sample.get("transmission"), "data", "")
                if sample is not None and isinstance(sample.get("transmission"), h5py.Group)
                else _value(sample, "transmission", ""),
                count_time=None if count_time is None else count_time.value,
                geometry=geometry,
                geometry_problem=problem,
                beamstop_size=None if size is None else size.value,
                start_time=_text(entry, "start_time") or "",
                beamstop_xy=(
                    None if stop_x is None else stop_x.value,
                    None if stop_y is None else stop_y.value,
                ),
            )
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise ReductionError(f"{stem}: not a readable exposure file ({exc})") from None


def _geometry(raw: h5py.Group, detector: h5py.Group | None) -> tuple[Geometry | None, str | None]:
    if detector is None:
        return None, "no NXdetector in the file"
    data = detector.get("data")
    if not isinstance(data, h5py.Dataset) or data.ndim != 2:
        return None, "no frame in the file"
    distance = _value(detector, "distance", "mm")
    pixel_x = _value(detector, "x_pixel_size", "mm")
    pixel_y = _value(detector, "y_pixel_size", "mm")
    wavelength = _value(raw.get("instrument/monochromator"), "wavelength", "nm")
    missing = [
        name
        for name, value in (
            ("distance", distance),
            ("x_pixel_size", pixel_x),
            ("y_pixel_size", pixel_y),
            ("wavelength", wavelength),
        )  # fmt: skip
        if value is None or not value.value > 0
    ]
    if missing:
        return None, f"no usable {', '.join(missing)} in the file"
    assert distance and pixel_x and pixel_y and wavelength  # for the type checker
    row = _value(detector, "beam_center_y_pixel", None)
    col = _value(detector, "beam_center_x_pixel", None)
    if row is None or col is None:  # files with the lengths only: the edge convention
        y, x = _value(detector, "beam_center_y", "mm"), _value(detector, "beam_center_x", "mm")
        if y is None or x is None:
            return None, "no beam centre in the file"
        row = Value(y.value / pixel_y.value - 0.5, y.error / pixel_y.value)
        col = Value(x.value / pixel_x.value - 0.5, x.error / pixel_x.value)
    distminus = _value(raw.get("sample"), "distminus", "mm")
    if distminus is not None:
        distance = Value(distance.value - distminus.value, distance.error)
    geometry = Geometry(
        distance, row, col, pixel_y.value, pixel_x.value, wavelength, tuple(data.shape)
    )
    rows, cols = geometry.shape
    if not (0 <= row.value <= rows - 1 and 0 <= col.value <= cols - 1):
        return geometry, (
            f"the beam centre (row {row.value:g}, column {col.value:g}) is off the "
            f"{rows}x{cols} detector"
        )
    return geometry, None


def read_frame(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The frame (float64 counts) and the bool mask of pixels not to use: negative
    pixels (gaps, bad) and pixels with any ``pixel_mask`` bit set."""
    try:
        with h5py.File(path, "r") as nxroot:
            detector = nxroot["entry/raw/instrument/detector"]
            frame = np.asarray(detector["data"][()])
            mask = frame < 0
            if isinstance(detector.get("pixel_mask"), h5py.Dataset):
                mask |= detector["pixel_mask"][()] != 0
    except (OSError, KeyError, ValueError) as exc:
        raise ReductionError(f"{Path(path).stem}: cannot read the frame ({exc})") from None
    return np.where(mask, 0.0, frame.astype(np.float64)), mask
