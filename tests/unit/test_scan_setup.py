"""The scan recorder's choices, made in the core without Sardana."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from sardana_nxsas.acquisition.scan_setup import (
    Channel,
    final_status,
    mesh_grid,
    record_columns,
    scan_file_for,
    yields_to_scan,
)

CHANNELS = [
    Channel("samx", "samx", moveable=True),
    Channel("tango://h:1/expchan/timer/1", "timer"),
    Channel("tango://h:1/expchan/diode/1", "diode 2"),
    Channel("tango://h:1/expchan/pilatus/1", "pilatus", shape=(619, 487)),
    Channel("tango://h:1/expchan/eiger/1", "eiger", value_ref=True),
    Channel("tango://h:1/expchan/spectrum/1", "spectrum", shape=(1024,)),
    Channel("point_nb", "#Pt No"),  # recorded, not a channel of the measurement group
]
MEASURED = {c.name for c in CHANNELS if c.name.startswith("tango:")}


def test_record_columns_motor_counters_timer_and_frame() -> None:
    found = record_columns(CHANNELS, MEASURED, {"timer"})
    assert found.motors == {"samx": "samx"}
    assert list(found.counters.values()) == ["timer", "diode_2"]  # labels as NeXus names
    assert found.timer == "timer"
    assert found.frame_key == "tango://h:1/expchan/pilatus/1"  # the first 2D channel
    wanted = record_columns(CHANNELS, MEASURED, {"tango://h:1/expchan/timer/1"}, "eiger")
    assert wanted.frame_key == "tango://h:1/expchan/eiger/1" and wanted.timer == "timer"
    assert record_columns(CHANNELS, MEASURED, set(), "nope").frame_key == found.frame_key
    assert record_columns(CHANNELS, MEASURED, set()).timer is None


def test_a_record_becomes_a_point() -> None:
    found = record_columns(CHANNELS, MEASURED, {"timer"})
    record = {
        "samx": 16.5,
        "tango://h:1/expchan/timer/1": 0.1,
        "tango://h:1/expchan/diode/1": None,  # not read
        "tango://h:1/expchan/pilatus/1": "file:///data/images/.incoming/frame_000001.cbf",
        "timestamp": 0.25,
    }
    point = found.point(3, record)
    assert point.index == 3 and point.positions == {"samx": 16.5}
    assert point.counters["timer"] == 0.1 and math.isnan(point.counters["diode_2"])
    assert point.frame == "/data/images/.incoming/frame_000001.cbf"
    assert point.count_time == 0.1 and point.seconds == 0.25
    array = np.ones((2, 2))
    point = found.point(0, {"tango://h:1/expchan/pilatus/1": array})
    assert point.frame is array and point.seconds is None and point.count_time is None


def test_final_status_and_its_reason() -> None:
    assert final_status("Normal", None, 21, 21) == ("complete", None)
    assert final_status("Stop", "Stop", 7, 31) == (
        "aborted", "scan stopped (Ctrl-C) after 7 of 31 points",
    )  # fmt: skip
    # a stop during a move reaches the recorder as an exception
    assert final_status("Exception", "Stop", 3, None) == (
        "aborted", "scan stopped (Ctrl-C) after 3 points",
    )  # fmt: skip
    assert final_status("Exception", "Abort", 3, 5)[1] == "scan aborted after 3 of 5 points"
    assert final_status("Exception", None, 3, 5) == ("failed", "scan failed after 3 of 5 points")
    assert final_status("Odd", None, 0, None) == ("failed", "scan ended with Odd after 0 points")


def test_one_file_per_scan(tmp_path: Path) -> None:
    named = scan_file_for(str(tmp_path / "scan_00012.nxs"), "scan_{ScanID:05d}.nxs", 12)
    assert named == tmp_path / "scan_00012.nxs"
    assert scan_file_for(str(tmp_path / "align.nxs"), "align.nxs", 12).name == "align_00012.nxs"
    mixed = ["scan_{ScanID:05d}.nxs", "stock.h5"]
    assert scan_file_for(str(tmp_path / "scan_00003.nxs"), mixed, 3).name == "scan_00003.nxs"
    bad_field = "scan_{Other}.nxs"  # a field Sardana would not fill: numbered, not an error
    assert scan_file_for(str(tmp_path / "x.nxs"), bad_field, 4).name == "x_00004.nxs"


def test_mesh_grid() -> None:
    grid = mesh_grid(["samx", "samy"], [18.0, -1.0], [22.0, 1.0], [4, 2], True)
    assert grid is not None
    assert grid.fast == "samx" and grid.fast_positions == (18.0, 19.0, 20.0, 21.0, 22.0)
    assert grid.slow_positions == (-1.0, 0.0, 1.0) and grid.bidirectional
    assert all(type(x) is float for x in grid.fast_positions)  # plain floats: JSON in a job
    assert mesh_grid(["samx"], [0.0], [1.0], [2]) is None


def test_a_fast_scan_holds_the_writer() -> None:
    assert yields_to_scan(0.01, 100) and yields_to_scan(0.5, 2)
    assert not yields_to_scan(1.0, 100)  # slow counts: the writer works between them
    assert not yields_to_scan(0.01, 1)
    assert not yields_to_scan(None, 100) and not yields_to_scan(0.1, None)
