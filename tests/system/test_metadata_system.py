"""Every exposure file is a complete record: checked against the live instrument."""

from __future__ import annotations

import re
from pathlib import Path

import h5py
import pytest
import silx.io
import tango

from sardana_nxsas.dataroot.fsn import FsnCounter
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.nexus.exposure.validate import nxsas_messages, validate_exposure
from sardana_nxsas.system.simulated_instrument import SimulatedInstrument


def run_ok(door, line: str):
    result = door.run(line)
    assert result.ok, f"{line}: {result.errors}"
    return result


def written(result) -> Path:
    (path,) = re.findall(r"(\S+\.nxs)", result.text)
    return Path(path)


def motor_position(simulated: SimulatedInstrument, name: str) -> float:
    return (
        tango.DeviceProxy(f"tango://{simulated.db.tango_host}/{name}")
        .read_attribute("Position")
        .value
    )


def test_file_read_back_independently_matches_the_instrument(simulated, door) -> None:
    run_ok(door, "senv NxsOperator 'Ann Operator'")
    run_ok(door, "senv NxsProject P-42")
    run_ok(door, "mv samx 20 samy 0.5")
    try:
        path = written(run_ok(door, "expose 0.2 1 tst"))
    finally:
        run_ok(door, "usenv NxsOperator")
        run_ok(door, "usenv NxsProject")
    expected = {name: motor_position(simulated, name) for name in ("samx", "samy", "bsx")}
    assert validate_exposure(path).ok
    assert nxsas_messages(path) == ([], [])  # 0 errors and 0 warnings
    with h5py.File(path) as f, silx.io.open(str(path)) as s:
        for name, position in expected.items():
            key = f"entry/raw/instrument/positioners/{name}"
            assert f[f"{key}/value"][()] == pytest.approx(position)
            assert s[f"{key}/value"][()] == pytest.approx(position)
            assert f[f"{key}/value"].attrs["units"] == "mm"
            assert list(f[f"{key}/value_log/value"][()]) == pytest.approx([position, position])
        assert s["entry/raw/operator/name"][()] in (b"Ann Operator", "Ann Operator")
        assert f["entry/experiment_identifier"][()] == b"P-42"
        description = f["entry/raw/instrument/detector/description"][()]
        assert s["entry/raw/instrument/detector/description"][()] in (
            description,
            description.decode(),
        )
        assert f["entry/raw/instrument/detector/threshold_energy"][()] == pytest.approx(4.02)
        for field in ("distance", "beam_center_x", "x_pixel_size", "threshold_energy"):
            assert "units" in f[f"entry/raw/instrument/detector/{field}"].attrs
        assert f["entry/raw/instrument/beam_stop/x"][()] == pytest.approx(expected["bsx"])
        unitless = []
        f.visititems(
            lambda name, obj: (
                unitless.append(name)
                if isinstance(obj, h5py.Dataset)
                and obj.dtype.kind in "iuf"
                and "units" not in obj.attrs
                else None
            )
        )
        assert unitless == []  # @units on every numeric field


def test_a_bad_description_is_refused_before_anything_is_allocated(
    simulated, door, tmp_path
) -> None:
    text = simulated.instrument_file.read_text()
    cases = {
        "unknown source type": (
            text.replace('type = "Fixed Tube X-ray"', 'type = "Fixed Tub"'),
            "source.type",
        ),
        "element that does not exist": (
            text.replace('source = "motor:bsx"', 'source = "motor:nosuchmotor"'),
            "nosuchmotor",
        ),
        "bad unit": (text.replace('units = "nm"', 'units = "kg"', 1), "monochromator.wavelength"),
        "missing required field": (text.replace("probe = ", "# probe = ", 1), "source.probe"),
    }
    root = DataRoot(simulated.data_root)
    before = FsnCounter(root).next("tst")
    for label, (bad_text, key) in cases.items():
        bad = tmp_path / f"{label.replace(' ', '_')}.toml"
        bad.write_text(bad_text)
        assert bad_text != text, label
        run_ok(door, f"senv NxsInstrumentFile {bad}")
        try:
            result = door.run("nxsbegin tst refused")
        finally:
            run_ok(door, f"senv NxsInstrumentFile {simulated.instrument_file}")
        assert not result.ok and key in " ".join(result.errors), (label, result.errors)
    assert FsnCounter(root).next("tst") == before


def test_unreadable_values_are_recorded_as_missing_and_the_exposure_goes_on(
    simulated, door, tmp_path
) -> None:
    db = tango.Database(*simulated.db.tango_host.split(":"))
    info = tango.DbDevInfo()
    info.name, info._class, info.server = "test/nxsas/down", "NxsDown", "NxsDown/test"
    db.add_device(info)  # defined, never started: reads fail
    text = simulated.instrument_file.read_text()
    flaky = text.replace(
        'voltage = { value = 50.0, units = "kV" }',
        'voltage = { source = "env:NxsNotSet", units = "kV" }',
    ).replace(
        'current = { value = 0.6, units = "mA" }',
        'current = { source = "tango:test/nxsas/down/current", units = "mA" }',
    )
    assert flaky.count("source =") == text.count("source =") + 2
    description = tmp_path / "flaky.toml"
    description.write_text(flaky)
    run_ok(door, f"senv NxsInstrumentFile {description}")
    try:
        result = run_ok(door, "expose 0.1 1 tst")
    finally:
        run_ok(door, f"senv NxsInstrumentFile {simulated.instrument_file}")
    warning = " ".join(result.warnings)
    assert (
        "missing metadata" in warning
        and "source.voltage" in warning
        and "source.current" in warning
    )
    path = written(result)
    assert validate_exposure(path).ok
    with h5py.File(path) as f:
        missing = f["entry/raw/missing_metadata"]
        reasons = {missing[k].attrs["key"]: missing[k][()].decode() for k in missing}
        assert "not set" in reasons["source.voltage"]
        assert "test/nxsas/down" in reasons["source.current"]
        assert "voltage" not in f["entry/raw/instrument/source"]
