"""The spool: submit never waits for the database, and no submitted row is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from catalog_support import row

from sardana_nxsas.catalog import Catalog, CatalogWriter, spool
from sardana_nxsas.catalog.schema import CatalogError
from sardana_nxsas.dataroot.layout import DataRoot

CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from sardana_nxsas.catalog import CatalogWriter
    from sardana_nxsas.dataroot.layout import DataRoot
    writer = CatalogWriter(DataRoot(Path(sys.argv[1])), sys.argv[2])
    for fsn in range(1, 100000):
        writer.submit({"prefix": "crd", "fsn": fsn, "title": "t", "status": "running"})
        print(fsn, flush=True)
    """
)


def _wait_for(predicate, timeout: float = 15.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("reachable", [False, True], ids=["database-down", "database-up"])
def test_no_row_lost_when_the_process_is_killed(data_root: Path, reachable: bool) -> None:
    url = f"sqlite:///{data_root / ('catalog.sqlite' if reachable else 'missing/c.sqlite')}"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(data_root), url], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    submitted = 0
    for line in child.stdout:
        submitted = int(line)
        if submitted >= 40:
            break
    os.kill(child.pid, signal.SIGKILL)  # somewhere in the middle of the next submit
    rest = child.stdout.read().split()
    child.wait()
    submitted = int(rest[-1]) if rest else submitted
    (data_root / "missing").mkdir(exist_ok=True)  # the database is back
    good = url  # rows go to the catalog configured when they were made
    with CatalogWriter(DataRoot(data_root), good) as writer:  # the MacroServer restarts
        assert writer.flush(20), writer.problem()
    with Catalog(good) as catalog:
        fsns = {r["fsn"] for r in catalog.find()}
    assert set(range(1, submitted + 1)) <= fsns


def test_submit_never_waits_for_the_database(
    data_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    connecting, answer = threading.Event(), threading.Event()

    class HangingDatabase:  # a server that takes the connection and never answers
        def __init__(self, url: str) -> None:
            connecting.set()
            answer.wait(60)
            raise CatalogError("no answer")

    monkeypatch.setattr(spool, "Catalog", HangingDatabase)
    with CatalogWriter(DataRoot(data_root), "sqlite:///hanging.sqlite") as writer:
        writer.submit(row(1))
        assert connecting.wait(20)  # the sender is stuck in the database from now on
        submitting = threading.Thread(target=lambda: [writer.submit(row(n)) for n in range(2, 6)])
        submitting.start()
        submitting.join(20)  # an upper bound only: it ends at once unless submit waits
        stuck = submitting.is_alive()
        answer.set()
        assert not stuck  # every row spooled while the database hangs
        assert len(writer.pending()) == 5


def test_database_unreachable_then_back(data_root: Path) -> None:
    folder = data_root / "later"
    url = f"sqlite:///{folder / 'catalog.sqlite'}"
    with CatalogWriter(DataRoot(data_root), url) as writer:
        for fsn in range(1, 6):
            writer.submit(row(fsn))
        assert _wait_for(lambda: writer.problem() is not None)
        assert "cannot be opened" in (writer.problem() or "")
        assert writer.news() == writer.problem() and writer.news() is None  # warn once
        assert len(writer.pending()) == 5  # all kept in the spool meanwhile
        folder.mkdir()  # the database comes back
        assert writer.flush(20)
        assert _wait_for(lambda: writer.problem() is None)
    with Catalog(url) as catalog:
        assert [r["fsn"] for r in catalog.find()] == [1, 2, 3, 4, 5]


def test_postgres_down_then_back(data_root: Path, postgres_url) -> None:  # type: ignore[no-untyped-def]
    pg = postgres_url
    pg.stop()
    back = False
    try:
        with CatalogWriter(DataRoot(data_root), pg.url) as writer:
            writer.submit(row(1, "during the outage"))  # spooled (see the test above)
            assert _wait_for(lambda: writer.problem() is not None)
            problem = writer.problem() or ""
            assert "nxsas-test-secret" not in problem and "***" in problem, problem
            pg.start()
            back = True
            assert writer.flush(30), writer.problem()
    finally:
        if not back:
            pg.start()  # the server is shared by the session
    with Catalog(pg.url) as catalog:
        assert "during the outage" in [r["title"] for r in catalog.find()]


def test_submit_refuses_a_bad_row_at_once(data_root: Path) -> None:
    with CatalogWriter(DataRoot(data_root)) as writer, pytest.raises(Exception, match="unknown"):
        writer.submit({**row(1), "colour": "red"})
