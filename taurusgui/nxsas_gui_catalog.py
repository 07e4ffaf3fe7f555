"""The Exposures panel: the catalog, filtered by title, prefix, dates and project.

The same catalog and filters as ``findexp`` and ``sardana-nxsas catalog find``;
selected rows show every column and header field side by side; "Open in silx
view" opens the file of the first selected row.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from nxsas_gui_context import GuiContext, context
from taurus.external.qt import Qt

from sardana_nxsas.errors import NxsError
from sardana_nxsas.gui_model import (
    CATALOG_COLUMNS,
    catalog_filters,
    query_catalog,
    row_cells,
    row_details,
)
from sardana_nxsas.gui_model.queries import file_path

ANY = "(any)"


def silx_view_command(path: str) -> list[str]:
    return [sys.executable, "-m", "silx", "view", path]


class ExposuresPanel(Qt.QWidget):
    def __init__(self, parent: Qt.QWidget | None = None, ctx: GuiContext | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx or context()
        self.rows: list[dict[str, Any]] = []
        self.title = Qt.QLineEdit()
        self.title.setPlaceholderText("title, e.g. Glassy* (* and ?)")
        self.prefix = Qt.QComboBox()
        self.prefix.addItems([ANY, *self.ctx.prefixes])
        self.since = Qt.QLineEdit()
        self.since.setPlaceholderText("YYYY-MM-DD")
        self.until = Qt.QLineEdit()
        self.until.setPlaceholderText("YYYY-MM-DD")
        self.project = Qt.QLineEdit()
        self.search_button = Qt.QPushButton("Search")
        self.open_button = Qt.QPushButton("Open in silx view")
        self.table = Qt.QTableWidget(0, len(CATALOG_COLUMNS))
        self.table.setHorizontalHeaderLabels(list(CATALOG_COLUMNS))
        self.table.setEditTriggers(Qt.QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(Qt.QAbstractItemView.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.details = Qt.QTableWidget(0, 1)
        self.details.setEditTriggers(Qt.QAbstractItemView.NoEditTriggers)
        self.message = Qt.QLabel("")
        filters = Qt.QHBoxLayout()
        for label, widget in (("title", self.title), ("prefix", self.prefix),
                              ("from", self.since), ("until", self.until),
                              ("project", self.project)):  # fmt: skip
            filters.addWidget(Qt.QLabel(label))
            filters.addWidget(widget)
        filters.addWidget(self.search_button)
        split = Qt.QSplitter(Qt.Qt.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.details)
        layout = Qt.QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(split, 1)
        bottom = Qt.QHBoxLayout()
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.open_button)
        layout.addLayout(bottom)
        self.search_button.clicked.connect(self.search)
        for edit in (self.title, self.since, self.until, self.project):
            edit.returnPressed.connect(self.search)
        self.table.itemSelectionChanged.connect(self.show_details)
        self.open_button.clicked.connect(self.open_selected)
        self.ctx.runner.finished.connect(self._after_macro)

    def _after_macro(self, _report: object) -> None:
        if self.rows:
            self.search()  # new exposures appear in a search already shown

    def search(self) -> None:
        prefix = self.prefix.currentText()
        try:
            filters = catalog_filters(
                self.title.text(), "" if prefix == ANY else prefix, self.since.text(),
                self.until.text(), self.project.text(),
            )  # fmt: skip
            self.rows = query_catalog(self.ctx.data_root, self.ctx.catalog_url, filters)
        except NxsError as exc:
            self.message.setText(str(exc))
            return
        self.table.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            for c, text in enumerate(row_cells(row)):
                self.table.setItem(r, c, Qt.QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.message.setText(f"{len(self.rows)} exposure(s), newest first")

    def selected_rows(self) -> list[dict[str, Any]]:
        indexes = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.rows[i] for i in indexes if i < len(self.rows)]

    def show_details(self) -> None:
        rows = self.selected_rows()
        columns = [dict(row_details(row)) for row in rows]
        keys: list[str] = []
        for column in columns:
            keys += [k for k in column if k not in keys]
        self.details.clear()
        self.details.setColumnCount(max(1, len(rows)))
        self.details.setRowCount(len(keys))
        self.details.setHorizontalHeaderLabels([row_cells(r)[0] for r in rows] or [""])
        self.details.setVerticalHeaderLabels(keys)
        for c, column in enumerate(columns):
            for r, key in enumerate(keys):
                self.details.setItem(r, c, Qt.QTableWidgetItem(column.get(key, "")))

    def selected_file(self) -> str | None:
        rows = self.selected_rows()
        path = file_path(self.ctx.data_root, rows[0]) if rows else None
        return None if path is None else str(path)

    def open_selected(self) -> subprocess.Popen | None:
        path = self.selected_file()
        if path is None:
            self.message.setText("select an exposure first")
            return None
        self.message.setText(f"opening {path} in silx view")
        return subprocess.Popen(silx_view_command(path), start_new_session=True)
