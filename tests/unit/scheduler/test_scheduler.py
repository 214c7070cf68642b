"""End to end, in memory: the Scheduler against a fake API, fake clock, fake recorder."""

from __future__ import annotations

import random

import pytest

from kubeling.scheduler.framework.objects import ObjectKind
from kubeling.scheduler.framework.profile import PluginSpec, Profile, default_profile
from kubeling.scheduler.registry import IN_TREE
from kubeling.scheduler.scheduler import Scheduler, num_feasible_nodes_to_find

from .fakes import ZONE, FakeClock, FakeCluster, make_node, make_pod, new_scheduler, taint

CONTROL_PLANE = "node-role.kubernetes.io/control-plane"


async def test_binds_a_pod_and_records_scheduled() -> None:
    """A fitting pod is bound through the binder and a Scheduled event is recorded."""
    scheduler, cluster, _ = new_scheduler()
    cluster.add_node(make_node("node-1"))
    cluster.add_pod(make_pod("web", cpu="500m"))
    assert await scheduler.schedule_pending() == 1
    assert cluster.binds == [("web", "node-1")]
    assert cluster.notes("Scheduled") == ["Successfully assigned default/web to node-1"]
    assert cluster.patches == []


async def test_failure_message_taints_and_cpu_exactly_as_kubernetes() -> None:
    """Reasons are counted per node, sorted, and followed by preemption's own verdict."""
    scheduler, cluster, _ = new_scheduler()
    cluster.add_node(make_node("cp", cpu="8", taints=[taint(CONTROL_PLANE)]))
    cluster.add_node(make_node("w1", cpu="1"))
    cluster.add_node(make_node("w2", cpu="1"))
    cluster.add_pod(make_pod("big", cpu="2"))
    await scheduler.schedule_pending()
    message = (
        "0/3 nodes are available: 1 node(s) had untolerated taint "
        "{node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. "
        "preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
        "2 No preemption victims found for incoming pod."
    )
    condition = cluster.condition("big")
    assert condition == {
        "type": "PodScheduled",
        "status": "False",
        "reason": "Unschedulable",
        "message": message,
        "lastProbeTime": None,
        "lastTransitionTime": "2024-01-01T00:16:40Z",
    }
    assert cluster.notes("FailedScheduling") == [message]
    assert scheduler.queue.unschedulable_keys() == ["uid-default-big"]


async def test_failure_message_when_preemption_cannot_help_anywhere() -> None:
    """Only unresolvable reasons: every node is 'not helpful' for preemption."""
    scheduler, cluster, _ = new_scheduler()
    for name in ("a", "b", "c"):
        cluster.add_node(make_node(name, taints=[taint(CONTROL_PLANE)]))
    cluster.add_pod(make_pod("p"))
    await scheduler.schedule_pending()
    assert cluster.notes("FailedScheduling") == [
        "0/3 nodes are available: 3 node(s) had untolerated taint "
        "{node-role.kubernetes.io/control-plane: }. preemption: 0/3 nodes are available: "
        "3 Preemption is not helpful for scheduling."
    ]


async def test_failure_message_with_prefilter_node_names() -> None:
    """A DaemonSet-style pod pinned by metadata.name: other nodes 'didn't satisfy plugin(s)'."""
    scheduler, cluster, _ = new_scheduler()
    for name in ("a", "b", "c"):
        cluster.add_node(make_node(name, cpu="1"))
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["a"]}]}
                ]
            }
        }
    }
    cluster.add_pod(make_pod("ds", cpu="2", spec={"affinity": affinity}))
    await scheduler.schedule_pending()
    assert cluster.notes("FailedScheduling") == [
        "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) "
        "[NodeAffinity]. preemption: 0/3 nodes are available: 1 No preemption victims found "
        "for incoming pod, 2 Preemption is not helpful for scheduling."
    ]


async def test_prefilter_rejection_message() -> None:
    """A PreFilter rejection is the whole reason; preemption finds nothing to do."""
    scheduler, cluster, _ = new_scheduler()
    cluster.add_node(make_node("a"))
    volume = {"name": "data", "persistentVolumeClaim": {"claimName": "missing"}}
    cluster.add_pod(make_pod("p", spec={"volumes": [volume]}))
    await scheduler.schedule_pending()
    assert cluster.notes("FailedScheduling") == [
        '0/1 nodes are available: persistentvolumeclaim "missing" not found. '
        "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
    ]


async def test_no_nodes() -> None:
    """Without nodes the pod is unschedulable with upstream's message, and retried."""
    scheduler, cluster, clock = new_scheduler()
    cluster.add_pod(make_pod("p"))
    await scheduler.schedule_pending()
    assert cluster.notes("FailedScheduling") == ["no nodes available to schedule pods"]
    condition = cluster.condition("p")
    assert condition is not None
    assert condition["reason"] == "Unschedulable"
    # No plugin rejected it: it waits out its back-off and is tried again.
    assert scheduler.queue.backoff_keys() == ["uid-default-p"]
    cluster.add_node(make_node("late"))
    clock.advance(1.0)
    scheduler.flush_backoff()
    await scheduler.schedule_pending()
    assert cluster.node_of("p") == "late"


async def test_node_added_makes_cpu_starved_pod_schedulable() -> None:
    """The pod waits for an event; a node with room moves it back and it binds."""
    scheduler, cluster, clock = new_scheduler()
    cluster.add_node(make_node("small", cpu="1"))
    cluster.add_pod(make_pod("big", cpu="2"))
    await scheduler.schedule_pending()
    assert scheduler.queue.unschedulable_keys() == ["uid-default-big"]
    # A node too small does not help: the hint skips it.
    cluster.add_node(make_node("also-small", cpu="1"))
    assert scheduler.queue.unschedulable_keys() == ["uid-default-big"]
    cluster.add_node(make_node("large", cpu="4"))
    assert scheduler.queue.backoff_keys() == ["uid-default-big"]
    assert await scheduler.schedule_pending() == 0  # still backing off
    clock.advance(1.0)
    scheduler.flush_backoff()
    await scheduler.schedule_pending()
    assert cluster.node_of("big") == "large"


async def test_preemption_evicts_lower_priority_pod() -> None:
    """A high-priority pod evicts the low one, is nominated, then binds there."""
    scheduler, cluster, clock = new_scheduler()
    cluster.add_node(make_node("n", cpu="2"))
    low = make_pod("low", cpu="1500m", priority=0, node_name="n", status={"phase": "Running"})
    cluster.add_pod(low)
    cluster.add_pod(make_pod("high", cpu="1", priority=1000))
    await scheduler.schedule_pending()
    assert cluster.deletes == ["low"]
    victim_patch = next(p for p in cluster.patches if p[0] == "low")
    assert victim_patch[1] is not None
    assert victim_patch[1]["type"] == "DisruptionTarget"
    assert victim_patch[1]["reason"] == "PreemptionByScheduler"
    assert victim_patch[1]["message"] == (
        "default-scheduler: preempting to accommodate a higher priority pod"
    )
    assert cluster.notes("Preempted") == ["Preempted by pod uid-default-high on node n"]
    # Nominated, and failed for now with no preemption suffix (preemption succeeded).
    assert cluster.pod("high")["status"]["nominatedNodeName"] == "n"
    assert cluster.notes("FailedScheduling") == ["0/1 nodes are available: 1 Insufficient cpu."]
    clock.advance(1.0)
    scheduler.flush_backoff()
    await scheduler.schedule_pending()
    assert cluster.node_of("high") == "n"


async def test_preemption_picks_node_with_lowest_priority_victims() -> None:
    """Two candidate nodes: the one whose victim has the lower priority is chosen."""
    scheduler, cluster, _ = new_scheduler()
    for name, priority in (("n1", 500), ("n2", 100)):
        cluster.add_node(make_node(name, cpu="1"))
        cluster.add_pod(make_pod(f"v-{name}", cpu="1", priority=priority, node_name=name))
    cluster.add_pod(make_pod("high", cpu="1", priority=1000))
    await scheduler.schedule_pending()
    assert cluster.deletes == ["v-n2"]
    assert cluster.pod("high")["status"]["nominatedNodeName"] == "n2"


async def test_preemption_respects_pod_disruption_budget() -> None:
    """A victim protected by a budget is spared when another node needs no violation."""
    scheduler, cluster, _ = new_scheduler()
    for name in ("n1", "n2"):
        cluster.add_node(make_node(name, cpu="1"))
    cluster.add_pod(make_pod("guarded", cpu="1", labels={"app": "db"}, node_name="n1"))
    cluster.add_pod(make_pod("free", cpu="1", labels={"app": "batch"}, node_name="n2"))
    pdb = {
        "metadata": {"name": "db", "namespace": "default"},
        "spec": {"selector": {"matchLabels": {"app": "db"}}},
        "status": {"disruptionsAllowed": 0},
    }
    scheduler.on_object_add(ObjectKind.POD_DISRUPTION_BUDGETS, pdb)
    cluster.add_pod(make_pod("high", cpu="1", priority=10))
    await scheduler.schedule_pending()
    assert cluster.deletes == ["free"]


async def test_preemption_policy_never() -> None:
    """preemptionPolicy Never: no victims, and preemption says why."""
    scheduler, cluster, _ = new_scheduler()
    cluster.add_node(make_node("n", cpu="1"))
    cluster.add_pod(make_pod("low", cpu="1", node_name="n"))
    cluster.add_pod(make_pod("high", cpu="1", priority=10, spec={"preemptionPolicy": "Never"}))
    await scheduler.schedule_pending()
    assert cluster.deletes == []
    assert cluster.notes("FailedScheduling") == [
        "0/1 nodes are available: 1 Insufficient cpu. "
        "preemption: not eligible due to preemptionPolicy=Never."
    ]


async def test_nominated_room_is_not_taken_by_lower_priority_pods() -> None:
    """While the preemptor waits, a lower-priority pod may not use the freed room."""
    scheduler, cluster, clock = new_scheduler()
    cluster.add_node(make_node("n", cpu="2"))
    cluster.add_pod(make_pod("low", cpu="2", node_name="n"))
    cluster.add_pod(make_pod("high", cpu="2", priority=100))
    await scheduler.schedule_pending()
    assert cluster.deletes == ["low"]
    cluster.add_pod(make_pod("sneaky", cpu="1", priority=50))
    await scheduler.schedule_pending()
    assert cluster.node_of("sneaky") is None
    clock.advance(1.0)
    scheduler.flush_backoff()
    await scheduler.schedule_pending()
    assert cluster.node_of("high") == "n"


async def test_topology_spread_balances_across_zones() -> None:
    """DoNotSchedule with maxSkew 1 on zones: four pods land two per zone."""
    scheduler, cluster, _ = new_scheduler()
    for name, zone in (("a1", "a"), ("a2", "a"), ("b1", "b"), ("b2", "b")):
        cluster.add_node(make_node(name, labels={ZONE: zone}))
    constraint = {
        "maxSkew": 1,
        "topologyKey": ZONE,
        "whenUnsatisfiable": "DoNotSchedule",
        "labelSelector": {"matchLabels": {"app": "web"}},
    }
    for index in range(4):
        cluster.add_pod(
            make_pod(
                f"web-{index}",
                labels={"app": "web"},
                spec={"topologySpreadConstraints": [constraint]},
            )
        )
    await scheduler.schedule_pending()
    zones = [cluster.node_of(f"web-{i}")[0] for i in range(4)]  # type: ignore[index]
    assert sorted(zones) == ["a", "a", "b", "b"]


async def test_spread_rejected_pod_waits_for_a_relevant_pod_event() -> None:
    """Its own status patch and status-only updates of bound pods do not requeue it."""
    scheduler, cluster, clock = new_scheduler()
    cluster.add_node(make_node("a1", labels={ZONE: "a"}))
    cluster.add_node(make_node("b1", labels={ZONE: "b"}, taints=[taint("gone")]))
    constraint = {
        "maxSkew": 1,
        "topologyKey": ZONE,
        "whenUnsatisfiable": "DoNotSchedule",
        "labelSelector": {"matchLabels": {"app": "web"}},
        "nodeAffinityPolicy": "Ignore",
    }
    web = {"app": "web"}
    cluster.add_pod(make_pod("w0", labels=web, node_name="a1"))
    spec = {"topologySpreadConstraints": [constraint]}
    cluster.add_pod(make_pod("w1", labels=web, spec=spec))
    await scheduler.schedule_pending()
    assert scheduler.queue.unschedulable_keys() == ["uid-default-w1"]
    running = {**cluster.pod("w0"), "status": {"phase": "Running"}}
    scheduler.on_pod_update(cluster.pod("w0"), running)
    assert scheduler.queue.unschedulable_keys() == ["uid-default-w1"]
    scheduler.on_pod_delete(running)
    assert scheduler.queue.backoff_keys() == ["uid-default-w1"]
    clock.advance(1)
    scheduler.flush_backoff()
    await scheduler.schedule_pending()
    assert cluster.node_of("w1") == "a1"


async def test_default_spreading_of_replicaset_pods() -> None:
    """Pods without constraints spread by the system defaults through their ReplicaSet."""
    scheduler, cluster, _ = new_scheduler()
    for name, zone in (("a1", "a"), ("b1", "b"), ("c1", "c")):
        cluster.add_node(make_node(name, labels={ZONE: zone}))
    replica_set = {
        "metadata": {"name": "web-abc", "namespace": "default"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}},
    }
    scheduler.on_object_add(ObjectKind.REPLICA_SETS, replica_set)
    owner = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "name": "web-abc",
        "uid": "rs-uid",
        "controller": True,
    }
    for index in range(3):
        cluster.add_pod(make_pod(f"web-{index}", labels={"app": "web"}, owner=owner))
    await scheduler.schedule_pending()
    assert sorted(cluster.node_of(f"web-{i}") or "" for i in range(3)) == ["a1", "b1", "c1"]


async def test_other_scheduler_names_are_left_alone() -> None:
    """A pod for another scheduler is neither bound nor reported on."""
    scheduler, cluster, _ = new_scheduler()
    cluster.add_node(make_node("n"))
    cluster.add_pod(make_pod("mine"))
    cluster.add_pod(make_pod("theirs", scheduler_name="custom"))
    await scheduler.schedule_pending()
    assert cluster.binds == [("mine", "n")]
    assert all(name != "theirs" for _, _, name, _ in cluster.events)


async def test_profile_with_another_name_schedules_only_its_pods() -> None:
    """A scheduler configured as 'custom' takes only pods naming it."""
    scheduler, cluster, _ = new_scheduler(profile=default_profile("custom"))
    cluster.add_node(make_node("n"))
    cluster.add_pod(make_pod("mine", scheduler_name="custom"))
    cluster.add_pod(make_pod("default"))
    await scheduler.schedule_pending()
    assert cluster.binds == [("mine", "n")]


async def test_bound_pods_of_any_scheduler_count_against_capacity() -> None:
    """A pod bound by someone else takes room the scheduler respects."""
    scheduler, cluster, _ = new_scheduler()
    cluster.add_node(make_node("n", cpu="1"))
    cluster.add_pod(make_pod("other", cpu="1", node_name="n", scheduler_name="custom"))
    cluster.add_pod(make_pod("mine", cpu="500m"))
    await scheduler.schedule_pending()
    assert cluster.node_of("mine") is None


async def test_assumed_pods_count_before_the_bind_is_confirmed() -> None:
    """Two pods in a row do not both take the last slot (the first is assumed)."""
    scheduler, cluster, _ = new_scheduler()
    cluster.add_node(make_node("n", cpu="1"))
    cluster.add_pod(make_pod("first", cpu="1"))
    cluster.add_pod(make_pod("second", cpu="1"))
    first = scheduler.scheduling_cycle()
    second = scheduler.scheduling_cycle()
    assert first is not None
    assert first.node_name == "n"
    assert second is not None
    assert second.node_name == ""
    await scheduler.finish(first)
    await scheduler.finish(second)
    assert cluster.binds == [("first", "n")]


async def test_bind_failure_is_a_scheduler_error_and_retried() -> None:
    """A refused binding un-assumes the pod, reports SchedulerError, and backs off."""
    scheduler, cluster, clock = new_scheduler()
    cluster.add_node(make_node("n", cpu="1"))
    cluster.fail_binds.add("p")
    cluster.add_pod(make_pod("p", cpu="1"))
    await scheduler.schedule_pending()
    condition = cluster.condition("p")
    assert condition is not None
    assert condition["reason"] == "SchedulerError"
    assert condition["message"] == (
        'running Bind plugin "DefaultBinder": pods "p" is forbidden: injected bind failure'
    )
    assert not scheduler.cache.is_assumed("uid-default-p")
    assert scheduler.queue.backoff_keys() == ["uid-default-p"]
    cluster.fail_binds.clear()
    clock.advance(1.0)
    scheduler.flush_backoff()
    await scheduler.schedule_pending()
    assert cluster.node_of("p") == "n"


async def test_scheduling_gates_hold_the_pod_until_removed() -> None:
    """A gated pod is not attempted; removing its gates queues it."""
    scheduler, cluster, _ = new_scheduler()
    cluster.add_node(make_node("n"))
    gated = make_pod("g", spec={"schedulingGates": [{"name": "example.com/wait"}]})
    cluster.add_pod(gated)
    assert await scheduler.schedule_pending() == 0
    assert scheduler.queue.unschedulable_keys() == ["uid-default-g"]
    ungated = make_pod("g")
    scheduler.on_pod_update(gated, ungated)
    cluster.pods["default/g"] = ungated
    await scheduler.schedule_pending()
    assert cluster.node_of("g") == "n"


async def test_deleted_pending_pod_is_dropped() -> None:
    """A pending pod deleted before its turn is never attempted."""
    scheduler, cluster, _ = new_scheduler()
    cluster.add_node(make_node("n"))
    pod = make_pod("p")
    cluster.add_pod(pod)
    scheduler.on_pod_delete(pod)
    assert await scheduler.schedule_pending() == 0
    assert cluster.binds == []


async def test_condition_not_rewritten_when_unchanged() -> None:
    """A second identical failure does not patch the pod again."""
    scheduler, cluster, clock = new_scheduler()
    cluster.add_node(make_node("n", cpu="1"))
    cluster.add_pod(make_pod("p", cpu="2"))
    await scheduler.schedule_pending()
    patches = len(cluster.patches)
    clock.advance(400)  # past the 5-minute limit among the unschedulable pods
    scheduler.flush_unschedulable_leftover()
    scheduler.flush_backoff()
    assert await scheduler.schedule_pending() == 1
    assert len(cluster.patches) == patches
    assert len(cluster.notes("FailedScheduling")) == 2


async def test_terminal_pods_do_not_count() -> None:
    """A Succeeded pod on a node frees its room, as the upstream informer filter does."""
    scheduler, cluster, _ = new_scheduler()
    cluster.add_node(make_node("n", cpu="1"))
    done = make_pod("done", cpu="1", node_name="n", status={"phase": "Succeeded"})
    cluster.add_pod(done)
    cluster.add_pod(make_pod("next", cpu="1"))
    await scheduler.schedule_pending()
    assert cluster.node_of("next") == "n"


async def test_round_robin_start_index_over_many_nodes() -> None:
    """300 nodes: 48% (50 - 300/125) = 144 are looked at; the next cycle starts after them."""
    scheduler, cluster, _ = new_scheduler()
    for index in range(300):
        cluster.add_node(make_node(f"n{index:03}"))
    cluster.add_pod(make_pod("p"))
    cluster.add_pod(make_pod("q"))
    first = scheduler.scheduling_cycle()
    assert first is not None
    assert int(first.node_name[1:]) < 144
    assert scheduler._next_start_node_index == 144
    second = scheduler.scheduling_cycle()
    assert second is not None
    assert 144 <= int(second.node_name[1:]) < 288
    assert scheduler._next_start_node_index == 288


async def test_plugin_error_is_a_scheduler_error_with_backoff() -> None:
    """An exception in a Filter plugin fails the attempt with SchedulerError, then retries."""

    class Boom:
        name = "Boom"

        def filter(self, state: object, pod: object, node: object) -> object:
            raise RuntimeError("boom")

    registry = {**IN_TREE, "Boom": lambda args, handle: Boom()}
    profile = Profile(plugins=(PluginSpec("PrioritySort"), PluginSpec("Boom")))
    cluster = FakeCluster()
    scheduler = Scheduler(
        effects=cluster.effects(),
        profile=profile,
        registry=registry,
        clock=FakeClock(),
        rng=random.Random(0),
    )
    cluster.scheduler = scheduler
    cluster.add_node(make_node("n"))
    cluster.add_pod(make_pod("p"))
    await scheduler.schedule_pending()
    condition = cluster.condition("p")
    assert condition is not None
    assert condition["reason"] == "SchedulerError"
    assert condition["message"] == 'running "Boom" filter plugin: boom'
    assert scheduler.queue.backoff_keys() == ["uid-default-p"]


@pytest.mark.parametrize(
    ("nodes", "percentage", "wanted"),
    [
        # Upstream schedule_one_test.go TestNumFeasibleNodesToFind's cases...
        (10, None, 10),
        (10, 40, 10),
        (1000, None, 420),
        (1000, 40, 400),
        (6000, None, 300),
        (6000, 40, 2400),
        # ... and the edges: below 100 nodes all of them; adaptive 50 - nodes/125
        # percent, at least 5 percent, at least 100 nodes.
        (99, None, 99),
        (100, None, 100),
        (200, None, 100),
        (500, None, 230),
        (5000, None, 500),
        (5624, None, 337),
        (5625, None, 281),
        (10000, None, 500),
        (1000, 1, 100),
        (1000, 100, 1000),
        (1000, 0, 420),
    ],
)
def test_num_feasible_nodes_to_find_is_upstreams_formula(
    nodes: int, percentage: int | None, wanted: int
) -> None:
    """How many feasible nodes a cycle looks for (percentageOfNodesToScore)."""
    assert num_feasible_nodes_to_find(nodes, percentage) == wanted
