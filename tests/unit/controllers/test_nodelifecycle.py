"""Node lifecycle decisions: health from heartbeats and Leases, taints, zones, rates."""

from __future__ import annotations

from typing import Any, cast

import pytest

from kubeling.api.timestamps import format_micro_time, format_time
from kubeling.controllers.nodelifecycle import NodeLifecycleController, NodeLifecycleOptions
from kubeling.controllers.nodelifecycle.health import (
    NodeHealth,
    ZoneState,
    compute_zone_state,
    no_schedule_taint_changes,
    observe_node_health,
    reduced_qps,
    zone_key,
)
from kubeling.controllers.nodelifecycle.nodetaints import taints_after
from kubeling.controllers.nodelifecycle.ratelimited import RateLimitedTimedQueue, TimedValue
from tests.unit.controllers.fakes import FakeClient, fake_context

Obj = dict[str, Any]
T0 = 1_700_000_000.0
GRACE, STARTUP = 50.0, 60.0


def _node(*conditions: Obj, created: float = T0, taints: list[Obj] | None = None) -> Obj:
    node: Obj = {
        "metadata": {"name": "n1", "uid": "u1", "creationTimestamp": format_time(created)},
        "spec": {},
        "status": {"conditions": list(conditions)},
    }
    if taints is not None:
        node["spec"]["taints"] = taints
    return node


def _ready(status: str = "True", heartbeat: float = T0, transition: float = T0) -> Obj:
    return {
        "type": "Ready",
        "status": status,
        "lastHeartbeatTime": format_time(heartbeat),
        "lastTransitionTime": format_time(transition),
        "reason": "KubeletReady",
        "message": "kubelet is posting ready status",
    }


def _lease(renewed: float) -> Obj:
    return {"spec": {"renewTime": format_micro_time(renewed)}}


def _observe(node: Obj, saved: NodeHealth | None, lease: Obj | None, now: float) -> Any:
    return observe_node_health(
        node,
        saved,
        lease,
        now=now,
        now_text=format_time(now),
        grace_period=GRACE,
        startup_grace_period=STARTUP,
    )


def test_a_new_node_is_healthy_from_first_sight() -> None:
    """First look: probed now, nothing written."""
    seen = _observe(_node(_ready()), None, None, T0 + 100)
    assert seen.health.probe_timestamp == T0 + 100
    assert seen.conditions_to_write is None
    assert seen.grace_period == GRACE


@pytest.mark.parametrize(
    ("heartbeat", "lease", "silent"),
    [
        pytest.param(T0, None, True, id="nothing-new"),
        pytest.param(T0, _lease(T0 + 30), False, id="lease-renewed"),
        pytest.param(T0 + 30, None, False, id="heartbeat-posted"),
    ],
)
def test_a_silent_node_goes_unknown(heartbeat: float, lease: Obj | None, silent: bool) -> None:
    """Past the grace period with no renewed Lease or new heartbeat: Unknown conditions."""
    saved = _observe(_node(_ready()), None, _lease(T0), T0).health
    now = T0 + GRACE + 1
    seen = _observe(_node(_ready(heartbeat=heartbeat)), saved, lease, now)
    if not silent:
        assert seen.conditions_to_write is None
        assert seen.health.probe_timestamp == now
        return
    written = {c["type"]: c for c in seen.conditions_to_write}
    assert (written["Ready"]["status"], written["Ready"]["reason"]) == (
        "Unknown",
        "NodeStatusUnknown",
    )
    assert written["Ready"]["message"] == "Kubelet stopped posting node status."
    assert written["Ready"]["lastTransitionTime"] == format_time(now)
    assert written["Ready"]["lastHeartbeatTime"] == format_time(T0)  # kept
    for condition_type in ("MemoryPressure", "DiskPressure", "PIDPressure"):
        assert (written[condition_type]["status"], written[condition_type]["reason"]) == (
            "Unknown",
            "NodeStatusNeverUpdated",
        )
        assert written[condition_type]["message"] == "Kubelet never posted node status."
    assert seen.observed_ready["status"] == "True"
    assert seen.current_ready is not None
    assert seen.current_ready["status"] == "Unknown"
    assert seen.health_after_write is not None
    assert seen.health_after_write.ready_transition_timestamp == now


def test_an_unknown_node_is_not_written_again() -> None:
    """Already Unknown: nothing changes, nothing is written."""
    unknown = {**_ready("Unknown"), "reason": "NodeStatusUnknown"}
    saved = NodeHealth(T0, T0, unknown)
    seen = _observe(_node(unknown), saved, None, T0 + 500)
    assert seen.conditions_to_write is None
    assert seen.observed_ready["status"] == "Unknown"


def test_a_node_that_never_posted_gets_the_startup_grace() -> None:
    """No Ready condition: judged from its creation with the startup grace period."""
    within = _observe(_node(created=T0), None, None, T0 + STARTUP - 1)
    assert within.conditions_to_write is None
    assert within.grace_period == STARTUP
    assert within.current_ready is None
    later = _observe(_node(created=T0), within.health, None, T0 + STARTUP + 1)
    assert later.conditions_to_write is not None
    assert {c["reason"] for c in later.conditions_to_write} == {"NodeStatusNeverUpdated"}
    assert all(c["lastHeartbeatTime"] == format_time(T0) for c in later.conditions_to_write)


@pytest.mark.parametrize(
    ("conditions", "unschedulable", "taints", "added", "removed"),
    [
        pytest.param(
            [_ready("Unknown")], False, [], ["node.kubernetes.io/unreachable"], [], id="unknown"
        ),
        pytest.param(
            [_ready("False")], False, [], ["node.kubernetes.io/not-ready"], [], id="not-ready"
        ),
        pytest.param(
            [_ready()],
            True,
            [],
            ["node.kubernetes.io/unschedulable"],
            [],
            id="cordoned",
        ),
        pytest.param(
            [_ready()],
            False,
            [
                {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"},
                {"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"},
                {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"},
                {"key": "example.com/mine", "effect": "NoSchedule"},
            ],
            [],
            ["node.kubernetes.io/unschedulable", "node.kubernetes.io/unreachable"],
            id="recovered-and-uncordoned",
        ),
        pytest.param(
            [_ready(), {"type": "MemoryPressure", "status": "True"}],
            False,
            [],
            ["node.kubernetes.io/memory-pressure"],
            [],
            id="memory-pressure",
        ),
    ],
)
def test_no_schedule_taints_follow_conditions(
    conditions: list[Obj],
    unschedulable: bool,
    taints: list[Obj],
    added: list[str],
    removed: list[str],
) -> None:
    """Only the controller's own NoSchedule taints are added or removed."""
    node = _node(*conditions, taints=taints)
    node["spec"]["unschedulable"] = unschedulable
    to_add, to_remove = no_schedule_taint_changes(node)
    assert [t["key"] for t in to_add] == added
    assert all(t["effect"] == "NoSchedule" for t in to_add + to_remove)
    assert [t["key"] for t in to_remove] == removed


def test_taints_after_adds_replaces_and_removes() -> None:
    """Same key and effect is one taint; removal ignores value and timeAdded."""
    taints = [
        {"key": "a", "effect": "NoExecute", "timeAdded": "t0"},
        {"key": "b", "effect": "NoSchedule"},
    ]
    assert taints_after(
        taints,
        [{"key": "a", "effect": "NoExecute", "timeAdded": "t1"}],
        [{"key": "b", "effect": "NoSchedule"}],
    ) == [{"key": "a", "effect": "NoExecute", "timeAdded": "t1"}]


@pytest.mark.parametrize(
    ("statuses", "state"),
    [
        (["True", "True"], ZoneState.NORMAL),
        (["False"], ZoneState.FULL_DISRUPTION),
        (["Unknown", None], ZoneState.FULL_DISRUPTION),
        (["True", "False", "False"], ZoneState.NORMAL),  # two not ready: never partial
        (["True", "False", "False", "Unknown"], ZoneState.PARTIAL_DISRUPTION),
        (["True", "True", "True", "False", "False", "False"], ZoneState.NORMAL),  # 50% < 55%
    ],
)
def test_zone_state(statuses: list[str | None], state: ZoneState) -> None:
    """No ready node: full; more than two and at least 55% not ready: partial."""
    conditions = [None if s is None else {"status": s} for s in statuses]
    assert compute_zone_state(conditions, 0.55)[1] == state


def test_reduced_rate_and_zone_key() -> None:
    """Partially disrupted small zones stop; large ones slow down. Zones come from labels."""
    assert reduced_qps(50, large_cluster_threshold=50, secondary_qps=0.01) == 0.0
    assert reduced_qps(51, large_cluster_threshold=50, secondary_qps=0.01) == 0.01
    beta = {"metadata": {"labels": {"failure-domain.beta.kubernetes.io/region": "r"}}}
    assert zone_key(beta) == "r:\x00:"
    assert zone_key({"metadata": {}}) == ""


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_rate_limited_queue_hands_out_one_node_per_token() -> None:
    """0.1/s with burst 1: one node now, the next ten seconds later; known nodes not re-added."""
    clock = _Clock()
    queue = RateLimitedTimedQueue(0.1, now=clock)
    assert queue.add("a", "ua")
    assert queue.add("b", "ub")
    assert not queue.add("a", "ua")
    done: list[str] = []

    async def taint(value: TimedValue) -> tuple[bool, float]:
        done.append(value.value)
        return True, 0.0

    await queue.try_process(taint)
    assert done == ["a"]
    clock.now += 5
    await queue.try_process(taint)
    assert done == ["a"]
    clock.now += 6
    await queue.try_process(taint)
    assert done == ["a", "b"]
    assert not queue.add("a", "ua")  # processed, but still known until removed
    assert queue.remove("a")
    assert queue.add("a", "ua")


async def test_rate_limited_queue_retries_and_stops_at_zero() -> None:
    """A failed action waits its retry; a zero rate processes nothing."""
    clock = _Clock()
    queue = RateLimitedTimedQueue(100, now=clock)
    queue.add("a", "ua")
    tries: list[float] = []

    async def fail(value: TimedValue) -> tuple[bool, float]:
        tries.append(clock.now)
        return False, 1.0

    await queue.try_process(fail)
    await queue.try_process(fail)
    assert tries == [100.0]
    clock.now += 2
    await queue.try_process(fail)
    assert tries == [100.0, 102.0]
    queue.swap_limiter(0)
    clock.now += 10
    await queue.try_process(fail)
    assert len(tries) == 2
    assert queue.qps == 0


def _controller() -> tuple[NodeLifecycleController, FakeClient]:
    ctx, client = fake_context()
    return NodeLifecycleController(ctx, NodeLifecycleOptions()), client


async def test_every_zone_down_stops_tainting_and_untaints() -> None:
    """All zones fully disrupted: limiters to 0 and NoExecute taints removed."""
    controller, client = _controller()
    nodes = [
        _node(
            _ready("Unknown"),
            taints=[{"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}],
        )
    ]
    for node in nodes:
        controller._add_zone(node)
    await controller._handle_disruption({"": [{"status": "Unknown"}]}, nodes)
    assert controller._zone_states[""] == ZoneState.FULL_DISRUPTION
    assert controller._zone_tainters[""].qps == 0
    [patch] = client.writes("patch")
    assert cast(Obj, patch.body)["spec"]["taints"] is None


async def test_one_zone_down_among_healthy_ones_is_tainted_at_the_normal_rate() -> None:
    """A fully disrupted zone next to a healthy one keeps the normal eviction rate."""
    controller, _ = _controller()
    a = _node(_ready())
    a["metadata"]["labels"] = {"topology.kubernetes.io/zone": "a"}
    b = _node(_ready("Unknown"))
    b["metadata"]["labels"] = {"topology.kubernetes.io/zone": "b"}
    for node in (a, b):
        controller._add_zone(node)
    await controller._handle_disruption(
        {zone_key(a): [{"status": "True"}], zone_key(b): [{"status": "Unknown"}]}, [a, b]
    )
    assert controller._zone_states[zone_key(b)] == ZoneState.FULL_DISRUPTION
    assert controller._zone_tainters[zone_key(b)].qps == 0.1
    assert controller._zone_states[zone_key(a)] == ZoneState.NORMAL
