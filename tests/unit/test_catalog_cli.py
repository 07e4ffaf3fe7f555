"""``sardana-nxsas catalog find | reindex | verify`` on real exposure files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from catalog_support import make_exposure, run_cli

from sardana_nxsas.acquisition.settings import Settings
from sardana_nxsas.catalog import Catalog, catalog_url, shared_writer
from sardana_nxsas.dataroot.layout import DataRoot

TITLES = ["Glassy_Carbon", "=1+1 'quoted' 100%", "Water ☃"]


@pytest.fixture
def root(data_root: Path, instrument_file: Path) -> Path:
    settings = Settings(DataRoot(data_root), instrument_file)
    for seed, title in enumerate(TITLES):
        make_exposure(settings, title, seed=seed)
    assert run_cli("reindex", "--data", str(data_root)) == 0
    return data_root


def _dump(root: Path) -> list[tuple]:
    engine = sa.create_engine(f"sqlite:///{root / 'catalog.sqlite'}")
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.text("SELECT * FROM exposures ORDER BY id"))]
    engine.dispose()
    return rows


def test_reindex_twice_changes_nothing(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _dump(root)
    assert len(before) == 3
    assert run_cli("reindex", "--data", str(root)) == 0
    assert _dump(root) == before
    assert "files/s" in capsys.readouterr().out


def test_find_formats(root: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    capsys.readouterr()
    assert run_cli("find", "--data", str(root), "--title", "water*") == 0
    out = capsys.readouterr().out
    assert "crd_00003" in out and "Water ☃" in out and "crd_00001" not in out
    assert run_cli("find", "--data", str(root), "--format", "json", "--fsn", "2:") == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["title"] for d in data] == TITLES[1:]
    assert data[0]["header"]["raw/instrument/detector/distance"] == 1000.0
    assert run_cli("find", "--data", str(root), "--format", "csv", "--last", "1") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("prefix,fsn,") and len(lines) == 2 and "Water" in lines[1]
    out_file = tmp_path / "x.csv"
    assert run_cli("find", "--data", str(root), "--format", "csv", "-o", str(out_file)) == 0
    assert len(out_file.read_text().splitlines()) == 4


def test_xlsx(root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from openpyxl import load_workbook

    assert run_cli("find", "--data", str(root), "--format", "xlsx") == 2
    assert "-o" in capsys.readouterr().out
    book_path = tmp_path / "exposures.xlsx"
    assert run_cli("find", "--data", str(root), "--format", "xlsx", "-o", str(book_path)) == 0
    sheet = load_workbook(book_path).active
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["prefix", "fsn"] and "distance [mm]" in header
    assert "exposure_time [s]" in header and "wavelength [nm]" in header
    assert sheet.auto_filter.ref.startswith("A1:") and sheet.freeze_panes == "A2"
    titles = [sheet.cell(row=r, column=header.index("title") + 1).value for r in (2, 3, 4)]
    assert titles == TITLES  # "=1+1..." stays text, not a formula
    assert sheet.cell(row=2, column=header.index("distance [mm]") + 1).value == 1000.0


def test_verify(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("verify", "--data", str(root)) == 0
    cbf = root / "images/crd/crd_00002.cbf"
    data = bytearray(cbf.read_bytes())
    data[-100] ^= 1
    cbf.write_bytes(bytes(data))
    (root / "nexus/crd/crd_00003.nxs").unlink()
    capsys.readouterr()
    assert run_cli("verify", "--data", str(root)) == 1
    out = capsys.readouterr().out
    assert "CBF checksum mismatch" in out and "crd_00002.cbf" in out
    assert "missing on disk: nexus/crd/crd_00003.nxs" in out


def test_verify_finds_a_file_not_in_the_catalog(
    root: Path, instrument_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(DataRoot(root), instrument_file)
    late = make_exposure(settings, "late")
    # exposures are catalogued live: take this one's row out again, as if the database lost it
    writer = shared_writer(settings.root)
    assert writer.flush(10)
    fsn = int(late.stem.rsplit("_", 1)[1])
    with Catalog(catalog_url(root, None)) as catalog:
        assert catalog.delete([("crd", fsn)]) == 1
    assert run_cli("verify", "--data", str(root)) == 1
    assert "not in the catalog" in capsys.readouterr().out


def test_verify_reads_every_chunk(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import h5py

    nxs = root / "nexus/crd/crd_00001.nxs"
    with h5py.File(nxs, "r") as f:
        offset = f["entry/raw/instrument/detector/data"].id.get_offset()
    assert offset is None  # chunked: find the chunk on disk
    with h5py.File(nxs, "r") as f:
        info = f["entry/raw/instrument/detector/data"].id.get_chunk_info(0)
    raw = bytearray(nxs.read_bytes())
    raw[info.byte_offset + info.size // 2] ^= 0xFF
    nxs.write_bytes(bytes(raw))
    capsys.readouterr()
    assert run_cli("verify", "--data", str(root)) == 1
    assert "HDF5 read error" in capsys.readouterr().out


def test_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("find") == 2
    assert run_cli("reindex", "--url", f"sqlite:///{tmp_path / 'c.sqlite'}") == 2
    assert run_cli("find", "--url", "postgresql+psycopg://u:secret@127.0.0.1:1/x") == 2
    out = capsys.readouterr().out
    assert "secret" not in out and len(out.splitlines()) == 3


def test_reindex_with_worker_processes_gives_the_same_rows(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sardana_nxsas.catalog import maintenance

    (root / "nexus" / "crd" / "crd_00009.nxs").write_bytes(b"not HDF5")
    monkeypatch.setattr(maintenance, "PARALLEL_FROM", 1)
    serial = f"sqlite:///{root / 'serial.sqlite'}"
    with Catalog(serial) as catalog:
        one = maintenance.reindex(DataRoot(root), catalog, workers=1)
        rows_one = catalog.find()
    tmp_url = f"sqlite:///{root / 'parallel.sqlite'}"
    with Catalog(tmp_url) as catalog:
        two = maintenance.reindex(DataRoot(root), catalog, workers=2)
        rows_two = catalog.find()
    assert rows_one == rows_two and len(rows_two) == 3
    assert one.unreadable == two.unreadable and "crd_00009.nxs" in two.unreadable[0]


def test_find_on_the_terminal_shows_the_newest_and_says_what_it_left_out(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert run_cli("find", "--data", str(root), "--limit", "2") == 0
    out, err = capsys.readouterr()
    shown = [line.split()[0] for line in out.splitlines()[1:]]
    assert shown == ["crd_00003", "crd_00002"]  # newest first
    assert "1 older match(es) not shown: use --limit 0 for all" in err
    assert run_cli("find", "--data", str(root), "--limit", "0", "--title", "*a*") == 0
    out, err = capsys.readouterr()
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["crd_00003", "crd_00001"]
    assert err == ""
    assert run_cli("find", "--data", str(root)) == 0  # default: 50, all 3 here
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 4 and err == ""
