"""The throwaway PostgreSQL the catalog tests use: loopback only, stopped by its own PID."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa

from sardana_nxsas.system.ports import listening_addresses


def test_listens_on_loopback_and_restarts(postgres_url) -> None:
    pg = postgres_url
    addresses = listening_addresses(pg.pid)
    assert addresses and all(host == "127.0.0.1" for host, _port in addresses), addresses
    engine = sa.create_engine(pg.url)
    with engine.connect() as connection:
        assert connection.execute(sa.text("select 1")).scalar() == 1
    old_pid = pg.pid
    pg.stop()
    assert not Path(f"/proc/{old_pid}").exists() or _zombie(old_pid)
    engine.dispose()
    pg.start()
    with engine.connect() as connection:
        assert connection.execute(sa.text("select 2")).scalar() == 2
    assert pg.pid != old_pid and os.path.exists(f"/proc/{pg.pid}")


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True
