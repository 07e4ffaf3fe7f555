"""A few facts of an exposure file, for tables (demo, CLI)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import h5py

from sardana_nxsas.nexus.mask import total_counts


@dataclass(frozen=True)
class ExposureFacts:
    identifier: str
    title: str
    status: str
    start_time: str
    count_time: float | None
    total_counts: int | None
    path: Path


def text_value(group: h5py.Group, name: str, default: str = "") -> str:
    """A scalar field as text (``default`` when absent)."""
    value = group.get(name)
    if value is None:
        return default
    raw = value[()]
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def exposure_facts(path: Path) -> ExposureFacts:
    with h5py.File(path, "r") as nxroot:
        entry = nxroot["entry"]
        detector = entry.get("raw/instrument/detector", {})
        count_time = detector.get("count_time")
        frame = detector.get("data")
        total = None
        if frame is not None:
            total = total_counts(frame[()])
        return ExposureFacts(
            identifier=text_value(entry, "entry_identifier", Path(path).stem),
            title=text_value(entry, "title"),
            status=text_value(entry, "status", "unknown"),
            start_time=text_value(entry, "start_time"),
            count_time=None if count_time is None else float(count_time[()]),
            total_counts=total,
            path=Path(path),
        )


def table(facts: list[ExposureFacts]) -> list[str]:
    """Fixed-width lines: identifier, title, start, exposure time, total counts, status."""
    lines = [f"{'exposure':<12} {'title':<18} {'start':<19} {'time/s':>7} {'counts':>12}  status"]
    for f in facts:
        time = "-" if f.count_time is None else f"{f.count_time:g}"
        counts = "-" if f.total_counts is None else str(f.total_counts)
        lines.append(
            f"{f.identifier:<12} {f.title[:18]:<18} {f.start_time[:19]:<19} {time:>7} {counts:>12}  {f.status}"
        )
    return lines
