"""Tolerations against taints: which tolerate, which are used, for how long."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.api.taints import (
    matching_tolerations,
    min_toleration_seconds,
    taint_exists,
    tolerates,
)

UNREACHABLE = {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}
NOT_READY = {"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"}


@pytest.mark.parametrize(
    ("toleration", "taint", "expected"),
    [
        ({"operator": "Exists"}, UNREACHABLE, True),
        ({"key": "node.kubernetes.io/unreachable", "operator": "Exists"}, UNREACHABLE, True),
        ({"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"}, UNREACHABLE, False),
        ({"key": "other", "operator": "Exists"}, UNREACHABLE, False),
        ({"key": "k", "value": "v"}, {"key": "k", "value": "v", "effect": "NoSchedule"}, True),
        ({"key": "k", "value": "w"}, {"key": "k", "value": "v", "effect": "NoSchedule"}, False),
        ({"key": "k", "operator": "Gt"}, {"key": "k", "effect": "NoSchedule"}, False),
    ],
)
def test_tolerates(toleration: dict[str, Any], taint: dict[str, Any], expected: bool) -> None:
    """Effect and key match when empty or equal; Exists ignores the value, Equal compares."""
    assert tolerates(toleration, taint) is expected


def test_matching_tolerations_takes_the_first_match_per_taint() -> None:
    """Each taint uses the first toleration that tolerates it; one untolerated taint: None."""
    short = {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 5}
    everything = {"operator": "Exists"}
    assert matching_tolerations([UNREACHABLE, NOT_READY], [short, everything]) == [
        short,
        everything,
    ]
    assert matching_tolerations([UNREACHABLE, NOT_READY], [short]) is None
    assert matching_tolerations([], []) == []


@pytest.mark.parametrize(
    ("tolerations", "expected"),
    [
        ([], 0),
        ([{"operator": "Exists"}], None),
        ([{"tolerationSeconds": 300}, {"tolerationSeconds": 30}], 30),
        ([{"tolerationSeconds": 300}, {"operator": "Exists"}], 300),
        ([{"tolerationSeconds": 300}, {"tolerationSeconds": -1}], 0),
        ([{"tolerationSeconds": 0}], 0),
    ],
)
def test_min_toleration_seconds(tolerations: list[dict[str, Any]], expected: int | None) -> None:
    """Smallest limit; none set means forever (None); a non-positive one means at once."""
    assert min_toleration_seconds(tolerations) == expected


def test_taint_exists_compares_key_and_effect_only() -> None:
    """timeAdded and value do not make a different taint."""
    taints = [{**UNREACHABLE, "timeAdded": "2024-01-01T00:00:00Z"}]
    assert taint_exists(taints, UNREACHABLE)
    assert not taint_exists(taints, {**UNREACHABLE, "effect": "NoSchedule"})
