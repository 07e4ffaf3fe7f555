"""The reduction columns rebuilt from the files: reindex (and --deep) say what the reducer said."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from reduction_support import expose, sample_record, simulated_settings, standards

from sardana_nxsas.catalog import Catalog, catalog_url, shared_writer
from sardana_nxsas.catalog.maintenance import reindex, verify
from sardana_nxsas.catalog.reduced import outcome_columns
from sardana_nxsas.catalog.schema import REDUCTION_COLUMNS
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.reducer.service import ReductionDrainer
from sardana_nxsas.reduction import ReductionOutcome, reduce_exposure

pytest.importorskip("pyFAI")

REDUCTION = [name for name, _ in REDUCTION_COLUMNS]


def rows(url: str) -> dict[str, dict[str, Any]]:
    with Catalog(url) as catalog:
        return {f"{r['prefix']}_{r['fsn']:05d}": r for r in catalog.find()}


def reduction_of(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in REDUCTION}


@pytest.fixture(scope="module")
def reduced(tmp_path_factory: pytest.TempPathFactory) -> tuple[DataRoot, dict, dict]:
    """Standards, a sample reduced, a sample whose reduction failed, a tst exposure (not
    reduced), all reduced by the reducer: (root, the reducer's rows, the outcomes)."""
    settings = simulated_settings(tmp_path_factory.mktemp("reindex"))
    standards(settings, 60.0)
    expose(settings, "Spheres_R20nm", 60.0, 21)
    no_thickness = sample_record("Buffer", thickness=None, thickness_error=None)
    expose(settings, "Buffer", 60.0, 22, sample=no_thickness)
    expose(settings, "Buffer", 60.0, 23, prefix="tst")
    outcomes: dict[str, ReductionOutcome] = {}

    def reduce(root: DataRoot, nxs: Path) -> ReductionOutcome:
        outcomes[nxs.stem] = reduce_exposure(root, nxs)
        return outcomes[nxs.stem]

    assert ReductionDrainer(settings.root, reduce).drain() == 0
    assert shared_writer(settings.root).flush(10)
    return settings.root, rows(catalog_url(settings.root.path, None)), outcomes


def test_the_reducer_wrote_done_and_failed(reduced) -> None:
    _, by_reducer, outcomes = reduced
    assert set(outcomes) == {f"crd_{n:05d}" for n in range(1, 6)}
    done, failed = by_reducer["crd_00004"], by_reducer["crd_00005"]
    assert done["reduction_status"] == "done" and done["absolute_factor"] > 0
    assert done["glassy_carbon_exposure"] == "crd_00003" and done["q_min"] < done["q_max"]
    assert failed["reduction_status"] == "failed" and "thickness" in failed["reduction_reason"]
    assert by_reducer["tst_00001"]["reduction_status"] is None


@pytest.mark.parametrize("deep", [False, True])
def test_reindex_rebuilds_the_reducers_columns(reduced, tmp_path: Path, deep: bool) -> None:
    root, by_reducer, outcomes = reduced
    url = f"sqlite:///{tmp_path / 'rebuilt.sqlite'}"  # a catalog lost, rebuilt from the files
    with Catalog(url) as catalog:
        report = reindex(root, catalog, deep=deep)
        assert report.unreadable == [] and report.files == 6
        assert verify(root, catalog) == []
    rebuilt = rows(url)
    assert set(rebuilt) == set(by_reducer)
    for name, row in rebuilt.items():
        assert reduction_of(row) == reduction_of(by_reducer[name]), name
        if name in outcomes:  # and the same values as the outcome itself, bit for bit
            assert reduction_of(row) == outcome_columns(outcomes[name]), name
    with Catalog(url) as catalog:  # reindexing again changes nothing
        reindex(root, catalog, deep=deep)
    assert rows(url) == rebuilt


def test_a_file_without_reduction_leaves_the_columns_alone(reduced, tmp_path: Path) -> None:
    root, _, _ = reduced
    url = f"sqlite:///{tmp_path / 'kept.sqlite'}"
    crashed = {"reduction_status": "failed", "reduction_reason": "reduction crashed: X"}
    with Catalog(url) as catalog:
        catalog.upsert([{"prefix": "tst", "fsn": 1, "status": "done", **crashed}])
        reindex(root, catalog)
        assert verify(root, catalog) == []  # the file has no /entry/reduced to compare with
    kept = rows(url)["tst_00001"]
    assert (kept["reduction_status"], kept["reduction_reason"]) == (
        "failed",
        "reduction crashed: X",
    )
    assert kept["title"] == "Buffer"  # the rest of the row is the file's


def test_verify_reports_reduction_columns_that_differ(reduced, tmp_path: Path) -> None:
    root, _, _ = reduced
    url = f"sqlite:///{tmp_path / 'wrong.sqlite'}"
    with Catalog(url) as catalog:
        reindex(root, catalog)
        catalog.upsert(
            [{"prefix": "crd", "fsn": 4, "status": "done", "flux": 1.0, "reduction_status": None}]
        )
        (problem,) = verify(root, catalog)
    assert "reduction columns differ" in problem and "crd_00004.nxs" in problem
    assert "reduction_status, flux" in problem
