"""The Last image panel's data: the newest completed exposure of a data root, read back.

The newest exposure is found from the FSN store (the last number of each
prefix, a few before it if those are still being written), not by listing
folders: it costs a few stat() calls however many files there are. A file is
shown once the writer has completed it (``/entry/status`` is final); its
reduced curve (``/entry/reduced/sasdata01``, Q and I) once the reduction has
written it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from sardana_nxsas.dataroot.fsn import FsnCounter
from sardana_nxsas.dataroot.layout import DEFAULT_PREFIXES, DataRoot

FINAL = ("complete", "aborted", "failed")
LOOK_BACK = 3  # numbers before the last one tried while the last is being written


@dataclass
class LastImage:
    identifier: str
    title: str
    status: str
    path: Path
    frame: np.ndarray | None  # counts per pixel, -1 in gaps
    beam_x: float | None  # pixel column, 0-based
    beam_y: float | None  # pixel row, 0-based
    q: np.ndarray | None = None  # the reduced curve, when there is one
    intensity: np.ndarray | None = None
    q_units: str = ""

    @property
    def caption(self) -> str:
        return f"{self.identifier}  {self.title!r}  [{self.status}]"


def _text(value: object) -> str:
    raw = value[()] if isinstance(value, h5py.Dataset) else value
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def _status(path: Path) -> str | None:
    try:
        with h5py.File(path, "r") as nxroot:
            status = nxroot.get("entry/status")
            return None if status is None else _text(status)
    except OSError:  # being created, or not HDF5
        return None


def newest_exposure(root: Path, prefixes: tuple[str, ...] = DEFAULT_PREFIXES) -> Path | None:
    """The newest exposure file of any prefix whose status is final; None if there is none."""
    data_root = DataRoot(Path(root), prefixes)
    counter = FsnCounter(data_root)
    found: list[tuple[float, Path]] = []
    for prefix in prefixes:
        last = counter.last(prefix)
        if last is None:
            continue
        for fsn in range(last, max(last - LOOK_BACK, 0), -1):
            path = data_root.nxs_path(prefix, fsn)
            try:
                mtime = path.stat().st_mtime
            except OSError:
                continue
            if _status(path) in FINAL:
                found.append((mtime, path))
                break
    return max(found)[1] if found else None


def _number(group: h5py.Group, name: str) -> float | None:
    value = group.get(name)
    try:
        return None if value is None else float(value[()])
    except (TypeError, ValueError):
        return None


def read_last_image(path: Path) -> LastImage:
    """The frame, beam centre, title and (if reduced) the curve of an exposure file."""
    with h5py.File(path, "r") as nxroot:
        entry = nxroot["entry"]
        raw = entry.get("raw", {})
        detector = raw.get("instrument/detector", {}) if raw else {}
        frame = detector.get("data") if detector else None
        image = LastImage(
            identifier=_text(entry["entry_identifier"]) if "entry_identifier" in entry
            else Path(path).stem,
            title=_text(entry["title"]) if "title" in entry else "",
            status=_text(entry["status"]) if "status" in entry else "unknown",
            path=Path(path),
            frame=None if frame is None else np.asarray(frame[()]),
            beam_x=_number(detector, "beam_center_x_pixel") if detector else None,
            beam_y=_number(detector, "beam_center_y_pixel") if detector else None,
        )  # fmt: skip
        curve = entry.get("reduced/sasdata01")
        if curve is not None and "Q" in curve and "I" in curve:
            image.q = np.asarray(curve["Q"][()], dtype=float)
            image.intensity = np.asarray(curve["I"][()], dtype=float)
            units = curve["Q"].attrs.get("units", "")
            image.q_units = units.decode() if isinstance(units, bytes) else str(units)
    return image


def log_frame(frame: np.ndarray) -> np.ndarray:
    """log10(counts) for display: gaps (< 0) and zeros become NaN (drawn transparent)."""
    data = np.asarray(frame, dtype=float)
    shown = np.full(data.shape, np.nan)
    positive = data > 0
    shown[positive] = np.log10(data[positive])
    return shown
