"""The ReplicaSet controller, which also runs ReplicationControllers.

As in Kubernetes (``pkg/controller/replicaset``), one implementation serves
both kinds: :class:`ReplicaSetController` for apps/v1 ReplicaSets and its
subclass :class:`ReplicationManager` for core/v1 ReplicationControllers, which
differ only in their resource, their controller reference and how their
``spec.selector`` is written.

A sync (``sync(key)``, safe to repeat at any time):

1. reads the object and the active pods of its namespace it may claim (its own
   and the orphans, from the pod cache's indexes) and *claims* them: keeps those
   it controls, adopts matching orphans, releases its pods that stopped matching
   (:func:`~kubeling.controllers.ownership.claim`);
2. if its :class:`~kubeling.controllers.expectations.Expectations` are met (the
   cache has seen every creation and deletion of the previous sync) and it is
   not being deleted, creates the missing pods in slow-start batches or deletes
   the surplus, the cheapest to lose first
   (:mod:`~kubeling.controllers.replicaset.ranking`), at most
   :data:`BURST_REPLICAS` per sync;
3. writes the status computed from the claimed pods
   (:mod:`~kubeling.controllers.replicaset.status`) if it changed, and comes
   back after ``minReadySeconds`` while ready pods are not yet available.

Informer handlers only queue keys and keep the expectations: a pod's event
goes to the controller its controller reference names (an orphan's to every
object whose selector matches it, so one may adopt it).
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from kubeling.api import errors
from kubeling.api.labels import (
    Selector,
    SelectorParseError,
    label_selector_as_selector,
    validated_selector_from_set,
)
from kubeling.client import DeletedFinalStateUnknown, Resource, object_key, split_key
from kubeling.client.resources import PODS, REPLICASETS, REPLICATIONCONTROLLERS
from kubeling.controllers.base import Controller, ControllerContext
from kubeling.controllers.expectations import Expectations
from kubeling.controllers.ownership import (
    CLAIM_INDEXERS,
    CONTROLLER_UID_INDEX,
    claim,
    claim_candidates,
    controller_of,
    controller_uid_index,
    new_controller_ref,
)
from kubeling.controllers.podcontrol import PodControl, pod_from_template
from kubeling.controllers.pods import is_pod_active, is_pod_ready, is_terminating
from kubeling.controllers.replicaset.ranking import pods_to_delete
from kubeling.controllers.replicaset.status import (
    calculate_status,
    desired_replicas,
    status_changed,
)
from kubeling.controllers.slowstart import slow_start_batch

__all__ = ["BURST_REPLICAS", "ReplicaSetController", "ReplicationManager"]

log = logging.getLogger(__name__)

Obj = dict[str, Any]

#: Pods created or deleted per sync at most (Kubernetes' ``BurstReplicas``).
BURST_REPLICAS = 500


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@dataclass(frozen=True, slots=True)
class _Failure:
    """Why managing the replicas failed: the error to retry on, the condition's message."""

    error: Exception
    message: str


class ReplicaSetController(Controller):
    """Keeps ``spec.replicas`` pods of each ReplicaSet's template running."""

    name = "replicaset"
    component = "replicaset-controller"
    workers = 5
    # Kubernetes retries a failing ReplicaSet for ever (with back-off).
    max_retries = None

    resource: ClassVar[Resource] = REPLICASETS
    api_version: ClassVar[str] = "apps/v1"
    kind: ClassVar[str] = "ReplicaSet"

    def __init__(
        self,
        ctx: ControllerContext,
        *,
        pod_control: PodControl | None = None,
        now: Callable[[], datetime.datetime] = _utcnow,
        burst_replicas: int = BURST_REPLICAS,
    ) -> None:
        super().__init__(ctx)
        self.owners = self.informers.informer_for(
            self.resource, indexers={CONTROLLER_UID_INDEX: controller_uid_index}
        )
        self.pods = self.informers.informer_for(PODS, indexers=CLAIM_INDEXERS)
        self.owner_client = self.client.resource(self.resource)
        self.pod_client = self.client.resource(PODS)
        self.pod_control = pod_control or PodControl(self.pod_client, self.recorder)
        self.expectations = Expectations()
        self.now = now
        self.burst_replicas = burst_replicas
        self.owners.add_event_handler(
            on_add=self.enqueue, on_update=self._owner_updated, on_delete=self._owner_deleted
        )
        self.pods.add_event_handler(
            on_add=self._pod_added, on_update=self._pod_updated, on_delete=self._pod_deleted
        )

    @staticmethod
    def selector_of(obj: Mapping[str, Any]) -> Selector:
        """The pods ``obj`` selects; SelectorParseError if its selector is malformed."""
        return label_selector_as_selector((obj.get("spec") or {}).get("selector"))

    # -- informer handlers: queue keys, keep the expectations ---------------------------------

    def _owner_updated(self, old: Obj, new: Obj) -> None:
        if _uid(old) != _uid(new):
            # deleted and re-created between two events: the old one's expectations go
            self._owner_deleted(DeletedFinalStateUnknown(object_key(old), old))
        self.enqueue(new)

    def _owner_deleted(self, obj: Obj | DeletedFinalStateUnknown) -> None:
        key = object_key(obj)
        # a new object of the same name starts with nothing to wait for
        self.expectations.forget(key)
        self.queue.add(key)

    def _pod_added(self, pod: Obj) -> None:
        if is_terminating(pod):
            # seen for the first time already being deleted (after a restart, say):
            # that is a deletion to observe, not a creation
            self._pod_deleted(pod)
            return
        ref = controller_of(pod)
        if ref is not None:
            owner = self._resolve(pod, ref)
            if owner is not None:
                key = object_key(owner)
                self.expectations.creation_observed(key)
                self.queue.add(key)
            return
        # An orphan: whoever selects it may adopt it. No creation is observed:
        # nobody waits for an orphan.
        for owner in self._selecting(pod):
            self.enqueue(owner)

    def _pod_updated(self, old: Obj, new: Obj) -> None:
        if _resource_version(old) == _resource_version(new):
            return  # a resync: nothing changed
        labels_changed = _labels(old) != _labels(new)
        if is_terminating(new):
            # Being deleted gracefully: the replacement should start now, not
            # when the kubelet finally removes the pod.
            self._pod_deleted(new)
            if labels_changed:
                self._pod_deleted(old)
            return
        ref, old_ref = controller_of(new), controller_of(old)
        ref_changed = ref != old_ref
        if ref_changed and old_ref is not None:
            previous = self._resolve(old, old_ref)
            if previous is not None:
                self.enqueue(previous)
        if ref is not None:
            owner = self._resolve(new, ref)
            if owner is None:
                return
            self.enqueue(owner)
            min_ready = _min_ready_seconds(owner)
            if min_ready > 0 and not is_pod_ready(old) and is_pod_ready(new):
                # Available minReadySeconds from now; one more second against
                # rounding (Kubernetes issue 39785).
                self.queue.add_after(object_key(owner), min_ready + 1)
            return
        if labels_changed or ref_changed:
            for owner in self._selecting(new):
                self.enqueue(owner)

    def _pod_deleted(self, obj: Obj | DeletedFinalStateUnknown) -> None:
        # A tombstone's labels may be stale: a controller the pod had moved to
        # learns of it at its next sync.
        pod = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        ref = controller_of(pod)
        if ref is None:
            return  # nobody waits for an orphan's deletion
        owner = self._resolve(pod, ref)
        if owner is None:
            return
        key = object_key(owner)
        self.expectations.deletion_observed(key, object_key(pod))
        self.queue.add(key)

    def _resolve(self, pod: Mapping[str, Any], ref: Mapping[str, Any]) -> Obj | None:
        """The cached object ``ref`` names in ``pod``'s namespace, if it is one of ours."""
        if ref.get("kind") != self.kind:
            return None
        namespace = str((pod.get("metadata") or {}).get("namespace") or "")
        try:
            owner = self.owners.lister.get(str(ref.get("name", "")), namespace=namespace)
        except errors.StatusError:
            return None
        return owner if _uid(owner) == ref.get("uid") else None

    def _selecting(self, pod: Mapping[str, Any]) -> list[Obj]:
        """The objects in ``pod``'s namespace whose (valid, non-empty) selector matches it."""
        namespace = str((pod.get("metadata") or {}).get("namespace") or "")
        labels = _labels(pod)
        found = []
        for owner in self.owners.lister.list(namespace=namespace):
            try:
                selector = self.selector_of(owner)
            except SelectorParseError:
                continue
            if not selector.is_empty() and selector.matches(labels):
                found.append(owner)
        if len(found) > 1:
            log.warning(
                "user error! more than one %s is selecting pods with labels: %s",
                self.kind,
                labels,
            )
        return found

    # -- the sync -----------------------------------------------------------------------------

    async def sync(self, key: str) -> None:
        namespace, name = split_key(key)
        try:
            owner = self.owners.lister.get(name, namespace=namespace)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                self.expectations.forget(key)
                return
            raise
        # Read before the pods: a pod event arriving later re-queues the key.
        needs_sync = self.expectations.satisfied(key)
        try:
            selector = self.selector_of(owner)
        except SelectorParseError as err:
            # Not retried: only an update of the object can fix it, and brings it back.
            log.error("%s %s has an invalid selector: %s", self.kind, key, err)
            return
        # Its own pods and the orphans: the others' pods could not be claimed anyway.
        candidates = claim_candidates(self.pods.indexer, namespace, _uid(owner))
        active = [pod for pod in candidates if is_pod_active(pod)]
        pods = await claim(
            owner,
            api_version=self.api_version,
            kind=self.kind,
            selector=selector,
            candidates=active,
            client=self.pod_client,
            recheck_owner=lambda: self.owner_client.get(name, namespace=namespace),
        )
        failure = None
        if needs_sync and not is_terminating(owner):
            failure = await self._manage_replicas(key, owner, pods)
        status = calculate_status(
            owner, pods, failure=failure.message if failure else None, now=self.now()
        )
        await self._update_status(owner, status)
        min_ready = _min_ready_seconds(owner)
        desired = desired_replicas(owner)
        if (
            failure is None
            and min_ready > 0
            and status.get("readyReplicas", 0) == desired
            and status.get("availableReplicas", 0) != desired
        ):
            # the last line of defence against clock skew: look again once they are available
            self.queue.add_after(key, min_ready)
        if failure is not None:
            raise failure.error

    async def _manage_replicas(
        self, key: str, owner: Obj, pods: Sequence[Mapping[str, Any]]
    ) -> _Failure | None:
        """Create or delete pods towards ``spec.replicas``; the failure, if any."""
        diff = len(pods) - desired_replicas(owner)
        if diff < 0:
            return await self._create(key, owner, min(-diff, self.burst_replicas))
        if diff > 0:
            return await self._delete(key, owner, pods, min(diff, self.burst_replicas))
        return None

    async def _create(self, key: str, owner: Obj, count: int) -> _Failure | None:
        log.debug("%s %s: too few replicas, creating %d", self.kind, key, count)
        # Expected before the first request: the informer may see a pod before
        # its creation call returns.
        self.expectations.expect(key, adds=count)
        template = (owner.get("spec") or {}).get("template") or {}
        ref = new_controller_ref(owner, self.api_version, self.kind)

        async def create_one() -> None:
            try:
                await self.pod_control.create(owner, pod_from_template(template, owner, ref))
            except errors.StatusError as err:
                # A namespace being deleted refuses every creation: nothing to do.
                if not errors.has_status_cause(err, errors.CAUSE_NAMESPACE_TERMINATING):
                    raise

        created, error = await slow_start_batch(count, create_one)
        # The creations never attempted will not be observed; the next sync retries them.
        for _ in range(count - created):
            self.expectations.creation_observed(key)
        return _Failure(error, str(error)) if error is not None else None

    async def _delete(
        self, key: str, owner: Obj, pods: Sequence[Mapping[str, Any]], count: int
    ) -> _Failure | None:
        log.debug("%s %s: too many replicas, deleting %d", self.kind, key, count)
        victims = pods_to_delete(pods, self._related_pods(owner), count, self.now())
        # Each pod's deletion counts once, whether seen as a deletionTimestamp or as gone.
        self.expectations.expect_deletions(key, [object_key(pod) for pod in victims])

        async def delete_one(pod: Mapping[str, Any]) -> None:
            try:
                deleted = await self.pod_control.delete(owner, pod)
            except BaseException:
                self.expectations.deletion_observed(key, object_key(pod))
                raise
            if not deleted:  # already gone: no event will say so
                self.expectations.deletion_observed(key, object_key(pod))

        results = await asyncio.gather(
            *(delete_one(pod) for pod in victims), return_exceptions=True
        )
        failures = []
        for result in results:
            if isinstance(result, Exception):
                failures.append(result)
            elif isinstance(result, BaseException):
                raise result
        if not failures:
            return None
        # they are likely all the same: the first one tells
        return _Failure(failures[0], f"unable to delete pods: {failures[0]}")

    def _related_pods(self, owner: Mapping[str, Any]) -> list[Obj]:
        """The pods of every object with the same controller as ``owner`` (a
        Deployment's ReplicaSets); none if ``owner`` has no controller."""
        ref = controller_of(owner)
        if ref is None:
            return []
        seen: set[str] = set()
        related = []
        for sibling in self.owners.indexer.by_index(CONTROLLER_UID_INDEX, str(ref.get("uid"))):
            try:
                selector = self.selector_of(sibling)
            except SelectorParseError:
                continue  # selects nothing
            namespace = str((sibling.get("metadata") or {}).get("namespace") or "")
            for pod in self.pods.lister.list(namespace=namespace, selector=selector):
                if _uid(pod) not in seen:
                    seen.add(_uid(pod))
                    related.append(pod)
        return related

    async def _update_status(self, owner: Obj, status: Obj) -> None:
        """Write ``status`` through the status subresource if it changed; after a
        failure, once more on a fresh read (Kubernetes' ``statusUpdateRetries``)."""
        if not status_changed(owner, status):
            return
        body = {**owner, "status": status}
        owner_key = object_key(owner)
        try:
            await self.owner_client.update_status(body)
            return
        except errors.StatusError as err:
            log.debug("%s %s: status update failed, once more: %s", self.kind, owner_key, err)
        meta = owner.get("metadata") or {}
        fresh = await self.owner_client.get(
            str(meta.get("name", "")), namespace=str(meta.get("namespace") or "")
        )
        await self.owner_client.update_status({**fresh, "status": status})


class ReplicationManager(ReplicaSetController):
    """The same loop for core/v1 ReplicationControllers (Kubernetes' ``ReplicationManager``)."""

    name = "replicationcontroller"
    component = "replication-controller"
    resource = REPLICATIONCONTROLLERS
    api_version = "v1"
    kind = "ReplicationController"

    @staticmethod
    def selector_of(obj: Mapping[str, Any]) -> Selector:
        """A ReplicationController's selector is a plain label map."""
        return validated_selector_from_set((obj.get("spec") or {}).get("selector"))


def _uid(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("uid") or "")


def _resource_version(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")


def _labels(obj: Mapping[str, Any]) -> Mapping[str, str]:
    labels: Mapping[str, str] = (obj.get("metadata") or {}).get("labels") or {}
    return labels


def _min_ready_seconds(obj: Mapping[str, Any]) -> int:
    return int((obj.get("spec") or {}).get("minReadySeconds") or 0)
