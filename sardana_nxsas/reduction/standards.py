"""Which dark, empty beam and glassy carbon reduce an exposure: the rule.

For each role, the complete exposure of the **same prefix** with the **highest FSN
below** the exposure's own (FSNs are handed out in time order: the latest one measured
before it) whose sample has that role (:func:`~.inputs.role_of`: the registry category
"Dark" or "Empty beam", a glassy-carbon name) and whose geometry is the same
(:meth:`~.inputs.Geometry.same_as`). A glassy carbon exposure is its own calibrant.
Other prefixes are not searched: ``tra`` exposures are taken with the beamstop out.

Walking back reads headers: :func:`standard_header` keeps them while a file keeps its
size and modification time (for the many files that are not standards only that
stamp), so a reducer with no dark in its geometry does not read every earlier file
again for every exposure.
"""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.reduction.inputs import Header, ReductionError, read_header

ROLES = ("dark", "empty_beam", "glassy_carbon")
CACHE_FILES = 200_000  # ~40 MB of stamps at most
ROLE_NAMES = {"dark": "dark", "empty_beam": "empty beam", "glassy_carbon": "glassy carbon"}


@dataclass
class Standards:
    found: dict[str, Header] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)  # role -> other geometries seen

    def missing(self, exposure: Header, roles: tuple[str, ...] = ROLES) -> str:
        """One line naming the standards of ``roles`` not found."""
        lacking = [role for role in roles if role not in self.found]
        parts = []
        for role in lacking:
            other = self.skipped.get(role, 0)
            why = f" ({other} with another geometry)" if other else ""
            parts.append(f"{ROLE_NAMES[role]}{why}")
        return (
            f"no complete {', '.join(parts)} exposure of prefix {exposure.prefix!r} "
            f"before {exposure.identifier} with the same geometry"
        )


def exposure_path(root: DataRoot, prefix: str, fsn: int) -> Path:
    return root.path / "nexus" / prefix / f"{prefix}_{fsn:05d}.nxs"


def earlier_fsns(root: DataRoot, exposure: Header) -> list[int]:
    """The FSNs of the exposure's prefix below its own, highest first."""
    pattern = re.compile(rf"{re.escape(exposure.prefix)}_([0-9]+)\.nxs")
    folder = root.path / "nexus" / exposure.prefix
    try:
        names = [p.name for p in folder.iterdir()]
    except OSError:
        return []
    numbers = [int(m.group(1)) for n in names if (m := pattern.fullmatch(n))]
    return sorted((n for n in numbers if n < exposure.fsn), reverse=True)


def choose_standards(root: DataRoot, exposure: Header) -> Standards:
    """The standards of ``exposure`` by the rule (the geometry must be known)."""
    assert exposure.geometry is not None
    chosen = Standards()
    if exposure.role == "glassy_carbon":
        chosen.found["glassy_carbon"] = exposure
    for fsn in earlier_fsns(root, exposure):
        if len(chosen.found) == len(ROLES):
            break
        other = standard_header(exposure_path(root, exposure.prefix, fsn))
        if other is None:
            continue
        role = other.role
        if role in chosen.found or other.status != "complete":
            continue
        if other.geometry is None or not other.geometry.same_as(exposure.geometry):
            chosen.skipped[role] = chosen.skipped.get(role, 0) + 1
            continue
        chosen.found[role] = other
    return chosen


_Stamp = tuple[int, int]
_cache: OrderedDict[Path, tuple[_Stamp, Header | None]] = OrderedDict()
_lock = threading.Lock()


def standard_header(path: Path) -> Header | None:
    """The header of ``path`` if it is a standard (dark, empty beam, glassy carbon), else
    None (a sample, not an exposure file, or gone); cached, see the module's note."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    stamp = (info.st_size, info.st_mtime_ns)
    with _lock:
        known = _cache.get(path)
        if known is not None and known[0] == stamp:
            _cache.move_to_end(path)
            return known[1]
    try:
        header: Header | None = read_header(path)
    except ReductionError:
        header = None
    if header is not None and header.role not in ROLES:
        header = None
    with _lock:
        _cache[path] = (stamp, header)
        while len(_cache) > CACHE_FILES:
            _cache.popitem(last=False)
    return header
