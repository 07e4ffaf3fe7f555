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

A series (``expose T N``) reserves its numbers at once (:meth:`FsnCounter.reserve`):
``state/fsn/<prefix>.reserved`` holds the block's top, fsynced once, and is
flock'ed by the reserving process while the series runs. Everyone else plans
after that top (a live block is somebody's; a stale one, left by a process that
died, may have handed out numbers whose store writes were lost); the block's
own numbers are written to the store without fsync (for lsfsn and the GUI).
When the series ends the store is made durable and the file removed, so only a
crash, or another process allocating meanwhile, leaves the unused rest as a gap.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sardana_nxsas.dataroot.durable import ensure_dir, exclusive_lock, fsync_dir, write_atomic
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.errors import ConfigError

log = logging.getLogger("sardana_nxsas.dataroot.fsn")

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
            stored = self._read_store(prefix)
            reserved = self._reservation(prefix)
            fsn, skipped = self._plan(prefix, _after(stored, reserved), warn=True)
            self._write_store(prefix, fsn)
            _last_written[(self.root.path, prefix)] = fsn
            if reserved is not None and not reserved.live:
                self.reservation_path(prefix).unlink(missing_ok=True)  # the store is past it
        self._warn_skipped(prefix, fsn, skipped)
        return Allocation(prefix, fsn, skipped)

    @contextmanager
    def reserve(self, prefix: str, count: int) -> Iterator[Block]:
        """Reserve ``count`` numbers for a series; hand them out with ``block.allocate()``."""
        prefix = self.root.prefix(prefix)
        with self._locked(prefix):
            stored = self._read_store(prefix)
            reserved = self._reservation(prefix)
            first, skipped = self._plan(prefix, _after(stored, reserved), warn=True)
            top = first + max(1, count) - 1
            path = self.reservation_path(prefix)
            _write_number(path, top, f"reserve FSNs of {prefix!r}")
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            fcntl.flock(fd, fcntl.LOCK_EX)  # tells the others this block is alive
        self._warn_skipped(prefix, first, skipped)
        block = Block(self, prefix, first, top, skipped)
        try:
            yield block
        finally:
            try:
                self._release(block)
            finally:
                os.close(fd)

    def _release(self, block: Block) -> None:
        """The store durable at the block's last number; the reservation removed."""
        prefix = block.prefix
        with self._locked(prefix):
            stored = self._read_store(prefix)
            if block.last is not None and (stored is None or stored <= block.last):
                self._write_store(prefix, block.last)
                _last_written[(self.root.path, prefix)] = block.last
            reserved = self._reservation(prefix)
            if reserved is not None and reserved.live and reserved.top == block.top:
                self.reservation_path(prefix).unlink(missing_ok=True)
                fsync_dir(self.store_dir)

    def _hand_out(self, block: Block) -> Allocation | None:
        """The block's next free number (store written, not fsynced), None when used up."""
        prefix = block.prefix
        with self._locked(prefix):
            fsn, skipped = block.next, []
            while fsn <= block.top and self.root.exists(prefix, fsn):
                skipped.append(fsn)
                fsn += 1
            if fsn > block.top:
                return None
            stored = self._read_store(prefix)
            if stored is None or stored < fsn:
                self._write_store(prefix, fsn, durable=False)
                _last_written[(self.root.path, prefix)] = fsn
        self._warn_skipped(prefix, fsn, tuple(skipped))
        return Allocation(prefix, fsn, tuple(skipped))

    def _warn_skipped(self, prefix: str, fsn: int, skipped: tuple[int, ...]) -> None:
        if skipped:
            shown = ", ".join(map(str, skipped[:10])) + (", ..." if len(skipped) > 10 else "")
            log.warning(
                "%s: skipped %d FSN(s) that already have files (%s); allocated %d",
                prefix,
                len(skipped),
                shown,
                fsn,
            )

    def last(self, prefix: str) -> int | None:
        """The last FSN handed out (from the store, else from disk); None if none ever."""
        prefix = self.root.prefix(prefix)
        stored = self._read_store(prefix)
        return stored if stored is not None else self.root.highest_fsn_on_disk(prefix)

    def next(self, prefix: str) -> int:
        """The next number an exposure gets (a running series' next, else allocate()'s)."""
        prefix = self.root.prefix(prefix)
        return self._next(prefix, self._read_store(prefix))

    def summary(self) -> dict[str, tuple[int | None, int]]:
        """Every configured prefix -> (last, next)."""
        result: dict[str, tuple[int | None, int]] = {}
        for prefix in self.root.prefixes:
            stored = self._read_store(prefix)
            last = stored if stored is not None else self.root.highest_fsn_on_disk(prefix)
            result[prefix] = (last, self._next(prefix, stored))
        return result

    def reservation_path(self, prefix: str) -> Path:
        return self.store_dir / f"{self.root.prefix(prefix)}.reserved"

    def _next(self, prefix: str, stored: int | None) -> int:
        reserved = self._reservation(prefix)
        if reserved is not None and reserved.live and stored is not None and stored < reserved.top:
            return stored + 1
        return self._plan(prefix, _after(stored, reserved))[0]

    def _reservation(self, prefix: str) -> Reservation | None:
        """The block reserved by a series (None if none); live while its process holds it."""
        path = self.reservation_path(prefix)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ConfigError(
                f"cannot read the FSN reservation {path} ({exc.strerror or exc}): "
                "fix the permissions of the data root"
            ) from None
        try:
            data = os.read(fd, _STORE_MAX_BYTES + 1)
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                live = False
            except BlockingIOError:
                live = True
        finally:
            os.close(fd)
        if not _STORE_RE.fullmatch(data):
            # a torn write can only be a stale one: the disk scan decides
            log.warning("%s: FSN reservation %s holds garbage %r", prefix, path, data)
            return Reservation(0, live)
        return Reservation(int(data), live)

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

    def _write_store(self, prefix: str, fsn: int, durable: bool = True) -> None:
        _write_number(self.store_path(prefix), fsn, f"record FSN {fsn} of {prefix!r}", durable)

    def _ensure_store_dir(self) -> None:
        ensure_dir(self.store_dir, self.root.path)

    def _locked(self, prefix: str) -> AbstractContextManager[None]:
        """An exclusive flock on state/fsn/<prefix>.lock (a fresh fd: also excludes threads)."""
        return exclusive_lock(
            self.store_dir / f"{prefix}.lock", self.lock_timeout, "FSN", self._ensure_store_dir
        )


def _write_number(path: Path, number: int, what: str, durable: bool = True) -> None:
    try:
        write_atomic(path, f"{number}\n".encode(), durable=durable)
    except OSError as exc:
        raise ConfigError(
            f"cannot {what} in {path} ({exc.strerror or exc}): "
            "free space or fix the permissions of the data root"
        ) from None


@dataclass(frozen=True)
class Reservation:
    top: int
    live: bool


def _after(stored: int | None, reserved: Reservation | None) -> int | None:
    """The number to plan after: the store, or a reserved block's top if higher."""
    if reserved is None or (stored is not None and stored >= reserved.top):
        return stored
    return reserved.top


class Block:
    """FSNs reserved for one series (see :meth:`FsnCounter.reserve`)."""

    def __init__(
        self, counter: FsnCounter, prefix: str, first: int, top: int, skipped: tuple[int, ...]
    ) -> None:
        self.counter, self.prefix, self.top = counter, prefix, top
        self.next = first
        self.last: int | None = None  # the last number handed out
        self._skipped = skipped

    def allocate(self) -> Allocation:
        """The next number: from the block while it lasts, then as allocate() would."""
        allocation = self.counter._hand_out(self) if self.next <= self.top else None
        if allocation is None:
            self.next = self.top + 1
            allocation = self.counter.allocate(self.prefix)
        else:
            self.next = allocation.fsn + 1
            skipped, self._skipped = self._skipped + allocation.skipped, ()
            allocation = Allocation(self.prefix, allocation.fsn, skipped)
        self.last = allocation.fsn
        return allocation


def lsfsn_lines(counter: FsnCounter) -> list[str]:
    """The ``lsfsn`` table: last and next FSN of every configured prefix."""
    lines = [f"{'prefix':<8}{'last':>8}{'next':>8}"]
    for prefix, (last, nxt) in counter.summary().items():
        lines.append(f"{prefix:<8}{'-' if last is None else last:>8}{nxt:>8}")
    return lines
