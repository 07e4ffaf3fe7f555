"""nxsend spools a reference to the file; the writer reads the row beside the acquisition."""

from pathlib import Path

from catalog_support import make_exposure

from sardana_nxsas.acquisition.settings import Settings
from sardana_nxsas.catalog import Catalog, catalog_url, shared_writer
from sardana_nxsas.catalog.spool import FROM_FILE, file_row
from sardana_nxsas.dataroot.layout import DataRoot


def test_the_file_row_is_read_when_sent(tmp_path: Path, instrument_file: Path) -> None:
    root = tmp_path / "data"
    root.mkdir()
    settings = Settings(DataRoot(root), instrument_file)
    nxs = make_exposure(settings, "deferred")  # the core submits file_row(...) at its end
    entry = file_row(nxs, settings.root, total_counts=7)
    assert entry[FROM_FILE] == "nexus/crd/crd_00001.nxs" and entry["fsn"] == 1
    assert shared_writer(settings.root).flush(10)
    with Catalog(catalog_url(root, None)) as catalog:
        (row,) = catalog.find(prefix="crd")
    assert row["status"] == "done" and row["title"] == "deferred"
    assert row["exposure_time"] == 2.0 and row["cbf_sha256"] and row["distance"] == 1000.0


def test_catalog_reader_and_validator_can_open_one_file_at_once(
    tmp_path: Path, instrument_file: Path
) -> None:
    import h5py

    from sardana_nxsas.catalog import row_from_file
    from sardana_nxsas.nexus.exposure.validate import validate_exposure

    root = tmp_path / "data"
    root.mkdir()
    settings = Settings(DataRoot(root), instrument_file)
    nxs = make_exposure(settings, "shared")
    with h5py.File(nxs, "r"):  # e.g. the writer thread reading it while a validate runs
        assert row_from_file(nxs, settings.root)["title"] == "shared"
        assert validate_exposure(nxs).ok
