"""The concurrent metadata snapshot: fast, and never fatal."""

from __future__ import annotations

import threading
import time

from sardana_nxsas.acquisition.snapshot import BackgroundSnapshot, take_snapshot
from sardana_nxsas.description.model import Reading, SourceRef

REFS = [SourceRef(f"positioners.m{i}", "motor", f"m{i}") for i in range(8)]


def test_reads_concurrently() -> None:
    def slow(ref: SourceRef) -> float:
        time.sleep(0.2)
        return float(ref.target[1:])

    started = time.perf_counter()
    snap = take_snapshot(REFS, slow)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.2 * len(REFS) / 2  # in parallel, not one after the other
    assert snap.readings["positioners.m3"].value == 3.0 and snap.missing() == {}


def test_failures_and_hangs_become_missing_values_with_reasons() -> None:
    release = threading.Event()

    def flaky(ref: SourceRef) -> object:
        if ref.target == "m1":
            raise ConnectionError("device down")
        if ref.target == "m2":
            release.wait(5)  # hangs
        if ref.target == "m3":
            return Reading.missing("not powered")
        return 1.0

    try:
        snap = take_snapshot(REFS, flaky, timeout=0.3)
    finally:
        release.set()
    missing = snap.missing()
    assert "device down" in missing["positioners.m1"] and "motor:m1" in missing["positioners.m1"]
    assert "no answer within 0.3 s" in missing["positioners.m2"]
    assert missing["positioners.m3"] == "not powered"
    assert snap.readings["positioners.m0"].value == 1.0


def test_background_snapshot_runs_while_the_caller_works() -> None:
    def slow(ref: SourceRef) -> float:
        time.sleep(0.3)
        return 1.0

    started = time.perf_counter()
    snapshot = BackgroundSnapshot(REFS, slow)
    time.sleep(0.3)  # "counting"
    snapshot.result()
    assert time.perf_counter() - started < 0.55
