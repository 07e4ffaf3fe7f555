"""The Exposures panel: filters as the operator types them -> ``Catalog.find`` -> table cells.

The same catalog and the same filters as ``findexp`` and ``sardana-nxsas catalog
find``: title glob (``*``, ``?``, any case), prefix, project, a date range.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from sardana_nxsas.catalog import Catalog, CatalogRow, catalog_url
from sardana_nxsas.errors import NxsError

CATALOG_COLUMNS: tuple[str, ...] = (
    "exposure", "title", "sample", "project", "start", "time / s", "total counts", "status",
)  # fmt: skip
DEFAULT_LIMIT = 200
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _moment(text: str, what: str, end_of_day: bool = False) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise NxsError(
            f"{what} {text!r} is not a date: give YYYY-MM-DD or YYYY-MM-DDTHH:MM"
        ) from None
    if end_of_day and _DAY.fullmatch(text):
        moment = datetime.combine(moment.date() + timedelta(days=1), time()) - timedelta(
            microseconds=1
        )
    return moment if moment.tzinfo else moment.astimezone()  # naive: local time


def catalog_filters(
    title: str = "", prefix: str = "", since: str = "", until: str = "", project: str = ""
) -> dict[str, Any]:
    """Keyword filters for :meth:`Catalog.find` from the panel's fields (empty: no filter)."""
    filters: dict[str, Any] = {}
    if title.strip():
        filters["title"] = title.strip()
    if prefix.strip():
        filters["prefix"] = prefix.strip()
    if project.strip():
        filters["project"] = project.strip()
    if since.strip():
        filters["since"] = _moment(since.strip(), "from")
    if until.strip():
        filters["until"] = _moment(until.strip(), "until", end_of_day=True)
    if "since" in filters and "until" in filters and filters["since"] > filters["until"]:
        raise NxsError("the 'from' date is after the 'until' date")
    return filters


def query_catalog(
    root: Path | None, url: str | None, filters: dict[str, Any], limit: int = DEFAULT_LIMIT
) -> list[CatalogRow]:
    """The newest ``limit`` exposures matching ``filters``, newest first."""
    with Catalog(catalog_url(root, url)) as catalog:
        return catalog.find(limit=limit, newest_first=True, **filters)


def _number(value: Any) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def row_cells(row: CatalogRow) -> list[str]:
    """A catalog row as the panel's table shows it (CATALOG_COLUMNS)."""
    start = row.get("start_time")
    # a datetime from the database (a string only in a row that went through the spool)
    if isinstance(start, datetime):
        shown = start.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    else:
        shown = str(start or "")
    return [
        f"{row['prefix']}_{int(row['fsn']):05d}",
        row.get("title") or "",
        row.get("sample") or "",
        row.get("project") or "",
        shown,
        _number(row.get("exposure_time")),
        _number(row.get("total_counts")),
        row.get("status") or "",
    ]


def _flatten(prefix: str, value: Any, out: list[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}/{key}" if prefix else str(key), inner, out)
    else:
        out.append((prefix, value if isinstance(value, str) else json.dumps(value)))


def row_details(row: CatalogRow) -> list[tuple[str, str]]:
    """Every column of a row, then its header (the file's scalars) flattened: (key, value)."""
    out: list[tuple[str, str]] = []
    for key, value in row.items():
        if key == "header" or value is None:
            continue
        out.append((key, value.isoformat() if isinstance(value, datetime) else _number(value)))
    header = row.get("header")
    if isinstance(header, str):
        try:
            header = json.loads(header)
        except ValueError:
            header = None
    if isinstance(header, dict):
        _flatten("", header, out)
    return out


def file_path(root: Path | None, row: CatalogRow) -> Path | None:
    """The exposure file of a row (its path is relative to the data root)."""
    name = row.get("nxs_path")
    if not name:
        return None
    path = Path(name)
    return path if path.is_absolute() or root is None else Path(root) / path
