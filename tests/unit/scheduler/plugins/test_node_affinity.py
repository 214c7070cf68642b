"""NodeAffinity: nodeSelector, required terms and their operators, preferred scoring."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.scheduler.framework.cycle_state import CycleState
from kubeling.scheduler.framework.events import QueueingHint
from kubeling.scheduler.framework.profile import default_profile
from kubeling.scheduler.framework.status import Code
from kubeling.scheduler.framework.types import PodInfo
from kubeling.scheduler.plugins.node_affinity import (
    ERR_REASON_CONFLICT,
    ERR_REASON_ENFORCED,
    ERR_REASON_POD,
    NodeAffinity,
)

from ..fakes import Harness, make_node, make_pod

NODES = [
    make_node("small", labels={"size": "2", "disk": "hdd", "zone": "a"}),
    make_node("large", labels={"size": "16", "disk": "ssd", "zone": "b"}),
    make_node("bare"),
]


def _required(*terms: dict[str, Any]) -> dict[str, Any]:
    return {
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}
            }
        }
    }


def _expr(key: str, operator: str, *values: str) -> dict[str, Any]:
    item: dict[str, Any] = {"key": key, "operator": operator}
    if values:
        item["values"] = list(values)
    return item


@pytest.mark.parametrize(
    ("spec", "fitting"),
    [
        ({}, {"small", "large", "bare"}),
        ({"nodeSelector": {"disk": "ssd"}}, {"large"}),
        ({"nodeSelector": {"disk": "ssd", "zone": "a"}}, set()),
        (_required({"matchExpressions": [_expr("disk", "In", "ssd", "nvme")]}), {"large"}),
        (_required({"matchExpressions": [_expr("disk", "NotIn", "ssd")]}), {"small", "bare"}),
        (_required({"matchExpressions": [_expr("disk", "Exists")]}), {"small", "large"}),
        (_required({"matchExpressions": [_expr("disk", "DoesNotExist")]}), {"bare"}),
        (_required({"matchExpressions": [_expr("size", "Gt", "4")]}), {"large"}),
        (_required({"matchExpressions": [_expr("size", "Lt", "4")]}), {"small"}),
        (_required({"matchExpressions": [_expr("size", "Gt", "four")]}), set()),
        # Terms are ORed; expressions in a term are ANDed.
        (
            _required(
                {"matchExpressions": [_expr("disk", "In", "ssd")]},
                {"matchExpressions": [_expr("zone", "In", "a")]},
            ),
            {"small", "large"},
        ),
        (
            _required({"matchExpressions": [_expr("disk", "In", "ssd"), _expr("zone", "In", "a")]}),
            set(),
        ),
        (_required({"matchFields": [_expr("metadata.name", "NotIn", "bare")]}), {"small", "large"}),
        # An empty term matches nothing; so does an unknown operator.
        (_required({}), set()),
        (_required({"matchExpressions": [_expr("disk", "Like", "ssd")]}), set()),
        # nodeSelector and affinity must both match.
        (
            {
                "nodeSelector": {"zone": "a"},
                **_required({"matchExpressions": [_expr("disk", "Exists")]}),
            },
            {"small"},
        ),
    ],
)
def test_filter(spec: dict[str, Any], fitting: set[str]) -> None:
    """Each node fits or fails with the pod reason, unresolvably."""
    statuses = Harness(nodes=NODES).filter("NodeAffinity", make_pod("p", spec=spec))
    assert {name for name, status in statuses.items() if status.is_success()} == fitting
    for name, status in statuses.items():
        if name not in fitting:
            assert status.code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE
            assert status.reasons == (ERR_REASON_POD,)


@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        ([{"matchFields": [_expr("metadata.name", "In", "small")]}], frozenset({"small"})),
        (
            [
                {"matchFields": [_expr("metadata.name", "In", "small")]},
                {"matchFields": [_expr("metadata.name", "In", "large")]},
            ],
            frozenset({"small", "large"}),
        ),
        (
            [
                {"matchFields": [_expr("metadata.name", "In", "small")]},
                {"matchExpressions": [_expr("disk", "Exists")]},
            ],
            None,
        ),
    ],
)
def test_pre_filter_restricts_to_named_nodes(
    terms: list[dict[str, Any]], expected: frozenset[str] | None
) -> None:
    """matchFields on metadata.name restricts the cycle, unless another term allows all."""
    plugin = NodeAffinity(None)
    result, status = plugin.pre_filter(CycleState(), PodInfo(make_pod("p", spec=_required(*terms))))
    assert status.is_success()
    assert (result.node_names if result else None) == expected


def test_pre_filter_conflicting_names_and_skip() -> None:
    """Intersecting names inside one term may be empty: the pod conflicts with itself."""
    plugin = NodeAffinity(None)
    term = {"matchFields": [_expr("metadata.name", "In", "a"), _expr("metadata.name", "In", "b")]}
    _, status = plugin.pre_filter(CycleState(), PodInfo(make_pod("p", spec=_required(term))))
    assert status.code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert status.reasons == (ERR_REASON_CONFLICT,)
    _, status = plugin.pre_filter(CycleState(), PodInfo(make_pod("p")))
    assert status.is_skip()


def test_added_affinity_from_the_profile() -> None:
    """The profile's addedAffinity is enforced with its own reason."""
    added = _required({"matchExpressions": [_expr("zone", "In", "b")]})["affinity"]["nodeAffinity"]
    profile = default_profile(plugin_args={"NodeAffinity": {"addedAffinity": added}})
    harness = Harness(nodes=NODES, profile=profile)
    assert harness.reasons("NodeAffinity", make_pod("p")) == {
        "small": (ERR_REASON_ENFORCED,),
        "large": (),
        "bare": (ERR_REASON_ENFORCED,),
    }


def test_score_sums_weights_and_normalizes() -> None:
    """Weights of the matching preferred terms, scaled so the best is 100."""
    spec = {
        "affinity": {
            "nodeAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 10,
                        "preference": {"matchExpressions": [_expr("disk", "In", "ssd")]},
                    },
                    {"weight": 5, "preference": {"matchExpressions": [_expr("zone", "Exists")]}},
                ]
            }
        }
    }
    scores = Harness(nodes=NODES).score("NodeAffinity", make_pod("p", spec=spec))
    assert scores == {"small": 33, "large": 100, "bare": 0}
    assert Harness(nodes=NODES).score("NodeAffinity", make_pod("p")) == {}


def test_hint_queues_only_when_a_node_starts_matching() -> None:
    """Relabelling a node into the selector queues; other label changes do not."""
    plugin = NodeAffinity(None)
    pod = make_pod("p", spec={"nodeSelector": {"disk": "ssd"}})
    before = make_node("n", labels={"disk": "hdd"})
    after = make_node("n", labels={"disk": "ssd"})
    other = make_node("n", labels={"disk": "ssd", "x": "y"})
    assert plugin._node_now_matches(pod, before, after) is QueueingHint.QUEUE
    assert plugin._node_now_matches(pod, after, other) is QueueingHint.SKIP
    assert plugin._node_now_matches(pod, None, before) is QueueingHint.SKIP
