"""The Samples panel's table: rows from the registry, edits as ``nxssample`` macro lines.

The panel reads the registry (``state/samples.json``, what ``nxssample list``
reads) and sends every change as the ``nxssample`` line an operator would type
in spock, through the Door: one code path. An edit is checked here first with
the same parser and rules (``parse_changes``, ``Sample``), so a typo is shown at
once without a round trip; the macro checks it again.
"""

from __future__ import annotations

from sardana_nxsas.errors import NxsError
from sardana_nxsas.samples.model import ERROR_OF, Sample
from sardana_nxsas.samples.text import door_text, parse_changes

# (header, Sample attribute, nxssample field word)
SAMPLE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("name", "name", "name"),
    ("title", "title", "title"),
    ("thickness / cm", "thickness", "thickness"),
    ("± thickness", "thickness_error", "thickness"),
    ("transmission", "transmission", "transmission"),
    ("± transmission", "transmission_error", "transmission"),
    ("x / mm", "position_x", "x"),
    ("y / mm", "position_y", "y"),
    ("category", "category", "category"),
    ("situation", "situation", "situation"),
    ("project", "project", "project"),
    ("description", "description", "description"),
)
CLEAR = "-"


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def sample_rows(samples: list[Sample]) -> list[list[str]]:
    """One row of cells per sample, in SAMPLE_COLUMNS order."""
    return [[_cell(getattr(s, attr)) for _, attr, _ in SAMPLE_COLUMNS] for s in samples]


def _line(*words: str) -> tuple[str, ...]:
    return tuple(door_text(w) for w in words)  # the Door carries Latin-1 (from_door decodes)


def edit_macro(sample: Sample, column: int, text: str) -> tuple[str, ...]:
    """The ``nxssample`` line that sets cell ``column`` of ``sample``'s row to ``text``.

    Raises NxsError (SampleError) with the reason if the value is not valid. A value
    and its uncertainty travel together, as the registry keeps them (giving a value
    alone would clear its uncertainty).
    """
    header, attr, word = SAMPLE_COLUMNS[column]
    text = text.strip()
    if attr == "name":
        if not text:
            raise NxsError("a sample needs a name")
        Sample(text)  # the name rules
        return _line("nxssample", "rename", sample.name, text)
    if attr in ERROR_OF or attr in ERROR_OF.values():
        value_attr = attr if attr in ERROR_OF else _value_of(attr)
        value = text if attr == value_attr else _cell(getattr(sample, value_attr))
        error = text if attr != value_attr else _cell(getattr(sample, ERROR_OF[value_attr]))
        words = [word, value or CLEAR, error or CLEAR]
        if not value and error:
            raise NxsError(f"{header}: give {word} first")
    else:
        words = [word, text or CLEAR]
    changes = parse_changes(words)
    sample.with_changes(**changes)  # raises with the reason, as the macro would
    return _line("nxssample", "set", sample.name, *words)


def _value_of(error_attr: str) -> str:
    return next(value for value, error in ERROR_OF.items() if error == error_attr)


def add_macro(name: str) -> tuple[str, ...]:
    name = name.strip()
    if not name:
        raise NxsError("give the new sample a name")
    Sample(name)
    return _line("nxssample", "add", name)


def remove_macro(name: str) -> tuple[str, ...]:
    return _line("nxssample", "remove", name)


def use_macro(name: str, move: bool = False) -> tuple[str, ...]:
    return _line("nxssample", "use", name, *(["move"] if move else []))
