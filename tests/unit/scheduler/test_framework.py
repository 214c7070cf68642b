"""The framework runtime: extension point rules, weights, errors, permit, nominated pods."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from kubeling.scheduler.framework.cycle_state import CycleState
from kubeling.scheduler.framework.interfaces import Handle, Plugin
from kubeling.scheduler.framework.profile import PluginSpec, Profile
from kubeling.scheduler.framework.runtime import Framework, FrameworkError
from kubeling.scheduler.framework.status import Code, Status, success
from kubeling.scheduler.framework.types import NodeInfo, PodInfo, PreFilterResult
from kubeling.scheduler.plugins import node_resources_fit, priority_sort
from kubeling.scheduler.registry import IN_TREE
from kubeling.scheduler.scheduler import Scheduler

from .fakes import FakeClock, FakeCluster, make_node, make_pod


class Scripted:
    """A plugin whose answers come from its arguments."""

    def __init__(self, name: str, args: Mapping[str, Any]) -> None:
        self.name = name
        self.args = args
        self.filtered: list[str] = []

    def pre_filter(self, state: CycleState, pod: PodInfo) -> tuple[PreFilterResult | None, Status]:
        names = self.args.get("nodes")
        result = PreFilterResult(frozenset(names)) if names is not None else None
        return result, self.args.get("pre_filter", success())

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status:
        self.filtered.append(node.name)
        if self.args.get("raise"):
            raise RuntimeError("boom")
        status: Status = self.args.get("filter", {}).get(node.name, success())
        return status

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> tuple[int, Status]:
        return int(self.args.get("scores", {}).get(node.name, 0)), success()

    def normalize_score(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo], scores: list[int]
    ) -> Status:
        factor = int(self.args.get("factor", 1))
        scores[:] = [score * factor for score in scores]
        return success()

    def permit(self, state: CycleState, pod: PodInfo, node_name: str) -> tuple[Status, float]:
        return self.args.get("permit", success()), float(self.args.get("timeout", 0))


def _factory(name: str) -> Any:
    def new(args: Mapping[str, Any], handle: Handle) -> Plugin:
        return Scripted(name, args)

    return new


REGISTRY = {**IN_TREE, "A": _factory("A"), "B": _factory("B")}


def _scheduler(args: Mapping[str, Mapping[str, Any]], *specs: PluginSpec) -> Scheduler:
    profile = Profile(plugins=(PluginSpec("PrioritySort"), *specs), plugin_args=args)
    cluster = FakeCluster()
    scheduler = Scheduler(
        effects=cluster.effects(), profile=profile, registry=REGISTRY, clock=FakeClock()
    )
    cluster.scheduler = scheduler
    for name in ("n1", "n2", "n3"):
        scheduler.on_node_add(make_node(name))
    scheduler.cache.update_snapshot(scheduler.snapshot)
    return scheduler


def _framework(args: Mapping[str, Mapping[str, Any]], *specs: PluginSpec) -> Framework:
    return _scheduler(args, *specs).framework


POD = PodInfo(make_pod("p"))


def test_profile_errors() -> None:
    """Unknown, duplicate, and missing queue-sort plugins are rejected when building."""
    cluster = FakeCluster()
    with pytest.raises(FrameworkError, match="'Nope' does not exist"):
        Scheduler(effects=cluster.effects(), profile=Profile(plugins=(PluginSpec("Nope"),)))
    with pytest.raises(FrameworkError, match="already registered"):
        Scheduler(
            effects=cluster.effects(), profile=Profile(plugins=(PluginSpec("PrioritySort"),) * 2)
        )
    with pytest.raises(FrameworkError, match="exactly one queue sort"):
        Scheduler(effects=cluster.effects(), profile=Profile(plugins=(PluginSpec("NodeName"),)))


def test_pre_filter_skip_disables_filter() -> None:
    """A PreFilter Skip means the plugin's Filter is not called this cycle."""
    framework = _framework(
        {"A": {"pre_filter": Status.skip(), "filter": {"n1": Status.unschedulable("no")}}},
        PluginSpec("A"),
    )
    state = CycleState()
    _, status, _ = framework.run_pre_filter_plugins(state, POD)
    assert status.is_success()
    assert framework.run_filter_plugins(state, POD, framework.snapshot.list()[0]).is_success()


def test_pre_filter_unschedulable_runs_the_rest_unresolvable_stops() -> None:
    """Unschedulable is remembered while later PreFilters run; unresolvable returns at once."""
    framework = _framework(
        {"A": {"pre_filter": Status.unschedulable("a says no")}, "B": {}},
        PluginSpec("A"),
        PluginSpec("B"),
    )
    _, status, _ = framework.run_pre_filter_plugins(CycleState(), POD)
    assert (status.code, status.plugin, status.message()) == (Code.UNSCHEDULABLE, "A", "a says no")
    framework = _framework({"A": {"pre_filter": Status.unresolvable("never")}}, PluginSpec("A"))
    _, status, _ = framework.run_pre_filter_plugins(CycleState(), POD)
    assert (status.code, status.plugin) == (Code.UNSCHEDULABLE_AND_UNRESOLVABLE, "A")


@pytest.mark.parametrize(
    ("a_nodes", "b_nodes", "message"),
    [
        ({"n1"}, {"n2"}, "node(s) didn't satisfy plugin(s) [A B] simultaneously"),
        (set(), None, "node(s) didn't satisfy plugin A"),
    ],
)
def test_pre_filter_results_intersect(
    a_nodes: set[str], b_nodes: set[str] | None, message: str
) -> None:
    """Restrictions intersect; an empty intersection rejects with upstream's message."""
    args: dict[str, Any] = {
        "A": {"nodes": a_nodes},
        "B": {} if b_nodes is None else {"nodes": b_nodes},
    }
    framework = _framework(args, PluginSpec("A"), PluginSpec("B"))
    _, status, _plugins = framework.run_pre_filter_plugins(CycleState(), POD)
    assert status.code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert status.message() == message


def test_filter_first_rejection_wins_and_errors_are_wrapped() -> None:
    """The first rejecting plugin decides and is named; an exception is an ERROR."""
    framework = _framework(
        {
            "A": {"filter": {"n1": Status.unschedulable("a")}},
            "B": {"filter": {"n1": Status.unschedulable("b")}},
        },
        PluginSpec("A"),
        PluginSpec("B"),
    )
    status = framework.run_filter_plugins(CycleState(), POD, framework.snapshot.list()[0])
    assert (status.plugin, status.reasons) == ("A", ("a",))
    framework = _framework({"A": {"raise": True}}, PluginSpec("A"))
    status = framework.run_filter_plugins(CycleState(), POD, framework.snapshot.list()[0])
    assert status.code is Code.ERROR
    assert status.plugin == "A"
    assert status.message() == 'running "A" filter plugin: boom'


def test_scores_are_normalized_weighted_and_checked() -> None:
    """Totals are the weighted sum of normalized scores; out-of-range scores are errors."""
    args: dict[str, dict[str, Any]] = {
        "A": {"scores": {"n1": 10, "n2": 50}, "factor": 2},
        "B": {"scores": {"n1": 30}},
    }
    framework = _framework(args, PluginSpec("A", 2), PluginSpec("B"))
    nodes = framework.snapshot.list()
    totals, status = framework.run_score_plugins(CycleState(), POD, nodes)
    assert status.is_success()
    assert dict(zip([n.name for n in nodes], totals, strict=True)) == {
        "n1": 10 * 2 * 2 + 30,
        "n2": 50 * 2 * 2,
        "n3": 0,
    }
    framework = _framework({"A": {"scores": {"n1": 60}, "factor": 2}}, PluginSpec("A"))
    _, status = framework.run_score_plugins(CycleState(), POD, framework.snapshot.list())
    assert status.code is Code.ERROR
    assert status.message() == (
        'plugin "A" returns an invalid score 120, '
        "it should in the range of [0, 100] after normalizing"
    )


async def test_permit_wait_allow_and_timeout() -> None:
    """Wait parks the pod until allowed; an unanswered wait times out as a rejection."""
    framework = _framework({"A": {"permit": Status(Code.WAIT), "timeout": 5}}, PluginSpec("A"))
    assert framework.run_permit_plugins(CycleState(), POD, "n1").is_wait()
    waiting = framework.waiting_pod(POD.key)
    assert waiting is not None
    waiting.allow("A")
    assert (await framework.wait_on_permit(POD)).is_success()
    framework = _framework({"A": {"permit": Status(Code.WAIT), "timeout": 0.01}}, PluginSpec("A"))
    framework.run_permit_plugins(CycleState(), POD, "n1")
    status = await framework.wait_on_permit(POD)
    assert status.code is Code.UNSCHEDULABLE
    assert status.message() == "rejected due to timeout after waiting 0.01s at plugin A"
    await asyncio.sleep(0)


def test_nominated_pods_are_counted_for_equal_or_lower_priority_pods() -> None:
    """A higher-priority pod nominated to a node takes its room from others' view."""
    scheduler = _scheduler({}, PluginSpec("NodeResourcesFit"))
    framework = scheduler.framework
    nominated = PodInfo(make_pod("vip", cpu="4", priority=100))
    scheduler.nominator.add(nominated, "n1")
    node = framework.snapshot.get("n1")
    assert node is not None
    low = PodInfo(make_pod("low", cpu="1", priority=1))
    status = framework.run_filter_plugins_with_nominated_pods(CycleState(), low, node)
    assert status.reasons == ("Insufficient cpu",)
    higher = PodInfo(make_pod("higher", cpu="1", priority=1000))
    assert framework.run_filter_plugins_with_nominated_pods(CycleState(), higher, node).is_success()
    assert priority_sort.NAME == "PrioritySort"
    assert node_resources_fit.NAME in framework.plugins
