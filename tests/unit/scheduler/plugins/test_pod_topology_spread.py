"""PodTopologySpread: skew filter, minDomains, inclusion policies, matchLabelKeys, scoring."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from kubeling.scheduler.framework.cycle_state import CycleState
from kubeling.scheduler.framework.objects import ObjectKind
from kubeling.scheduler.framework.status import Code
from kubeling.scheduler.framework.types import NodeInfo, PodInfo
from kubeling.scheduler.plugins.pod_topology_spread import (
    ERR_REASON_CONSTRAINTS_NOT_MATCH,
    ERR_REASON_NODE_LABEL_NOT_MATCH,
    PodTopologySpread,
)

from ..fakes import HOSTNAME, ZONE, Harness, make_node, make_pod, taint

WEB = {"app": "web"}


def _constraint(**overrides: Any) -> dict[str, Any]:
    constraint: dict[str, Any] = {
        "maxSkew": 1,
        "topologyKey": ZONE,
        "whenUnsatisfiable": "DoNotSchedule",
        "labelSelector": {"matchLabels": WEB},
    }
    constraint.update(overrides)
    return constraint


def _web(
    name: str, node: str | None = None, labels: dict[str, str] | None = None, **spec: Any
) -> dict[str, Any]:
    return make_pod(name, labels=labels or WEB, node_name=node, spec=spec)


def _fitting(statuses: dict[str, Any]) -> set[str]:
    return {name for name, status in statuses.items() if status.is_success()}


def test_skew_and_missing_label() -> None:
    """Zone a holds 2, zone b 0: only b fits; a node without the key is unresolvable."""
    nodes = [
        make_node("a1", labels={ZONE: "a"}),
        make_node("a2", labels={ZONE: "a"}),
        make_node("b1", labels={ZONE: "b"}),
        make_node("bare"),
    ]
    pods = [_web("x", "a1"), _web("y", "a1"), make_pod("other", node_name="b1")]
    statuses = Harness(nodes=nodes, pods=pods).filter(
        "PodTopologySpread", _web("p", topologySpreadConstraints=[_constraint()])
    )
    assert _fitting(statuses) == {"b1"}
    assert statuses["a1"].code is Code.UNSCHEDULABLE
    assert statuses["a1"].reasons == (ERR_REASON_CONSTRAINTS_NOT_MATCH,)
    assert statuses["bare"].code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert statuses["bare"].reasons == (ERR_REASON_NODE_LABEL_NOT_MATCH,)


@pytest.mark.parametrize(("min_domains", "fitting"), [(None, {"a1", "b1"}), (3, set())])
def test_min_domains(min_domains: int | None, fitting: set[str]) -> None:
    """With fewer eligible domains than minDomains, the global minimum is 0."""
    nodes = [make_node("a1", labels={ZONE: "a"}), make_node("b1", labels={ZONE: "b"})]
    pods = [_web("x", "a1"), _web("y", "b1")]
    constraint = _constraint() if min_domains is None else _constraint(minDomains=min_domains)
    statuses = Harness(nodes=nodes, pods=pods).filter(
        "PodTopologySpread", _web("p", topologySpreadConstraints=[constraint])
    )
    assert _fitting(statuses) == fitting


@pytest.mark.parametrize(("policy", "fitting"), [("Honor", {"b1", "c1"}), ("Ignore", set())])
def test_node_affinity_policy(policy: str, fitting: set[str]) -> None:
    """Honor: a domain the pod cannot go to does not hold the minimum down."""
    nodes = [
        make_node("a1", labels={ZONE: "a"}),
        make_node("b1", labels={ZONE: "b", "pool": "x"}),
        make_node("c1", labels={ZONE: "c", "pool": "x"}),
    ]
    pods = [_web("y", "b1"), _web("z", "c1")]
    pod = _web(
        "p",
        nodeSelector={"pool": "x"},
        topologySpreadConstraints=[_constraint(nodeAffinityPolicy=policy)],
    )
    statuses = Harness(nodes=nodes, pods=pods).filter("PodTopologySpread", pod)
    assert _fitting(statuses) - {"a1"} == fitting


@pytest.mark.parametrize(("policy", "fitting"), [("Ignore", set()), ("Honor", {"b1", "c1"})])
def test_node_taints_policy(policy: str, fitting: set[str]) -> None:
    """Honor: a domain whose nodes the pod does not tolerate is not counted."""
    nodes = [
        make_node("a1", labels={ZONE: "a"}, taints=[taint("dedicated")]),
        make_node("b1", labels={ZONE: "b"}),
        make_node("c1", labels={ZONE: "c"}),
    ]
    pods = [_web("y", "b1"), _web("z", "c1")]
    pod = _web("p", topologySpreadConstraints=[_constraint(nodeTaintsPolicy=policy)])
    statuses = Harness(nodes=nodes, pods=pods).filter("PodTopologySpread", pod)
    assert _fitting(statuses) - {"a1"} == fitting


def test_match_label_keys() -> None:
    """matchLabelKeys narrows the selector to pods sharing the pod's value of the key."""
    nodes = [make_node("a1", labels={ZONE: "a"}), make_node("b1", labels={ZONE: "b"})]
    old = {"app": "web", "hash": "old"}
    pods = [_web("x", "a1", labels=old), _web("y", "a1", labels=old)]
    constraint = _constraint(matchLabelKeys=["hash"])
    pod = _web("p", labels={"app": "web", "hash": "new"}, topologySpreadConstraints=[constraint])
    assert _fitting(Harness(nodes=nodes, pods=pods).filter("PodTopologySpread", pod)) == {
        "a1",
        "b1",
    }
    without = _web(
        "p", labels={"app": "web", "hash": "new"}, topologySpreadConstraints=[_constraint()]
    )
    assert _fitting(Harness(nodes=nodes, pods=pods).filter("PodTopologySpread", without)) == {"b1"}


def test_other_namespaces_and_terminating_pods_do_not_count() -> None:
    """Only pods of the pod's namespace that are not being deleted count."""
    nodes = [make_node("a1", labels={ZONE: "a"}), make_node("b1", labels={ZONE: "b"})]
    elsewhere = make_pod("x", namespace="other", labels=WEB, node_name="a1")
    leaving = _web("y", "a1")
    leaving["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    pod = _web("p", topologySpreadConstraints=[_constraint(maxSkew=1)])
    assert _fitting(
        Harness(nodes=nodes, pods=[elsewhere, leaving]).filter("PodTopologySpread", pod)
    ) == {"a1", "b1"}


def test_skip_without_constraints() -> None:
    """No hard constraints and no defaults to apply: the filter is skipped."""
    harness = Harness(nodes=[make_node("bare")])
    assert harness.filter("PodTopologySpread", make_pod("p"))["bare"].is_success()


def test_score_prefers_emptier_domains() -> None:
    """ScheduleAnyway: count x log(domains + 2) + maxSkew - 1, normalized with fewest = 100."""
    nodes = [make_node(f"{z}1", labels={ZONE: z}) for z in "abc"]
    pods = [_web("x", "a1"), _web("y", "a1"), _web("z", "b1")]
    constraint = _constraint(whenUnsatisfiable="ScheduleAnyway")
    scores = Harness(nodes=nodes, pods=pods).score(
        "PodTopologySpread", _web("p", topologySpreadConstraints=[constraint])
    )
    assert scores == {"a1": 0, "b1": 33, "c1": 100}


def test_default_constraints_use_the_pods_service() -> None:
    """Without constraints, a Service selecting the pod turns on the system defaults."""
    nodes = [make_node("a1", labels={ZONE: "a"}), make_node("b1", labels={ZONE: "b"})]
    pods = [_web("x", "a1")]
    assert Harness(nodes=nodes, pods=pods).score("PodTopologySpread", _web("p")) == {}
    service = {"metadata": {"name": "web", "namespace": "default"}, "spec": {"selector": WEB}}
    harness = Harness(nodes=nodes, pods=pods, objects=[(ObjectKind.SERVICES, service)])
    scores = harness.score("PodTopologySpread", _web("p"))
    assert scores["b1"] == 100
    assert scores["a1"] < 100


def _random_spread_cluster(rng: random.Random) -> Harness:
    """Zoned nodes (some without a zone, some tainted or labelled), matching and other
    pods in two namespaces (some terminating), and the ReplicaSets owning some."""
    nodes = []
    for i in range(24):
        labels = {ZONE: f"z{i % 4}"} if rng.random() < 0.85 else {}
        if rng.random() < 0.5:
            labels["disk"] = "ssd"
        taints = [taint("dedicated")] if rng.random() < 0.2 else []
        nodes.append(make_node(f"n{i:02d}", labels=labels, taints=taints))
    pods = []
    for i in range(150):
        labels = {"app": rng.choice(("web", "db")), "tier": rng.choice(("front", "back"))}
        pod = make_pod(
            f"p{i}",
            namespace=rng.choice(("default", "default", "other")),
            labels=labels,
            node_name=rng.choice(nodes)["metadata"]["name"],
        )
        if rng.random() < 0.1:
            pod["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
        pods.append(pod)
    replica_set = {
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"selector": {"matchLabels": {"app": "web", "tier": "front"}}},
    }
    return Harness(nodes=nodes, pods=pods, objects=[(ObjectKind.REPLICA_SETS, replica_set)])


def _random_spread_pod(rng: random.Random) -> dict[str, Any]:
    labels = {"app": "web", "tier": rng.choice(("front", "back"))}
    if rng.random() < 0.3:  # no constraints: the system defaults, through its ReplicaSet
        owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "controller": True}
        return make_pod("new", labels={"app": "web", "tier": "front"}, owner=owner)
    selectors = [
        {"matchLabels": {"app": "web"}},
        {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front", "back"]}]},
        {"matchExpressions": [{"key": "app", "operator": "Exists"}]},  # not indexable
        {"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["db"]}]},
    ]
    constraints = []
    for key in rng.sample([ZONE, HOSTNAME], rng.randint(1, 2)):
        constraint = _constraint(
            topologyKey=key,
            maxSkew=rng.randint(1, 3),
            whenUnsatisfiable=rng.choice(("DoNotSchedule", "ScheduleAnyway")),
            labelSelector=rng.choice(selectors),
            nodeAffinityPolicy=rng.choice(("Honor", "Ignore")),
            nodeTaintsPolicy=rng.choice(("Honor", "Ignore")),
        )
        if rng.random() < 0.3:
            constraint["matchLabelKeys"] = ["tier"]
        constraints.append(constraint)
    spec: dict[str, Any] = {"topologySpreadConstraints": constraints}
    if rng.random() < 0.3:
        spec["nodeSelector"] = {"disk": "ssd"}
    return make_pod("new", labels=labels, spec=spec)


def _matching(pods: list[PodInfo], selector: Any, namespace: str) -> int:
    return sum(
        1
        for p in pods
        if not p.deleting and p.namespace == namespace and selector.matches(p.labels)
    )


def _reference_verdicts(plugin: PodTopologySpread, harness: Harness, info: PodInfo) -> object:
    """Upstream's PreFilter and Filter, walking every node's pods."""
    constraints = plugin._constraints(info, "DoNotSchedule")
    nodes = harness.scheduler.snapshot.list()
    if not constraints:
        return {node.name: () for node in nodes}
    counts: list[dict[str, int]] = [{} for _ in constraints]
    for node in nodes:
        if not all(c.topology_key in node.labels for c in constraints):
            continue
        for index, c in enumerate(constraints):
            if c.includes(info, node):
                value = node.labels[c.topology_key]
                matched = _matching(node.pods, c.selector, info.namespace)
                counts[index][value] = counts[index].get(value, 0) + matched
    verdicts: dict[str, tuple[str, ...]] = {}
    for node in nodes:
        verdicts[node.name] = ()
        for index, c in enumerate(constraints):
            if c.topology_key not in node.labels:
                verdicts[node.name] = (ERR_REASON_NODE_LABEL_NOT_MATCH,)
                break
            domains = counts[index]
            minimum = 0 if len(domains) < c.min_domains else min(domains.values(), default=0)
            own = 1 if c.selector.matches(info.labels) else 0
            if domains.get(node.labels[c.topology_key], 0) + own - minimum > c.max_skew:
                verdicts[node.name] = (ERR_REASON_CONSTRAINTS_NOT_MATCH,)
                break
    return verdicts


def _reference_raw_scores(
    plugin: PodTopologySpread, harness: Harness, info: PodInfo, nodes: list[NodeInfo]
) -> list[int] | None:
    """Upstream's PreScore and Score, walking every node's pods."""
    constraints = plugin._constraints(info, "ScheduleAnyway")
    if not constraints:
        return None
    require_all = bool(info.pod["spec"].get("topologySpreadConstraints"))

    def counted(node: NodeInfo) -> bool:
        return not require_all or all(c.topology_key in node.labels for c in constraints)

    ignored = {node.name for node in nodes if not counted(node)}
    weights = []
    domains: list[set[str]] = []
    for c in constraints:
        values = {node.labels.get(c.topology_key, "") for node in nodes if node.name not in ignored}
        domains.append(values)
        size = len(nodes) - len(ignored) if c.topology_key == HOSTNAME else len(values)
        weights.append(math.log(size + 2))
    counts: list[dict[str, int]] = [dict.fromkeys(values, 0) for values in domains]
    for node in harness.scheduler.snapshot.list():
        for index, c in enumerate(constraints):
            value = node.labels.get(c.topology_key, "")
            if counted(node) and c.includes(info, node) and value in counts[index]:
                counts[index][value] += _matching(node.pods, c.selector, info.namespace)
    raw = []
    for node in nodes:
        total = 0.0
        for index, c in enumerate(constraints):
            if node.name in ignored or c.topology_key not in node.labels:
                continue
            if c.topology_key == HOSTNAME:
                count = _matching(node.pods, c.selector, info.namespace)
            else:
                count = counts[index][node.labels[c.topology_key]]
            total += count * weights[index] + c.max_skew - 1
        raw.append(math.floor(total + 0.5))
    return raw


@pytest.mark.parametrize("seed", range(30))
def test_indexed_counts_decide_as_a_walk_over_every_node(seed: int) -> None:
    """Counting through the snapshot's label index gives the verdicts and raw scores of
    upstream's walk over every node's pods, over random clusters and constraints."""
    rng = random.Random(seed)
    harness = _random_spread_cluster(rng)
    plugin = harness.plugin("PodTopologySpread")
    assert isinstance(plugin, PodTopologySpread)
    for _ in range(5):
        pod = _random_spread_pod(rng)
        info = PodInfo(pod)
        assert harness.reasons("PodTopologySpread", pod) == _reference_verdicts(
            plugin, harness, info
        )
        nodes = harness.scheduler.snapshot.list()[: rng.randint(2, 24)]
        state = CycleState()
        status = plugin.pre_score(state, info, nodes)
        expected = _reference_raw_scores(plugin, harness, info, nodes)
        if expected is None:
            assert status.is_skip()
            continue
        assert status.is_success()
        assert plugin.score_nodes(state, info, nodes) == expected
        assert [plugin.score(state, info, node)[0] for node in nodes] == expected
