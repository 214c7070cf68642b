"""The EndpointSlice controller: discovery.k8s.io/v1 slices for every selector Service.

Kubernetes' ``pkg/controller/endpointslice``: services, pods, nodes (for the
zone) and the slices it manages are watched; ``sync`` lists the service's
pods and its slices (label ``kubernetes.io/service-name`` and
``endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io``)
from the caches, asks the pure reconciler
(:mod:`~kubeling.controllers.endpointslicereconciler`) what to create, update
and delete, and writes that.

- Its own writes come back as watch events; the tracker
  (:mod:`~kubeling.controllers.endpointslicetracker`) recognises them, and a
  sync whose cache has not caught up with them is retried instead of
  duplicating slices.
- A slice changed by someone else (or deleted unexpectedly, or whose
  managed-by or service-name label moved) queues its service after a second,
  batching bursts.
- Failures record ``FailedToUpdateEndpointSlices`` on the service and retry
  with back-off from one second up to 1000 (Kubernetes' rate limiter for this
  controller), 15 times.
- When a service is deleted, Kubernetes' garbage collector removes its slices
  through their owner reference. Until kubeling has a garbage collector, this
  controller deletes the slices it manages for a service that is gone.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar, Final

from kubeling.api import errors
from kubeling.api.labels import Selector, selector_from_set
from kubeling.client import WARNING, DeletedFinalStateUnknown, WorkQueue, split_key
from kubeling.client.ratelimit import (
    BucketRateLimiter,
    ItemExponentialFailureRateLimiter,
    MaxOfRateLimiter,
    TokenBucket,
)
from kubeling.client.resources import ENDPOINTSLICES, NODES, PODS, SERVICES
from kubeling.controllers.base import Controller, ControllerContext, Retry
from kubeling.controllers.endpointslicereconciler import (
    CONTROLLER_NAME,
    MANAGED_BY_LABEL,
    SERVICE_NAME_LABEL,
    SliceChanges,
    reconcile_slices,
)
from kubeling.controllers.endpointslicetracker import EndpointSliceTracker, StaleInformerCache
from kubeling.controllers.podservices import watch_pods_for_services
from kubeling.controllers.serviceendpoints import service_selects
from kubeling.controllers.triggertime import TriggerTimeTracker

__all__ = ["EndpointSliceController"]

log = logging.getLogger(__name__)

#: A slice event queues its service this much later, so a burst is one sync.
SLICE_CHANGE_MIN_SYNC_DELAY: Final = 1.0

Obj = dict[str, Any]


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def _labels(obj: Mapping[str, Any]) -> Mapping[str, str]:
    labels: Mapping[str, str] = _meta(obj).get("labels") or {}
    return labels


def _managed_by_us(slice_: Mapping[str, Any]) -> bool:
    return _labels(slice_).get(MANAGED_BY_LABEL) == CONTROLLER_NAME


def _aggregate(messages: list[str]) -> str:
    """``utilerrors.NewAggregate``'s message: one error as is, several in brackets."""
    return messages[0] if len(messages) == 1 else f"[{', '.join(messages)}]"


class EndpointSliceController(Controller):
    """Keeps each selector Service's EndpointSlices equal to its pods."""

    name: ClassVar[str] = "endpointslice"
    component: ClassVar[str] = "endpoint-slice-controller"
    workers: ClassVar[int] = 5  # --concurrent-service-endpoint-syncs

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        # A slower back-off than other controllers': a failed sync may mean many writes.
        self.queue = WorkQueue(
            rate_limiter=MaxOfRateLimiter(
                ItemExponentialFailureRateLimiter(1.0, 1000.0),
                BucketRateLimiter(TokenBucket(10.0, 100)),
            ),
            name="endpoint_slice",
        )
        self.services = self.informers.informer_for(SERVICES)
        self.pods = self.informers.informer_for(PODS)
        self.nodes = self.informers.informer_for(NODES)
        self.slices = self.informers.informer_for(ENDPOINTSLICES)
        self.slices_api = self.client.resource(ENDPOINTSLICES)
        self.tracker = EndpointSliceTracker()
        self.trigger_times = TriggerTimeTracker()
        self.services.add_event_handler(
            on_add=self.enqueue,
            on_update=lambda _old, new: self.enqueue(new),
            on_delete=self.enqueue,
        )
        watch_pods_for_services(self.pods, self.services, self.queue.add)
        self.slices.add_event_handler(
            on_add=self._slice_added, on_update=self._slice_updated, on_delete=self._slice_deleted
        )

    # -- slice events -----------------------------------------------------------------------

    def _queue_service_of(self, slice_: Mapping[str, Any]) -> None:
        service = _labels(slice_).get(SERVICE_NAME_LABEL)
        if service:
            key = f"{_meta(slice_).get('namespace', '')}/{service}"
            self.queue.add_after(key, SLICE_CHANGE_MIN_SYNC_DELAY)

    def _slice_added(self, slice_: Obj) -> None:
        if _managed_by_us(slice_) and self.tracker.should_sync(slice_):
            self._queue_service_of(slice_)

    def _slice_updated(self, old: Obj, new: Obj) -> None:
        if _labels(old).get(SERVICE_NAME_LABEL) != _labels(new).get(SERVICE_NAME_LABEL):
            # Users may relabel a slice; both services must look again.
            self._queue_service_of(new)
            self._queue_service_of(old)
            return
        if _managed_by_us(old) != _managed_by_us(new) or (
            _managed_by_us(new) and self.tracker.should_sync(new)
        ):
            self._queue_service_of(new)

    def _slice_deleted(self, obj: Obj | DeletedFinalStateUnknown) -> None:
        slice_ = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        if (
            _managed_by_us(slice_)
            and self.tracker.has(slice_)
            and not self.tracker.handle_deletion(slice_)
        ):
            self._queue_service_of(slice_)  # not our deletion: put it back

    # -- sync -------------------------------------------------------------------------------

    async def sync(self, key: str) -> None:
        namespace, name = split_key(key)
        selector_of_ours = selector_from_set(
            {SERVICE_NAME_LABEL: name, MANAGED_BY_LABEL: CONTROLLER_NAME}
        )
        try:
            service = self.services.lister.get(name, namespace=namespace)
        except errors.StatusError as err:
            if not errors.is_not_found(err):
                raise
            self.trigger_times.delete(key)
            self.tracker.delete_service(key)
            await self._delete_orphans(namespace, name, selector_of_ours)
            return
        spec = service.get("spec") or {}
        selector = service_selects(service)
        if spec.get("type") == "ExternalName" or selector is None:
            return  # slices of a selector-less service come from elsewhere
        pods = self.pods.lister.list(namespace=namespace, selector=selector_from_set(selector))
        slices = [
            s
            for s in self.slices.lister.list(namespace=namespace, selector=selector_of_ours)
            if not _meta(s).get("deletionTimestamp")  # being deleted: not ours to fix
        ]
        if self.tracker.stale_slices(service, slices):
            raise StaleInformerCache("EndpointSlice informer cache is out of date")
        trigger_time = self.trigger_times.compute(key, service, pods)
        changes = reconcile_slices(
            service, pods, slices, nodes=self._node, trigger_time=trigger_time
        )
        problems = list(changes.errors)
        try:
            await self._write(namespace, key, changes)
        except errors.StatusError as err:
            problems.append(str(err))
        if problems:
            message = _aggregate(problems)
            self.recorder.event(
                service,
                WARNING,
                "FailedToUpdateEndpointSlices",
                f"Error updating Endpoint Slices for Service {key}: {message}",
            )
            raise Retry(message)

    def _node(self, name: str) -> Mapping[str, Any] | None:
        try:
            return self.nodes.lister.get(name)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return None
            raise

    async def _write(self, namespace: str, key: str, changes: SliceChanges) -> None:
        """Create, update, then delete, tracking each write; stop at the first failure."""
        for slice_ in changes.create:
            try:
                created = await self.slices_api.create(slice_, namespace=namespace)
            except errors.StatusError as err:
                if errors.has_status_cause(err, errors.CAUSE_NAMESPACE_TERMINATING):
                    return  # creates keep failing until the namespace is gone
                raise _context(err, f"failed to create EndpointSlice for Service {key}") from err
            self.tracker.update(created)
        for slice_ in changes.update:
            try:
                updated = await self.slices_api.update(slice_, namespace=namespace)
            except errors.StatusError as err:
                what = f"failed to update {_meta(slice_).get('name')} EndpointSlice"
                raise _context(err, f"{what} for Service {key}") from err
            self.tracker.update(updated)
        for slice_ in changes.delete:
            try:
                await self._delete(slice_)
            except errors.StatusError as err:
                what = f"failed to delete {_meta(slice_).get('name')} EndpointSlice"
                raise _context(err, f"{what} for Service {key}") from err

    async def _delete(self, slice_: Mapping[str, Any]) -> None:
        meta = _meta(slice_)
        try:
            await self.slices_api.delete(
                str(meta.get("name")), namespace=str(meta.get("namespace"))
            )
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return  # already gone
            raise
        self.tracker.expect_deletion(slice_)

    async def _delete_orphans(self, namespace: str, name: str, selector: Selector) -> None:
        """Stand-in for the garbage collector: the slices of a deleted service go."""
        for slice_ in self.slices.lister.list(namespace=namespace, selector=selector):
            owners = _meta(slice_).get("ownerReferences") or ()
            if any(o.get("kind") == "Service" and o.get("name") == name for o in owners):
                await self._delete(slice_)


def _context(err: errors.StatusError, context: str) -> errors.StatusError:
    """``err`` with ``context: `` in front of its message, as Kubernetes wraps it."""
    status = err.status
    return errors.StatusError(
        errors.Status(
            code=status.code,
            reason=status.reason,
            message=f"{context}: {status.message}",
            details=status.details,
            status=status.status,
        )
    )
