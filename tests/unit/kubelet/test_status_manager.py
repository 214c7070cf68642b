"""The status manager over a fake pods client: background writes, coalescing, retries, order."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from kubeling.api import errors
from kubeling.kubelet.status_manager import MAX_WRITING, RECONCILE_AFTER, StatusManager
from tests.support.waiting import eventually

Obj = dict[str, Any]


def pod(uid: str = "u1", status: Obj | None = None) -> Obj:
    return {"metadata": {"name": "web", "namespace": "default", "uid": uid}, "status": status}


class FakePods:
    """Records status patches and deletes; ``gate`` holds patches; ``fail`` makes them raise."""

    def __init__(self) -> None:
        self.patched: list[Obj] = []
        self.deleted: list[str] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail: list[Exception] = []
        #: The uid of each pod name (the patch tests it).
        self.uids = {"web": "u1"}

    async def patch(self, name: str, body: list[Obj], **options: Any) -> Obj:
        assert options["subresource"] == "status"
        assert body[0] == {"op": "test", "path": "/metadata/uid", "value": self.uids[name]}
        await self.gate.wait()
        if self.fail:
            raise self.fail.pop(0)
        self.patched.append(body[1]["value"])
        return {}

    async def delete(self, name: str, **options: Any) -> Mapping[str, Any]:
        self.deleted.append(name)
        return {}


async def no_sleep(_: float) -> None:
    await asyncio.sleep(0)


async def test_set_status_returns_at_once_and_the_status_is_written_in_the_background() -> None:
    pods = FakePods()
    pods.gate.clear()
    manager = StatusManager(pods)  # type: ignore[arg-type]
    async with asyncio.TaskGroup() as group:
        manager.start(group)
        manager.set_status(pod(), {"phase": "Pending"})
        assert pods.patched == []
        assert manager.previous(pod()) == {"phase": "Pending"}
        pods.gate.set()
        await manager.wait_written("u1")
    assert pods.patched == [{"phase": "Pending"}]
    assert manager.writes == 1


async def test_a_status_replaced_before_it_was_sent_is_never_sent() -> None:
    pods = FakePods()
    pods.gate.clear()
    manager = StatusManager(pods)  # type: ignore[arg-type]
    async with asyncio.TaskGroup() as group:
        manager.start(group)
        manager.set_status(pod(), {"phase": "Pending", "n": 1})
        await asyncio.sleep(0)  # the first is being sent (held at the gate)
        manager.set_status(pod(), {"phase": "Pending", "n": 2})
        manager.set_status(pod(), {"phase": "Running"})
        pods.gate.set()
        await manager.wait_written("u1")
    assert pods.patched == [{"phase": "Pending", "n": 1}, {"phase": "Running"}]


async def test_a_status_equal_to_what_was_sent_or_to_the_apis_is_not_sent() -> None:
    pods = FakePods()
    manager = StatusManager(pods)  # type: ignore[arg-type]
    async with asyncio.TaskGroup() as group:
        manager.start(group)
        manager.set_status(pod(status={"phase": "Running"}), {"phase": "Running"})
        await manager.wait_written("u1")
        manager.set_status(pod(), {"phase": "Succeeded"})
        await manager.wait_written("u1")
        manager.set_status(pod(), {"phase": "Succeeded"})
        await manager.wait_written("u1")
    assert pods.patched == [{"phase": "Succeeded"}]


async def test_a_failed_write_is_retried_and_a_gone_pod_is_not_an_error() -> None:
    pods = FakePods()
    pods.fail = [errors.internal_error("boom")]
    manager = StatusManager(pods, sleep=no_sleep)  # type: ignore[arg-type]
    async with asyncio.TaskGroup() as group:
        manager.start(group)
        manager.set_status(pod(), {"phase": "Running"})
        await manager.wait_written("u1")
        assert pods.patched == [{"phase": "Running"}]
        pods.fail = [errors.not_found("pods", "web")]
        manager.set_status(pod(), {"phase": "Failed"})
        await manager.wait_written("u1")
    assert pods.patched == [{"phase": "Running"}]
    assert manager.writes == 1


async def test_a_finished_pod_is_deleted_only_after_its_last_status_is_written() -> None:
    pods = FakePods()
    pods.gate.clear()
    manager = StatusManager(pods)  # type: ignore[arg-type]
    async with asyncio.TaskGroup() as group:
        manager.start(group)
        manager.set_status(pod(), {"phase": "Succeeded"})
        deleting = asyncio.create_task(manager.delete_pod(pod()))
        await asyncio.sleep(0.01)
        assert pods.deleted == []
        pods.gate.set()
        await deleting
    assert pods.patched == [{"phase": "Succeeded"}]
    assert pods.deleted == ["web"]


async def test_a_status_is_taken_when_its_turn_comes() -> None:
    """With every turn taken, a pod's status set twice meanwhile is sent once: the latest."""
    pods = FakePods()
    pods.gate.clear()
    manager = StatusManager(pods)  # type: ignore[arg-type]
    others = [pod(f"other-{n}") for n in range(MAX_WRITING)]
    for n, other in enumerate(others):
        other["metadata"]["name"] = f"other-{n}"
        pods.uids[f"other-{n}"] = f"other-{n}"
    async with asyncio.TaskGroup() as group:
        manager.start(group)
        for other in others:
            manager.set_status(other, {"phase": "Pending"})
        await asyncio.sleep(0)  # each takes a turn and waits at the gate
        manager.set_status(pod(), {"phase": "Pending"})
        await asyncio.sleep(0.01)
        manager.set_status(pod(), {"phase": "Running"})
        pods.gate.set()
        await manager.wait_written("u1")
    assert pods.patched == [{"phase": "Pending"}] * MAX_WRITING + [{"phase": "Running"}]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_conditions_someone_else_overwrote_are_sent_again_once_the_echo_had_time() -> None:
    """The node lifecycle controller marked the pod not Ready while its node's Lease lapsed;
    the kubelet's own status did not change, so only the comparison with the API's copy
    (``needsReconcile``) sends it again."""
    pods, clock = FakePods(), Clock()
    manager = StatusManager(pods, clock=clock)  # type: ignore[arg-type]
    ready = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
    marked = {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}]}
    async with asyncio.TaskGroup() as group:
        manager.start(group)
        manager.set_status(pod(), ready)
        await manager.wait_written("u1")
        clock.now += RECONCILE_AFTER - 1  # a late echo of an older status: not an overwrite
        manager.set_status(pod(status=marked), ready)
        await manager.wait_written("u1")
        assert pods.patched == [ready]
        clock.now += 2
        manager.set_status(pod(status=ready), ready)  # the API shows what was sent: nothing
        await manager.wait_written("u1")
        assert pods.patched == [ready]
        manager.set_status(pod(status=marked), ready)  # overwritten: sent again
        await manager.wait_written("u1")
    assert pods.patched == [ready, ready]


class _Done(Exception):
    pass


async def test_the_periodic_reconcile_sends_again_what_the_api_lost() -> None:
    """No pod sync is needed: every period the manager compares the API's copies (what the
    kubelet's watch has) with what it sent, as Kubernetes' ``syncBatch``."""
    pods, clock = FakePods(), Clock()
    manager = StatusManager(pods, clock=clock, reconcile_period=0.01)  # type: ignore[arg-type]
    ready = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
    marked = {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}]}
    api = {"u1": pod(status=ready)}
    try:
        async with asyncio.TaskGroup() as group:
            manager.start(group, api_pod=api.get)
            manager.set_status(pod(), ready)
            await manager.wait_written("u1")
            clock.now += RECONCILE_AFTER + 1
            await asyncio.sleep(0.05)  # several periods: the API has what was sent
            assert pods.patched == [ready]
            api["u1"] = pod(status=marked)
            await eventually(lambda: len(pods.patched) == 2, within=5, what="a second write")
            raise _Done
    except* _Done:
        pass
    assert pods.patched == [ready, ready]
