"""Failed reductions told once in spock: one small file per failure in
``state/reduction-news/``, written by the reducer and taken (read, then deleted) by the
next exposure macro of any Door."""

from __future__ import annotations

import os

from sardana_nxsas.dataroot.durable import ensure_dir, write_atomic
from sardana_nxsas.dataroot.layout import DataRoot

NEWS = "reduction-news"
SHOWN_AT_ONCE = 5  # more failures than this are summed up in one line


def tell_failure(root: DataRoot, identifier: str, reason: str) -> None:
    """Leave the warning for the macros (OSError if the state folder cannot be written)."""
    folder = root.state_dir / NEWS
    ensure_dir(folder, root.path)
    line = f"{identifier}: reduction failed: {' '.join(str(reason).split())}"
    write_atomic(folder / f"{identifier}.txt", line.encode("utf-8"))


def reduction_news(root: DataRoot) -> list[str]:
    """The failures not shown yet, oldest first, each returned once (never raises)."""
    folder = root.state_dir / NEWS
    try:
        names = sorted(os.listdir(folder), key=lambda n: _mtime(folder / n))
    except OSError:
        return []
    lines: list[str] = []
    for name in names:
        if not name.endswith(".txt"):
            continue
        path = folder / name
        try:
            text = path.read_text("utf-8").strip()
            path.unlink()  # another Door that took it first makes this fail: not shown twice
        except OSError:
            continue
        lines.append(text)
    if len(lines) > SHOWN_AT_ONCE:
        rest = len(lines) - SHOWN_AT_ONCE
        lines = [
            *lines[:SHOWN_AT_ONCE],
            f"and {rest} more failed reductions (reasons in the files and the catalog)",
        ]
    return lines


def _mtime(path: os.PathLike[str]) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0
