"""A session left open by a MacroServer that died is recognised and closed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sardana_nxsas.acquisition import recovery
from sardana_nxsas.acquisition.exposure import Session, Summary

OTHER_PID = os.getpid() + 1


class Closer:
    """Records what recovery asks to finish, and the warnings."""

    def __init__(self) -> None:
        self.finished: list[tuple[Session, str, str | None]] = []
        self.warnings: list[str] = []

    def finish(self, *, session: Session, status: str, reason: str | None) -> Summary:
        self.finished.append((session, status, reason))
        return Summary(session.identifier, Path(session.nxs), session.title, status, None)

    def open(self, data: dict[str, object] | None) -> Session | None:
        return recovery.open_session(data, self.finish, self.warnings.append)


def stored(pid: int | None, frame: bool) -> dict[str, object]:
    session = Session("crd", 7, "GC", "/d/nexus/crd/crd_00007.nxs", "/d/crd_00007.cbf", "now")
    if frame:
        session.frame_file = session.cbf
    if pid is not None:
        recovery.mark_owned(session, pid)
    return session.to_dict()


@pytest.mark.parametrize("data", [None, {}])
def test_no_session(data: dict[str, object] | None) -> None:
    closer = Closer()
    assert closer.open(data) is None
    assert closer.finished == [] and closer.warnings == []


def test_this_servers_session_stays_open() -> None:
    closer = Closer()
    session = closer.open(stored(os.getpid(), frame=False))
    assert session is not None and session.identifier == "crd_00007"
    assert closer.finished == [] and closer.warnings == []


def test_a_session_of_an_older_version_counts_as_this_servers() -> None:
    closer = Closer()
    assert closer.open(stored(None, frame=True)) is not None
    assert closer.finished == []


@pytest.mark.parametrize(("frame", "status"), [(True, "complete"), (False, "failed")])
def test_a_dead_servers_session_is_closed_and_told(frame: bool, status: str) -> None:
    closer = Closer()
    assert closer.open(stored(OTHER_PID, frame)) is None
    [(session, finished_as, reason)] = closer.finished
    assert session.identifier == "crd_00007" and finished_as == status
    assert reason == "the MacroServer stopped during this exposure"
    [warning] = closer.warnings
    assert warning.startswith("crd_00007 was left open by a MacroServer that stopped; closed it: ")
    assert warning.endswith("crd_00007.nxs  'GC'  -" + ("" if frame else " [FAILED]"))


def test_mark_owned_is_this_process_by_default() -> None:
    session = Session.from_dict(stored(None, frame=False))
    recovery.mark_owned(session)
    assert not recovery.left_open(session)
    assert recovery.left_open(session, pid=OTHER_PID)
