"""Taint eviction: which pods go, when, and cancellation; the timed worker queue."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kubeling.client.resources import NODES, PODS
from kubeling.controllers.tainteviction import (
    Eviction,
    EvictionKind,
    TaintEvictionController,
    decide,
)
from kubeling.controllers.timedworkers import TimedWorkerQueue
from tests.unit.controllers.fakes import cache, fake_context, recorded_events

Obj = dict[str, Any]
UNREACHABLE = {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}
MAINTENANCE = {"key": "example.com/maintenance", "effect": "NoExecute"}


def _for(seconds: int | None, key: str = "node.kubernetes.io/unreachable") -> Obj:
    toleration: Obj = {"key": key, "operator": "Exists", "effect": "NoExecute"}
    if seconds is not None:
        toleration["tolerationSeconds"] = seconds
    return toleration


@pytest.mark.parametrize(
    ("taints", "tolerations", "expected"),
    [
        ([], [], Eviction(EvictionKind.UNTAINTED)),
        ([UNREACHABLE], [], Eviction(EvictionKind.NOW)),
        ([UNREACHABLE], [_for(300)], Eviction(EvictionKind.AFTER, 300)),
        ([UNREACHABLE], [_for(None)], Eviction(EvictionKind.NEVER)),
        ([UNREACHABLE], [_for(0)], Eviction(EvictionKind.AFTER, 0)),
        ([UNREACHABLE, MAINTENANCE], [_for(300)], Eviction(EvictionKind.NOW)),
        (
            [UNREACHABLE, MAINTENANCE],
            [_for(300), _for(30, "example.com/maintenance")],
            Eviction(EvictionKind.AFTER, 30),
        ),
        ([UNREACHABLE, MAINTENANCE], [{"operator": "Exists"}], Eviction(EvictionKind.NEVER)),
    ],
)
def test_decide(taints: list[Obj], tolerations: list[Obj], expected: Eviction) -> None:
    """Untolerated: now; tolerated: after the shortest used limit, or never."""
    assert decide(taints, tolerations) == expected


async def test_timed_worker_queue_runs_once_and_cancels() -> None:
    """Work runs at its time, is not scheduled twice, and cancelled work never runs."""
    ran: list[str] = []

    async def work(key: str) -> None:
        ran.append(key)

    queue = TimedWorkerQueue(work)
    async with asyncio.TaskGroup() as group:
        queue.bind(group)
        now = queue.now()
        queue.add_work("ns/now", now, now)
        queue.add_work("ns/soon", now, now + 0.05)
        queue.add_work("ns/soon", now, now)  # already scheduled: ignored
        queue.add_work("ns/later", now, now + 60)
        assert queue.get("ns/now") is None  # immediate work has no timer
        assert queue.get("ns/later") is not None
        assert queue.cancel_work("ns/later")
        assert not queue.cancel_work("ns/absent")
    assert ran == ["ns/now", "ns/soon"]
    assert "ns/soon" in queue  # done work is kept: not repeated until cancelled
    assert not queue.cancel_work("ns/soon")


def _pod(name: str, node: str, tolerations: list[Obj]) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "ns", "uid": f"uid-{name}"},
        "spec": {"nodeName": node, "tolerations": tolerations},
        "status": {"phase": "Running"},
    }


async def test_node_taints_schedule_and_cancel_evictions() -> None:
    """A tainted node: untolerating pods deleted (condition first), others scheduled or kept;
    the taint removed: scheduled deletions cancelled with an event."""
    pods = [
        _pod("now", "n1", []),
        _pod("later", "n1", [_for(300)]),
        _pod("never", "n1", [_for(None)]),
    ]
    ctx, client = fake_context()
    for pod in pods:
        client.objects[("pods", "ns", pod["metadata"]["name"])] = pod
    controller = TaintEvictionController(ctx)
    cache(controller, NODES, {"metadata": {"name": "n1"}, "spec": {"taints": [UNREACHABLE]}})
    cache(controller, PODS, *pods)
    async with asyncio.TaskGroup() as group:
        controller.evictions.bind(group)
        controller.handle_node_update("n1")
        assert controller.evictions.get("ns/later") is not None
        assert "ns/never" not in controller.evictions
        cache(controller, NODES, {"metadata": {"name": "n1"}, "spec": {}})
        controller.handle_node_update("n1")
    writes = [c for c in client.calls if c.verb != "get"]
    assert [(c.verb, c.name, c.options.get("subresource", "")) for c in writes] == [
        ("patch", "now", "status"),
        ("delete", "now", ""),
    ]
    [patch] = client.writes("patch")
    [condition] = patch.body["status"]["conditions"]
    assert (condition["type"], condition["reason"], condition["message"]) == (
        "DisruptionTarget",
        "DeletionByTaintManager",
        "Taint manager: deleting due to NoExecute taint",
    )
    assert patch.body["metadata"]["uid"] == "uid-now"
    events = recorded_events(controller)
    assert ("Normal", "TaintManagerEviction", "Marking for deletion Pod ns/now") in events
    assert ("Normal", "TaintManagerEviction", "Cancelling deletion of Pod ns/later") in events
