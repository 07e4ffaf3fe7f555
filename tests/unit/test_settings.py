from pathlib import Path

import pytest

from sardana_nxsas import env
from sardana_nxsas.acquisition.settings import Settings
from sardana_nxsas.errors import ConfigError, UnknownPrefixError


def getter(values: dict):
    def get(key: str):
        return values[key]

    return get


def test_defaults(data_root: Path, instrument_file: Path) -> None:
    s = Settings.from_getter(
        getter({env.DATA_ROOT: str(data_root), env.INSTRUMENT_FILE: str(instrument_file)})
    )
    assert s.root.prefixes == ("crd", "scn", "tra", "tst", "gsx")
    assert s.default_prefix == "crd" and s.compression == "gzip"


def test_prefixes_as_string_or_list(data_root: Path, instrument_file: Path) -> None:
    base = {env.DATA_ROOT: str(data_root), env.INSTRUMENT_FILE: str(instrument_file)}
    assert Settings.from_getter(getter({**base, env.PREFIXES: "crd, map"})).root.prefixes == (
        "crd",
        "map",
    )
    s = Settings.from_getter(
        getter({**base, env.PREFIXES: ["abc", "crd"], env.DEFAULT_PREFIX: "abc"})
    )
    assert s.default_prefix == "abc"


@pytest.mark.parametrize(
    ("values", "error", "message"),
    [
        ({}, ConfigError, env.DATA_ROOT),
        ({env.DATA_ROOT: "/x"}, ConfigError, env.INSTRUMENT_FILE),
        (
            {env.DATA_ROOT: "/x", env.INSTRUMENT_FILE: "/i", env.COMPRESSION: "zip"},
            ConfigError,
            env.COMPRESSION,
        ),
        (
            {env.DATA_ROOT: "/x", env.INSTRUMENT_FILE: "/i", env.DEFAULT_PREFIX: "zzz"},
            UnknownPrefixError,
            "zzz",
        ),
    ],
)
def test_one_line_errors(values: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message) as info:
        Settings.from_getter(getter(values))
    assert "\n" not in str(info.value)
