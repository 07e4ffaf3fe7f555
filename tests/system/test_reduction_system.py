"""On-line reduction through the real Door: crd exposures reduced beside acquisition by the
reducer process; failures marked in the catalog and told once in spock; a killed
reducer catches up. The reduction itself is sardana_nxsas.reduction's."""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import h5py
import pytest

from sardana_nxsas.catalog import Catalog, catalog_url
from sardana_nxsas.cli.demo import sample_macro
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.reducer import pending_reductions, wait_reduced
from sardana_nxsas.samples.store import registry_for
from sardana_nxsas.simulation.samples import SAMPLE_MODELS
from sardana_nxsas.writer import wait_written


def run_ok(door, line: str):
    result = door.run(line)
    assert result.ok, f"{line}: {result.errors}"
    return result


def rows(data_root: Path, fsns: list[int]) -> dict[int, dict]:
    spool = data_root / "state" / "catalog-spool"
    for _ in range(600):  # the reducer's rows go through the spool: let it drain
        if not any(spool.glob("*.json")):
            break
        time.sleep(0.05)
    with Catalog(catalog_url(data_root, None)) as catalog:
        return {r["fsn"]: r for r in catalog.find(prefix="crd") if r["fsn"] in fsns}


def fsns_of(result) -> list[int]:
    return [int(n) for n in re.findall(r"crd_(\d{5})\.nxs", result.text)]


@pytest.fixture
def fresh_root(simulated, door, tmp_path):
    """A data root of its own: no dark, empty beam or glassy carbon measured in it."""
    data = tmp_path / "data"
    data.mkdir()
    old = str(simulated.data_root)
    run_ok(door.unwritten, f"senv NxsDataRoot {data}")
    door.unwritten.run("usenv NxsSample")  # absent or not: no sample of the other root
    try:
        yield DataRoot(data)
    finally:
        door.unwritten.run(f"senv NxsDataRoot {old}")


def test_a_failed_reduction_is_marked_and_told_once(door, fresh_root) -> None:
    result = run_ok(door.unwritten, "expose 0.1 1 crd")
    (fsn,) = fsns_of(result)
    assert wait_written(fresh_root, timeout=60) and wait_reduced(fresh_root, timeout=120)
    row = rows(fresh_root.path, [fsn])[fsn]
    assert row["status"] == "done"  # the exposure is kept
    assert row["reduction_status"] == "failed" and row["reduction_reason"]
    with h5py.File(fresh_root.nxs_path("crd", fsn)) as f:  # no standards in this data root
        status = f["entry/reduced/status"]
        assert status[()].decode() == "failed"  # the file says so too, with the same reason
        assert status.attrs["reason"] == row["reduction_reason"]
    told = run_ok(door.unwritten, "expose 0.1 1 tst")
    warnings = [w for w in told.warnings if f"crd_{fsn:05d}: reduction failed" in w]
    assert len(warnings) == 1, told.warnings
    again = run_ok(door.unwritten, "expose 0.1 1 tst")
    assert not [w for w in again.warnings if "reduction failed" in w]


def test_a_killed_reducer_catches_up(door, fresh_root) -> None:
    run_ok(door.unwritten, "expose 0.1 1 crd")  # starts the data root's reducer
    assert wait_written(fresh_root, timeout=60) and wait_reduced(fresh_root, timeout=120)
    pid_file = fresh_root.state_dir / "reducer.pid"
    pid = int(pid_file.read_text())
    # stopped, the reducer does none of the next jobs: they are surely left when it dies
    os.kill(pid, signal.SIGSTOP)
    try:
        result = run_ok(door.unwritten, "expose 0.1 3 crd")
        fsns = fsns_of(result)
        assert wait_written(fresh_root, timeout=60)
        left = {job.stem for job in pending_reductions(fresh_root)}
        assert left == {f"crd_{fsn:05d}" for fsn in fsns}
    finally:
        os.kill(pid, signal.SIGKILL)  # what is left stays on disk
    # the writer sees the reducer gone at its next drain and starts a new one
    assert wait_reduced(fresh_root, timeout=180)
    assert int(pid_file.read_text()) != pid
    found = rows(fresh_root.path, fsns)
    assert sorted(found) == fsns
    assert all(r["reduction_status"] in ("done", "failed") for r in found.values())


def test_crd_exposures_are_reduced_in_the_background(simulated, door) -> None:
    root = DataRoot(simulated.data_root)
    known = {sample.name for sample in registry_for(root).list()}
    for name in ("Dark", "Empty_Beam", "Glassy_Carbon"):
        run_ok(door, sample_macro(name, name in known))  # the demo's standards
    model = SAMPLE_MODELS["glassy_carbon"]  # as nxstrans would measure it
    run_ok(door, f"nxssample set Glassy_Carbon transmission {model.transmission:g} 0.002")
    try:
        for name in ("Dark", "Empty_Beam", "Glassy_Carbon"):
            run_ok(door, f"nxssample use {name} move")
            run_ok(door, "expose 1 1 crd")
        result = run_ok(door, "expose 1 1 crd")
    finally:
        door.run("usenv NxsSample")  # leave no sample chosen for the tests that follow
    (fsn,) = fsns_of(result)
    assert wait_reduced(root, timeout=300)
    with h5py.File(root.nxs_path("crd", fsn)) as f:
        assert "entry/reduced" in f
    row = rows(simulated.data_root, [fsn])[fsn]
    assert row["reduction_status"] == "done", row["reduction_reason"]
    assert row["flux"] > 0 and 0 < row["q_min"] < row["q_max"]
    assert row["glassy_carbon_exposure"]
