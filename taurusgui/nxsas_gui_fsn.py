"""The FSN indicator: last and next FSN of every prefix, as ``lsfsn`` shows them, live.

Reads the data root's FSN store (sardana_nxsas.dataroot.fsn, what ``lsfsn`` reads) on a
timer; the table is recomputed only when the store or the folders changed.
"""

from __future__ import annotations

from nxsas_gui_context import GuiContext, context
from taurus.external.qt import Qt

from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.gui_model import fsn_rows

REFRESH_MS = 1000


class FsnPanel(Qt.QWidget):
    def __init__(self, parent: Qt.QWidget | None = None, ctx: GuiContext | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx or context()
        self.table = Qt.QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["prefix", "last", "next"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(Qt.QAbstractItemView.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(Qt.QHeaderView.Stretch)
        self.note = Qt.QLabel("")
        layout = Qt.QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(self.note)
        self._key: tuple | None = None
        self.timer = Qt.QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.ctx.runner.finished.connect(self._after_macro)
        self.refresh(force=True)

    def _after_macro(self, _report: object) -> None:
        self.refresh(force=True)

    def _state_key(self) -> tuple:
        root = DataRoot(self.ctx.data_root, self.ctx.prefixes)
        key = []
        for path in [root.state_dir / "fsn", *(root.nexus_dir(p) for p in root.prefixes)]:
            try:
                key.append(path.stat().st_mtime_ns)
            except OSError:
                key.append(None)
        for prefix in root.prefixes:
            try:
                key.append((root.state_dir / "fsn" / f"{prefix}.last").stat().st_mtime_ns)
            except OSError:
                key.append(None)
        return tuple(key)

    def refresh(self, force: bool = False) -> None:
        if self.ctx.data_root is None:
            self.note.setText("no data root: give --data or set NxsDataRoot")
            return
        try:
            key = self._state_key()
            if key == self._key and not force:
                return
            rows = fsn_rows(self.ctx.data_root, self.ctx.prefixes)
        except Exception as exc:  # shown, retried on the next tick
            self.note.setText(f"cannot read the FSN store: {exc}")
            return
        self._key = key
        self.note.setText("")
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = Qt.QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(int(Qt.Qt.AlignRight | Qt.Qt.AlignVCenter))
                self.table.setItem(r, c, item)

    def value(self, prefix: str) -> tuple[str, str] | None:
        """(last, next) shown for ``prefix`` (for tests and scripts)."""
        for r in range(self.table.rowCount()):
            if self.table.item(r, 0).text() == prefix:
                return self.table.item(r, 1).text(), self.table.item(r, 2).text()
        return None
