"""The helpers the macro files share, against a fake macro object (no Sardana)."""

from __future__ import annotations

import ast
import contextlib
from dataclasses import dataclass, field
from pathlib import Path

from sardana_nxsas import env
from sardana_nxsas.acquisition import macro_support as ms
from sardana_nxsas.acquisition.news import operator_news
from sardana_nxsas.acquisition.settings import Settings
from sardana_nxsas.dataroot.fsn import Allocation
from sardana_nxsas.dataroot.layout import DataRoot


class UnknownEnv(Exception):  # Sardana's is recognised by its name
    pass


@dataclass
class Element:
    name: str


@dataclass
class FakeMacro:
    environment: dict[str, object] = field(default_factory=dict)
    lines: list[tuple[str, str]] = field(default_factory=list)

    def getEnv(self, key: str) -> object:  # noqa: N802
        if key not in self.environment:
            raise UnknownEnv(key)
        return self.environment[key]

    def setEnv(self, key: str, value: object) -> tuple[str, object]:  # noqa: N802
        stored: object = value  # as Sardana: a str goes through ast.literal_eval if it can
        if isinstance(value, str):
            with contextlib.suppress(ValueError, SyntaxError):
                stored = ast.literal_eval(value)
        self.environment[key] = stored
        return key, stored

    def unsetEnv(self, key: str) -> None:  # noqa: N802
        del self.environment[key]

    def getMotors(self) -> dict[str, Element]:  # noqa: N802
        return {"m1": Element("samx"), "m2": Element("samy")}

    def getPseudoMotors(self) -> dict[str, Element]:  # noqa: N802
        return {"p1": Element("gap")}

    def output(self, text: str) -> None:
        self.lines.append(("output", text))

    def warning(self, text: str) -> None:
        self.lines.append(("warning", text))


def test_moveables_are_motors_and_pseudo_motors() -> None:
    assert ms.MacroSources(FakeMacro()).moveable_names() == ["samx", "samy", "gap"]


def test_set_text_keeps_a_string_a_string() -> None:
    macro = FakeMacro()
    ms.set_text(macro, env.SAMPLE, "42")
    ms.set_text(macro, env.TITLE, "None")
    ms.set_text(macro, "Other", "GC")
    assert macro.environment == {env.SAMPLE: "42", env.TITLE: "None", "Other": "GC"}
    ms.unset(macro, "Other")
    ms.unset(macro, "Never set")
    assert "Other" not in macro.environment


def test_say_and_warn_go_to_the_door_as_latin_1() -> None:
    macro = FakeMacro()
    ms.say(macro, "100 % Å")
    ms.warn(macro, "µ → ok")
    assert macro.lines == [("output", "100 % Å"), ("warning", "µ \\u2192 ok")]


def test_operator_news_tells_the_numbers_passed_over(
    data_root: Path, instrument_file: Path
) -> None:
    settings = Settings(DataRoot(data_root), instrument_file)
    assert operator_news(settings) == []
    lines = operator_news(settings, Allocation("crd", 5, (3, 4)))
    assert lines == ["files already existed at FSN 3, 4 of crd: using 5"]
