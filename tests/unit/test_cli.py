"""The command line: exit codes and one-line errors."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from sardana_nxsas.acquisition.exposure import begin_exposure, end_exposure, record_counts
from sardana_nxsas.acquisition.settings import Settings
from sardana_nxsas.cli.main import main
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.paths import plugin_dirs


@pytest.fixture
def settings(data_root: Path, instrument_file: Path) -> Settings:
    return Settings(DataRoot(data_root), instrument_file)


def exposure(settings: Settings, with_frame: bool = True) -> Path:
    session, _ = begin_exposure(settings, "crd", "t", now=datetime.now())
    if with_frame:
        frame = np.ones((619, 487), np.int32)
        record_counts(session, settings, count_time=1, monitor=1, counters={}, frame=frame)
    end_exposure(session, settings)
    return Path(session.nxs)


def test_validate_ok_and_broken(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    good = exposure(settings)
    assert main(["validate", str(good)]) == 0
    assert capsys.readouterr().out.startswith("OK")
    bad = exposure(settings, with_frame=False)
    assert main(["validate", str(good), str(bad)]) == 1
    out = capsys.readouterr()
    assert "status is failed" in out.out and "1 of 2" in out.err


def test_validate_catches_a_changed_cbf(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    nxs = exposure(settings)
    cbf = settings.root.cbf_path("crd", 1)
    data = bytearray(cbf.read_bytes())
    data[-100] ^= 0xFF
    cbf.write_bytes(bytes(data))
    assert main(["validate", str(nxs)]) == 1
    assert "SHA-256" in capsys.readouterr().out


def test_paths_lists_every_plugin_dir(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["paths", "--property"]) == 0
    out = capsys.readouterr().out
    for prop, kind in (
        ("MacroPath", "macros"),
        ("PoolPath", "controllers"),
        ("RecorderPath", "recorders"),
    ):
        assert f"{prop}" in out and str(plugin_dirs()[kind]) in out


def test_lsfsn(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    exposure(settings)
    assert main(["lsfsn", "--data", str(settings.root.path)]) == 0
    assert any(line.split() == ["crd", "1", "2"] for line in capsys.readouterr().out.splitlines())


def test_user_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lsfsn", "--data", str(tmp_path), "--prefixes", "crd ../x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sardana-nxsas: error: invalid prefix") and err.count("\n") == 1
    assert main(["demo", "--time", "-1"]) == 2
    assert "--time" in capsys.readouterr().err


def test_every_subcommand_module_is_wired_in_the_order_of_help() -> None:
    import argparse
    import importlib
    import pkgutil

    import sardana_nxsas.cli
    from sardana_nxsas.cli.main import SUBCOMMANDS, parser

    (commands,) = [a for a in parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert list(commands.choices) == [
        "demo", "validate", "paths", "setup", "lsfsn", "gui",
        "instrument", "catalog", "pending", "export",
    ]  # fmt: skip
    names = [i.name for i in pkgutil.iter_modules(sardana_nxsas.cli.__path__)]
    with_parser = {  # __main__ runs the command line when imported
        name
        for name in names
        if name != "__main__"
        and hasattr(importlib.import_module(f"sardana_nxsas.cli.{name}"), "add_parser")
    }
    assert with_parser == {module.__name__.rpartition(".")[2] for module in SUBCOMMANDS}
