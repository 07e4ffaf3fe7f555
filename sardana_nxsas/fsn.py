"""Durable, atomic allocation of file sequence numbers (FSN), one counter per prefix.

A number once handed out is never handed out again: the store
``state/fsn/<prefix>.last`` holds the last number handed out and is replaced
atomically and fsync'ed *before* allocate() returns, under an exclusive
``flock`` on ``state/fsn/<prefix>.lock`` (so processes and threads serialise;
the kernel drops the lock if the holder dies, even by SIGKILL).

The store is authoritative, the files on disk are the safety net: the folders
are scanned (~0.2 s per 100 000 files) when the store is missing or unreadable,
when it does not hold the number this process last wrote (first use, another
process allocated, or a restored backup that may lag behind the files), and
whenever a candidate number turns out to be taken.
"""

from __future__ import annotations

import logging
import re
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from sardana_nxsas.durable import ensure_dir, exclusive_lock, write_atomic
from sardana_nxsas.errors import ConfigError
from sardana_nxsas.layout import DataRoot

log = logging.getLogger("sardana_nxsas.fsn")

# Strict on purpose: int() would also accept " +1_0 ".
_STORE_RE = re.compile(rb"[0-9]{1,30}\n?")
_STORE_MAX_BYTES = 64

# (data root, prefix) -> the number this process last wrote to the store. Only
# an optimisation: a store holding it needs no disk scan. Written under the flock.
_last_written: dict[tuple[Path, str], int] = {}


@dataclass(frozen=True)
class Allocation:
    """One handed-out FSN; ``skipped`` lists numbers passed over because files existed."""

    prefix: str
    fsn: int
    skipped: tuple[int, ...] = ()


class FsnCounter:
    """Hands out FSNs for the prefixes of a data root."""

    FIRST_FSN = 1

    def __init__(self, root: DataRoot, *, lock_timeout: float = 30.0) -> None:
        self.root = root
        self.lock_timeout = lock_timeout

    @property
    def store_dir(self) -> Path:
        return self.root.state_dir / "fsn"

    def store_path(self, prefix: str) -> Path:
        return self.store_dir / f"{self.root.prefix(prefix)}.last"

    # -- public API ---------------------------------------------------------

    def allocate(self, prefix: str) -> Allocation:
        """Hand out the next free FSN of ``prefix``; it is on disk when this returns."""
        prefix = self.root.prefix(prefix)
        with self._locked(prefix):
            fsn, skipped = self._plan(prefix, self._read_store(prefix), warn=True)
            self._write_store(prefix, fsn)
            _last_written[(self.root.path, prefix)] = fsn
        if skipped:
            shown = ", ".join(map(str, skipped[:10])) + (", ..." if len(skipped) > 10 else "")
            log.warning(
                "%s: skipped %d FSN(s) that already have files (%s); allocated %d",
                prefix,
                len(skipped),
                shown,
                fsn,
            )
        return Allocation(prefix, fsn, skipped)

    def last(self, prefix: str) -> int | None:
        """The last FSN handed out (from the store, else from disk); None if none ever."""
        prefix = self.root.prefix(prefix)
        stored = self._read_store(prefix)
        return stored if stored is not None else self.root.highest_fsn_on_disk(prefix)

    def next(self, prefix: str) -> int:
        """What allocate() would hand out now, without allocating."""
        prefix = self.root.prefix(prefix)
        return self._plan(prefix, self._read_store(prefix))[0]

    def summary(self) -> dict[str, tuple[int | None, int]]:
        """Every configured prefix -> (last, next)."""
        result: dict[str, tuple[int | None, int]] = {}
        for prefix in self.root.prefixes:
            stored = self._read_store(prefix)
            last = stored if stored is not None else self.root.highest_fsn_on_disk(prefix)
            result[prefix] = (last, self._plan(prefix, stored)[0])
        return result

    # -- internals ----------------------------------------------------------

    def _plan(
        self, prefix: str, stored: int | None, warn: bool = False
    ) -> tuple[int, tuple[int, ...]]:
        """The number to hand out given the store, and the taken numbers passed over."""
        candidate = self.FIRST_FSN if stored is None else max(stored + 1, self.FIRST_FSN)
        skipped: list[int] = []
        known = stored is not None and _last_written.get((self.root.path, prefix)) == stored
        if not known or self.root.exists(prefix, candidate):
            taken = sorted(n for n in self.root.fsns_on_disk(prefix) if n >= candidate)
            if taken:
                # Gaps below the highest file may have gone to failed exposures
                # the store forgot: never reuse them.
                candidate = taken[-1] + 1
                if stored is not None:
                    skipped = taken  # the store was behind: these names were taken
                if warn:
                    log.warning(
                        "%s: FSN store %s; continuing after the highest FSN on disk, %d",
                        prefix,
                        "missing or unreadable" if stored is None else f"says {stored}",
                        taken[-1],
                    )
        # exists() sees exact names that a concurrent writer may just have created.
        while self.root.exists(prefix, candidate):
            skipped.append(candidate)
            candidate += 1
        return candidate, tuple(skipped)

    def _read_store(self, prefix: str) -> int | None:
        path = self.store_path(prefix)
        try:
            with open(path, "rb") as f:
                data = f.read(_STORE_MAX_BYTES + 1)
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning(
                "%s: cannot read FSN store %s (%s); using the files on disk", prefix, path, exc
            )
            return None
        if not _STORE_RE.fullmatch(data):
            log.warning(
                "%s: FSN store %s holds garbage %r; using the files on disk",
                prefix,
                path,
                data[:_STORE_MAX_BYTES],
            )
            return None
        return int(data)

    def _write_store(self, prefix: str, fsn: int) -> None:
        path = self.store_path(prefix)
        try:
            write_atomic(path, f"{fsn}\n".encode())
        except OSError as exc:
            raise ConfigError(
                f"cannot record FSN {fsn} of {prefix!r} in {path} ({exc.strerror or exc}): "
                "free space or fix the permissions of the data root"
            ) from None

    def _ensure_store_dir(self) -> None:
        ensure_dir(self.store_dir, self.root.path)

    def _locked(self, prefix: str) -> AbstractContextManager[None]:
        """An exclusive flock on state/fsn/<prefix>.lock (a fresh fd: also excludes threads)."""
        return exclusive_lock(
            self.store_dir / f"{prefix}.lock", self.lock_timeout, "FSN", self._ensure_store_dir
        )


def lsfsn_lines(counter: FsnCounter) -> list[str]:
    """The ``lsfsn`` table: last and next FSN of every configured prefix."""
    lines = [f"{'prefix':<8}{'last':>8}{'next':>8}"]
    for prefix, (last, nxt) in counter.summary().items():
        lines.append(f"{prefix:<8}{'-' if last is None else last:>8}{nxt:>8}")
    return lines
