"""End values: (start, end) logs, and what could not be read again."""

from datetime import datetime
from pathlib import Path

import h5py
import numpy as np

from sardana_nxsas.description import load_description, resolve
from sardana_nxsas.description.model import Reading
from sardana_nxsas.nexus.exposure.nxsas import (
    ExposureResult,
    ExposureStart,
    complete_exposure_file,
    create_exposure_file,
)
from sardana_nxsas.nexus.exposure.readings import end_values, readings_from_json, readings_to_json
from sardana_nxsas.simulation.instrument_file import simulated_instrument_toml

NOW = datetime(2026, 11, 24, 12, 0).astimezone()


def test_end_values_log_and_missing(tmp_path: Path) -> None:
    toml = tmp_path / "sim.toml"
    toml.write_text(simulated_instrument_toml())
    description = load_description(toml)
    start = {"beam_stop.x": Reading(0.0), "positioners.samx": Reading(20.0, units="mm"),
             "positioners.samy": Reading(1.0, units="mm")}  # fmt: skip
    info = resolve(description, start)
    at_end = readings_from_json(readings_to_json({
        "positioners.samx": Reading(np.float64(20.5), units="mm"),
        "positioners.samy": Reading.missing("motor:samy: device down"),
    }))  # fmt: skip
    end = end_values(description, at_end, 1.5, "2026-11-24T12:00:00+00:00")
    path = tmp_path / "x.nxs"
    create_exposure_file(path, ExposureStart("crd_00001", "t", "t", NOW, info))
    frame = np.zeros((619, 487), np.int32)
    complete_exposure_file(path, ExposureResult(NOW, "complete", 1.0, 1.0, frame=frame, end=end))
    with h5py.File(path) as f:
        samx = f["entry/raw/instrument/positioners/samx"]
        assert list(samx["value_log/value"][()]) == [20.0, 20.5]
        assert list(samx["value_log/time"][()]) == [0.0, 1.5]
        assert samx["value_log/time"].attrs["start"] == "2026-11-24T12:00:00+00:00"
        assert "value_log" not in f["entry/raw/instrument/positioners/samy"]
        lost = f["entry/raw/missing_metadata/positioners_samy_at_end"]
        assert "device down" in lost[()].decode()
        assert lost.attrs["key"] == "positioners.samy (at the end)"


def test_sample_record(tmp_path: Path) -> None:
    from sardana_nxsas.samples.model import Sample

    sample = Sample("REV 1", thickness=0.14, thickness_error=0.001, transmission=0.18,
                    transmission_error=0.002, position_x=50, category="sample+buffer",
                    preparation_date="2024-10-02", project="P-17")  # fmt: skip
    path = tmp_path / "s.nxs"
    create_exposure_file(path, ExposureStart("crd_00001", "REV 1", sample.name, NOW, sample=sample))
    with h5py.File(path) as f:
        grp = f["entry/raw/sample"]
        assert grp["name"][()].decode() == "REV 1" and grp["type"][()] == b"sample+buffer"
        assert grp["thickness"][()] == 0.14 and grp["thickness"].attrs["units"] == "cm"
        assert grp["thickness_errors"][()] == 0.001
        assert grp["transmission"].attrs["NX_class"] == "NXdata"  # NXsample: an NXdata group
        assert grp["transmission/data"][()] == 0.18 and grp["transmission/data_errors"][()] == 0.002
        assert grp["x_translation"][()] == 50 and grp["project"][()] == b"P-17"
