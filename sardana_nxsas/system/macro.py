"""What a macro run through the Door gave back, and how a macro line is sent.

Kept free of Tango so that callers (the command line, tests) can use it alone.
"""

from __future__ import annotations

import re
import shlex
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
