"""``sardana-nxsas catalog find | reindex | verify``: the exposure catalog from the shell.

The catalog is ``<data root>/catalog.sqlite`` unless ``--url`` names another
database. Wired into the main parser by :func:`add_parser`.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from sardana_nxsas.errors import NxsError

TABLE_LIMIT = 50  # rows `catalog find` prints on the terminal unless --limit says otherwise
MORE_CAP = 10_000  # "N more" is counted up to this


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``catalog find|reindex|verify`` to the ``sardana-nxsas`` sub-commands."""
    catalog = subparsers.add_parser("catalog", help="find exposures; rebuild or check the catalog")
    actions = catalog.add_subparsers(dest="action", required=True)
    find = actions.add_parser("find", help="list exposures matching every filter given")
    _where(find)
    find.add_argument("--title", help="title glob, e.g. 'Glassy*' (case-insensitive)")
    find.add_argument("--sample", help="sample name glob")
    for name in ("project", "prefix", "category"):
        find.add_argument(f"--{name}", help=f"exact {name}")
    find.add_argument("--status", choices=["running", "done", "aborted", "failed"])
    find.add_argument("--since", type=_moment, help="start time from (YYYY-MM-DD[THH:MM])")
    find.add_argument("--until", type=_until, help="start time up to (a date: that whole day)")
    find.add_argument("--fsn", type=_fsn_range, help="FSN range A:B (either end may be open)")
    find.add_argument("--last", type=_positive, metavar="N", help="only the N most recent")
    find.add_argument(
        "--limit", type=_count, metavar="N",
        help=f"at most the N most recent, newest first (0: all; default {TABLE_LIMIT} for the "
        "table on the terminal, all for files and other formats)",
    )  # fmt: skip
    find.add_argument("--format", default="table", choices=["table", "csv", "json", "xlsx"])
    find.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE")
    find.set_defaults(func=cmd_find)
    reindex = actions.add_parser(
        "reindex", help="(re)build the catalog from the exposure and scan files"
    )
    _where(reindex)
    reindex.add_argument(
        "--workers", type=_positive, default=min(os.cpu_count() or 1, 4),
        help="processes reading the files (default: one per CPU, at most 4)",
    )  # fmt: skip
    reindex.add_argument(
        "--deep", action="store_true",
        help="read every field of each exposure file, ignoring its catalog note (/entry/notes)",
    )  # fmt: skip
    reindex.set_defaults(func=cmd_reindex)
    verify = actions.add_parser(
        "verify", help="check files against the catalog, CBF checksums and HDF5 checksums"
    )
    _where(verify)
    verify.set_defaults(func=cmd_verify)
    return catalog


def _where(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, metavar="ROOT", help="data root")
    parser.add_argument(
        "--url", help="SQLAlchemy URL of the catalog (default: ROOT/catalog.sqlite)"
    )


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date: give YYYY-MM-DD or YYYY-MM-DDTHH:MM"
        ) from None
    return moment if moment.tzinfo else moment.astimezone()  # naive: local time


def _until(text: str) -> datetime:
    moment = _moment(text)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):  # a day: up to its end
        day_end = datetime.combine(moment.date() + timedelta(days=1), time())
        return day_end.astimezone() - timedelta(microseconds=1)
    return moment


def _fsn_range(text: str) -> tuple[int | None, int | None]:
    match = re.fullmatch(r"\s*(\d*)\s*(:?)\s*(\d*)\s*", text)
    if not match or not (match.group(1) or match.group(3)):
        raise argparse.ArgumentTypeError(f"{text!r}: give an FSN range as A:B, A:, :B or A")
    low = int(match.group(1)) if match.group(1) else None
    high = int(match.group(3)) if match.group(3) else None
    return (low, low) if not match.group(2) else (low, high)


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number >= 0 (0: all)")
    return int(text)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number >= 1")
    return int(text)


def _open(args: argparse.Namespace) -> tuple[Any, Any]:
    from sardana_nxsas.catalog import Catalog, catalog_url
    from sardana_nxsas.dataroot.layout import DataRoot

    root = DataRoot(args.data) if args.data else None
    if root is not None and not root.path.is_dir():
        raise NxsError(f"data root {root.path} does not exist: give an existing --data")
    return root, Catalog(catalog_url(root.path if root else None, args.url))


def _need_root(root: Any, action: str) -> Any:
    if root is None:
        raise NxsError(f"catalog {action} reads the files: give the data root with --data")
    return root


def cmd_find(args: argparse.Namespace) -> int:
    from sardana_nxsas.catalog.export import render

    _, catalog = _open(args)
    low, high = args.fsn or (None, None)
    filters = dict(
        title=args.title, sample=args.sample, project=args.project, prefix=args.prefix,
        category=args.category, status=args.status, since=args.since, until=args.until,
        fsn_min=low, fsn_max=high,
    )  # fmt: skip
    terminal = args.format == "table" and args.output is None
    limit = args.limit if args.limit is not None else (TABLE_LIMIT if terminal else 0)
    if args.last is not None:
        limit = args.last
    newest_first = limit > 0 or terminal
    with catalog:
        rows = catalog.find(
            **filters, limit=limit + 1 if limit else None, newest_first=newest_first,
            header=args.format == "json",
        )  # fmt: skip
        more = len(rows) > limit > 0
        if more:
            rows.pop()
            hidden = catalog.count_matching(cap=MORE_CAP + 1, **filters) - limit
    if newest_first and (args.last is not None or not terminal):
        rows.reverse()  # the terminal's table newest first; --last N and files oldest first
    text = render(rows, args.format, args.output)
    if text is not None:
        sys.stdout.write(text)
    elif args.output is not None:
        print(f"{len(rows)} exposure(s) written to {args.output}", file=sys.stderr)
    if more and args.last is None:
        many = f"more than {MORE_CAP - limit}" if hidden > MORE_CAP - limit else str(hidden)
        print(f"{many} older match(es) not shown: use --limit 0 for all", file=sys.stderr)
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    from sardana_nxsas.catalog.maintenance import reindex, stderr_progress

    root, catalog = _open(args)
    with catalog:
        report = reindex(
            _need_root(root, "reindex"), catalog, stderr_progress(), args.workers, args.deep
        )
        total = catalog.count()
    for line in report.unreadable:
        print(f"unreadable: {line}", file=sys.stderr)
    print(
        f"reindexed {report.files} file(s) in {report.seconds:.1f} s ({report.rate:.0f} files/s); "
        f"the catalog {catalog.where} holds {total} exposure(s)"
    )
    return 1 if report.unreadable else 0


def cmd_verify(args: argparse.Namespace) -> int:
    from sardana_nxsas.catalog.maintenance import verify

    root, catalog = _open(args)
    with catalog:
        problems = verify(_need_root(root, "verify"), catalog)
    for line in problems:
        print(line)
    print(f"{len(problems)} problem(s) found" if problems else "catalog and files agree")
    return 1 if problems else 0
