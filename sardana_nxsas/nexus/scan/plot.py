"""The two NXdata of a scan file: the default plot and the frame stack (NeXus v3 rules).

* ``plot``: ``@signal`` is one measurement column (a counter, or ``frame_sum``), ``@axes``
  the moved motor (``timestamp`` for a scan that moves nothing), every other moved motor and
  counter an alternative axis or an ``@auxiliary_signals`` entry of the same length.
  A ``mesh`` is a grid: the signal is (slow, fast) with NaN where no point was measured,
  ``@axes = [slow, fast]`` with ``AXISNAME_indices`` 0 and 1 and the nominal positions.
* ``frames``: ``@signal = data`` (points, rows, columns, ``@interpretation = image``),
  ``@axes = [<axis>, ".", "."]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import h5py
import numpy as np

from sardana_nxsas.nexus.fields import group, link


@dataclass(frozen=True)
class Grid:
    """A mesh: ``fast`` moves within each row, ``slow`` from row to row."""

    fast: str
    fast_positions: tuple[float, ...]
    slow: str
    slow_positions: tuple[float, ...]
    bidirectional: bool = False

    def cell(self, index: int) -> tuple[int, int] | None:
        """(row, column) of the point ``index``; None beyond the grid."""
        width = len(self.fast_positions)
        row, col = divmod(index, width)
        if row >= len(self.slow_positions):
            return None
        if self.bidirectional and row % 2:
            col = width - 1 - col
        return row, col


@dataclass(frozen=True)
class PlotLayout:
    signal: str
    axes: tuple[str, ...]  # the first is @axes; all index the points
    auxiliary: tuple[str, ...] = ()
    units: str | None = None  # of the signal
    grid: Grid | None = None
    frames_axis: str = "point_nb"


def _names(values: list[str]) -> np.ndarray:
    return np.array(values, dtype=h5py.string_dtype())


def write_plots(entry: h5py.Group, layout: PlotLayout) -> None:
    measurement = entry["measurement"]
    plot = group(entry, "plot", "NXdata", signal=layout.signal)
    if layout.grid is None:
        for name in (layout.signal, *layout.axes, *layout.auxiliary):
            if name not in plot:
                link(plot, name, measurement[name])
        plot.attrs["axes"] = _names([layout.axes[0]])
        for name in layout.axes:
            plot.attrs[f"{name}_indices"] = np.int64(0)
        if layout.auxiliary:
            plot.attrs["auxiliary_signals"] = _names(list(layout.auxiliary))
    else:
        grid = layout.grid
        shape = (len(grid.slow_positions), len(grid.fast_positions))
        signal = plot.create_dataset(layout.signal, data=np.full(shape, np.nan))
        signal.attrs["long_name"] = (
            f"{layout.signal} on the {shape[0]} x {shape[1]} grid (NaN: not measured)"
        )
        if layout.units is not None:
            signal.attrs["units"] = layout.units
        for index, (name, positions) in enumerate(
            ((grid.slow, grid.slow_positions), (grid.fast, grid.fast_positions))
        ):
            axis = plot.create_dataset(name, data=np.asarray(positions, dtype=np.float64))
            units = measurement[name].attrs.get("units")
            if units is not None:
                axis.attrs["units"] = units
            plot.attrs[f"{name}_indices"] = np.int64(index)
        plot.attrs["axes"] = _names([grid.slow, grid.fast])
    frames = group(entry, "frames", "NXdata", signal="data")
    if layout.frames_axis in measurement:
        link(frames, layout.frames_axis, measurement[layout.frames_axis])
        frames.attrs["axes"] = _names([layout.frames_axis, ".", "."])
        frames.attrs[f"{layout.frames_axis}_indices"] = np.int64(0)
    else:
        frames.attrs["axes"] = _names([".", ".", "."])


def grow_grid(entry: h5py.Group, layout: PlotLayout, index: int, values: dict[str, float]) -> None:
    """Put a mesh point's signal into its grid cell (nothing to do for a 1-D plot)."""
    if layout.grid is None or layout.signal not in values:
        return
    cell = layout.grid.cell(index)
    if cell is not None:
        entry["plot"][layout.signal][cell] = values[layout.signal]
