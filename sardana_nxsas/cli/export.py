"""``sardana-nxsas export``: reduced curves of a range of FSNs as ASCII, XLSX or NXcanSAS."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sardana_nxsas.errors import NxsError

FORMATS = {"ascii": ".dat", "xlsx": ".xlsx", "nxcansas": ".h5"}


def fsn_range(text: str) -> range:
    """``12``, ``12-40``: an inclusive range of FSNs."""
    first, _, last = text.partition("-")
    try:
        a, b = int(first), int(last or first)
    except ValueError:
        raise NxsError(f"--fsn {text!r}: give a number or a range, e.g. 12-40") from None
    if a < 0 or b < a:
        raise NxsError(f"--fsn {text!r}: give FIRST-LAST with 0 <= FIRST <= LAST")
    return range(a, b + 1)


def _cmd_export(args: argparse.Namespace) -> int:
    from sardana_nxsas.dataroot.layout import DataRoot
    from sardana_nxsas.reduction.export import (
        NotReduced,
        read_reduced,
        write_ascii,
        write_cansas_file,
        write_xlsx,
    )

    root = DataRoot(Path(args.data))
    fsns = fsn_range(args.fsn)
    found = []
    for fsn in fsns:
        nxs = root.path / "nexus" / args.prefix / f"{root.stem(args.prefix, fsn)}.nxs"
        if not nxs.is_file():
            continue
        try:
            found.append(read_reduced(nxs))
        except (NotReduced, OSError, KeyError) as exc:
            print(f"skipped: {exc}", file=sys.stderr)
    if not found:
        raise NxsError(f"no reduced {args.prefix} exposure in FSN {args.fsn} under {root.path}")
    suffix = FORMATS[args.format]
    if args.format == "ascii":
        folder = Path(args.output or ".")
        folder.mkdir(parents=True, exist_ok=True)
        for item in found:
            write_ascii(folder / f"{item.identifier}{suffix}", item)
            print(folder / f"{item.identifier}{suffix}")
        return 0
    default = f"{args.prefix}_{fsns.start:05d}-{fsns.stop - 1:05d}{suffix}"
    out = Path(args.output or default)
    (write_xlsx if args.format == "xlsx" else write_cansas_file)(out, found)
    print(f"{out}  ({len(found)} exposure(s))")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    export = sub.add_parser(
        "export", help="write reduced curves of a range of FSNs as ASCII, XLSX or NXcanSAS"
    )
    export.add_argument("--data", required=True, help="data root")
    export.add_argument("--prefix", default="crd", help="prefix (default crd)")
    export.add_argument("--fsn", required=True, help="FSN or range FIRST-LAST, e.g. 12-40")
    export.add_argument("--format", choices=sorted(FORMATS), default="ascii")
    export.add_argument(
        "-o", "--output",
        help="ascii: a folder (default .); xlsx, nxcansas: a file "
        "(default <prefix>_<first>-<last>.xlsx / .h5)",
    )  # fmt: skip
    export.set_defaults(func=_cmd_export)
