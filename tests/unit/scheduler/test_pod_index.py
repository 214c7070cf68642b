"""The snapshot's pod label index counts what a naive walk over every node's pods counts.

A random cluster changes through the cache (pods bound, assumed, forgotten, relabelled,
deleted, marked terminating, moved; nodes removed while pods remain, as ghosts), and
after each round of changes the snapshot's index is compared, for many selectors, with
a recount over the snapshot's NodeInfos.
"""

from __future__ import annotations

import random

import pytest

from kubeling.api.labels import (
    Selector,
    everything,
    label_selector_as_selector,
    nothing,
)
from kubeling.scheduler.cache import Cache
from kubeling.scheduler.framework.pod_index import PodLabelIndex
from kubeling.scheduler.framework.snapshot import Snapshot
from kubeling.scheduler.framework.types import NodeInfo, PodInfo

from .fakes import ZONE, make_node, make_pod

NAMESPACES = ("default", "other")
APPS = ("web", "db", "cache")
TIERS = ("front", "back")

SELECTORS: list[Selector] = [
    label_selector_as_selector({"matchLabels": {"app": "web"}}),
    label_selector_as_selector({"matchLabels": {"app": "db", "tier": "back"}}),
    label_selector_as_selector(
        {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "cache"]}]}
    ),
    label_selector_as_selector(
        {
            "matchLabels": {"tier": "front"},
            "matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}],
        }
    ),
    label_selector_as_selector({"matchLabels": {"app": "none-has-this"}}),
]
# Selectors without an equality requirement: the index leaves them to the caller.
UNINDEXED: list[Selector] = [
    everything(),
    label_selector_as_selector({"matchExpressions": [{"key": "app", "operator": "Exists"}]}),
    label_selector_as_selector(
        {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["back"]}]}
    ),
]


def _naive(snapshot: Snapshot, selector: Selector, namespace: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name, info in snapshot.node_info_map.items():
        count = sum(
            1
            for pod in info.pods
            if not pod.deleting and pod.namespace == namespace and selector.matches(pod.labels)
        )
        if count:
            counts[name] = count
    return counts


def _random_pod(rng: random.Random, index: int, node: str) -> PodInfo:
    labels = {"app": rng.choice(APPS)}
    if rng.random() < 0.7:
        labels["tier"] = rng.choice(TIERS)
    pod = make_pod(
        f"p{index}", namespace=rng.choice(NAMESPACES), labels=labels, node_name=node, cpu="10m"
    )
    if rng.random() < 0.1:
        pod["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    return PodInfo(pod)


def _check(snapshot: Snapshot) -> None:
    for namespace in NAMESPACES:
        for selector in SELECTORS:
            assert snapshot.pod_index.counts_by_node(selector, namespace) == _naive(
                snapshot, selector, namespace
            ), (selector, namespace)
        for selector in UNINDEXED:
            assert snapshot.pod_index.counts_by_node(selector, namespace) is None
        assert snapshot.pod_index.counts_by_node(nothing(), namespace) == {}


@pytest.mark.parametrize("seed", range(5))
def test_index_equals_a_recount_through_cache_changes(seed: int) -> None:
    """Random changes through the cache; after each round the index equals a recount."""
    rng = random.Random(seed)
    cache = Cache()
    names = [f"n{i}" for i in range(12)]
    for i, name in enumerate(names):
        cache.add_node(make_node(name, labels={ZONE: f"z{i % 3}"}))
    snapshot = Snapshot()
    placed: dict[str, PodInfo] = {}
    assumed: set[str] = set()
    counter = 0
    for _ in range(40):
        for _ in range(rng.randint(1, 8)):
            action = rng.random()
            if action < 0.45 or not placed:
                counter += 1
                pod = _random_pod(rng, counter, rng.choice(names))
                if rng.random() < 0.3:
                    cache.assume_pod(pod, pod.node_name)
                    assumed.add(pod.key)
                else:
                    cache.add_pod(pod)
                placed[pod.key] = pod
                continue
            key = rng.choice(sorted(placed))
            pod = placed[key]
            if action < 0.6:  # removed (or its assumption forgotten)
                if key in assumed:
                    cache.forget_pod(key)
                    assumed.discard(key)
                else:
                    cache.remove_pod(key)
                del placed[key]
            elif action < 0.8 and key not in assumed:  # relabelled or moved
                raw = make_pod(
                    pod.name,
                    namespace=pod.namespace,
                    labels={"app": rng.choice(APPS), "tier": rng.choice(TIERS)},
                    node_name=rng.choice(names),
                    cpu="10m",
                )
                changed = PodInfo(raw)
                cache.update_pod(changed)
                placed[key] = changed
            elif action < 0.9 and key in assumed:  # the API confirms the assumption
                cache.add_pod(pod)
                assumed.discard(key)
            else:  # a node goes (its pods stay, on a ghost NodeInfo) or comes back
                name = rng.choice(names)
                if cache.node_count() > 6:
                    cache.remove_node(make_node(name))
                else:
                    cache.add_node(make_node(name, labels={ZONE: "z0"}))
        cache.update_snapshot(snapshot)
        _check(snapshot)


def test_snapshot_built_from_nodes_is_indexed() -> None:
    """``Snapshot(nodes)`` (tests, preemption's copies) indexes the pods it is given."""
    rng = random.Random(7)
    infos = []
    for i in range(5):
        info = NodeInfo(make_node(f"n{i}"))
        for j in range(6):
            info.add_pod(_random_pod(rng, i * 10 + j, info.name))
        infos.append(info)
    _check(Snapshot(infos))


def test_replace_relists_only_the_pods_that_changed() -> None:
    """Pods kept across a replace stay listed once; gone ones are unlisted."""
    index = PodLabelIndex()
    web = PodInfo(make_pod("a", labels={"app": "web"}, node_name="n"))
    db = PodInfo(make_pod("b", labels={"app": "db"}, node_name="n"))
    web2 = PodInfo(make_pod("c", labels={"app": "web"}, node_name="n"))
    index.add("n", [web, db])
    index.replace("n", [web, db], [web, web2])
    selector = label_selector_as_selector({"matchLabels": {"app": "web"}})
    assert index.counts_by_node(selector, "default") == {"n": 2}
    assert len(index) == 2
    index.remove("n", [web, web2])
    assert len(index) == 0
