"""The x and y motors that ``nxssample use NAME move`` drives (``NxsSampleMotors``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from sardana_nxsas import env
from sardana_nxsas.errors import NxsError

DEFAULT_MOTORS = ("samx", "samy")


def sample_motors(
    value: str | Sequence[object] | None, find: Callable[[str], object | None]
) -> tuple[str, str]:
    """The motor names in ``value`` (NxsSampleMotors, None for the default), x then y;
    each must exist (``find(name)``: the element, or None). A one-line error otherwise."""
    value = value or DEFAULT_MOTORS
    # `senv NxsSampleMotors samx samy` stores the string "(samx, samy)"
    if isinstance(value, str):
        names = re.findall(r"[^\s,()\[\]'\"]+", value)
    else:
        names = [str(name) for name in value]
    if len(names) != 2:
        raise NxsError(
            f"{env.SAMPLE_MOTORS} = {value!r} must name two motors, x then y: "
            f"senv {env.SAMPLE_MOTORS} {' '.join(DEFAULT_MOTORS)}"
        )
    for name in names:
        try:
            found = find(name)
        except Exception:  # Sardana raises various errors for unknown names
            found = None
        if found is None:
            raise NxsError(
                f"sample motor {name!r} does not exist: set {env.SAMPLE_MOTORS} to your x and y motors"
            )
    return names[0], names[1]
