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
import logging
import re
import threading
import time
import xml.etree.ElementTree as ET

import tango

from sardana_nxsas.system.macro import STREAMS, MacroError, MacroResult, RunCapture, macro_line

__all__ = ["DoorClient", "MacroError", "MacroResult", "macro_line"]

log = logging.getLogger(__name__)

_ATTRIBUTES = ("State", "MacroStatus", "Result", "Output", "Info", "Warning", "Error")
_BUSY = (tango.DevState.RUNNING, tango.DevState.STANDBY)  # STANDBY = paused
_POLL_AFTER = 2.0  # s without events before the state is polled (lost-event safety net)
_IDLE_GRACE = 1.0  # s a polled idle state must last before it is trusted


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
        self._run: RunCapture | None = None
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
            elif name in STREAMS:
                run.add_lines(name, value)
            elif name == "macrostatus":
                run.add_statuses(value[1])  # (format "utf8_json", data)
            elif name == "result":
                run.set_result(value)
            self._cond.notify_all()

    # -- running ------------------------------------------------------------
    def start(self, *macro: str | list[str]) -> None:
        """Send RunMacro and return at once; a rejection is reported by wait()."""
        line = macro_line(*macro)
        self._subscribe()
        run = RunCapture(line)
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
        while True:
            with self._cond:
                if not run.done:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError(
                            f"{' '.join(run.macro)!r} still running after {timeout:g} s; "
                            f"output so far: {run.lines['output'][-5:]}"
                        )
                    self._cond.wait(min(left, 0.5))
                if run.done:
                    self._run = None
                    return run.to_result(self._state_name() if run.rejected else "")
                silent = time.monotonic() - max(run.last_event, run.t0) > _POLL_AFTER
            if silent:  # poll outside the lock: events keep flowing meanwhile
                self._poll_state(run)

    def _poll_state(self, run: RunCapture) -> None:
        """Safety net against a lost final State event (never seen so far).

        An idle state must be polled twice, _IDLE_GRACE apart, without the final
        event arriving in between: a macro that has just ended still has its
        last lines in flight, and the event must win then.
        """
        try:
            state = self.proxy.state()
        except tango.DevFailed:
            return
        now = time.monotonic()
        with self._cond:
            if state in _BUSY or run.final_state is not None:
                run.idle_since = None
            elif run.idle_since is None:
                run.idle_since = now
            elif now - run.idle_since >= _IDLE_GRACE:
                log.warning("door %s: no final State event, polled %s", self.door_name, state)
                run.final_state = str(state)

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
                if run.done:
                    raise TimeoutError(f"macro ended without printing {text!r}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no output containing {text!r} after {timeout:g} s")
                self._cond.wait(left)

    def __enter__(self) -> DoorClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
