"""Reduced curves out of the exposure files: ASCII, XLSX and standalone NXcanSAS.

:func:`read_reduced` reads ``/entry/reduced`` back (curve and metadata); the writers take
what it returns, so every format says the same. The ASCII file: a ``#`` header of
``key: value`` lines (the metadata), a ``# q I dI`` column line, then three columns
(q in 1/nm, I and its standard uncertainty in the file's units); numpy.loadtxt and any
spreadsheet read it (SasView's text reader takes q as 1/angstrom: SasView reads the .nxs).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from sardana_nxsas.dataroot.durable import write_atomic
from sardana_nxsas.reduction.cansas import (
    InstrumentInfo,
    ProcessInfo,
    ReducedCurve,
    SampleInfo,
    write_sasentry,
)

ASCII_SUFFIX = ".dat"


class NotReduced(Exception):
    """The file has no done reduction (one line: why)."""


@dataclass(frozen=True)
class Reduced:
    identifier: str
    title: str
    curve: ReducedCurve
    sample: SampleInfo
    instrument: InstrumentInfo | None
    process: ProcessInfo
    metadata: dict[str, str]  # for headers: key -> value as text


def ascii_path_for(nxs: Path) -> Path:
    """The ASCII file next to an exposure file: ``crd_00012.dat``."""
    return Path(nxs).with_suffix(ASCII_SUFFIX)


def _text(node) -> str:
    value = node[()]
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.generic):
        value = value.item()
    units = node.attrs.get("units")
    units = units.decode() if isinstance(units, bytes) else units
    shown = f"{value:.6g}" if isinstance(value, float) else str(value)
    return f"{shown} {units}" if units else shown


def read_reduced(nxs: Path) -> Reduced:
    """The done reduction of ``nxs`` (NotReduced if there is none)."""
    with h5py.File(nxs, "r") as nxroot:
        sub = nxroot.get("entry/reduced")
        if sub is None:
            raise NotReduced(f"{Path(nxs).stem}: not reduced")
        status = _text(sub["status"]) if "status" in sub else "done"
        if status != "done" or "sasdata01" not in sub:
            reason = sub["status"].attrs.get("reason", "") if "status" in sub else ""
            raise NotReduced(f"{Path(nxs).stem}: reduction {status} {reason}".strip())
        data = sub["sasdata01"]
        units = data["I"].attrs["units"]
        curve = ReducedCurve(
            data["Q"][()], data["I"][()], data["Idev"][()], data["Qdev"][()],
            i_units=units.decode() if isinstance(units, bytes) else str(units),
        )  # fmt: skip
        s = sub["sassample"]
        sample = SampleInfo(
            _text(s["name"]),
            float(s["thickness"][()]) if "thickness" in s else None,
            float(s["transmission"][()]) if "transmission" in s else None,
        )
        instrument = None
        if "sasinstrument/sasdetector" in sub:
            det = sub["sasinstrument/sasdetector"]
            instrument = InstrumentInfo(
                float(sub["sasinstrument/sassource/incident_wavelength"][()]),
                float(det["SDD"][()]), float(det["beam_center_x"][()]),
                float(det["beam_center_y"][()]), float(det["x_pixel_size"][()]),
                float(det["y_pixel_size"][()]), _text(det["name"]),
            )  # fmt: skip
        proc = sub["sasprocess"]
        terms = {k: _text(v) for k, v in proc.items()
                 if isinstance(v, h5py.Dataset) and k not in ("name", "date", "description")}  # fmt: skip
        steps = tuple(line.split(". ", 1)[-1] for line in _text(proc["steps/data"]).splitlines())
        process = ProcessInfo(_text(proc["date"]), _text(proc["description"]), steps, terms)
        title = _text(sub["title"])
        identifier = _text(sub["run"])
        start = nxroot.get("entry/start_time")
        metadata = {
            "exposure": identifier,
            "title": title,
            "sample": sample.name,
            "start_time": _text(start) if start is not None else "",
            "reduced": process.date,
            **terms,
            "columns": f"q (1/nm), I ({curve.i_units}), dI ({curve.i_units}), standard uncertainty",
        }
        for n, step in enumerate(steps, 1):
            metadata[f"step {n}"] = step
    return Reduced(identifier, title, curve, sample, instrument, process, metadata)


def write_ascii(path: Path, reduced: Reduced) -> None:
    """The 3-column text file (atomically)."""
    out = io.StringIO()
    for key, value in reduced.metadata.items():
        out.write(f"# {key}: {' '.join(str(value).split())}\n")
    out.write("# q I dI\n")
    c = reduced.curve
    np.savetxt(out, np.column_stack([c.q, c.i, c.idev]), fmt="%.8e")
    write_atomic(Path(path), out.getvalue().encode("utf-8"))


def write_xlsx(path: Path, reduced: Sequence[Reduced]) -> None:
    """One sheet per exposure (q, I, dI, dq, then the metadata) and a summary sheet."""
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    book = Workbook()
    summary = book.active
    # a new workbook has exactly one worksheet; the stubs allow None or a chart sheet
    assert isinstance(summary, Worksheet)
    summary.title = "summary"
    keys = ["exposure", "title", "sample", "start_time", "absolute_factor", "flux",
            "dark_exposure", "empty_beam_exposure", "glassy_carbon_exposure"]  # fmt: skip
    summary.append(keys)
    for item in reduced:
        summary.append([item.metadata.get(k, "") for k in keys])
        sheet = book.create_sheet(item.identifier[:31])
        sheet.append(["q (1/nm)", f"I ({item.curve.i_units})", f"dI ({item.curve.i_units})",
                      "dq (1/nm)", "", "key", "value"])  # fmt: skip
        meta = list(item.metadata.items())
        c = item.curve
        for n in range(max(c.q.size, len(meta))):
            row: list = [float(c.q[n]), float(c.i[n]), float(c.idev[n]), float(c.qdev[n])] \
                if n < c.q.size else ["", "", "", ""]  # fmt: skip
            row += ["", *meta[n]] if n < len(meta) else []
            sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    write_atomic(Path(path), data.getvalue())


def write_cansas_file(path: Path, reduced: Sequence[Reduced]) -> None:
    """A standalone NXcanSAS file: one SASentry per exposure (sasentry01, ...)."""
    data = io.BytesIO()
    with h5py.File(data, "w") as nxroot:
        nxroot.attrs.update(NX_class="NXroot", default="sasentry01", creator="sardana-nxsas",
                            file_name=Path(path).name)  # fmt: skip
        for n, item in enumerate(reduced, 1):
            write_sasentry(
                nxroot, f"sasentry{n:02d}", "NXentry", title=item.title, run=item.identifier,
                curve=item.curve, sample=item.sample, instrument=item.instrument,
                process=item.process,
            )  # fmt: skip
    write_atomic(Path(path), data.getvalue())
