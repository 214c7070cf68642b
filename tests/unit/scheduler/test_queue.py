"""The scheduling queue: ordering, back-off, events with hints, in-flight events, flushes."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.scheduler.framework.events import (
    ActionType,
    ClusterEvent,
    ClusterEventWithHint,
    EventResource,
    QueueingHint,
)
from kubeling.scheduler.framework.status import Status, success
from kubeling.scheduler.framework.types import PodInfo, QueuedPodInfo
from kubeling.scheduler.plugins.priority_sort import PrioritySort
from kubeling.scheduler.queue import ASSIGNED_POD_DELETE, SchedulingQueue

from .fakes import FakeClock, make_node, make_pod

NODE_ADD = ClusterEvent(EventResource.NODE, ActionType.ADD)


def _only_big_nodes(pod: Any, old: Any, new: Any) -> QueueingHint:
    cpu = (new or {}).get("status", {}).get("allocatable", {}).get("cpu", "0")
    return QueueingHint.QUEUE if int(cpu) >= 4 else QueueingHint.SKIP


EVENTS = {
    "Fit": [ClusterEventWithHint(NODE_ADD, _only_big_nodes)],
    "Spread": [ClusterEventWithHint(ClusterEvent(EventResource.POD, ActionType.ALL))],
    "PodTopologySpread": [ClusterEventWithHint(ClusterEvent(EventResource.POD, ActionType.ALL))],
}


def _gate(pod: PodInfo) -> Status:
    if pod.scheduling_gates:
        return Status.unresolvable("gated").with_plugin("SchedulingGates")
    return success()


def _queue(clock: FakeClock) -> SchedulingQueue:
    return SchedulingQueue(less=PrioritySort().less, pre_enqueue=_gate, events=EVENTS, clock=clock)


def _fail(queue: SchedulingQueue, qpi: QueuedPodInfo, *plugins: str) -> None:
    qpi.unschedulable_plugins = set(plugins)
    queue.add_unschedulable(qpi)


def _pop(queue: SchedulingQueue) -> QueuedPodInfo:
    qpi = queue.pop()
    assert qpi is not None
    return qpi


def test_pop_order_priority_then_arrival() -> None:
    """Higher priority first; equal priorities in arrival order."""
    clock = FakeClock()
    queue = _queue(clock)
    for name, priority in (("a", 0), ("b", 10), ("c", 0), ("d", 10)):
        queue.add(PodInfo(make_pod(name, priority=priority)))
        clock.advance(0.1)
    assert [_pop(queue).pod_info.name for _ in range(4)] == ["b", "d", "a", "c"]
    assert queue.pop() is None


@pytest.mark.parametrize(
    ("attempts", "seconds"), [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 10.0), (9, 10.0)]
)
def test_backoff_doubles_up_to_ten_seconds(attempts: int, seconds: float) -> None:
    """1 s after the first attempt, doubling, capped at 10 s."""
    clock = FakeClock()
    queue = _queue(clock)
    qpi = QueuedPodInfo(PodInfo(make_pod("p")), clock.monotonic(), attempts=attempts)
    assert queue.backoff_expiry(qpi) - clock.monotonic() == seconds


def test_error_goes_to_backoff_then_active() -> None:
    """A failure without rejecting plugins waits out its back-off, then is active again."""
    clock = FakeClock()
    queue = _queue(clock)
    queue.add(PodInfo(make_pod("p")))
    _fail(queue, _pop(queue))
    assert queue.backoff_keys() == ["uid-default-p"]
    clock.advance(0.5)
    queue.flush_backoff_completed()
    assert queue.pop() is None
    clock.advance(0.5)
    queue.flush_backoff_completed()
    assert _pop(queue).attempts == 2


def test_event_with_hint_moves_unschedulable_pod() -> None:
    """Only an event a rejecting plugin registered, and its hint approves, moves the pod."""
    clock = FakeClock()
    queue = _queue(clock)
    queue.add(PodInfo(make_pod("p")))
    _fail(queue, _pop(queue), "Fit")
    assert queue.unschedulable_keys() == ["uid-default-p"]
    queue.move_all(ClusterEvent(EventResource.PERSISTENT_VOLUME, ActionType.ADD))
    queue.move_all(NODE_ADD, None, make_node("small", cpu="1"))
    assert queue.unschedulable_keys() == ["uid-default-p"]
    clock.advance(5)  # back-off is over: straight to activeQ
    queue.move_all(NODE_ADD, None, make_node("big", cpu="8"))
    assert queue.active_keys() == ["uid-default-p"]


def test_event_during_backoff_goes_to_backoff_queue() -> None:
    """A helpful event while the pod is still backing off puts it in backoffQ."""
    clock = FakeClock()
    queue = _queue(clock)
    queue.add(PodInfo(make_pod("p")))
    _fail(queue, _pop(queue), "Fit")
    queue.move_all(NODE_ADD, None, make_node("big", cpu="8"))
    assert queue.backoff_keys() == ["uid-default-p"]


def test_in_flight_events_are_replayed() -> None:
    """An event that arrived while the pod was being scheduled is not lost."""
    clock = FakeClock()
    queue = _queue(clock)
    queue.add(PodInfo(make_pod("p")))
    qpi = _pop(queue)
    queue.move_all(NODE_ADD, None, make_node("big", cpu="8"))
    _fail(queue, qpi, "Fit")
    assert queue.backoff_keys() == ["uid-default-p"]
    # Irrelevant events are not enough.
    queue.add(PodInfo(make_pod("q")))
    qpi = _pop(queue)
    queue.move_all(NODE_ADD, None, make_node("small", cpu="1"))
    _fail(queue, qpi, "Fit")
    assert queue.unschedulable_keys() == ["uid-default-q"]


def test_unregistered_plugin_is_interested_in_everything() -> None:
    """A rejecting plugin without EnqueueExtensions lets any event move the pod."""
    clock = FakeClock()
    queue = _queue(clock)
    queue.add(PodInfo(make_pod("p")))
    _fail(queue, _pop(queue), "Unknown")
    queue.move_all(ClusterEvent(EventResource.STORAGE_CLASS, ActionType.ADD))
    assert queue.backoff_keys() == ["uid-default-p"]


def test_assigned_pod_events_only_for_cross_topology_pods() -> None:
    """A bound pod's arrival moves spread-rejected pods and pods with affinity to it."""
    clock = FakeClock()
    queue = _queue(clock)
    affinity = {
        "podAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": "zone"}
            ]
        }
    }
    queue.add(PodInfo(make_pod("wants-db", spec={"affinity": affinity})))
    queue.add(PodInfo(make_pod("spread")))
    queue.add(PodInfo(make_pod("other")))
    for rejector in ("Spread", "PodTopologySpread", "Spread"):
        _fail(queue, _pop(queue), rejector)
    queue.assigned_pod_added(PodInfo(make_pod("db", labels={"app": "db"}, node_name="n")))
    assert sorted(queue.backoff_keys()) == ["uid-default-spread", "uid-default-wants-db"]
    assert queue.unschedulable_keys() == ["uid-default-other"]
    # Pod deletion goes to every unschedulable pod registered for Pod events.
    queue.add(PodInfo(make_pod("late")))
    _fail(queue, _pop(queue), "Spread")
    queue.move_all(ASSIGNED_POD_DELETE, make_pod("x", node_name="n"), None)
    assert "uid-default-late" in queue.backoff_keys()


def test_gated_pods_wait_for_their_own_update() -> None:
    """PreEnqueue parks a gated pod; other events do not move it; removing the gate does."""
    clock = FakeClock()
    queue = SchedulingQueue(
        less=PrioritySort().less,
        pre_enqueue=_gate,
        events={
            "SchedulingGates": [
                ClusterEventWithHint(
                    ClusterEvent(
                        EventResource.UNSCHEDULED_POD,
                        ActionType.UPDATE_POD_SCHEDULING_GATES_ELIMINATED,
                    )
                )
            ]
        },
        clock=clock,
    )
    gated = PodInfo(make_pod("g", spec={"schedulingGates": [{"name": "x"}]}))
    queue.add(gated)
    assert queue.unschedulable_keys() == ["uid-default-g"]
    queue.move_all(NODE_ADD, None, make_node("n"))
    assert queue.unschedulable_keys() == ["uid-default-g"]
    queue.update(gated, PodInfo(make_pod("g")))
    assert queue.active_keys() == ["uid-default-g"]


def test_update_and_delete_in_each_queue() -> None:
    """Updates replace the queued object wherever it waits; deletes remove it."""
    clock = FakeClock()
    queue = _queue(clock)
    old = PodInfo(make_pod("p", labels={"v": "1"}))
    queue.add(old)
    new = PodInfo(make_pod("p", labels={"v": "2"}))
    queue.update(old, new)
    assert _pop(queue).pod_info is new
    queue.done(new.key)
    queue.add(PodInfo(make_pod("q")))
    queue.delete(PodInfo(make_pod("q")))
    assert queue.pop() is None


def test_flush_unschedulable_leftover_after_five_minutes() -> None:
    """Pods parked longer than 5 minutes are retried without any event."""
    clock = FakeClock()
    queue = _queue(clock)
    queue.add(PodInfo(make_pod("p")))
    _fail(queue, _pop(queue), "Fit")
    clock.advance(299)
    queue.flush_unschedulable_leftover()
    assert queue.unschedulable_keys() == ["uid-default-p"]
    clock.advance(2)
    queue.flush_unschedulable_leftover()
    assert queue.active_keys() == ["uid-default-p"]


def test_nominations_follow_the_queue() -> None:
    """A pod's status nomination is tracked; an update without one keeps the scheduler's."""
    clock = FakeClock()
    queue = _queue(clock)
    pod = PodInfo(make_pod("p", status={"nominatedNodeName": "n1"}))
    queue.add(pod)
    assert [p.name for p in queue.nominator.pods_for_node("n1")] == ["p"]
    # The status dropping its nomination drops it here too.
    plain = PodInfo(make_pod("p"))
    queue.update(pod, plain)
    assert queue.nominator.node_of(pod.key) == ""
    # A nomination made by the scheduler survives updates that carry none.
    queue.nominator.add(plain, "n2")
    queue.update(plain, PodInfo(make_pod("p", labels={"x": "y"})))
    assert queue.nominator.node_of(pod.key) == "n2"
    queue.delete(pod)
    assert queue.nominator.pods_for_node("n2") == []
