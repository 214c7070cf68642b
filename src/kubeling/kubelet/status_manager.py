"""Writing pod statuses: in the background, only the latest, only when they change.

The kubelet's status manager. As in Kubernetes (``pkg/kubelet/status/status_manager.go``),
setting a pod's status never waits for the API: :meth:`StatusManager.set_status` records it and
a writer of that pod sends it, so that a pod worker starts the containers while its pod's
``Pending`` status is on its way, and a status that is replaced before it was sent (a pod that
turns ``Running`` while ``ContainerCreating`` waits for its turn) is never sent at all. One
writer per pod, so that a pod's statuses reach the API in the order they were set; a failed
write is tried again (0.5 s doubling to 10 s) unless a newer status replaced it. At most
:data:`MAX_WRITING` writes are under way at once, and a writer takes its pod's status only
when its turn comes, as Kubernetes' status manager (one goroutine writing the latest status
of each pod in turn) does: in a burst of pods, a pod whose containers started before its
``Pending`` status was sent is reported ``Running`` at once, the API is asked half as many
writes, and the kubelet's other requests (its pods' tokens and ConfigMaps, on the way to
starting their containers) are not queued behind status writes.

A status is written through ``pods/<name>/status`` as a JSON patch that first tests
``metadata.uid`` (a pod deleted and created again under the same name never gets its
predecessor's status) and then replaces the status, unless it equals what was sent last (or,
before anything was sent, what the API has). A pod that is gone or replaced (404, 409, 422) is
not an error: there is nobody left to report to. A pod the kubelet has finished with and that is
being deleted is removed from the API with grace period 0, with a uid precondition, once its
last status is written (:meth:`StatusManager.wait_written`), as the kubelet does.

Others may write a pod's conditions too: the node lifecycle controller marks the pods of a node
whose Lease lapsed not Ready. When the node is back, the kubelet's status is unchanged, so it
would never be sent again; as Kubernetes' status manager reconciles a pod whose status in the
API differs from the one it keeps (``needsReconcile``), a status whose conditions the API no
longer has is sent again, once the kubelet's own write has had :data:`RECONCILE_AFTER` seconds
to come back through the watch (so an echo that is merely late is not taken for an overwrite).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from kubeling.api import errors
from kubeling.client import PatchType, ResourceClient, TransportError

__all__ = ["StatusManager"]

log = logging.getLogger(__name__)

RETRY_INITIAL: Final = 0.5
RETRY_MAX: Final = 10.0
#: Status writes under way at once (see the module docstring).
MAX_WRITING: Final = 4
#: Seconds after a write before the API's copy of the pod is expected to show it (Kubernetes'
#: status manager reconciles on a 10 s period).
RECONCILE_AFTER: Final = 10.0

Obj = dict[str, Any]


class StatusManager:
    """Writes pod statuses through ``pods`` (see the module docstring). :meth:`start` gives it
    the task group its writers run in."""

    def __init__(
        self,
        pods: ResourceClient,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        reconcile_period: float = RECONCILE_AFTER,
    ) -> None:
        self.pods = pods
        self._sleep = sleep
        self._clock = clock
        self._reconcile_period = reconcile_period
        self._group: asyncio.TaskGroup | None = None
        #: The status last set per pod uid: what the kubelet reports, sent or not.
        self._latest: dict[str, Obj] = {}
        #: The status last sent (or being sent) per pod uid; absent when unknown.
        self._sent: dict[str, Obj] = {}
        #: When each of those was sent (``clock``).
        self._sent_at: dict[str, float] = {}
        #: What is still to be sent: the pod (for its name) and its status.
        self._pending: dict[str, tuple[Mapping[str, Any], Obj]] = {}
        #: Pods whose writer runs.
        self._writing: set[str] = set()
        self._idle = asyncio.Condition()
        self._turns = asyncio.Semaphore(MAX_WRITING)
        #: How many statuses were actually written (for tests and statistics).
        self.writes = 0

    def start(
        self,
        group: asyncio.TaskGroup,
        *,
        api_pod: Callable[[str], Mapping[str, Any] | None] | None = None,
    ) -> None:
        """Run the writers in ``group`` from now on; with ``api_pod`` (a pod uid → the API's
        latest copy of that pod, as the kubelet's watch has it), also check every
        ``reconcile_period`` seconds whether the API lost what was sent (see the module
        docstring), as Kubernetes' status manager does in ``syncBatch``."""
        self._group = group
        if api_pod is not None:
            group.create_task(self._reconcile_every(api_pod), name="pod status reconcile")

    async def _reconcile_every(self, api_pod: Callable[[str], Mapping[str, Any] | None]) -> None:
        while True:
            await asyncio.sleep(self._reconcile_period)
            for uid, status in list(self._latest.items()):
                pod = api_pod(uid)
                if pod is not None and uid not in self._writing and status == self._sent.get(uid):
                    self.set_status(pod, status)  # writes only if the API lost it

    def previous(self, pod: Mapping[str, Any]) -> Obj:
        """The status the kubelet set last for ``pod``, or the API's."""
        latest = self._latest.get(pod["metadata"]["uid"])
        if latest is not None:
            return latest
        status: Obj = pod.get("status") or {}
        return status

    def set_status(self, pod: Mapping[str, Any], status: Obj) -> None:
        """Report ``status`` for ``pod``: sent in the background if it says something new."""
        uid = pod["metadata"]["uid"]
        self._latest[uid] = status
        known = self._sent.get(uid) if uid in self._sent else (pod.get("status") or {})
        if status == known and not self._overwritten(uid, pod):
            self._pending.pop(uid, None)  # a status set in between is no longer news
            return
        self._pending[uid] = (pod, status)
        if uid not in self._writing:
            if self._group is None:
                raise RuntimeError("StatusManager.start() was not called")
            self._writing.add(uid)
            self._group.create_task(self._write(uid), name=f"pod status {uid}")

    def _overwritten(self, uid: str, pod: Mapping[str, Any]) -> bool:
        """Whether the API's copy of ``pod`` lost the conditions last sent for it, someone
        else having written them since (see the module docstring)."""
        sent = self._sent.get(uid)
        sent_at = self._sent_at.get(uid)
        if sent is None or sent_at is None or self._clock() - sent_at < RECONCILE_AFTER:
            return False
        return (pod.get("status") or {}).get("conditions") != sent.get("conditions")

    async def wait_written(self, uid: str) -> None:
        """Until nothing set for the pod ``uid`` is left to send."""
        async with self._idle:
            await self._idle.wait_for(lambda: uid not in self._writing)

    async def _write(self, uid: str) -> None:
        """Send the pod's latest status until none is left (see the module docstring)."""
        delay = RETRY_INITIAL
        try:
            while True:
                async with self._turns:
                    # The status to send is the latest when the turn comes, not when it was set.
                    item = self._pending.pop(uid, None)
                    if item is None:
                        return
                    pod, status = item
                    self._sent[uid] = status
                    self._sent_at[uid] = self._clock()
                    try:
                        await self._patch(pod, status)
                    except asyncio.CancelledError:
                        raise
                    except Exception as err:  # the API is unreachable or failed: try again
                        self._sent.pop(uid, None)
                        self._pending.setdefault(uid, item)
                        meta = pod["metadata"]
                        log.warning(
                            "writing the status of %s/%s failed, retrying in %.1fs: %s",
                            meta["namespace"],
                            meta["name"],
                            delay,
                            err,
                            exc_info=not isinstance(err, errors.StatusError | TransportError),
                        )
                    else:
                        delay = RETRY_INITIAL
                        continue
                await self._sleep(delay)  # not holding a turn
                delay = min(delay * 2, RETRY_MAX)
        finally:
            self._writing.discard(uid)
            async with self._idle:
                self._idle.notify_all()

    async def _patch(self, pod: Mapping[str, Any], status: Obj) -> None:
        meta = pod["metadata"]
        patch = [
            {"op": "test", "path": "/metadata/uid", "value": meta["uid"]},
            {"op": "replace", "path": "/status", "value": status},
        ]
        try:
            await self.pods.patch(
                meta["name"],
                patch,
                patch_type=PatchType.JSON,
                namespace=meta["namespace"],
                subresource="status",
            )
        except errors.StatusError as err:
            if errors.is_not_found(err) or err.code in (409, 422):
                log.info(
                    "not writing the status of %s/%s: %s", meta["namespace"], meta["name"], err
                )
                return
            raise
        self.writes += 1

    async def delete_pod(self, pod: Mapping[str, Any]) -> None:
        """Remove a finished pod from the API (grace period 0, only if it is still this pod),
        once its last status is written."""
        meta = pod["metadata"]
        await self.wait_written(meta["uid"])
        try:
            await self.pods.delete(
                meta["name"],
                namespace=meta["namespace"],
                grace_period_seconds=0,
                precondition_uid=meta["uid"],
            )
        except errors.StatusError as err:
            if not (errors.is_not_found(err) or errors.is_conflict(err)):
                raise

    def forget(self, uid: str) -> None:
        """The pod is gone: nothing more is sent for it (a write under way ends on its own)."""
        self._pending.pop(uid, None)
        self._latest.pop(uid, None)
        self._sent.pop(uid, None)
        self._sent_at.pop(uid, None)
