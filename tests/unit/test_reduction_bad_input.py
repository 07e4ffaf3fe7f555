"""Bad input: the exposure is kept, the reduction is marked failed with its reason."""

from __future__ import annotations

from pathlib import Path

import h5py
import pytest
from reduction_support import expose, sample_record, simulated_settings, standards

from sardana_nxsas.reduction import reduce_exposure
from sardana_nxsas.simulation.instrument_file import simulated_instrument_toml

pytest.importorskip("pyFAI")


def failed_reason(path: Path) -> str:
    with h5py.File(path, "r") as f:
        assert f["entry/status"][()] == b"complete"  # the exposure is kept as it was
        assert "data" in f["entry/raw/instrument/detector"]
        status = f["entry/reduced/status"]
        assert status[()] == b"failed"
        assert "definition" not in f["entry/reduced"]  # not a SASentry
        return status.attrs["reason"]


@pytest.mark.parametrize("missing", ["Dark", "Empty_Beam", "Glassy_Carbon"])
def test_a_missing_standard(tmp_path: Path, missing: str) -> None:
    settings = simulated_settings(tmp_path)
    for seed, name in enumerate(("Dark", "Empty_Beam", "Glassy_Carbon")):
        if name != missing:
            expose(settings, name, 1.0, seed)
    path = expose(settings, "Spheres_R20nm", 1.0, 9)
    out = reduce_exposure(settings.root, path)
    words = {"Dark": "dark", "Empty_Beam": "empty beam", "Glassy_Carbon": "glassy carbon"}
    assert out.status == "failed" and out.ascii_path is None
    assert f"no complete {words[missing]} exposure" in out.reason
    assert out.reason == failed_reason(path)
    assert not path.with_suffix(".dat").exists()


def test_standards_measured_after_the_exposure_do_not_count(tmp_path: Path) -> None:
    settings = simulated_settings(tmp_path)
    path = expose(settings, "Spheres_R20nm", 1.0, 9)
    standards(settings, 1.0)
    out = reduce_exposure(settings.root, path)
    assert out.status == "failed" and "before crd_00001" in out.reason


@pytest.mark.parametrize("transmission", [0.0, 1.04])
def test_a_transmission_outside_0_1(tmp_path: Path, transmission: float) -> None:
    settings = simulated_settings(tmp_path)
    standards(settings, 1.0)
    record = sample_record("Spheres_R20nm", transmission=transmission, transmission_error=0.001)
    path = expose(settings, "Spheres_R20nm", 1.0, 9, sample=record)
    out = reduce_exposure(settings.root, path)
    assert out.status == "failed" and "outside (0, 1]" in out.reason
    assert failed_reason(path) == out.reason


def test_no_transmission_or_thickness(tmp_path: Path) -> None:
    settings = simulated_settings(tmp_path)
    standards(settings, 1.0)
    no_t = expose(settings, "Spheres_R20nm", 1.0, 9,
                  sample=sample_record("Spheres_R20nm", transmission=None,
                                       transmission_error=None))  # fmt: skip
    no_d = expose(settings, "Spheres_R20nm", 1.0, 9,
                  sample=sample_record("Spheres_R20nm", thickness=None,
                                       thickness_error=None))  # fmt: skip
    assert "no transmission" in reduce_exposure(settings.root, no_t).reason
    assert "no thickness" in reduce_exposure(settings.root, no_d).reason


def test_a_beam_centre_off_the_detector(tmp_path: Path) -> None:
    toml = simulated_instrument_toml("pilatus300k").replace(
        "beam_center_x = { value = 231.60", "beam_center_x = { value = 900.00"
    )
    assert "900.00" in toml
    settings = simulated_settings(tmp_path, toml)
    standards(settings, 1.0)
    path = expose(settings, "Spheres_R20nm", 1.0, 9)
    out = reduce_exposure(settings.root, path)
    assert out.status == "failed" and "off the 619x487 detector" in out.reason
    assert failed_reason(path) == out.reason


def test_standards_of_another_geometry_are_not_used(tmp_path: Path) -> None:
    settings = simulated_settings(tmp_path)
    standards(settings, 1.0)
    settings.instrument_file.write_text(
        simulated_instrument_toml("pilatus300k").replace("value = 1000.000", "value = 1500.000")
    )
    path = expose(settings, "Spheres_R20nm", 1.0, 9)
    out = reduce_exposure(settings.root, path)
    assert out.status == "failed" and "with another geometry" in out.reason


def test_not_an_exposure_file(tmp_path: Path) -> None:
    settings = simulated_settings(tmp_path)
    bogus = settings.root.path / "nexus" / "crd" / "crd_00001.nxs"
    bogus.parent.mkdir(parents=True)
    bogus.write_bytes(b"not hdf5")
    out = reduce_exposure(settings.root, bogus)
    assert out.status == "failed" and "not a readable exposure file" in out.reason


def test_a_failed_reduction_is_replaced_when_it_succeeds_later(tmp_path: Path) -> None:
    settings = simulated_settings(tmp_path)
    expose(settings, "Dark", 1.0, 1)
    expose(settings, "Empty_Beam", 1.0, 2)
    gc = expose(settings, "Glassy_Carbon", 1.0, 3)
    gc.with_name("crd_00003.nxs").rename(gc.with_name("crd_00003.hidden"))
    path = expose(settings, "Spheres_R20nm", 1.0, 9)
    assert reduce_exposure(settings.root, path).status == "failed"
    gc.with_name("crd_00003.hidden").rename(gc)
    assert reduce_exposure(settings.root, path).status == "done"
    with h5py.File(path, "r") as f:
        assert f["entry/reduced/status"][()] == b"done"
        assert f["entry/reduced/definition"][()] == b"NXcanSAS"


def test_without_standards_earlier_files_are_read_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sardana_nxsas.reduction import standards as rule

    settings = simulated_settings(tmp_path)
    paths = [expose(settings, "Glassy_Carbon", 0.1, fsn) for fsn in range(1, 6)]
    read = []
    original = rule.read_header
    monkeypatch.setattr(rule, "read_header", lambda p: read.append(Path(p).name) or original(p))
    for path in paths:
        assert "no complete dark" in failed_reason_of(settings, path)
    assert sorted(read) == sorted({p.name for p in paths[:-1]})  # each earlier file once
    Path(paths[0]).touch()  # a file that changes is read again
    failed_reason_of(settings, paths[-1])
    assert read.count(paths[0].name) == 2


def failed_reason_of(settings, path: Path) -> str:
    reduce_exposure(settings.root, path)
    return failed_reason(path)
