"""Samples: validation, the word syntax, and a registry that never loses or breaks."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest

import sardana_nxsas
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.errors import ConfigError, NxsError
from sardana_nxsas.samples.model import (
    CATEGORIES,
    NXSAMPLE_TYPES,
    SITUATIONS,
    Sample,
    SampleError,
    SampleExistsError,
    UnknownSampleError,
)
from sardana_nxsas.samples.store import SampleRegistry, registry_for, spock_quote
from sardana_nxsas.samples.text import describe, door_text, from_door, parse_changes, table

REPO = Path(sardana_nxsas.__file__).resolve().parents[1]
CHILD_ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
}
ODD_NAMES = ["REV 1", 'Sample "A"', "O'Brien's gel", "Glaskohlenstoff ü", "样品 1", "α-Fe₂O₃ [1]"]

ADDER = """
import sys, time
from pathlib import Path
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.samples.store import registry_for
from sardana_nxsas.samples.model import Sample
root, start, who, count = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
registry = registry_for(DataRoot(root))
print("ready", flush=True)
while not start.exists():
    time.sleep(0.0005)
for i in range(count):
    registry.add(Sample(f"{who} {i}", thickness=0.1 + i))
"""

WRITER = """
import os, sys
from pathlib import Path
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.samples.store import registry_for
from sardana_nxsas.samples.model import Sample
registry = registry_for(DataRoot(Path(sys.argv[1])))
print("ready", flush=True)
i = 0
while True:
    i += 1
    registry.set("GC", thickness=0.1 + i % 7, description="x" * (i % 5000 // 10))
    registry.add(Sample(f"tmp {os.getpid()} {i}"))
    registry.remove(f"tmp {os.getpid()} {i}")
"""


@pytest.fixture
def registry(data_root: Path) -> SampleRegistry:
    return registry_for(DataRoot(data_root))


def one_line(exc: pytest.ExceptionInfo[NxsError]) -> str:
    text = str(exc.value)
    assert "\n" not in text and text
    return text


# -- the model ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "non-empty"),
        ({"name": " GC"}, "space"),
        ({"name": "a\nb"}, "control character"),
        ({"name": "x" * 101}, "too long"),
        ({"thickness": -0.1}, "positive"),
        ({"thickness": 0}, "positive"),
        ({"thickness": float("nan")}, "finite"),
        ({"thickness": float("inf")}, "finite"),
        ({"thickness": True}, "not a number"),
        ({"thickness": "0.1"}, "not a number"),
        ({"thickness": 0.1, "thickness_error": -1}, "negative"),
        ({"thickness_error": 0.01}, "without thickness"),
        ({"transmission": -0.01}, "between 0 and 1.05"),
        ({"transmission": 1.2}, "between 0 and 1.05"),
        ({"position_x": float("-inf")}, "finite"),
        ({"category": "sampel"}, "'calibration sample'"),
        ({"category": None}, "unknown category"),
        ({"situation": "underwater"}, "'sealed can'"),
        ({"preparation_date": "2024-02-30"}, "YYYY-MM-DD"),
        ({"preparation_date": "20240101"}, "YYYY-MM-DD"),
        ({"description": "two\nlines"}, "control character"),
        ({"title": "   "}, "empty title"),
    ],
)
def test_invalid_samples_are_refused_in_one_line(fields: dict, message: str) -> None:
    with pytest.raises(SampleError) as exc:
        Sample(**{"name": "GC", **fields})
    assert message in one_line(exc)


def test_valid_sample_is_normalised() -> None:
    s = Sample("GC", thickness=1, category="CALIBRATION Sample", situation="Sealed Can")
    assert s.thickness == 1.0 and isinstance(s.thickness, float)
    assert (s.category, s.situation) == ("calibration sample", "sealed can")
    assert s.exposure_title == "GC" and s.with_changes(title=" Glassy carbon ").title == (
        "Glassy carbon"
    )
    assert Sample("EB", category="empty BEAM").category == "Empty beam"
    assert Sample("EB", category="Empty beam").nexus_type == "none"
    assert Sample("GC", category="calibration sample").nexus_type == "calibration sample"
    assert len(CATEGORIES) == len({c.casefold() for c in CATEGORIES})
    normalization = Sample("W", category="Normalisation sample")
    assert normalization.category == "normalization sample"  # CREDO's spelling kept
    assert normalization.nexus_type == "normalisation sample"  # NeXus's spelling


def nxsample_enumeration(field: str) -> set[str]:
    """NXsample/<field>'s allowed values in the NeXus definitions nexusformat bundles."""
    import nexusformat

    nxdl = Path(nexusformat.__file__).parent / "definitions/base_classes/NXsample.nxdl.xml"
    ns = {"nx": "http://definition.nexusformat.org/nxdl/3.1"}
    node = next(
        n for n in ET.parse(nxdl).getroot().findall("nx:field", ns) if n.get("name") == field
    )
    return {item.get("value") for item in node.findall("nx:enumeration/nx:item", ns)}


def test_nexus_types_are_the_nexus_enumeration() -> None:
    assert nxsample_enumeration("type") == NXSAMPLE_TYPES
    assert set(SITUATIONS) <= nxsample_enumeration("situation")
    assert {Sample("s", category=c).nexus_type for c in CATEGORIES} <= NXSAMPLE_TYPES


def test_transmission_a_little_above_one_is_accepted_with_a_warning() -> None:
    assert Sample("EB", transmission=1.0).warnings() == []
    warnings = Sample("EB", transmission=1.02, transmission_error=0.03).warnings()
    assert len(warnings) == 1 and "> 1" in warnings[0]


def test_with_changes_validates_and_dict_round_trips() -> None:
    s = Sample("GC", thickness=0.1, thickness_error=0.001, preparation_date="2024-05-01")
    with pytest.raises(SampleError, match="unknown sample field 'thikness'"):
        s.with_changes(thikness=1)
    with pytest.raises(SampleError, match="positive"):
        s.with_changes(thickness=-1)
    assert Sample.from_dict(json.loads(json.dumps(s.to_dict()))) == s
    with pytest.raises(SampleError, match="unknown field 'colour'"):
        Sample.from_dict({**s.to_dict(), "colour": "black"})


@pytest.mark.parametrize("name", ODD_NAMES)
def test_odd_names_are_kept_verbatim(name: str) -> None:
    assert Sample(name).name == name
    assert Sample(name).exposure_title == name


# -- the words typed in spock -------------------------------------------------


def test_parse_changes() -> None:
    words = ["thickness", "0.1", "0.001", "category", "calibration sample"]
    words += ["x", "20", "y", "-3.5", "date", "today"]
    changes = parse_changes(words, today=date(2024, 5, 1))
    assert changes == {
        "thickness": 0.1,
        "thickness_error": 0.001,
        "category": "calibration sample",
        "position_x": 20.0,
        "position_x_error": None,  # a value alone clears its uncertainty
        "position_y": -3.5,
        "position_y_error": None,
        "preparation_date": "2024-05-01",
    }
    assert parse_changes(["Thickness", "-"]) == {"thickness": None, "thickness_error": None}
    assert parse_changes(["project", "-", "title", '""']) == {"project": "", "title": None}
    assert parse_changes(["thickness_error", "0.002"]) == {"thickness_error": 0.002}
    assert parse_changes(["transmission", "0.5", "-"]) == {
        "transmission": 0.5,
        "transmission_error": None,
    }


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["thikness", "1"], "unknown sample field 'thikness'"),
        (["thickness"], "needs a value"),
        (["thickness", "thin"], "not a number"),
        (["x", "1", "x", "2"], "given twice"),
        (["thickness", "1", "0.1", "thickness_error", "0.2"], "given twice"),
    ],
)
def test_bad_words_are_one_line_errors(words: list[str], message: str) -> None:
    with pytest.raises(SampleError) as exc:
        parse_changes(words)
    assert message in one_line(exc)


def test_table_and_card_show_names_verbatim() -> None:
    samples = [Sample(n, thickness=0.1, thickness_error=0.01, position_x=0.0) for n in ODD_NAMES]
    lines = table(samples, current="REV 1")
    assert lines[0].split() == [
        "name", "category", "thickness/cm", "transmission", "x/mm", "y/mm", "project"
    ]  # fmt: skip
    assert len(lines) == len(samples) + 1
    for name, line in zip(ODD_NAMES, lines[1:], strict=True):
        assert name in line and "0.1 ± 0.01" in line
    assert lines[1].startswith("*") and not lines[2].startswith("*")
    card = describe(samples[0])
    assert "position x:   0 mm" in card and "thickness:    0.1 ± 0.01 cm" in card


def test_table_without_a_chosen_sample_has_no_marker_column() -> None:
    lines = table([Sample("GC"), Sample("样品")], for_door=True)
    assert lines[0].startswith("name ") and lines[1].startswith("GC ")
    assert lines[2].startswith("\\u6837\\u54c1  sample")  # escaped, aligned as printed


def test_door_text_escapes_what_tango_cannot_carry_and_from_door_undoes_it() -> None:
    for text in ODD_NAMES + ["Smile 😀", "plain"]:
        shown = door_text(text)
        shown.encode("latin-1")  # what the Door can carry
        assert from_door(shown) == text
    assert door_text("Ünïcødé 样") == "Ünïcødé \\u6837"
    assert from_door("\\U0001F600 \\u00fc") == "😀 ü"
    with pytest.raises(SampleError):
        from_door("\\UFFFFFFFF")


def test_spock_quote() -> None:
    assert spock_quote("GC") == "GC"
    assert spock_quote("REV 1") == '"REV 1"'
    assert spock_quote('Sample "A"') == "'Sample \"A\"'"
    assert spock_quote("""O'Brien "x" """.strip()) == '"O\'Brien \\"x\\""'


# -- the registry ---------------------------------------------------------------


def test_registry_add_get_set_rename_remove(registry: SampleRegistry, data_root: Path) -> None:
    assert registry.list() == [] and not (data_root / "state").exists()  # reading creates nothing
    registry.add(Sample("Glassy_Carbon", thickness=0.1, category="calibration sample"))
    registry.add(Sample("agbeh"))
    registry.add(Sample("Buffer"))
    assert [s.name for s in registry.list()] == ["agbeh", "Buffer", "Glassy_Carbon"]
    assert registry.get("glassy_carbon").name == "Glassy_Carbon"  # unique ignoring case
    changed = registry.set("Glassy_Carbon", thickness=0.2, thickness_error=0.002)
    assert registry.get("Glassy_Carbon") == changed and changed.category == "calibration sample"
    assert registry.rename("agbeh", "AgBeh").name == "AgBeh"
    assert registry.find("agbeh").name == "AgBeh"
    assert registry.remove("buffer").name == "Buffer"
    assert [s.name for s in registry.list()] == ["AgBeh", "Glassy_Carbon"]
    doc = json.loads((data_root / "state" / "samples.json").read_text("utf-8"))
    assert doc["schema"] == 1 and [s["name"] for s in doc["samples"]] == ["AgBeh", "Glassy_Carbon"]


def test_registry_errors_are_one_line_and_helpful(registry: SampleRegistry) -> None:
    registry.add(Sample("Glassy_Carbon"))
    registry.add(Sample("REV 1"))
    with pytest.raises(SampleExistsError) as exc:
        registry.add(Sample("glassy_carbon"))
    assert "nxssample set Glassy_Carbon" in one_line(exc)
    with pytest.raises(UnknownSampleError) as exc:
        registry.get("Glassy_Carbn")
    assert "did you mean 'Glassy_Carbon'" in one_line(exc)
    with pytest.raises(UnknownSampleError) as exc:
        registry.remove("zzz")
    assert "nxssample list" in one_line(exc)
    with pytest.raises(SampleExistsError) as exc:
        registry.rename("REV 1", "GLASSY_CARBON")
    assert "exists already" in one_line(exc)
    with pytest.raises(SampleError):
        registry.set("REV 1", thickness=-1)
    assert [s.name for s in registry.list()] == ["Glassy_Carbon", "REV 1"]


@pytest.mark.parametrize("name", ODD_NAMES)
def test_odd_names_round_trip_through_the_file(registry: SampleRegistry, name: str) -> None:
    registry.add(Sample(name, title=f"{name} title", project="P ü"))
    again = SampleRegistry(registry.path)
    assert again.get(name).name == name and again.get(name).title == f"{name} title"
    # readable (not \\u-escaped) for anyone who opens the file
    assert json.dumps(name, ensure_ascii=False) in registry.path.read_text("utf-8")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"schema": 1, "samples": [', "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b'{"schema": 2, "samples": []}', "schema 2"),
        (b'{"schema": 1}', "no list of samples"),
        (b'{"schema": 1, "samples": [{"name": "a", "thickness": -1}]}', "repair the entry"),
        (b'{"schema": 1, "samples": [{"name": "a"}, {"name": "A"}]}', "twice"),
        (b'{"schema": 1, "schema": 1, "samples": []}', "appears twice"),
    ],
)
def test_a_bad_registry_is_reported_never_overwritten(
    registry: SampleRegistry, content: bytes, message: str
) -> None:
    registry.path.parent.mkdir(parents=True)
    registry.path.write_bytes(content)
    with pytest.raises(ConfigError) as exc:
        registry.add(Sample("GC"))
    assert message in one_line(exc)
    assert registry.path.read_bytes() == content


def test_missing_data_root_is_not_created(tmp_path: Path) -> None:
    registry = registry_for(DataRoot(tmp_path / "unmounted"))
    assert registry.list() == []
    with pytest.raises(ConfigError, match="does not exist"):
        registry.add(Sample("GC"))
    assert not (tmp_path / "unmounted").exists()


def test_threads_never_lose_an_add(registry: SampleRegistry) -> None:
    def add(who: int) -> None:
        for i in range(10):
            SampleRegistry(registry.path, data_root=registry.data_root).add(Sample(f"t{who} {i}"))

    threads = [threading.Thread(target=add, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(registry.list()) == 40


def test_four_processes_never_lose_an_add(data_root: Path, tmp_path: Path) -> None:
    start, count = tmp_path / "go", 25
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", ADDER, str(data_root), str(start), f"p{who}", str(count)],
            env=CHILD_ENV,
            stdout=subprocess.PIPE,
            text=True,
        )
        for who in range(4)
    ]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready"
    start.touch()  # all four start adding at once
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    names = {s.name for s in registry_for(DataRoot(data_root)).list()}
    assert names == {f"p{who} {i}" for who in range(4) for i in range(count)}


def test_sigkill_mid_write_never_leaves_a_broken_registry(data_root: Path) -> None:
    registry = registry_for(DataRoot(data_root))
    registry.add(Sample("GC", category="calibration sample"))
    rng = random.Random(3)
    for _ in range(15):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(data_root)],
            env=CHILD_ENV,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.01, 0.15))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        doc = json.loads(registry.path.read_text("utf-8"))  # always whole
        assert doc["schema"] == 1
        names = {s.name for s in registry.list()}
        assert "GC" in names and len(names) <= 2  # at most one "tmp" killed between add/remove
        assert registry.get("GC").category == "calibration sample"
        for name in names - {"GC"}:
            registry.remove(name)
        registry.set("GC", description="after a kill")  # writing works, and sweeps temp files
        assert [p.name for p in registry.path.parent.iterdir() if p.name.endswith(".tmp")] == []
