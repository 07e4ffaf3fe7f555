"""Run macro lines through the Door from the GUI without ever blocking the window.

The equivalent of Sardana's MacroButton for the sardana-nxsas panels: a line
is sent with RunMacro and its output collected from the Door's events (the
core's DoorClient, PyTango only) in a worker thread; the result comes back to
the GUI thread as a Qt signal. A busy Door (a macro started elsewhere) or a
Door that cannot be reached is reported as one line, never as a frozen window.
Stop is StopMacro, Ctrl-C in spock. Everything the Door prints also appears
in Sardana's own Door output panel.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field

import tango
from taurus.external.qt import Qt

from sardana_nxsas.system.door import DoorClient

_BUSY = (tango.DevState.RUNNING, tango.DevState.STANDBY)
_WAIT_STEP = 2.0  # s between checks that the Door is still there while a macro runs


@dataclass
class RunReport:
    """What a sequence of macro lines gave back."""

    ok: bool
    lines: list[tuple[str, ...]]
    output: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stopped: bool = False
    message: str = ""  # one line for the operator

    @property
    def last_output(self) -> str:
        return self.output[-1] if self.output else ""


def _devfailed(exc: tango.DevFailed) -> str:
    return exc.args[0].desc.strip().splitlines()[0] if exc.args else str(exc)


class DoorRunner(Qt.QObject):
    """One macro sequence at a time through one Door; signals arrive in the GUI thread."""

    started = Qt.pyqtSignal(object)  # the macro lines
    finished = Qt.pyqtSignal(object)  # RunReport
    busyChanged = Qt.pyqtSignal(bool)

    def __init__(self, door: str, tango_host: str, parent: Qt.QObject | None = None) -> None:
        super().__init__(parent)
        self.door, self.tango_host = door, tango_host
        self._busy = False
        self._stopping = False
        self._client: DoorClient | None = None
        self._lock = threading.Lock()

    @property
    def busy(self) -> bool:
        return self._busy

    @property
    def full_name(self) -> str:
        return f"tango://{self.tango_host}/{self.door}"

    def run(self, lines: list[tuple[str, ...]] | tuple[tuple[str, ...], ...]) -> bool:
        """Start the lines in order (stopping at the first failure); False if one runs already."""
        if self._busy:
            return False
        self._busy, self._stopping = True, False
        lines = [tuple(line) for line in lines]
        self.busyChanged.emit(True)
        self.started.emit(lines)
        threading.Thread(target=self._work, args=(lines,), daemon=True).start()
        return True

    def stop(self) -> None:
        """StopMacro on the Door (in a thread: a Door that is gone must not freeze the GUI)."""
        self._stopping = True
        threading.Thread(target=self._send, args=("StopMacro",), daemon=True).start()

    def _send(self, command: str) -> None:
        with contextlib.suppress(tango.DevFailed):  # idle Door, or gone: the run reports it
            tango.DeviceProxy(self.full_name).command_inout(command)

    # -- the worker thread ---------------------------------------------------
    def _work(self, lines: list[tuple[str, ...]]) -> None:
        report = RunReport(ok=True, lines=lines)
        try:
            client = self._connect()
            for line in lines:
                if self._stopping:
                    report.ok, report.stopped = False, True
                    break
                if not self._run_one(client, line, report):
                    break
        except tango.DevFailed as exc:
            report.ok = False
            report.message = (
                f"cannot reach the Door {self.door} on {self.tango_host}: {_devfailed(exc)} "
                "(is the Sardana server running?)"
            )
            with self._lock:
                self._client = None
        except Exception as exc:  # never leave the GUI waiting
            report.ok, report.message = False, f"{type(exc).__name__}: {exc}"
        if not report.message:
            report.message = self._summary(report)
        self._busy = False
        # busy first: whoever reacts to `finished` must already see an idle runner
        self.busyChanged.emit(False)
        self.finished.emit(report)

    def _connect(self) -> DoorClient:
        with self._lock:
            if self._client is None:
                self._client = DoorClient(self.door, self.tango_host)
            client = self._client
        client.proxy.ping()
        return client

    def _run_one(self, client: DoorClient, line: tuple[str, ...], report: RunReport) -> bool:
        state = client.proxy.state()
        if state in _BUSY:
            report.ok = False
            report.message = (
                f"the Door {self.door} is busy ({state}): a macro started elsewhere is "
                "running; wait for it to end or stop it, then try again"
            )
            return False
        client.start(list(line))
        while True:
            try:
                result = client.wait(timeout=_WAIT_STEP)
                break
            except TimeoutError:
                client.proxy.ping()  # DevFailed if the Door has gone: reported by _work
        report.output += result.output
        report.warnings += result.warnings
        report.errors += result.errors
        if not result.ok:
            report.ok = False
            report.stopped = result.status in ("stop", "abort")
        return result.ok

    @staticmethod
    def _summary(report: RunReport) -> str:
        macro = " ".join(report.lines[-1]) if report.lines else ""
        if report.stopped:
            return f"stopped: {macro}"
        if not report.ok:
            why = report.errors[-1] if report.errors else "failed"
            return why.strip().splitlines()[-1]
        return report.last_output or f"done: {macro}"
