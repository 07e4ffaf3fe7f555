"""Read a description file and report every problem in it, each with its line and key."""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path
from typing import Any

from sardana_nxsas import env
from sardana_nxsas.description.lines import key_lines
from sardana_nxsas.description.model import (
    InstrumentDescription,
    PositionerSelection,
    Problem,
    SourceRef,
    Value,
)
from sardana_nxsas.description.schema import (
    EXPERIMENT_DEFAULTS,
    MEASUREMENT_DIMENSIONS,
    Spec,
    items,
    sections,
)
from sardana_nxsas.description.values import parse_value

NEXUS_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # NeXus' recommended group names
RESERVED_NAMES = ("name", "source", "monochromator", "detector", "beam_stop", "positioners")
_ELEMENT = re.compile(r"^[A-Za-z0-9_][\w.\-/]*$")


def parse(path: Path) -> tuple[InstrumentDescription | None, list[Problem]]:
    """The description and every problem found; the description is None if unreadable."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        message = f"not found: set {env.INSTRUMENT_FILE} to an existing file"
        return None, [Problem(path, None, "", f"instrument description {message}")]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(path, None, "", f"cannot read: {exc}")]
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"at line (\d+)", str(exc))
        lineno = int(line.group(1)) if line else None
        return None, [Problem(path, lineno, "", f"not valid TOML ({exc})")]
    checker = _Checker(InstrumentDescription(path, {}, lines=key_lines(text)))
    description = checker.run(doc)
    return description, sorted(checker.problems, key=lambda p: p.lineno or 0)


class _Checker:
    def __init__(self, empty: InstrumentDescription) -> None:
        self.empty = empty
        self.problems: list[Problem] = []
        self.values: dict[str, Value] = {}
        self.names: dict[str, str] = {}  # aperture/sensor name -> "sensor[1]"

    def report(self, key: str, message: str) -> None:
        self.problems.append(self.empty.problem(key, message))

    def run(self, doc: dict[str, Any]) -> InstrumentDescription:
        known = [*sections(), *items(), "positioners"]
        for name in doc:
            if name not in known:
                self.report(name, f"unknown section [{name}]: " + _suggest(name, known, "[{}]"))
        for name, specs in sections().items():
            if name == "experiment" and name not in doc:
                self._experiment_defaults()
            elif self._is_table(name, doc.get(name, {})):
                self._table(name, name, doc.get(name, {}), specs)
        counts = {
            name: self._items(name, doc.get(name, []), specs) for name, specs in items().items()
        }
        in_file_order = sorted(self.values, key=lambda key: self.empty.line_of(key) or 1 << 30)
        return InstrumentDescription(
            self.empty.path,
            {key: self.values[key] for key in in_file_order},
            apertures=counts["aperture"],
            sensors=counts["sensor"],
            positioners=self._positioners(doc.get("positioners", {})),
            lines=self.empty.lines,
        )

    def _is_table(self, key: str, node: Any) -> bool:
        if not isinstance(node, dict):
            self.report(key, f"must be a table: write [{key}] and its keys below it")
        return isinstance(node, dict)

    def _table(
        self, prefix: str, section: str, table: dict[str, Any], specs: dict[str, Spec]
    ) -> None:
        for key in table:
            if key not in specs:
                message = f"unknown key in [{section}]: " + _suggest(key, list(specs), "{}")
                self.report(f"{prefix}.{key}", message)
        for key, spec in specs.items():
            full = f"{prefix}.{key}"
            if key not in table:
                if spec.required:
                    self.report(full, f"missing: add {key} = ... to [{section}]")
            elif spec.kind == "bad_pixels":
                self._bad_pixels(full, table[key])
            else:
                value = parse_value(full, table[key], spec, self.report)
                if value is not None:
                    self.values[full] = value
        if "size" in table and "diameter" in table:
            self.report(f"{prefix}.diameter", "give size or diameter, not both")

    def _items(self, name: str, entries: Any, specs: dict[str, Spec]) -> int:
        if isinstance(entries, dict):
            self.report(name, f"write [[{name}]] (one table per {name}), not [{name}]")
            return 0
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            self.report(name, f"write one [[{name}]] table per {name}")
            return 0
        for index, entry in enumerate(entries):
            prefix = f"{name}[{index}]"
            entry_specs = dict(specs)
            if name == "sensor":  # the value's units follow what the sensor measures
                dimension = MEASUREMENT_DIMENSIONS.get(str(entry.get("measurement")), "any")
                entry_specs["value"] = Spec("number", dimension, required=True)
            if name == "aperture" and "size" not in entry and "diameter" not in entry:
                self.report(prefix, 'missing: add diameter = { value = ..., units = "um" }')
            self._table(prefix, f"[{name}]", entry, entry_specs)
            self._group_name(prefix, entry.get("name"))
        return len(entries)

    def _group_name(self, prefix: str, label: Any) -> None:
        # Apertures and sensors become NXinstrument groups named after them: no clashes.
        if not isinstance(label, str):
            return
        key = f"{prefix}.name"
        if not NEXUS_NAME.match(label):
            self.report(key, "must be a NeXus name: letters, digits, _; not starting with a digit")
        elif label in RESERVED_NAMES:
            self.report(key, f"{label!r} is taken by the instrument's own {label} group")
        elif label in self.names:
            self.report(key, f"duplicate name {label!r} (also {self.names[label]})")
        else:
            self.names[label] = prefix

    def _bad_pixels(self, key: str, node: Any) -> None:
        if isinstance(node, str):
            mask = (self.empty.path.parent / node).resolve()
            if not mask.is_file():
                self.report(key, f"mask file {mask} not found")
                return
            self.values[key] = Value(key, str(mask))
            return
        pairs = isinstance(node, list) and all(
            isinstance(p, list) and len(p) == 2 and all(_index(i) for i in p) for p in node
        )
        if not pairs:
            self.report(key, 'must be a mask file name ("mask.edf") or [[row, col], ...] (0-based)')
            return
        self.values[key] = Value(key, node)

    def _positioners(self, table: Any) -> PositionerSelection:
        if not self._is_table("positioners", table):
            return PositionerSelection()
        for key in table.keys() - {"include", "exclude"}:
            self.report(f"positioners.{key}", "unknown key in [positioners]: use include, exclude")
        include = table.get("include", "all")
        names = None if include == "all" else self._names("positioners.include", include)
        exclude = self._names("positioners.exclude", table.get("exclude", []))
        return PositionerSelection(None if names is None else tuple(names), tuple(exclude))

    def _names(self, key: str, node: Any) -> list[str]:
        if isinstance(node, list) and all(isinstance(n, str) and _ELEMENT.match(n) for n in node):
            return node
        allowed = '"all" or ' if key.endswith("include") else ""
        self.report(key, f'must be {allowed}a list of motor names, like ["samx", "samy"]')
        return []

    def _experiment_defaults(self) -> None:
        for field, variable in EXPERIMENT_DEFAULTS.items():
            key = f"experiment.{field}"
            self.values[key] = Value(key, source=SourceRef(key, "env", variable, optional=True))


def _index(node: Any) -> bool:
    return isinstance(node, int) and not isinstance(node, bool) and node >= 0


def _suggest(name: str, known: list[str], form: str) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if close:
        return f"did you mean {form.format(close[0])}?"
    return "use " + ", ".join(form.format(k) for k in known)
