"""The Samples panel: the sample registry as an editable table, every change an ``nxssample``.

Rows come from the registry file of the data root (what ``nxssample list``
reads, reloaded when the file changes, e.g. after an edit in spock); an edited
cell, Add, Delete and Choose send the ``nxssample`` line an operator would type,
through the Door. A value the registry would refuse is shown at once and not sent.
"""

from __future__ import annotations

from nxsas_gui_context import GuiContext, context
from nxsas_gui_door import RunReport
from taurus.external.qt import Qt

from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.errors import NxsError
from sardana_nxsas.gui_model import (
    SAMPLE_COLUMNS,
    add_macro,
    edit_macro,
    remove_macro,
    sample_rows,
    use_macro,
)
from sardana_nxsas.samples.model import Sample
from sardana_nxsas.samples.store import registry_for

REFRESH_MS = 1000


class SamplesPanel(Qt.QWidget):
    def __init__(self, parent: Qt.QWidget | None = None, ctx: GuiContext | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx or context()
        self.runner = self.ctx.runner
        self.samples: list[Sample] = []
        self.table = Qt.QTableWidget(0, len(SAMPLE_COLUMNS))
        self.table.setHorizontalHeaderLabels([h for h, _, _ in SAMPLE_COLUMNS])
        self.table.setSelectionBehavior(Qt.QAbstractItemView.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.new_name = Qt.QLineEdit()
        self.new_name.setPlaceholderText("new sample name")
        self.add_button = Qt.QPushButton("Add")
        self.delete_button = Qt.QPushButton("Delete")
        self.use_button = Qt.QPushButton("Choose")
        self.move_button = Qt.QPushButton("Choose and move")
        self.message = Qt.QLabel("")
        self.message.setWordWrap(True)
        buttons = Qt.QHBoxLayout()
        for widget in (self.new_name, self.add_button, self.delete_button, self.use_button,
                       self.move_button):  # fmt: skip
            buttons.addWidget(widget)
        layout = Qt.QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        self._mine = False
        self._mtime: int | None = -1
        self.table.itemChanged.connect(self._edited)
        self.add_button.clicked.connect(self.add)
        self.new_name.returnPressed.connect(self.add)
        self.delete_button.clicked.connect(self.delete)
        self.use_button.clicked.connect(lambda: self.choose(False))
        self.move_button.clicked.connect(lambda: self.choose(True))
        self.runner.finished.connect(self._finished)
        self.timer = Qt.QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.reload_if_changed)
        self.timer.start()
        self.reload()

    # -- the table --------------------------------------------------------------
    def _registry(self):
        return registry_for(DataRoot(self.ctx.data_root, self.ctx.prefixes))

    def reload_if_changed(self) -> None:
        if self.ctx.data_root is None or self.table.state() == Qt.QAbstractItemView.EditingState:
            return
        try:
            mtime = self._registry().path.stat().st_mtime_ns
        except OSError:
            mtime = None
        if mtime != self._mtime:
            self.reload()

    def reload(self) -> None:
        if self.ctx.data_root is None:
            self.message.setText("no data root: give --data or set NxsDataRoot")
            return
        registry = self._registry()
        try:
            self._mtime = registry.path.stat().st_mtime_ns if registry.path.exists() else None
            self.samples = registry.list()
        except Exception as exc:
            self.message.setText(str(exc))
            return
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.samples))
        for r, cells in enumerate(sample_rows(self.samples)):
            for c, text in enumerate(cells):
                self.table.setItem(r, c, Qt.QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.table.blockSignals(False)

    def selected(self) -> Sample | None:
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        if not rows and self.table.currentRow() >= 0:
            rows = {self.table.currentRow()}
        return self.samples[min(rows)] if rows and min(rows) < len(self.samples) else None

    # -- changes: each one nxssample line through the Door -------------------------
    def _send(self, line: tuple[str, ...]) -> None:
        if self.runner.run([line]):
            self._mine = True
            self.message.setText("running: " + " ".join(line))
        else:
            self.message.setText("a macro is running: wait for it, then try again")
            self.reload()

    def _edited(self, item: Qt.QTableWidgetItem) -> None:
        row, column = item.row(), item.column()
        if row >= len(self.samples):
            return
        try:
            line = edit_macro(self.samples[row], column, item.text())
        except NxsError as exc:
            self.message.setText(str(exc))
            self.reload()  # back to what the registry holds
            return
        self._send(line)

    def add(self) -> None:
        try:
            line = add_macro(self.new_name.text())
        except NxsError as exc:
            self.message.setText(str(exc))
            return
        self.new_name.clear()
        self._send(line)

    def delete(self) -> None:
        sample = self.selected()
        if sample is None:
            self.message.setText("select a sample first")
            return
        self._send(remove_macro(sample.name))

    def choose(self, move: bool) -> None:
        sample = self.selected()
        if sample is None:
            self.message.setText("select a sample first")
            return
        self._send(use_macro(sample.name, move))

    def _finished(self, report: RunReport) -> None:
        if not self._mine:
            return
        self._mine = False
        self.message.setText(report.message if not report.ok else report.last_output)
        self.reload()
