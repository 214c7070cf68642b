"""The StatefulSet controller: informers, event routing and ``sync(key)``.

``StatefulSetController`` of ``stateful_set.go``. Handlers only queue set
keys: a pod's controller, or for an orphan every set whose selector matches
it; a pod turning ready is looked at again after ``minReadySeconds``. A sync
reads the set from the cache, adopts orphaned revisions, claims its pods (by
selector *and* name: a set claims only pods named after it) and runs one
pass of :class:`~.control.StatefulSetControl`.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from typing import Any, Final

from kubeling.api import errors
from kubeling.api.labels import SelectorParseError, label_selector_as_selector
from kubeling.client import DeletedFinalStateUnknown, ResourceClient, object_key, split_key
from kubeling.client.resources import (
    CONTROLLERREVISIONS,
    PERSISTENTVOLUMECLAIMS,
    PODS,
    STATEFULSETS,
)
from kubeling.controllers.base import Controller, ControllerContext
from kubeling.controllers.history import History
from kubeling.controllers.ownership import (
    CLAIM_INDEXERS,
    claim,
    claim_candidates,
    controller_of,
    resolve_controller_ref,
    selecting,
)
from kubeling.controllers.pods import is_pod_ready
from kubeling.controllers.statefulset.control import StatefulSetControl
from kubeling.controllers.statefulset.identity import API_VERSION, KIND, is_member_of, replicas_of
from kubeling.controllers.statefulset.podcontrol import StatefulPodControl

__all__ = ["StatefulSetController"]

log = logging.getLogger(__name__)

Obj = dict[str, Any]
Event = Mapping[str, Any] | DeletedFinalStateUnknown

_STATUS_ATTEMPTS: Final = 5  # client-go's retry.DefaultRetry steps


class _StatusWriter:
    """``realStatefulSetStatusUpdater``: PUT the status, re-reading the set on conflict."""

    def __init__(self, sets: ResourceClient) -> None:
        self.sets = sets

    async def write(self, sts: Mapping[str, Any], status: Obj) -> None:
        body = copy.deepcopy(dict(sts))
        meta = body.get("metadata") or {}
        for attempt in range(_STATUS_ATTEMPTS):
            body["status"] = status
            try:
                await self.sets.update_status(body)
                return
            except errors.StatusError as err:
                if not errors.is_conflict(err) or attempt == _STATUS_ATTEMPTS - 1:
                    raise
            body = await self.sets.get(
                str(meta.get("name", "")), namespace=str(meta.get("namespace", ""))
            )


class StatefulSetController(Controller):
    """Keeps each StatefulSet's ordered, stable pods and their claims."""

    name = "statefulset"
    component = "statefulset-controller"
    workers = 5  # --concurrent-statefulset-syncs

    def __init__(self, ctx: ControllerContext, *, max_unavailable: bool = False) -> None:
        super().__init__(ctx)
        self.sets = self.informers.informer_for(STATEFULSETS)
        self.pods = self.informers.informer_for(PODS, indexers=CLAIM_INDEXERS)
        claims = self.informers.informer_for(PERSISTENTVOLUMECLAIMS)
        revisions = self.informers.informer_for(CONTROLLERREVISIONS)
        self.set_client = self.client.resource(STATEFULSETS)
        self.pod_client = self.client.resource(PODS)
        self.history = History(
            self.client.resource(CONTROLLERREVISIONS),
            revisions.lister,
            api_version=API_VERSION,
            kind=KIND,
        )
        self.control = StatefulSetControl(
            pods=StatefulPodControl(
                pods=self.pod_client,
                claims=self.client.resource(PERSISTENTVOLUMECLAIMS),
                pod_lister=self.pods.lister,
                claim_lister=claims.lister,
                recorder=self.recorder,
            ),
            history=self.history,
            status=_StatusWriter(self.set_client),
            max_unavailable=max_unavailable,
        )
        self.sets.add_event_handler(
            on_add=self.enqueue,
            on_update=lambda old, new: self.enqueue(new),
            on_delete=self.enqueue,
        )
        self.pods.add_event_handler(
            on_add=self._pod_added, on_update=self._pod_updated, on_delete=self._pod_deleted
        )

    # -- event routing -------------------------------------------------------------------

    def _owner(self, pod: Mapping[str, Any]) -> Mapping[str, Any] | None:
        ref = controller_of(pod)
        if ref is None:
            return None
        namespace = str((pod.get("metadata") or {}).get("namespace", ""))
        return resolve_controller_ref(self.sets.lister, namespace, ref, KIND)

    def _enqueue_selecting(self, pod: Mapping[str, Any]) -> None:
        meta = pod.get("metadata") or {}
        for sts in selecting(
            self.sets.lister, str(meta.get("namespace", "")), meta.get("labels") or {}
        ):
            self.enqueue(sts)

    def _pod_added(self, pod: Obj) -> None:
        if (pod.get("metadata") or {}).get("deletionTimestamp"):
            self._pod_deleted(pod)
            return
        if controller_of(pod) is not None:
            owner = self._owner(pod)
            if owner is not None:
                self.enqueue(owner)
            return
        self._enqueue_selecting(pod)  # an orphan: whoever selects it may adopt it

    def _pod_updated(self, old: Obj, new: Obj) -> None:
        old_meta, new_meta = old.get("metadata") or {}, new.get("metadata") or {}
        if old_meta.get("resourceVersion") == new_meta.get("resourceVersion"):
            return  # a resync: nothing changed
        old_ref, new_ref = controller_of(old), controller_of(new)
        if old_ref != new_ref and old_ref is not None:
            previous = self._owner(old)
            if previous is not None:
                self.enqueue(previous)
        if new_ref is not None:
            owner = self._owner(new)
            if owner is None:
                return
            self.enqueue(owner)
            min_ready = int((owner.get("spec") or {}).get("minReadySeconds") or 0)
            if min_ready > 0 and not is_pod_ready(old) and is_pod_ready(new):
                # look again once it has been ready long enough to be available
                self.queue.add_after(object_key(owner), min_ready + 1)
            return
        if old_meta.get("labels") != new_meta.get("labels") or old_ref != new_ref:
            self._enqueue_selecting(new)

    def _pod_deleted(self, obj: Event) -> None:
        pod = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        if not isinstance(pod, Mapping) or controller_of(pod) is None:
            return
        owner = self._owner(pod)
        if owner is not None:
            self.enqueue(owner)

    # -- sync ----------------------------------------------------------------------------

    async def sync(self, key: str) -> None:
        namespace, name = split_key(key)
        try:
            sts = self.sets.lister.get(name, namespace=namespace)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return  # deleted; its pods go with the garbage collector
            raise
        try:
            selector = label_selector_as_selector((sts.get("spec") or {}).get("selector"))
        except SelectorParseError as err:
            log.warning("statefulset %s: bad selector, not syncing: %s", key, err)
            return  # not transient: retrying cannot help

        async def recheck() -> Mapping[str, Any]:
            return await self.set_client.get(name, namespace=namespace)

        await self.history.claim(sts, selector, recheck)
        pods = await claim(
            sts,
            api_version=API_VERSION,
            kind=KIND,
            selector=selector,
            candidates=claim_candidates(
                self.pods.indexer, namespace, str((sts.get("metadata") or {}).get("uid") or "")
            ),
            client=self.pod_client,
            recheck_owner=recheck,
            also=lambda pod: is_member_of(sts, pod),
        )
        status = await self.control.update(sts, pods)
        min_ready = int((sts.get("spec") or {}).get("minReadySeconds") or 0)
        if min_ready > 0 and status is not None and status.available_replicas != replicas_of(sts):
            self.queue.add_after(key, min_ready)  # availability comes with time, not events
