from pathlib import Path

import pytest

from sardana_nxsas import env
from sardana_nxsas.description import load_instrument
from sardana_nxsas.errors import ConfigError


def test_loads_quantities_and_converts_beam_centre(instrument_file: Path) -> None:
    info = load_instrument(instrument_file)
    assert info.wavelength.value == pytest.approx(0.15418)
    assert info.wavelength.error == pytest.approx(0.0001)
    # pixel 243.5 (0-based centre) -> (243.5 + 0.5) * 0.172 mm from the detector edge
    assert info.detector.beam_center_x.value == pytest.approx(244.0 * 0.172)
    assert info.detector.beam_center_x.units == "mm"
    assert info.detector.beam_center_y.value == pytest.approx(309.75 * 0.172)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('type = "Fixed Tube X-ray"\n', "", "source.type: missing"),
        ("value = 1000.0", 'value = "far"', "detector.distance.value: must be a number"),
        ('units = "pixel" }\nbeam', 'units = "mm" }\nbeam', 'beam_center_x.units: must be "pixel"'),
        ("error = 0.5", "error = -0.5", "must not be negative"),
        ("[source]", "[source", "not valid TOML"),
    ],
)
def test_bad_descriptions_name_the_key(
    instrument_file: Path, old: str, new: str, message: str
) -> None:
    text = instrument_file.read_text()
    assert old in text
    instrument_file.write_text(text.replace(old, new, 1))
    with pytest.raises(ConfigError, match=message):
        load_instrument(instrument_file)


def test_missing_file_says_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=env.INSTRUMENT_FILE):
        load_instrument(tmp_path / "nope.toml")
