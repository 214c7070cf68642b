"""The taint eviction controller (``taint-eviction-controller``, the NoExecuteTaintManager).

It evicts pods from nodes with ``NoExecute`` taints, as Kubernetes 1.32's
``pkg/controller/tainteviction`` does (a controller of its own since the
SeparateTaintEvictionController feature, on by default):

- a pod that does not tolerate every NoExecute taint of its node is deleted
  at once;
- a pod that tolerates them all is deleted after the shortest
  ``tolerationSeconds`` among the tolerations it uses (300 s for the
  not-ready/unreachable ones the DefaultTolerationSeconds admission adds),
  counted from when the taint was noticed; with no limit it stays;
- when the taints go away (or the pod gains tolerations) before that, the
  deletion is cancelled (a ``TaintManagerEviction`` "Cancelling deletion"
  event).

A deletion records ``TaintManagerEviction`` "Marking for deletion Pod ns/name",
sets the pod's ``DisruptionTarget`` condition (reason
``DeletionByTaintManager``) and deletes it; up to five tries.

Node and pod events only enqueue: node names whose NoExecute taints changed,
and pods whose node or tolerations changed (with the node they were seen on).
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import logging
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final

from kubeling.api import errors
from kubeling.api.podconditions import DISRUPTION_TARGET, update_pod_condition
from kubeling.api.taints import NO_EXECUTE, matching_tolerations, min_toleration_seconds
from kubeling.api.timestamps import format_time
from kubeling.client import (
    NORMAL,
    DeletedFinalStateUnknown,
    PatchType,
    ShutDown,
    TransportError,
    WorkQueue,
    split_key,
)
from kubeling.client.resources import NODES, PODS
from kubeling.controllers.base import Controller, ControllerContext
from kubeling.controllers.pods import NODE_NAME_INDEX, node_name_index
from kubeling.controllers.timedworkers import TimedWorkerQueue

__all__ = ["Eviction", "EvictionKind", "TaintEvictionController", "decide", "no_execute_taints"]

log = logging.getLogger(__name__)

Obj = dict[str, Any]

#: Tries of one deletion (``retries``), 10 ms apart.
_DELETE_TRIES: Final = 5


def no_execute_taints(node: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """The node's NoExecute taints, in order."""
    if node is None:
        return []
    return [
        t
        for t in (node.get("spec") or {}).get("taints") or ()
        if isinstance(t, Mapping) and t.get("effect") == NO_EXECUTE
    ]


class EvictionKind(enum.Enum):
    #: no NoExecute taint: cancel any scheduled deletion
    UNTAINTED = "untainted"
    #: a taint is not tolerated: delete now
    NOW = "now"
    #: every taint tolerated for good: cancel any scheduled deletion
    NEVER = "never"
    #: every taint tolerated for a while: delete after ``seconds``
    AFTER = "after"


@dataclasses.dataclass(frozen=True, slots=True)
class Eviction:
    kind: EvictionKind
    seconds: float = 0.0


def decide(
    taints: Sequence[Mapping[str, Any]], tolerations: Sequence[Mapping[str, Any]]
) -> Eviction:
    """What becomes of a pod with ``tolerations`` on a node with NoExecute ``taints``.

    >>> taint = {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}
    >>> decide([taint], [{"operator": "Exists", "tolerationSeconds": 3}])
    Eviction(kind=<EvictionKind.AFTER: 'after'>, seconds=3)
    """
    if not taints:
        return Eviction(EvictionKind.UNTAINTED)
    used = matching_tolerations(taints, tolerations)
    if used is None:
        return Eviction(EvictionKind.NOW)
    seconds = min_toleration_seconds(used)
    if seconds is None:
        return Eviction(EvictionKind.NEVER)
    return Eviction(EvictionKind.AFTER, seconds)


def _pod_ref(namespace: str, name: str) -> Obj:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace}}


def _tolerations(pod: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [t for t in (pod.get("spec") or {}).get("tolerations") or () if isinstance(t, Mapping)]


def _node_of(pod: Mapping[str, Any]) -> str:
    return str((pod.get("spec") or {}).get("nodeName") or "")


class TaintEvictionController(Controller):
    name: ClassVar[str] = "taint-eviction-controller"
    component: ClassVar[str] = "taint-eviction-controller"
    #: node updates are handled without waiting; one worker keeps them in order
    workers: ClassVar[int] = 1

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.pods_client = self.client.resource(PODS)
        self.nodes = self.informers.informer_for(NODES)
        self.pods = self.informers.informer_for(PODS, indexers={NODE_NAME_INDEX: node_name_index})
        self.pod_queue: WorkQueue[tuple[str, str, str]] = WorkQueue(name="noexec_taint_pod")
        #: node name -> its NoExecute taints (nodes without any are absent)
        self._tainted: dict[str, list[Mapping[str, Any]]] = {}
        self.evictions = TimedWorkerQueue(self._delete_pod)
        self.nodes.add_event_handler(
            on_add=lambda node: self._node_updated(None, node),
            on_update=self._node_updated,
            on_delete=lambda node: self._node_updated(self._unwrap(node), None),
        )
        self.pods.add_event_handler(
            on_add=lambda pod: self._pod_updated(None, pod),
            on_update=self._pod_updated,
            on_delete=lambda pod: self._pod_updated(self._unwrap(pod), None),
        )

    @staticmethod
    def _unwrap(obj: Mapping[str, Any] | DeletedFinalStateUnknown) -> Mapping[str, Any]:
        return obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj

    # -- handlers: enqueue only ------------------------------------------------------

    def _node_updated(self, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> None:
        if old is not None and new is not None and no_execute_taints(old) == no_execute_taints(new):
            return
        node = new if new is not None else old
        assert node is not None
        self.queue.add(str((node.get("metadata") or {}).get("name", "")))

    def _pod_updated(self, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> None:
        unchanged = (
            old is not None
            and new is not None
            and _tolerations(old) == _tolerations(new)
            and _node_of(old) == _node_of(new)
        )
        if unchanged:
            return
        pod = new if new is not None else old
        assert pod is not None
        meta = pod.get("metadata") or {}
        self.pod_queue.add(
            (str(meta.get("namespace") or ""), str(meta.get("name", "")), _node_of(pod))
        )

    # -- loops -------------------------------------------------------------------------

    async def run(self) -> None:
        try:
            async with asyncio.TaskGroup() as group:
                self.evictions.bind(group)
                group.create_task(super().run(), name="taint-eviction-nodes")
                group.create_task(self._pod_worker(), name="taint-eviction-pods")
        finally:
            self.pod_queue.shutdown()

    async def _pod_worker(self) -> None:
        while True:
            try:
                item = await self.pod_queue.get()
            except ShutDown:
                return
            try:
                self.handle_pod_update(*item)
            except Exception:
                log.exception("taint eviction: handling pod %s/%s failed", item[0], item[1])
            finally:
                self.pod_queue.done(item)

    async def sync(self, key: str) -> None:
        """A node's NoExecute taints changed: (re)decide for each of its pods."""
        self.handle_node_update(key)

    # -- decisions ---------------------------------------------------------------------

    def handle_node_update(self, node_name: str) -> None:
        try:
            node = self.nodes.lister.get(node_name)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                self._tainted.pop(node_name, None)
                return
            raise
        taints = no_execute_taints(node)
        # taints are recorded before the pods are read: a pod added meanwhile is
        # decided by its own update, against these taints
        if taints:
            self._tainted[node_name] = taints
        else:
            self._tainted.pop(node_name, None)
        pods = self.pods.indexer.by_index(NODE_NAME_INDEX, node_name)
        if not pods:
            return
        if not taints:
            for pod in pods:
                meta = pod.get("metadata") or {}
                self._cancel_with_event(str(meta.get("namespace") or ""), str(meta.get("name")))
            return
        now = self.evictions.now()
        for pod in pods:
            meta = pod.get("metadata") or {}
            self._process_pod_on_node(
                str(meta.get("namespace") or ""), str(meta.get("name")), pod, taints, now
            )

    def handle_pod_update(self, namespace: str, name: str, node_name: str) -> None:
        try:
            pod = self.pods.lister.get(name, namespace=namespace)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                self._cancel_with_event(namespace, name)
                return
            raise
        # queued with the node it was seen on: another update decides for another node
        if _node_of(pod) != node_name or not node_name:
            return
        taints = self._tainted.get(node_name)
        if taints is None:
            return  # the node has no NoExecute taint (or is gone): nothing to do
        self._process_pod_on_node(namespace, name, pod, taints, self.evictions.now())

    def _process_pod_on_node(
        self,
        namespace: str,
        name: str,
        pod: Mapping[str, Any],
        taints: Sequence[Mapping[str, Any]],
        now: float,
    ) -> None:
        key = f"{namespace}/{name}"
        decision = decide(taints, _tolerations(pod))
        if decision.kind in (EvictionKind.UNTAINTED, EvictionKind.NEVER):
            self._cancel_with_event(namespace, name)
            return
        if decision.kind == EvictionKind.NOW:
            # deleted right away: whatever was scheduled is replaced
            self._cancel_with_event(namespace, name)
            self.evictions.add_work(key, now, now)
            return
        start, trigger = now, now + decision.seconds
        scheduled = self.evictions.get(key)
        if scheduled is not None:
            start = scheduled.created_at
            if start + decision.seconds < trigger:
                return  # the deletion already scheduled comes first
            self._cancel_with_event(namespace, name)
        self.evictions.add_work(key, start, trigger)

    def _cancel_with_event(self, namespace: str, name: str) -> None:
        if self.evictions.cancel_work(f"{namespace}/{name}"):
            self.recorder.event(
                _pod_ref(namespace, name),
                NORMAL,
                "TaintManagerEviction",
                f"Cancelling deletion of Pod {namespace}/{name}",
            )

    # -- the deletion --------------------------------------------------------------------

    async def _delete_pod(self, key: str) -> None:
        namespace, name = split_key(key)
        self.recorder.event(
            _pod_ref(namespace, name),
            NORMAL,
            "TaintManagerEviction",
            f"Marking for deletion Pod {namespace}/{name}",
        )
        for attempt in range(_DELETE_TRIES):
            try:
                await self._add_condition_and_delete(namespace, name)
                return
            except errors.StatusError as err:
                if errors.is_not_found(err):
                    return  # gone already: nothing left to evict
                if attempt == _DELETE_TRIES - 1:
                    raise
            except TransportError:
                if attempt == _DELETE_TRIES - 1:
                    raise
            await asyncio.sleep(0.01)

    async def _add_condition_and_delete(self, namespace: str, name: str) -> None:
        pod = await self.pods_client.get(name, namespace=namespace)
        status = dict(pod.get("status") or {})
        condition = {
            "type": DISRUPTION_TARGET,
            "status": "True",
            "reason": "DeletionByTaintManager",
            "message": "Taint manager: deleting due to NoExecute taint",
        }
        if update_pod_condition(status, condition, now=format_time()):
            written = next(c for c in status["conditions"] if c.get("type") == DISRUPTION_TARGET)
            patch = {
                "metadata": {"uid": (pod.get("metadata") or {}).get("uid")},
                "status": {"conditions": [written]},
            }
            await self.pods_client.patch(
                name,
                patch,
                namespace=namespace,
                subresource="status",
                patch_type=PatchType.STRATEGIC,
            )
        await self.pods_client.delete(name, namespace=namespace)
