"""NodeName, NodeUnschedulable, NodePorts, SchedulingGates and PrioritySort, table-driven."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.scheduler.framework.events import QueueingHint
from kubeling.scheduler.framework.status import Code
from kubeling.scheduler.framework.types import PodInfo, QueuedPodInfo
from kubeling.scheduler.plugins import node_name, node_ports, node_unschedulable, scheduling_gates
from kubeling.scheduler.plugins.priority_sort import PrioritySort

from ..fakes import Harness, make_node, make_pod


@pytest.mark.parametrize(
    ("pod_node", "expected"),
    [
        (None, {"a": (), "b": ()}),
        ("a", {"a": (), "b": (node_name.ERR_REASON,)}),
    ],
)
def test_node_name(pod_node: str | None, expected: dict[str, tuple[str, ...]]) -> None:
    """A pod naming a node fits only that node, unresolvably elsewhere."""
    harness = Harness(nodes=[make_node("a"), make_node("b")])
    pod = make_pod("p")
    if pod_node:
        pod["spec"]["nodeName"] = pod_node
    assert harness.reasons("NodeName", pod) == expected


@pytest.mark.parametrize(
    ("tolerations", "expected"),
    [
        ([], (node_unschedulable.ERR_REASON_UNSCHEDULABLE,)),
        ([{"key": "node.kubernetes.io/unschedulable", "operator": "Exists"}], ()),
        ([{"operator": "Exists"}], ()),
        (
            [{"key": "node.kubernetes.io/unschedulable", "effect": "NoExecute"}],
            (node_unschedulable.ERR_REASON_UNSCHEDULABLE,),
        ),
    ],
)
def test_node_unschedulable(tolerations: list[dict[str, Any]], expected: tuple[str, ...]) -> None:
    """A cordoned node is unresolvable unless the unschedulable taint is tolerated."""
    harness = Harness(nodes=[make_node("cordoned", unschedulable=True), make_node("ok")])
    statuses = harness.filter("NodeUnschedulable", make_pod("p", spec={"tolerations": tolerations}))
    assert statuses["cordoned"].reasons == expected
    assert statuses["ok"].is_success()
    if expected:
        assert statuses["cordoned"].code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE


def test_node_unschedulable_hint() -> None:
    """Uncordoning a node queues the pod; cordoning one does not."""
    pod = make_pod("p")
    cordoned, uncordoned = make_node("n", unschedulable=True), make_node("n")
    hint = node_unschedulable._node_now_schedulable
    assert hint(pod, cordoned, uncordoned) is QueueingHint.QUEUE
    assert hint(pod, uncordoned, cordoned) is QueueingHint.SKIP
    assert hint(pod, None, uncordoned) is QueueingHint.QUEUE


def _port_pod(name: str, port: int, ip: str = "", node: str | None = None) -> dict[str, Any]:
    pod = make_pod(name, node_name=node, host_port=port)
    if ip:
        pod["spec"]["containers"][0]["ports"][0]["hostIP"] = ip
    return pod


@pytest.mark.parametrize(
    ("existing", "incoming", "fits"),
    [
        (_port_pod("old", 8080, node="n"), _port_pod("p", 8080), False),
        (_port_pod("old", 8080, node="n"), _port_pod("p", 8081), True),
        (_port_pod("old", 8080, "10.0.0.1", node="n"), _port_pod("p", 8080, "10.0.0.2"), True),
        (_port_pod("old", 8080, "10.0.0.1", node="n"), _port_pod("p", 8080), False),
        (_port_pod("old", 8080, node="n"), _port_pod("p", 8080, "10.0.0.2"), False),
    ],
)
def test_node_ports(existing: dict[str, Any], incoming: dict[str, Any], fits: bool) -> None:
    """Host ports conflict on the same address, and 0.0.0.0 conflicts with every address."""
    harness = Harness(nodes=[make_node("n")], pods=[existing])
    status = harness.filter("NodePorts", incoming)["n"]
    assert status.is_success() is fits
    if not fits:
        assert status.code is Code.UNSCHEDULABLE
        assert status.reasons == (node_ports.ERR_REASON,)


def test_node_ports_skips_pods_without_host_ports() -> None:
    """PreFilter returns Skip for a pod without host ports."""
    harness = Harness(nodes=[make_node("n")])
    plugin = harness.plugin("NodePorts")
    assert isinstance(plugin, node_ports.NodePorts)
    from kubeling.scheduler.framework.cycle_state import CycleState

    _, status = plugin.pre_filter(CycleState(), PodInfo(make_pod("p")))
    assert status.is_skip()


def test_scheduling_gates() -> None:
    """Gates keep the pod out with upstream's message; the pod's own update releases it."""
    gates = scheduling_gates.SchedulingGates()
    gated = make_pod("p", spec={"schedulingGates": [{"name": "a"}, {"name": "b"}]})
    status = gates.pre_enqueue(PodInfo(gated))
    assert status.message() == "waiting for scheduling gates: [a b]"
    assert gates.pre_enqueue(PodInfo(make_pod("p"))).is_success()
    [registered] = gates.events_to_register()
    assert registered.hint is not None
    assert registered.hint(gated, gated, make_pod("p")) is QueueingHint.QUEUE
    assert registered.hint(gated, make_pod("q"), make_pod("q")) is QueueingHint.SKIP


@pytest.mark.parametrize(
    ("a", "b", "a_first"),
    [
        ((10, 5.0), (0, 1.0), True),
        ((0, 5.0), (10, 1.0), False),
        ((3, 1.0), (3, 2.0), True),
        ((3, 2.0), (3, 1.0), False),
    ],
)
def test_priority_sort(a: tuple[int, float], b: tuple[int, float], a_first: bool) -> None:
    """Higher priority first, then earlier queue timestamp."""
    first = QueuedPodInfo(PodInfo(make_pod("a", priority=a[0])), a[1])
    second = QueuedPodInfo(PodInfo(make_pod("b", priority=b[0])), b[1])
    assert PrioritySort().less(first, second) is a_first
