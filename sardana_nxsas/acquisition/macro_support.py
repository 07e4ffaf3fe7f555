"""What the Sardana macro files share: environment access and reading sources.

Sardana imports each macro file as a top-level module and cannot import its
siblings (see docs/decisions/0006-macro-support-in-the-core.md), so the code
that both macro files need lives here. It imports no Sardana: it only calls
the methods a macro object has (``getEnv``, ``getMoveable``, ...), and PyTango
for Tango attributes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from typing import Any

import tango

from sardana_nxsas.acquisition.settings import Settings
from sardana_nxsas.description.model import Reading, SourceRef
from sardana_nxsas.env import SAMPLE
from sardana_nxsas.errors import NxsError
from sardana_nxsas.samples.model import Sample
from sardana_nxsas.samples.store import registry_for
from sardana_nxsas.samples.text import door_text


def say(macro: Any, text: object) -> None:
    """Output a line on the Door: never as a format string (names may hold "%"); Tango
    strings are Latin-1, so other characters go as \\uXXXX (door_text)."""
    macro.output(door_text(str(text)))


def warn(macro: Any, text: object) -> None:
    """A warning on the Door, as :func:`say`."""
    macro.warning(door_text(str(text)))


def env(macro: Any, key: str, default: Any = None) -> Any:
    """A MacroServer environment variable, or ``default`` when it is not set."""
    try:
        return macro.getEnv(key)
    except Exception as exc:  # Sardana's UnknownEnv, matched by name: no Sardana import here
        if type(exc).__name__ != "UnknownEnv":
            raise
        return default


def getter(macro: Any) -> Callable[[str], Any]:
    """``get(key)`` raising KeyError for an unset variable, as Settings expects."""
    missing = object()

    def get(key: str) -> Any:
        value = env(macro, key, missing)
        if value is missing:
            raise KeyError(key)
        return value

    return get


def settings(macro: Any) -> Settings:
    return Settings.from_getter(getter(macro))


def element_exists(macro: Any, kind: str, name: str) -> bool:
    """Does the description's element exist? (the core's ``require_elements`` asks)"""
    if kind == "motor":
        return macro.getMoveable(name) is not None
    if kind == "channel":
        return macro.getExpChannel(name) is not None
    if kind == "tango":
        try:
            tango.DeviceProxy(name.rpartition("/")[0])
        except tango.DevFailed:
            return False
        return True
    return True


def _quantity_reader(device: Any, attribute: str) -> Callable[[], Reading]:
    attr = device.getAttribute(attribute)

    def read() -> Reading:
        value = attr.read(cache=False).rvalue
        magnitude = getattr(value, "magnitude", value)
        units = getattr(value, "units", None)
        text = f"{units:~}" if units is not None else None
        return Reading(float(magnitude), units=text or None)

    return read


def _prepare(macro: Any, ref: SourceRef) -> Callable[[], Any]:
    """A no-argument reader for one reference, built in the macro's thread."""
    if ref.kind == "env":
        try:
            value = macro.getEnv(ref.target)
        except Exception:
            value = None
        missing = Reading.missing(f"env:{ref.target} is not set (senv {ref.target} ...)")
        return lambda: missing if value is None else Reading(value)
    if ref.kind in ("motor", "channel"):
        find = macro.getMoveable if ref.kind == "motor" else macro.getExpChannel
        element = find(ref.target)
        if element is None:
            raise LookupError(f"no {ref.kind} {ref.target!r}")
        device = element.getObj()
        return _quantity_reader(device, "Position" if ref.kind == "motor" else "Value")
    if ref.kind == "tango":
        proxy = tango.AttributeProxy(re.sub(r"^tango:(?!//)", "", ref.target))
        return lambda: proxy.read().value
    raise LookupError(f"unknown source kind {ref.kind!r}")


# Element and attribute proxies live as long as the MacroServer: looked up once, not per
# exposure (environment variables are read afresh every time).
_PROXY_READERS: dict[str, Callable[[], Any]] = {}


def _cached(macro: Any, ref: SourceRef) -> Callable[[], Any]:
    if ref.kind == "env":
        return _prepare(macro, ref)
    reader = _PROXY_READERS.get(ref.spec)
    if reader is None:
        reader = _PROXY_READERS[ref.spec] = _prepare(macro, ref)
    return reader


def prepare_reader(macro: Any, refs: Sequence[SourceRef]) -> Callable[[SourceRef], Any]:
    """``read(ref)`` for the core's snapshot: element proxies looked up once, here."""
    readers: dict[str, Callable[[], Any]] = {}
    for ref in refs:
        try:
            readers[ref.key] = _cached(macro, ref)
        except Exception as exc:  # read as missing, with the reason
            readers[ref.key] = functools.partial(Reading.missing, f"{ref.spec}: {exc}")

    def read(ref: SourceRef) -> Any:
        try:
            return readers[ref.key]()
        except Exception:
            _PROXY_READERS.pop(ref.spec, None)  # a re-created element is looked up again
            raise

    return read


def chosen_sample(macro: Any, settings: Settings) -> Sample | None:
    """The registry's record of ``NxsSample`` (None if unset), or a one-line error."""
    name = env(macro, SAMPLE)
    if not name:
        return None
    sample = registry_for(settings.root).find(str(name))
    if sample is None:
        raise NxsError(
            f"NxsSample names {name!r}, which is not in the sample registry: nxssample use"
        )
    return sample


class MacroSources:
    """What the instrument is read through, from a macro (count_metadata.MetadataSources).
    Called from a worker thread while the macro counts."""

    def __init__(self, macro: Any) -> None:
        self._macro = macro

    def moveable_names(self) -> list[str]:
        macro = self._macro
        return [e.name for e in (*macro.getMotors().values(), *macro.getPseudoMotors().values())]

    def reader(self, refs: Sequence[SourceRef]) -> Callable[[SourceRef], Any]:
        return prepare_reader(self._macro, refs)


def set_text(macro: Any, key: str, text: str) -> None:
    """Set an environment variable to the string ``text``, as a string."""
    # Sardana stores str values through ast.literal_eval: "1", "None" or "[2]" would
    # come back as int, None, list. A repr() always comes back as the string itself.
    if macro.setEnv(key, text)[1] != text:
        macro.setEnv(key, repr(text))


def unset(macro: Any, key: str) -> None:
    """Remove an environment variable if it is set."""
    if env(macro, key) is not None:
        macro.unsetEnv(key)
