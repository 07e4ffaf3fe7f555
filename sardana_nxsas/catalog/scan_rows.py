"""Catalog rows of a scan, in the catalog's existing columns (no schema change).

* the scan: prefix ``scan``, fsn = the ScanID, ``nxs_path`` = the scan file,
  category ``scan``; ``header`` holds the command, motors, signal, points and frame FSNs;
* each frame: prefix ``scn`` and its FSN, ``nxs_path`` = the scan file, ``cbf_path`` its
  CBF, category ``scan point``; ``header`` holds the scan number, point index, positions
  and counters.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h5py

from sardana_nxsas.catalog.rows import STATUS, _number, _scalars, _when, relative
from sardana_nxsas.catalog.schema import CatalogError
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.description.units import convert

if TYPE_CHECKING:
    from sardana_nxsas.acquisition.scan import ScanPoint, ScanRecording
    from sardana_nxsas.nexus.scan.file import PointRecord

SCAN_PREFIX = "scan"  # catalog prefix of a scan's own row; its fsn is the ScanID
SCAN_CATEGORY = "scan"
POINT_CATEGORY = "scan point"
FRAME_SUM = "frame_sum"  # the measurement column of each frame's total counts


def _plain(value: Any) -> Any:
    """JSON-safe: NaN and infinities become None, numpy scalars Python ones."""
    item = getattr(value, "item", None)
    if callable(item):
        value = item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _common(rec: ScanRecording) -> dict[str, Any]:
    row: dict[str, Any] = {
        "nxs_path": relative(rec.setup.path, rec.settings.root),
        "sample": rec.sample.name if rec.sample is not None else None,
    }
    info = rec.instrument
    if info is not None:
        row["project"] = info.experiment.identifier
        row["operator"] = info.experiment.operator
        det = info.detector
        for column, quantity, units in (
            ("distance", det.distance, "mm"),
            ("wavelength", info.wavelength, "nm"),
            ("beam_center_x", det.beam_center_col, None),
            ("beam_center_y", det.beam_center_row, None),
        ):
            try:
                value = (
                    quantity.value
                    if units is None
                    else convert(quantity.value, quantity.units, units)
                )
            except Exception:  # units pint cannot convert: leave the column empty
                value = None
            row[column] = _plain(value)
    return row


def scan_row(
    rec: ScanRecording,
    status: str,
    end_time: datetime | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    setup = rec.setup
    header: dict[str, Any] = {
        "scan_number": setup.number,
        "command": setup.title,
        "motors": list(setup.motors),
        "counters": list(setup.counters),
        "signal": rec.layout.signal,
        "points": rec.points,
        "status": status,
    }
    if rec.fsns:
        header["scn_first"], header["scn_last"] = min(rec.fsns), max(rec.fsns)
    if reason:
        header["reason"] = reason
    row = {
        "prefix": SCAN_PREFIX,
        "fsn": setup.number,
        **_common(rec),
        "title": setup.title,
        "category": SCAN_CATEGORY,
        "start_time": rec.start_time,
        "status": STATUS.get(status, "failed"),
        "header": header,
    }
    if end_time is not None:
        row["end_time"] = end_time
    return row


def point_row(rec: ScanRecording, point: ScanPoint, record: PointRecord) -> dict[str, Any]:
    setup = rec.setup
    frame_sum = record.values.get("frame_sum")
    now = datetime.now().astimezone()
    return {
        "prefix": "scn",
        "fsn": record.fsn,
        **_common(rec),
        "cbf_path": relative(setup.path.parent / record.frame_file, rec.settings.root),
        "title": f"{setup.title} (point {point.index})",
        "category": POINT_CATEGORY,
        "start_time": now,
        "end_time": now,
        "exposure_time": _plain(point.count_time),
        "total_counts": None if frame_sum is None else int(frame_sum),
        "cbf_sha256": record.sha256,
        "status": "done",
        "header": {
            "scan_number": setup.number,
            "scan_file": relative(setup.path, rec.settings.root),
            "point": point.index,
            "positions": {k: _plain(v) for k, v in point.positions.items()},
            "counters": {k: _plain(v) for k, v in point.counters.items()},
        },
    }


def rows_from_scan_file(path: Path, root: DataRoot) -> list[dict[str, Any]]:
    """The scan's row and one row per frame, rebuilt from a scan file (``catalog reindex``):
    the same columns and header keys as the live rows; a point's start and end time is the
    scan's start plus its ``timestamp``; counters are listed in the file's order.
    OSError/KeyError/CatalogError if it cannot be read."""
    with h5py.File(path, "r") as nxroot:
        entry = nxroot.get("entry")
        if not isinstance(entry, h5py.Group) or "scan_number" not in entry:
            raise CatalogError(f"{path} has no /entry/scan_number: not a scan file")
        header = _scalars(entry)  # the scalars: title, times, status, instrument, sample
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
    start = _when(header.get("start_time"))
    rel = relative(path, root)
    common: dict[str, Any] = {
        "nxs_path": rel,
        "sample": header.get("sample/name"),
        "project": header.get("experiment_identifier"),
        "operator": header.get("operator/name"),
        "distance": _number(header, "instrument/detector/distance", "mm"),
        "wavelength": _number(header, "instrument/monochromator/wavelength", "nm"),
        "beam_center_x": _number(header, "instrument/detector/beam_center_x_pixel"),
        "beam_center_y": _number(header, "instrument/detector/beam_center_y_pixel"),
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
    found = [{
        "prefix": SCAN_PREFIX, "fsn": number, **common, "title": header.get("title"),
        "category": SCAN_CATEGORY, "start_time": start, "end_time": _when(header.get("end_time")),
        "status": STATUS.get(status, "failed"), "header": scan_header,
    }]  # fmt: skip
    for index, fsn in enumerate(frames.get("sequence_number", ())):
        if fsn < 0:
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
    return _plain(values[index])
