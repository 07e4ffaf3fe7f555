"""Small files that several processes share: an exclusive lock, atomic durable writes.

The same recipe as the FSN store (``fsn.py``), factored out so that other
stores (the sample registry) need not copy it:

* ``exclusive_lock(path)``: an ``flock`` on a lock file beside the data, on a
  fresh file descriptor, so it also excludes threads of one process; the
  kernel drops it when the holder dies, even by SIGKILL.
* ``write_atomic(path, data)``: temporary file + fsync + ``os.replace`` +
  fsync of the folder: a reader sees the old or the new content, never half of
  it, and after ``write_atomic`` returns the new content survives a power cut.
"""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sardana_nxsas import env
from sardana_nxsas.errors import ConfigError


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    except OSError as exc:
        # Some network file systems cannot fsync a directory; the rename stands.
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    """Flush a file another handle wrote (h5py closes without fsync) to the disk."""
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def ensure_dir(folder: Path, root: Path) -> None:
    """Create ``folder`` (inside the existing ``root``) and make its entry durable."""
    if folder.is_dir():
        return
    if not root.is_dir():
        # Never create the root itself: it may be an unmounted share.
        raise ConfigError(f"data root {root} does not exist: create it or set {env.DATA_ROOT}")
    missing = [p for p in [folder, *folder.parents] if p.is_relative_to(root) and p != root]
    try:
        for new in reversed(missing):
            if not new.is_dir():
                new.mkdir(exist_ok=True)
                fsync_dir(new.parent)
    except OSError as exc:
        raise ConfigError(
            f"cannot create {folder} ({exc.strerror or exc}): "
            f"check that the data root is writable ({env.DATA_ROOT})"
        ) from None


def write_atomic(path: Path, data: bytes, mode: int = 0o666, durable: bool = True) -> None:
    """Replace ``path`` by ``data`` atomically and durably (OSError on failure).

    ``mode`` before the umask: 0o600 for a file only its owner may read.
    ``durable=False``: atomic, but not fsynced (survives a killed process, not a power cut).
    """
    # A unique name: writers that do not hold a lock must not share a temp file.
    # os.open (not mkstemp) so the umask decides the mode, as for any new file:
    # the stores are shared by every account that runs a Door.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        fsync_dir(path.parent)


def remove_stale_temps(path: Path) -> None:
    """Delete temp files of ``write_atomic(path)`` left by a killed writer.

    Only safe while holding the lock that every writer of ``path`` takes.
    """
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        stale.unlink(missing_ok=True)


@contextmanager
def exclusive_lock(
    path: Path, timeout: float, what: str, prepare: Callable[[], None] | None = None
) -> Iterator[None]:
    """Hold an exclusive flock on ``path`` (created if missing) for the block.

    ``what`` names the lock in the error raised after ``timeout`` seconds;
    ``prepare`` (e.g. creating the folder) runs before every attempt.
    """
    deadline = time.monotonic() + timeout
    delay = 0.0002
    while True:
        if prepare is not None:
            prepare()
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            raise ConfigError(
                f"cannot open the {what} lock {path} ({exc.strerror or exc}): "
                "fix the permissions of the data root"
            ) from None
        try:
            # Polling rather than blocking so a hung holder gives an error, not a hang.
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise ConfigError(
                            f"the {what} lock {path} is held by another process for more "
                            f"than {timeout:g} s: find it with `fuser {path}` and stop it"
                        ) from None
                    time.sleep(delay)
                    delay = min(delay * 2, 0.005)
            # A lock on a file deleted meanwhile (state/ wiped) would guard nothing.
            if _same_file(fd, path):
                yield
                return
        finally:
            os.close(fd)  # also releases the lock


def _same_file(fd: int, path: Path) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    own = os.fstat(fd)
    return (own.st_dev, own.st_ino) == (st.st_dev, st.st_ino)
