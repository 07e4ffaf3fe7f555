"""Catalog rows: read from an exposure file, or made at nxsbegin from what is known.

The file is the source of truth; a row is a summary of it in the catalog's units
(distance mm, wavelength nm, beam centre pixel, thickness cm, temperature degC,
vacuum mbar), plus ``header``: every scalar field under /entry by its path.
"""

from __future__ import annotations

import logging
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from h5py import h5a, h5d, h5g, h5o, h5s

from sardana_nxsas.catalog.note import FINAL, NOTE, read_note, write_note
from sardana_nxsas.catalog.reduced import file_columns
from sardana_nxsas.catalog.schema import CatalogError, CatalogRow
from sardana_nxsas.dataroot.durable import fsync_file
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.nexus.mask import total_counts as count_frame
from sardana_nxsas.plain import plain_value

log = logging.getLogger(__name__)
_NXS_RE = re.compile(r"([A-Za-z][A-Za-z0-9]*)_([0-9]+)\.nxs")
_SENSOR_RE = re.compile(r"raw/instrument/[^/]+/measurement")
_NOTE_PREFIX = f"{NOTE}/".encode()
# file status -> catalog status
STATUS = {"running": "running", "complete": "done", "aborted": "aborted", "failed": "failed"}

_DETECTOR = "raw/instrument/detector"
_SAMPLE = "raw/sample"
# column: (path under /entry, catalog units or None for no conversion)
_FIELDS: dict[str, tuple[str, str | None]] = {
    "distance": (f"{_DETECTOR}/distance", "mm"),
    "wavelength": ("raw/instrument/monochromator/wavelength", "nm"),
    "beam_center_x": (f"{_DETECTOR}/beam_center_x_pixel", None),
    "beam_center_y": (f"{_DETECTOR}/beam_center_y_pixel", None),
    "thickness": (f"{_SAMPLE}/thickness", "cm"),
    "transmission": (f"{_SAMPLE}/transmission/data", None),
}


def relative(path: Path, root: DataRoot) -> str:
    """``path`` relative to the data root (absolute if it lies elsewhere)."""
    path = Path(os.path.normpath(Path(path).absolute()))
    return str(path.relative_to(root.path)) if path.is_relative_to(root.path) else str(path)


def key_of(path: Path) -> tuple[str, int]:
    match = _NXS_RE.fullmatch(Path(path).name)
    if match is None:
        raise CatalogError(f"{path} is not named <prefix>_<fsn>.nxs: not an exposure file")
    return match.group(1), int(match.group(2))


def row_for_running(
    root: DataRoot,
    prefix: str,
    fsn: int,
    title: str,
    sample: str | None,
    start_time: datetime | str,
) -> CatalogRow:
    """The row written at nxsbegin; the full row from the file replaces it at nxsend."""
    return {
        "prefix": prefix,
        "fsn": fsn,
        "nxs_path": relative(root.nxs_path(prefix, fsn), root),
        "cbf_path": relative(root.cbf_path(prefix, fsn), root),
        "title": title,
        "sample": sample or title,
        "start_time": start_time,
        "status": "running",
    }


def row_from_file(
    path: Path, root: DataRoot, *, total_counts: int | None = None, deep: bool = False
) -> CatalogRow:
    """The full row of an exposure file (OSError/CatalogError if it cannot be read).

    ``total_counts``, when the caller knows it (nxsend), saves reading the frame. The
    header comes from the file's catalog note (:mod:`.note`) when it has a usable one,
    else (and always with ``deep``) from its fields. The reduction columns come from
    ``/entry/reduced`` when there is one (:mod:`.reduced`), else the row has none.
    """
    prefix, fsn = key_of(path)
    # default HDF5 locking, as every reader of ours uses: in one process HDF5 refuses to open a
    # file twice with different locking flags (the writer thread and a validate, say); the
    # exposure steps hold a file open only for the moment they write
    with h5py.File(path, "r") as nxroot:
        entry = nxroot.get("entry")
        if not isinstance(entry, h5py.Group):
            raise CatalogError(f"{path} has no /entry: not an exposure file")
        noted = None if deep else read_note(entry)
        if noted is not None:
            header, kept = noted
        else:
            header = scalar_fields(entry)
            kept = None if total_counts is not None else _total_counts(entry, header)
        reduction = file_columns(entry, header)
    row = _row(path, root, prefix, fsn, header, kept if total_counts is None else total_counts)
    row.update(reduction)
    return row


def write_catalog_note(path: Path, durable: bool = True) -> bool:
    """Store the file's catalog header in the file (``/entry/notes``) once its status is
    final (a running exposure gets none); the writer calls this after completing a file.
    False, with a warning, if it could not: the note is only a shortcut for reindex."""
    try:
        with h5py.File(path, "r+") as nxroot:
            entry = nxroot["entry"]
            status = entry["status"][()]
            if (status.decode() if isinstance(status, bytes) else str(status)) not in FINAL:
                return False
            header = scalar_fields(entry)
            write_note(entry, header, _total_counts(entry, header))
            nxroot.flush()
        if durable:  # else the caller fsyncs (the writer: once for its batch)
            fsync_file(path)
    except (OSError, KeyError, ValueError) as exc:
        log.warning("%s: catalog note not written (reindex reads the fields): %s", path, exc)
        return False
    return True


def _row(
    path: Path,
    root: DataRoot,
    prefix: str,
    fsn: int,
    header: dict[str, Any],
    total_counts: int | None,
) -> CatalogRow:
    return {
        "prefix": prefix,
        "fsn": fsn,
        "nxs_path": relative(path, root),
        "cbf_path": _cbf_path(path, root, header),
        "title": header.get("title"),
        "sample": header.get(f"{_SAMPLE}/name"),
        "category": header.get(f"{_SAMPLE}/category"),
        "project": header.get("experiment_identifier") or header.get(f"{_SAMPLE}/project"),
        "operator": header.get("raw/operator/name"),
        "start_time": header_time(header.get("start_time")),
        "end_time": header_time(header.get("end_time")),
        "exposure_time": header_number(header, "raw/control/preset")
        or header_number(header, f"{_DETECTOR}/count_time"),
        "cbf_sha256": header.get(f"{_DETECTOR}/data_file/checksum"),
        "status": STATUS.get(str(header.get("status")), "failed"),
        "total_counts": total_counts,
        "header": header,
        # the keys spelled out, in _FIELDS' order, so that mypy checks them against the columns
        "distance": _field(header, "distance"),
        "distance_error": _field_error(header, "distance"),
        "wavelength": _field(header, "wavelength"),
        "wavelength_error": _field_error(header, "wavelength"),
        "beam_center_x": _field(header, "beam_center_x"),
        "beam_center_x_error": _field_error(header, "beam_center_x"),
        "beam_center_y": _field(header, "beam_center_y"),
        "beam_center_y_error": _field_error(header, "beam_center_y"),
        "thickness": _field(header, "thickness"),
        "thickness_error": _field_error(header, "thickness"),
        "transmission": _field(header, "transmission"),
        "transmission_error": _field_error(header, "transmission"),
        "temperature": _sensor(header, "temperature", "degC"),
        "vacuum": _sensor(header, "pressure", "mbar"),
    }


def _field(header: dict[str, Any], column: str) -> float | None:
    """The value of a column of ``_FIELDS`` in the catalog's units."""
    field, units = _FIELDS[column]
    return header_number(header, field, units)


def _field_error(header: dict[str, Any], column: str) -> float | None:
    """The error (``<field>_errors``) of a column of ``_FIELDS``, in the field's units
    converted to the catalog's."""
    field, units = _FIELDS[column]
    return header_number(header, f"{field}_errors", units, field)


def _total_counts(entry: h5py.Group, header: dict[str, Any]) -> int | None:
    """The sum the writer kept beside the frame; older files: the frame, decompressed."""
    kept = header.get(f"{_DETECTOR}/frame_summary/total_counts")
    if isinstance(kept, int) and not isinstance(kept, bool):
        return kept
    frame = entry.get(f"{_DETECTOR}/data")
    return count_frame(frame[()]) if isinstance(frame, h5py.Dataset) else None


def scalar_fields(entry: h5py.Group) -> dict[str, Any]:
    """Every scalar field under /entry by its path, and its units as ``<path>@units``
    (the catalog note itself left out: the note copies this header).

    Through h5py's low-level API (one visit, then open/read per dataset, each opened from
    its parent group and its attributes looked at only if it has any): the same values as
    ``visititems`` and ``Dataset[()]``, at about a third of the cost per field.
    """
    names: list[tuple[bytes, int]] = []

    def collect(name: bytes, info: Any) -> None:
        if info.type == h5o.TYPE_DATASET and not name.startswith(_NOTE_PREFIX):
            names.append((name, info.num_attrs))

    h5o.visit(entry.id, collect, info=True)
    groups: dict[bytes, Any] = {b"": entry.id}
    found: dict[str, Any] = {}
    for name, num_attrs in names:
        parent, _, leaf = name.rpartition(b"/")
        folder = groups.get(parent)
        if folder is None:
            folder = groups[parent] = h5g.open(entry.id, parent)
        dataset = h5d.open(folder, leaf)
        if dataset.get_space().get_simple_extent_type() != h5s.SCALAR:
            continue
        value = np.empty((), dtype=dataset.dtype)
        dataset.read(h5s.ALL, h5s.ALL, value)
        path = name.decode("utf-8", "replace")
        found[path] = plain_value(value[()])
        units = _units(dataset) if num_attrs else None
        if units:
            found[f"{path}@units"] = units
    return found


def _units(dataset: h5d.DatasetID) -> Any:
    """The ``units`` attribute as a plain value (None if absent or empty)."""
    if not h5a.exists(dataset, b"units"):
        return None
    attr = h5a.open(dataset, b"units")
    if attr.shape is None:  # a null dataspace: no value
        return None
    value = np.empty(attr.shape, dtype=attr.dtype)
    attr.read(value)
    return plain_value(value[()] if value.shape == () else value)


def header_number(
    header: dict[str, Any], field: str, to: str | None = None, units_of: str | None = None
) -> float | None:
    """The number at ``field`` of a header (from :func:`scalar_fields`), converted from its
    ``@units`` (or those of ``units_of``) to ``to``; None if absent, not a number or not
    convertible."""
    value = header.get(field)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    units = header.get(f"{units_of or field}@units") or header.get(f"{field}@units")
    if to is None or not units or units == to:
        return float(value)
    try:
        from sardana_nxsas.description.units import convert

        return convert(float(value), str(units), to)
    except Exception:  # units pint cannot convert: the header keeps the raw value
        return None


def _sensor(header: dict[str, Any], measurement: str, to: str) -> float | None:
    """The start value of the first NXsensor measuring ``measurement`` (by group name)."""
    for field in sorted(k[: -len("/measurement")] for k in header if _SENSOR_RE.fullmatch(k)):
        if header[f"{field}/measurement"] == measurement:
            value = header_number(header, f"{field}/value", to)
            if value is not None:
                return value
    return None


def _cbf_path(nxs: Path, root: DataRoot, header: dict[str, Any]) -> str | None:
    reference = header.get(f"{_DETECTOR}/data_file/file_name")
    if isinstance(reference, str) and reference:
        return relative(Path(nxs).parent / reference, root)
    prefix, fsn = key_of(nxs)
    expected = root.path / "images" / prefix / f"{DataRoot.stem(prefix, fsn)}.cbf"
    return relative(expected, root) if expected.exists() else None


def header_time(value: Any) -> datetime | None:
    """A header's ISO 8601 time (start_time, end_time) as a datetime; None if not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
