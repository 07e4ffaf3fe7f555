"""The catalog note (/entry/notes) and what reindex / verify / validate make of files."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import h5py
import pytest
from catalog_support import make_exposure
from test_scan_file import ascan, run_points

from sardana_nxsas.acquisition.exposure import begin_exposure
from sardana_nxsas.acquisition.scan import ScanRecording
from sardana_nxsas.acquisition.settings import Settings
from sardana_nxsas.catalog import Catalog, catalog_url, row_from_file, shared_writer
from sardana_nxsas.catalog.maintenance import reindex, verify
from sardana_nxsas.catalog.note import FORMAT, VERSION, read_note
from sardana_nxsas.cli.main import main
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.nexus.scan.validate import base_class_messages, validate_any


@pytest.fixture
def settings(data_root: Path, instrument_file: Path) -> Settings:
    return Settings(DataRoot(data_root), instrument_file)


def _note(path: Path) -> dict[str, Any]:
    with h5py.File(path, "r") as nxroot:
        note = nxroot["entry/notes"]
        assert note.attrs["NX_class"] == "NXnote"
        assert note["type"][()] == b"application/json"
        return json.loads(note["data"][()])


def _edit_note(path: Path, change: Any) -> None:
    with h5py.File(path, "r+") as nxroot:
        content = json.loads(nxroot["entry/notes/data"][()])
        change(content)
        del nxroot["entry/notes/data"]
        nxroot["entry/notes"].create_dataset(
            "data", data=json.dumps(content), dtype=h5py.string_dtype()
        )


def test_the_writer_leaves_the_header_in_the_file(settings: Settings) -> None:
    path = make_exposure(settings, "Glassy_Carbon")
    content = _note(path)
    assert (content["format"], content["version"]) == (FORMAT, VERSION)
    assert content["header"]["status"] == "complete" and "notes/data" not in content["header"]
    assert (
        content["total_counts"]
        == content["header"]["raw/instrument/detector/frame_summary/total_counts"]
    )
    # the note and the fields give the same row
    assert row_from_file(path, settings.root) == row_from_file(path, settings.root, deep=True)


def test_a_running_exposure_has_no_note(settings: Settings) -> None:
    session, _ = begin_exposure(settings, "crd", "x")
    with h5py.File(session.nxs, "r") as nxroot:
        assert "notes" not in nxroot["entry"]


def test_reindex_reads_the_note_and_deep_the_fields(settings: Settings, tmp_path: Path) -> None:
    path = make_exposure(settings, "Glassy_Carbon")
    _edit_note(path, lambda c: c["header"].update(title="from the note"))
    assert row_from_file(path, settings.root)["title"] == "from the note"  # the note is read
    with Catalog(f"sqlite:///{tmp_path / 'c.sqlite'}") as catalog:
        reindex(settings.root, catalog)
        assert catalog.find()[0]["title"] == "from the note"
        (stale,) = verify(settings.root, catalog)
        assert stale.startswith("stale catalog note:") and "--deep" in stale
        reindex(settings.root, catalog, deep=True)
        assert catalog.find()[0]["title"] == "Glassy_Carbon"


@pytest.mark.parametrize(
    "spoil",
    ["version", "status", "members", "garbage"],
)
def test_a_note_that_does_not_fit_the_file_is_ignored(settings: Settings, spoil: str) -> None:
    path = make_exposure(settings, "Glassy_Carbon")
    _edit_note(path, lambda c: c["header"].update(title="from the note"))
    with h5py.File(path, "r+") as nxroot:
        entry = nxroot["entry"]
        if spoil == "version":
            content = json.loads(entry["notes/data"][()])
            content["version"] = VERSION + 1
            entry["notes/data"][()] = json.dumps(content)
        elif spoil == "status":  # the file changed status after the note was written
            del entry["status"]
            entry.create_dataset("status", data="aborted", dtype=h5py.string_dtype())
        elif spoil == "members":  # a group added later, say a reduced subentry
            entry.create_group("reduced").attrs["NX_class"] = "NXsubentry"
        else:
            entry["notes/data"][()] = "{not json"
        assert read_note(entry) is None
    assert row_from_file(path, settings.root)["title"] == "Glassy_Carbon"


@pytest.mark.parametrize("spelling", ["anode_material", "target_material"])
def test_a_completed_exposure_validates_without_errors_or_warnings(
    data_root: Path, tmp_path: Path, spelling: str
) -> None:
    example = resources.files("sardana_nxsas") / "examples" / "credo-like.toml"
    text = example.read_text()
    assert 'anode_material = "Cu"' in text
    instrument = tmp_path / "credo.toml"  # the older key name is still read
    instrument.write_text(text.replace("anode_material", spelling))
    path = make_exposure(Settings(DataRoot(data_root), instrument), "Glassy_Carbon")
    report = validate_any(path)
    assert report.ok and report.errors == [] and report.warnings == []
    errors, warnings = base_class_messages(path, "/entry")  # every base class of the entry
    assert errors == [], errors
    assert not [m for m in warnings if "/notes" in m or "/source" in m], warnings
    with h5py.File(path, "r") as nxroot:
        source = nxroot["entry/raw/instrument/source"]
        assert source["anode_material"][()] == b"Cu" and "target_material" not in source


def _scan(settings: Settings) -> Path:
    setup = ascan(settings)
    rec = ScanRecording(settings, setup)
    rec.begin()
    run_points(rec, [16.0, 17.0, 18.0, 19.0])
    rec.end("complete")
    return setup.path


def test_reindex_rebuilds_scan_rows_from_the_scan_file(settings: Settings) -> None:
    make_exposure(settings, "Glassy_Carbon")
    _scan(settings)
    assert shared_writer(settings.root).flush(10)
    database = settings.root.path / "catalog.sqlite"
    with Catalog(catalog_url(settings.root.path, None)) as catalog:
        live = {(r["prefix"], r["fsn"]): r for r in catalog.find()}
        assert verify(settings.root, catalog) == []
    assert set(live) == {("crd", 1), ("scan", 1), *(("scn", n) for n in range(1, 5))}
    database.unlink()
    with Catalog(catalog_url(settings.root.path, None)) as catalog:
        report = reindex(settings.root, catalog)
        rebuilt = {(r["prefix"], r["fsn"]): r for r in catalog.find()}
        assert verify(settings.root, catalog) == []
    assert report.files == 2 and not report.unreadable
    assert set(rebuilt) == set(live)
    for key, row in live.items():
        same = {"id", "start_time", "end_time"} if key[0] == "scn" else {"id"}
        for column, value in row.items():
            if column not in same:
                assert rebuilt[key][column] == value, (key, column)
    assert rebuilt[("scn", 2)]["start_time"] > rebuilt[("scn", 1)]["start_time"]


def test_verify_sees_scan_frames(settings: Settings, tmp_path: Path) -> None:
    _scan(settings)
    assert shared_writer(settings.root).flush(10)
    cbf = settings.root.path / "images" / "scn" / "scn_00003.cbf"
    cbf.write_bytes(cbf.read_bytes() + b" ")
    with Catalog(catalog_url(settings.root.path, None)) as catalog:
        problems = verify(settings.root, catalog)
    assert problems == [
        f"CBF checksum mismatch: {cbf} differs from the checksum in scn_00003",
        f"CBF checksum mismatch: {cbf} differs from the catalog's checksum",
    ]
    with Catalog(f"sqlite:///{tmp_path / 'empty.sqlite'}") as empty:
        missing = [p for p in verify(settings.root, empty) if p.startswith("not in the catalog")]
    assert len(missing) == 5 and "scan_00001 of" in missing[0]


def test_validate_recognises_a_scan_file(settings: Settings, capsys: Any) -> None:
    path = _scan(settings)
    report = validate_any(path)
    assert report.ok, report.errors
    assert not [m for m in report.warnings if "source" in m], report.warnings
    assert main(["validate", str(path)]) == 0
    assert "(complete)" in capsys.readouterr().out
