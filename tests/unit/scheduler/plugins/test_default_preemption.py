"""DefaultPreemption: victim selection, PDBs, candidate choice and eligibility."""

from __future__ import annotations

from typing import Any

from kubeling.scheduler.framework.cycle_state import CycleState
from kubeling.scheduler.framework.status import Code, Status
from kubeling.scheduler.framework.types import PodInfo
from kubeling.scheduler.plugins.default_preemption import (
    NOT_ELIGIBLE_POLICY,
    NOT_ELIGIBLE_TERMINATING,
    Candidate,
    DefaultPreemption,
    _split_by_budget,
    more_important,
)

from ..fakes import Harness, make_node, make_pod


def _plugin(harness: Harness) -> DefaultPreemption:
    plugin = harness.plugin("DefaultPreemption")
    assert isinstance(plugin, DefaultPreemption)
    return plugin


def _victims(
    node_pods: list[dict[str, Any]], incoming: dict[str, Any], cpu: str = "4"
) -> tuple[list[str], Status]:
    harness = Harness(nodes=[make_node("n", cpu=cpu)], pods=node_pods)
    scheduler = harness.scheduler
    pod = PodInfo(incoming)
    state = CycleState()
    _, status, _ = scheduler.framework.run_pre_filter_plugins(state, pod)
    assert status.is_success()
    node = scheduler.snapshot.list()[0].clone()
    victims, _, status = _plugin(harness).select_victims_on_node(state, pod, node, [])
    return [v.name for v in victims], status


def test_fewest_victims_lowest_priority_first() -> None:
    """Lower-priority pods are removed, then the most important are given back."""
    pods = [
        make_pod("p10", cpu="1", priority=10, node_name="n"),
        make_pod("p5", cpu="1", priority=5, node_name="n"),
        make_pod("p1", cpu="1", priority=1, node_name="n"),
        make_pod("p100", cpu="1", priority=100, node_name="n"),
    ]
    victims, status = _victims(pods, make_pod("new", cpu="2", priority=50))
    assert status.is_success()
    assert victims == ["p5", "p1"]


def test_no_lower_priority_pods() -> None:
    """Equal-priority pods are not victims: the node says so, unresolvably."""
    victims, status = _victims(
        [make_pod("same", cpu="4", priority=5, node_name="n")], make_pod("new", cpu="1", priority=5)
    )
    assert victims == []
    assert status.code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert status.reasons == ("No preemption victims found for incoming pod",)


def test_does_not_fit_even_without_victims() -> None:
    """Evicting everyone lower would not be enough: the filter's reason is reported."""
    pods = [make_pod("low", cpu="1", priority=0, node_name="n")]
    victims, status = _victims(pods, make_pod("huge", cpu="8", priority=9))
    assert victims == []
    assert status.reasons == ("Insufficient cpu",)


def test_pdb_violations_are_reprieved_first() -> None:
    """Pods protected by a budget are given back before unprotected ones."""
    a = PodInfo(make_pod("a", labels={"app": "db"}, priority=1))
    b = PodInfo(make_pod("b", labels={"app": "db"}, priority=1))
    c = PodInfo(make_pod("c", labels={"app": "web"}, priority=1))
    pdb = {
        "metadata": {"name": "db", "namespace": "default"},
        "spec": {"selector": {"matchLabels": {"app": "db"}}},
        "status": {"disruptionsAllowed": 1, "disruptedPods": {}},
    }
    violating, respecting = _split_by_budget([a, b, c], [pdb])
    assert [p.name for p in violating] == ["b"]
    assert [p.name for p in respecting] == ["a", "c"]


def test_more_important() -> None:
    """Priority first, then the earlier start time; a missing start counts as now."""
    early = PodInfo(make_pod("e", priority=1, status={"startTime": "2024-01-01T00:00:00Z"}))
    late = PodInfo(make_pod("l", priority=1, status={"startTime": "2024-06-01T00:00:00Z"}))
    unstarted = PodInfo(make_pod("u", priority=1))
    high = PodInfo(make_pod("h", priority=2))
    assert more_important(high, early)
    assert more_important(early, late)
    assert more_important(late, unstarted)


def test_select_candidate() -> None:
    """Fewest PDB violations, then lowest top priority, sum, count, latest start."""
    plugin = _plugin(Harness())

    def victim(priority: int, start: str = "2024-01-01T00:00:00Z") -> PodInfo:
        return PodInfo(
            make_pod(f"v{priority}{start}", priority=priority, status={"startTime": start})
        )

    pick = plugin.select_candidate
    assert pick([Candidate("a", (victim(1),), 1), Candidate("b", (victim(9),), 0)]).node_name == "b"
    assert (
        pick([Candidate("a", (victim(5),), 0), Candidate("b", (victim(3), victim(3)), 0)]).node_name
        == "b"
    )
    assert (
        pick(
            [Candidate("a", (victim(3), victim(2)), 0), Candidate("b", (victim(3), victim(1)), 0)]
        ).node_name
        == "b"
    )
    assert (
        pick(
            [Candidate("a", (victim(3), victim(-5)), 0), Candidate("b", (victim(3),), 0)]
        ).node_name
        == "b"
    )
    newer = "2024-02-01T00:00:00Z"
    assert (
        pick([Candidate("a", (victim(3),), 0), Candidate("b", (victim(3, newer),), 0)]).node_name
        == "b"
    )


def test_eligibility() -> None:
    """preemptionPolicy Never, and a victim still terminating on the nominated node."""
    terminating = make_pod(
        "leaving",
        node_name="n",
        status={
            "conditions": [
                {"type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler"}
            ]
        },
    )
    terminating["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    plugin = _plugin(Harness(nodes=[make_node("n")], pods=[terminating]))
    never = PodInfo(make_pod("p", priority=5, spec={"preemptionPolicy": "Never"}))
    assert plugin.eligible(never, Status()) == (False, NOT_ELIGIBLE_POLICY)
    waiting = PodInfo(make_pod("p", priority=5, status={"nominatedNodeName": "n"}))
    assert plugin.eligible(waiting, Status(Code.UNSCHEDULABLE)) == (False, NOT_ELIGIBLE_TERMINATING)
    assert plugin.eligible(waiting, Status(Code.UNSCHEDULABLE_AND_UNRESOLVABLE)) == (True, "")
