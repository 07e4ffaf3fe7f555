"""What an exposure takes from the measurement group, with a fake group (no Sardana)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pytest

from sardana_nxsas.acquisition.exposure import Session
from sardana_nxsas.acquisition.measurement_group import (
    DetectorSetup,
    detector_setup,
    sort_counts,
)
from sardana_nxsas.errors import NxsError

HOST = "tango://127.0.0.1:10000/"


@dataclass
class Channel:
    name: str
    ndim: int
    label: str = ""
    full_name: str = ""

    def __post_init__(self) -> None:
        self.label = self.label or self.name
        self.full_name = self.full_name or f"{HOST}expchan/{self.name}ctrl/1"


@dataclass
class FakeGroup:
    """A measurement group whose channels and timers the test changes at will."""

    channels: list[Channel]
    timers: dict[str, str]  # channel name -> its controller's timer
    name: str = "mg_saxs"
    asked: list[bool] = field(default_factory=list)  # ret_full_name of each getTimer

    def getName(self) -> str:  # noqa: N802
        return self.name

    def getChannelsEnabledInfo(self) -> list[Channel]:  # noqa: N802
        return list(self.channels)

    def getTimer(self, *elements: str, ret_full_name: bool = False) -> Mapping[str, str]:  # noqa: N802
        self.asked.append(ret_full_name)
        by_name = {ch.name: ch for ch in self.channels}
        return {
            (by_name[name].full_name if ret_full_name else name): timer
            for name, timer in self.timers.items()
        }


def saxs_group() -> FakeGroup:
    return FakeGroup(
        [Channel("timer", 0), Channel("mon", 0), Channel("pilatus", 2)],
        {"timer": "timer", "mon": "timer", "pilatus": "pilatus"},
    )


def setup_of(group: FakeGroup, wanted: str | None = None) -> DetectorSetup:
    return detector_setup(group.name, {group.name: group}.get, wanted)


def test_the_one_2d_channel_and_the_timers() -> None:
    group = saxs_group()
    setup = setup_of(group)
    assert setup.measurement_group == "mg_saxs"
    assert setup.channel == "pilatus"
    assert setup.channel_full_name == f"{HOST}expchan/pilatusctrl/1"
    assert setup.channels[f"{HOST}expchan/monctrl/1"] == "mon"
    assert setup.timers == ["timer", "timer", "pilatus"]
    # full names: Sardana answers them without a DeviceProxy per controller (ms each)
    assert group.asked == [True]


def test_a_changed_timer_is_seen_at_the_next_exposure() -> None:
    group = saxs_group()
    assert setup_of(group).timers[0] == "timer"
    group.timers = {"timer": "mon", "mon": "mon", "pilatus": "pilatus"}  # set_meas_conf timer
    values = {ch.full_name: 2.0 for ch in group.channels[:2]}
    values[f"{HOST}expchan/monctrl/1"] = 7.0
    counts = sort_counts(values, setup_of(group))
    assert counts.timer == "mon" and counts.monitor == 7.0


def test_the_description_names_the_2d_channel() -> None:
    group = saxs_group()
    group.channels.append(Channel("eiger", 2, label="Eiger 9M"))
    with pytest.raises(NxsError, match="exactly one 2D channel enabled \\(found 2\\)"):
        setup_of(group)
    assert setup_of(group, "Eiger 9M").channel == "eiger"
    assert setup_of(group, "pilatus").channel == "pilatus"
    with pytest.raises(NxsError, match="2D channel 'lambda' enabled \\(found 0\\)"):
        setup_of(group, "lambda")


def test_no_or_an_unknown_measurement_group() -> None:
    with pytest.raises(NxsError, match="senv ActiveMntGrp"):
        detector_setup(None, {}.get, None)
    with pytest.raises(NxsError, match="'mg_x', which does not exist"):
        detector_setup("mg_x", {}.get, None)


def test_counts_sorted_for_the_exposure() -> None:
    group = saxs_group()
    setup = setup_of(group)
    timer, mon, pilatus = (ch.full_name for ch in group.channels)
    values = {
        timer: 0.3,
        mon: np.float64(12345.0),
        "tango://other/expchan/x/1": "not a number",
        pilatus: "file:///data/images/.incoming/frame_00007.cbf",
    }
    counts = sort_counts(values, setup)
    assert counts.counters == {"timer": 0.3, "mon": 12345.0}
    assert counts.timer == "timer" and counts.monitor == 0.3
    assert counts.frame == "/data/images/.incoming/frame_00007.cbf"
    image = np.zeros((3, 4))
    assert sort_counts({pilatus: image}, setup).frame is image
    no_timer = sort_counts({mon: 1.0}, setup)
    assert no_timer.timer is None and no_timer.monitor is None and no_timer.frame is None


def test_the_setup_survives_the_trip_through_the_environment() -> None:
    setup = setup_of(saxs_group())
    session = Session("crd", 1, "t", "/d/crd_00001.nxs", "/d/crd_00001.cbf", "now")
    session.extra.update(setup.to_extra())
    assert DetectorSetup.of(Session.from_dict(session.to_dict())) == setup
