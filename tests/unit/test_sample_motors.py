"""NxsSampleMotors: the x and y motors of `nxssample use NAME move`."""

from __future__ import annotations

import pytest

from sardana_nxsas.acquisition.sample_motors import sample_motors
from sardana_nxsas.errors import NxsError

POOL = {"samx": object(), "samy": object(), "stx": object(), "sty": object()}


def find(name: str) -> object | None:
    if name == "broken":
        raise RuntimeError("Sardana's own error for this name")
    return POOL.get(name)


@pytest.mark.parametrize(
    ("value", "motors"),
    [
        (None, ("samx", "samy")),
        ("(stx, sty)", ("stx", "sty")),  # as `senv NxsSampleMotors stx sty` stores it
        ("['stx', 'sty']", ("stx", "sty")),
        (["sty", "stx"], ("sty", "stx")),
    ],
)
def test_motors(value: str | list[str] | None, motors: tuple[str, str]) -> None:
    assert sample_motors(value, find) == motors


@pytest.mark.parametrize("value", ["samx", "(samx, samy, stx)"])
def test_two_motors_or_a_one_line_error(value: str) -> None:
    with pytest.raises(NxsError, match="must name two motors, x then y: senv NxsSampleMotors"):
        sample_motors(value, find)


@pytest.mark.parametrize("missing", ["nomotor", "broken"])
def test_each_motor_must_exist(missing: str) -> None:
    with pytest.raises(NxsError, match=f"sample motor '{missing}' does not exist"):
        sample_motors(f"samx {missing}", find)
