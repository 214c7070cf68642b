"""The pod garbage collector: delete pods nothing else will.

Kubernetes 1.32's ``pkg/controller/podgc``. Every 20 seconds it looks at all
pods and force-deletes (grace period 0):

- terminated pods (Succeeded or Failed) beyond ``--terminated-pod-gc-threshold``
  (12500), evicted ones first, then the oldest;
- terminating pods on a node that is not Ready and has the
  ``node.kubernetes.io/out-of-service`` taint;
- orphaned pods, bound to a node that no longer exists: a missing node is kept
  in quarantine for 40 seconds (the node informer may only be late) and then
  confirmed gone by a GET; such pods get the ``DisruptionTarget`` condition
  (reason ``DeletionByPodGC``);
- terminating pods that were never scheduled.

A pod that has not finished is first marked ``Failed`` (through the status
subresource), since no kubelet will ever do it. There is no object to sync: the
controller queues one key, ``podgc``, every period. The period, the quarantine
and the threshold are constructor arguments (Kubernetes' ``NewPodGCInternal``).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

from kubeling.api import errors
from kubeling.api.timestamps import format_time
from kubeling.client.resources import NODES, PODS
from kubeling.controllers.base import Controller, ControllerContext
from kubeling.controllers.clock import Clock, utc_now
from kubeling.controllers.pods import condition, parse_time

__all__ = [
    "GC_CHECK_PERIOD",
    "QUARANTINE_TIME",
    "TERMINATED_POD_GC_THRESHOLD",
    "PodGCController",
    "gc_order",
    "is_pod_terminated",
]

log = logging.getLogger(__name__)

GC_CHECK_PERIOD: Final = 20.0
QUARANTINE_TIME: Final = 40.0
TERMINATED_POD_GC_THRESHOLD: Final = 12500
OUT_OF_SERVICE_TAINT: Final = "node.kubernetes.io/out-of-service"
_KEY: Final = "podgc"

Pod = Mapping[str, Any]


def is_pod_terminated(pod: Pod) -> bool:
    """Neither Pending, Running nor Unknown."""
    return (pod.get("status") or {}).get("phase") not in ("Pending", "Running", "Unknown")


def _is_evicted(pod: Pod) -> bool:
    status = pod.get("status") or {}
    return status.get("phase") == "Failed" and status.get("reason") == "Evicted"


def _gc_compare(first: Pod, second: Pod) -> int:
    """``byEvictionAndCreationTimestamp``: evicted first, then oldest, then by name."""
    if _is_evicted(first) != _is_evicted(second):
        return -1 if _is_evicted(first) else 1
    meta_a, meta_b = first.get("metadata") or {}, second.get("metadata") or {}
    created_a = parse_time(meta_a.get("creationTimestamp"))
    created_b = parse_time(meta_b.get("creationTimestamp"))
    if created_a != created_b and created_a is not None and created_b is not None:
        return -1 if created_a < created_b else 1
    name_a, name_b = str(meta_a.get("name", "")), str(meta_b.get("name", ""))
    return (name_a > name_b) - (name_a < name_b)


def gc_order(pods: Iterable[Pod]) -> list[Pod]:
    """The pods in the order PodGC deletes them."""
    return sorted(pods, key=functools.cmp_to_key(_gc_compare))


def _node_name(pod: Pod) -> str:
    return str((pod.get("spec") or {}).get("nodeName") or "")


def _is_terminating(pod: Pod) -> bool:
    return bool((pod.get("metadata") or {}).get("deletionTimestamp"))


class PodGCController(Controller):
    """Kubernetes' ``podgc`` controller."""

    name = "podgc"
    component = "pod-garbage-collector"
    workers = 1
    max_retries = None

    def __init__(
        self,
        ctx: ControllerContext,
        *,
        terminated_pod_threshold: int = TERMINATED_POD_GC_THRESHOLD,
        gc_check_period: float = GC_CHECK_PERIOD,
        quarantine_time: float = QUARANTINE_TIME,
        clock: Clock = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(ctx)
        self.terminated_pod_threshold = terminated_pod_threshold
        self.gc_check_period = gc_check_period
        self.quarantine_time = quarantine_time
        self.clock = clock
        self.monotonic = monotonic
        self.pod_client = self.client.resource(PODS)
        self.node_client = self.client.resource(NODES)
        self.pods = self.informers.informer_for(PODS)
        self.nodes = self.informers.informer_for(NODES)
        #: Missing nodes, and when their quarantine ends (the upstream delaying queue).
        self.quarantine: dict[str, float] = {}
        self.queue.add(_KEY)  # the first pass runs once the caches have synced

    async def sync(self, key: str) -> None:
        try:
            await self.gc()
        finally:
            self.queue.add_after(_KEY, self.gc_check_period)

    async def gc(self) -> None:
        """One pass over every pod."""
        pods = self.pods.lister.list()
        nodes = self.nodes.lister.list()
        if self.terminated_pod_threshold > 0:
            await self._gc_terminated(pods)
        await self._gc_terminating_out_of_service(pods)
        await self._gc_orphaned(pods, nodes)
        await self._gc_unscheduled_terminating(pods)

    async def _gc_terminated(self, pods: Sequence[Pod]) -> None:
        terminated = [p for p in pods if is_pod_terminated(p)]
        excess = len(terminated) - self.terminated_pod_threshold
        if excess <= 0:
            return
        log.info("garbage collecting %d terminated pods", excess)
        await self._delete_all(gc_order(terminated)[:excess])

    async def _gc_terminating_out_of_service(self, pods: Sequence[Pod]) -> None:
        """Terminating pods on a node that is down and tainted out-of-service: its kubelet
        will not finish them."""
        doomed = []
        for pod in pods:
            if not _is_terminating(pod):
                continue
            try:
                node = self.nodes.lister.get(_node_name(pod))
            except errors.StatusError:
                continue
            ready = condition(node, "Ready")
            taints = (node.get("spec") or {}).get("taints") or ()
            out_of_service = any(t.get("key") == OUT_OF_SERVICE_TAINT for t in taints)
            if (ready is None or ready.get("status") != "True") and out_of_service:
                doomed.append(pod)
        await self._delete_all(gc_order(doomed))

    async def _gc_orphaned(self, pods: Sequence[Pod], nodes: Sequence[Mapping[str, Any]]) -> None:
        existing = {str((n.get("metadata") or {}).get("name", "")) for n in nodes}
        now = self.monotonic()
        for pod in pods:
            node = _node_name(pod)
            if node and node not in existing and node not in self.quarantine:
                self.quarantine[node] = now + self.quarantine_time
        deleted = await self._confirm_deleted_nodes(existing, now)
        disrupted = {
            "type": "DisruptionTarget",
            "status": "True",
            "reason": "DeletionByPodGC",
            "message": "PodGC: node no longer exists",
        }
        for pod in pods:
            if _node_name(pod) in deleted:
                log.info(
                    "deleting orphaned pod %s/%s of deleted node %s",
                    (pod.get("metadata") or {}).get("namespace"),
                    (pod.get("metadata") or {}).get("name"),
                    _node_name(pod),
                )
                await self._mark_failed_and_delete(pod, disrupted)

    async def _confirm_deleted_nodes(self, existing: set[str], now: float) -> set[str]:
        """Nodes out of quarantine that the API confirms are gone (an error: ask again
        when a pod names the node in a later pass)."""
        deleted = set()
        for node, ready_at in list(self.quarantine.items()):
            if ready_at > now:
                continue
            del self.quarantine[node]
            if node in existing:
                continue
            try:
                await self.node_client.get(node)
            except errors.StatusError as err:
                if errors.is_not_found(err):
                    deleted.add(node)
                else:
                    log.warning("podgc: cannot check node %s: %s", node, err)
        return deleted

    async def _gc_unscheduled_terminating(self, pods: Sequence[Pod]) -> None:
        for pod in pods:
            if _is_terminating(pod) and not _node_name(pod):
                await self._mark_failed_and_delete(pod)

    async def _delete_all(self, pods: Sequence[Pod]) -> None:
        await asyncio.gather(*(self._mark_failed_and_delete(p) for p in pods))

    async def _mark_failed_and_delete(
        self, pod: Pod, disruption: Mapping[str, Any] | None = None
    ) -> None:
        """Mark the pod Failed (unless finished), then force-delete it; failures are
        logged, the next pass tries again."""
        meta = pod.get("metadata") or {}
        name, namespace = str(meta.get("name", "")), str(meta.get("namespace", ""))
        try:
            if (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
                status: dict[str, Any] = {"phase": "Failed"}
                if disruption is not None:
                    cond = {**disruption, "lastTransitionTime": format_time(self.clock())}
                    status["conditions"] = [cond]
                # The uid makes the patch fail on a pod recreated under the same name.
                patch = {"metadata": {"uid": meta.get("uid", "")}, "status": status}
                await self.pod_client.patch(name, patch, namespace=namespace, subresource="status")
            await self.pod_client.delete(name, namespace=namespace, grace_period_seconds=0)
        except errors.StatusError as err:
            if not errors.is_not_found(err):
                log.warning("podgc: cannot delete pod %s/%s: %s", namespace, name, err)
