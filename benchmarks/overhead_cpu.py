"""How busy the machine was while a benchmark ran, and how much of it was ours.

Read from /proc (Linux): the machine's CPU time from /proc/stat, our processes'
(client, Sardana, Tango DB) from /proc/<pid>/stat. "Others" is the rest: other
users of the machine that slow down every CPU-bound step measured.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _machine_busy() -> float | None:
    """CPU seconds spent not idle, all CPUs together, since boot."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except (OSError, IndexError):
        return None
    ticks = [int(v) for v in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return (sum(ticks[:8]) - idle) / _TICK  # guest time is already counted in user


def _process_cpu(pids: Iterable[int]) -> float:
    """CPU seconds (user + system, all threads) of the processes still alive."""
    total = 0.0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime
    return total


@dataclass(frozen=True)
class CpuUse:
    seconds: float  # wall time
    busy: float  # average cores busy, whole machine
    ours: float  # average cores used by our processes
    cores: int

    def text(self) -> str:
        others = max(0.0, self.busy - self.ours)
        return (
            f"CPU during the timed rounds ({self.seconds:.0f} s): machine {self.busy:.2f} of "
            f"{self.cores} cores busy on average, our processes {self.ours:.2f}, "
            f"others {others:.2f}"
        )


class CpuMeter:
    """Started and stopped around a measurement; ``pids`` are our processes."""

    def __init__(self, pids: Iterable[int | None]) -> None:
        self.pids = [os.getpid(), *(p for p in pids if p is not None)]
        self._t0 = time.monotonic()
        self._busy0 = _machine_busy()
        self._ours0 = _process_cpu(self.pids)

    def stop(self) -> CpuUse | None:
        seconds = time.monotonic() - self._t0
        busy1, ours1 = _machine_busy(), _process_cpu(self.pids)
        if self._busy0 is None or busy1 is None or seconds <= 0:
            return None
        return CpuUse(
            seconds,
            (busy1 - self._busy0) / seconds,
            (ours1 - self._ours0) / seconds,
            os.cpu_count() or 1,
        )
