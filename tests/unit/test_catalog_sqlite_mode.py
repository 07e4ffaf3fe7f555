"""The default SQLite catalog commits in WAL mode on a local disk, SQLite's way elsewhere."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sardana_nxsas.catalog import sqlite_mode
from sardana_nxsas.catalog.store import Catalog


def journal_mode(database: Path) -> str:
    with sqlite3.connect(database) as conn:
        return conn.execute("PRAGMA journal_mode").fetchone()[0]


def test_a_local_catalog_uses_wal(tmp_path: Path) -> None:
    assert sqlite_mode.file_system_type(tmp_path) not in sqlite_mode.NETWORK_FILE_SYSTEMS
    with Catalog(f"sqlite:///{tmp_path / 'catalog.sqlite'}"):
        pass
    assert journal_mode(tmp_path / "catalog.sqlite") == "wal"


def test_a_catalog_on_a_network_file_system_keeps_the_rollback_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_mode, "file_system_type", lambda path: "nfs4")
    with Catalog(f"sqlite:///{tmp_path / 'catalog.sqlite'}"):
        pass
    assert journal_mode(tmp_path / "catalog.sqlite") == "delete"


def test_the_file_system_is_read_from_mountinfo(tmp_path: Path, monkeypatch) -> None:
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(
        "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
        "40 22 0:40 / /data rw,relatime shared:20 - nfs4 srv:/data rw,vers=4.2\n"
        "41 40 0:41 / /data/local\\040disk rw shared:21 - xfs /dev/sdb1 rw\n"
    )
    monkeypatch.setattr(sqlite_mode, "MOUNTINFO", mountinfo)
    monkeypatch.setattr(sqlite_mode.os.path, "realpath", lambda p: str(p))
    assert sqlite_mode.file_system_type(Path("/data/saxs")) == "nfs4"
    assert sqlite_mode.file_system_type(Path("/data/local disk/x")) == "xfs"
    assert sqlite_mode.file_system_type(Path("/database")) == "ext4"
    assert not sqlite_mode.wants_wal("/data/saxs/catalog.sqlite")
    assert sqlite_mode.wants_wal("/data/local disk/catalog.sqlite")
    assert not sqlite_mode.wants_wal(":memory:")
