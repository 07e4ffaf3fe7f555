"""A few facts of a scan file, for tables (demo, CLI)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from sardana_nxsas.nexus.exposure.summary import text_value

_SCAN_NAME = re.compile(r"scan_[0-9]+\.nxs")


@dataclass(frozen=True)
class ScanFacts:
    identifier: str
    title: str
    status: str
    points: int
    signal: str
    peak_at: str  # where the signal is highest, e.g. "samx=20"
    path: Path


def is_scan_file(path: Path) -> bool:
    """A scan file by the default name (``scan_<ScanID>.nxs``)."""
    return bool(_SCAN_NAME.fullmatch(Path(path).name))


def scan_facts(path: Path) -> ScanFacts:
    with h5py.File(path, "r") as nxroot:
        entry = nxroot["entry"]
        measurement = entry["measurement"]
        points = measurement["point_nb"].shape[0]
        signal = str(entry["plot"].attrs.get("signal", ""))
        peak = "-"
        if signal in measurement and points:
            values = measurement[signal][()]
            axes = [str(a) for a in entry["plot"].attrs.get("axes", [])]
            if not np.all(np.isnan(values)):
                best = int(np.nanargmax(values))
                names = [a for a in axes if a in measurement] or ["point_nb"]
                peak = " ".join(f"{a}={measurement[a][best]:g}" for a in names)
        return ScanFacts(
            identifier=text_value(entry, "entry_identifier", Path(path).stem),
            title=text_value(entry, "title"),
            status=text_value(entry, "status", "unknown"),
            points=points,
            signal=signal,
            peak_at=peak,
            path=Path(path),
        )


def scan_table(facts: list[ScanFacts]) -> list[str]:
    """Fixed-width lines: identifier, command, points, signal, its maximum, status."""
    lines = [f"{'scan':<11} {'command':<30} {'points':>6}  {'signal':<10} {'max at':<14} status"]
    for f in facts:
        lines.append(
            f"{f.identifier:<11} {f.title[:30]:<30} {f.points:>6}  {f.signal[:10]:<10} "
            f"{f.peak_at[:14]:<14} {f.status}"
        )
    return lines
