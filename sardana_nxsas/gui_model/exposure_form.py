"""The Exposure panel's form: check what the operator typed, build the macro lines.

The Start button is enabled only when :func:`check_exposure_form` says ``ok``;
otherwise its ``reason`` is shown beside it. The lines are run through the Door
in order, exactly as an operator would type them in spock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from sardana_nxsas.dataroot.fsn import FsnCounter
from sardana_nxsas.dataroot.layout import DEFAULT_PREFIXES, DataRoot, check_prefix_syntax
from sardana_nxsas.errors import NxsError
from sardana_nxsas.samples.text import door_text

MAX_IMAGES = 100_000


@dataclass(frozen=True)
class FormCheck:
    """The verdict on the form: ``ok``, else the ``reason`` (one line for the operator)."""

    ok: bool
    reason: str = ""
    macros: tuple[tuple[str, ...], ...] = field(default_factory=tuple)
    total_seconds: float = 0.0  # counting time of the whole series (for the progress bar)


def _number(text: str, what: str) -> float:
    text = text.strip()
    if not text:
        raise NxsError(f"give the {what}")
    try:
        return float(text)
    except ValueError:
        raise NxsError(f"{what} {text!r} is not a number") from None


def check_exposure_form(
    prefix: str,
    sample: str,
    time_text: str,
    count_text: str,
    prefixes: tuple[str, ...] = DEFAULT_PREFIXES,
) -> FormCheck:
    """Check the form; ``ok`` with the macro lines to run, else the reason.

    ``sample`` empty keeps the sample chosen now (``NxsSample``); a name is chosen
    with ``nxssample use NAME`` before ``expose`` (the title follows it).
    """
    try:
        seconds = _number(time_text, "exposure time")
        if not math.isfinite(seconds) or seconds <= 0:
            raise NxsError(f"exposure time {time_text.strip()}: give a positive number of seconds")
        count = _number(count_text, "number of images")
        if count != int(count) or not math.isfinite(count):
            raise NxsError(f"number of images {count_text.strip()!r} must be a whole number")
        if count < 1:
            raise NxsError(f"number of images {int(count)} must be at least 1")
        if count > MAX_IMAGES:
            raise NxsError(f"number of images {int(count)}: at most {MAX_IMAGES} at once")
        prefix = prefix.strip()
        if not prefix:
            raise NxsError("choose a prefix")
        check_prefix_syntax(prefix)
        if prefix not in prefixes:
            raise NxsError(f"unknown prefix {prefix!r}: use one of {', '.join(prefixes)}")
    except NxsError as exc:
        return FormCheck(False, str(exc))
    macros: list[tuple[str, ...]] = []
    if sample.strip():
        macros.append(("nxssample", "use", door_text(sample.strip())))
    macros.append(("expose", f"{seconds:g}", str(int(count)), prefix))
    return FormCheck(True, "", tuple(macros), seconds * int(count))


def move_macro(sample: str) -> tuple[str, ...]:
    """Choose ``sample`` and drive the sample motors to its position."""
    return ("nxssample", "use", door_text(sample.strip()), "move")


def progress(elapsed: float, total: float, done: bool = False) -> tuple[int, str]:
    """Percent for the progress bar (99 at most until ``done``) and 'elapsed / left' text."""
    if done:
        return 100, f"{elapsed:.1f} s elapsed, done"
    if total <= 0:
        return 0, f"{elapsed:.1f} s elapsed"
    percent = min(99, int(100 * elapsed / total))
    left = max(0.0, total - elapsed)
    return percent, f"{elapsed:.1f} s elapsed, {left:.1f} s left"


def fsn_rows(
    root: Path, prefixes: tuple[str, ...] = DEFAULT_PREFIXES
) -> list[tuple[str, str, str]]:
    """(prefix, last, next) of every prefix, as ``lsfsn`` prints them ('-': none yet)."""
    counter = FsnCounter(DataRoot(Path(root), prefixes))
    return [
        (prefix, "-" if last is None else str(last), str(nxt))
        for prefix, (last, nxt) in counter.summary().items()
    ]
