"""What the Sardana macro files share: environment access and reading sources.

Sardana imports each macro file as a top-level module and cannot import its
siblings (see docs/decisions/0006-macro-support-in-the-core.md), so the code
that both macro files need lives here. It imports no Sardana: it only calls
the methods a macro object has (``getEnv``, ``getMoveable``, ...), and PyTango
for Tango attributes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import tango

from sardana_nxsas.acquisition.settings import Settings
from sardana_nxsas.description.model import Reading, SourceRef
from sardana_nxsas.errors import NxsError
from sardana_nxsas.samples.model import Sample
from sardana_nxsas.samples.store import registry_for


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


def _quantity_reader(device, attribute):
    attr = device.getAttribute(attribute)

    def read():
        value = attr.read(cache=False).rvalue
        magnitude = getattr(value, "magnitude", value)
        units = getattr(value, "units", None)
        text = f"{units:~}" if units is not None else None
        return Reading(float(magnitude), units=text or None)

    return read


def _prepare(macro, ref):
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
    readers = {}
    for ref in refs:
        try:
            readers[ref.key] = _cached(macro, ref)
        except Exception as exc:
            reason = Reading.missing(f"{ref.spec}: {exc}")
            readers[ref.key] = lambda reason=reason: reason

    def read(ref: SourceRef) -> Any:
        try:
            return readers[ref.key]()
        except Exception:
            _PROXY_READERS.pop(ref.spec, None)  # a re-created element is looked up again
            raise

    return read


def chosen_sample(macro: Any, settings: Settings) -> Sample | None:
    """The registry's record of ``NxsSample`` (None if unset), or a one-line error."""
    name = env(macro, "NxsSample")
    if not name:
        return None
    sample = registry_for(settings.root).find(str(name))
    if sample is None:
        raise NxsError(
            f"NxsSample names {name!r}, which is not in the sample registry: nxssample use"
        )
    return sample
