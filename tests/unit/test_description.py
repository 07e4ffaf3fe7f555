"""The description API: shipped files, compatibility, sources, element checks, resolve, CLI."""

from __future__ import annotations

import argparse
import math
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from sardana_nxsas.cli.instrument import add_parser
from sardana_nxsas.description import (
    Reading,
    check_description,
    check_elements,
    load_description,
    load_instrument,
    require_elements,
    resolve,
)
from sardana_nxsas.description.lines import key_lines
from sardana_nxsas.errors import ConfigError
from sardana_nxsas.simulation.instrument_file import simulated_instrument_toml

CREDO = resources.files("sardana_nxsas") / "examples" / "credo-like.toml"


@pytest.fixture
def current(instrument_file: Path) -> str:
    """The current (pre-sources) format: tests/conftest.py's current."""
    return instrument_file.read_text()


def test_credo_like_example_ships_in_the_package_and_checks_clean() -> None:
    assert check_description(Path(str(CREDO))) == []
    description = load_description(Path(str(CREDO)))
    kinds = {(ref.kind, ref.target) for ref in description.sources()}
    assert ("tango", "genix/1/hv/voltage") in kinds and ("motor", "bsx") in kinds
    assert description.apertures == 3 and description.sensors == 2


@pytest.mark.parametrize("detector", ["pilatus300k", "pilatus1m", "eiger9m"])
def test_simulated_description_checks_clean(tmp_path: Path, detector: str) -> None:
    path = tmp_path / "instrument.toml"
    path.write_text(simulated_instrument_toml(detector, "pilatus"))
    assert check_description(path) == []
    refs = load_description(path).sources(["samx", "samy", "bsx"])
    assert [(r.key, r.spec) for r in refs if not r.optional] == [
        ("beam_stop.x", "motor:bsx"),
        ("positioners.samx", "motor:samx"),
        ("positioners.samy", "motor:samy"),
        ("positioners.bsx", "motor:bsx"),
    ]


def test_load_instrument_reads_the_current_format(instrument_file: Path) -> None:
    info = load_instrument(instrument_file)
    assert info.name == "test SAXS" and info.source_type == "Fixed Tube X-ray"
    assert info.source_probe == "x-ray" and info.source_name is None
    assert (info.wavelength.value, info.wavelength.units) == (0.15418, "nm")
    det = info.detector
    assert det.description == "Pilatus 300K" and det.channel is None
    assert (det.distance.value, det.distance.error) == (1000.0, 0.5)
    assert (det.beam_center_col.value, det.beam_center_row.value) == (243.5, 309.25)
    assert det.beam_center_x.value == pytest.approx(244.0 * 0.172)
    assert det.saturation_value is None and det.sensor_thickness is None
    # nothing new appears: the experiment defaults are optional and nothing is missing
    assert info.missing == () and info.apertures == () and info.beam_stop is None
    assert check_description(instrument_file) == []


def test_sources_keys_kinds_and_positioner_selection(tmp_path: Path, current: str) -> None:
    path = tmp_path / "i.toml"
    path.write_text(
        current.replace(
            'distance = { value = 1000.0, units = "mm", error = 0.5 }',
            'distance = { source = "motor:detz", units = "mm", error_source = "env:DistErr" }',
        )
        + '[positioners]\nexclude = ["bsx"]\n[experiment]\noperator = { source = "env:Op" }\n'
    )
    description = load_description(path)
    refs = description.sources(["samx", "bsx", "detz"])
    assert [(r.key, r.kind, r.target, r.units) for r in refs] == [
        ("detector.distance", "motor", "detz", "mm"),
        ("detector.distance.error", "env", "DistErr", "mm"),
        ("experiment.operator", "env", "Op", None),
        ("positioners.samx", "motor", "samx", None),
        ("positioners.detz", "motor", "detz", None),
    ]
    path.write_text(current + '[positioners]\ninclude = ["samx", "samy"]\n')
    refs = load_description(path).sources(["ignored"])
    assert [r.key for r in refs if not r.optional] == ["positioners.samx", "positioners.samy"]


def test_check_elements_asks_the_adapter_once_per_element(tmp_path: Path, current: str) -> None:
    path = tmp_path / "i.toml"
    path.write_text(
        current
        + "[beam_stop]\n"
        + 'x = { source = "motor:bsx", units = "mm" }\n'
        + 'y = { source = "motor:bsy", units = "mm" }\n'
        + 'distance_to_detector = { source = "motor:bsx", units = "mm" }\n'
        + '[[sensor]]\nname = "vacuum"\nmeasurement = "pressure"\n'
        + 'value = { source = "tango:vac/gauge/1/pressure", units = "mbar" }\n'
        + '[positioners]\ninclude = ["samx"]\nexclude = ["samz"]\n'
        + '[experiment]\noperator = { source = "env:NxsOperator" }\n'
    )
    description = load_description(path)
    asked: list[tuple[str, str]] = []

    def exists(kind: str, name: str) -> bool:
        asked.append((kind, name))
        return name in ("bsx", "samx")

    found = check_elements(description, exists)
    assert sorted(asked) == sorted(
        [
            ("motor", "bsx"),
            ("motor", "bsy"),
            ("tango", "vac/gauge/1/pressure"),
            ("motor", "samx"),
            ("motor", "samz"),
        ]
    )
    assert [p.line().split(": ", 1)[1] for p in found] == [
        "beam_stop.y: motor 'bsy' does not exist",
        "sensor[0].value: Tango attribute 'vac/gauge/1/pressure' does not exist",
        "positioners.exclude: motor 'samz' does not exist",
    ]
    assert found[0].lineno == 17
    with pytest.raises(ConfigError, match=r"i.toml:17: beam_stop.y: motor 'bsy' does not exist \("):
        require_elements(description, exists)
    require_elements(description, lambda kind, name: True)


def test_resolve_reads_sources_and_lists_what_is_missing(tmp_path: Path) -> None:
    path = Path(str(CREDO))
    description = load_description(path)
    readings = {
        "source.voltage": Reading(np.array(50.0)),  # 0-d arrays and numpy scalars count
        "source.current": Reading("0.6"),  # strings that are numbers are accepted
        "source.power": Reading.missing("DevFailed: genix/1/hv is not running"),
        "detector.distance": Reading(1012.5),
        "detector.distance.error": Reading(-0.4),
        "detector.beam_center_x": Reading(243.2),
        "beam_stop.x": Reading(float("nan")),
        "beam_stop.y": Reading(0.25),
        "sensor[0].value": Reading(np.float32(0.02)),
        "sensor[1].value": Reading([1, 2]),
        "experiment.operator": Reading(["Jane", "Doe"]),
        "experiment.proposer": Reading(None, "not set"),
        "positioners.samx": Reading(12.5, units="mm"),
        "positioners.samy": Reading.missing("motor samy is in FAULT"),
    }
    info = resolve(description, readings)
    assert info.source_voltage and info.source_voltage.value == 50.0
    assert info.source_voltage.units == "kV"
    assert info.source_current and info.source_current.value == 0.6
    assert info.source_power is None
    assert (info.detector.distance.value, info.detector.distance.error) == (1012.5, 0.4)
    assert info.detector.beam_center_col.value == 243.2
    # NXsas requires the beam centre: NaN with its units when it cannot be read
    assert math.isnan(info.detector.beam_center_row.value)
    assert info.detector.beam_center_row.units == "pixel"
    assert info.beam_stop and info.beam_stop.x is None and info.beam_stop.y
    assert [s.value.value if s.value else None for s in info.sensors] == [pytest.approx(0.02), None]
    assert info.experiment.operator == "Jane Doe" and info.experiment.proposer is None
    assert [(p.name, p.value, p.units) for p in info.positioners] == [("samx", 12.5, "mm")]
    assert [(m.key, m.source, m.reason) for m in info.missing] == [
        ("source.power", "tango:genix/1/hv/power", "DevFailed: genix/1/hv is not running"),
        ("detector.beam_center_y", "env:NxsBeamCenterY", "not read"),
        ("beam_stop.x", "motor:bsx", "not a finite number: nan"),
        ("sensor[1].value", "tango:thermostat/haake/1/temperature", "not a finite number: [1, 2]"),
        ("experiment.identifier", "env:NxsProject", "not read"),
        ("experiment.name", "env:NxsProjectName", "not read"),
        ("experiment.proposer", "env:NxsProposer", "not set"),
        ("positioners.samy", "motor:samy", "motor samy is in FAULT"),
    ]


def test_resolve_checks_text_choices_and_integers_from_sources(
    tmp_path: Path, current: str
) -> None:
    path = tmp_path / "i.toml"
    path.write_text(
        current
        + 'saturation_value = { source = "env:Sat" }\n'
        + '[beam_stop]\nstatus = { source = "env:BeamStop" }\n'
    )
    description = load_description(path)
    info = resolve(
        description,
        {"beam_stop.status": Reading("half"), "detector.saturation_value": Reading(1.5)},
    )
    assert info.beam_stop and info.beam_stop.status is None
    assert info.detector.saturation_value is None
    assert [m.reason for m in info.missing] == [
        "not an integer: 1.5",
        "'half' is not one of in, out",
    ]
    info = resolve(
        description, {"beam_stop.status": Reading("in"), "detector.saturation_value": Reading(7)}
    )
    assert info.beam_stop and info.beam_stop.status == "in" and info.detector.saturation_value == 7
    assert info.missing == ()


def test_key_lines_skip_multiline_values() -> None:
    text = (
        "top = 1\n"
        "[detector]\n"
        "bad_pixels = [\n"
        "  [1, 2],  # a comment with [brackets]\n"
        "  [3, 4]\n"
        "]\n"
        'description = """\n'
        "[not_a_table]\n"
        '"""\n'
        '"quoted key" = "x]["\n'
        "a.b = 1\n"
        "[[sensor]]\n"
        "name = 'a'\n"
        "[[sensor]]\n"
        "  name = 'b'\n"
    )
    assert key_lines(text) == {
        "top": 1,
        "detector": 2,
        "detector.bad_pixels": 3,
        "detector.description": 7,
        "detector.quoted key": 10,
        "detector.a.b": 11,
        "sensor[0]": 12,
        "sensor[0].name": 13,
        "sensor[1]": 14,
        "sensor[1].name": 15,
    }


def run_cli(argv: list[str]) -> int:
    top = argparse.ArgumentParser()
    add_parser(top.add_subparsers(dest="command", required=True))
    args = top.parse_args(argv)
    return args.func(args)


def test_cli_check(tmp_path: Path, capsys: pytest.CaptureFixture[str], current: str) -> None:
    assert run_cli(["instrument", "check", str(CREDO)]) == 0
    assert capsys.readouterr().out.startswith("OK: 52 fields, 15 sources")
    bad = tmp_path / "bad.toml"
    bad.write_text(current.replace('"nm"', '"keV"').replace("x-ray", "X-ray"))
    assert run_cli(["instrument", "check", str(bad)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{bad}:5: source.probe: 'X-ray' is not a NeXus value: did you mean 'x-ray'?",
        f"{bad}:7: monochromator.wavelength.units: 'keV' is not a unit of length: use e.g. \"mm\"",
    ]


def test_missing_value_field_name_and_unit_conversion() -> None:
    from sardana_nxsas.description.info import MissingValue
    from sardana_nxsas.description.units import convert

    assert MissingValue("sensor[1].value", "tango:a/b/c/d", "x").field_name == "sensor_1_value"
    assert convert(1.5418, "angstrom", "nm") == pytest.approx(0.15418)
    assert convert(2.0, "\u00b5m", "mm") == pytest.approx(0.002)
    assert convert(25.0, "degC", "K") == pytest.approx(298.15)


def test_cli_example_prints_a_description_that_checks_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["instrument", "example"]) == 0
    path = tmp_path / "mine.toml"
    path.write_text(capsys.readouterr().out)
    assert path.read_text() == CREDO.read_text()
    assert check_description(path) == []
