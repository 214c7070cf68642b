"""Pod workers: one loop per pod, moving it from syncing to terminated and cleaned up."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, MutableMapping
from typing import Any

from kubeling.kubelet.pod_lifecycle import SyncResult
from kubeling.kubelet.pod_workers import PodState, PodWorkers, wakes_worker
from kubeling.kubelet.runtime.interface import ContainerEvent
from tests.unit.kubelet.builders import pod

Obj = dict[str, Any]


class Lifecycle:
    """Records the steps; ``terminal`` makes sync report a terminal phase; ``fail`` raises."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.terminal = False
        self.fail = 0
        self.step = asyncio.Event()

    def _record(self, name: str) -> None:
        self.calls.append(name)
        self.step.set()
        if self.fail:
            self.fail -= 1
            raise RuntimeError("boom")

    async def sync(self, pod: Mapping[str, Any], reasons: MutableMapping[str, Any]) -> SyncResult:
        self._record("sync")
        return SyncResult(terminal=self.terminal, retry_after=None)

    async def terminate(
        self, pod: Mapping[str, Any], reasons: Mapping[str, Any], *, gone: bool = False
    ) -> None:
        self._record("terminate-gone" if gone else "terminate")

    async def finish(self, pod: Mapping[str, Any]) -> None:
        self._record("finish")

    async def cleanup(self, pod: Mapping[str, Any]) -> None:
        self._record("cleanup")


async def settle(lifecycle: Lifecycle, count: int) -> None:
    """Wait until ``count`` steps were recorded (bounded)."""
    async with asyncio.timeout(5):
        while len(lifecycle.calls) < count:
            lifecycle.step.clear()
            await lifecycle.step.wait()
    await asyncio.sleep(0.01)  # and nothing more happens at once


async def test_a_pod_is_synced_when_it_changes_then_deleted_gracefully_then_cleaned_up() -> None:
    lifecycle = Lifecycle()
    async with asyncio.TaskGroup() as group:
        workers = PodWorkers(lifecycle, group, sync_frequency=60)  # type: ignore[arg-type]
        body = pod("web")
        workers.update(body)
        await settle(lifecycle, 1)
        workers.update({**body, "spec": {**body["spec"], "activeDeadlineSeconds": 30}})
        await settle(lifecycle, 2)
        deleting = pod("web", deleting=True)
        workers.update(deleting)
        await settle(lifecycle, 3)
        worker = workers.workers["uid-1"]
        assert worker.state is PodState.TERMINATED
        workers.update(deleting)  # a later event: only the deletion is asked again
        await settle(lifecycle, 4)
        workers.remove(deleting)
        await settle(lifecycle, 5)
    assert lifecycle.calls == ["sync", "sync", "terminate", "finish", "cleanup"]
    assert workers.workers == {}


async def test_a_terminal_pod_is_terminated_once() -> None:
    lifecycle = Lifecycle()
    lifecycle.terminal = True
    async with asyncio.TaskGroup() as group:
        workers = PodWorkers(lifecycle, group, sync_frequency=60)  # type: ignore[arg-type]
        workers.update(pod("job", restart="Never"))
        await settle(lifecycle, 2)
        workers.wake("uid-1")
        await settle(lifecycle, 3)
        workers.remove(pod("job"))
        await settle(lifecycle, 4)
    assert lifecycle.calls == ["sync", "terminate", "finish", "cleanup"]


async def test_a_force_deleted_pod_is_stopped_and_cleaned_up() -> None:
    lifecycle = Lifecycle()
    async with asyncio.TaskGroup() as group:
        workers = PodWorkers(lifecycle, group, sync_frequency=60)  # type: ignore[arg-type]
        workers.update(pod("web"))
        await settle(lifecycle, 1)
        workers.remove(pod("web"))
        await settle(lifecycle, 3)
    assert lifecycle.calls == ["sync", "terminate-gone", "cleanup"]


async def test_a_failing_step_is_retried() -> None:
    lifecycle = Lifecycle()
    lifecycle.fail = 2
    async with asyncio.TaskGroup() as group:
        workers = PodWorkers(lifecycle, group, sync_frequency=60)  # type: ignore[arg-type]
        workers.update(pod("web"))
        await settle(lifecycle, 3)  # two failures (0.5 s, then 1 s later), then success
        workers.remove(pod("web"))
        await settle(lifecycle, 5)
    assert lifecycle.calls == ["sync", "sync", "sync", "terminate-gone", "cleanup"]


async def test_a_status_only_change_is_a_reconcile_that_does_not_sync() -> None:
    """As Kubernetes' pod config source: the echo of a status write does not sync the pod, but
    the worker has the new version for its next sync."""
    lifecycle = Lifecycle()
    async with asyncio.TaskGroup() as group:
        workers = PodWorkers(lifecycle, group, sync_frequency=60)  # type: ignore[arg-type]
        workers.update(pod("web"))
        await settle(lifecycle, 1)
        running = pod("web", status={"phase": "Running", "qosClass": "BestEffort"})
        workers.update(running)
        await asyncio.sleep(0.05)
        assert lifecycle.calls == ["sync"]
        assert workers.workers["uid-1"].pod is running
        labelled = pod("web", status={"phase": "Running"})
        labelled["metadata"]["labels"] = {"app": "web"}
        workers.update(labelled)
        await settle(lifecycle, 2)
        workers.remove(labelled)
        await settle(lifecycle, 4)
    assert lifecycle.calls == ["sync", "sync", "terminate-gone", "cleanup"]


async def test_a_status_change_syncs_a_pod_with_readiness_gates() -> None:
    """Its Ready condition depends on conditions others write (``HandlePodReconcile``)."""
    lifecycle = Lifecycle()
    async with asyncio.TaskGroup() as group:
        workers = PodWorkers(lifecycle, group, sync_frequency=60)  # type: ignore[arg-type]
        gates = [{"conditionType": "example.com/ready"}]
        workers.update(pod("web", readinessGates=gates))
        await settle(lifecycle, 1)
        condition = {"type": "example.com/ready", "status": "True"}
        workers.update(pod("web", readinessGates=gates, status={"conditions": [condition]}))
        await settle(lifecycle, 2)
        workers.remove(pod("web"))
        await settle(lifecycle, 4)
    assert lifecycle.calls == ["sync", "sync", "terminate-gone", "cleanup"]


async def test_a_terminal_phase_written_by_another_syncs_the_pod() -> None:
    lifecycle = Lifecycle()
    async with asyncio.TaskGroup() as group:
        workers = PodWorkers(lifecycle, group, sync_frequency=60)  # type: ignore[arg-type]
        workers.update(pod("web"))
        await settle(lifecycle, 1)
        workers.update(pod("web", status={"phase": "Failed", "reason": "Evicted"}))
        await settle(lifecycle, 2)
        workers.remove(pod("web"))
        await settle(lifecycle, 4)
    assert lifecycle.calls == ["sync", "sync", "terminate-gone", "cleanup"]


class SlowLifecycle(Lifecycle):
    """A sync that waits for ``release`` before it returns."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()

    async def sync(self, pod: Mapping[str, Any], reasons: MutableMapping[str, Any]) -> SyncResult:
        self._record("sync")
        await self.release.wait()
        self.release.clear()
        return SyncResult(terminal=False, retry_after=None)


async def test_a_wake_during_a_step_is_kept_for_after_it() -> None:
    """A container event that arrives while the pod syncs makes the worker sync once more
    when that step ends, not wait for the next periodic sync."""
    lifecycle = SlowLifecycle()
    async with asyncio.TaskGroup() as group:
        workers = PodWorkers(lifecycle, group, sync_frequency=60)  # type: ignore[arg-type]
        workers.update(pod("web"))
        await settle(lifecycle, 1)
        workers.wake("uid-1")  # during the first sync
        workers.wake("uid-1")  # twice: still one more sync
        lifecycle.release.set()
        await settle(lifecycle, 2)
        lifecycle.release.set()
        await asyncio.sleep(0.05)
        assert lifecycle.calls == ["sync", "sync"]
        workers.wake("uid-1")  # while it waits
        await settle(lifecycle, 3)
        lifecycle.release.set()
        workers.remove(pod("web"))
        await settle(lifecycle, 5)
    assert lifecycle.calls == ["sync", "sync", "sync", "terminate-gone", "cleanup"]


async def test_a_waiting_worker_syncs_again_after_sync_frequency() -> None:
    lifecycle = Lifecycle()
    async with asyncio.TaskGroup() as group:
        workers = PodWorkers(lifecycle, group, sync_frequency=0.05)  # type: ignore[arg-type]
        workers.update(pod("web"))
        await settle(lifecycle, 3)  # the first sync, then two on the timer alone
        workers.remove(pod("web"))
        await settle(lifecycle, 5)
    assert lifecycle.calls[:3] == ["sync", "sync", "sync"]
    assert lifecycle.calls[-2:] == ["terminate-gone", "cleanup"]


async def test_a_worker_keeps_no_attribute_dictionary() -> None:
    """Thousands wait at once in a node simulator: each is a slotted object."""
    async with asyncio.TaskGroup() as group:
        workers = PodWorkers(Lifecycle(), group, sync_frequency=60)  # type: ignore[arg-type]
        workers.update(pod("web"))
        assert not hasattr(workers.workers["uid-1"], "__dict__")
        workers.remove(pod("web"))


def test_only_an_exit_wakes_the_worker() -> None:
    """A start comes from the worker's own sync, which looks at the runtime again anyway."""
    exited = ContainerEvent("c", "s", "uid-1", "exited")
    assert wakes_worker(exited)
    assert not wakes_worker(ContainerEvent("c", "s", "uid-1", "started"))
