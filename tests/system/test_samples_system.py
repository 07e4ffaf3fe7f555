"""nxssample through the real Door (and once through spock): the sample registry in use."""

from __future__ import annotations

import pickle
import re
import shlex
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import h5py
import pytest
import tango

from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.env import SAMPLE, SAMPLE_MOTORS, TITLE
from sardana_nxsas.samples.store import registry_for
from sardana_nxsas.system.door import DoorClient
from sardana_nxsas.system.simulated_instrument import SimulatedInstrument
from sardana_nxsas.system.spock import create_spock_profile

ENV_KEYS = (SAMPLE, TITLE, SAMPLE_MOTORS)


class MacroServerEnv:
    """Reads and writes the MacroServer environment the way spock does (pickled)."""

    def __init__(self, simulated: SimulatedInstrument) -> None:
        ms = simulated.server.names.macroserver
        self.proxy = tango.DeviceProxy(f"tango://{simulated.db.tango_host}/{ms}")

    def all(self) -> dict[str, Any]:
        _fmt, data = self.proxy.read_attribute("Environment").value
        return pickle.loads(data)["new"]

    def get(self, key: str) -> Any:
        return self.all().get(key)

    def change(self, new: dict[str, Any], delete: list[str]) -> None:
        value = pickle.dumps({"new": new, "del": delete})
        self.proxy.write_attribute("Environment", ("pickle", value))


@pytest.fixture
def env(simulated: SimulatedInstrument, door: DoorClient) -> Iterator[MacroServerEnv]:
    """The environment; NxsSample, NxsTitle, NxsSampleMotors put back as found."""
    ms_env = MacroServerEnv(simulated)
    saved = {k: v for k, v in ms_env.all().items() if k in ENV_KEYS}
    yield ms_env
    now = ms_env.all()
    ms_env.change(saved, [k for k in ENV_KEYS if k in now and k not in saved])


def unique(name: str) -> str:
    return f"{name} {uuid.uuid4().hex[:6]}"


def run_ok(door: DoorClient, *macro: str):
    result = door.run(*macro)
    assert result.ok, f"{macro}: {result.errors}"
    return result


def error_of(result) -> str:
    """The operator's error line (Sardana puts 'An error occurred...' before it)."""
    assert not result.ok
    lines = [e for e in result.errors if not e.startswith("An error occurred")]
    assert len(lines) == 1, result.errors
    return lines[0]


def positions(door: DoorClient, *motors: str) -> list[float]:
    lines = run_ok(door, "wm", *motors).output
    current = next(line for line in lines if line.split()[:1] == ["Current"])  # user position
    return [float(v) for v in current.split()[1:]]


def test_add_set_show_list_remove(simulated, door, env) -> None:
    name = unique("Glassy_Carbon")
    added = run_ok(
        door,
        f'nxssample add {name!r} thickness 0.1 0.001 category "CALIBRATION sample" x 20 y 0',
    )
    assert f"added '{name}'" in added.text and "0.1 ± 0.001 cm" in added.text
    shown = run_ok(door, "nxssample", "show", name).text
    assert "calibration sample" in shown and "position x:   20 mm" in shown
    changed = run_ok(door, "nxssample", "set", name.upper(), "thickness", "0.12", "project", "P1")
    assert "thickness:    0.12 cm" in changed.text  # a new value without error: error cleared
    # Sardana turns the word "none" into a missing value; nxssample gets it back
    assert "category:     none" in run_ok(door, f"nxssample set {name!r} category none").text
    run_ok(door, "nxssample", "set", name, "category", "calibration sample")
    listing = run_ok(door, "nxssample list").output
    row = next(line for line in listing if name in line)
    assert re.search(r"calibration sample\s+0\.12\s+-\s+20\s+0\s+P1$", row), row
    stored = registry_for(DataRoot(simulated.data_root)).get(name)
    assert (stored.thickness, stored.thickness_error, stored.project) == (0.12, None, "P1")
    assert f"removed '{name}'" in run_ok(door, "nxssample", "remove", name).text
    assert all(name not in line for line in run_ok(door, "nxssample").output)
    assert f"no sample '{name}'" in error_of(door.run("nxssample", "show", name))


def test_use_move_moves_the_motors_and_titles_the_next_exposure(simulated, door, env) -> None:
    name, title = unique("REV_1"), "Rev. 1, 20 nm spheres"
    before = positions(door, "samx", "samy")
    run_ok(door, "nxssample", "add", name, "x", "12.5", "y", "-3", "title", title)
    try:
        chosen = run_ok(door, "nxssample", "use", name, "move")
        assert "moved samx to 12.5 mm, samy to -3 mm" in chosen.text
        assert positions(door, "samx", "samy") == [12.5, -3.0]
        assert (env.get(SAMPLE), env.get(TITLE)) == (name, title)
        exposed = run_ok(door, "expose 0.1 1 tst")
        nxs = re.search(r"(\S+\.nxs)\s+'([^']*)'", exposed.text)
        assert nxs and nxs.group(2) == title, exposed.text
        with h5py.File(nxs.group(1)) as f:
            assert f["entry/title"][()].decode() == title
        # NxsTitle follows the chosen sample's title ...
        run_ok(door, "nxssample", "set", name, "title", "Rev. 1, again")
        assert env.get(TITLE) == "Rev. 1, again"
        # ... until the operator sets one of their own
        run_ok(door, "senv", TITLE, "my own title")
        run_ok(door, "nxssample", "set", name, "title", "-")
        assert env.get(TITLE) == "my own title"
        run_ok(door, "nxssample", "rename", name, name + "b")
        assert env.get(SAMPLE) == name + "b"
        removed = run_ok(door, "nxssample", "remove", name + "b")
        assert any("no sample is chosen now" in w for w in removed.warnings)
        assert env.get(SAMPLE) is None and env.get(TITLE) == "my own title"
    finally:
        door.run("nxssample", "remove", name)
        door.run("mv", "samx", str(before[0]), "samy", str(before[1]))


def test_other_sample_motors_and_no_position(simulated, door, env) -> None:
    name, nowhere = unique("bs"), unique("nowhere")
    before = positions(door, "bsx", "samy")
    run_ok(door, "nxssample", "add", name, "x", "1.5", "y", "0.25")
    run_ok(door, "nxssample", "add", nowhere)
    try:
        run_ok(door, "senv", SAMPLE_MOTORS, "bsx", "samy")
        run_ok(door, "nxssample", "use", name, "--move")  # the spelling of the issue
        assert positions(door, "bsx", "samy") == [1.5, 0.25]
        assert "has no position" in error_of(door.run("nxssample", "use", nowhere, "move"))
        run_ok(door, "senv", SAMPLE_MOTORS, "nosuchmotor samy")
        assert "'nosuchmotor' does not exist" in error_of(
            door.run("nxssample", "use", name, "move")
        )
    finally:
        door.run("nxssample", "remove", name)
        door.run("nxssample", "remove", nowhere)
        door.run("mv", "bsx", str(before[0]), "samy", str(before[1]))


def test_a_stopped_move_leaves_no_sample_chosen(simulated, door, env) -> None:
    here, far = unique("here"), unique("far")
    before = positions(door, "samx", "samy")
    run_ok(door, "nxssample", "add", here, "x", str(before[0]), "y", str(before[1]))
    run_ok(door, "nxssample", "add", far, "x", "800", "y", "0")  # 16 s at 50 mm/s
    try:
        run_ok(door, "nxssample", "use", here)
        door.start("nxssample", "use", far, "move")
        time.sleep(1.0)
        door.stop()
        assert not door.wait(timeout=20).ok
        assert positions(door, "samx")[0] < 700
        # the motors left `here` and never reached `far`: no sample, no title
        assert env.get(SAMPLE) is None and env.get(TITLE) is None
    finally:
        door.run("nxssample", "remove", here)
        door.run("nxssample", "remove", far)
        door.run("mv", "samx", str(before[0]), "samy", str(before[1]))


ODD = ["REV 1", 'Sample "A"', "O'Brien's gel", "100% EtOH [2]", "Ünïcødé"]


@pytest.mark.parametrize("base", ODD)
def test_odd_names_stored_and_shown_verbatim(simulated, door, env, base: str) -> None:
    name = unique(base)
    # (DoorClient cannot send one word holding both kinds of quote; spock can)
    run_ok(door, "nxssample", "add", name, "description", "it's here", "x", "1", "y", "2")
    try:
        assert f"  name:         {name}" in run_ok(door, "nxssample", "show", name).output
        listing = run_ok(door, "nxssample").output  # (a chosen sample is marked in front)
        assert any(line.lstrip(" *>").startswith(name + "  ") for line in listing)
        assert registry_for(DataRoot(simulated.data_root)).get(name).name == name
        run_ok(door, "nxssample", "use", name)
        assert (env.get(SAMPLE), env.get(TITLE)) == (name, name)
        exposed = run_ok(door, "expose 0.1 1 tst").text
        assert repr(name) in exposed
        with h5py.File(re.search(r"(\S+\.nxs)", exposed).group(1)) as f:
            assert f["entry/title"][()].decode() == name
    finally:
        door.run("nxssample", "remove", name)


@pytest.mark.parametrize("name", ["1", "None", "true", "[2, 3]", "(3, 4)"])
def test_names_that_look_like_python_stay_text(simulated, door, env, name: str) -> None:
    door.run("nxssample", "remove", name)  # a name without a unique suffix: start clean
    run_ok(door, "nxssample", "add", name)
    try:
        run_ok(door, "nxssample", "use", name)
        assert (env.get(SAMPLE), env.get(TITLE)) == (name, name)
        assert "*  " + name in "\n".join(run_ok(door, "nxssample").output)
    finally:
        door.run("nxssample", "remove", name)


def test_names_beyond_latin1_travel_as_escapes(simulated, door, env) -> None:
    """Tango strings are Latin-1: such characters are typed and shown as \\uXXXX."""
    real = unique("样品")
    typed = real.replace("样", "\\u6837").replace("品", "\\u54c1")
    run_ok(door, "nxssample", "add", typed, "x", "3", "y", "4")
    try:
        registry = registry_for(DataRoot(simulated.data_root))
        assert registry.get(real).name == real  # stored verbatim
        assert real in registry.path.read_text("utf-8")
        listing = run_ok(door, "nxssample").output
        assert any(line.lstrip(" *>").startswith(typed + "  ") for line in listing)
        assert f"  name:         {typed}" in run_ok(door, "nxssample", "show", typed).output
        # exposures of it print their title escaped, and keep it verbatim in the file
        run_ok(door, "nxssample", "use", typed)
        assert (env.get(SAMPLE), env.get(TITLE)) == (real, real)
        shown = run_ok(door, "expose 0.1 1 tst").text
        assert typed in shown or typed.replace("\\", "\\\\") in shown
        (nxs,) = re.findall(r"(\S+\.nxs)", shown)
        with h5py.File(nxs) as f:
            assert f["entry/title"][()].decode() == real
            assert f["entry/raw/sample/name"][()].decode() == real
        assert typed in error_of(door.run("nxssample", "add", typed))  # errors escaped too
    finally:
        door.run("nxssample", "remove", typed)


@pytest.mark.parametrize(
    ("macro", "message"),
    [
        (["nxssample", "frobnicate"], "unknown action 'frobnicate'"),
        (["nxssample", "add"], "usage: nxssample add NAME"),
        (["nxssample", "set", "x"], "usage: nxssample set NAME"),
        (["nxssample", "add", "bad", "thickness", "-1"], "must be positive"),
        (["nxssample", "add", "bad", "thikness", "1"], "did you mean 'thickness'?"),
        (["nxssample", "add", "bad", "category", "sampel"], "unknown category 'sampel'"),
        (["nxssample", "add", "bad", "date", "2024-13-01"], "YYYY-MM-DD"),
        (["nxssample", "add", "bad", "transmission", "nan"], "not a finite number"),
        (["nxssample", "use", "no such sample"], "no sample 'no such sample'"),
        (["nxssample", "use", "x", "sideways"], "usage: nxssample use NAME [move]"),
    ],
)
def test_bad_input_is_one_clear_line(simulated, door, env, macro, message) -> None:
    assert message in error_of(door.run(*macro))
    assert registry_for(DataRoot(simulated.data_root)).find("bad") is None


def test_spock_takes_the_words_without_brackets(simulated, door, env) -> None:
    name = unique("REV 1")
    profile = create_spock_profile(
        simulated.server.names.door, simulated.db.tango_host, simulated.workdir / "ipython"
    )
    line = (
        f'nxssample add "{name}" thickness 0.1 0.001 category "calibration sample" x 50 y 0 '
        'description "it\'s \\"quoted\\"" project none'
    )
    try:
        done = subprocess.run(
            f"{profile.command} -c {shlex.quote(line)}",
            shell=True,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=simulated.workdir,
        )
        assert f"added '{name}'" in done.stdout, done.stdout + done.stderr
        sample = registry_for(DataRoot(simulated.data_root)).get(name)
        assert (sample.thickness, sample.thickness_error, sample.position_x) == (0.1, 0.001, 50)
        assert sample.category == "calibration sample"
        assert (sample.description, sample.project) == ('it\'s "quoted"', "None")
    finally:
        door.run("nxssample", "remove", name)
