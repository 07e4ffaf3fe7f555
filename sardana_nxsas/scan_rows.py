"""Catalog rows of a scan, in the catalog's existing columns (no schema change).

* the scan: prefix ``scan``, fsn = the ScanID, ``nxs_path`` = the scan file,
  category ``scan``; ``header`` holds the command, motors, signal, points and frame FSNs;
* each frame: prefix ``scn`` and its FSN, ``nxs_path`` = the scan file, ``cbf_path`` its
  CBF, category ``scan point``; ``header`` holds the scan number, point index, positions
  and counters.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sardana_nxsas.catalog.rows import STATUS, relative
from sardana_nxsas.description.units import convert

if TYPE_CHECKING:
    from sardana_nxsas.nexus.scanfile import PointRecord
    from sardana_nxsas.scan import ScanPoint, ScanRecording

SCAN_PREFIX = "scan"  # catalog prefix of a scan's own row; its fsn is the ScanID
SCAN_CATEGORY = "scan"
POINT_CATEGORY = "scan point"


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
