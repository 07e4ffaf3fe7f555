"""The catalog header kept in the exposure file itself: the NXnote ``/entry/notes``.

When the writer has completed an exposure file (final status), it stores the flat header
the catalog reads from the file (every scalar field under ``/entry`` by path, units as
``<path>@units``) and the frame's total counts as one JSON text in an NXnote, so that
``catalog reindex`` reads one dataset instead of ~80. The file stays the source of truth:
the note is used only when its format and version are ours and the file's own
``/entry/status`` and ``/entry/end_time`` are those the note records; ``reindex --deep``
ignores it. See docs/explanation/nexus-interpretation.md ("The catalog note").
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import h5py

from sardana_nxsas import __version__

NOTE = "notes"  # NXentry/notes: NXnote
FORMAT = "sardana-nxsas catalog header"
VERSION = 1
FINAL = ("complete", "aborted", "failed")
_STR = h5py.string_dtype()


def write_note(entry: h5py.Group, header: dict[str, Any], total_counts: int | None) -> None:
    """(Re)write ``entry/notes`` from ``header`` (read from this file) and the frame's sum."""
    data = json.dumps(
        {
            "format": FORMAT,
            "version": VERSION,
            "members": _members(entry),
            "total_counts": total_counts,
            "header": header,
        },
        ensure_ascii=False,
        allow_nan=False,
        separators=(",", ":"),
    )
    if NOTE in entry:
        del entry[NOTE]
    note = entry.create_group(NOTE)
    note.attrs["NX_class"] = "NXnote"
    fields = {
        "author": f"sardana-nxsas {__version__}",
        "date": datetime.now().astimezone().isoformat(timespec="microseconds"),
        "type": "application/json",
        "description": (
            f"{FORMAT}, version {VERSION}: every scalar field under /entry by path (units as "
            "<path>@units) and the frame's total counts, as the catalog reads them; a copy, "
            "the fields of this file take precedence"
        ),
        "data": data,
    }
    for name, value in fields.items():
        note.create_dataset(name, data=value, dtype=_STR)


def read_note(entry: h5py.Group) -> tuple[dict[str, Any], int | None] | None:
    """(header, total counts) from a usable note; None to read the file's fields instead.

    Usable: our format and version, the file's final ``status`` and ``end_time`` equal to
    the note's, and the same members of ``/entry`` (a group added since, say a reduced
    subentry, makes the file be read field by field).
    """
    try:
        note = entry.get(NOTE)
        if not isinstance(note, h5py.Group) or "data" not in note:
            return None
        content = json.loads(_text(note["data"][()]))
        if content.get("format") != FORMAT or content.get("version") != VERSION:
            return None
        header = content["header"]
        status = _text(entry["status"][()])
        end_time = _text(entry["end_time"][()]) if "end_time" in entry else None
    except (KeyError, TypeError, ValueError, OSError, AttributeError):
        return None
    if status not in FINAL or header.get("status") != status:
        return None
    if header.get("end_time") != end_time or content.get("members") != _members(entry):
        return None
    total = content.get("total_counts")
    return header, total if isinstance(total, int) and not isinstance(total, bool) else None


def _members(entry: h5py.Group) -> list[str]:
    return sorted(name for name in entry if name != NOTE)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if not isinstance(value, str):
        raise TypeError(f"not a text: {value!r}")
    return value
