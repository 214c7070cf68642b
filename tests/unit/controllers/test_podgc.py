"""The pod garbage collector, white-box: pods and nodes in the cache, writes recorded."""

from __future__ import annotations

from typing import Any

from kubeling.client.resources import NODES, PODS
from kubeling.controllers.podgc import PodGCController, gc_order, is_pod_terminated
from tests.unit.controllers.fakes import FakeClient, cache, fake_context

Obj = dict[str, Any]


def _pod(
    name: str,
    phase: str = "Running",
    *,
    node: str = "",
    created: str = "2024-05-01T10:00:00Z",
    **meta: Any,
) -> Obj:
    spec = {"nodeName": node} if node else {}
    return {
        "metadata": {
            "name": name,
            "namespace": "ns",
            "uid": f"uid-{name}",
            "creationTimestamp": created,
            **meta,
        },
        "spec": spec,
        "status": {"phase": phase},
    }


def _node(name: str, *, ready: bool = True, taints: list[Obj] | None = None) -> Obj:
    return {
        "metadata": {"name": name},
        "spec": {"taints": taints or []},
        "status": {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}]},
    }


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _controller(**options: Any) -> tuple[PodGCController, FakeClient, _Clock]:
    ctx, client = fake_context()
    monotonic = _Clock()
    return PodGCController(ctx, monotonic=monotonic, **options), client, monotonic


def test_terminated_and_gc_order() -> None:
    assert is_pod_terminated(_pod("a", "Succeeded"))
    assert is_pod_terminated(_pod("b", "Failed"))
    assert not is_pod_terminated(_pod("c", "Pending"))
    evicted = _pod("evicted", "Failed", created="2024-05-01T12:00:00Z")
    evicted["status"]["reason"] = "Evicted"
    old = _pod("old", "Succeeded", created="2024-05-01T09:00:00Z")
    new = _pod("new", "Succeeded", created="2024-05-01T11:00:00Z")
    tie = _pod("a-tie", "Succeeded", created="2024-05-01T11:00:00Z")
    order = [p["metadata"]["name"] for p in gc_order([new, old, tie, evicted])]
    assert order == ["evicted", "old", "a-tie", "new"]


async def test_terminated_pods_beyond_the_threshold_are_deleted_oldest_first() -> None:
    controller, client, _ = _controller(terminated_pod_threshold=2)
    pods = [_pod(f"done-{i}", "Succeeded", created=f"2024-05-01T1{i}:00:00Z") for i in range(4)]
    cache(controller, PODS, *pods, _pod("running"))
    await controller.gc()
    deletes = client.writes("delete", "pods")
    assert sorted(d.name for d in deletes) == ["done-0", "done-1"]
    assert all(d.options["grace_period_seconds"] == 0 for d in deletes)
    assert client.writes("patch", "pods") == []  # already finished: no status to mark


async def test_orphaned_pods_wait_out_the_quarantine_then_fail_and_go() -> None:
    controller, client, clock = _controller(quarantine_time=40)
    cache(controller, NODES, _node("alive"))
    cache(controller, PODS, _pod("orphan", node="gone"), _pod("fine", node="alive"))
    await controller.gc()
    assert client.calls == []  # quarantined: the node informer may be late
    clock.now += 41
    await controller.gc()
    assert [c.name for c in client.writes("get", "nodes")] == ["gone"]
    (patch,) = client.writes("patch", "pods")
    assert patch.name == "orphan"
    assert patch.options["subresource"] == "status"
    status = patch.body["status"]
    assert status["phase"] == "Failed"
    (cond,) = status["conditions"]
    assert (cond["type"], cond["status"], cond["reason"], cond["message"]) == (
        "DisruptionTarget",
        "True",
        "DeletionByPodGC",
        "PodGC: node no longer exists",
    )
    assert patch.body["metadata"] == {"uid": "uid-orphan"}
    assert [d.name for d in client.writes("delete", "pods")] == ["orphan"]


async def test_node_found_by_the_api_is_not_orphaning() -> None:
    """Missing from the cache but there in the API: nothing is deleted."""
    controller, client, _ = _controller(quarantine_time=0)
    client.objects[("nodes", "", "late")] = _node("late")
    cache(controller, PODS, _pod("p", node="late"))
    await controller.gc()
    assert client.writes("delete", "pods") == []


async def test_unscheduled_terminating_pods_are_force_deleted() -> None:
    controller, client, _ = _controller()
    cache(
        controller,
        PODS,
        _pod("stuck", "Pending", deletionTimestamp="2024-05-01T10:00:00Z"),
        _pod("scheduled", node="n", deletionTimestamp="2024-05-01T10:00:00Z"),
    )
    cache(controller, NODES, _node("n"))
    await controller.gc()
    (patch,) = client.writes("patch", "pods")
    assert (patch.name, patch.body["status"]) == ("stuck", {"phase": "Failed"})
    assert [d.name for d in client.writes("delete", "pods")] == ["stuck"]


async def test_terminating_pods_on_out_of_service_nodes_are_deleted() -> None:
    controller, client, _ = _controller()
    taint = {"key": "node.kubernetes.io/out-of-service", "effect": "NoExecute"}
    cache(controller, NODES, _node("down", ready=False, taints=[taint]), _node("up"))
    cache(
        controller,
        PODS,
        _pod("on-down", node="down", deletionTimestamp="2024-05-01T10:00:00Z"),
        _pod("on-up", node="up", deletionTimestamp="2024-05-01T10:00:00Z"),
    )
    await controller.gc()
    assert [d.name for d in client.writes("delete", "pods")] == ["on-down"]
