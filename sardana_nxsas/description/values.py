"""One value of a description: a constant, or a source with units and an uncertainty.

distance = { value = 1000.0, units = "mm", error = 0.5 }      # constant
x = { source = "motor:bsx", units = "mm" }                    # read at each exposure
operator = { source = "env:NxsOperator" }
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from typing import Any

from sardana_nxsas.description.model import SOURCE_KINDS, Constant, SourceRef, Value
from sardana_nxsas.description.schema import Spec
from sardana_nxsas.description.units import EXAMPLES, nexus_units, units_problem

Report = Callable[[str, str], None]  # (key, message)

TABLE_KEYS = ("value", "source", "units", "error", "error_source")
_TARGETS = {
    "motor": re.compile(r"^[A-Za-z0-9_][\w.\-/]*$"),
    "channel": re.compile(r"^[A-Za-z0-9_][\w.\-/]*$"),
    "env": re.compile(r"^[A-Za-z_][\w.]*$"),
    "tango": re.compile(r"^(tango://[\w.\-]+:\d+/)?[^/\s:]+/[^/\s]+/[^/\s]+/[^/\s]+$"),
}
_TARGET_HELP = {
    "motor": "a motor name",
    "channel": "a counter/0D channel name",
    "env": "an environment variable name",
    "tango": "dom/fam/member/attribute or tango://host:port/dom/fam/member/attribute",
}
_LOOKS_LIKE_SOURCE = re.compile(r"^(motor|channel|tango|env):\S+$")


def parse_value(key: str, node: Any, spec: Spec, report: Report) -> Value | None:
    """Check ``node`` against ``spec``; report every problem; None if unusable."""
    if not isinstance(node, dict):
        if spec.dimension is not None:
            example = EXAMPLES.get(spec.dimension, spec.dimension)
            report(key, f'needs units: write {{ value = {_toml(node)}, units = "{example}" }}')
            return None
        constant = parse_constant(key, node, spec, report)
        return None if constant is None else Value(key, constant)
    for extra in node.keys() - set(TABLE_KEYS):
        report(f"{key}.{extra}", "unknown key: use value or source, units, error or error_source")
    if ("value" in node) == ("source" in node):
        report(key, 'write either value = ... or source = "kind:name"')
        return None
    units = _units(key, node, spec, report)
    error, error_source = _error(key, node, spec, units, report)
    if "source" in node:
        if spec.constant:
            report(f"{key}.source", "must be a constant: write the value itself, not a source")
            return None
        source = parse_source(key, f"{key}.source", node["source"], units, report)
        if source is None:
            return None
        return Value(key, None, source, units, error, error_source)
    constant = parse_constant(f"{key}.value", node["value"], spec, report)
    if constant is None:
        return None
    return Value(key, constant, None, units, error, error_source)


def parse_source(
    key: str, where: str, text: Any, units: str | None, report: Report
) -> SourceRef | None:
    """``"kind:target"`` -> SourceRef under ``key``; problems reported at ``where``."""
    if not isinstance(text, str) or ":" not in text:
        report(where, f'must be "kind:name" with kind {_kinds()}, got {text!r}')
        return None
    if text.startswith("tango://"):
        kind, target = "tango", text
    else:
        kind, _, target = (part.strip() for part in text.partition(":"))
    if kind not in SOURCE_KINDS:
        report(where, f"unknown source kind {kind!r}: use {_kinds()}")
        return None
    if not _TARGETS[kind].match(target):
        report(where, f"{text!r}: after {kind}: give {_TARGET_HELP[kind]}")
        return None
    return SourceRef(key, kind, target, units)


def parse_constant(key: str, node: Any, spec: Spec, report: Report) -> Constant | None:
    if spec.kind == "text":
        if not isinstance(node, str) or not node.strip():
            report(key, f"must be a non-empty string, got {_toml(node)}")
            return None
        if spec.choices and node not in spec.choices:
            report(key, _choice_message(node, spec.choices))
            return None
        if _LOOKS_LIKE_SOURCE.match(node):
            report(key, f'looks like a source: write {{ source = "{node}" }}')
            return None
        return node
    integer = spec.kind == "integer"
    if isinstance(node, bool) or not isinstance(node, int if integer else int | float):
        report(key, f"must be {'an integer' if integer else 'a number'}, got {_toml(node)}")
        return None
    if not math.isfinite(node):
        report(key, "must be finite")
        return None
    return node


def _units(key: str, node: dict[str, Any], spec: Spec, report: Report) -> str | None:
    if spec.dimension is None:
        if "units" in node:
            report(f"{key}.units", "this field takes no units")
        return None
    if "units" not in node:
        example = EXAMPLES.get(spec.dimension, spec.dimension)
        report(key, f'missing units: add units = "{example}"')
        return None
    problem = units_problem(node["units"], spec.dimension)
    if problem:
        report(f"{key}.units", problem)
        return None
    return nexus_units(node["units"])


def _error(
    key: str, node: dict[str, Any], spec: Spec, units: str | None, report: Report
) -> tuple[float | None, SourceRef | None]:
    if "error" not in node and "error_source" not in node:
        return None, None
    if spec.kind != "number":
        report(f"{key}.error", "only numbers have an uncertainty")
        return None, None
    if "error" in node and "error_source" in node:
        report(f"{key}.error_source", "give error or error_source, not both")
        return None, None
    if "error_source" in node:
        where = f"{key}.error_source"
        return None, parse_source(f"{key}.error", where, node["error_source"], units, report)
    error = node["error"]
    if isinstance(error, bool) or not isinstance(error, int | float) or not math.isfinite(error):
        report(f"{key}.error", f"must be a finite number, got {_toml(error)}")
        return None, None
    if error < 0:
        report(f"{key}.error", "must not be negative")
        return None, None
    return float(error), None


def _choice_message(value: str, choices: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
    if close:
        return f"{value!r} is not a NeXus value: did you mean {close[0]!r}?"
    return f"{value!r} is not a NeXus value: use one of " + ", ".join(map(repr, choices))


def _kinds() -> str:
    return ", ".join(SOURCE_KINDS[:-1]) + " or " + SOURCE_KINDS[-1]


def _toml(node: Any) -> str:
    return f'"{node}"' if isinstance(node, str) else repr(node)
