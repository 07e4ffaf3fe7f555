"""What a macro run through the Door gave back, and how a macro line is sent.

Kept free of Tango so that callers (the command line, tests) can use it alone;
:class:`RunCapture` collects what the Door's events report about one run.
"""

from __future__ import annotations

import json
import re
import shlex
import time
from dataclasses import dataclass, field
from typing import Any

from sardana_nxsas.errors import NxsError


class MacroError(NxsError):
    """A macro failed, was stopped or aborted, or the Door rejected it."""

    def __init__(self, message: str, result: MacroResult) -> None:
        super().__init__(message)
        self.result = result


@dataclass
class MacroResult:
    ok: bool  # finished normally (not failed, not stopped/aborted, not rejected)
    state: str  # final Door state name ("ON", "ALARM", ...)
    output: list[str]
    info: list[str]
    warnings: list[str]
    errors: list[str]
    result: Any  # None; one str; or list[str] when the macro returned several values
    seconds: float
    macro: list[str] = field(default_factory=list)
    status: str = ""  # top macro's last MacroStatus: finish/stop/abort/exception/rejected

    @property
    def text(self) -> str:
        return "\n".join(self.output)


def macro_line(*macro: str | list[str]) -> list[str]:
    """["ct", "0.1"] from ("ct", "0.1"), (["ct", "0.1"],) or ("ct 0.1",)."""
    if len(macro) == 1 and isinstance(macro[0], str):
        tokens = shlex.split(macro[0])
    else:
        tokens = [str(t) for part in macro for t in ([part] if isinstance(part, str) else part)]
    if not tokens:
        raise ValueError("no macro given")
    # the Door joins the parameters with spaces and parses them again
    return [_quote(t) if i else t for i, t in enumerate(tokens)]


def _quote(token: str) -> str:
    if token and not re.search(r"\s", token):
        return token
    return f"'{token}'" if '"' in token else f'"{token}"'


STREAMS = {"output": "output", "info": "info", "warning": "warnings", "error": "errors"}
BLOCK_MARKERS = ("<BLOCK>", "</BLOCK>")  # spock's "redraw this block" tags, not text
_FAILED = ("stop", "abort", "exception")


@dataclass
class RunCapture:
    """Everything the Door reported about one RunMacro, as it arrives."""

    macro: list[str]
    t0: float = field(default_factory=time.monotonic)
    lines: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in STREAMS.values()})
    result: Any = None
    statuses: dict[str, str] = field(default_factory=dict)  # macro id -> last state
    top_ids: list[str] = field(default_factory=list)
    saw_running: bool = False
    final_state: str | None = None
    rejected: str | None = None  # RunMacro refused it: unknown macro, door busy, ...
    last_event: float = 0.0
    idle_since: float | None = None

    @property
    def done(self) -> bool:
        return self.rejected is not None or self.final_state is not None

    def add_lines(self, attribute: str, lines: Any) -> None:
        """Lines of one log record pushed on Output/Info/Warning/Error."""
        kept = [line for line in lines or () if line not in BLOCK_MARKERS]
        self.lines[STREAMS[attribute]].extend(kept)

    def add_statuses(self, data: bytes | str) -> None:
        """A MacroStatus event: JSON list of {id, state, ...} for the macro and sub-macros."""
        for status in json.loads(data) if data else ():
            if "id" in status and "state" in status:
                self.statuses[str(status["id"])] = status["state"]

    def set_result(self, values: Any) -> None:
        values = list(values or ())
        self.result = values[0] if len(values) == 1 else values or None

    def to_result(self, door_state: str = "") -> MacroResult:
        """The MacroResult; ``door_state`` is used only for a rejected macro."""
        errors = list(self.lines["errors"])
        if self.rejected is not None:
            errors.append(self.rejected)
            ok, state, status = False, door_state, "rejected"
        else:
            if self.top_ids:
                top = [self.statuses.get(i, "") for i in self.top_ids]
                finished = all(s == "finish" for s in top)
            else:  # RunMacro's reply not understood: judge by every macro seen
                top = list(self.statuses.values())[:1]
                finished = not any(s in _FAILED for s in self.statuses.values())
            state, status = self.final_state or "", top[-1] if top else ""
            ok = state == "ON" and finished
        return MacroResult(
            ok=ok,
            state=state,
            output=self.lines["output"],
            info=self.lines["info"],
            warnings=self.lines["warnings"],
            errors=errors,
            result=self.result,
            seconds=time.monotonic() - self.t0,
            macro=self.macro,
            status=status,
        )
