"""The catalog, written live by the exposure macros through the real Door."""

from __future__ import annotations

import re
import time

from sardana_nxsas import env
from sardana_nxsas.catalog import Catalog, catalog_url
from sardana_nxsas.system.simulated_instrument import SimulatedInstrument


def run_ok(door, *line: str):
    result = door.run(*line)
    assert result.ok, f"{line}: {result.errors}"
    return result


def wait_for(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def fsns(result) -> list[int]:
    return [int(n) for n in re.findall(r"tst_(\d{5})\.nxs", result.text)]


def test_rows_are_written_live_and_found_from_spock(simulated: SimulatedInstrument, door) -> None:
    url = catalog_url(simulated.data_root, None)
    opened = run_ok(door, "nxsbegin", "tst", "catalog 'quoted' 100% _live_")
    fsn = int(re.search(r"tst_(\d{5}) open", opened.text).group(1))
    try:
        with Catalog(url) as catalog:
            assert wait_for(lambda: catalog.find(prefix="tst", fsn_min=fsn, fsn_max=fsn))
            (row,) = catalog.find(prefix="tst", fsn_min=fsn, fsn_max=fsn)
            assert row["status"] == "running" and row["title"] == "catalog 'quoted' 100% _live_"
        run_ok(door, "ct 0.1")
    finally:
        run_ok(door, "nxsend")
    with Catalog(url) as catalog:
        assert wait_for(
            lambda: catalog.find(prefix="tst", fsn_min=fsn, fsn_max=fsn)[0]["status"] == "done"
        )
        (row,) = catalog.find(title="*100% _live_", prefix="tst")  # % and _ match themselves
        assert row["fsn"] == fsn and row["exposure_time"] == 0.1 and row["cbf_sha256"]
    listing = run_ok(door, "lsexp 3").text
    assert f"tst_{fsn:05d}" in listing
    found = run_ok(door, "findexp", "*'quoted'*").text
    assert f"tst_{fsn:05d}" in found


def test_postgres_outage_during_a_series_loses_no_row(
    simulated: SimulatedInstrument, door, postgres_url
) -> None:
    pg = postgres_url
    run_ok(door, "senv", env.CATALOG_URL, pg.url)
    try:
        before = fsns(run_ok(door, "expose 0.1 2 tst"))
        pg.stop()
        # the exposures go on (1 s: the writer works beside them, it yields to faster ones)
        during = run_ok(door, "expose 1 2 tst")
        warnings = [w for w in during.warnings if "catalog unreachable" in w]
        assert len(warnings) == 1 and "nxsas-test-secret" not in warnings[0]  # once, no password
        pg.start()
        after = fsns(run_ok(door, "expose 0.1 1 tst"))
        wanted = set(before + fsns(during) + after)
        assert len(wanted) == 5
        with Catalog(pg.url) as catalog:
            assert wait_for(
                lambda: {r["fsn"] for r in catalog.find(prefix="tst", status="done")} >= wanted,
                timeout=30,
            )
    finally:
        run_ok(door, "usenv", env.CATALOG_URL)
        if pg.pid is None:
            pg.start()
