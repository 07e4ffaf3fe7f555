"""Plain Python values from what HDF5, numpy and Tango give, for JSON.

The catalog's ``header`` column, the catalog rows of scans and the readings kept in
the exposure session are JSON: they want str, int, float, bool or None, where h5py
and the Tango readers give numpy scalars, 0-d arrays and bytes.
"""

from __future__ import annotations

import math

import numpy as np

PlainValue = str | int | float | bool | None


def plain_value(value: object, *, keep_non_finite: bool = False) -> PlainValue:
    """``value`` as a str, int, float, bool or None.

    bytes are decoded (UTF-8, bad bytes replaced), numpy scalars and 0-d arrays become
    Python scalars, anything else (a list, an array) its ``str()``. NaN and infinities
    become None: strict JSON has no such numbers and PostgreSQL's JSONB refuses them.
    ``keep_non_finite`` keeps them, for a consumer to which None means something else.
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, bytes):  # np.bytes_ too
        return value.decode("utf-8", "replace")
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value) and not keep_non_finite:
        return None
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
