"""Is an exposure file complete and correct? The checks behind ``sardana-nxsas validate``.

1. the file opens and its ``/entry/status`` is ``complete``;
2. nexusformat's NXsas application check of ``/entry/raw`` has no errors;
3. the ``@default`` chain leads from the root to an NXdata whose ``@signal``
   is a rank-2 frame (what silx view shows on open);
4. the CBF named in ``NXdetector/data_file`` exists, has the recorded
   SHA-256, and equals the embedded frame pixel for pixel.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from sardana_nxsas.dataroot.cbf import read_cbf, sha256_file


@dataclass
class Report:
    path: Path
    status: str = "unknown"
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def nxsas_messages(path: Path, entry: str = "/entry/raw") -> tuple[list[str], list[str]]:
    """nexusformat's NXsas verdict on ``entry``: (errors, warnings), without printing."""
    from nexusformat.nexus.validate import validate_application

    return nexusformat_messages(
        path, lambda copy: validate_application(copy, path=entry, application="NXsas"), "NXsas "
    )


def nexusformat_messages(
    path: Path, check: Callable[[str], Any], what: str = ""
) -> tuple[list[str], list[str]]:
    """(errors, warnings) that ``check(copy of path)``, a nexusformat validation, logs.

    nexusformat opens the file read-write (NXroot's context manager switches to "rw"): it
    checks a private copy, so that a validation never locks an exposure file against the
    MacroServer or anyone reading it. Its class validators are cached per process and keep
    the dimension symbols they saw (a base-class check then makes a later NXsas check warn
    about the previous file's ranks): the cache is emptied first.
    """
    from nexusformat.nexus import validate as nxvalidate

    logger = logging.getLogger("NXValidate")
    saved_handlers, saved_level = logger.handlers[:], logger.level
    collector = _Collector()
    logger.handlers = [collector]
    logger.setLevel(logging.WARNING)
    try:
        nxvalidate.validators.clear()
        with tempfile.TemporaryDirectory(prefix="nxs-validate-") as tmp:
            copy = Path(tmp) / Path(path).name
            shutil.copyfile(path, copy)
            counts = check(str(copy))
    finally:
        logger.handlers, logger.level = saved_handlers, saved_level
    errors: list[str] = []
    warnings: list[str] = []
    context = ""
    for record in collector.records:
        message = record.getMessage().strip()
        if record.levelno >= logging.CRITICAL:  # headers and "Field: /path" context lines
            if message.startswith(("Field:", "Group:", "Attribute:")):
                context = message.split(":", 1)[1].strip()
            continue
        target = errors if record.levelno >= logging.ERROR else warnings
        target.append(f"{context}: {message}" if context else message)
    if counts is None:
        errors.append("nexusformat could not validate the file")
    elif counts[1] and not errors:
        errors.append(f"nexusformat reports {counts[1]} {what}error(s)")
    return errors, warnings


def default_plot(nxroot: h5py.File) -> h5py.Dataset:
    """Follow @default from the root to the plotted signal; KeyError says where it breaks."""
    node: h5py.Group = nxroot
    while node.attrs.get("NX_class") != "NXdata":
        name = node.attrs.get("default")
        if name is None or name not in node:
            raise KeyError(f"{node.name} has no usable @default")
        node = node[name]
    signal = node.attrs.get("signal")
    if signal is None or signal not in node:
        raise KeyError(f"{node.name} has no usable @signal")
    return node[signal]


def open_checked(path: Path, report: Report) -> h5py.File | None:
    """The file open for reading, or None with the reason in ``report``."""
    if not path.is_file():
        report.errors.append("no such file")
        return None
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        report.errors.append(f"cannot open as HDF5: {exc}")
        return None


def validate_exposure(path: Path) -> Report:
    path = Path(path)
    report = Report(path)
    nxroot = open_checked(path, report)
    if nxroot is None:
        return report
    with nxroot:
        _check_structure(nxroot, path, report)
    if report.status != "running":
        errors, warnings = nxsas_messages(path)
        report.errors.extend(f"NXsas: {message}" for message in errors)
        report.warnings.extend(f"NXsas: {message}" for message in warnings)
    return report


def check_status(nxroot: h5py.File, report: Report, what: str) -> None:
    """``report.status`` from ``/entry/status``; an error unless it is ``complete``."""
    status = nxroot.get("entry/status")
    report.status = status[()].decode() if status is not None else "unknown"
    if report.status != "complete":
        reason = status.attrs.get("reason", "") if status is not None else ""
        report.errors.append(
            f"{what} status is {report.status}" + (f": {reason}" if reason else "")
        )


def _check_structure(nxroot: h5py.File, path: Path, report: Report) -> None:
    check_status(nxroot, report, "exposure")
    try:
        frame = default_plot(nxroot)
    except KeyError as exc:
        report.errors.append(f"default plot: {exc.args[0]}")
        return
    if frame.ndim != 2:
        report.errors.append(f"default plot: {frame.name} has rank {frame.ndim}, expected 2")
    note = nxroot.get("entry/raw/instrument/detector/data_file")
    if note is None:
        report.errors.append("no NXdetector/data_file: the CBF is not referenced")
        return
    _check_cbf(path, note, frame, report)


def _check_cbf(path: Path, note: h5py.Group, frame: h5py.Dataset, report: Report) -> None:
    cbf = (path.parent / note["file_name"][()].decode()).resolve()
    if not cbf.is_file():
        report.errors.append(f"CBF {cbf} is missing")
        return
    if sha256_file(cbf) != note["checksum"][()].decode():
        report.errors.append(f"CBF {cbf} does not match its recorded SHA-256")
    cbf_frame, _ = read_cbf(cbf)
    embedded = frame[()]
    if cbf_frame.shape != embedded.shape or not np.array_equal(cbf_frame, embedded):
        report.errors.append(f"the embedded frame differs from {cbf.name}")
