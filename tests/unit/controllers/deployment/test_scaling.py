"""Rollout steps and proportional scaling, with the cases of Kubernetes' own tests."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.controllers.deployment.revisions import DESIRED_REPLICAS, MAX_REPLICAS
from kubeling.controllers.deployment.scaling import (
    is_saturated,
    max_scaled_down,
    new_rs_new_replicas,
    old_scale_down,
    proportional_sizes,
    round_half_away,
    unhealthy_cleanup,
)
from tests.unit.controllers.deployment.builders import deployment, replica_set

Obj = dict[str, Any]


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(5, 2, 3), (7, 2, 4), (4, 3, 1), (5, 3, 2), (0, 7, 0), (-5, 2, -3), (184, 13, 14)],
)
def test_round_half_away_from_zero(numerator: int, denominator: int, expected: int) -> None:
    assert round_half_away(numerator, denominator) == expected


@pytest.mark.parametrize(
    ("replicas", "surge", "new", "old", "expected"),
    [
        (1, 1, 2, [5], 2),  # at the limit already: no scale up
        (6, 3, 1, [5], 4),  # 6 + 3 allowed, 6 there: 3 more
        (10, 3, 0, [10], 3),  # the first step of a rollout
        (10, 3, 5, [8], 5),  # 13 already
        (3, 10, 1, [1], 3),  # never past replicas
        (4, "50%", 0, [4], 2),
    ],
)
def test_new_rs_new_replicas_for_rolling_updates(
    replicas: int, surge: int | str, new: int, old: list[int], expected: int
) -> None:
    d = deployment(replicas, max_surge=surge, max_unavailable=1)
    new_rs = replica_set("new", new)
    olds = [replica_set(f"old{i}", n) for i, n in enumerate(old)]
    assert new_rs_new_replicas(d, [*olds, new_rs], new_rs) == expected


def test_new_rs_new_replicas_for_recreate_and_unknown_strategies() -> None:
    new_rs = replica_set("new", 0)
    assert new_rs_new_replicas(deployment(7, strategy="Recreate"), [new_rs], new_rs) == 7
    with pytest.raises(ValueError, match="deployment type Canary isn't supported"):
        new_rs_new_replicas(deployment(7, strategy="Canary"), [new_rs], new_rs)


def _sized(name: str, replicas: int, created: str, sized_for: int, surge: int = 0) -> Obj:
    annotations = {DESIRED_REPLICAS: str(sized_for), MAX_REPLICAS: str(sized_for + surge)}
    return replica_set(name, replicas, created=created, annotations=annotations)


@pytest.mark.parametrize(
    ("old_size", "new_size", "new_rs", "old_rss", "expected_new", "expected_old"),
    [
        # TestScale in sync_test.go (maxSurge 0): new ReplicaSets are the newest.
        (5, 10, 2, [3], 4, [6]),
        (5, 3, 2, [3], 1, [2]),
        (9, 4, 8, [1], 4, [0]),
        (7, 10, 2, [3, 2], 3, [4, 3]),
        (13, 8, 2, [8, 3], 1, [5, 2]),
        (10, 0, 5, [5], 0, [0]),  # scaled to zero: everything goes
    ],
)
def test_proportional_sizes(
    old_size: int,
    new_size: int,
    new_rs: int,
    old_rss: list[int],
    expected_new: int,
    expected_old: list[int],
) -> None:
    d = deployment(new_size)
    olds = [
        _sized(f"old{i}", n, f"2024-01-01T00:00:0{i}Z", old_size) for i, n in enumerate(old_rss)
    ]
    new = _sized("new", new_rs, "2024-01-02T00:00:00Z", old_size)
    sizes = {rs["metadata"]["name"]: size for rs, size in proportional_sizes(d, [*olds, new])}
    assert sizes == {"new": expected_new, **{f"old{i}": n for i, n in enumerate(expected_old)}}


def test_proportional_scaling_with_surge_uses_the_max_replicas_annotation() -> None:
    """10 replicas (+3 surge) stuck at 8 old and 5 new, scaled to 20 (+3): 6 and 4 more."""
    d = deployment(20, max_surge=3, max_unavailable=2)
    old = _sized("old", 8, "2024-01-01T00:00:00Z", 10, surge=3)
    new = _sized("new", 5, "2024-01-02T00:00:00Z", 10, surge=3)
    plan = [(rs["metadata"]["name"], size) for rs, size in proportional_sizes(d, [old, new])]
    assert plan == [("old", 14), ("new", 9)]  # larger first when scaling up


def test_proportional_scaling_falls_back_to_the_deployment_size() -> None:
    d = deployment(6, status={"replicas": 3})
    a = replica_set("a", 2, created="2024-01-01T00:00:00Z")
    b = replica_set("b", 1, created="2024-01-02T00:00:00Z")
    sizes = {rs["metadata"]["name"]: size for rs, size in proportional_sizes(d, [a, b])}
    assert sizes == {"a": 4, "b": 2}


def test_proportional_scaling_gives_ties_to_the_newer_when_growing_and_older_when_shrinking() -> (
    None
):
    old = _sized("old", 1, "2024-01-01T00:00:00Z", 2)
    new = _sized("new", 1, "2024-01-02T00:00:00Z", 2)
    grow = proportional_sizes(deployment(3), [old, new])
    assert [(rs["metadata"]["name"], size) for rs, size in grow] == [("new", 2), ("old", 1)]
    shrink = proportional_sizes(deployment(1), [old, new])
    assert [(rs["metadata"]["name"], size) for rs, size in shrink] == [("old", 0), ("new", 1)]


def test_is_saturated() -> None:
    d = deployment(3)
    full = replica_set("rs", 3, annotations={DESIRED_REPLICAS: "3"})
    assert is_saturated(d, full)
    assert not is_saturated(d, None)
    assert not is_saturated(
        d, replica_set("rs", 3, available=2, annotations={DESIRED_REPLICAS: "3"})
    )
    assert not is_saturated(d, replica_set("rs", 3, annotations={DESIRED_REPLICAS: "4"}))
    assert not is_saturated(d, replica_set("rs", 3))  # never sized by this Deployment


def test_max_scaled_down_counts_the_new_unavailable_pods() -> None:
    """The example in reconcileOldReplicaSets: 10 replicas, maxUnavailable 2, maxSurge 3."""
    d = deployment(10, max_surge=3, max_unavailable=2)
    new = replica_set("new", 5, available=0)
    old = replica_set("old", 8)
    assert max_scaled_down(d, [old, new], new) == 0  # 13 - 8 - 5
    back = replica_set("new", 5, available=4)
    assert max_scaled_down(d, [old, back], back) == 4  # 13 - 8 - 1


def _plan(plan: list[tuple[Obj, int]]) -> list[tuple[str, int]]:
    return [(rs["metadata"]["name"], size) for rs, size in plan]


def test_unhealthy_replicas_go_first_oldest_replica_set_first() -> None:
    older = replica_set("older", 3, available=1, created="2024-01-01T00:00:00Z")
    newer = replica_set("newer", 4, available=2, created="2024-01-02T00:00:00Z")
    healthy = replica_set("healthy", 2, created="2023-12-01T00:00:00Z")
    assert _plan(unhealthy_cleanup([newer, older, healthy], 3)) == [("older", 1), ("newer", 3)]
    assert _plan(unhealthy_cleanup([newer, older], 10)) == [("older", 1), ("newer", 2)]


def test_unhealthy_cleanup_refuses_to_grow_a_replica_set() -> None:
    odd = replica_set("odd", 2, available=3)  # more available than asked: scaling down
    with pytest.raises(ValueError, match="invalid request to scale down ns/odd 2 -> 3"):
        unhealthy_cleanup([odd], 5)


@pytest.mark.parametrize(
    ("available_new", "old", "expected"),
    [
        (0, [("a", 6), ("b", 4)], [("a", 4)]),  # 10 available, 8 needed: 2 go
        (3, [("a", 6), ("b", 4)], [("a", 1)]),  # 13 available: 5 go, from the oldest first
        (8, [("a", 6), ("b", 4)], [("a", 0), ("b", 0)]),
        (6, [("a", 0), ("b", 4)], [("b", 2)]),  # an empty one is skipped
    ],
)
def test_old_scale_down_keeps_the_minimum_available(
    available_new: int, old: list[tuple[str, int]], expected: list[tuple[str, int]]
) -> None:
    d = deployment(10, max_surge=3, max_unavailable=2)
    olds = [
        replica_set(name, n, created=f"2024-01-0{i + 1}T00:00:00Z")
        for i, (name, n) in enumerate(old)
    ]
    new = replica_set("new", 3, available=available_new)
    assert _plan(old_scale_down(d, [*olds, new], olds)) == expected


def test_no_scale_down_at_the_minimum() -> None:
    d = deployment(4, max_surge=1, max_unavailable=0)
    old = replica_set("old", 4)
    new = replica_set("new", 1, available=0)
    assert old_scale_down(d, [old, new], [old]) == []
