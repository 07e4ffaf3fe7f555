"""Is a scan file complete and correct? (what ``validate_exposure`` is for exposures)

1. the file opens and its ``/entry/status`` is ``complete``;
2. nexusformat's base-class check of ``/entry`` reports no errors (a scan file follows no
   application definition: NXsas wants one rank-2 frame per entry);
3. the ``@default`` chain leads to an NXdata whose ``@signal`` has one value per point;
4. every frame's CBF exists, has the recorded SHA-256 and equals the embedded frame.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from sardana_nxsas.dataroot.cbf import read_cbf, sha256_file
from sardana_nxsas.nexus.exposure.validate import (
    Report,
    check_status,
    default_plot,
    nexusformat_messages,
    open_checked,
    validate_exposure,
)

# Files written before the anode went to NXsource/anode_material have it in target_material,
# which lists spallation targets only: reported as a warning, not an error.
KNOWN_DEVIATIONS = (("/source/target_material", "not a member of the enumerated list"),)


def _known(message: str) -> bool:
    return any(where in message and what in message for where, what in KNOWN_DEVIATIONS)


def base_class_messages(path: Path, where: str = "/entry") -> tuple[list[str], list[str]]:
    """nexusformat's base-class verdict on ``where``: (errors, warnings), without printing."""
    from nexusformat.nexus.validate import validate_file

    return nexusformat_messages(path, lambda copy: validate_file(copy, path=where))


def holds_a_scan(path: Path) -> bool:
    """A scan file by its content (any name): ``/entry`` has ``scan_number`` and
    ``measurement`` and no NXsas ``raw`` subentry. False for what h5py cannot open."""
    try:
        with h5py.File(path, "r") as nxroot:
            entry = nxroot.get("entry")
            return (
                isinstance(entry, h5py.Group)
                and "scan_number" in entry
                and "measurement" in entry
                and "raw" not in entry
            )
    except OSError:
        return False


def validate_any(path: Path) -> Report:
    """``validate_scan`` for a scan file, else ``validate_exposure``."""
    return validate_scan(path) if holds_a_scan(path) else validate_exposure(path)


def validate_scan(path: Path, base_classes: bool = True) -> Report:
    path = Path(path)
    report = Report(path)
    nxroot = open_checked(path, report)
    if nxroot is None:
        return report
    with nxroot:
        _check(nxroot, path, report)
    if base_classes:
        errors, warnings = base_class_messages(path)
        warnings += [f"{m} (older file, see nexus-tree.md)" for m in errors if _known(m)]
        errors = [m for m in errors if not _known(m)]
        report.errors.extend(f"NeXus: {m}" for m in errors)
        report.warnings.extend(f"NeXus: {m}" for m in warnings)
    return report


def _check(nxroot: h5py.File, path: Path, report: Report) -> None:
    check_status(nxroot, report, "scan")
    try:
        signal = default_plot(nxroot)
    except KeyError as exc:
        report.errors.append(f"default plot: {exc.args[0]}")
    else:
        if signal.ndim not in (1, 2):
            report.errors.append(f"default plot: {signal.name} has rank {signal.ndim}")
    detector = nxroot.get("entry/instrument/detector")
    if detector is None or "data" not in detector:
        return
    names = detector["data_file/file_name"].asstr()[()]
    sums = detector["data_file/checksum"].asstr()[()]
    for index, (name, checksum) in enumerate(zip(names, sums, strict=True)):
        if not name:
            continue
        cbf = (path.parent / name).resolve()
        if not cbf.is_file():
            report.errors.append(f"frame {index}: CBF {cbf} is missing")
        elif sha256_file(cbf) != checksum:
            report.errors.append(f"frame {index}: CBF {cbf} does not match its SHA-256")
        elif not np.array_equal(read_cbf(cbf)[0], detector["data"][index]):
            report.errors.append(f"frame {index}: the embedded frame differs from {cbf.name}")
