"""The exposure file itself: NXsas validity, default plot, compression, exclusivity."""

from datetime import datetime
from pathlib import Path

import h5py
import numpy as np
import pytest

from sardana_nxsas.description import load_instrument
from sardana_nxsas.errors import FileExistsNxsError
from sardana_nxsas.nexus.exposure.nxsas import (
    ExposureResult,
    ExposureStart,
    complete_exposure_file,
    create_exposure_file,
)
from sardana_nxsas.nexus.exposure.validate import default_plot, nxsas_messages

NOW = datetime(2026, 11, 24, 12, 0, 0).astimezone()


def frame() -> np.ndarray:
    data = np.random.default_rng(7).poisson(4, (619, 487)).astype(np.int32)
    data[195:212, :] = -1
    return data


def write(path: Path, instrument_file: Path, codec: str = "gzip", status: str = "complete") -> None:
    start = ExposureStart(
        "crd_00007", "Glassy_Carbon", "Glassy_Carbon", NOW, load_instrument(instrument_file)
    )
    create_exposure_file(path, start)
    complete_exposure_file(
        path,
        ExposureResult(NOW, status, 1.5, 1.5, {"timer": 1.5}, frame(), compression=codec),
    )


def test_valid_nxsas_with_zero_errors(tmp_path: Path, instrument_file: Path) -> None:
    path = tmp_path / "crd_00007.nxs"
    write(path, instrument_file)
    errors, warnings = nxsas_messages(path)
    assert errors == []
    with h5py.File(path) as f:
        assert f.attrs["default"] == "entry"
        entry = f["entry"]
        assert entry["entry_identifier"][()] == b"crd_00007"
        assert entry["raw/definition"][()] == b"NXsas"
        assert (
            entry["start_time"][()]
            .decode()
            .endswith(NOW.strftime("%z")[:3] + ":" + NOW.strftime("%z")[3:])
        )
        assert entry["program_name"].attrs["version"]
        assert entry["raw/instrument/detector/beam_center_x"].attrs["units"] == "mm"
        assert entry["raw/control/mode"][()] == b"timer"
        plotted = default_plot(f)
        assert plotted.shape == (619, 487)
        assert np.array_equal(plotted[()], frame())
        assert entry["raw/data/data"].attrs["target"] == "/entry/raw/instrument/detector/data"
        mask = entry["raw/instrument/detector/pixel_mask"][()]
        assert mask.dtype == np.int32 and mask.shape == (619, 487)
        assert np.array_equal(mask == 1, frame() < 0) and mask[frame() >= 0].max() == 0


def test_validator_can_fail(tmp_path: Path, instrument_file: Path) -> None:
    path = tmp_path / "crd_00007.nxs"
    write(path, instrument_file)
    with h5py.File(path, "r+") as f:
        del f["entry/raw/instrument/name"]
    errors, _ = nxsas_messages(path)
    assert any("instrument/name" in message for message in errors)


@pytest.mark.parametrize("codec", ["gzip", "bslz4", "none"])
def test_frame_is_chunked_and_compressed_as_configured(
    tmp_path: Path, instrument_file: Path, codec: str
) -> None:
    path = tmp_path / f"{codec}.nxs"
    write(path, instrument_file, codec)
    with h5py.File(path) as f:
        data = f["entry/raw/instrument/detector/data"]
        assert data.chunks is not None
        filters = set(data._filters)
        if codec == "gzip":
            assert "gzip" in filters and "shuffle" in filters
        elif codec == "bslz4":
            assert "32008" in filters  # the bitshuffle filter id
        else:
            assert data.compression is None
        assert np.array_equal(data[()], frame())


def test_never_overwrites(tmp_path: Path, instrument_file: Path) -> None:
    path = tmp_path / "crd_00007.nxs"
    path.write_bytes(b"precious")
    start = ExposureStart("crd_00007", "x", "x", NOW, load_instrument(instrument_file))
    with pytest.raises(FileExistsNxsError):
        create_exposure_file(path, start)
    assert path.read_bytes() == b"precious"


def test_final_status_must_be_final(tmp_path: Path, instrument_file: Path) -> None:
    path = tmp_path / "crd_00007.nxs"
    create_exposure_file(
        path, ExposureStart("crd_00007", "x", "x", NOW, load_instrument(instrument_file))
    )
    with pytest.raises(ValueError, match="final status"):
        complete_exposure_file(path, ExposureResult(NOW, "running"))
