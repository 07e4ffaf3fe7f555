"""Put the sardana-nxsas plugin directories into an existing Sardana's Tango properties.

Sardana 3.7 finds plugins only through directory properties: ``MacroPath`` and
``RecorderPath`` of the MacroServer, ``PoolPath`` of each Pool. Our directories
are prepended (earlier entries win, so our ``ct`` and recorders take effect),
the operator's own entries are kept in their order, and nothing is duplicated,
so running the setup twice changes nothing. The servers read these properties
when they start: they must be restarted afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import tango

from sardana_nxsas.errors import ConfigError
from sardana_nxsas.paths import plugin_dir

MACROSERVER_PROPERTIES = {"MacroPath": "macros", "RecorderPath": "recorders"}
POOL_PROPERTIES = {"PoolPath": "controllers"}


def _split(entries: Iterable[str]) -> list[str]:
    # Sardana itself splits every entry on os.pathsep
    return [p for entry in entries for p in entry.split(os.pathsep) if p.strip()]


def merge_paths(ours: Sequence[Path | str], existing: Sequence[str]) -> list[str]:
    """``ours`` first, then the existing entries not already present (by normalised path)."""
    merged: list[str] = []
    seen: set[str] = set()
    for path in [str(p) for p in ours] + _split(existing):
        key = os.path.normpath(path.strip())
        if key not in seen:
            seen.add(key)
            merged.append(path.strip())
    return merged


@dataclass
class PluginSetup:
    """What was (or, with dry_run, would be) written, device -> property -> value."""

    written: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    before: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    servers: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return self.written != self.before

    @property
    def note(self) -> str:
        if not self.changed:
            return "The plugin paths were already set; nothing to restart."
        when = "after writing them, " if self.dry_run else ""
        return (
            "Sardana reads these properties only when it starts: "
            f"{when}restart {', '.join(self.servers)} to load the plugins."
        )


def _resolve(db: tango.Database, name: str, klass: str) -> str:
    """Device name for ``name`` (a device name or an alias), checked to be a ``klass``."""
    device = name
    if name.count("/") != 2:
        try:
            device = db.get_device_from_alias(name)
        except tango.DevFailed as exc:
            raise ConfigError(f"no {klass} device or alias {name!r} in the Tango database") from exc
    try:
        found = db.get_class_for_device(device)
    except tango.DevFailed as exc:
        raise ConfigError(f"no device {device!r} in the Tango database") from exc
    if found != klass:
        raise ConfigError(f"{device!r} is a {found} device, not a {klass}")
    return device


def _pools_of(db: tango.Database, macroserver: str) -> list[str]:
    names = list(db.get_device_property(macroserver, "PoolNames")["PoolNames"])
    if not names:
        raise ConfigError(f"{macroserver} has no PoolNames property; give the Pool explicitly")
    return names


def setup_plugin_paths(
    db: tango.Database | None,
    macroserver: str,
    pools: Sequence[str] | None = None,
    dry_run: bool = False,
) -> PluginSetup:
    """Prepend our plugin dirs to the MacroServer's and the Pools' path properties.

    ``pools`` defaults to the MacroServer's ``PoolNames``; names may be aliases.
    ``db`` defaults to the database of ``TANGO_HOST``.
    """
    db = db if db is not None else tango.Database()
    ms = _resolve(db, macroserver, "MacroServer")
    targets = [(ms, MACROSERVER_PROPERTIES)]
    targets += [(_resolve(db, p, "Pool"), POOL_PROPERTIES) for p in pools or _pools_of(db, ms)]
    setup = PluginSetup(dry_run=dry_run)
    for device, properties in targets:
        current = db.get_device_property(device, list(properties))
        setup.before[device] = {k: list(current[k]) for k in properties}
        setup.written[device] = {
            prop: merge_paths([plugin_dir(kind)], setup.before[device][prop])
            for prop, kind in properties.items()
        }
        server = db.get_device_info(device).ds_full_name
        if server not in setup.servers:
            setup.servers.append(server)
    if not dry_run:
        for device, paths in setup.written.items():
            if paths != setup.before[device]:
                db.put_device_property(device, paths)
    return setup


def tango_database(tango_host: str) -> tango.Database:
    """The Tango database at ``HOST[:PORT]`` (port 10000 when not given)."""
    host, _, port = tango_host.partition(":")
    return tango.Database(host, int(port or 10000))
