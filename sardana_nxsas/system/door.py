"""Run macros through a Sardana Door with PyTango only, capturing all their output.

How the capture works: the Door pushes a change event on Output/Info/Warning/
Error for every log record (one event = the lines of one record, in the order
they were logged), on MacroStatus for every macro step, on Result once for the
top macro, and on State (RUNNING, then ON/ALARM when the macro is over). All of
them leave the server through one ZMQ publisher and are delivered to us by one
consumer thread, so they arrive in order: when the final State event comes,
every line of the macro has already been received. Reading the attributes
afterwards is not an option (Result is never stored on the server and the log
buffers are bounded), and nothing here sleeps a fixed time.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

import tango

from sardana_nxsas.system.macro import MacroError, MacroResult, macro_line

__all__ = ["DoorClient", "MacroError", "MacroResult", "macro_line"]

log = logging.getLogger(__name__)

_STREAMS = {"output": "output", "info": "info", "warning": "warnings", "error": "errors"}
_ATTRIBUTES = ("State", "MacroStatus", "Result", "Output", "Info", "Warning", "Error")
_BLOCK_MARKERS = ("<BLOCK>", "</BLOCK>")  # spock's "redraw this block" tags, not text
_BUSY = (tango.DevState.RUNNING, tango.DevState.STANDBY)  # STANDBY = paused
_POLL_AFTER = 2.0  # s without events before the state is polled (lost-event safety net)


@dataclass
class _Run:
    macro: list[str]
    t0: float
    lines: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in _STREAMS.values()})
    result: Any = None
    statuses: dict[str, str] = field(default_factory=dict)
    top_ids: list[str] = field(default_factory=list)
    saw_running: bool = False
    final_state: str | None = None
    rejected: str | None = None
    last_event: float = 0.0


def _clean_devfailed(exc: tango.DevFailed) -> str:
    desc = exc.args[0].desc.strip() if exc.args else str(exc)
    return re.sub(r"^(?:\w+\.)+(\w+: )", r"\1", desc)  # drop the module path of the class


class DoorClient:
    """A Door client: one macro at a time, output captured from change events."""

    def __init__(self, door_name: str, tango_host: str) -> None:
        self.door_name = door_name
        self.tango_host = tango_host
        self.proxy = tango.DeviceProxy(f"tango://{tango_host}/{door_name}")
        self._cond = threading.Condition()
        self._run: _Run | None = None
        self._event_ids: list[int] = []

    # -- events -------------------------------------------------------------
    def _subscribe(self) -> None:
        if self._event_ids:
            return
        for attr in _ATTRIBUTES:
            # the first event carries the current value; it arrives before a run exists
            self._event_ids.append(
                self.proxy.subscribe_event(attr, tango.EventType.CHANGE_EVENT, self._on_event)
            )

    def close(self) -> None:
        for event_id in self._event_ids:
            with contextlib.suppress(tango.DevFailed):  # the server may be gone already
                self.proxy.unsubscribe_event(event_id)
        self._event_ids = []

    def _on_event(self, event: tango.EventData) -> None:
        name = event.attr_name.rsplit("/", 1)[-1].lower()
        if event.err:
            log.debug("door event error on %s: %s", name, event.errors)
            return
        value = event.attr_value.value
        with self._cond:
            run = self._run
            if run is None:
                return
            run.last_event = time.monotonic()
            if name == "state":
                if value in _BUSY:
                    run.saw_running = True
                elif run.saw_running:
                    run.final_state = str(value)
            elif name in _STREAMS:
                lines = [ln for ln in value or () if ln not in _BLOCK_MARKERS]
                run.lines[_STREAMS[name]].extend(lines)
            elif name == "macrostatus":
                self._on_status(run, value)
            elif name == "result":
                values = list(value or ())
                run.result = values[0] if len(values) == 1 else values or None
            self._cond.notify_all()

    @staticmethod
    def _on_status(run: _Run, value: Any) -> None:
        _format, data = value  # ("utf8_json", b"[{id, state, ...}, ...]")
        for status in json.loads(data) if data else ():
            if "id" in status and "state" in status:
                run.statuses[str(status["id"])] = status["state"]

    # -- running ------------------------------------------------------------
    def start(self, *macro: str | list[str]) -> None:
        """Send RunMacro and return at once; a rejection is reported by wait()."""
        line = macro_line(*macro)
        self._subscribe()
        run = _Run(line, time.monotonic())
        with self._cond:
            if self._run is not None:
                raise RuntimeError("a macro started by this client has not been waited for")
            self._run = run
        try:
            reply = self.proxy.RunMacro(line)
        except tango.DevFailed as exc:
            with self._cond:
                run.rejected = _clean_devfailed(exc)
                self._cond.notify_all()
            return
        try:
            ids = [m.get("id", "") for m in ET.fromstring(reply[0]).iter("macro")]
        except (ET.ParseError, IndexError):
            ids = []
        with self._cond:
            run.top_ids = ids[:1]

    def wait(self, timeout: float = 120) -> MacroResult:
        """Block until the running macro is over; TimeoutError if it takes longer."""
        with self._cond:
            run = self._run
        if run is None:
            raise RuntimeError("no macro was started")
        deadline = time.monotonic() + timeout
        with self._cond:
            while run.rejected is None and run.final_state is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"{' '.join(run.macro)!r} still running after {timeout:g} s; "
                        f"output so far: {run.lines['output'][-5:]}"
                    )
                self._cond.wait(min(left, 0.5))
                if time.monotonic() - max(run.last_event, run.t0) > _POLL_AFTER:
                    self._poll_state(run)
            self._run = None
        return self._result(run)

    def _poll_state(self, run: _Run) -> None:
        """Safety net if the final State event was lost: trust a polled idle state."""
        try:
            state = self.proxy.state()
        except tango.DevFailed:
            return
        if state not in _BUSY:
            log.warning("door %s: no final State event, polled %s", self.door_name, state)
            run.final_state = str(state)

    def _result(self, run: _Run) -> MacroResult:
        errors = list(run.lines["errors"])
        if run.rejected is not None:  # RunMacro refused it: unknown macro, door busy, ...
            errors.append(run.rejected)
            ok, state, status = False, self._state_name(), "rejected"
        else:
            if run.top_ids:
                top = [run.statuses.get(i, "") for i in run.top_ids]
                finished = all(s == "finish" for s in top)
            else:  # reply not understood: judge by every macro seen
                top = list(run.statuses.values())[:1]
                finished = not any(
                    s in ("stop", "abort", "exception") for s in run.statuses.values()
                )
            state, status = run.final_state or "", top[-1] if top else ""
            ok = state == "ON" and finished
        return MacroResult(
            ok=ok,
            state=state,
            output=run.lines["output"],
            info=run.lines["info"],
            warnings=run.lines["warnings"],
            errors=errors,
            result=run.result,
            seconds=time.monotonic() - run.t0,
            macro=run.macro,
            status=status,
        )

    def _state_name(self) -> str:
        try:
            return str(self.proxy.state())
        except tango.DevFailed:
            return "UNKNOWN"

    def run(
        self, *macro: str | list[str], timeout: float = 120, raise_on_error: bool = False
    ) -> MacroResult:
        """Run a macro to its end. On timeout the macro is stopped and TimeoutError raised."""
        self.start(*macro)
        try:
            result = self.wait(timeout)
        except TimeoutError:
            self._interrupt_after_timeout()
            raise
        if raise_on_error and not result.ok:
            why = (result.errors or [result.status or result.state])[-1]
            raise MacroError(f"macro {' '.join(result.macro)!r} failed: {why}", result)
        return result

    def _interrupt_after_timeout(self) -> None:
        self.stop()
        try:
            self.wait(10)
        except TimeoutError:
            self.abort()
            try:
                self.wait(10)
            except TimeoutError:
                with self._cond:
                    self._run = None

    def stop(self) -> None:
        """StopMacro, i.e. Ctrl-C in spock; does nothing when no macro runs."""
        self._interrupt("StopMacro")

    def abort(self) -> None:
        self._interrupt("AbortMacro")

    def _interrupt(self, command: str) -> None:
        try:
            self.proxy.command_inout(command)
        except tango.DevFailed as exc:  # not allowed when the door is idle
            log.debug("%s: %s", command, _clean_devfailed(exc))

    def wait_for_output(self, text: str, timeout: float) -> None:
        """Block until the running macro has output a line containing ``text``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                run = self._run
                if run is None:
                    raise RuntimeError("no macro was started")
                if any(text in line for line in run.lines["output"]):
                    return
                if run.rejected is not None or run.final_state is not None:
                    raise TimeoutError(f"macro ended without printing {text!r}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no output containing {text!r} after {timeout:g} s")
                self._cond.wait(left)

    def __enter__(self) -> DoorClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
