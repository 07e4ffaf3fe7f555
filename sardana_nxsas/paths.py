"""Where the Sardana plugin directories are, for the installed package or a checkout.

Sardana 3.7 has no entry points for plugins: a MacroServer finds macros and
recorders through its ``MacroPath``/``RecorderPath`` properties and a Pool finds
controllers through ``PoolPath``. A wheel carries the directories inside the
package (``sardana_nxsas/plugins/<kind>``); an editable install or a checkout
has them at the top of the repository.
"""

from __future__ import annotations

from pathlib import Path

PLUGIN_KINDS = ("macros", "recorders", "controllers", "taurusgui")

_PACKAGE_DIR = Path(__file__).resolve().parent


def plugin_dir(kind: str) -> Path:
    """The directory holding the plugins of ``kind`` (one of PLUGIN_KINDS)."""
    if kind not in PLUGIN_KINDS:
        raise ValueError(f"unknown plugin kind {kind!r}; expected one of {', '.join(PLUGIN_KINDS)}")
    for candidate in (_PACKAGE_DIR / "plugins" / kind, _PACKAGE_DIR.parent / kind):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"the {kind}/ plugin directory is missing from this installation of sardana-nxsas; reinstall it"
    )


def plugin_dirs() -> dict[str, Path]:
    """Every plugin directory by kind."""
    return {kind: plugin_dir(kind) for kind in PLUGIN_KINDS}
