"""Durable job folders: work handed from one process to another that is never lost.

The writer's queue (``state/pending/``, sardana_nxsas.writer) and the reducer's
(``state/reduce-pending/``, sardana_nxsas.reducer) are two :class:`Queue` of this kind.
A job is a small JSON file ``<stem>.<ns>.<kind>.json`` in ``<root>/state/<folder>/``,
written atomically and fsynced before the macro returns: once ``submit`` has
returned, the work it describes is never lost, whatever happens to the process
that submitted it. ``ns`` grows strictly within a process and follows the wall
clock across processes, so jobs of one exposure (create, then complete) are
taken in order. A job is deleted only after its work is durably on disk.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sardana_nxsas.dataroot.durable import ensure_dir, write_atomic
from sardana_nxsas.dataroot.layout import DataRoot

FAILED = "failed"  # jobs given up after repeated errors, kept for a person to look at


@dataclass(frozen=True)
class Queue:
    """A job folder under ``state/`` and the kinds of job it takes; ``what`` names its
    worker in messages."""

    folder: str
    kinds: tuple[str, ...]
    what: str


_clock_lock = threading.Lock()
_last_ns = 0


def _next_ns() -> int:
    global _last_ns
    with _clock_lock:
        _last_ns = max(time.time_ns(), _last_ns + 1)
        return _last_ns


@dataclass(frozen=True)
class Job:
    path: Path
    stem: str  # "crd_00042": the exposure
    ns: int
    kind: str

    @classmethod
    def from_path(cls, path: Path, kinds: tuple[str, ...]) -> Job | None:
        parts = path.name.split(".")
        if len(parts) != 4 or parts[3] != "json" or parts[2] not in kinds:
            return None
        try:
            return cls(path, parts[0], int(parts[1]), parts[2])
        except ValueError:
            return None

    def load(self) -> dict[str, Any]:
        return json.loads(self.path.read_text("utf-8"))


def pending_dir(root: DataRoot, queue: Queue) -> Path:
    return root.state_dir / queue.folder


def submit(
    root: DataRoot,
    stem: str,
    kind: str,
    payload: dict[str, Any],
    durable: bool = True,
    *,
    queue: Queue,
) -> Job:
    """Write the job (OSError if it cannot be written); fsynced unless ``durable=False``."""
    if kind not in queue.kinds:
        raise ValueError(f"job kind {kind!r}: one of {queue.kinds}")
    folder = pending_dir(root, queue)
    ensure_dir(folder, root.path)
    data = json.dumps(payload, ensure_ascii=False, allow_nan=False, default=_default)
    ns = _next_ns()
    path = folder / f"{stem}.{ns}.{kind}.json"
    # a catalog URL may hold a password: such a job is for the writer's account only
    private = payload.get("catalog_url") is not None
    write_atomic(path, data.encode(), 0o600 if private else 0o666, durable)
    return Job(path, stem, ns, kind)


def pending(root: DataRoot, queue: Queue) -> list[Job]:
    """Jobs not done yet, oldest first."""
    folder = pending_dir(root, queue)
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    jobs = [j for j in (Job.from_path(folder / n, queue.kinds) for n in names) if j is not None]
    return sorted(jobs, key=lambda j: (j.ns, j.path.name))


def _default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return item()
    raise TypeError(f"cannot store a {type(value).__name__} in a job")


def wait_done(root: DataRoot, queue: Queue, stem: str | None = None, timeout: float = 30.0) -> bool:
    """Wait until no job of ``stem`` (None: of any exposure) is pending; False on timeout."""
    deadline = time.monotonic() + timeout
    while any(stem is None or j.stem == stem for j in pending(root, queue)):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
    return True
