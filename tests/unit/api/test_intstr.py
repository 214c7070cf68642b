"""intstr.GetScaledValueFromIntOrPercent."""

from __future__ import annotations

import pytest

from kubeling.api.intstr import IntOrStringError, scaled_value


@pytest.mark.parametrize(
    ("value", "total", "round_up", "expected"),
    [
        (3, 10, True, 3),
        ("50%", 3, True, 2),
        ("50%", 3, False, 1),
        ("0%", 7, True, 0),
        ("100%", 7, False, 7),
        ("10%", 0, True, 0),
        ("33%", 10, True, 4),
    ],
)
def test_scaled_value(value: object, total: int, round_up: bool, expected: int) -> None:
    """Integers are taken as they are; percentages of the total round as asked."""
    assert scaled_value(value, total, round_up=round_up) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "nil value for IntOrString"),
        ("3", "invalid value for IntOrString: invalid type: string is not a percentage"),
        ("x%", 'invalid value for IntOrString: invalid value "x%"'),
        (1.5, "invalid value for IntOrString: invalid type: neither int nor percentage"),
    ],
)
def test_scaled_value_errors(value: object, message: str) -> None:
    """Anything else is refused with apimachinery's message."""
    with pytest.raises(IntOrStringError, match=message.replace("(", r"\(")):
        scaled_value(value, 10, round_up=True)
