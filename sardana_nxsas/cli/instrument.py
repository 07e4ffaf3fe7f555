"""``sardana-nxsas instrument check FILE`` and ``instrument example [NAME]``.

``check`` reports every problem of a description at once, each as
``FILE:LINE: key: message``; exit status 0 when every file is usable, 1 if not.
``example`` prints a shipped description to start from. Wired into the main
parser by :func:`add_parser`.
"""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path
from typing import Any


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``instrument check`` to the ``sardana-nxsas`` sub-commands."""
    instrument = subparsers.add_parser(
        "instrument", help="work with instrument descriptions (NxsInstrumentFile)"
    )
    actions = instrument.add_subparsers(dest="action", required=True)
    check = actions.add_parser(
        "check", help="report every problem of a description, with its line and key"
    )
    check.add_argument("files", nargs="+", metavar="FILE")
    check.set_defaults(func=check_files)
    example = actions.add_parser("example", help="print a shipped description to start from")
    example.add_argument("name", nargs="?", default="credo-like", choices=examples())
    example.set_defaults(func=print_example)
    return instrument


def examples() -> list[str]:
    folder = resources.files("sardana_nxsas") / "examples"
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


def print_example(args: argparse.Namespace) -> int:
    text = (resources.files("sardana_nxsas") / "examples" / f"{args.name}.toml").read_text()
    print(text, end="")
    return 0


def check_files(args: argparse.Namespace) -> int:
    from sardana_nxsas.description import check_description, load_description

    failed = 0
    for name in args.files:
        problems = check_description(Path(name))
        for problem in problems:
            print(problem.line())
        if problems:
            failed += 1
            continue
        description = load_description(Path(name))
        written = [v for v in description.values.values() if not _default(v)]
        sources = [ref for ref in description.sources() if not ref.optional]
        plural = "" if len(sources) == 1 else "s"
        print(f"OK: {len(written)} fields, {len(sources)} source{plural}  ({name})")
    return 1 if failed else 0


def _default(value: Any) -> bool:
    return value.source is not None and value.source.optional
