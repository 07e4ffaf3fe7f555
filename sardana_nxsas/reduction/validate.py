"""Is a reduced subentry (or standalone file) valid NXcanSAS? Both checks, as lists of errors.

1. nexusformat's NXcanSAS application check (:func:`cansas_messages`), on a private copy;
2. the NXcanSAS rules nexusformat does not check (:func:`cansas_rules`): the
   ``canSAS_class`` attributes, ``@version = "1.1"``, ``definition``, ``title`` and ``run``,
   the SASdata attributes ``signal = "I"``, ``I_axes = "Q"``, ``Q_indices = 0``, the unit
   enumerations of Q, I, Idev and Qdev, and the declared uncertainties (``I@uncertainties``
   naming an existing Idev in I's units, ``Q@resolutions`` naming Qdev).
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from sardana_nxsas.nexus.exposure.validate import nexusformat_messages
from sardana_nxsas.reduction.cansas import I_UNITS, Q_UNITS, VERSION

CLASSES = {"sasdata01": "SASdata", "sassample": "SASsample", "sasinstrument": "SASinstrument",
           "sasprocess": "SASprocess"}  # fmt: skip


def _attr(node: h5py.HLObject, name: str) -> object:
    value = node.attrs.get(name)
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.ndarray) and value.shape == ():
        return value.item()
    return value


def cansas_messages(path: Path, entry: str) -> tuple[list[str], list[str]]:
    """nexusformat's NXcanSAS verdict on ``entry``: (errors, warnings)."""
    from nexusformat.nexus.validate import validate_application

    return nexusformat_messages(
        path,
        lambda copy: validate_application(copy, path=entry, application="NXcanSAS"),
        "NXcanSAS ",
    )


def cansas_rules(path: Path, entry: str) -> list[str]:
    """Our checks of the NXcanSAS rules nexusformat leaves out; [] when all hold."""
    errors: list[str] = []
    with h5py.File(path, "r") as nxroot:
        sub = nxroot.get(entry)
        if not isinstance(sub, h5py.Group):
            return [f"{entry}: no such group"]
        if _attr(sub, "canSAS_class") != "SASentry":
            errors.append(f"{entry}@canSAS_class is not SASentry")
        if _attr(sub, "version") != VERSION:
            errors.append(f"{entry}@version is {_attr(sub, 'version')!r}, not {VERSION!r}")
        for field, wanted in (("definition", "NXcanSAS"), ("title", None), ("run", None)):
            node = sub.get(field)
            value = node[()] if isinstance(node, h5py.Dataset) else None
            value = value.decode() if isinstance(value, bytes) else value
            if value is None or (wanted and value != wanted):
                errors.append(f"{entry}/{field} missing" + (f" or not {wanted}" if wanted else ""))
        for name, cls in CLASSES.items():
            if name in sub and _attr(sub[name], "canSAS_class") != cls:
                errors.append(f"{entry}/{name}@canSAS_class is not {cls}")
        data = sub.get(str(_attr(sub, "default")))
        if not isinstance(data, h5py.Group):
            errors.append(f"{entry}@default does not name its SASdata")
            return errors
        errors += _sasdata_rules(data)
    return errors


def _sasdata_rules(data: h5py.Group) -> list[str]:
    errors = []
    where = data.name
    for attr, wanted in (("canSAS_class", "SASdata"), ("signal", "I"), ("I_axes", "Q")):
        if _attr(data, attr) != wanted:
            errors.append(f"{where}@{attr} is {_attr(data, attr)!r}, not {wanted!r}")
    if _attr(data, "Q_indices") != 0:
        errors.append(f"{where}@Q_indices is {_attr(data, 'Q_indices')!r}, not 0")
    for field, allowed in (("Q", Q_UNITS), ("I", I_UNITS), ("Idev", I_UNITS), ("Qdev", Q_UNITS)):
        if field not in data:
            errors.append(f"{where}/{field} missing")
        elif _attr(data[field], "units") not in allowed:
            errors.append(f"{where}/{field}@units {_attr(data[field], 'units')!r} not in {allowed}")
    if errors:
        return errors
    if _attr(data["I"], "uncertainties") != "Idev":
        errors.append(f"{where}/I@uncertainties does not name Idev")
    if _attr(data["Idev"], "units") != _attr(data["I"], "units"):
        errors.append(f"{where}/Idev has other units than I")
    if _attr(data["Q"], "resolutions") != "Qdev":
        errors.append(f"{where}/Q@resolutions does not name Qdev")
    shapes = {data[f].shape for f in ("Q", "I", "Idev", "Qdev")}
    if len(shapes) != 1:
        errors.append(f"{where}: Q, I, Idev, Qdev differ in shape {sorted(shapes)}")
    return errors
