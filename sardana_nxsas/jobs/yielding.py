"""The writer yields to a fast series: its work waits while the detector counts.

During ``expose T N`` with short exposures, the cycle of the count (the Pool, the
MacroServer, the Door: many thread hand-offs per exposure) shares the machine's cores
with the writer's compression and metadata and the reducer's integration. Measured on
two cores (docs/performance.md, benchmarks/results/history.md): the same jobs done after the series instead of beside
it give back several ms per exposure. So each wake during such a series carries a
*hold* (``hold <s>``): the writer starts no job until it expires or ``go`` comes. A
hold is short and renewed with every job, so a MacroServer that dies mid-series holds
nothing for long. A job ``MAX_BACKLOG_S`` old is done even while held: a long series
gets its files that late, one by one as its exposures are made (the writer's pace
beside the counts, as without a hold). Jobs are durable meanwhile: holding delays
files, it never risks them (decision 0008). The writer relays holds to its reducer.

The time comes from a :class:`Clock` (the system's unless a test gives its own), so
that a test decides when a hold expires or a job is old instead of waiting for it.
"""

from __future__ import annotations

import time
from typing import Protocol

FAST_BELOW_S = 1.0  # a series of exposures shorter than this asks the writer to yield
HOLD_S = 2.0  # how long one wake of such a series holds the writer
MAX_BACKLOG_S = 30.0  # a job this old is done even while held
GO = b"go\n"
JOB = b"\n"


class Clock(Protocol):
    """The two times a worker reads: ``monotonic`` for holds, ``time_ns`` (the wall
    clock, as in a job's name) for a job's age."""

    def monotonic(self) -> float: ...

    def time_ns(self) -> int: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def time_ns(self) -> int:
        return time.time_ns()


SYSTEM_CLOCK: Clock = SystemClock()


def hold_line(seconds: float = HOLD_S) -> bytes:
    return f"hold {seconds:g}\n".encode()


def asks_to_yield(count_time: float, count: int) -> bool:
    """Whether ``expose count_time count`` is a series the writer should yield to."""
    return count >= 2 and count_time < FAST_BELOW_S


class Hold:
    """The writer's side: the wake lines read so far decide whether it holds."""

    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self.clock = clock
        self.until = 0.0  # clock.monotonic() when the last hold expires
        self._partial = b""

    def feed(self, data: bytes) -> list[bytes]:
        """Take what the pipe gave; return the hold and go lines in it (the writer relays
        them to its reducer)."""
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()  # an unfinished line waits for the rest
        told = []
        for line in lines:
            word, _, value = line.strip().partition(b" ")
            if word == b"hold":
                try:
                    seconds = min(float(value), MAX_BACKLOG_S)
                except ValueError:
                    continue
                self.until = self.clock.monotonic() + seconds
            elif word == b"go":
                self.until = 0.0
            else:
                continue
            told.append(line + b"\n")
        return told

    def remaining(self) -> float:
        """Seconds until the hold expires (0: not holding)."""
        return max(0.0, self.until - self.clock.monotonic())
