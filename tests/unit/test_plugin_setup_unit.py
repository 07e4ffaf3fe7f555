"""Tango-free parts of the system launcher: path merging, macro lines and results, ports."""

from __future__ import annotations

import os
import socket

import pytest

from sardana_nxsas.system.macro import RunCapture, macro_line
from sardana_nxsas.system.plugin_setup import PluginSetup, merge_paths
from sardana_nxsas.system.ports import LOOPBACK, free_port, listening_addresses


def test_merge_puts_ours_first_and_keeps_the_rest_once() -> None:
    existing = ["/site/macros", f"/nxsas/macros{os.pathsep}/other", "/site/macros/"]
    assert merge_paths(["/nxsas/macros"], existing) == ["/nxsas/macros", "/site/macros", "/other"]


def test_merge_is_idempotent_and_handles_empty() -> None:
    once = merge_paths(["/a"], ["/b", "/c"])
    assert merge_paths(["/a"], once) == once == ["/a", "/b", "/c"]
    assert merge_paths(["/a"], []) == ["/a"]
    assert merge_paths(["/a"], ["", "  "]) == ["/a"]


def test_note_says_what_to_restart() -> None:
    same = PluginSetup(
        written={"ms/x/1": {"MacroPath": ["/a"]}}, before={"ms/x/1": {"MacroPath": ["/a"]}}
    )
    assert not same.changed and "nothing to restart" in same.note
    new = PluginSetup(written={"ms/x/1": {"MacroPath": ["/a"]}}, servers=["Sardana/x"])
    assert new.changed and "restart Sardana/x" in new.note


@pytest.mark.parametrize(
    ("macro", "expected"),
    [
        (("ct 0.1",), ["ct", "0.1"]),
        (("ct", "0.1"), ["ct", "0.1"]),
        ((["ct", "0.1"],), ["ct", "0.1"]),
        (("senv ScanFile 'a b.h5'",), ["senv", "ScanFile", '"a b.h5"']),
        (("senv", "Title", 'say "hi" now'), ["senv", "Title", "'say \"hi\" now'"]),
        (("defmeas mg [ ct01 ct02 ]",), ["defmeas", "mg", "[", "ct01", "ct02", "]"]),
        (("senv", "X", ""), ["senv", "X", '""']),
    ],
)
def test_macro_line(macro: tuple[object, ...], expected: list[str]) -> None:
    assert macro_line(*macro) == expected  # type: ignore[arg-type]


def test_macro_line_needs_a_macro() -> None:
    with pytest.raises(ValueError):
        macro_line("  ")


def test_free_port_and_listening_addresses() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind((LOOPBACK, port))
        sock.listen()
        assert (LOOPBACK, port) in listening_addresses(os.getpid())


def _capture(top_state: str | None, door_state: str = "ON") -> RunCapture:
    run = RunCapture(["m"], top_ids=["-1"], saw_running=True, final_state=door_state)
    run.add_statuses(b'[{"id": "-1", "state": "start"}, {"id": "-2", "state": "exception"}]')
    if top_state:
        run.add_statuses(f'[{{"id": "-1", "state": "{top_state}"}}]'.encode())
    return run


def test_ok_only_when_the_top_macro_finished() -> None:
    assert _capture("finish").to_result().ok  # a sub-macro's caught exception is fine
    stopped = _capture("stop").to_result()
    assert not stopped.ok and stopped.status == "stop" and stopped.state == "ON"
    assert not _capture("exception", "ALARM").to_result().ok
    assert not _capture(None, "ALARM").to_result().ok  # failed before it started


def test_capture_lines_result_and_rejection() -> None:
    run = RunCapture(["m"])
    run.add_lines("output", ("a", "<BLOCK>", "b", "</BLOCK>"))
    run.add_lines("error", ("e",))
    run.set_result(("4.5",))
    run.rejected = "UnknownMacro: Unknown macro m"
    result = run.to_result("ON")
    assert result.output == ["a", "b"] and result.result == "4.5"
    assert result.errors == ["e", "UnknownMacro: Unknown macro m"]
    assert not result.ok and result.status == "rejected"
