"""What every panel of the sardana-nxsas GUI shares: the Door, the data root, one runner.

The launcher (``sardana-nxsas gui``) or the environment (``taurus gui``) names
the Door; the data root and the prefixes come from ``--data`` or else from the
MacroServer's environment (``NxsDataRoot``, ``NxsPrefixes``), read once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sardana_nxsas import env
from sardana_nxsas.acquisition.settings import words
from sardana_nxsas.dataroot.layout import DEFAULT_PREFIXES

ENV_DOOR = "NXSAS_GUI_DOOR"  # Door device name (or alias)
ENV_MACROSERVER = "NXSAS_GUI_MACROSERVER"
ENV_DATA = "NXSAS_GUI_DATA"  # data root; default: NxsDataRoot of the MacroServer
DEFAULT_DOOR = "door/nxsas/1"
DEFAULT_MACROSERVER = "macroserver/nxsas/1"


@dataclass
class GuiContext:
    door: str  # device name, e.g. door/nxsas/1
    tango_host: str  # HOST:PORT
    macroserver: str = DEFAULT_MACROSERVER
    data_root: Path | None = None
    prefixes: tuple[str, ...] = DEFAULT_PREFIXES
    catalog_url: str | None = None
    default_prefix: str = "crd"
    _runner: object | None = field(default=None, repr=False)

    @property
    def full_door(self) -> str:
        return f"tango://{self.tango_host}/{self.door}"

    @property
    def full_macroserver(self) -> str:
        return f"tango://{self.tango_host}/{self.macroserver}"

    @property
    def runner(self):  # -> nxsas_gui_door.DoorRunner (imported late: Qt)
        if self._runner is None:
            from nxsas_gui_door import DoorRunner

            self._runner = DoorRunner(self.door, self.tango_host)
        return self._runner

    def read_environment(self) -> None:
        """Fill what was not given from the MacroServer's environment (errors: left empty)."""
        try:
            environment = macroserver_environment(self.full_macroserver)
        except Exception:  # the GUI opens anyway; the panels say what is missing
            return
        if self.data_root is None and environment.get(env.DATA_ROOT):
            self.data_root = Path(str(environment[env.DATA_ROOT]))
        if environment.get(env.PREFIXES):
            self.prefixes = tuple(words(environment[env.PREFIXES])) or self.prefixes
        if environment.get(env.DEFAULT_PREFIX):
            self.default_prefix = str(environment[env.DEFAULT_PREFIX])
        if environment.get(env.CATALOG_URL):
            self.catalog_url = str(environment[env.CATALOG_URL])


def macroserver_environment(name: str) -> dict:
    """The MacroServer's environment, read through Taurus with Sardana's Qt extensions
    (the ones its own panels need: registered first, the device object is shared)."""
    import taurus
    from sardana.taurus.qt.qtcore.tango.sardana import registerExtensions

    registerExtensions()
    return dict(taurus.Device(name).getEnvironment())


_CONTEXT: GuiContext | None = None


def set_context(context: GuiContext) -> GuiContext:
    global _CONTEXT
    _CONTEXT = context
    return context


def context() -> GuiContext:
    """The shared context; built from the environment variables on first use."""
    global _CONTEXT
    if _CONTEXT is None:
        data = os.environ.get(ENV_DATA)
        _CONTEXT = GuiContext(
            door=os.environ.get(ENV_DOOR, DEFAULT_DOOR),
            tango_host=os.environ.get("TANGO_HOST", "localhost:10000"),
            macroserver=os.environ.get(ENV_MACROSERVER, DEFAULT_MACROSERVER),
            data_root=Path(data) if data else None,
        )
        _CONTEXT.read_environment()
    return _CONTEXT
