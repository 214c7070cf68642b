"""``IntOrString`` values that scale: ``maxSurge: 25%`` of 8 replicas is 2.

Kubernetes' ``intstr.GetScaledValueFromIntOrPercent``: an integer is itself;
a string must be a percentage (``"25%"``), taken of ``total`` and rounded up
or down; anything else is an error with upstream's message.

>>> scaled_value("25%", 10, round_up=True), scaled_value("25%", 10, round_up=False)
(3, 2)
>>> scaled_value(4, 10, round_up=True)
4
"""

from __future__ import annotations

import math
import re

from kubeling.api.goformat import go_quote

__all__ = ["IntOrStringError", "scaled_value"]


_NEITHER = "invalid value for IntOrString: invalid type: neither int nor percentage"
_ATOI = re.compile(r"[+-]?[0-9]+")


class IntOrStringError(ValueError):
    """A value that is neither an integer nor a percentage."""


def scaled_value(value: object, total: int, *, round_up: bool) -> int:
    """The number ``value`` stands for out of ``total``; IntOrStringError if it is none."""
    if value is None:
        raise IntOrStringError("nil value for IntOrString")
    if isinstance(value, bool):
        raise IntOrStringError(
            "invalid value for IntOrString: invalid type: neither int nor percentage"
        )
    if isinstance(value, int):
        return value
    if not isinstance(value, str):
        raise IntOrStringError(
            "invalid value for IntOrString: invalid type: neither int nor percentage"
        )
    if not value.endswith("%"):
        raise IntOrStringError(
            "invalid value for IntOrString: invalid type: string is not a percentage"
        )
    digits = value[:-1]
    if not _ATOI.fullmatch(digits):
        raise IntOrStringError(
            f"invalid value for IntOrString: invalid value {go_quote(value)}: strconv.Atoi: "
            f"parsing {go_quote(digits)}: invalid syntax"
        )
    percent = int(digits)
    scaled = percent * total / 100
    return math.ceil(scaled) if round_up else math.floor(scaled)
