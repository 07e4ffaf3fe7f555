"""What an exposure takes from the measurement group: its 2D channel, its timers, the counts.

The adapter hands in Sardana's measurement group object; this module only calls the
few methods described by :class:`MeasurementGroup` (no Sardana import). What it
learns is kept in the session (:class:`DetectorSetup`), so that ``ct`` and ``nxsend``
of a later macro know it without asking again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, SupportsFloat, cast

import numpy as np

from sardana_nxsas.acquisition.exposure import Session
from sardana_nxsas.errors import NxsError


class ChannelInfo(Protocol):
    """One enabled channel, as ``getChannelsEnabledInfo`` describes it."""

    name: str
    label: str
    full_name: str


class MeasurementGroup(Protocol):
    """The methods of Sardana's (Taurus) measurement group an exposure calls."""

    def getName(self) -> str: ...  # noqa: N802 (Sardana's spelling)

    def getChannelsEnabledInfo(self) -> Sequence[ChannelInfo]: ...  # noqa: N802

    # ret_full_name=True: keyed by full names, which Sardana returns without creating a
    # DeviceProxy per controller (measured: 4 µs against 2.3 ms for the short names)
    def getTimer(self, *elements: str, ret_full_name: bool = ...) -> Mapping[str, str]: ...  # noqa: N802


@dataclass(frozen=True)
class DetectorSetup:
    """The measurement group of an exposure and what was learnt of it at nxsbegin."""

    measurement_group: str
    channel: str  # the 2D channel's name
    channel_full_name: str
    channels: dict[str, str]  # enabled channels: full name -> name (the counters' names)
    timers: list[str]  # the timer of each enabled channel, by name, in the group's order

    # the keys of Session.extra: those the exposure macros of earlier versions wrote too
    def to_extra(self) -> dict[str, object]:
        return {
            "mg": self.measurement_group,
            "channel": self.channel,
            "channel_full_name": self.channel_full_name,
            "channels": dict(self.channels),
            "timers": list(self.timers),
        }

    @classmethod
    def of(cls, session: Session) -> DetectorSetup:
        extra = session.extra
        return cls(
            measurement_group=str(extra["mg"]),
            channel=str(extra["channel"]),
            channel_full_name=str(extra.get("channel_full_name", "")),
            channels=dict(extra["channels"]),
            timers=list(extra["timers"]),
        )


def detector_setup(
    mg_name: str | None,
    find: Callable[[str], MeasurementGroup | None],
    wanted: str | None,
) -> DetectorSetup:
    """The active measurement group ``mg_name`` (ActiveMntGrp, looked up by ``find``) with
    its one enabled 2D channel (``wanted``: its name, label or full name, if the
    description names it), or a one-line error."""
    if not mg_name:
        raise NxsError("no active measurement group: set ActiveMntGrp (senv ActiveMntGrp <mg>)")
    mg = find(mg_name)
    if mg is None:
        raise NxsError(f"ActiveMntGrp names {mg_name!r}, which does not exist: set an existing one")
    enabled = list(mg.getChannelsEnabledInfo())
    images = [ch for ch in enabled if getattr(ch, "ndim", None) == 2]
    if wanted:
        images = [ch for ch in images if wanted in (ch.name, ch.label, ch.full_name)]
    if len(images) != 1:
        what = f"2D channel {wanted!r}" if wanted else "exactly one 2D channel"
        raise NxsError(
            f"measurement group {mg_name} must have {what} enabled (found {len(images)})"
        )
    return DetectorSetup(
        measurement_group=mg.getName(),
        channel=images[0].name,
        channel_full_name=images[0].full_name,
        channels={ch.full_name: ch.name for ch in enabled},
        timers=list(mg.getTimer(ret_full_name=True).values()),  # asked afresh: never stale
    )


@dataclass(frozen=True)
class Counts:
    """What one count of the measurement group measured, sorted for the exposure."""

    counters: dict[str, float]  # by channel name, the 2D channel left out
    timer: str | None  # the first of the group's timers that counted
    frame: str | np.ndarray | None  # a file path (file:// removed), the array, or None

    @property
    def monitor(self) -> float | None:
        """The timer's value: the time counted, which the exposure records as its monitor."""
        return None if self.timer is None else self.counters[self.timer]


def sort_counts(values: Mapping[str, object], setup: DetectorSetup) -> Counts:
    """``values``: the count's channel values by full name (what ``ct`` returns)."""
    counters = {
        setup.channels.get(full, full): number
        for full, value in values.items()
        if full != setup.channel_full_name and (number := _scalar(value)) is not None
    }
    timers = [t for t in setup.timers if t in counters]
    return Counts(counters, timers[0] if timers else None, _frame(values, setup))


def _scalar(value: object) -> float | None:
    try:
        return float(cast(SupportsFloat, value))
    except (TypeError, ValueError):
        return None


def _frame(values: Mapping[str, object], setup: DetectorSetup) -> str | np.ndarray | None:
    frame = values.get(setup.channel_full_name)
    if frame is None or isinstance(frame, np.ndarray):
        return frame
    return str(frame).removeprefix("file://")  # a value reference, as a path
