"""The one intake of a detector frame, shared by exposures and scans."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from sardana_nxsas.acquisition.frames import cbf_header, take_frame
from sardana_nxsas.dataroot.cbf import MiniCbfHeader, read_cbf, write_cbf
from sardana_nxsas.description import load_instrument
from sardana_nxsas.errors import FileExistsNxsError


@pytest.fixture
def header(instrument_file: Path) -> MiniCbfHeader:
    return cbf_header(load_instrument(instrument_file), 0.5, datetime.now())


def test_an_array_is_written_as_the_cbf_in_counts(tmp_path: Path, header: MiniCbfHeader) -> None:
    counts = np.array([[0.4, 1.6], [-1.0, 7.5]])  # a Tango image arrives as float64
    taken = take_frame(counts, tmp_path / "scn_00001.cbf", lambda: header)
    assert taken.path == tmp_path / "scn_00001.cbf" and taken.source is None
    frame, fields = read_cbf(taken.path)
    assert frame.tolist() == [[0, 2], [-1, 8]] and fields["exposure_time"] == 0.5


def test_a_reference_is_claimed_and_settled_now_or_later(
    tmp_path: Path, header: MiniCbfHeader
) -> None:
    detector = tmp_path / "frame_000001.cbf"
    write_cbf(detector, np.ones((2, 2), np.int32), header)

    def no_header() -> MiniCbfHeader:
        raise AssertionError("a claimed frame needs no header")

    later = take_frame(f"file://{detector}", tmp_path / "a.cbf", no_header, settle=False)
    assert later.source == detector and detector.exists()  # settled by the caller
    detector.unlink()
    write_cbf(detector, np.ones((2, 2), np.int32), header)
    now = take_frame(str(detector), tmp_path / "b.cbf", no_header)
    assert now.source is None and not detector.exists() and now.path.is_file()
    same = take_frame(str(now.path), now.path, no_header)  # already under its name
    assert same.path == now.path and same.source is None


def test_a_frame_is_never_overwritten(tmp_path: Path, header: MiniCbfHeader) -> None:
    taken = take_frame(np.zeros((2, 2)), tmp_path / "x.cbf", lambda: header)
    with pytest.raises(FileExistsNxsError):
        take_frame(np.ones((2, 2)), taken.path, lambda: header)
