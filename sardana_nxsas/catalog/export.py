"""Catalog rows as a terminal table, CSV, JSON or an Excel workbook."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from sardana_nxsas.catalog.schema import COLUMNS, UNITS, CatalogRow
from sardana_nxsas.errors import NxsError

FORMATS = ("table", "csv", "json", "xlsx")
FLAT = tuple(c for c in COLUMNS if c != "header")  # header (a dict) goes to JSON only


def table_lines(rows: list[CatalogRow]) -> list[str]:
    """exposure, title, start (local time), exposure time, counts, status."""
    lines = [f"{'exposure':<12} {'title':<24} {'start':<19} {'time/s':>8} {'counts':>12}  status"]
    for row in rows:
        start = row.get("start_time")
        # a datetime from the database (a string only in a row that went through the spool)
        if isinstance(start, datetime):
            when = start.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        else:
            when = str(start or "-")
        time = "-" if row.get("exposure_time") is None else f"{row['exposure_time']:g}"
        counts = "-" if row.get("total_counts") is None else str(row["total_counts"])
        name = f"{row['prefix']}_{row['fsn']:05d}"
        title = str(row.get("title") or "")[:24]
        lines.append(f"{name:<12} {title:<24} {when:<19} {time:>8} {counts:>12}  {row['status']}")
    return lines


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def to_csv(rows: list[CatalogRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FLAT)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else _iso(row.get(c)) for c in FLAT])
    return out.getvalue()


def to_json(rows: list[CatalogRow]) -> str:
    data = [{c: _iso(row.get(c)) for c in COLUMNS} for row in rows]
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def header_name(column: str) -> str:
    units = UNITS.get(column)
    if column in ("start_time", "end_time"):
        return f"{column} [local]"
    return f"{column} [{units}]" if units else column


def write_xlsx(rows: list[CatalogRow], path: Path) -> None:
    """One sheet: a header row with units, an auto-filter, the header frozen."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    book = Workbook()
    sheet = book.active
    # a new workbook has exactly one worksheet; the stubs allow None or a chart sheet
    assert isinstance(sheet, Worksheet)
    sheet.title = "exposures"
    sheet.append([header_name(c) for c in FLAT])
    for r, row in enumerate(rows, start=2):
        for col, name in enumerate(FLAT, start=1):
            value: Any = row.get(name)  # any column but the header
            cell = sheet.cell(row=r, column=col)
            if isinstance(value, datetime):
                # Excel has no time zones: local wall-clock time, as the operators read it
                cell.value = value.astimezone().replace(tzinfo=None)
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
            elif isinstance(value, str):
                cell.value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
                cell.data_type = "s"  # a title "=..." stays text, never a formula
            else:
                cell.value = value
    last = get_column_letter(len(FLAT))
    sheet.auto_filter.ref = f"A1:{last}{max(len(rows) + 1, 1)}"
    sheet.freeze_panes = "A2"
    for col, name in enumerate(FLAT, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = max(10, len(header_name(name)) + 2)
    try:
        book.save(path)
    except OSError as exc:
        raise NxsError(f"cannot write {path} ({exc.strerror or exc}): choose another -o") from None


def render(rows: list[CatalogRow], fmt: str, out: Path | None) -> str | None:
    """The text to print, or None when written to ``out``."""
    if fmt == "xlsx":
        if out is None:
            raise NxsError("--format xlsx writes a workbook: give the file with -o FILE.xlsx")
        write_xlsx(rows, out)
        return None
    if fmt == "table":
        text = "\n".join(table_lines(rows)) + "\n"
    elif fmt == "csv":
        text = to_csv(rows)
    elif fmt == "json":
        text = to_json(rows)
    else:
        raise NxsError(f"--format {fmt}: use one of {', '.join(FORMATS)}")
    if out is None:
        return text
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise NxsError(f"cannot write {out} ({exc.strerror or exc}): choose another -o") from None
    return None
