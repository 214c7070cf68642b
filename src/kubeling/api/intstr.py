"""IntOrString values that scale: ``3`` or ``"30%"`` of a total (``intstr`` in apimachinery)."""

from __future__ import annotations

__all__ = ["IntOrPercentError", "scaled_value"]


class IntOrPercentError(ValueError):
    """The value is neither an integer nor a percentage; the message is apimachinery's."""


def scaled_value(value: object, total: int, *, round_up: bool) -> int:
    """An integer as it is, a percentage of ``total`` rounded up or down
    (``intstr.GetScaledValueFromIntOrPercent``).

    >>> scaled_value(2, 10, round_up=True), scaled_value("25%", 10, round_up=True)
    (2, 3)
    >>> scaled_value("25%", 10, round_up=False)
    2
    """
    if value is None:
        raise IntOrPercentError("nil value for IntOrString")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str):
        raise IntOrPercentError(
            "invalid value for IntOrString: invalid type: neither int nor percentage"
        )
    if not value.endswith("%"):
        raise IntOrPercentError(
            "invalid value for IntOrString: invalid type: string is not a percentage"
        )
    digits = value[:-1]
    try:
        percent = int(digits)
    except ValueError:
        raise IntOrPercentError(
            f'invalid value for IntOrString: invalid value "{value}": '
            f'strconv.Atoi: parsing "{digits}": invalid syntax'
        ) from None
    # exact integer arithmetic: Go's float rounding agrees for every realistic size
    scaled = percent * total
    return -(-scaled // 100) if round_up else scaled // 100
