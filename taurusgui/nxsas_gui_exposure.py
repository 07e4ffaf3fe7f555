"""The Exposure panel: prefix, sample, time, images; Start runs ``expose`` through the Door.

What the operator types is checked as it is typed (sardana_nxsas.gui_model):
Start stays disabled, with the reason beside it, until the form is valid.
Stop is the Door's StopMacro (Ctrl-C in spock). The progress bar follows the
series' counting time; the last summary line is what ``expose`` printed.
"""

from __future__ import annotations

import time

from nxsas_gui_context import GuiContext, context
from nxsas_gui_door import RunReport
from taurus.external.qt import Qt

from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.gui_model import check_exposure_form, progress
from sardana_nxsas.gui_model.exposure_form import move_macro
from sardana_nxsas.samples.store import registry_for

KEEP_SAMPLE = ""  # the sample combo's first entry: keep the chosen sample (NxsSample)


class ExposurePanel(Qt.QWidget):
    def __init__(self, parent: Qt.QWidget | None = None, ctx: GuiContext | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx or context()
        self.runner = self.ctx.runner
        self.prefix = Qt.QComboBox()
        self.prefix.addItems(list(self.ctx.prefixes))
        if self.ctx.default_prefix in self.ctx.prefixes:
            self.prefix.setCurrentText(self.ctx.default_prefix)
        self.sample = Qt.QComboBox()
        self.sample.setToolTip("empty: keep the sample chosen now (NxsSample)")
        self.move_button = Qt.QPushButton("Move to sample")
        self.time = Qt.QLineEdit()
        self.time.setPlaceholderText("seconds")
        self.count = Qt.QLineEdit("1")
        self.start_button = Qt.QPushButton("Start")
        self.stop_button = Qt.QPushButton("Stop")
        self.reason = Qt.QLabel()
        self.reason.setStyleSheet("color: #a00")
        self.reason.setWordWrap(True)
        self.bar = Qt.QProgressBar()
        self.bar.setRange(0, 100)
        self.clock = Qt.QLabel("idle")
        self.summary = Qt.QLabel("")
        self.summary.setTextInteractionFlags(Qt.Qt.TextSelectableByMouse)
        self.summary.setWordWrap(True)
        self.message = Qt.QLabel("")
        self.message.setWordWrap(True)
        self._layout()
        self._total = 0.0
        self._t0 = 0.0
        self._mine = False  # the runner's current run was started by this panel
        self._ticker = Qt.QTimer(self)
        self._ticker.setInterval(200)
        self._ticker.timeout.connect(self._tick)
        for edit in (self.time, self.count):
            edit.textChanged.connect(self.check)
        self.prefix.currentTextChanged.connect(self.check)
        self.sample.currentTextChanged.connect(self.check)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.move_button.clicked.connect(self.move_to_sample)
        self.runner.busyChanged.connect(self._busy_changed)
        self.runner.finished.connect(self._finished)
        self.reload_samples()
        self._busy_changed(self.runner.busy)

    def _layout(self) -> None:
        form = Qt.QFormLayout()
        form.addRow("Prefix", self.prefix)
        row = Qt.QHBoxLayout()
        row.addWidget(self.sample, 1)
        row.addWidget(self.move_button)
        form.addRow("Sample", row)
        form.addRow("Exposure time / s", self.time)
        form.addRow("Number of images", self.count)
        buttons = Qt.QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        top = Qt.QVBoxLayout(self)
        top.addLayout(form)
        top.addLayout(buttons)
        top.addWidget(self.reason)
        top.addWidget(self.bar)
        top.addWidget(self.clock)
        top.addWidget(Qt.QLabel("Last exposure:"))
        top.addWidget(self.summary)
        top.addWidget(self.message)
        top.addStretch(1)

    # -- the form ---------------------------------------------------------------
    def reload_samples(self) -> None:
        current = self.sample.currentText()
        names: list[str] = []
        if self.ctx.data_root is not None:
            try:
                names = [s.name for s in registry_for(DataRoot(self.ctx.data_root)).list()]
            except Exception as exc:  # a broken registry is told, the panel still works
                self.message.setText(str(exc))
        self.sample.blockSignals(True)
        self.sample.clear()
        self.sample.addItems([KEEP_SAMPLE, *names])
        self.sample.setCurrentText(current if current in names else KEEP_SAMPLE)
        self.sample.blockSignals(False)
        self.check()

    def form(self):
        return check_exposure_form(
            self.prefix.currentText(),
            self.sample.currentText(),
            self.time.text(),
            self.count.text(),
            self.ctx.prefixes,
        )

    def check(self) -> None:
        verdict = self.form()
        busy = self.runner.busy
        self.start_button.setEnabled(verdict.ok and not busy)
        self.reason.setText("" if verdict.ok else verdict.reason)
        self.start_button.setToolTip(verdict.reason or "run expose through the Door")
        self.move_button.setEnabled(bool(self.sample.currentText()) and not busy)

    # -- actions ----------------------------------------------------------------
    def start(self) -> None:
        verdict = self.form()
        if not verdict.ok:
            return
        self._total = verdict.total_seconds
        if self.runner.run(verdict.macros):
            self._mine = True
            self.message.setText("running: " + " ; ".join(" ".join(m) for m in verdict.macros))
            self._t0 = time.monotonic()
            self.bar.setValue(0)
            self._ticker.start()
        else:
            self.message.setText("the GUI is already running a macro: wait or press Stop")

    def stop(self) -> None:
        self.runner.stop()
        self.message.setText("stopping ...")

    def move_to_sample(self) -> None:
        name = self.sample.currentText()
        if name and self.runner.run([move_macro(name)]):
            self._mine = True
            self._total = 0.0
            self.message.setText(f"moving to sample {name!r} ...")

    # -- feedback ---------------------------------------------------------------
    def _tick(self) -> None:
        percent, text = progress(time.monotonic() - self._t0, self._total)
        self.bar.setValue(percent)
        self.clock.setText(text)

    def _busy_changed(self, busy: bool) -> None:
        self.stop_button.setEnabled(busy)
        self.check()

    def _finished(self, report: RunReport) -> None:
        self._busy_changed(self.runner.busy)
        if not self._mine:
            return
        self._mine = False
        if self._ticker.isActive():
            self._ticker.stop()
            elapsed = time.monotonic() - self._t0
            percent, text = progress(elapsed, self._total, done=report.ok)
            self.bar.setValue(percent)
            self.clock.setText(text)
        summaries = [line for line in report.output if ".nxs" in line]
        if summaries:
            self.summary.setText(summaries[-1])
        self.message.setText(report.message if not report.ok else "")
        self.message.setStyleSheet("" if report.ok else "color: #a00")
