"""Helpers for the catalog tests: exposures made with the core, the CLI without cli.py."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from sardana_nxsas.acquisition.exposure import begin_exposure, end_exposure, record_counts
from sardana_nxsas.acquisition.settings import Settings
from sardana_nxsas.cli import catalog as cli_catalog
from sardana_nxsas.errors import NxsError

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def make_exposure(settings: Settings, title: str, prefix: str = "crd", seed: int = 3) -> Path:
    """A complete exposure (CBF + .nxs) as nxsbegin / ct / nxsend leave it."""
    session, _ = begin_exposure(settings, prefix, title)
    frame = np.random.default_rng(seed).poisson(2, (619, 487)).astype(np.int32)
    record_counts(session, settings, count_time=2.0, monitor=2.0, counters={}, frame=frame)
    end_exposure(session, settings)
    return Path(session.nxs)


def row(fsn: int, title: str = "t", prefix: str = "crd", **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "prefix": prefix,
        "fsn": fsn,
        "title": title,
        "sample": title,
        "start_time": T0 + timedelta(minutes=fsn),
        "status": "done",
        "nxs_path": f"nexus/{prefix}/{prefix}_{fsn:05d}.nxs",
    }
    data.update(extra)
    return data


def run_cli(*argv: str) -> int:
    """``sardana-nxsas catalog ...`` as main() runs it (one-line errors: exit 2)."""
    top = argparse.ArgumentParser(prog="sardana-nxsas")
    cli_catalog.add_parser(top.add_subparsers(dest="command", required=True))
    args = top.parse_args(["catalog", *argv])
    try:
        return args.func(args)
    except NxsError as exc:
        print(f"sardana-nxsas: error: {exc}")
        return 2
