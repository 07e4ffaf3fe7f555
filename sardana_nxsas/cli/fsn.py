"""``sardana-nxsas lsfsn``: the last and next FSN of every prefix in a data root (as the
``lsfsn`` macro shows them in spock). Wired into the main parser by :func:`add_parser`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    lsfsn = subparsers.add_parser("lsfsn", help="last and next FSN of every prefix in a data root")
    lsfsn.add_argument("--data", required=True, help="data root")
    lsfsn.add_argument("--prefixes", help="space-separated prefixes (default: crd scn tra tst gsx)")
    lsfsn.set_defaults(func=cmd_lsfsn)
    return lsfsn


def cmd_lsfsn(args: argparse.Namespace) -> int:
    from sardana_nxsas.acquisition.settings import words
    from sardana_nxsas.dataroot.fsn import FsnCounter, lsfsn_lines
    from sardana_nxsas.dataroot.layout import DEFAULT_PREFIXES, DataRoot

    prefixes = words(args.prefixes) or DEFAULT_PREFIXES
    root = DataRoot(Path(args.data), prefixes)
    print("\n".join(lsfsn_lines(FsnCounter(root))))
    return 0
