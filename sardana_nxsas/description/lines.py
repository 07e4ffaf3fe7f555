"""Line numbers of TOML keys, for messages: tomllib gives none.

A line scan, not a parser: it knows table headers, arrays of tables
(``[[aperture]]`` -> ``aperture[0]``, ``aperture[1]``...), ``key = value`` lines
with bare, quoted or dotted keys, and skips the inside of multi-line arrays,
inline tables and strings. Good enough to point at a key in a file that
tomllib has already accepted.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(#.*)?$")
_PART = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_KEY = re.compile(rf"^({_PART}(?:\s*\.\s*{_PART})*)\s*=(.*)$")


def key_lines(text: str) -> dict[str, int]:
    """Map each dotted key (and table) of ``text`` to the 1-based line where it appears."""
    found: dict[str, int] = {}
    table = ""
    arrays: dict[str, int] = {}
    depth = 0  # open brackets/braces of a multi-line value
    closing = ""  # the delimiter of an open multi-line string
    for number, raw in enumerate(text.splitlines(), 1):
        if closing:
            if closing in raw:
                closing = ""
            continue
        if depth:
            depth, closing = _scan(raw, depth)
            continue
        line = raw.strip()
        header = _HEADER.match(line)
        if header:
            name = _dotted(header.group(2))
            if header.group(1) == "[[":
                arrays[name] = arrays.get(name, -1) + 1
                name = f"{name}[{arrays[name]}]"
            table = name
            found.setdefault(table, number)
            continue
        pair = _KEY.match(line)
        if pair:
            key = _dotted(pair.group(1))
            found.setdefault(f"{table}.{key}" if table else key, number)
            depth, closing = _scan(pair.group(2), 0)
    return found


def _dotted(key: str) -> str:
    parts = re.findall(r'"[^"]*"|\'[^\']*\'|[^.\s]+', key)
    return ".".join(part.strip("\"'") for part in parts)


def _scan(text: str, depth: int) -> tuple[int, str]:
    """Bracket depth after ``text`` and an unclosed multi-line string delimiter, if any."""
    i = 0
    while i < len(text):
        char = text[i]
        if char == "#":
            break
        if text.startswith(('"""', "'''"), i):
            delimiter = text[i : i + 3]
            end = text.find(delimiter, i + 3)
            if end < 0:
                return depth, delimiter
            i = end + 3
            continue
        if char in "\"'":
            end = text.find(char, i + 1)
            while char == '"' and end > 0 and text[end - 1] == "\\":
                end = text.find(char, end + 1)
            i = len(text) if end < 0 else end + 1
            continue
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth = max(depth - 1, 0)
        i += 1
    return depth, ""
