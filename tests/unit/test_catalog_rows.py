"""Catalog rows read from real exposure files made with the core."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from catalog_support import make_exposure

from sardana_nxsas.acquisition.exposure import begin_exposure, end_exposure
from sardana_nxsas.acquisition.settings import Settings
from sardana_nxsas.catalog import Catalog, row_for_running, row_from_file
from sardana_nxsas.catalog.rows import scalar_fields
from sardana_nxsas.catalog.schema import COLUMNS, REDUCTION_COLUMNS
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.plain import plain_value


@pytest.fixture
def settings(data_root: Path, instrument_file: Path) -> Settings:
    return Settings(DataRoot(data_root), instrument_file)


def test_row_of_a_complete_exposure(settings: Settings) -> None:
    path = make_exposure(settings, "Glassy Carbon 'GC' 100%")
    data = row_from_file(path, settings.root)
    # the reduction's columns are the reducer's: a row read again never blanks them
    assert set(data) == set(COLUMNS) - {name for name, _ in REDUCTION_COLUMNS}
    assert (data["prefix"], data["fsn"], data["status"]) == ("crd", 1, "done")
    assert data["nxs_path"] == "nexus/crd/crd_00001.nxs"
    assert data["cbf_path"] == "images/crd/crd_00001.cbf"
    assert data["title"] == data["sample"] == "Glassy Carbon 'GC' 100%"
    assert data["distance"] == 1000.0 and data["distance_error"] == 0.5
    assert data["wavelength"] == pytest.approx(0.15418)
    assert data["beam_center_x"] == pytest.approx(243.5)
    assert data["exposure_time"] == 2.0
    frame = np.random.default_rng(3).poisson(2, (619, 487))
    assert data["total_counts"] == int(frame.sum())
    assert len(data["cbf_sha256"]) == 64
    assert isinstance(data["start_time"], datetime) and data["start_time"].tzinfo is not None
    assert data["header"]["raw/instrument/detector/distance"] == 1000.0
    assert data["header"]["raw/instrument/detector/distance@units"] == "mm"
    assert row_from_file(path, settings.root, total_counts=7)["total_counts"] == 7


def test_status_of_unfinished_exposures(settings: Settings) -> None:
    session, _ = begin_exposure(settings, "crd", "x")
    running = row_from_file(Path(session.nxs), settings.root)
    assert running["status"] == "running" and running["total_counts"] is None
    end_exposure(session, settings, status="aborted", reason="stopped")
    assert row_from_file(Path(session.nxs), settings.root)["status"] == "aborted"


def test_running_row_then_file_row(settings: Settings, tmp_path: Path) -> None:
    session, _ = begin_exposure(settings, "crd", "Water")
    early = row_for_running(settings.root, "crd", 1, "Water", None, session.start_time)
    with Catalog(f"sqlite:///{tmp_path / 'c.sqlite'}") as catalog:
        catalog.upsert([early])
        assert catalog.find()[0]["status"] == "running"
        end_exposure(session, settings)
        catalog.upsert([row_from_file(Path(session.nxs), settings.root)])
        (found,) = catalog.find(title="water")
    assert found["status"] == "failed"  # no frame was recorded
    assert found["start_time"] == datetime.fromisoformat(session.start_time)


def _scalars_by_visititems(entry: h5py.Group) -> dict[str, Any]:
    """The straightforward high-level reading the fast reader must agree with."""
    found: dict[str, Any] = {}

    def visit(name: str, obj: Any) -> None:
        if isinstance(obj, h5py.Dataset) and obj.shape == ():
            found[name] = plain_value(obj[()])
            units = obj.attrs.get("units")
            if units is not None and plain_value(units):
                found[f"{name}@units"] = plain_value(units)

    entry.visititems(visit)
    return found


def test_fast_header_reader_agrees_with_h5py_high_level(tmp_path: Path) -> None:
    path = tmp_path / "odd.nxs"
    with h5py.File(path, "w") as nxroot:
        entry = nxroot.create_group("entry")
        entry["int"], entry["flag"], entry["nan"] = 7, True, float("nan")
        entry["float"] = 1.5
        entry["float"].attrs["units"] = "mm"
        entry["vlen"] = "Glassy ☃"
        entry["vlen"].attrs["units"] = np.bytes_(b"cm")
        entry["fixed"] = np.bytes_(b"fixed")
        entry["array"] = np.arange(3)
        entry["array_units"] = 2.0
        entry["array_units"].attrs["units"] = np.array([1, 2])
        entry["empty_units"] = 3.0
        entry["empty_units"].attrs["units"] = ""
        entry.create_dataset("null", data=h5py.Empty("f8"))
        entry["deep/er/value"] = np.float32(0.25)
        entry["link"] = entry["int"]  # a hard link: one object, visited once
    with h5py.File(path, "r") as nxroot:
        expected = _scalars_by_visititems(nxroot["entry"])
        assert scalar_fields(nxroot["entry"]) == expected
    assert expected["vlen"] == "Glassy ☃" and expected["float@units"] == "mm"
    assert expected["nan"] is None and "empty_units@units" not in expected


def test_total_counts_kept_in_the_file_else_summed_from_the_frame(settings: Settings) -> None:
    path = make_exposure(settings, "counts")
    expected = int(np.random.default_rng(3).poisson(2, (619, 487)).sum())
    summary = "entry/raw/instrument/detector/frame_summary"
    with h5py.File(path, "r") as nxroot:
        assert nxroot[summary].attrs["NX_class"] == "NXcollection"
        assert nxroot[f"{summary}/total_counts"][()] == expected
    with h5py.File(path, "r+") as nxroot:  # as files written before the sum was kept
        nxroot[f"{summary}/total_counts"][()] = expected + 1  # proves which one is read
    # deep: the fields themselves (a hand-edited file's catalog note is stale; see test_note_*)
    assert row_from_file(path, settings.root, deep=True)["total_counts"] == expected + 1
    with h5py.File(path, "r+") as nxroot:
        del nxroot[summary]
    assert row_from_file(path, settings.root, deep=True)["total_counts"] == expected
