"""``sardana-nxsas pending --data ROOT [--write]``: the file work not done yet.

After ``nxsend`` the writer process completes each exposure file from its CBF, and it
writes each scan file from the recorder's jobs (decisions 0008, 0010). This lists what
is still pending (normally nothing, or the last exposure for a few tens of ms) and,
with ``--write``, does it now — after a crash,
without a MacroServer. ``validate`` uses :func:`pending_note` to tell a file that
is still being completed from a broken one.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.writer import drain, pending, pending_for


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    command = subparsers.add_parser(
        "pending", help="list (or --write) the file work (exposures, scans) not done yet"
    )
    command.add_argument("--data", required=True, help="data root")
    command.add_argument("--write", action="store_true", help="complete the files now")
    command.set_defaults(func=run)
    return command


def run(args: argparse.Namespace) -> int:
    root = DataRoot(Path(args.data))
    if args.write:
        left = drain(root)
        print(f"{left} job(s) left: see {root.state_dir / 'writer.log'}" if left else "done")
        return 1 if left else 0
    jobs = pending(root)
    for job in jobs:
        print(f"{job.stem}  {job.kind}  {job.path}")
    print(
        f"{len(jobs)} job(s) pending"
        + (": sardana-nxsas pending --write does them" if jobs else "")
    )
    return 0


def pending_note(nxs: Path) -> str | None:
    """'completion pending …' if the writer has not done this exposure's jobs yet."""
    nxs = Path(nxs).resolve()
    if len(nxs.parents) < 3 or nxs.parents[1].name != "nexus":
        return None
    try:
        jobs = pending_for(DataRoot(nxs.parents[2]), nxs.stem)
    except Exception:  # not a data root we understand: nothing to add
        return None
    if not jobs:
        return None
    kinds = ", ".join(job.kind for job in jobs)
    return f"completion pending ({kinds} job in {jobs[0].path.parent}); the writer does it"
