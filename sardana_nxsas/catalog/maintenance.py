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
from itertools import chain, repeat
from pathlib import Path
from typing import Any

import h5py

from sardana_nxsas.catalog.note import read_note
from sardana_nxsas.catalog.reduced import file_columns
from sardana_nxsas.catalog.rows import key_of, row_from_file, scalar_fields
from sardana_nxsas.catalog.scan_rows import rows_from_scan_file
from sardana_nxsas.catalog.schema import CatalogError, CatalogRow
from sardana_nxsas.catalog.store import Catalog
from sardana_nxsas.dataroot.cbf import sha256_file
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.nexus.scan.summary import is_scan_file

_NXS_RE = re.compile(r"([A-Za-z][A-Za-z0-9]*)_[0-9]+\.nxs")
BATCH = 200
MAX_WORKERS = 4
PARALLEL_FROM = 1000  # fewer files (~2 ms each with a catalog note) are read faster here
# than worker processes start (the forkserver imports h5py, SQLAlchemy: ~0.3-0.8 s)
# what a worker needs, imported once by the forkserver rather than by every worker
_PRELOAD = ["__main__", "sardana_nxsas.catalog.maintenance"]
_READ_ERRORS = (OSError, KeyError, ValueError, RuntimeError, CatalogError)  # h5py's ways to fail


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


def scan_files(root: DataRoot) -> Iterator[Path]:
    """Every scan file of the default ``ScanDir``, ``nexus/scn/scan_<ScanID>.nxs``, sorted."""
    folder = root.path / "nexus" / "scn"
    if folder.is_dir():
        yield from sorted(p for p in folder.iterdir() if is_scan_file(p))


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
    deep: bool = False,
) -> ReindexReport:
    """Upsert the rows of every exposure and scan file; idempotent. Unreadable files are listed.

    An exposure file's header comes from its catalog note when it has a usable one
    (:mod:`.note`); ``deep`` reads every field instead. A scan file gives its scan's row and
    one row per frame. With ``workers`` > 1 the exposure files are read by that many
    processes (at most ``MAX_WORKERS``; a folder of fewer than ``PARALLEL_FROM`` files is
    read here). The processes start by ``forkserver``, which imports the ``__main__``
    module again: a script calling this needs the ``if __name__ == "__main__":`` guard.
    Rows are upserted here, in file order, ``BATCH`` at a time.
    """
    paths = list(exposure_files(root))
    scans = list(scan_files(root))
    total = len(paths) + len(scans)
    report = ReindexReport()
    started = time.monotonic()
    batch: list[CatalogRow] = []
    rows = _rows(paths, root, workers, deep)
    for done, (path, found, problem) in enumerate(chain(rows, _scan_rows(scans, root)), 1):
        if found is not None:
            batch.extend(found)
        else:
            report.unreadable.append(f"{path}: {problem}")
        if len(batch) >= BATCH:
            catalog.upsert(batch)
            batch.clear()
        if progress is not None:
            progress(done, total)
    catalog.upsert(batch)
    report.files = total - len(report.unreadable)
    report.seconds = time.monotonic() - started
    return report


Found = tuple[Path, list[CatalogRow] | None, str | None]  # rows, or why unreadable


def _rows(paths: list[Path], root: DataRoot, workers: int, deep: bool) -> Iterator[Found]:
    """(path, [row], None) or (path, None, why unreadable) for each path, in order."""
    count = min(workers, MAX_WORKERS)
    if count <= 1 or len(paths) < PARALLEL_FROM:
        yield from (_read_row(path, root, deep) for path in paths)
        return
    # forkserver: workers start clean, without this process's threads or open handles; the
    # server imports what a worker needs once, so each worker is a mere fork of it
    context = multiprocessing.get_context(
        "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    )
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload(_PRELOAD)
    chunk = max(1, min(32, len(paths) // (count * 8)))
    with ProcessPoolExecutor(count, mp_context=context) as pool:
        yield from pool.map(_read_row, paths, repeat(root), repeat(deep), chunksize=chunk)


def _read_row(path: Path, root: DataRoot, deep: bool = False) -> Found:
    try:
        return path, [row_from_file(path, root, deep=deep)], None
    except _READ_ERRORS as exc:
        return path, None, " ".join(str(exc).split())


def _scan_rows(paths: list[Path], root: DataRoot) -> Iterator[Found]:
    for path in paths:
        try:
            yield path, rows_from_scan_file(path, root), None
        except _READ_ERRORS as exc:
            yield path, None, " ".join(str(exc).split())


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
        for column, rel in (("nxs_path", row.get("nxs_path")), ("cbf_path", row.get("cbf_path"))):
            if column == "cbf_path" and row["status"] == "running":
                continue  # no frame yet
            if rel and not os.path.lexists(root.path / rel):
                problems.append(f"missing on disk: {rel} (catalogued as {key[0]}_{key[1]:05d})")
    for key, path in on_disk.items():
        catalogued = known.get(key)
        if catalogued is None:
            problems.append(f"not in the catalog: {path} (run: sardana-nxsas catalog reindex)")
        problems.extend(_check_file(path, catalogued))
    for path in scan_files(root):
        problems.extend(_check_scan(path, root, known))
    return problems


def _check_scan(path: Path, root: DataRoot, known: dict[tuple[str, int], CatalogRow]) -> list[str]:
    """The scan's and its frames' rows are catalogued; every frame's CBF has its checksum."""
    try:
        rows = rows_from_scan_file(path, root)
        with h5py.File(path, "r") as nxroot:  # default locking, as every reader of ours
            problems = _read_chunked(nxroot, path)
    except _READ_ERRORS as exc:
        return [f"unreadable: {path}: {' '.join(str(exc).split())}"]
    for found in rows:
        key = (found["prefix"], found["fsn"])
        name = f"{key[0]}_{key[1]:05d}"
        if key not in known:
            problems.append(
                f"not in the catalog: {name} of {path} (run: sardana-nxsas catalog reindex)"
            )
        cbf = found.get("cbf_path")
        if cbf:
            problems.extend(_check_cbf(root.path / cbf, found["cbf_sha256"], name, known.get(key)))
    return problems


def _check_file(path: Path, row: CatalogRow | None) -> list[str]:
    problems: list[str] = []
    try:
        with h5py.File(path, "r") as nxroot:  # default locking, as every reader of ours
            note = nxroot.get("entry/raw/instrument/detector/data_file")
            recorded = reference = None
            if isinstance(note, h5py.Group) and "checksum" in note and "file_name" in note:
                recorded = _text(note["checksum"][()])
                reference = _text(note["file_name"][()])
            problems.extend(_read_chunked(nxroot, path))
            problems.extend(_check_note(nxroot, path))
            problems.extend(_check_reduction(nxroot, path, row))
    except OSError as exc:
        return [f"unreadable: {path}: {' '.join(str(exc).split())}"]
    if reference is None:
        return problems
    cbf = Path(os.path.normpath(path.parent / reference))
    return problems + _check_cbf(cbf, recorded, path.name, row)


def _check_note(nxroot: h5py.File, path: Path) -> list[str]:
    """The catalog note, when reindex would use it, holds exactly the file's header."""
    entry = nxroot.get("entry")
    noted = read_note(entry) if isinstance(entry, h5py.Group) else None
    if noted is None or noted[0] == scalar_fields(entry):
        return []
    return [
        f"stale catalog note: {path}:/entry/notes differs from the file's fields "
        "(run: sardana-nxsas catalog reindex --deep)"
    ]


def _check_reduction(nxroot: h5py.File, path: Path, row: CatalogRow | None) -> list[str]:
    """The catalog's reduction columns are those of the file's /entry/reduced, if it has one."""
    entry = nxroot.get("entry")
    if row is None or not isinstance(entry, h5py.Group) or "reduced" not in entry:
        return []
    found = file_columns(entry, scalar_fields(entry))
    differ = [column for column, value in found.items() if row.get(column) != value]
    if not differ:
        return []
    return [
        f"reduction columns differ from the file: {path} ({', '.join(differ)}; "
        "run: sardana-nxsas catalog reindex)"
    ]


def _check_cbf(cbf: Path, recorded: str | None, name: str, row: CatalogRow | None) -> list[str]:
    try:
        actual = sha256_file(cbf)
    except OSError as exc:
        return [f"CBF unreadable: {cbf} ({exc.strerror or exc})"]
    problems = []
    if actual != recorded:
        problems.append(f"CBF checksum mismatch: {cbf} differs from the checksum in {name}")
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
