"""Small statistics and Markdown tables for the benchmark scripts."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Stat:
    """Median, minimum and maximum of a series, in milliseconds."""

    n: int
    median: float
    minimum: float
    maximum: float

    def cells(self) -> list[str]:
        return [ms(self.median), ms(self.minimum), ms(self.maximum)]


def stat_ms(seconds: Sequence[float]) -> Stat:
    """Stat of durations given in seconds."""
    if not seconds:
        raise ValueError("no values")
    values = [1000.0 * s for s in seconds]
    return Stat(len(values), statistics.median(values), min(values), max(values))


def median_ms(seconds: Sequence[float]) -> float:
    return 1000.0 * statistics.median(seconds)


def ms(value: float) -> str:
    """Milliseconds with a precision that suits the magnitude."""
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], right_from: int = 1) -> str:
    """A Markdown table; columns from ``right_from`` on are right-aligned."""
    align = ["---" if i < right_from else "---:" for i in range(len(header))]
    lines = [header, align, *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)
