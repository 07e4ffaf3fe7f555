"""What the writer does with a file it cannot open: wait for a reader, or set it aside."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from sardana_nxsas.errors import FileBusyError


def held_by_a_reader(exc: OSError) -> bool:
    """HDF5 refused the file because another process holds its lock. h5py raises a plain
    OSError whose message names the lock ("unable to lock file"); nothing else tells."""
    return "lock" in str(exc).lower()


def busy_or_raise(exc: OSError, path: Path) -> None:
    """Raise FileBusyError for a locked ``path``; return for any other OSError."""
    if held_by_a_reader(exc):
        raise FileBusyError(f"{path} is held by a reader; written when it is free") from exc


def set_aside(path: Path) -> Path:
    """Move a file HDF5 cannot open out of the way, kept for a person to look at (never
    overwritten: the name holds the process and the moment)."""
    moment = datetime.now().strftime("%Y%m%dT%H%M%S")
    broken = path.with_name(f"{path.name}.broken-{os.getpid()}-{moment}")
    os.replace(path, broken)
    return broken
