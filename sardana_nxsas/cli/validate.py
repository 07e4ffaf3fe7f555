"""``sardana-nxsas validate FILE...``: check exposure and scan files (NeXus, default plot,
CBFs); exit status 1 if any has errors. Wired into the main parser by :func:`add_parser`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    validate = subparsers.add_parser(
        "validate", help="check exposure or scan files (NeXus, default plot, CBFs)"
    )
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.add_argument("-v", "--verbose", action="store_true", help="show warnings too")
    validate.set_defaults(func=cmd_validate)
    return validate


def cmd_validate(args: argparse.Namespace) -> int:
    from sardana_nxsas.cli.pending import pending_note
    from sardana_nxsas.nexus.scan.validate import validate_any

    failed = 0
    for name in args.files:
        report = validate_any(Path(name))  # an exposure or a scan file
        verdict = "OK" if report.ok else "ERROR"
        print(f"{verdict:5} {name}  ({report.status})")
        note = None if report.ok else pending_note(Path(name))
        if note:
            print(f"      {note}")
        for message in report.errors:
            print(f"      error: {message}")
        if args.verbose:
            for message in report.warnings:
                print(f"      warning: {message}")
        failed += not report.ok
    if failed:
        print(f"{failed} of {len(args.files)} file(s) have errors", file=sys.stderr)
    return 1 if failed else 0
