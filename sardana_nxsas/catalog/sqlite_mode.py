"""How the default SQLite catalog commits: WAL on a local disk, SQLite's default elsewhere.

SQLite's default (rollback journal, ``synchronous=FULL``) flushes the disk three times
per commit; the writer commits a row twice per exposure and the reducer once more,
and those flushes queue behind the frames in the file system's journal, where the
macros' own fsyncs wait too. In WAL mode with ``synchronous=NORMAL`` a commit flushes
nothing (checkpoints do): after a power cut the last commits may be missing, never
corrupt, and ``catalog reindex`` puts them back from the files, which are the source
of truth. WAL needs shared memory between the processes, which network file systems
do not give, so a catalog there keeps SQLite's default.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

NETWORK_FILE_SYSTEMS = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "ceph", "glusterfs", "fuse.glusterfs",
     "fuse.sshfs", "9p", "afs", "lustre", "gpfs", "beegfs", "fuse.cephfs", "virtiofs"}
)  # fmt: skip
MOUNTINFO = Path("/proc/self/mountinfo")


def file_system_type(path: Path) -> str | None:
    """The type of the file system ``path`` is on (None if this system does not tell)."""
    try:
        lines = MOUNTINFO.read_text().splitlines()
    except OSError:
        return None
    target = os.path.realpath(path)
    best, kind = "", None
    for line in lines:
        fields = line.split()
        try:
            mount = fields[4].replace("\\040", " ")
            fs_type = fields[fields.index("-") + 1]
        except (IndexError, ValueError):
            continue
        inside = target == mount or target.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) >= len(best):
            best, kind = mount, fs_type
    return kind


def wants_wal(database: str | None) -> bool:
    """True for a file database on a file system known to be local."""
    if not database or database == ":memory:":
        return False
    kind = file_system_type(Path(database).absolute().parent)
    return kind is not None and kind not in NETWORK_FILE_SYSTEMS


def use_wal(dbapi_connection: Any, _record: Any = None) -> None:
    """A SQLAlchemy ``connect`` listener: WAL and one flush per checkpoint."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()
