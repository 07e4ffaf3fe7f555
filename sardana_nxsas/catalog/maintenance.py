"""Rebuild the catalog from the files (``reindex``) and check both (``verify``)."""

from __future__ import annotations

import multiprocessing
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any

import h5py

from sardana_nxsas.catalog.rows import key_of, row_from_file
from sardana_nxsas.catalog.store import Catalog
from sardana_nxsas.cbf import sha256_file
from sardana_nxsas.layout import DataRoot

_NXS_RE = re.compile(r"([A-Za-z][A-Za-z0-9]*)_[0-9]+\.nxs")
BATCH = 200
MAX_WORKERS = 4
PARALLEL_FROM = 64  # fewer files are read faster than worker processes start


def exposure_files(root: DataRoot) -> Iterator[Path]:
    """Every ``nexus/<prefix>/<prefix>_<fsn>.nxs`` under the data root, sorted."""
    top = root.path / "nexus"
    if not top.is_dir():
        return
    for folder in sorted(p for p in top.iterdir() if p.is_dir()):
        for path in sorted(folder.iterdir()):
            match = _NXS_RE.fullmatch(path.name)
            if match and match.group(1) == folder.name:
                yield path


@dataclass
class ReindexReport:
    files: int = 0
    seconds: float = 0.0
    unreadable: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.files / self.seconds if self.seconds > 0 else 0.0


def reindex(
    root: DataRoot,
    catalog: Catalog,
    progress: Callable[[int, int], None] | None = None,
    workers: int = 1,
) -> ReindexReport:
    """Upsert the row of every exposure file; idempotent. Unreadable files are listed.

    With ``workers`` > 1 the files are read by that many processes (at most
    ``MAX_WORKERS``; a folder of fewer than ``PARALLEL_FROM`` files is read here).
    The processes start by ``forkserver``, which imports the ``__main__`` module
    again: a script calling this needs the ``if __name__ == "__main__":`` guard.
    Rows are upserted here, in file order, ``BATCH`` at a time.
    """
    paths = list(exposure_files(root))
    report = ReindexReport()
    started = time.monotonic()
    batch: list[dict[str, Any]] = []
    for done, (path, row, problem) in enumerate(_rows(paths, root, workers), start=1):
        if row is not None:
            batch.append(row)
        else:
            report.unreadable.append(f"{path}: {problem}")
        if len(batch) >= BATCH:
            catalog.upsert(batch)
            batch.clear()
        if progress is not None:
            progress(done, len(paths))
    catalog.upsert(batch)
    report.files = len(paths) - len(report.unreadable)
    report.seconds = time.monotonic() - started
    return report


def _rows(
    paths: list[Path], root: DataRoot, workers: int
) -> Iterator[tuple[Path, dict[str, Any] | None, str | None]]:
    """(path, row, None) or (path, None, why unreadable) for each path, in order."""
    count = min(workers, MAX_WORKERS)
    if count <= 1 or len(paths) < PARALLEL_FROM:
        yield from (_read_row(path, root) for path in paths)
        return
    # forkserver: workers start clean, without this process's threads or open handles
    context = multiprocessing.get_context(
        "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    )
    chunk = max(1, min(32, len(paths) // (count * 8)))
    with ProcessPoolExecutor(count, mp_context=context) as pool:
        yield from pool.map(_read_row, paths, repeat(root), chunksize=chunk)


def _read_row(path: Path, root: DataRoot) -> tuple[Path, dict[str, Any] | None, str | None]:
    try:
        return path, row_from_file(path, root), None
    except (OSError, KeyError, ValueError, RuntimeError) as exc:  # h5py's ways to fail
        return path, None, " ".join(str(exc).split())


def stderr_progress(every: float = 0.2) -> Callable[[int, int], None]:
    """A ``\\r`` counter on stderr, redrawn at most every ``every`` seconds."""
    last = [0.0]

    def show(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= every or done == total:
            last[0] = now
            end = "\n" if done == total else ""
            print(f"\rreindex: {done}/{total} files", end=end, file=sys.stderr, flush=True)

    return show


def verify(root: DataRoot, catalog: Catalog) -> list[str]:
    """Every problem found, one line each; an empty list when catalog and files agree."""
    problems: list[str] = []
    known = {(r["prefix"], r["fsn"]): r for r in catalog.find(header=False)}
    on_disk = {key_of(p): p for p in exposure_files(root)}
    for key, row in known.items():
        for column in ("nxs_path", "cbf_path"):
            rel = row.get(column)
            if column == "cbf_path" and row["status"] == "running":
                continue  # no frame yet
            if rel and not os.path.lexists(root.path / rel):
                problems.append(f"missing on disk: {rel} (catalogued as {key[0]}_{key[1]:05d})")
    for key, path in on_disk.items():
        row = known.get(key)
        if row is None:
            problems.append(f"not in the catalog: {path} (run: sardana-nxsas catalog reindex)")
        problems.extend(_check_file(path, row))
    return problems


def _check_file(path: Path, row: dict[str, Any] | None) -> list[str]:
    problems: list[str] = []
    try:
        with h5py.File(path, "r") as nxroot:  # default locking, as every reader of ours
            note = nxroot.get("entry/raw/instrument/detector/data_file")
            recorded = reference = None
            if isinstance(note, h5py.Group) and "checksum" in note and "file_name" in note:
                recorded = _text(note["checksum"][()])
                reference = _text(note["file_name"][()])
            problems.extend(_read_chunked(nxroot, path))
    except OSError as exc:
        return [f"unreadable: {path}: {' '.join(str(exc).split())}"]
    if reference is None:
        return problems
    cbf = Path(os.path.normpath(path.parent / reference))
    try:
        actual = sha256_file(cbf)
    except OSError as exc:
        return [*problems, f"CBF unreadable: {cbf} ({exc.strerror or exc})"]
    if actual != recorded:
        problems.append(f"CBF checksum mismatch: {cbf} differs from the checksum in {path.name}")
    if row is not None and row.get("cbf_sha256") and row["cbf_sha256"] != actual:
        problems.append(f"CBF checksum mismatch: {cbf} differs from the catalog's checksum")
    return problems


def _read_chunked(nxroot: h5py.File, path: Path) -> list[str]:
    """Read every chunked dataset in full: HDF5 checks Fletcher-32 on each chunk it reads."""
    failures: list[str] = []

    def visit(name: str, obj: Any) -> None:
        if isinstance(obj, h5py.Dataset) and obj.chunks is not None:
            try:
                obj[()]
            except OSError as exc:
                failures.append(f"HDF5 read error in {path}:/{name}: {' '.join(str(exc).split())}")

    nxroot.visititems(visit)
    return failures


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
