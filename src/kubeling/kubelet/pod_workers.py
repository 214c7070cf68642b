"""One worker per pod: each pod is synced on its own, never by two tasks at once.

Kubernetes' pod workers, reduced to what this kubelet needs. The informer's handlers and the
runtime's container events only *wake* a pod's worker (they never wait); the worker then takes
the latest version of the pod and moves it one step along its life:

    SYNCING ──(deletionTimestamp, or a terminal phase)──▶ TERMINATING ──▶ TERMINATED
       └───────────────(gone from the API)──────────────────────────────────┴──▶ cleaned up

- **SYNCING**: :meth:`PodLifecycle.sync`; the worker wakes again when the pod changes, a
  container starts or exits, a back-off ends, or ``sync_frequency`` passes;
- **TERMINATING**: :meth:`PodLifecycle.terminate` (stop the containers with the grace
  period, report the terminal status, delete the pod from the API if it is being deleted);
- **TERMINATED**: nothing runs; a later deletion only removes the pod from the API;
- **gone** (deleted from the API, force-deleted included): stop whatever still runs, remove
  the pod's runtime state and logs, and end the worker.

A step that fails is retried with back-off (0.5 s doubling to 30 s). A pod never goes back to
SYNCING: once it terminates, its containers are not started again.

A syncing pod's worker takes every new version of the pod but wakes only for one that differs
in what the kubelet acts on, as Kubernetes' pod config source tells an update from a
*reconcile* (``checkAndUpdatePod``, ``podsDifferSemantically``): its spec, labels,
annotations, ``deletionTimestamp`` or ``deletionGracePeriodSeconds``. A change of the status
alone (most often the echo of the kubelet's own status write) is a reconcile, which syncs the
pod only when its readiness may have to be computed again (``HandlePodReconcile``: the pod
has readiness gates, whose conditions others write) or when it reports a terminal phase.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Mapping
from typing import Any, Final

from kubeling.client import DeletedFinalStateUnknown
from kubeling.kubelet.pod_lifecycle import PodLifecycle
from kubeling.kubelet.runtime.interface import ContainerEvent

__all__ = ["PodState", "PodWorker", "PodWorkers", "wakes_worker"]

log = logging.getLogger(__name__)

RETRY_INITIAL: Final = 0.5
RETRY_MAX: Final = 30.0

Obj = dict[str, Any]


class PodState(enum.Enum):
    SYNCING = "syncing"
    TERMINATING = "terminating"
    TERMINATED = "terminated"


def _differ_semantically(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Whether ``new`` changes what the kubelet acts on (Kubernetes' ``podsDifferSemantically``)."""
    if old.get("spec") != new.get("spec"):
        return True
    old_meta, new_meta = old.get("metadata") or {}, new.get("metadata") or {}
    return any(
        old_meta.get(field) != new_meta.get(field)
        for field in ("labels", "annotations", "deletionTimestamp", "deletionGracePeriodSeconds")
    )


def _reconcile_syncs(pod: Mapping[str, Any]) -> bool:
    """Whether a status-only change of ``pod`` still needs a sync: its readiness depends on
    conditions others write, or it reports a terminal phase."""
    if (pod.get("spec") or {}).get("readinessGates"):
        return True
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def wakes_worker(event: ContainerEvent) -> bool:
    """Whether the runtime's ``event`` wakes its pod's worker: an exit does, at once. A start
    does not: only the pod's worker starts containers, and it looks at the runtime again
    after starting one (so that the pod turns Running in that same sync), so a wake-up would
    sync the pod once more for nothing."""
    return event.kind != "started"


def _name(pod: Mapping[str, Any]) -> str:
    meta = pod.get("metadata") or {}
    return f"{meta.get('namespace')}/{meta.get('name')}"


class PodWorker:
    """The loop of one pod (see the module docstring)."""

    # A node simulator keeps 150,000 workers: slots, and a wake-up flag with a future only
    # while waiting, rather than an asyncio.Event (its deque alone is 600 bytes).
    __slots__ = (
        "_deadline",
        "_timer",
        "_waiter",
        "_woken",
        "gone",
        "lifecycle",
        "pod",
        "reasons",
        "state",
        "sync_frequency",
        "uid",
    )

    def __init__(self, pod: Obj, lifecycle: PodLifecycle, *, sync_frequency: float) -> None:
        self.pod = pod
        self.uid: str = pod["metadata"]["uid"]
        self.lifecycle = lifecycle
        self.sync_frequency = sync_frequency
        self.state = PodState.SYNCING
        self.gone = False
        #: Container name → (reason, message) of its last failed or delayed start.
        self.reasons: dict[str, tuple[str, str]] = {}
        self._woken = True
        self._waiter: asyncio.Future[None] | None = None
        #: The timer that wakes the worker at its next sync (a timer handle, not a task per
        #: waiting pod: a node simulator keeps 150,000 workers waiting).
        self._timer: asyncio.TimerHandle | None = None
        self._deadline: float | None = None

    def update(self, pod: Obj) -> None:
        """A new version of the pod; the worker wakes unless, while syncing, only its status
        changed (see the module docstring)."""
        previous, self.pod = self.pod, pod
        if (
            self.state is not PodState.SYNCING
            or _differ_semantically(previous, pod)
            or _reconcile_syncs(pod)
        ):
            self.wake()

    def remove(self, pod: Obj) -> None:
        self.pod = pod
        self.gone = True
        self.wake()

    def wake(self) -> None:
        """Make the worker take a step (now, or after the one it is taking)."""
        self._woken = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _schedule(self, seconds: float) -> None:
        self._deadline = time.monotonic() + max(seconds, 0.0)

    async def _wait(self) -> None:
        if not self._woken and self._deadline is not None:
            loop = asyncio.get_running_loop()
            delay = self._deadline - time.monotonic()
            if delay <= 0:
                self._woken = True
            else:
                self._timer = loop.call_later(delay, self.wake)
        try:
            if not self._woken:
                self._waiter = asyncio.get_running_loop().create_future()
                try:
                    await self._waiter
                finally:
                    self._waiter = None
        finally:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        self._woken = False
        self._deadline = None

    async def run(self) -> None:
        """Until the pod is gone from the API and cleaned up."""
        failures = 0
        while True:
            await self._wait()
            try:
                finished = await self._step()
            except asyncio.CancelledError:
                raise
            except Exception as err:
                failures += 1
                delay = min(RETRY_INITIAL * 2 ** (failures - 1), RETRY_MAX)
                log.warning(
                    "pod %s: %s failed, retrying in %.1fs: %s",
                    _name(self.pod),
                    self.state.value,
                    delay,
                    err,
                    exc_info=not isinstance(err, OSError),
                )
                self._schedule(delay)
                continue
            failures = 0
            if finished:
                return

    async def _step(self) -> bool:
        """One step along the pod's life; whether the worker is done."""
        pod = self.pod
        if self.gone:
            if self.state is not PodState.TERMINATED:
                await self.lifecycle.terminate(pod, self.reasons, gone=True)
            await self.lifecycle.cleanup(pod)
            return True
        if self.state is PodState.SYNCING and (pod.get("metadata") or {}).get("deletionTimestamp"):
            self.state = PodState.TERMINATING
        if self.state is PodState.SYNCING:
            result = await self.lifecycle.sync(pod, self.reasons)
            if result.terminal:
                self.state = PodState.TERMINATING
                self.wake()
            else:
                retry = result.retry_after
                self._schedule(
                    self.sync_frequency if retry is None else min(retry, self.sync_frequency)
                )
            return False
        if self.state is PodState.TERMINATING:
            await self.lifecycle.terminate(pod, self.reasons)
            self.state = PodState.TERMINATED
            return False
        await self.lifecycle.finish(pod)
        return False


class PodWorkers:
    """The workers of every pod bound to the node, running in ``group``."""

    def __init__(
        self, lifecycle: PodLifecycle, group: asyncio.TaskGroup, *, sync_frequency: float
    ) -> None:
        self.lifecycle = lifecycle
        self.group = group
        self.sync_frequency = sync_frequency
        self.workers: dict[str, PodWorker] = {}

    def update(self, pod: Obj) -> None:
        """An informer's add or update: the pod's worker takes the new version."""
        uid = pod["metadata"]["uid"]
        worker = self.workers.get(uid)
        if worker is not None:
            worker.update(pod)
            return
        worker = PodWorker(pod, self.lifecycle, sync_frequency=self.sync_frequency)
        self.workers[uid] = worker
        task = self.group.create_task(worker.run(), name=f"pod {_name(pod)}")
        task.add_done_callback(lambda _: self._done(uid, worker))

    def remove(self, pod: Obj | DeletedFinalStateUnknown) -> None:
        """An informer's delete: the pod is gone from the API."""
        obj = pod.obj if isinstance(pod, DeletedFinalStateUnknown) else pod
        worker = self.workers.get(obj["metadata"]["uid"])
        if worker is not None:
            worker.remove(obj)

    def wake(self, uid: str) -> None:
        """Something happened to the pod's containers."""
        worker = self.workers.get(uid)
        if worker is not None:
            worker.wake()

    def _done(self, uid: str, worker: PodWorker) -> None:
        if self.workers.get(uid) is worker:
            del self.workers[uid]

    def pods(self) -> list[Obj]:
        return [worker.pod for worker in self.workers.values()]
