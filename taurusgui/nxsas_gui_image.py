"""The Last image panel: the newest completed frame on a log scale, the beam centre marked,
its identifier and title, and its reduced curve once the reduction has written it."""

from __future__ import annotations

from pathlib import Path

from nxsas_gui_context import GuiContext, context
from silx.gui.colors import Colormap
from silx.gui.plot import Plot1D, Plot2D
from taurus.external.qt import Qt

from sardana_nxsas.gui_model import LastImage, newest_exposure, read_last_image
from sardana_nxsas.gui_model.images import log_frame

REFRESH_MS = 1500


class LastImagePanel(Qt.QWidget):
    def __init__(self, parent: Qt.QWidget | None = None, ctx: GuiContext | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx or context()
        self.title = Qt.QLabel("no exposure yet")
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.image_plot = Plot2D()
        self.image_plot.setKeepDataAspectRatio(True)
        self.image_plot.getYAxis().setInverted(True)
        self.curve_plot = Plot1D()
        self.curve_plot.setGraphXLabel("q")
        self.curve_plot.setGraphYLabel("I")
        self.curve_plot.setXAxisLogarithmic(True)
        self.curve_plot.setYAxisLogarithmic(True)
        self.curve_note = Qt.QLabel("reduced curve: not yet available")
        split = Qt.QSplitter()
        split.addWidget(self.image_plot)
        right = Qt.QWidget()
        column = Qt.QVBoxLayout(right)
        column.addWidget(self.curve_plot)
        column.addWidget(self.curve_note)
        split.addWidget(right)
        layout = Qt.QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(split, 1)
        self.shown: LastImage | None = None
        self._key: tuple | None = None
        self.timer = Qt.QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.refresh()

    def refresh(self) -> None:
        if self.ctx.data_root is None:
            self.title.setText("no data root: give --data or set NxsDataRoot")
            return
        try:
            path = newest_exposure(self.ctx.data_root, self.ctx.prefixes)
            if path is None:
                return
            key = (path, path.stat().st_mtime_ns)
            if key == self._key:
                return
            image = read_last_image(path)
        except Exception as exc:  # being written, or unreadable: told, retried
            self.title.setText(f"cannot read the last exposure: {exc}")
            return
        self._key = key
        self.show_image(image)

    def show_image(self, image: LastImage) -> None:
        self.shown = image
        self.title.setText(image.caption)
        self.image_plot.setGraphTitle(f"{image.identifier}: {image.title}")
        if image.frame is not None:
            self.image_plot.addImage(
                log_frame(image.frame),
                legend="frame",
                colormap=Colormap("viridis"),
                replace=True,
                resetzoom=True,
            )
            self.image_plot.getColorBarWidget().setLegend("log10(counts)")
        self.image_plot.removeMarker("beam")
        if image.beam_x is not None and image.beam_y is not None:
            self.image_plot.addMarker(
                image.beam_x + 0.5, image.beam_y + 0.5, legend="beam", text="beam centre",
                color="red", symbol="+",
            )  # fmt: skip
        self.curve_plot.clear()
        if image.q is not None and image.intensity is not None:
            self.curve_plot.addCurve(image.q, image.intensity, legend=image.identifier)
            self.curve_plot.setGraphXLabel(f"q / {image.q_units}" if image.q_units else "q")
            self.curve_note.setText(f"reduced curve of {image.identifier}")
        else:
            self.curve_note.setText("reduced curve: not yet available")

    @property
    def path(self) -> Path | None:
        return None if self.shown is None else self.shown.path
