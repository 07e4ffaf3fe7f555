"""The ``sardana-nxsas`` command line: builds the parser and dispatches.

Each subcommand (or group of them) is a module of its own with ``add_parser``; the
order below is the order of ``--help``. Errors meant for the user are one line on
stderr and a non-zero exit status; nothing prints a traceback for bad input.
"""

from __future__ import annotations

import argparse
import sys

from sardana_nxsas import __version__
from sardana_nxsas.cli import (
    catalog,
    demo,
    export,
    fsn,
    gui,
    instrument,
    paths,
    pending,
    setup,
    validate,
)
from sardana_nxsas.errors import NxsError

SUBCOMMANDS = (demo, validate, paths, setup, fsn, gui, instrument, catalog, pending, export)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="sardana-nxsas",
        description="Standard NeXus/CBF data storage for laboratory SAXS instruments run by Sardana.",
    )
    top.add_argument("--version", action="version", version=f"sardana-nxsas {__version__}")
    sub = top.add_subparsers(dest="command", required=True)
    for module in SUBCOMMANDS:
        module.add_parser(sub)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except NxsError as exc:
        print(f"sardana-nxsas: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sardana-nxsas: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
