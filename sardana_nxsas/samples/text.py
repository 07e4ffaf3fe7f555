"""Samples as operators type and read them: ``field value [error]`` words, a table, a card.

The words come from spock one by one (``nxssample set GC thickness 0.1 0.001``);
parsing them here, not in the macro, keeps the syntax testable without Sardana.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from sardana_nxsas.samples.model import ERROR_OF, NUMBER_FIELDS, Sample, SampleError, field_list

# Tango carries strings as Latin-1: the Door can neither take nor print other
# characters (a macro printing one fails). They travel as \uXXXX escapes.
_ESCAPE_RE = re.compile(r"\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})")

CLEAR = "-"
# The Sardana parameter parser hands an empty quoted string over with its quotes.
_EMPTY = {CLEAR, '""', "''"}
ALIASES = {
    "x": "position_x",
    "y": "position_y",
    "x_error": "position_x_error",
    "y_error": "position_y_error",
    "date": "preparation_date",
    "preparedby": "prepared_by",
}
_FIELDS = (
    "title",
    *NUMBER_FIELDS,
    "category",
    "situation",
    "description",
    "preparation_date",
    "prepared_by",
    "project",
)


def door_text(text: str) -> str:
    """``text`` as the Door can print it: characters beyond Latin-1 as \\uXXXX."""
    return text.encode("latin-1", "backslashreplace").decode("latin-1")


def from_door(word: str) -> str:
    """A word typed in spock, its \\uXXXX / \\UXXXXXXXX escapes decoded (door_text's inverse)."""

    def char(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        if code > 0x10FFFF:
            raise SampleError(f"{match.group(0)!r} is not a character: use \\uXXXX or \\UXXXXXXXX")
        return chr(code)

    return _ESCAPE_RE.sub(char, word)


def field_name(word: str) -> str:
    """The field a word names (``x`` -> ``position_x``), case-insensitively."""
    key = word.casefold()
    name = ALIASES.get(key, key)
    if name not in _FIELDS:
        close = difflib.get_close_matches(key, [*_FIELDS, *ALIASES], n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise SampleError(
            f"unknown sample field {word!r}: {hint}use one of {field_list()} (or x, y, date)"
        )
    return name


def _is_number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True


def _convert(name: str, word: str, today: date) -> Any:
    if word in _EMPTY:
        # title None: the name again; text fields: empty; category/situation refuse
        return "" if name in ("description", "prepared_by", "project") else None
    if name in NUMBER_FIELDS:
        if not _is_number(word):
            raise SampleError(f"{name} {word!r} is not a number: give e.g. {name} 0.1")
        return float(word)
    if name == "preparation_date" and word.casefold() == "today":
        return today.isoformat()
    return word


def parse_changes(words: Sequence[str], today: date | None = None) -> dict[str, Any]:
    """``["thickness", "0.1", "0.001", "x", "20"]`` -> ``{"thickness": 0.1, ...}``.

    A number with an uncertainty takes an optional second number; giving the
    value alone clears its uncertainty (they come from one measurement). ``-``
    clears a field.
    """
    today = today or date.today()
    changes: dict[str, Any] = {}
    given: set[str] = set()
    index = 0
    while index < len(words):
        name = field_name(words[index])
        if index + 1 >= len(words):
            raise SampleError(f"{words[index]!r} needs a value: give {words[index]} <value>")
        value_word = words[index + 1]
        index += 2
        names = [name]
        error_name = ERROR_OF.get(name)
        if error_name is not None:
            has_error = index < len(words) and (_is_number(words[index]) or words[index] in _EMPTY)
            changes.setdefault(error_name, None)  # unless given explicitly
            if has_error:
                changes[error_name] = _convert(error_name, words[index], today)
                names.append(error_name)
                index += 1
        for n in names:
            if n in given:
                raise SampleError(f"{n} is given twice: give each field once")
            given.add(n)
        changes[name] = _convert(name, value_word, today)
    return changes


def _pm(value: float | None, error: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:g}" if error is None else f"{value:g} ± {error:g}"


def _unit(text: str, unit: str) -> str:
    return text if text == "-" else f"{text} {unit}"


def table(
    samples: Sequence[Sample], current: str | None = None, for_door: bool = False
) -> list[str]:
    """A header, then one line per sample (``*`` marks ``current``), names verbatim.

    ``for_door``: cells as door_text, aligned as they will be printed.
    """
    header: tuple[str, ...] = (
        "",
        "name",
        "category",
        "thickness/cm",
        "transmission",
        "x/mm",
        "y/mm",
        "project",
    )
    rows: list[tuple[str, ...]] = [
        (
            "*" if s.name == current else "",
            s.name,
            s.category,
            _pm(s.thickness, s.thickness_error),
            _pm(s.transmission, s.transmission_error),
            _pm(s.position_x, None),
            _pm(s.position_y, None),
            s.project or "-",
        )
        for s in samples
    ]
    if for_door:
        rows = [tuple(door_text(cell) for cell in row) for row in rows]
    if not any(row[0] for row in rows):  # nothing to mark: no marker column
        header, rows = header[1:], [row[1:] for row in rows]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]


def describe(sample: Sample) -> list[str]:
    """Every field of ``sample``, one per line."""
    s = sample
    prepared = " ".join(
        part
        for part in (
            f"by {s.prepared_by}" if s.prepared_by else "",
            f"on {s.preparation_date}" if s.preparation_date else "",
        )
        if part
    )
    lines = [
        ("name", s.name),
        ("title", s.title if s.title is not None else f"{s.name} (the name)"),
        ("category", s.category),
        ("situation", s.situation),
        ("thickness", _unit(_pm(s.thickness, s.thickness_error), "cm")),
        ("transmission", _pm(s.transmission, s.transmission_error)),
        ("position x", _unit(_pm(s.position_x, s.position_x_error), "mm")),
        ("position y", _unit(_pm(s.position_y, s.position_y_error), "mm")),
        ("distminus", _unit(_pm(s.distminus, None), "mm")),
        ("prepared", prepared or "-"),
        ("project", s.project or "-"),
        ("description", s.description or "-"),
    ]
    return [f"{key + ':':<14}{value}" for key, value in lines]
