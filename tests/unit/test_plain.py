"""The one conversion to plain JSON values: the catalog's and the session's."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from sardana_nxsas.description.model import Reading
from sardana_nxsas.nexus.exposure.readings import readings_from_json, readings_to_json
from sardana_nxsas.plain import plain_value


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        (np.float32(1.5), 1.5),
        (np.int64(7), 7),
        (np.bool_(True), True),
        (np.array(2.5), 2.5),  # a 0-d array, as some readers return
        (b"caf\xc3\xa9", "café"),
        (np.bytes_(b"bad \xff"), "bad \ufffd"),
        ("text", "text"),
        (None, None),
        (np.array([1, 2]), "[1 2]"),
        ([1, 2], "[1, 2]"),
    ],
)
def test_plain_values(value: object, plain: object) -> None:
    found = plain_value(value)
    assert found == plain and type(found) is type(plain)


@pytest.mark.parametrize(
    "value", [math.nan, math.inf, -math.inf, np.float64("nan"), np.array(np.inf)]
)
def test_non_finite_is_none_for_strict_json(value: object) -> None:
    assert plain_value(value) is None
    kept = plain_value(value, keep_non_finite=True)
    assert isinstance(kept, float) and not math.isfinite(kept)


def test_readings_keep_nan_since_none_means_not_read() -> None:
    readings = {
        "sensor[0].value": Reading(np.float64("nan")),
        "source.voltage": Reading(np.float32(50.0), units="kV"),
        "source.current": Reading.missing("timed out"),
    }
    back = readings_from_json(json.loads(json.dumps(readings_to_json(readings))))
    assert math.isnan(back["sensor[0].value"].value)
    assert back["source.voltage"] == Reading(50.0, None, "kV")
    assert back["source.current"] == Reading(None, "timed out")
