"""``sardana-nxsas setup``: add the plugin directories to an existing Sardana (the Pools'
PoolPath, the MacroServer's MacroPath and RecorderPath in its Tango database). Wired
into the main parser by :func:`add_parser`."""

from __future__ import annotations

import argparse
import os
from typing import Any


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    setup = subparsers.add_parser("setup", help="add the plugin directories to an existing Sardana")
    setup.add_argument(
        "--tango-host",
        default=os.environ.get("TANGO_HOST"),
        required=not os.environ.get("TANGO_HOST"),
        help="HOST:PORT of the Tango database (default: $TANGO_HOST)",
    )
    setup.add_argument("--macroserver", required=True, help="MacroServer device name or alias")
    setup.add_argument(
        "--pool",
        action="append",
        help="Pool device or alias (default: the MacroServer's PoolNames)",
    )
    setup.add_argument("--dry-run", action="store_true", help="show what would be written")
    setup.set_defaults(func=cmd_setup)
    return setup


def cmd_setup(args: argparse.Namespace) -> int:
    # tango only here: the other commands run where no Tango is installed
    from sardana_nxsas.system.plugin_setup import setup_plugin_paths, tango_database

    db = tango_database(args.tango_host)
    done = setup_plugin_paths(db, args.macroserver, args.pool or None, dry_run=args.dry_run)
    for device, props in done.written.items():
        for name, values in props.items():
            print(f"{device}: {name} = {':'.join(map(str, values))}")
    print(done.note)
    return 0
