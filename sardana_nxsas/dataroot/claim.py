"""Claiming a frame the detector wrote: it becomes ``images/<prefix>/<prefix>_<fsn>.cbf``.

The detector writes each frame wherever its value-referencing pattern points (for
the simulated instrument and after ``sardana-nxsas setup``: ``images/.incoming/``).
Giving it the exposure's name costs a hard link and an unlink (a rename that never
overwrites), so the measurement group's configuration stays untouched from one
exposure to the next (decision 0008). A frame on another file system is copied.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

from sardana_nxsas.dataroot.durable import fsync_dir
from sardana_nxsas.errors import FileExistsNxsError, NxsError

INCOMING = ".incoming"  # under images/: where the detector writes before a frame is claimed


def frame_path(reference: str) -> Path:
    """The local path of a value reference (``file:///d/x.cbf`` or a plain path)."""
    if "://" not in reference:
        return Path(reference)
    url = urlparse(reference)
    if url.scheme != "file":
        raise NxsError(
            f"frame reference {reference!r}: only file:// references can be claimed; "
            "set the detector's value-referencing pattern to file://…"
        )
    return Path(unquote(url.path))


def claim_frame(source: Path, dest: Path, wait: float = 5.0, settle: bool = True) -> Path:
    """Give ``source`` the name ``dest`` (never overwriting); return ``dest``.

    Waits up to ``wait`` s for the detector to save ``source`` (a LImA detector
    may save a moment after its acquisition ends). Durable when it returns
    (``dest``'s folder fsynced, then ``source`` unlinked). ``settle=False``: only
    the link is made; :func:`settle_claim` finishes the claim later, so that the
    folder's fsync can share the file system's commit with the exposure's
    complete job. ``source`` stays where it was if it has to be copied (another
    file system).
    """
    source, dest = Path(source), Path(dest)
    deadline = time.monotonic() + wait
    while not source.is_file():
        if time.monotonic() >= deadline:
            raise NxsError(
                f"the detector's frame {source} did not appear within {wait:g} s: "
                "check the detector's saving (value-referencing pattern)"
            )
        time.sleep(0.005)
    try:
        os.link(source, dest)
    except FileExistsError:
        raise FileExistsNxsError(
            f"{dest} already exists: sardana-nxsas never overwrites a frame"
        ) from None
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
            raise
        _copy_exclusive(source, dest)
        fsync_dir(dest.parent)
        return dest
    if settle:
        settle_claim(source, dest)
    return dest


def settle_claim(source: Path, dest: Path) -> None:
    """Make ``dest``'s name durable, then drop the detector's name of the same file.

    Idempotent: the writer repeats it for a claim whose macro died half-way, and
    links ``dest`` again if a power cut took the unsettled link.
    """
    source, dest = Path(source), Path(dest)
    if not dest.exists() and source.is_file():
        with contextlib.suppress(FileExistsError):
            os.link(source, dest)
    fsync_dir(dest.parent)
    try:
        same = os.path.samefile(source, dest)
    except FileNotFoundError:
        return
    if same:
        # not fsynced: after a power cut it may come back, a harmless second name
        source.unlink(missing_ok=True)


def _copy_exclusive(source: Path, dest: Path) -> None:
    with open(source, "rb") as src, open(dest, "xb") as out:
        shutil.copyfileobj(src, out, 1 << 20)
        out.flush()
        os.fsync(out.fileno())
