"""``sardana-nxsas paths``: the Sardana plugin directories of this installation (for
PoolPath, MacroPath and RecorderPath). Wired into the main parser by :func:`add_parser`."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    paths = subparsers.add_parser(
        "paths", help="print the Sardana plugin directories of this installation"
    )
    paths.add_argument("--property", action="store_true", help="as Tango property names")
    paths.set_defaults(func=cmd_paths)
    return paths


def cmd_paths(args: argparse.Namespace) -> int:
    from sardana_nxsas.paths import plugin_dirs

    dirs = plugin_dirs()
    if args.property:
        print(f"PoolPath     {dirs['controllers']}")
        print(f"MacroPath    {dirs['macros']}")
        print(f"RecorderPath {dirs['recorders']}")
    else:
        for kind, path in dirs.items():
            print(f"{kind:<12} {path}")
    return 0
