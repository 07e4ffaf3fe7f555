"""NXcanSAS writers: the reduced subentry of an exposure file, and a standalone file.

Writers check the science before anything is written: I(Q) with no uncertainty, a Q
without its resolution, non-finite values or units NXcanSAS does not enumerate are
refused (ValueError), so a file never holds a curve that looks better than it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import h5py
import numpy as np

from sardana_nxsas.nexus.fields import group, number, text

VERSION = "1.1"  # NXcanSAS @version, a string
Q_UNITS = ("1/m", "1/nm", "1/angstrom")
I_UNITS = ("1/m", "1/cm", "m2/g", "cm2/g", "arbitrary")
SASDATA = "sasdata01"


@dataclass(frozen=True)
class ReducedCurve:
    """One I(Q) with what NXcanSAS wants beside it."""

    q: np.ndarray  # 1/nm unless q_units
    i: np.ndarray
    idev: np.ndarray
    qdev: np.ndarray
    i_units: str = "1/cm"
    q_units: str = "1/nm"

    def __post_init__(self) -> None:
        arrays = {name: np.asarray(getattr(self, name), dtype=np.float64)
                  for name in ("q", "i", "idev", "qdev")}  # fmt: skip
        for name, array in arrays.items():
            object.__setattr__(self, name, array)
        n = arrays["q"].shape
        if len(n) != 1 or n[0] < 1:
            raise ValueError("Q must be a non-empty 1-D array")
        for name, array in arrays.items():
            if array.shape != n:
                raise ValueError(f"{name} has shape {array.shape}, Q {n}: one value per Q")
            if not np.all(np.isfinite(array)):
                raise ValueError(f"{name} has non-finite values: drop those points first")
        for name in ("idev", "qdev"):
            if np.any(arrays[name] < 0):
                raise ValueError(f"{name} is negative somewhere: uncertainties are >= 0")
        if not np.any(arrays["idev"] > 0):
            raise ValueError("I has no declared uncertainty (Idev all zero)")
        if self.q_units not in Q_UNITS or self.i_units not in I_UNITS:
            raise ValueError(
                f"units {self.q_units!r}/{self.i_units!r}: NXcanSAS allows Q in {Q_UNITS}, "
                f"I in {I_UNITS}"
            )


@dataclass(frozen=True)
class SampleInfo:
    name: str
    thickness: float | None = None  # cm
    transmission: float | None = None


@dataclass(frozen=True)
class InstrumentInfo:
    wavelength: float  # nm
    distance: float  # mm
    beam_center_x: float  # mm, from the first pixel's outer edge (as the raw file)
    beam_center_y: float
    pixel_x: float  # mm
    pixel_y: float
    detector: str = ""


@dataclass(frozen=True)
class ProcessInfo:
    """SASprocess: the steps in order and every input as a term."""

    date: str  # ISO 8601
    description: str
    steps: tuple[str, ...]
    terms: Mapping[str, str | float | int] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)  # term -> units


def write_sasentry(
    parent: h5py.Group,
    name: str,
    nx_class: str,
    *,
    title: str,
    run: str,
    curve: ReducedCurve,
    sample: SampleInfo,
    instrument: InstrumentInfo | None,
    process: ProcessInfo,
) -> h5py.Group:
    """A complete SASentry ``parent/name`` (NXentry or NXsubentry) with its default plot."""
    entry = group(parent, name, nx_class, canSAS_class="SASentry", version=VERSION)
    entry.attrs["default"] = SASDATA
    text(entry, "definition", "NXcanSAS")
    text(entry, "title", title)
    text(entry, "run", run)
    _write_data(entry, curve)
    _write_sample(entry, sample)
    if instrument is not None:
        _write_instrument(entry, instrument)
    write_process(entry, process)
    return entry


def _write_data(entry: h5py.Group, curve: ReducedCurve) -> None:
    data = group(entry, SASDATA, "NXdata", canSAS_class="SASdata", signal="I", I_axes="Q")
    data.attrs["Q_indices"] = np.int32(0)
    data.attrs["axes"] = "Q"  # generic NeXus viewers (silx, h5web, NeXpy)
    q = number(data, "Q", curve.q, curve.q_units)
    q.attrs["resolutions"] = "Qdev"
    q.attrs["resolutions_description"] = "Gaussian: standard deviation of Q"
    i = number(data, "I", curve.i, curve.i_units)
    i.attrs["uncertainties"] = "Idev"
    number(data, "Idev", curve.idev, curve.i_units)
    number(data, "Qdev", curve.qdev, curve.q_units)


def _write_sample(entry: h5py.Group, sample: SampleInfo) -> None:
    grp = group(entry, "sassample", "NXsample", canSAS_class="SASsample")
    text(grp, "name", sample.name)
    if sample.thickness is not None:
        number(grp, "thickness", sample.thickness, "cm")
    if sample.transmission is not None:
        number(grp, "transmission", sample.transmission, "")


def _write_instrument(entry: h5py.Group, info: InstrumentInfo) -> None:
    inst = group(entry, "sasinstrument", "NXinstrument", canSAS_class="SASinstrument")
    source = group(inst, "sassource", "NXsource", canSAS_class="SASsource")
    text(source, "radiation", "x-ray")
    number(source, "incident_wavelength", info.wavelength, "nm")
    det = group(inst, "sasdetector", "NXdetector", canSAS_class="SASdetector")
    text(det, "name", info.detector or "detector")
    number(det, "SDD", info.distance, "mm")
    number(det, "beam_center_x", info.beam_center_x, "mm")
    number(det, "beam_center_y", info.beam_center_y, "mm")
    number(det, "x_pixel_size", info.pixel_x, "mm")
    number(det, "y_pixel_size", info.pixel_y, "mm")


def write_process(entry: h5py.Group, process: ProcessInfo) -> h5py.Group:
    grp = group(entry, "sasprocess", "NXprocess", canSAS_class="SASprocess")
    text(grp, "name", "sardana-nxsas reduction")
    text(grp, "date", process.date)
    text(grp, "description", process.description)
    for key, value in process.terms.items():
        if isinstance(value, str):
            text(grp, key, value)
        else:
            number(grp, key, value, process.units.get(key))
    note = group(grp, "steps", "NXnote")
    text(note, "type", "text/plain")
    text(note, "data", "\n".join(f"{n}. {step}" for n, step in enumerate(process.steps, 1)))
    return grp
