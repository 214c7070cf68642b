"""PodTopologySpread: skew filter, minDomains, inclusion policies, matchLabelKeys, scoring."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.scheduler.framework.objects import ObjectKind
from kubeling.scheduler.framework.status import Code
from kubeling.scheduler.plugins.pod_topology_spread import (
    ERR_REASON_CONSTRAINTS_NOT_MATCH,
    ERR_REASON_NODE_LABEL_NOT_MATCH,
)

from ..fakes import ZONE, Harness, make_node, make_pod, taint

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
