"""``sardana-nxsas gui``: open the TaurusGui of taurusgui/nxsas_gui_config.py on a Door."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from nxsas_gui_context import ENV_DATA, ENV_DOOR, ENV_MACROSERVER

CONFIG = Path(__file__).resolve().with_name("nxsas_gui_config.py")


def run(args: argparse.Namespace) -> int:
    if not args.tango_host:
        print("sardana-nxsas gui: give --tango-host or set TANGO_HOST", file=sys.stderr)
        return 2
    os.environ["TANGO_HOST"] = args.tango_host
    os.environ[ENV_DOOR] = args.door
    os.environ[ENV_MACROSERVER] = args.macroserver
    if args.data:
        os.environ[ENV_DATA] = str(Path(args.data).resolve())
    from taurus.qt.qtgui.application import TaurusApplication
    from taurus.qt.qtgui.taurusgui import TaurusGui

    app = TaurusApplication(["sardana-nxsas-gui"], cmd_line_parser=None, app_name="sardana-nxsas")
    gui = TaurusGui(confname=str(CONFIG))
    gui.show()
    return int(app.exec_())


def main(argv: list[str] | None = None) -> int:
    from sardana_nxsas.cli.main import main as cli_main

    return cli_main(["gui", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
