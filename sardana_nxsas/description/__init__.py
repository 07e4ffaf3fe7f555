"""The instrument description: one TOML file that says what each exposure records.

Each NeXus field is a constant or a reference to where it is read at
each exposure (a motor, a counter/0D channel, a Tango attribute, a MacroServer
environment variable), with units. The Sardana adapter:

1. ``description = load_description(path)``       ConfigError: first problem, one line
2. ``require_elements(description, exists)``     refuses if an element does not exist
3. reads every ``description.sources(motors)`` -> ``{ref.key: Reading}``
4. ``info = resolve(description, readings)``     never fails for an unreadable value

``check_description(path)`` lists every problem at once (``sardana-nxsas
instrument check FILE``); ``load_instrument(path)`` is steps 1 and 4 with no readings
(the constants, every sourced field listed as missing). Beam centre positions are given
in pixels (0-based), as operators read them off an image; the writer converts them to
the lengths NXsas asks for. See docs/reference/instrument-description.md.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from sardana_nxsas.description.info import InstrumentInfo, MissingValue, Quantity
from sardana_nxsas.description.model import (
    ELEMENT_KINDS,
    SOURCE_KINDS,
    InstrumentDescription,
    Problem,
    Reading,
    SourceRef,
    Value,
)
from sardana_nxsas.description.parse import parse
from sardana_nxsas.description.resolve import resolve
from sardana_nxsas.errors import ConfigError

__all__ = [
    "load_instrument",
    "ELEMENT_KINDS",
    "SOURCE_KINDS",
    "InstrumentDescription",
    "InstrumentInfo",
    "MissingValue",
    "Problem",
    "Quantity",
    "Reading",
    "SourceRef",
    "Value",
    "check_description",
    "check_elements",
    "load_description",
    "require_elements",
    "resolve",
]

Exists = Callable[[str, str], bool]  # (kind, name) -> does the element/attribute exist


def check_description(path: Path) -> list[Problem]:
    """Every problem in the file (empty: the description is usable)."""
    return parse(Path(path))[1]


def load_description(path: Path) -> InstrumentDescription:
    """The checked description; ConfigError names the first problem (and how many more).

    Parsed once per version of the file (path, size, modification time): every exposure
    reads it at nxsbegin, ct and nxsend, and an edit takes effect at the next one.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        stat = None  # parse() reports the missing file
    if stat is None:
        return _load(path, None)
    return _load(path, (stat.st_size, stat.st_mtime_ns, stat.st_ino))


@functools.lru_cache(maxsize=8)
def load_instrument(path: Path) -> InstrumentInfo:
    """Read and check a description, resolved without readings: fields that come from
    sources are listed in ``InstrumentInfo.missing`` (the adapter reads them and calls
    :func:`resolve` itself). ConfigError names the file, line and key."""
    return resolve(load_description(path), {})


def _load(path: Path, version: tuple[int, int, int] | None) -> InstrumentDescription:
    description, problems = parse(path)
    _raise_first(path, problems)
    if description is None:  # unreadable files always come with a problem
        raise ConfigError(f"{path}: cannot read the instrument description")
    return description


def check_elements(description: InstrumentDescription, exists: Exists) -> list[Problem]:
    """Ask ``exists(kind, name)`` about every motor, channel and Tango attribute referenced.

    ``kind`` is "motor", "channel" or "tango" (name: ``[tango://host:port/]d/f/m/attr``).
    Environment variables are not checked: an unset one is a missing value, not an error.
    """
    problems = []
    answers: dict[tuple[str, str], bool] = {}
    refs = description.sources()
    refs += [SourceRef("positioners.exclude", "motor", n) for n in description.positioners.exclude]
    for ref in refs:
        if ref.kind not in ELEMENT_KINDS:
            continue
        asked = (ref.kind, ref.target)
        if asked not in answers:
            answers[asked] = bool(exists(*asked))
        if not answers[asked]:
            key = ref.key
            if key.startswith("positioners.") and key != "positioners.exclude":
                key = "positioners.include"  # a recorded motor: point at the list naming it
            what = "Tango attribute" if ref.kind == "tango" else ref.kind
            problems.append(description.problem(key, f"{what} {ref.target!r} does not exist"))
    return sorted(problems, key=lambda p: p.lineno or 0)


def require_elements(description: InstrumentDescription, exists: Exists) -> None:
    """ConfigError (one line, the first problem) if a referenced element does not exist."""
    _raise_first(description.path, check_elements(description, exists))


def _raise_first(path: Path, problems: list[Problem]) -> None:
    if not problems:
        return
    more = len(problems) - 1
    hint = f" (and {more} more: sardana-nxsas instrument check {path})" if more else ""
    raise ConfigError(problems[0].line() + hint)
