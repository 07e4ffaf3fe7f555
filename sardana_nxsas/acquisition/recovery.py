"""An exposure left open by a MacroServer that died: recognised and closed.

The open session lives in the MacroServer environment, which outlives the server.
Each session records the process that opened it; a session of another process
was left by a server that stopped (crashed, killed, restarted) between nxsbegin
and nxsend. The next exposure macro closes it: *complete* if its frame had been
counted (the record is whole), *failed* otherwise, and tells the operator.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Protocol

from sardana_nxsas.acquisition.exposure import Session, Summary

SERVER_PID = "server_pid"  # in Session.extra: the process of the MacroServer that opened it
LEFT_OPEN_REASON = "the MacroServer stopped during this exposure"


class Finish(Protocol):
    """Closes ``session`` with ``status`` (nxsend's work: the complete job, the environment)."""

    def __call__(self, *, session: Session, status: str, reason: str | None) -> Summary: ...


def mark_owned(session: Session, pid: int | None = None) -> None:
    """Record the process that opened ``session`` (this one by default)."""
    session.extra[SERVER_PID] = os.getpid() if pid is None else pid


def left_open(session: Session, pid: int | None = None) -> bool:
    """Whether ``session`` was opened by another MacroServer process than ``pid``'s.
    A session without a process (an older version's) counts as this process's own."""
    pid = os.getpid() if pid is None else pid
    return session.extra.get(SERVER_PID, pid) != pid


def open_session(
    data: Mapping[str, object] | None,
    finish: Finish,
    warn: Callable[[str], None],
    pid: int | None = None,
) -> Session | None:
    """The open exposure stored in the environment (``data``), or None. One left open
    by a MacroServer that stopped is closed with ``finish`` and told with ``warn``."""
    if not data:
        return None
    session = Session.from_dict(dict(data))
    if not left_open(session, pid):
        return session
    status = "complete" if session.frame_file else "failed"  # counted before the crash?
    summary = finish(session=session, status=status, reason=LEFT_OPEN_REASON)
    warn(
        f"{session.identifier} was left open by a MacroServer that stopped; "
        f"closed it: {summary.line()}"
    )
    return None
