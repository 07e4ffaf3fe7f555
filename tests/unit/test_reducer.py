"""The reducer's plumbing with a fake reduction: jobs, catalog columns, warnings, crashes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from catalog_support import make_exposure

from sardana_nxsas.acquisition.settings import Settings
from sardana_nxsas.catalog import Catalog, catalog_url, shared_writer
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.jobs.drain import MAX_ATTEMPTS
from sardana_nxsas.reducer import pending_reductions, reduction_news, request_reduction
from sardana_nxsas.reducer.client import ReducerProcess
from sardana_nxsas.reducer.service import TRIES, ReductionDrainer


@dataclass
class Outcome:  # the fields of sardana_nxsas.reduction.ReductionOutcome
    status: str
    reason: str | None = None
    absolute_factor: float | None = None
    absolute_factor_error: float | None = None
    flux: float | None = None
    q_min: float | None = None
    q_max: float | None = None
    dark: str | None = None
    empty_beam: str | None = None
    glassy_carbon: str | None = None
    ascii_path: Path | None = None


DONE = Outcome("done", None, 2.0e-7, 1.0e-9, 5.0e6, 0.1, 3.0, "crd_00001", "crd_00002", "crd_00003")


@pytest.fixture
def settings(data_root: Path, instrument_file: Path) -> Settings:
    return Settings(DataRoot(data_root), instrument_file)


def catalog_row(settings: Settings, fsn: int) -> dict:
    shared_writer(settings.root).flush(10)
    with Catalog(catalog_url(settings.root.path, None)) as catalog:
        return next(r for r in catalog.find() if r["fsn"] == fsn)


def test_the_writer_asks_to_reduce_complete_crd_exposures_only(settings: Settings) -> None:
    crd = make_exposure(settings, "GC")
    make_exposure(settings, "trans", prefix="tra")
    (job,) = pending_reductions(settings.root)
    assert job.stem == crd.stem and job.kind == "reduce"
    assert json.loads(job.path.read_text())["nxs"] == "nexus/crd/crd_00001.nxs"
    assert request_reduction(settings.root, crd, None, lambda _: "failed") is None


def test_a_done_reduction_fills_the_catalog_row(settings: Settings) -> None:
    make_exposure(settings, "GC")
    seen: list[Path] = []

    def reduce(root: DataRoot, nxs: Path) -> Outcome:
        seen.append(nxs)
        return DONE

    assert ReductionDrainer(settings.root, reduce).drain() == 0
    assert seen == [settings.root.nxs_path("crd", 1)] and not pending_reductions(settings.root)
    found = catalog_row(settings, 1)
    assert (found["status"], found["reduction_status"], found["reduction_reason"]) == (
        "done", "done", None,
    )  # fmt: skip
    assert (found["flux"], found["q_min"], found["q_max"]) == (5.0e6, 0.1, 3.0)
    assert found["absolute_factor"] == 2.0e-7 and found["glassy_carbon_exposure"] == "crd_00003"
    assert found["title"] == "GC"  # the writer's row, completed
    assert reduction_news(settings.root) == []


def test_a_failed_reduction_is_told_once(settings: Settings) -> None:
    make_exposure(settings, "sample")
    failed = Outcome("failed", "no dark current measurement (Dark) before crd_00001")
    ReductionDrainer(settings.root, lambda root, nxs: failed).drain()
    found = catalog_row(settings, 1)
    assert found["reduction_status"] == "failed" and "no dark" in found["reduction_reason"]
    assert found["status"] == "done"  # the exposure is kept
    assert reduction_news(settings.root) == [
        "crd_00001: reduction failed: no dark current measurement (Dark) before crd_00001"
    ]
    assert reduction_news(settings.root) == []


def test_a_crashing_job_is_set_aside_and_does_not_block_the_others(settings: Settings) -> None:
    make_exposure(settings, "bad")
    make_exposure(settings, "good")
    calls: list[str] = []

    def reduce(root: DataRoot, nxs: Path) -> Outcome:
        calls.append(nxs.stem)
        if nxs.stem == "crd_00001":
            raise ZeroDivisionError("science went wrong")
        return DONE

    drainer = ReductionDrainer(settings.root, reduce)
    assert drainer.drain() == 1  # the good one is done, the bad one waits for a retry
    for _ in range(MAX_ATTEMPTS - 1):
        drainer.drain()
    assert calls.count("crd_00001") == MAX_ATTEMPTS and calls.count("crd_00002") == 1
    assert not pending_reductions(settings.root)
    aside = settings.root.state_dir / "reduce-pending" / "failed"
    assert [p.name.split(".")[0] for p in aside.iterdir()] == ["crd_00001"]
    assert not list((settings.root.state_dir / "reduce-pending").glob("*" + TRIES))
    bad, good = catalog_row(settings, 1), catalog_row(settings, 2)
    assert bad["reduction_status"] == "failed" and "ZeroDivisionError" in bad["reduction_reason"]
    assert good["reduction_status"] == "done"
    assert reduction_news(settings.root) == [
        "crd_00001: reduction failed: reduction crashed: ZeroDivisionError: science went wrong"
    ]


def test_a_job_that_killed_the_reducer_is_retried_then_set_aside(settings: Settings) -> None:
    make_exposure(settings, "x")
    (job,) = pending_reductions(settings.root)
    tries = job.path.with_name(job.path.name + TRIES)
    tries.write_text("1\n")  # a reducer was killed during it: the next one does it
    assert ReductionDrainer(settings.root, lambda root, nxs: DONE).drain() == 0
    assert not tries.exists() and catalog_row(settings, 1)["reduction_status"] == "done"

    make_exposure(settings, "poison")
    (job,) = pending_reductions(settings.root)
    tries = job.path.with_name(job.path.name + TRIES)
    tries.write_text(f"{MAX_ATTEMPTS}\n")  # every start so far ended with the process

    def never(root: DataRoot, nxs: Path) -> Outcome:
        raise AssertionError("a job that kept killing the reducer is not run again")

    assert ReductionDrainer(settings.root, never).drain() == 0
    assert not pending_reductions(settings.root) and not tries.exists()
    row = catalog_row(settings, 2)
    assert row["reduction_status"] == "failed" and "stopped during each" in row["reduction_reason"]


def test_nudge_starts_the_reducer_only_when_jobs_wait(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    woken: list[int] = []
    reducer = ReducerProcess(settings.root)
    monkeypatch.setattr(reducer, "wake", lambda: woken.append(1))
    reducer.nudge()
    assert woken == []
    make_exposure(settings, "x")
    reducer.nudge()
    assert woken == [1]  # no process yet: started
