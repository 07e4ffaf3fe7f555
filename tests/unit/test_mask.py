"""NXdetector/pixel_mask bits from the frame and from the instrument description."""

from pathlib import Path

import fabio
import numpy as np
import pytest
from fabio.edfimage import EdfImage

from sardana_nxsas.description.info import DetectorInfo, Quantity
from sardana_nxsas.errors import ConfigError
from sardana_nxsas.nexus.mask import DEAD, GAP, bad_pixel_mask, pixel_mask

MM = Quantity(0.172, "mm")


def detector(**kwargs) -> DetectorInfo:
    px = Quantity(1.0, "pixel")
    return DetectorInfo("test", Quantity(1000, "mm"), MM, MM, px, px, **kwargs)


def test_gap_and_dead_bits_from_the_frame() -> None:
    frame = np.array([[0, -1], [-2, 5]], np.int32)
    assert pixel_mask(frame).tolist() == [[0, GAP], [DEAD, 0]]


def test_bad_pixels_listed_in_the_description() -> None:
    bad = bad_pixel_mask(detector(bad_pixels=((0, 1), (1, 0), (9, 9))), (2, 3))
    assert bad.tolist() == [[False, True, False], [True, False, False]]  # (9, 9) is off the frame
    frame = np.zeros((2, 3), np.int32)
    frame[0, 1] = -1
    assert pixel_mask(frame, bad).tolist() == [[0, GAP | DEAD, 0], [DEAD, 0, 0]]
    assert bad_pixel_mask(detector(), (2, 3)) is None


def test_mask_file_read_with_fabio(tmp_path: Path) -> None:
    path = tmp_path / "mask.edf"
    data = np.zeros((4, 5), np.uint8)
    data[2, 3] = 1
    EdfImage(data=data).write(str(path))
    assert fabio.open(str(path)).data.shape == (4, 5)
    bad = bad_pixel_mask(detector(bad_pixels_file=str(path)), (4, 5))
    assert np.argwhere(bad).tolist() == [[2, 3]]
    with pytest.raises(ConfigError, match="detector's size"):
        bad_pixel_mask(detector(bad_pixels_file=str(path)), (5, 5))
