"""Catalog rows of a scan, in the catalog's existing columns (no schema change).

* the scan: prefix ``scan``, fsn = the ScanID, ``nxs_path`` = the scan file,
  category ``scan``; ``header`` holds the command, motors, signal, points and frame FSNs;
* each frame: prefix ``scn`` and its FSN, ``nxs_path`` = the scan file, ``cbf_path`` its
  CBF, category ``scan point``; ``header`` holds the scan number, point index, positions
  and counters.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from pathlib import Path
from typing import Any, TypedDict

import h5py

from sardana_nxsas.catalog.rows import (
    STATUS,
    header_number,
    header_time,
    relative,
    scalar_fields,
)
from sardana_nxsas.catalog.schema import CatalogError, CatalogRow
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.nexus.scan.file import FRAME_SUM
from sardana_nxsas.plain import plain_value

SCAN_PREFIX = "scan"  # catalog prefix of a scan's own row; its fsn is the ScanID
SCAN_CATEGORY = "scan"
POINT_CATEGORY = "scan point"


class _Common(TypedDict):
    """The columns the scan's row and its frames' rows share (those of a CatalogRow)."""

    nxs_path: str
    sample: str | None
    project: str | None
    operator: str | None
    distance: float | None
    wavelength: float | None
    beam_center_x: float | None
    beam_center_y: float | None


def rows_from_scan_file(
    path: Path, root: DataRoot, only_points: Collection[int] | None = None
) -> list[CatalogRow]:
    """The scan's row, then one row per frame (of ``only_points`` only, if given), from
    a scan file: the writer's live rows after each job and ``catalog reindex``'s alike. A
    point's start and end time is the scan's start plus its ``timestamp``; counters are
    listed in the file's order. OSError/KeyError/CatalogError if it cannot be read."""
    with h5py.File(path, "r") as nxroot:
        entry = nxroot.get("entry")
        if not isinstance(entry, h5py.Group) or "scan_number" not in entry:
            raise CatalogError(f"{path} has no /entry/scan_number: not a scan file")
        header = scalar_fields(entry)  # the scalars: title, times, status, instrument, sample
        measurement = entry["measurement"]
        columns = {name: measurement[name][()] for name in measurement}
        plot = entry.get("plot")
        motors = _motors(plot.attrs if plot is not None else {}, columns)
        signal = plot.attrs.get("signal") if plot is not None else None
        frames = _frames(entry)
        reason = entry["status"].attrs.get("reason") if "status" in entry else None
    number = int(header["scan_number"])
    points = len(columns.get("point_nb", ()))
    counters = [n for n in columns if n not in ("point_nb", FRAME_SUM, "timestamp", *motors)]
    status = str(header.get("status"))
    start = header_time(header.get("start_time"))
    rel = relative(path, root)
    common: _Common = {
        "nxs_path": rel,
        "sample": header.get("sample/name"),
        "project": header.get("experiment_identifier"),
        "operator": header.get("operator/name"),
        "distance": header_number(header, "instrument/detector/distance", "mm"),
        "wavelength": header_number(header, "instrument/monochromator/wavelength", "nm"),
        "beam_center_x": header_number(header, "instrument/detector/beam_center_x_pixel"),
        "beam_center_y": header_number(header, "instrument/detector/beam_center_y_pixel"),
    }
    fsns = [int(f) for f in frames.get("sequence_number", ()) if f >= 0]
    scan_header: dict[str, Any] = {
        "scan_number": number,
        "command": header.get("title"),
        "motors": motors,
        "counters": counters,
        "signal": None if signal is None else str(signal),
        "points": points,
        "status": status,
    }
    if fsns:
        scan_header["scn_first"], scan_header["scn_last"] = min(fsns), max(fsns)
    if reason:
        scan_header["reason"] = reason.decode() if isinstance(reason, bytes) else str(reason)
    found: list[CatalogRow] = [{
        "prefix": SCAN_PREFIX, "fsn": number, **common, "title": header.get("title"),
        "category": SCAN_CATEGORY, "start_time": start, "end_time": header_time(header.get("end_time")),
        "status": STATUS.get(status, "failed"), "header": scan_header,
    }]  # fmt: skip
    for index, fsn in enumerate(frames.get("sequence_number", ())):
        if fsn < 0 or (only_points is not None and index not in only_points):
            continue
        seconds = _at(columns.get("timestamp"), index)
        when = None if start is None or seconds is None else start + timedelta(seconds=seconds)
        frame_sum = _at(columns.get(FRAME_SUM), index)
        found.append({
            "prefix": "scn", "fsn": int(fsn), **common,
            "cbf_path": relative(Path(path).parent / frames["file_name"][index], root),
            "title": f"{header.get('title')} (point {index})", "category": POINT_CATEGORY,
            "start_time": when, "end_time": when,
            "exposure_time": _at(frames.get("count_time"), index),
            "total_counts": None if frame_sum is None else int(frame_sum),
            "cbf_sha256": frames["checksum"][index], "status": "done",
            "header": {
                "scan_number": number, "scan_file": rel, "point": index,
                "positions": {m: _at(columns[m], index) for m in motors if m in columns},
                "counters": {c: _at(columns[c], index) for c in counters},
            },
        })  # fmt: skip
    return found


def _motors(attrs: Any, columns: dict[str, Any]) -> list[str]:
    """The moved motors: the plot's axes and alternative axes (``<name>_indices``)."""
    axes = [str(a) for a in attrs.get("axes", ())]
    named = sorted(k[: -len("_indices")] for k in attrs if k.endswith("_indices"))
    return [m for m in dict.fromkeys([*axes, *named]) if m in columns and m != "timestamp"]


def _frames(entry: h5py.Group) -> dict[str, Any]:
    """Per frame: sequence_number, count_time, and the data_file file_name and checksum."""
    detector = entry.get("instrument/detector")
    if not isinstance(detector, h5py.Group) or "sequence_number" not in detector:
        return {}
    return {
        "sequence_number": detector["sequence_number"][()],
        "count_time": detector["count_time"][()],
        "file_name": list(detector["data_file/file_name"].asstr()[()]),
        "checksum": list(detector["data_file/checksum"].asstr()[()]),
    }


def _at(values: Any, index: int) -> Any:
    """``values[index]`` as a JSON-safe Python number (None if absent or not finite)."""
    if values is None or index >= len(values):
        return None
    return plain_value(values[index])
