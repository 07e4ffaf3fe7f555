"""The durable queue between acquisition and the catalog database.

``submit`` only writes a small JSON file into ``<root>/state/catalog-spool/``
(durably) and wakes a background thread; the thread upserts the spooled rows in
order and deletes each file after the commit. A database that is slow, down or
misconfigured therefore never delays an exposure: rows wait in the spool and are
retried with a back-off, and a restarted writer process sends what an earlier one
left (the thread starts on construction). The writer and the reducer processes submit
the rows; acquisition only reads the spool's state for its warnings.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any, cast

from sardana_nxsas.catalog.rows import row_from_file
from sardana_nxsas.catalog.schema import CatalogError, CatalogRow
from sardana_nxsas.catalog.store import Catalog, catalog_url, check_row, safe_url
from sardana_nxsas.dataroot.durable import ensure_dir, exclusive_lock, fsync_dir, write_atomic
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.errors import NxsError

# a spooled row to be read from this exposure file when sent: nxsend spooled these before
# the writer process wrote the rows; a spool left by that version may still hold some
FROM_FILE = "_from_file"

SPOOL = "catalog-spool"
BATCH = 500
BACKOFF = (0.5, 5.0)  # first and longest wait before retrying an unreachable database
STALE_TEMP_S = 60.0  # a temp file this old was left by a killed submit


def _default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot spool a {type(value).__name__}")


class CatalogWriter:
    """Rows for the catalog, queued durably on disk and sent by a background thread."""

    def __init__(self, root: DataRoot, url: str | None = None) -> None:
        self.root = root
        self.url = catalog_url(root.path, url)
        self.where = safe_url(self.url)
        self.key = spool_key(url)
        self.folder = root.state_dir / SPOOL
        if self.key:  # rows for another catalog than the data root's own wait apart
            self.folder = self.folder / self.key
        self._lock = threading.Lock()
        self._last_ns = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._problem: str | None = None
        self._announced = False
        self._catalog: Catalog | None = None
        self._thread = threading.Thread(target=self._run, name="catalog-spool", daemon=True)
        self._thread.start()  # sends what a previous process left in the spool

    # -- the acquisition side -------------------------------------------------------------

    def submit(self, row: CatalogRow) -> None:
        """Queue ``row`` durably (OSError/NxsError if the spool cannot be written)."""
        if FROM_FILE not in row:
            check_row(row)
        data = json.dumps(row, default=_default, ensure_ascii=False, allow_nan=False)
        with self._lock:
            # strictly increasing within the process, so rows of one exposure keep their order
            ns = self._last_ns = max(time.time_ns(), self._last_ns + 1)
        stem = DataRoot.stem(row["prefix"], row["fsn"])
        ensure_dir(self.folder, self.root.path)
        write_atomic(self.folder / f"{stem}.{ns}.json", data.encode())
        self._wake.set()

    def flush(self, timeout: float) -> bool:
        """Wait until the spool is empty; False if it is not after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            self._wake.set()
            if not self.pending():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)

    def problem(self) -> str | None:
        """The last database error (password hidden), None while rows get through."""
        return self._problem

    def news(self) -> str | None:
        """The problem once per outage (for a single warning), then None until it is over.

        Seen by this process's sender or by any other of the data root (the writer
        process sends most rows): senders leave the problem in ``state/catalog-problem``.
        """
        with self._lock:
            problem = self._problem or _read_problem(self.root, self.key)
            if problem is None:
                self._announced = False
                return None
            if self._announced:
                return None
            self._announced = True
            return problem

    def pending(self) -> list[Path]:
        """Spooled rows not yet in the database, oldest first."""
        try:
            names = [n for n in os.listdir(self.folder) if n.endswith(".json")]
        except FileNotFoundError:
            return []
        names.sort(key=_order)
        return [self.folder / n for n in names]

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)
        if self._catalog is not None:
            self._catalog.close()

    def __enter__(self) -> CatalogWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the background thread ------------------------------------------------------------

    def _run(self) -> None:
        delay = BACKOFF[0]
        while not self._stop.is_set():
            try:
                sent = self._send_batch()
            except (NxsError, OSError) as exc:
                self._set_problem(str(exc))
                self._wake.wait(delay)
                self._wake.clear()
                delay = min(delay * 2, BACKOFF[1])
                continue
            self._set_problem(None)
            delay = BACKOFF[0]
            if not sent:
                self._wake.wait(5.0)  # also picks up rows spooled by other processes
                self._wake.clear()

    def _send_batch(self) -> int:
        if not self.folder.is_dir():
            return 0
        # one sender per data root at a time: rows of one exposure stay in order
        with exclusive_lock(self.folder / ".lock", 2.0, "catalog spool"):
            files = self.pending()[:BATCH]
            if not files:
                self._remove_stale_temps()
                return 0
            rows = []
            for path in list(files):
                try:
                    entry = json.loads(path.read_text("utf-8"))
                    # an exposure file that is busy now (OSError) is retried with the batch;
                    # one that is gone can never be read: set aside (reindex repairs)
                    rows.append(check_row(self._expand(entry)))
                except (ValueError, UnicodeDecodeError, NxsError, FileNotFoundError, KeyError):
                    # cannot happen with atomic writes; keep it aside rather than block the queue
                    os.replace(path, path.with_suffix(".bad"))
                    files.remove(path)
            if self._catalog is None:
                self._catalog = Catalog(self.url)
            try:
                self._catalog.upsert(rows)
            except CatalogError:
                self._catalog.close()
                self._catalog = None  # reconnect (or recreate a deleted SQLite file) next time
                raise
            for path in files:
                path.unlink(missing_ok=True)
            fsync_dir(self.folder)
            return len(files)

    def _expand(self, row: dict[str, Any]) -> CatalogRow:
        """A spooled ``{FROM_FILE: path}`` entry becomes the file's full row, here beside the
        acquisition rather than on nxsend's path (reading a file's header takes tens of ms)."""
        if FROM_FILE not in row:
            return cast(CatalogRow, row)  # as submit spooled it (check_row checks it again)
        path = self.root.path / row[FROM_FILE]
        return row_from_file(path, self.root, total_counts=row.get("total_counts"))

    def _remove_stale_temps(self) -> None:
        now = time.time()
        for temp in self.folder.glob(".*.tmp"):
            try:
                if now - temp.stat().st_mtime > STALE_TEMP_S:
                    temp.unlink()
            except FileNotFoundError:
                continue

    def _set_problem(self, problem: str | None) -> None:
        with self._lock:
            changed = problem != self._problem
            self._problem = problem
        if changed:
            _write_problem(self.root, self.key, problem)


PROBLEM_FILE = (
    "catalog-problem"  # in state/: the last sender's problem, absent when rows get through
)


def spool_key(url: str | None) -> str:
    """'' for the data root's own catalog, else a digest of the URL (no password shown)."""
    return "" if url is None else hashlib.sha256(url.encode()).hexdigest()[:16]


def _problem_path(root: DataRoot, key: str) -> Path:
    return root.state_dir / (f"{PROBLEM_FILE}-{key}" if key else PROBLEM_FILE)


_announced: dict[tuple[Path, str], str] = {}
_announced_lock = threading.Lock()


def catalog_news(root: DataRoot, url: str | None) -> str | None:
    """The catalog problem that a sender of this data root and catalog left (the writer
    process sends the rows), once per outage in this process; None while rows get through.
    Reads one small file: no sender, no database connection here."""
    key = spool_key(url)
    problem = _read_problem(root, key)
    with _announced_lock:
        if problem is None:
            _announced.pop((root.path, key), None)
            return None
        if (root.path, key) in _announced:
            return None
        _announced[(root.path, key)] = problem
        return problem


def _read_problem(root: DataRoot, key: str) -> str | None:
    try:
        return _problem_path(root, key).read_text("utf-8").strip() or None
    except OSError:
        return None


def _write_problem(root: DataRoot, key: str, problem: str | None) -> None:
    path = _problem_path(root, key)
    try:
        if problem is None:
            path.unlink(missing_ok=True)
        else:
            write_atomic(path, problem.encode("utf-8"))  # the URL's password is already hidden
    except OSError:
        pass  # a status for people; the rows themselves are safe in the spool


def _order(name: str) -> tuple[int, str]:
    # <prefix>_<fsn>.<ns>.json; a foreign name sorts first and fails loudly in upsert
    parts = name.split(".")
    try:
        return int(parts[-2]), name
    except (IndexError, ValueError):
        return 0, name


_SHARED: dict[tuple[Path, str | None], CatalogWriter] = {}
_SHARED_LOCK = threading.Lock()


def shared_writer(root: DataRoot, url: str | None = None) -> CatalogWriter:
    """One writer per (data root, URL) for the life of the process (the MacroServer)."""
    with _SHARED_LOCK:
        writer = _SHARED.get((root.path, url))
        if writer is None:
            writer = _SHARED[(root.path, url)] = CatalogWriter(root, url)
        return writer
