"""The reduced subentry: NXcanSAS both ways, SasView's reader, ASCII, the writer's checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
from reduction_support import expose, simulated_settings, standards

from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.nexus.exposure.validate import validate_exposure
from sardana_nxsas.reduction import reduce_exposure
from sardana_nxsas.reduction.cansas import ReducedCurve
from sardana_nxsas.reduction.export import read_reduced, write_cansas_file, write_xlsx
from sardana_nxsas.reduction.validate import cansas_messages, cansas_rules

pytest.importorskip("pyFAI")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings = simulated_settings(tmp_path_factory.mktemp("files"))
    standards(settings, 60.0)
    path = expose(settings, "Spheres_R20nm", 60.0, 21)
    assert reduce_exposure(settings.root, path).status == "done"
    return path


def test_nxcansas_validation_has_no_errors(sample: Path) -> None:
    errors, _ = cansas_messages(sample, "/entry/reduced")
    assert errors == []
    assert cansas_rules(sample, "/entry/reduced") == []


def test_our_rules_catch_what_nexusformat_does_not(sample: Path, tmp_path: Path) -> None:
    broken = tmp_path / sample.name
    shutil.copy(sample, broken)
    with h5py.File(broken, "r+") as f:
        sub = f["entry/reduced"]
        sub.attrs["version"] = "1.0"
        sub["sasdata01"].attrs["Q_indices"] = 1
        sub["sasdata01/I"].attrs["units"] = "counts"
        del sub["sasdata01"].attrs["I_axes"]
    errors = cansas_rules(broken, "/entry/reduced")
    assert any("version" in e for e in errors)
    assert any("Q_indices" in e for e in errors)
    assert any("I_axes" in e for e in errors)
    assert any("counts" in e for e in errors)


def test_the_exposure_stays_valid_and_its_default_is_the_frame(sample: Path) -> None:
    report = validate_exposure(sample)
    assert report.ok, report.errors
    with h5py.File(sample, "r") as f:
        assert f.attrs["default"] == "entry" and f["entry"].attrs["default"] == "raw"
        assert f["entry/reduced"].attrs["default"] == "sasdata01"
        assert f["entry/reduced/status"][()] == b"done"
        steps = f["entry/reduced/sasprocess/steps/data"][()].decode()
        for word in ("mask", "dark", "transmission", "empty beam", "solid angle", "thickness",
                     "absolute scale", "azimuthal"):  # fmt: skip
            assert word in steps
        assert f["entry/reduced/sasprocess/glassy_carbon_exposure"][()] == b"crd_00003"
        assert b"pyFAI" not in f["entry/reduced/sasprocess/pyFAI_version"][()]


def test_ascii_file_next_to_it_has_the_same_curve(sample: Path) -> None:
    ascii_file = sample.with_suffix(".dat")
    table = np.loadtxt(ascii_file)
    curve = read_reduced(sample).curve
    np.testing.assert_allclose(table, np.column_stack([curve.q, curve.i, curve.idev]), rtol=1e-7)
    header = ascii_file.read_text().splitlines()[:40]
    assert "# exposure: crd_00004" in header and any("absolute_factor" in h for h in header)


def test_standalone_file_validates_and_loads_in_sasview(sample: Path, tmp_path: Path) -> None:
    from sasdata.dataloader.readers.cansas_reader_HDF5 import Reader

    reduced = read_reduced(sample)
    out = tmp_path / "export.h5"
    write_cansas_file(out, [reduced, reduced])
    for entry in ("/sasentry01", "/sasentry02"):
        assert cansas_messages(out, entry)[0] == []
        assert cansas_rules(out, entry) == []
    (data, _) = Reader().read(str(out))
    # SasView works in 1/angstrom
    np.testing.assert_allclose(np.asarray(data.x) * 10, reduced.curve.q, rtol=1e-9)
    np.testing.assert_allclose(data.y, reduced.curve.i, rtol=1e-9)
    np.testing.assert_allclose(data.dy, reduced.curve.idev, rtol=1e-9)
    assert data.title == "Spheres_R20nm" and data.run == ["crd_00004"]


def test_the_exposure_file_itself_loads_in_sasview(sample: Path, tmp_path: Path) -> None:
    from sasdata.dataloader.loader import Loader
    from sasdata.dataloader.readers.associations import FILE_ASSOCIATIONS
    from sasdata.dataloader.readers.cansas_reader_HDF5 import Reader

    from sardana_nxsas.catalog.rows import write_catalog_note

    def same_curve(data, curve: ReducedCurve) -> None:
        np.testing.assert_allclose(np.asarray(data.x) * 10, curve.q, rtol=1e-12)  # 1/angstrom
        np.testing.assert_allclose(data.y, curve.i, rtol=1e-12)
        np.testing.assert_allclose(data.dy, curve.idev, rtol=1e-12)
        np.testing.assert_allclose(np.asarray(data.dx) * 10, curve.qdev, rtol=1e-12)

    reduced = read_reduced(sample)
    with h5py.File(sample, "r") as f:  # sasdata walks the links in order: the SASentry first
        assert list(f["entry"])[0] == "reduced"
    (data,) = Reader().read(str(sample))
    same_curve(data, reduced.curve)
    assert data.title == "Spheres_R20nm" and data.run == ["crd_00004"]
    assert FILE_ASSOCIATIONS[".nxs"].__name__.endswith("cansas_reader_HDF5")
    (data,) = Loader().load(str(sample))  # SasView's "Load data": by the extension
    same_curve(data, reduced.curve)

    # reduced again (the subentry replaced) and the catalog note written after: still first
    again = tmp_path / "data" / "nexus" / "crd" / sample.name
    shutil.copytree(sample.parents[2], tmp_path / "data")
    assert reduce_exposure(DataRoot(tmp_path / "data"), again).status == "done"
    assert write_catalog_note(again)
    with h5py.File(again, "r") as f:
        assert list(f["entry"])[0] == "reduced" and "notes" in f["entry"]
        assert f.attrs["default"] == "entry" and f["entry"].attrs["default"] == "raw"
    (data,) = Reader().read(str(again))
    same_curve(data, read_reduced(again).curve)
    assert validate_exposure(again).ok
    assert cansas_messages(again, "/entry/reduced")[0] == []
    assert cansas_rules(again, "/entry/reduced") == []


def test_xlsx_has_one_sheet_per_exposure(sample: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "x.xlsx"
    write_xlsx(out, [read_reduced(sample)])
    book = load_workbook(out)
    assert book.sheetnames == ["summary", "crd_00004"]
    assert book["crd_00004"]["A1"].value == "q (1/nm)"


@pytest.mark.parametrize(
    "change, message",
    [
        ({"qdev": None}, "qdev"),
        ({"idev": np.zeros(3)}, "uncertainty"),
        ({"i": np.array([1.0, np.nan, 1.0])}, "non-finite"),
        ({"i_units": "counts"}, "units"),
        ({"idev": np.array([1.0, 1.0])}, "shape"),
    ],
)
def test_the_writer_refuses_a_curve_without_its_science(change: dict, message: str) -> None:
    values = {"q": np.arange(1.0, 4.0), "i": np.ones(3), "idev": np.ones(3), "qdev": np.ones(3)}
    values.update(change)
    with pytest.raises((ValueError, TypeError), match=message):
        ReducedCurve(**values)


def test_export_command_writes_each_format(sample: Path, tmp_path: Path) -> None:
    from sardana_nxsas.cli.main import main

    data = str(sample.parents[2])
    assert main(["export", "--data", data, "--fsn", "1-4", "-o", str(tmp_path / "a")]) == 0
    assert (tmp_path / "a" / "crd_00004.dat").is_file()  # 1-3 are not reduced: skipped
    for fmt, name in (("xlsx", "r.xlsx"), ("nxcansas", "r.h5")):
        args = ["export", "--data", data, "--fsn", "4", "--format", fmt, "-o", str(tmp_path / name)]
        assert main(args) == 0 and (tmp_path / name).is_file()
    assert cansas_rules(tmp_path / "r.h5", "/sasentry01") == []
    assert main(["export", "--data", data, "--fsn", "7-9"]) == 2  # nothing reduced there
