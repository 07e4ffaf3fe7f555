from datetime import UTC, datetime
from pathlib import Path

import fabio
import numpy as np
import pytest

from sardana_nxsas.dataroot.cbf import (
    MiniCbfHeader,
    read_cbf,
    sha256_file,
    write_cbf,
)
from sardana_nxsas.errors import FileExistsNxsError

HEADER = MiniCbfHeader(
    detector="PILATUS 300K",
    pixel_size=(0.172, 0.172),
    exposure_time=300.0,
    wavelength=0.15418,
    distance=1234.5,
    beam_xy=(243.25, 309.75),
    timestamp=datetime(2026, 11, 24, 3, 0, tzinfo=UTC),
)


def frame() -> np.ndarray:
    data = np.random.default_rng(1).poisson(5, (619, 487)).astype(np.int32)
    data[195:212, :] = -1
    return data


def test_round_trip_pixels_and_header(tmp_path: Path) -> None:
    path = tmp_path / "crd_00001.cbf"
    digest = write_cbf(path, frame(), HEADER)
    data, header = read_cbf(path)
    assert np.array_equal(data, frame())
    assert digest == sha256_file(path)
    assert header["pixel_size"] == pytest.approx((0.172, 0.172))
    assert header["exposure_time"] == pytest.approx(300.0)
    assert header["wavelength"] == pytest.approx(0.15418)
    assert header["distance"] == pytest.approx(1234.5)
    assert header["beam_xy"] == pytest.approx((243.25, 309.75))


def test_fabio_reads_it_as_a_pilatus_cbf(tmp_path: Path) -> None:
    path = tmp_path / "x.cbf"
    write_cbf(path, frame(), HEADER)
    image = fabio.open(str(path))
    assert image.header["_array_data.header_convention"] == "PILATUS_1.2"
    assert image.shape == (619, 487)
    assert b"\r\ndata_x\r\n" in path.read_bytes()[:4096]  # the data block is named after the file


def test_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "x.cbf"
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsNxsError, match="never overwrites"):
        write_cbf(path, frame(), HEADER)
    assert path.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["x.cbf"]  # no temporary left behind
