"""The command line against the running simulated instrument."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from sardana_nxsas.paths import plugin_dir
from sardana_nxsas.system.simulated_instrument import SimulatedInstrument

CLI = [sys.executable, "-m", "sardana_nxsas.cli.main"]


def test_setup_writes_plugin_paths_into_the_tango_db(simulated: SimulatedInstrument) -> None:
    ms = simulated.server.names.macroserver
    done = subprocess.run(
        [*CLI, "setup", "--tango-host", simulated.db.tango_host, "--macroserver", ms],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"MacroPath = {plugin_dir('macros')}" in done.stdout
    assert f"PoolPath = {plugin_dir('controllers')}" in done.stdout
    assert "nothing to restart" in done.stdout  # the instrument was started with them


def test_setup_rejects_an_unknown_device(simulated: SimulatedInstrument) -> None:
    done = subprocess.run(
        [*CLI, "setup", "--tango-host", simulated.db.tango_host, "--macroserver", "ms/none/1"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("sardana-nxsas: error:") and done.stderr.count("\n") == 1


def test_validate_every_file_the_session_wrote(door: Any) -> None:
    result = door.run("expose 0.1 2 tst")  # returns once the writer is done
    assert result.ok
    files = re.findall(r"(\S+\.nxs)", result.text)
    assert len(files) == 2 and all(Path(f).is_file() for f in files)
    done = subprocess.run([*CLI, "validate", *files], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout
    assert done.stdout.count("OK") == len(files)
