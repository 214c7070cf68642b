"""NodeResourcesFit (filter, LeastAllocated/MostAllocated) and BalancedAllocation."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.scheduler.framework.events import QueueingHint
from kubeling.scheduler.framework.profile import default_profile
from kubeling.scheduler.framework.resources import pod_requests
from kubeling.scheduler.framework.runtime import FrameworkError
from kubeling.scheduler.framework.status import Code
from kubeling.scheduler.plugins import node_resources_fit

from ..fakes import Harness, make_node, make_pod, new_scheduler


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            {
                "containers": [
                    {"resources": {"requests": {"cpu": "1"}}},
                    {"resources": {"requests": {"cpu": "500m"}}},
                ]
            },
            {"cpu": 1500},
        ),
        # An init container runs alone: the larger of it and the containers' sum.
        (
            {
                "initContainers": [{"resources": {"requests": {"cpu": "2"}}}],
                "containers": [{"resources": {"requests": {"cpu": "1"}}}],
            },
            {"cpu": 2000},
        ),
        # A sidecar keeps running: it adds to the containers and to later init containers.
        (
            {
                "initContainers": [
                    {"restartPolicy": "Always", "resources": {"requests": {"cpu": "1"}}},
                    {"resources": {"requests": {"cpu": "2"}}},
                ],
                "containers": [{"resources": {"requests": {"cpu": "500m"}}}],
            },
            {"cpu": 3000},
        ),
        (
            {
                "initContainers": [
                    {"restartPolicy": "Always", "resources": {"requests": {"memory": "1Gi"}}}
                ],
                "containers": [{"resources": {"requests": {"memory": "1Gi"}}}],
            },
            {"memory": 2 * 1024**3},
        ),
        ({"containers": [{}], "overhead": {"cpu": "250m"}}, {"cpu": 250}),
    ],
)
def test_pod_requests(spec: dict[str, Any], expected: dict[str, int]) -> None:
    """Containers, init containers, sidecars and overhead combine as upstream."""
    assert pod_requests(spec) == expected


NODE = make_node("n", cpu="2", memory="4Gi", pods="3", extra={"example.com/gpu": "1"})


@pytest.mark.parametrize(
    ("requests", "existing", "reasons"),
    [
        ({"cpu": "2"}, [], ()),
        ({"cpu": "2001m"}, [], ("Insufficient cpu",)),
        ({"cpu": "1"}, [{"cpu": "1500m"}], ("Insufficient cpu",)),
        ({"cpu": "3", "memory": "5Gi"}, [], ("Insufficient cpu", "Insufficient memory")),
        ({"example.com/gpu": "2"}, [], ("Insufficient example.com/gpu",)),
        ({"ephemeral-storage": "1Gi"}, [], ("Insufficient ephemeral-storage",)),
        ({}, [{}, {}, {}], ("Too many pods",)),
        ({"cpu": "3"}, [{}, {}, {}], ("Too many pods", "Insufficient cpu")),
        # A pod requesting nothing fits an over-committed node.
        ({}, [{"cpu": "3"}], ()),
    ],
)
def test_filter(
    requests: dict[str, str], existing: list[dict[str, str]], reasons: tuple[str, ...]
) -> None:
    """Every shortage is a reason of one Unschedulable status."""
    pods = [make_pod(f"e{i}", requests=r, node_name="n") for i, r in enumerate(existing)]
    status = Harness(nodes=[NODE], pods=pods).filter(
        "NodeResourcesFit", make_pod("p", requests=requests)
    )["n"]
    assert status.reasons == reasons
    if reasons:
        assert status.code is Code.UNSCHEDULABLE


def test_ignored_resources() -> None:
    """ignoredResources and ignoredResourceGroups skip extended resources."""
    for args in (
        {"ignoredResources": ["example.com/gpu"]},
        {"ignoredResourceGroups": ["example.com"]},
    ):
        profile = default_profile(plugin_args={"NodeResourcesFit": args})
        harness = Harness(nodes=[NODE], profile=profile)
        assert harness.filter("NodeResourcesFit", make_pod("p", requests={"example.com/gpu": "5"}))[
            "n"
        ].is_success()


def test_least_allocated_score() -> None:
    """(capacity - requested) / capacity per resource, averaged; absent requests are defaults."""
    nodes = [make_node("empty", cpu="4", memory="8Gi"), make_node("busy", cpu="4", memory="8Gi")]
    pods = [make_pod("e", cpu="3", memory="6Gi", node_name="busy")]
    harness = Harness(nodes=nodes, pods=pods)
    # cpu (4000-1000)/4000=75, memory (8Gi-2Gi)/8Gi=75 → 75; busy: cpu 0, memory 0.
    assert harness.score("NodeResourcesFit", make_pod("p", cpu="1", memory="2Gi")) == {
        "empty": 75,
        "busy": 0,
    }
    # A best-effort pod counts as 100m / 200Mi.
    # empty: (4000-100)*100//4000 = 97 for both; busy: 900/4000 → 22, 1848Mi/8Gi → 22.
    assert harness.score("NodeResourcesFit", make_pod("p")) == {"empty": 97, "busy": 22}


def test_most_allocated_and_unsupported_strategy() -> None:
    """MostAllocated prefers the fuller node; RequestedToCapacityRatio is rejected loudly."""
    args = {"scoringStrategy": {"type": "MostAllocated"}}
    nodes = [make_node("empty", cpu="4", memory="8Gi"), make_node("busy", cpu="4", memory="8Gi")]
    pods = [make_pod("e", cpu="2", memory="4Gi", node_name="busy")]
    harness = Harness(
        nodes=nodes, pods=pods, profile=default_profile(plugin_args={"NodeResourcesFit": args})
    )
    assert harness.score("NodeResourcesFit", make_pod("p", cpu="1", memory="2Gi")) == {
        "empty": 25,
        "busy": 75,
    }
    bad = {"NodeResourcesFit": {"scoringStrategy": {"type": "RequestedToCapacityRatio"}}}
    with pytest.raises(FrameworkError, match="RequestedToCapacityRatio is not supported"):
        new_scheduler(profile=default_profile(plugin_args=bad))


def test_balanced_allocation_score() -> None:
    """1 - std of the cpu and memory fractions, with actual requests."""
    nodes = [make_node("n1", cpu="4", memory="4Gi"), make_node("n2", cpu="4", memory="4Gi")]
    pods = [make_pod("e", cpu="2", node_name="n2")]
    scores = Harness(nodes=nodes, pods=pods).score(
        "NodeResourcesBalancedAllocation", make_pod("p", cpu="1", memory="1Gi")
    )
    # n1: 0.25 and 0.25 → 100; n2: 0.75 and 0.25 → std 0.25 → 75.
    assert scores == {"n1": 100, "n2": 75}


def test_hints() -> None:
    """A bound pod's deletion, a node that fits, or more allocatable queue the pod."""
    pod = make_pod("p", cpu="2")
    bound, pending = make_pod("b", node_name="n"), make_pod("q")
    assert node_resources_fit._assigned_pod_deleted(pod, bound, None) is QueueingHint.QUEUE
    assert node_resources_fit._assigned_pod_deleted(pod, pending, None) is QueueingHint.SKIP
    small, large = make_node("n", cpu="1"), make_node("n", cpu="4")
    assert node_resources_fit._node_may_fit(pod, None, large) is QueueingHint.QUEUE
    assert node_resources_fit._node_may_fit(pod, None, small) is QueueingHint.SKIP
    assert node_resources_fit._node_may_fit(pod, small, large) is QueueingHint.QUEUE
    assert (
        node_resources_fit._node_may_fit(pod, large, make_node("n", cpu="4", memory="1Gi"))
        is QueueingHint.SKIP
    )
