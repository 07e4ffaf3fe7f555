"""Stock ``ct`` against ``expose`` on the live simulated instrument, interleaved.

Every repeat runs each variant once, in an order rotated from one repeat to
the next, so that drift of a noisy machine hits all variants alike:

- ``ct``: Sardana's stock ct T (no exposure session open), the measurement
  group configured as a lab configures it and as the target is measured
  against: value referencing on, so the simulated Pilatus saves a CBF (in
  the data root's ``images/.incoming/``) as a LImA-driven Pilatus would.
- ``ct-array``: the same stock ct with value referencing switched off for this
  call only: no file, the frame travels from the Pool to the MacroServer as an
  array. Switching it off and on again is not timed.
- ``expose``: expose T (nxsbegin + ct + nxsend inside one macro).
- ``3-step``: nxsbegin, ct T and nxsend as three Door calls.

Each call is timed with the client's wall clock (perf_counter around
``door.run``); the Door's own ``MacroResult.seconds`` is kept too.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from overhead_cpu import CpuMeter

from sardana_nxsas.dataroot.claim import INCOMING
from sardana_nxsas.system.door import DoorClient, MacroResult
from sardana_nxsas.system.simulated_instrument import (
    DETECTOR_CHANNEL,
    MEASUREMENT_GROUP,
    move_to_slot_macro,
    start_simulated_instrument,
)

VARIANTS = ("ct", "ct-array", "expose", "3-step")
STEPS = ("nxsbegin", "ct", "nxsend")


@dataclass(frozen=True)
class Timing:
    """One timed variant: client wall clock and the Door's MacroResult.seconds."""

    wall: float  # s
    door: float  # s


@dataclass
class LiveRun:
    detector: str
    exposure_time: float
    sample: str
    compression: str
    warmup: int
    repeats: int
    timings: dict[str, list[Timing]] = field(default_factory=lambda: {v: [] for v in VARIANTS})
    steps: dict[str, list[Timing]] = field(default_factory=lambda: {s: [] for s in STEPS})
    orders: list[tuple[str, ...]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    setup_seconds: float = 0.0


def _run(door: DoorClient, line: str) -> tuple[Timing, MacroResult]:
    t0 = time.perf_counter()
    result = door.run(line)
    wall = time.perf_counter() - t0
    if not result.ok:
        why = (result.errors or [result.status or result.state])[-1]
        raise RuntimeError(f"{line!r} failed on the simulated instrument: {why}")
    return Timing(wall, result.seconds), result


def _set_ref(door: DoorClient, parameter: str, value: str) -> None:
    line = f"set_meas_conf {parameter} {value} [ {DETECTOR_CHANNEL} ] {MEASUREMENT_GROUP}"
    _run(door, line)


def _detector_value(result: MacroResult) -> str:
    """What ct printed for the detector channel: a shape ``[rows, cols]`` or a URI."""
    pattern = re.compile(rf"^\s*{DETECTOR_CHANNEL}\s*=\s*(.+)$")
    for line in result.output:
        match = pattern.match(line)
        if match:
            return match.group(1).strip()
    return "?"


class _Variants:
    """The four timed variants on one running instrument."""

    def __init__(self, door: DoorClient, exposure_time: float) -> None:
        self.door = door
        self.t = f"{exposure_time:g}"
        self.ct_value = ""
        self.ct_array_value = ""

    def ct(self) -> tuple[Timing, dict[str, Timing]]:
        timing, result = _run(self.door, f"ct {self.t}")
        self.ct_value = _detector_value(result)
        return timing, {}

    def ct_array(self) -> tuple[Timing, dict[str, Timing]]:
        _set_ref(self.door, "ValueRefEnabled", "False")
        try:
            timing, result = _run(self.door, f"ct {self.t}")
        finally:
            _set_ref(self.door, "ValueRefEnabled", "True")
        self.ct_array_value = _detector_value(result)
        return timing, {}

    def expose(self) -> tuple[Timing, dict[str, Timing]]:
        timing, _ = _run(self.door, f"expose {self.t}")
        return timing, {}

    def three_step(self) -> tuple[Timing, dict[str, Timing]]:
        parts: dict[str, Timing] = {}
        t0 = time.perf_counter()
        for step, line in zip(STEPS, ("nxsbegin", f"ct {self.t}", "nxsend"), strict=True):
            parts[step], _ = _run(self.door, line)
        wall = time.perf_counter() - t0
        return Timing(wall, sum(p.door for p in parts.values())), parts

    def runner(self, variant: str) -> Callable[[], tuple[Timing, dict[str, Timing]]]:
        return {
            "ct": self.ct,
            "ct-array": self.ct_array,
            "expose": self.expose,
            "3-step": self.three_step,
        }[variant]


def _count_files(folder: Path, suffix: str) -> int:
    return sum(1 for _ in folder.rglob(f"*{suffix}")) if folder.exists() else 0


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def measure_live(
    detector: str,
    exposure_time: float,
    repeats: int,
    warmup: int,
    sample: str = "Glassy_Carbon",
    compression: str | None = None,
    tmp_dir: Path | None = None,
) -> LiveRun:
    """Start the simulated instrument for ``detector``, measure, stop it."""
    run = LiveRun(detector, exposure_time, sample, compression or "gzip (default)", warmup, repeats)
    with tempfile.TemporaryDirectory(prefix=f"nxsas-bench-{detector}-", dir=tmp_dir) as tmp:
        base = Path(tmp)
        data_root = base / "data"
        _progress(f"{detector}: starting the simulated instrument in {base}")
        t0 = time.perf_counter()
        with start_simulated_instrument(base / "work", data_root, detector) as instrument:
            run.setup_seconds = time.perf_counter() - t0
            door = instrument.door
            _run(door, move_to_slot_macro(sample))
            if compression:
                _run(door, f"senv NxsCompression {compression}")
            variants = _Variants(door, exposure_time)
            pids = [instrument.server.pid, instrument.db.pid]
            meter = CpuMeter(pids)
            for index in range(warmup + repeats):
                if index == warmup:
                    meter = CpuMeter(pids)
                order = VARIANTS[index % len(VARIANTS) :] + VARIANTS[: index % len(VARIANTS)]
                timed = index >= warmup
                label = f"repeat {index - warmup + 1}/{repeats}" if timed else "warm-up"
                _progress(f"{detector}: {label}: {' '.join(order)}")
                for variant in order:
                    timing, parts = variants.runner(variant)()
                    if timed:
                        run.timings[variant].append(timing)
                        for step, part in parts.items():
                            run.steps[step].append(part)
                if timed:
                    run.orders.append(order)
            cpu = meter.stop()
        cbfs = _count_files(data_root / "images", ".cbf")
        nxss = _count_files(data_root / "nexus", ".nxs")
        incoming = _count_files(data_root / "images" / INCOMING, ".cbf")
        cbfs -= incoming
    cycles = warmup + repeats
    if cpu is not None:
        run.notes.append(cpu.text() + ".")
    run.notes += [
        f"stock ct (no session) printed `{DETECTOR_CHANNEL} = {variants.ct_value}`: "
        f"{incoming} unclaimed CBFs in images/{INCOMING} for {cycles} calls.",
        f"ct-array printed `{DETECTOR_CHANNEL} = {variants.ct_array_value}`: the frame "
        "travelled to the MacroServer as an array.",
        f"expose + 3-step left {cbfs} CBFs and {nxss} .nxs files for {2 * cycles} exposures.",
    ]
    return run
