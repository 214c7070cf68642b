"""The DaemonSet controller's decisions: eligibility, per-node plans, rollouts, status."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from kubeling.controllers.daemonset.nodes import (
    FailedPodBackoff,
    by_age,
    daemon_status,
    plan_node,
    unscheduled_pods_without_node,
)
from kubeling.controllers.daemonset.placement import (
    DAEMON_TOLERATIONS,
    add_daemon_tolerations,
    pod_template,
    replace_node_affinity,
    should_run,
    target_node,
    template_generation,
)
from kubeling.controllers.daemonset.rollout import (
    allows_surge,
    find_updated_pods,
    plan_rollout,
    surge_count,
    unavailable_count,
)

Obj = dict[str, Any]
NOW = datetime.datetime(2025, 1, 1, 12, tzinfo=datetime.UTC)


def _ds(**template_spec: Any) -> Obj:
    return {
        "metadata": {"name": "agent", "annotations": {}},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {
                "metadata": {"labels": {"app": "agent"}},
                "spec": {"containers": [{"name": "c", "image": "a"}], **template_spec},
            },
            "updateStrategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
            },
        },
    }


def _node(name: str = "n1", *, labels: Obj | None = None, taints: list[Obj] | None = None) -> Obj:
    return {
        "metadata": {"name": name, "labels": labels or {"role": "worker"}},
        "spec": {"taints": taints or []},
    }


# -- eligibility -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template_spec", "node", "expected"),
    [
        ({}, _node(), (True, True)),
        ({"nodeSelector": {"role": "worker"}}, _node(), (True, True)),
        ({"nodeSelector": {"role": "db"}}, _node(), (False, False)),
        ({"nodeName": "n2"}, _node(), (False, False)),
        ({"nodeName": "n1"}, _node(), (True, True)),
        (
            {
                "affinity": {
                    "nodeAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": {
                            "nodeSelectorTerms": [
                                {
                                    "matchFields": [
                                        {"key": "metadata.name", "operator": "In", "values": ["n9"]}
                                    ]
                                }
                            ]
                        }
                    }
                }
            },
            _node(),
            (False, False),
        ),
        # An untolerated NoSchedule taint: no new pod, but one already there may stay.
        ({}, _node(taints=[{"key": "dedicated", "effect": "NoSchedule"}]), (False, True)),
        # An untolerated NoExecute taint: no pod at all.
        ({}, _node(taints=[{"key": "evict", "effect": "NoExecute"}]), (False, False)),
        # PreferNoSchedule never keeps a daemon away.
        ({}, _node(taints=[{"key": "soft", "effect": "PreferNoSchedule"}]), (True, True)),
        (
            {"tolerations": [{"key": "dedicated", "operator": "Exists"}]},
            _node(taints=[{"key": "dedicated", "effect": "NoSchedule"}]),
            (True, True),
        ),
        # The daemon tolerations are always added...
        (
            {},
            _node(taints=[{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}]),
            (True, True),
        ),
        (
            {},
            _node(taints=[{"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"}]),
            (True, True),
        ),
        # ...network-unavailable only for host-network pods.
        (
            {},
            _node(
                taints=[{"key": "node.kubernetes.io/network-unavailable", "effect": "NoSchedule"}]
            ),
            (False, True),
        ),
        (
            {"hostNetwork": True},
            _node(
                taints=[{"key": "node.kubernetes.io/network-unavailable", "effect": "NoSchedule"}]
            ),
            (True, True),
        ),
    ],
)
def test_should_run(template_spec: Obj, node: Obj, expected: tuple[bool, bool]) -> None:
    """(should a pod start here, may a pod here keep running)."""
    assert should_run(node, _ds(**template_spec)) == expected


def test_daemon_tolerations_replace_their_twins() -> None:
    """The same toleration with tolerationSeconds is replaced by the unbounded one; others
    stay, in order."""
    own = {"key": "x", "operator": "Exists"}
    bounded = {
        "key": "node.kubernetes.io/unreachable",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 300,
    }
    spec: Obj = {"tolerations": [own, bounded]}
    add_daemon_tolerations(spec)
    assert spec["tolerations"][0] == own
    assert spec["tolerations"][1] == DAEMON_TOLERATIONS[1]
    assert len(spec["tolerations"]) == 1 + len(DAEMON_TOLERATIONS)


def test_the_pod_made_for_a_node() -> None:
    """Generation and hash labels, daemon tolerations; node affinity for that node only,
    other affinity kept."""
    ds = _ds(
        affinity={
            "podAntiAffinity": {"x": 1},
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{}]},
                "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1}],
            },
        }
    )
    ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = "3"
    template = pod_template(ds["spec"]["template"], template_generation(ds), "abc")
    assert template["metadata"]["labels"] == {
        "app": "agent",
        "pod-template-generation": "3",
        "controller-revision-hash": "abc",
    }
    assert template["spec"]["tolerations"] == list(DAEMON_TOLERATIONS)
    assert "tolerations" not in ds["spec"]["template"]["spec"]  # the set is untouched
    affinity = replace_node_affinity(template["spec"]["affinity"], "n7")
    required = affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert required == {
        "nodeSelectorTerms": [
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n7"]}]}
        ]
    }
    assert affinity["podAntiAffinity"] == {"x": 1}
    assert affinity["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    assert target_node({"spec": {"affinity": affinity}}) == "n7"
    assert target_node({"spec": {"nodeName": "n1", "affinity": affinity}}) == "n1"
    assert target_node({"spec": {}}) is None
    assert replace_node_affinity(None, "n1")["nodeAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"
    ]["nodeSelectorTerms"][0]["matchFields"][0]["values"] == ["n1"]


@pytest.mark.parametrize(("annotation", "generation"), [("4", 4), ("x", None), (None, None)])
def test_template_generation(annotation: str | None, generation: int | None) -> None:
    """The annotation apps/v1 keeps the generation in."""
    ds = _ds()
    if annotation is not None:
        ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = annotation
    assert template_generation(ds) == generation


# -- pods -----------------------------------------------------------------------------


def _pod(
    name: str,
    node: str = "n1",
    *,
    hash_: str = "new",
    ready: bool = True,
    phase: str = "Running",
    created: int = 0,
    since: int = 3600,
) -> Obj:
    moment = NOW - datetime.timedelta(seconds=since)
    conditions = [
        {
            "type": "Ready",
            "status": "True" if ready else "False",
            "lastTransitionTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    ]
    return {
        "metadata": {
            "name": name,
            "namespace": "ns",
            "labels": {"app": "agent", "controller-revision-hash": hash_},
            "creationTimestamp": f"2025-01-01T00:00:{created:02d}Z",
        },
        "spec": {"nodeName": node},
        "status": {"phase": phase, "conditions": conditions},
    }


def _plan(pods: list[Obj] | None, **kwargs: Any) -> Any:
    options: dict[str, Any] = {
        "should_run": True,
        "should_continue": True,
        "surge": False,
        "hash_": "new",
        "min_ready_seconds": 0,
        "now": NOW,
        "backoff": FailedPodBackoff(),
        "backoff_key": "uid/1/n1",
        "clock": 100.0,
    }
    options.update(kwargs)
    return plan_node("n1", pods, **options)


def test_a_node_without_its_pod_gets_one() -> None:
    plan = _plan(None)
    assert plan.create
    assert not plan.delete


def test_a_node_that_should_not_run_the_pod_loses_it() -> None:
    plan = _plan([_pod("a"), _pod("b")], should_run=False, should_continue=False)
    assert plan.delete == ["a", "b"]
    assert not plan.create


def test_extra_pods_go_and_the_oldest_stays() -> None:
    plan = _plan([_pod("young", created=5), _pod("old", created=1)])
    assert plan.delete == ["young"]


def test_pods_rank_bound_first_then_oldest_then_by_name() -> None:
    """podByCreationTimestampAndPhase: the first of the list is the pod that stays."""
    unbound_old = _pod("u", created=0)
    unbound_old["spec"] = {}
    pods = [_pod("c", created=2), unbound_old, _pod("b", created=1), _pod("a", created=2)]
    assert [p["metadata"]["name"] for p in sorted(pods, key=by_age)] == ["b", "a", "c", "u"]


def test_failed_pods_are_deleted_with_a_back_off() -> None:
    """A failed pod is deleted with a warning; another failure soon after waits."""
    backoff = FailedPodBackoff()
    plan = _plan([_pod("a", phase="Failed")], backoff=backoff, clock=100.0)
    assert plan.delete == ["a"]
    [(event_type, reason, message)] = plan.events
    assert (event_type, reason) == ("Warning", "FailedDaemonPod")
    assert message == "Found failed daemon pod ns/a on node n1, will try to kill it"
    plan = _plan([_pod("b", phase="Failed")], backoff=backoff, clock=100.5)
    assert not plan.delete
    assert plan.requeue_after == 1.0
    plan = _plan([_pod("b", phase="Failed")], backoff=backoff, clock=101.5)
    assert plan.delete == ["b"]
    assert backoff.delay("uid/1/n1") == 2.0


def test_succeeded_pods_are_deleted() -> None:
    plan = _plan([_pod("a", phase="Succeeded")])
    assert plan.delete == ["a"]
    assert plan.events[0][1] == "SucceededDaemonPod"


def test_with_surge_an_old_and_a_new_pod_may_share_a_node() -> None:
    """The old one goes once the new one is available (or the old one is not ready)."""
    old, new = _pod("old", hash_="old", created=1), _pod("new", ready=False, created=2)
    assert _plan([old, new], surge=True).delete == []
    new_ready = _pod("new", created=2)
    assert _plan([old, new_ready], surge=True).delete == ["old"]
    not_ready_old = _pod("old", hash_="old", created=1, ready=False)
    assert _plan([not_ready_old, new], surge=True).delete == ["old"]
    third = _pod("third", created=3)
    assert "third" in _plan([old, new, third], surge=True).delete


def test_backoff_doubles_and_forgets() -> None:
    backoff = FailedPodBackoff(initial=1, maximum=4)
    for clock, delay in ((0, 1), (1, 2), (3, 4), (7, 4)):
        backoff.next("k", clock)
        assert backoff.delay("k") == delay
    assert backoff.in_backoff("k", 8)
    assert not backoff.in_backoff("k", 11)
    backoff.gc(100)
    assert backoff.delay("k") == 0


def test_unscheduled_pods_of_vanished_nodes() -> None:
    """Only pods not bound yet, and only for nodes that are gone."""
    waiting = {"metadata": {"name": "w"}, "spec": {}}
    bound = {"metadata": {"name": "b"}, "spec": {"nodeName": "gone"}}
    here = {"metadata": {"name": "h"}, "spec": {}}
    pods = {"gone": [waiting, bound], "n1": [here]}
    assert unscheduled_pods_without_node({"n1"}, pods) == ["w"]


def test_status_counts_the_oldest_pod_on_each_node() -> None:
    status = daemon_status(
        [("n1", True), ("n2", True), ("n3", True), ("n4", False)],
        {
            "n1": [_pod("a", hash_="new")],
            "n2": [_pod("b", "n2", hash_="old", ready=False)],
            "n4": [_pod("c", "n4")],
        },
        hash_="new",
        generation=None,
        min_ready_seconds=0,
        now=NOW,
    )
    assert (
        status.desired_number_scheduled,
        status.current_number_scheduled,
        status.number_misscheduled,
        status.number_ready,
        status.number_available,
        status.updated_number_scheduled,
        status.number_unavailable,
    ) == (3, 2, 1, 1, 1, 1, 2)


def test_availability_waits_for_min_ready_seconds() -> None:
    status = daemon_status(
        [("n1", True)],
        {"n1": [_pod("a", since=5)]},
        hash_="new",
        generation=None,
        min_ready_seconds=10,
        now=NOW,
    )
    assert (status.number_ready, status.number_available) == (1, 0)


# -- rolling updates ---------------------------------------------------------------------


def _rolling(max_unavailable: object = 1, max_surge: object = 0) -> Obj:
    ds = _ds()
    ds["spec"]["updateStrategy"]["rollingUpdate"] = {
        "maxUnavailable": max_unavailable,
        "maxSurge": max_surge,
    }
    return ds


def test_counts_scale_with_the_nodes_rounding_up() -> None:
    assert unavailable_count(_rolling("10%"), 25) == 3
    assert surge_count(_rolling(0, "20%"), 11) == 3
    assert surge_count(_rolling(1, 0), 11) == 0
    assert allows_surge(_rolling(0, 1))
    assert not allows_surge(_rolling(1, 0))
    on_delete = _ds()
    on_delete["spec"]["updateStrategy"] = {"type": "OnDelete"}
    assert unavailable_count(on_delete, 10) == surge_count(on_delete, 10) == 0


def test_find_updated_pods_refuses_two_of_a_kind() -> None:
    new, old, ok = find_updated_pods([_pod("a"), _pod("b", hash_="old")], "new", None)
    assert (new is not None, old is not None, ok) == (True, True, True)
    assert find_updated_pods([_pod("a"), _pod("b")], "new", None)[2] is False
    by_generation = _pod("g", hash_="old")
    by_generation["metadata"]["labels"]["pod-template-generation"] = "2"
    assert find_updated_pods([by_generation], "new", 2)[0] is by_generation


def _plan_rollout(node_pods: dict[str, list[Obj]], **kwargs: Any) -> Any:
    options: dict[str, Any] = {
        "hash_": "new",
        "generation": None,
        "max_surge": 0,
        "max_unavailable": 1,
        "desired": len(node_pods),
        "min_ready_seconds": 0,
        "now": NOW,
        "should_run": lambda node: True,
    }
    options.update(kwargs)
    return plan_rollout(node_pods, **options)


def test_without_surge_old_pods_go_within_the_unavailable_budget() -> None:
    """Deletions fill maxUnavailable minus what is already unavailable."""
    pods = {f"n{i}": [_pod(f"old-{i}", f"n{i}", hash_="old")] for i in range(4)}
    assert _plan_rollout(pods).delete == ["old-0"]
    assert _plan_rollout(pods, max_unavailable=3).delete == ["old-0", "old-1", "old-2"]
    # One node is waiting for its new pod: the budget is spent.
    waiting = dict(pods, n0=[_pod("new-0", "n0", ready=False)])
    assert _plan_rollout(waiting).delete == []
    # A node with no pod at all counts as unavailable too.
    empty = dict(pods, n0=[])
    assert _plan_rollout(empty).delete == []
    # An unavailable old pod is replaced whatever the budget.
    broken = dict(waiting, n3=[_pod("old-3", "n3", hash_="old", ready=False)])
    assert _plan_rollout(broken).delete == ["old-3"]


def test_with_surge_new_pods_come_first() -> None:
    """New pods beside old ones up to maxSurge; an old pod goes once its new one is
    available."""
    pods = {f"n{i}": [_pod(f"old-{i}", f"n{i}", hash_="old")] for i in range(3)}
    plan = _plan_rollout(pods, max_surge=1, max_unavailable=0)
    assert (plan.create, plan.delete) == (["n0"], [])
    surging = dict(pods, n0=[pods["n0"][0], _pod("new-0", "n0", ready=False)])
    plan = _plan_rollout(surging, max_surge=1, max_unavailable=0)
    assert (plan.create, plan.delete) == ([], [])
    ready = dict(pods, n0=[pods["n0"][0], _pod("new-0", "n0")])
    plan = _plan_rollout(ready, max_surge=1, max_unavailable=0)
    assert (plan.create, plan.delete) == (["n1"], ["old-0"])


def test_with_surge_pods_on_unwanted_nodes_go_only_when_enough_are_available() -> None:
    """An old pod on a node the set no longer wants is deleted only while the available
    pods exceed the desired number."""
    pods = {
        "n0": [_pod("old-0", "n0", hash_="old")],
        "n1": [_pod("new-1", "n1")],
    }
    unwanted = {"n0"}
    plan = _plan_rollout(
        pods, max_surge=1, max_unavailable=0, desired=2, should_run=lambda n: n not in unwanted
    )
    assert plan.delete == []
    plan = _plan_rollout(
        pods, max_surge=1, max_unavailable=0, desired=1, should_run=lambda n: n not in unwanted
    )
    assert plan.delete == ["old-0"]
