"""maxSurge and maxUnavailable as Kubernetes resolves them."""

from __future__ import annotations

import pytest

from kubeling.controllers.deployment.fenceposts import (
    max_surge,
    max_unavailable,
    min_available,
    resolve_fenceposts,
    scaled_value,
)
from tests.unit.controllers.deployment.builders import deployment


@pytest.mark.parametrize(
    ("value", "total", "up", "expected"),
    [
        (3, 10, True, 3),
        ("25%", 10, True, 3),  # 2.5 rounds up for a surge
        ("25%", 10, False, 2),  # and down for unavailability
        ("25%", 4, True, 1),
        ("1%", 2, True, 1),
        ("1%", 2, False, 0),
        ("100%", 7, False, 7),
        ("0%", 7, True, 0),
        ("+10%", 10, True, 1),  # Go's Atoi takes a sign
    ],
)
def test_scaled_value(value: int | str, total: int, up: bool, expected: int) -> None:
    assert scaled_value(value, total, round_up=up) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("5", "invalid value for IntOrString: invalid type: string is not a percentage"),
        (
            "x%",
            'invalid value for IntOrString: invalid value "x%": strconv.Atoi: parsing "x": '
            "invalid syntax",
        ),
        (None, "nil value for IntOrString"),
    ],
)
def test_scaled_value_refuses_what_validation_refuses(value: str | None, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(") + "$"):
        scaled_value(value, 10, round_up=True)


@pytest.mark.parametrize(
    ("surge", "unavailable", "desired", "expected"),
    [
        # The cases in ResolveFenceposts' comment.
        ("0%", "1%", 2, (0, 1)),  # both round to 0: one may be unavailable
        ("0%", "1%", 1, (0, 1)),
        ("1%", "25%", 2, (1, 0)),
        ("1%", "25%", 1, (1, 0)),
        ("1%", "0%", 2, (1, 0)),
        ("1%", "0%", 1, (1, 0)),
        ("25%", "25%", 10, (3, 2)),
        (None, None, 5, (0, 1)),
        (2, 0, 5, (2, 0)),
    ],
)
def test_resolve_fenceposts(
    surge: int | str | None, unavailable: int | str | None, desired: int, expected: tuple[int, int]
) -> None:
    assert resolve_fenceposts(surge, unavailable, desired) == expected


def test_max_unavailable_never_exceeds_replicas_and_recreate_has_none() -> None:
    assert max_unavailable(deployment(2, max_surge=0, max_unavailable=5)) == 2
    assert max_unavailable(deployment(0, max_surge=1, max_unavailable=1)) == 0
    recreate = deployment(5, strategy="Recreate")
    assert (max_surge(recreate), max_unavailable(recreate), min_available(recreate)) == (0, 0, 0)
    rolling = deployment(10, max_surge="25%", max_unavailable="25%")
    assert (max_surge(rolling), max_unavailable(rolling), min_available(rolling)) == (3, 2, 8)


def test_a_bad_value_counts_as_zero_like_kubernetes_ignoring_the_error() -> None:
    assert max_surge(deployment(10, max_surge="x", max_unavailable=1)) == 0
