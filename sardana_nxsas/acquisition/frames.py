"""Taking in the detector's frame: the one way an exposure and a scan point get their CBF.

A frame reaches a macro or the scan recorder in one of two forms:

* a value reference (``file:///…/images/.incoming/frame_000123.cbf``, value referencing
  on, the lab's configuration): the detector's file is *claimed* (``dataroot.claim``), a
  hard link to ``images/<prefix>/<prefix>_<fsn>.cbf``, i.e. a rename, not a write;
* an array (value referencing off): it is written as that CBF here, with a Pilatus-style
  miniCBF header from the instrument description. A CBF is not HDF5 and is the frame's
  own file anyway; the writer process reads it back, hashes it and embeds it in the
  ``.nxs``, exactly as for a claimed frame (decision 0008), so both forms leave the same
  files and only the writer touches HDF5.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from sardana_nxsas.dataroot.cbf import MiniCbfHeader, write_cbf
from sardana_nxsas.dataroot.claim import claim_frame, frame_path
from sardana_nxsas.description.info import InstrumentInfo, Quantity
from sardana_nxsas.description.units import convert

Frame = str | Path | np.ndarray  # a value reference (file:// or a path), or the counts


@dataclass(frozen=True)
class TakenFrame:
    """A frame under its FSN's name."""

    path: Path  # images/<prefix>/<prefix>_<fsn>.cbf
    # the detector's name of the same file while the claim is not settled (settle_claim
    # finishes it after the job that records the frame: one file-system commit for both)
    source: Path | None = None


def cbf_header(instrument: InstrumentInfo, count_time: float, moment: datetime) -> MiniCbfHeader:
    """The miniCBF header of a frame written from an array."""
    det = instrument.detector

    def mm(q: Quantity) -> float:
        return convert(q.value, q.units, "mm")

    return MiniCbfHeader(
        detector=det.description,
        pixel_size=(mm(det.x_pixel_size), mm(det.y_pixel_size)),
        exposure_time=count_time,
        wavelength=convert(instrument.wavelength.value, instrument.wavelength.units, "nm"),
        distance=mm(det.distance),
        beam_xy=(det.beam_center_col.value, det.beam_center_row.value),
        timestamp=moment.astimezone(),
    )


def as_counts(frame: np.ndarray) -> np.ndarray:
    """Integer counts: a Tango image arrives as float64 (rounded, never truncated)."""
    if not np.issubdtype(frame.dtype, np.integer):
        frame = np.rint(frame)
    return frame.astype(np.int32, copy=False)


def take_frame(
    frame: Frame, cbf: Path, header: Callable[[], MiniCbfHeader], *, settle: bool = True
) -> TakenFrame:
    """Give the frame the name ``cbf``: write an array there (``header()`` is called only
    then), or claim the detector's file. ``settle=False`` leaves a claim to be settled by
    the caller after its job (:attr:`TakenFrame.source`)."""
    cbf = Path(cbf)
    if isinstance(frame, np.ndarray):
        write_cbf(cbf, as_counts(frame), header())
        return TakenFrame(cbf)
    source = frame_path(str(frame))
    if source == cbf:  # the detector already saved it under the FSN's name
        return TakenFrame(cbf)
    claim_frame(source, cbf, settle=settle)
    return TakenFrame(cbf, None if settle else source)
