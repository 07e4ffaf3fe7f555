from pathlib import Path

import pytest

from sardana_nxsas.acquisition.settings import Settings
from sardana_nxsas.errors import ConfigError, UnknownPrefixError


def getter(values: dict):
    def get(key: str):
        return values[key]

    return get


def test_defaults(data_root: Path, instrument_file: Path) -> None:
    s = Settings.from_getter(
        getter({"NxsDataRoot": str(data_root), "NxsInstrumentFile": str(instrument_file)})
    )
    assert s.root.prefixes == ("crd", "scn", "tra", "tst", "gsx")
    assert s.default_prefix == "crd" and s.compression == "gzip"


def test_prefixes_as_string_or_list(data_root: Path, instrument_file: Path) -> None:
    base = {"NxsDataRoot": str(data_root), "NxsInstrumentFile": str(instrument_file)}
    assert Settings.from_getter(getter({**base, "NxsPrefixes": "crd, map"})).root.prefixes == (
        "crd",
        "map",
    )
    s = Settings.from_getter(
        getter({**base, "NxsPrefixes": ["abc", "crd"], "NxsDefaultPrefix": "abc"})
    )
    assert s.default_prefix == "abc"


@pytest.mark.parametrize(
    ("values", "error", "message"),
    [
        ({}, ConfigError, "NxsDataRoot"),
        ({"NxsDataRoot": "/x"}, ConfigError, "NxsInstrumentFile"),
        (
            {"NxsDataRoot": "/x", "NxsInstrumentFile": "/i", "NxsCompression": "zip"},
            ConfigError,
            "NxsCompression",
        ),
        (
            {"NxsDataRoot": "/x", "NxsInstrumentFile": "/i", "NxsDefaultPrefix": "zzz"},
            UnknownPrefixError,
            "zzz",
        ),
    ],
)
def test_one_line_errors(values: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message) as info:
        Settings.from_getter(getter(values))
    assert "\n" not in str(info.value)
