"""Small h5py helpers that write NeXus groups and fields the same way everywhere."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import h5py
import numpy as np

from sardana_nxsas.description.info import Quantity


def group(parent: h5py.Group, name: str, nx_class: str, **attrs: Any) -> h5py.Group:
    """Create (or open) a group with its NX_class."""
    grp = parent.require_group(name)
    grp.attrs["NX_class"] = nx_class
    for key, value in attrs.items():
        grp.attrs[key] = value
    return grp


def text(parent: h5py.Group, name: str, value: str, **attrs: Any) -> h5py.Dataset:
    """A scalar UTF-8 string field."""
    dset = parent.create_dataset(name, data=value, dtype=h5py.string_dtype())
    for key, attr in attrs.items():
        dset.attrs[key] = attr
    return dset


def number(
    parent: h5py.Group,
    name: str,
    value: float | int | np.number | np.ndarray | Sequence[float],
    units: str | None,
    error: float | None = None,
) -> h5py.Dataset:
    """A numeric field with @units and, when given, its NAME_errors sibling."""
    dset = parent.create_dataset(name, data=value)
    if units is not None:
        dset.attrs["units"] = units
    if error is not None:
        err = parent.create_dataset(f"{name}_errors", data=error)
        if units is not None:
            err.attrs["units"] = units
    return dset


def quantity(parent: h5py.Group, name: str, value: Quantity) -> h5py.Dataset:
    return number(parent, name, value.value, value.units, value.error)


def link(parent: h5py.Group, name: str, target: h5py.Dataset) -> None:
    """A hard link marked with the NeXus @target attribute (validators need it)."""
    target.attrs["target"] = target.name
    parent[name] = target
