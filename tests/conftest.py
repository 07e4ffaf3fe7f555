"""Shared fixtures: an instrument description and a data root."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

INSTRUMENT_TOML = """\
[instrument]
name = "test SAXS"
[source]
type = "Fixed Tube X-ray"
probe = "x-ray"
[monochromator]
wavelength = { value = 0.15418, units = "nm", error = 0.0001 }
[detector]
description = "Pilatus 300K"
distance = { value = 1000.0, units = "mm", error = 0.5 }
x_pixel_size = { value = 0.172, units = "mm" }
y_pixel_size = { value = 0.172, units = "mm" }
beam_center_x = { value = 243.5, units = "pixel" }
beam_center_y = { value = 309.25, units = "pixel" }
"""


@pytest.fixture
def instrument_file(tmp_path: Path) -> Path:
    path = tmp_path / "instrument.toml"
    path.write_text(INSTRUMENT_TOML)
    return path


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    root.mkdir()
    return root


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory):
    """A throwaway PostgreSQL server on loopback (``.url``, ``.stop()``, ``.start()``).

    Skipped, with the reason printed, where the server binaries are not installed
    (.ci/run installs Debian's postgresql, so CI always runs these tests).
    """
    from sardana_nxsas.system.postgres import PostgresServer, server_binaries

    if server_binaries() is None:
        pytest.skip("PostgreSQL server binaries not installed (apt-get install postgresql)")
    # not under pytest's private temp folder: as root the server runs as `postgres`,
    # which must be able to reach its data folder
    workdir = Path(tempfile.mkdtemp(prefix="nxsas-postgres-"))
    server = PostgresServer(workdir)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
