"""Each rule of the instrument description, on a minimal valid file changed by one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from sardana_nxsas import env
from sardana_nxsas.description import check_description, load_description
from sardana_nxsas.description.units import nexus_units, units_problem
from sardana_nxsas.errors import ConfigError

BASE = """\
[instrument]
name = "test SAXS"
[source]
type = "Fixed Tube X-ray"
probe = "x-ray"
voltage = { source = "tango:genix/1/hv/voltage", units = "kV" }
[monochromator]
wavelength = { value = 0.15418, units = "nm", error = 0.0001 }
[detector]
description = "Pilatus 300K"
distance = { value = 1000.0, units = "mm", error = 0.5 }
x_pixel_size = { value = 0.172, units = "mm" }
y_pixel_size = { value = 0.172, units = "mm" }
beam_center_x = { value = 243.5, units = "pixel" }
beam_center_y = { value = 309.25, units = "pixel" }
threshold = { value = 4.0, units = "keV" }
[beam_stop]
diameter = { value = 2.6, units = "mm" }
x = { source = "motor:bsx", units = "mm" }
[[aperture]]
name = "pinhole1"
diameter = { value = 600, units = "um" }
distance = { value = -1000, units = "mm" }
[[sensor]]
name = "thermostat"
measurement = "temperature"
value = { source = "channel:temp0d", units = "degC" }
[positioners]
exclude = ["bsx"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "instrument.toml"
    path.write_text(text)
    return path


def problems(tmp_path: Path, old: str, new: str) -> list[str]:
    assert old in BASE, old
    return [p.line() for p in check_description(write(tmp_path, BASE.replace(old, new, 1)))]


def one(tmp_path: Path, old: str, new: str) -> str:
    found = problems(tmp_path, old, new)
    assert len(found) == 1, found
    return found[0]


def test_base_is_clean(tmp_path: Path) -> None:
    assert check_description(write(tmp_path, BASE)) == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # NeXus enumerations
        ('"Fixed Tube X-ray"', '"Fixed tube X-ray"', ":4: source.type: 'Fixed tube X-ray' is not"),
        ('"Fixed Tube X-ray"', '"Sealed tube"', ":4: source.type: 'Sealed tube' is not a NeXus"),
        ('probe = "x-ray"', 'probe = "xray"', ":5: source.probe: 'xray' is not a NeXus value"),
        ('name = "pinhole1"\n', 'name = "pinhole1"\nshape = "round"\n', "aperture[0].shape: 'ro"),
        ("[beam_stop]\n", '[beam_stop]\nshape = "disc"\n', ":18: beam_stop.shape: 'disc' is"),
        # units
        ('units = "kV"', 'units = "mA"', ":6: source.voltage.units: 'mA' is not a unit of voltage"),
        ('"nm", error', '"keV", error', ":8: monochromator.wavelength.units: 'keV' is not a unit"),
        (
            'units = "keV"',
            'units = "mm"',
            ":16: detector.threshold.units: 'mm' is not a unit of en",
        ),
        ('units = "degC"', 'units = "C"', ":27: sensor[0].value.units: 'C' is not a unit of temp"),
        ('units = "degC"', 'units = "degX"', ":27: sensor[0].value.units: unknown units 'degX'"),
        ('"nm", error', '"nmm", error', ":8: monochromator.wavelength.units: unknown units 'nmm'"),
        ('"nm", error', "42, error", ":8: monochromator.wavelength.units: must be a string"),
        (
            '"nm", error',
            '"n\u00e9", error',
            ":8: monochromator.wavelength.units: 'n\u00e9': use an",
        ),
        ('units = "pixel" }\nbeam', 'units = "mm" }\nbeam', ":14: detector.beam_center_x.units: "),
        (
            '0.172, units = "mm" }\ny',
            "0.172 }\ny",
            ":12: detector.x_pixel_size: missing units: add",
        ),
        ("0.172, units", '"0.172", units', ":12: detector.x_pixel_size.value: must be a number"),
        (
            'distance = { value = 1000.0, units = "mm", error = 0.5 }',
            "distance = 1000.0",
            ':11: detector.distance: needs units: write { value = 1000.0, units = "mm" }',
        ),
        (
            'threshold = { value = 4.0, units = "keV" }',
            'wavelength_spread = { value = 0.001, units = "nm" }',
            ":16: detector.wavelength_spread: unknown key",
        ),
        (
            '"nm", error = 0.0001 }',
            '"nm" }\nwavelength_spread = { value = 1e-3, units = "1" }',
            ":9: monochromator.wavelength_spread.units: this field takes no units",
        ),
        (
            "threshold =",
            "saturation_value = 1.5\nthreshold =",
            ":16: detector.saturation_value: must be an integer",
        ),
        ("value = 1000.0", "value = nan", ":11: detector.distance.value: must be finite"),
        ('name = "test SAXS"', 'name = "  "', ":2: instrument.name: must be a non-empty string"),
        # sources
        ('"tango:genix', '"spec:genix', ":6: source.voltage.source: unknown source kind 'spec'"),
        (
            '"tango:genix/1/hv/voltage"',
            '"genix/1/hv/voltage"',
            ':6: source.voltage.source: must be "',
        ),
        (
            '"tango:genix/1/hv/voltage"',
            '"tango:genix/1/voltage"',
            ":6: source.voltage.source: 'tan",
        ),
        ('"motor:bsx"', '"motor:"', ":19: beam_stop.x.source: 'motor:': after motor: give a motor"),
        ('"channel:temp0d"', '"env:2x"', ":27: sensor[0].value.source: 'env:2x': after env: give"),
        (
            'probe = "x-ray"',
            'probe = { source = "env:Probe" }',
            ":5: source.probe.source: must be a c",
        ),
        (
            'type = "Fixed Tube X-ray"',
            'type = "env:NxsType"',
            ":4: source.type: 'env:NxsType' is no",
        ),
        ('name = "test SAXS"', 'name = "env:NxsName"', ":2: instrument.name: looks like a source"),
        (
            'units = "kV" }',
            'units = "kV", unit = "V" }',
            ":6: source.voltage.unit: unknown key: use",
        ),
        ('{ source = "tango:genix/1/hv/voltage", ', "{ ", ":6: source.voltage: write either value"),
        # uncertainties
        ("error = 0.5", "error = -0.5", ":11: detector.distance.error: must not be negative"),
        ("error = 0.5", 'error = "small"', ":11: detector.distance.error: must be a finite number"),
        ("error = 0.5", 'error = 0.5, error_source = "env:E"', ":11: detector.distance.error_sou"),
        ('"Pilatus 300K"', '{ value = "P", error = 1 }', ":10: detector.description.error: only"),
        # structure
        (
            "[beam_stop]",
            "[beamstop]",
            ":17: beamstop: unknown section [beamstop]: did you mean [beam_",
        ),
        ("threshold =", "treshold =", ":16: detector.treshold: unknown key in [detector]: did you"),
        (
            'diameter = { value = 2.6, units = "mm" }',
            'diameter = { value = 2.6, units = "mm" }\nsize = { value = 2.6, units = "mm" }',
            ":18: beam_stop.diameter: give size or diameter",
        ),
        (
            'diameter = { value = 600, units = "um" }\n',
            "",
            ":20: aperture[0]: missing: add diameter",
        ),
        (
            "[[aperture]]",
            "[aperture]",
            ":20: aperture: write [[aperture]] (one table per aperture)",
        ),
        ('exclude = ["bsx"]', "include = 3", ':29: positioners.include: must be "all" or a list'),
        ('exclude = ["bsx"]', 'exclude = "bsx"', ":29: positioners.exclude: must be a list of m"),
        ('exclude = ["bsx"]', "limit = 1", ":29: positioners.limit: unknown key in [positioners]"),
    ],
)
def test_rule(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert expected in one(tmp_path, old, new)


@pytest.mark.parametrize(
    ("drop", "key"),
    [
        ('name = "test SAXS"\n', "instrument.name"),
        ('type = "Fixed Tube X-ray"\n', "source.type"),
        ('probe = "x-ray"\n', "source.probe"),
        ('wavelength = { value = 0.15418, units = "nm", error = 0.0001 }\n', "monochromator.wa"),
        ('description = "Pilatus 300K"\n', "detector.description"),
        ('distance = { value = 1000.0, units = "mm", error = 0.5 }\n', "detector.distance"),
        ('y_pixel_size = { value = 0.172, units = "mm" }\n', "detector.y_pixel_size"),
        ('beam_center_y = { value = 309.25, units = "pixel" }\n', "detector.beam_center_y"),
        ('name = "pinhole1"\n', "aperture[0].name"),
        ('measurement = "temperature"\n', "sensor[0].measurement"),
        ('value = { source = "channel:temp0d", units = "degC" }\n', "sensor[0].value"),
    ],
)
def test_missing_required_field(tmp_path: Path, drop: str, key: str) -> None:
    found = one(tmp_path, drop, "")
    assert f": {key}" in found and "missing: add" in found


def test_duplicate_and_clashing_group_names(tmp_path: Path) -> None:
    extra = '[[sensor]]\nname = "{}"\nmeasurement = "pressure"\n'
    extra += 'value = {{ source = "tango:vac/gauge/1/p", units = "mbar" }}\n'
    for name, message in [
        ("thermostat", "sensor[1].name: duplicate name 'thermostat' (also sensor[0])"),
        ("pinhole1", "sensor[1].name: duplicate name 'pinhole1' (also aperture[0])"),
        ("detector", "sensor[1].name: 'detector' is taken"),
        ("2nd_gauge", "sensor[1].name: must be a NeXus name"),
    ]:
        found = [p.line() for p in check_description(write(tmp_path, BASE + extra.format(name)))]
        assert len(found) == 1 and message in found[0], found


def test_sensor_units_follow_the_measurement(tmp_path: Path) -> None:
    assert "is not a unit of pressure" in one(tmp_path, '"temperature"', '"pressure"')
    assert problems(tmp_path, '"temperature"', '"flow"') == []  # not a known dimension: any units
    assert "unknown units" in one(tmp_path, 'units = "degC"', 'units = "xyz"')


def test_non_ascii_units_are_accepted_and_written_in_ascii(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace('units = "um"', 'units = "\u00b5m"'))
    assert check_description(path) == []
    assert load_description(path).values["aperture[0].diameter"].units == "um"
    assert nexus_units("\u00c5") == "angstrom" and nexus_units("\u00b0C") == "degC"


def test_angles_are_not_counts() -> None:
    assert units_problem("deg", "angle") is None and units_problem("mrad", "angle") is None
    assert "not a unit of angle" in (units_problem("counts", "angle") or "")


def test_bad_pixels_file_or_pairs(tmp_path: Path) -> None:
    key = 'threshold = { value = 4.0, units = "keV" }\n'
    assert "mask file" in one(tmp_path, key, key + 'bad_pixels = "mask.edf"\n')
    (tmp_path / "mask.edf").write_bytes(b"")
    path = write(tmp_path, BASE.replace(key, key + 'bad_pixels = "mask.edf"\n'))
    assert load_description(path).values["detector.bad_pixels"].constant == str(
        tmp_path / "mask.edf"
    )
    assert problems(tmp_path, key, key + "bad_pixels = [\n  [1, 2],\n  [3, 4],\n]\n") == []
    assert "[[row, col], ...]" in one(tmp_path, key, key + "bad_pixels = [[1, -2]]\n")


def test_tango_url_with_host(tmp_path: Path) -> None:
    url = '"tango://lab-ctrl.example.org:10000/genix/1/hv/voltage"'
    assert problems(tmp_path, '"tango:genix/1/hv/voltage"', url) == []
    assert "after tango:" in one(tmp_path, '"tango:genix/1/hv/voltage"', '"tango://h/g/1/hv/v"')


def test_not_toml_names_the_line(tmp_path: Path) -> None:
    found = check_description(write(tmp_path, BASE.replace("[source]", "[source")))
    assert len(found) == 1 and found[0].lineno == 3 and "not valid TOML" in found[0].line()


def test_missing_file(tmp_path: Path) -> None:
    (found,) = check_description(tmp_path / "nope.toml")
    assert env.INSTRUMENT_FILE in found.line()


def test_every_problem_at_once_with_its_line(tmp_path: Path) -> None:
    text = (
        BASE.replace('"Fixed Tube X-ray"', '"Fixed tube"')  # line 4
        .replace('units = "kV"', 'units = "mA"')  # line 6
        .replace("error = 0.5", "error = -1")  # line 11
        .replace('"motor:bsx"', '"stepper:bsx"')  # line 19
        .replace('units = "degC"', 'units = "C"')  # line 27
    )
    text += '[[sensor]]\nname = "thermostat"\nmeasurement = "temperature"\n'  # 30: no value, dup
    text += "[notes]\n"  # line 33: found first, reported last
    found = check_description(write(tmp_path, text))
    assert [(p.lineno, p.key) for p in found] == [
        (4, "source.type"),
        (6, "source.voltage.units"),
        (11, "detector.distance.error"),
        (19, "beam_stop.x.source"),
        (27, "sensor[0].value.units"),
        (30, "sensor[1].value"),
        (31, "sensor[1].name"),
        (33, "notes"),
    ]
    with pytest.raises(ConfigError) as raised:
        load_description(write(tmp_path, text))
    message = str(raised.value)
    assert "\n" not in message and ":4: source.type:" in message
    assert "(and 7 more: sardana-nxsas instrument check" in message


def test_sections_and_items_must_be_tables(tmp_path: Path) -> None:
    (found,) = check_description(write(tmp_path, "experiment = 3\n" + BASE))
    assert found.line().endswith(
        ":1: experiment: must be a table: write [experiment] and its keys below it"
    )
    text = "aperture = 3\n" + BASE.replace(
        BASE[BASE.index("[[aperture]]") : BASE.index("[[sensor]]")], ""
    )
    (found,) = check_description(write(tmp_path, text))
    assert found.line().endswith(":1: aperture: write one [[aperture]] table per aperture")
