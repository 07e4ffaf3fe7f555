"""Writing a reduction into its exposure file (``/entry/reduced``) and the ASCII file.

The exposure file is changed as a whole: read into memory, the subentry replaced, and
written back atomically and durably (sardana_nxsas.dataroot.durable.write_atomic), so a reducer
killed half-way never damages the raw data; a reader keeps the version it opened.
``/entry/reduced`` is an NXsubentry with ``definition = NXcanSAS`` when the reduction is
done, and without a definition (it is not a SASentry) when it failed; both carry
``status`` (``done`` / ``failed``, with ``@reason``). The root's and the entry's
``@default`` are left as they are: root -> entry -> raw -> data, the frame.

``/entry`` is rebuilt each time with its links in creation order and ``reduced`` first, so
that SasView's NXcanSAS reader (sasdata), which walks the file in link order and needs a
SASentry before any other field, reads the exposure file itself (docs/explanation/
reduction.md, "Opening the exposure file in SasView"). The members keep their objects (hard
links are moved, nothing is copied); the catalog note is dropped, being stale from now on
(the reducer writes it again).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import h5py

from sardana_nxsas import __version__
from sardana_nxsas.dataroot.durable import write_atomic
from sardana_nxsas.nexus.fields import group, text
from sardana_nxsas.reduction.cansas import (
    InstrumentInfo,
    ProcessInfo,
    ReducedCurve,
    SampleInfo,
    write_process,
    write_sasentry,
)
from sardana_nxsas.reduction.export import ascii_path_for, read_reduced, write_ascii
from sardana_nxsas.reduction.inputs import Header
from sardana_nxsas.reduction.recorded import REDUCED
from sardana_nxsas.reduction.result import Result

_OLD_ENTRY = "entry.before-reduction"  # the /entry being rebuilt, for a moment
_NOTE = "notes"  # sardana_nxsas.catalog.note.NOTE (the catalog is not imported here)
DESCRIPTION = (
    "2-D frame to I(Q): mask, exposure time, dark, transmission, empty beam, solid angle, "
    "thickness, absolute scale from glassy carbon (NIST SRM 3600), azimuthal average "
    "(pyFAI); Poisson uncertainties propagated to first order"
)


def _versions() -> dict[str, str]:
    import numpy
    import pyFAI

    return {"sardana_nxsas_version": __version__, "pyFAI_version": str(pyFAI.version),
            "numpy_version": numpy.__version__, "h5py_version": h5py.version.version}  # fmt: skip


def _rewrite(path: Path, change: Callable[[h5py.Group], None]) -> None:
    """``change`` writes /entry/reduced into a new /entry that lists it first (see above)."""
    data = io.BytesIO(path.read_bytes())
    with h5py.File(data, "r+") as nxroot:
        nxroot.move("entry", _OLD_ENTRY)
        old = nxroot[_OLD_ENTRY]
        for name in (REDUCED, _NOTE):  # first: HDF5 reuses their space for the new ones
            if name in old:
                del old[name]
        entry = nxroot.create_group("entry", track_order=True)
        for name in old.attrs:
            entry.attrs.create(name, old.attrs[name], dtype=old.attrs.get_id(name).dtype)
        change(entry)  # /entry/reduced: the first link of the new /entry
        for name in old:
            _move_link(old, entry, name)
        del nxroot[_OLD_ENTRY]
    write_atomic(path, data.getvalue())


def _move_link(source: h5py.Group, target: h5py.Group, name: str) -> None:
    link = source.get(name, getlink=True)
    # a hard link names the same object (the frame is not copied); soft and external links
    # are copied as links (their paths are absolute or to other files: still right)
    target[name] = source[name] if isinstance(link, h5py.HardLink) else link


def _used(standards: dict[str, Header]) -> dict[str, str]:
    return {f"{role}_exposure": h.identifier for role, h in standards.items()}


def write_result(result: Result) -> Path:
    h = result.exposure
    g = h.geometry
    assert g is not None
    curve = ReducedCurve(
        q=result.curve.q, i=result.curve.value, idev=result.curve.error, qdev=result.qdev,
        i_units=result.units,
    )  # fmt: skip
    t, d = h.transmission, h.thickness
    sample = SampleInfo(
        h.sample_name,
        None if d is None or h.role != "sample" and h.role != "glassy_carbon" else d.value,
        None if t is None else t.value,
    )
    instrument = InstrumentInfo(
        g.wavelength.value, g.distance.value, (g.beam_col.value + 0.5) * g.pixel_x,
        (g.beam_row.value + 0.5) * g.pixel_y, g.pixel_x, g.pixel_y,
    )  # fmt: skip
    terms: dict[str, str | float | int] = {**_used(result.standards), **result.terms}
    terms.update(_versions())
    terms["reference_curve"] = "NIST SRM 3600 (Allen et al. 2017, J. Appl. Cryst. 50, 462)"
    process = ProcessInfo(now_iso(), DESCRIPTION, tuple(result.steps), terms, result.units_of)

    def change(entry: h5py.Group) -> None:
        sub = write_sasentry(
            entry, REDUCED, "NXsubentry", title=h.title, run=h.identifier, curve=curve,
            sample=sample, instrument=instrument, process=process,
        )  # fmt: skip
        text(sub, "status", "done")

    _rewrite(h.path, change)
    path = ascii_path_for(h.path)
    write_ascii(path, read_reduced(h.path))
    return path


def write_failure(h: Header, reason: str, standards: dict[str, Header]) -> None:
    """Mark the reduction failed in the file (OSError if it cannot be written)."""
    process = ProcessInfo(now_iso(), DESCRIPTION, (f"failed: {reason}",),
                          {**_used(standards), "sardana_nxsas_version": __version__})  # fmt: skip

    def change(entry: h5py.Group) -> None:
        sub = group(entry, REDUCED, "NXsubentry")
        text(sub, "status", "failed").attrs["reason"] = reason
        text(sub, "title", h.title)
        write_process(sub, process)

    _rewrite(h.path, change)
    ascii_path_for(h.path).unlink(missing_ok=True)  # a curve of an earlier reduction


def now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")
