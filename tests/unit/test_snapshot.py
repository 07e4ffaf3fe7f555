"""The concurrent metadata snapshot: fast, and never fatal.

"At the same time" is shown with events and a barrier, not with a stopwatch: a read
that only goes on once every other one has started cannot finish one after the other.
"""

from __future__ import annotations

import threading

from sardana_nxsas.acquisition.snapshot import BackgroundSnapshot, take_snapshot
from sardana_nxsas.description.model import Reading, SourceRef

REFS = [SourceRef(f"positioners.m{i}", "motor", f"m{i}") for i in range(8)]


def test_reads_concurrently() -> None:
    # each read waits for all of them to have begun: one after the other, the first
    # would wait in vain (BrokenBarrierError after 2 s, a missing value)
    together = threading.Barrier(len(REFS), timeout=2.0)

    def waits_for_the_others(ref: SourceRef) -> float:
        together.wait()
        return float(ref.target[1:])

    snap = take_snapshot(REFS, waits_for_the_others)
    assert snap.missing() == {}  # in parallel, not one after the other
    assert snap.readings["positioners.m3"].value == 3.0


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
    reading = threading.Event()
    counted = threading.Event()

    def waits_for_the_count(ref: SourceRef) -> float:
        reading.set()
        counted.wait(5)
        return 1.0

    snapshot = BackgroundSnapshot(REFS, waits_for_the_count)
    assert reading.wait(5)  # "counting": the sources are read before result() is asked
    counted.set()
    snap = snapshot.result()
    assert snap.missing() == {} and snap.readings["positioners.m7"].value == 1.0
