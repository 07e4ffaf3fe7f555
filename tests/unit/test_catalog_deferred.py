"""A spooled reference to a file (as nxsend spooled them before the writer process; a
spool may still hold some): the catalog writer reads the row when it sends it."""

from pathlib import Path

from catalog_support import make_exposure

from sardana_nxsas.acquisition.settings import Settings
from sardana_nxsas.catalog import Catalog, shared_writer
from sardana_nxsas.catalog.spool import FROM_FILE
from sardana_nxsas.dataroot.layout import DataRoot


def test_the_file_row_is_read_when_sent(tmp_path: Path, instrument_file: Path) -> None:
    root = tmp_path / "data"
    root.mkdir()
    settings = Settings(DataRoot(root), instrument_file)
    nxs = make_exposure(settings, "deferred")
    assert nxs == root / "nexus/crd/crd_00001.nxs"
    url = f"sqlite:///{tmp_path / 'spooled.sqlite'}"  # no row but the spooled reference's
    entry = {"prefix": "crd", "fsn": 1, FROM_FILE: "nexus/crd/crd_00001.nxs", "total_counts": 7}
    shared_writer(settings.root, url).submit(entry)
    assert shared_writer(settings.root, url).flush(10)
    with Catalog(url) as catalog:
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
