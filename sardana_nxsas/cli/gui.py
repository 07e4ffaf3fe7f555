"""``sardana-nxsas gui``: the Taurus GUI (exposures, samples, last image) on a Door.

The GUI lives in the taurusgui/ plugin directory: Qt and Taurus are imported only when
the command runs. Wired into the main parser by :func:`add_parser`.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    gui = subparsers.add_parser("gui", help="open the Taurus GUI (exposures, samples, last image)")
    gui.add_argument(
        "--tango-host",
        default=os.environ.get("TANGO_HOST"),
        help="HOST:PORT of the Tango database (default: $TANGO_HOST)",
    )
    gui.add_argument("--door", default="door/nxsas/1", help="Door device name")
    gui.add_argument("--macroserver", default="macroserver/nxsas/1", help="MacroServer device")
    gui.add_argument("--data", help="data root (default: NxsDataRoot of the MacroServer)")
    gui.set_defaults(func=cmd_gui)
    return gui


def cmd_gui(args: argparse.Namespace) -> int:
    from sardana_nxsas.paths import plugin_dir

    sys.path.insert(0, str(plugin_dir("taurusgui")))
    from nxsas_gui_launch import run  # type: ignore[import-not-found]

    result: int = run(args)
    return result
