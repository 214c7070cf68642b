"""The EndpointSlice mirroring controller: slices for hand-written Endpoints.

Kubernetes' ``pkg/controller/endpointslicemirroring``. Endpoints, Services and
the slices it manages are watched; the key is the Endpoints' (and service's)
``namespace/name``. ``sync`` mirrors an Endpoints into EndpointSlices
(:mod:`~kubeling.controllers.endpointslicemirroringreconciler`) when:

- its Service exists and has no selector (a selector service's slices are
  the EndpointSlice controller's),
- it is not labelled ``endpointslice.kubernetes.io/skip-mirror: "true"``,
- it is not a leader-election record;

otherwise (or once the Endpoints is gone) the slices it mirrored are deleted.
Invalid IPs and addresses beyond 1000 per subset are skipped with the
``InvalidIPAddress`` and ``TooManyAddressesToMirror`` warnings on the
Endpoints. Failures retry with back-off from one second up to 100, 15 times.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

from kubeling.api import errors
from kubeling.api.labels import selector_from_set
from kubeling.client import WARNING, DeletedFinalStateUnknown, Lister, WorkQueue, split_key
from kubeling.client.ratelimit import (
    BucketRateLimiter,
    ItemExponentialFailureRateLimiter,
    MaxOfRateLimiter,
    TokenBucket,
)
from kubeling.client.resources import ENDPOINTS, ENDPOINTSLICES, SERVICES
from kubeling.controllers.base import Controller, ControllerContext
from kubeling.controllers.endpoints import LEADER_ANNOTATION
from kubeling.controllers.endpointslicemirroringreconciler import (
    MAX_ENDPOINTS_PER_SUBSET,
    MIRRORING_CONTROLLER_NAME,
    mirror_slices,
)
from kubeling.controllers.endpointslicereconciler import MANAGED_BY_LABEL, SERVICE_NAME_LABEL
from kubeling.controllers.endpointslicetracker import EndpointSliceTracker, StaleInformerCache
from kubeling.controllers.serviceendpoints import service_selects

__all__ = ["EndpointSliceMirroringController"]

SKIP_MIRROR_LABEL: Final = "endpointslice.kubernetes.io/skip-mirror"

Obj = dict[str, Any]


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def _labels(obj: Mapping[str, Any]) -> Mapping[str, str]:
    labels: Mapping[str, str] = _meta(obj).get("labels") or {}
    return labels


def _should_mirror(endpoints: Mapping[str, Any]) -> bool:
    return _labels(endpoints).get(SKIP_MIRROR_LABEL) != "true" and LEADER_ANNOTATION not in (
        _meta(endpoints).get("annotations") or {}
    )


def _mirrored_by_us(slice_: Mapping[str, Any]) -> bool:
    return _labels(slice_).get(MANAGED_BY_LABEL) == MIRRORING_CONTROLLER_NAME


def _unwrap(obj: Obj | DeletedFinalStateUnknown) -> Obj:
    return obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj


class EndpointSliceMirroringController(Controller):
    """Mirrors the Endpoints of selector-less Services into EndpointSlices."""

    name: ClassVar[str] = "endpointslicemirroring"
    component: ClassVar[str] = "endpoint-slice-mirroring-controller"
    workers: ClassVar[int] = 5  # --mirroring-concurrent-service-endpoint-syncs

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.queue = WorkQueue(
            rate_limiter=MaxOfRateLimiter(
                ItemExponentialFailureRateLimiter(1.0, 100.0),
                BucketRateLimiter(TokenBucket(10.0, 100)),
            ),
            name="endpoint_slice_mirroring",
        )
        self.endpoints = self.informers.informer_for(ENDPOINTS)
        self.services = self.informers.informer_for(SERVICES)
        self.slices = self.informers.informer_for(ENDPOINTSLICES)
        self.slices_api = self.client.resource(ENDPOINTSLICES)
        self.tracker = EndpointSliceTracker()
        self.endpoints.add_event_handler(
            on_add=self._endpoints_added,
            on_update=self._endpoints_updated,
            on_delete=self._endpoints_deleted,
        )
        self.services.add_event_handler(
            on_add=self._service_added,
            on_update=self._service_updated,
            on_delete=self._service_deleted,
        )
        self.slices.add_event_handler(
            on_add=self._slice_added, on_update=self._slice_updated, on_delete=self._slice_deleted
        )

    # -- events -----------------------------------------------------------------------------

    def _endpoints_added(self, endpoints: Obj) -> None:
        if _should_mirror(endpoints):
            self.enqueue(endpoints)

    def _endpoints_updated(self, old: Obj, new: Obj) -> None:
        if _should_mirror(old) or _should_mirror(new):
            self.enqueue(new)

    def _endpoints_deleted(self, obj: Obj | DeletedFinalStateUnknown) -> None:
        if _should_mirror(_unwrap(obj)):
            self.enqueue(obj)

    def _service_added(self, service: Obj) -> None:
        if service_selects(service) is None:
            self.enqueue(service)

    def _service_updated(self, old: Obj, new: Obj) -> None:
        if (service_selects(old) is None) != (service_selects(new) is None):
            self.enqueue(new)

    def _service_deleted(self, obj: Obj | DeletedFinalStateUnknown) -> None:
        if service_selects(_unwrap(obj)) is None:
            self.enqueue(obj)

    def _queue_for(self, slice_: Mapping[str, Any]) -> None:
        service = _labels(slice_).get(SERVICE_NAME_LABEL)
        if service:
            self.queue.add(f"{_meta(slice_).get('namespace', '')}/{service}")

    def _slice_added(self, slice_: Obj) -> None:
        if _mirrored_by_us(slice_) and self.tracker.should_sync(slice_):
            self._queue_for(slice_)

    def _slice_updated(self, old: Obj, new: Obj) -> None:
        if _labels(old).get(SERVICE_NAME_LABEL) != _labels(new).get(SERVICE_NAME_LABEL):
            self._queue_for(new)
            self._queue_for(old)
            return
        if _mirrored_by_us(old) != _mirrored_by_us(new) or (
            _mirrored_by_us(new) and self.tracker.should_sync(new)
        ):
            self._queue_for(new)

    def _slice_deleted(self, obj: Obj | DeletedFinalStateUnknown) -> None:
        slice_ = _unwrap(obj)
        if (
            _mirrored_by_us(slice_)
            and self.tracker.has(slice_)
            and not self.tracker.handle_deletion(slice_)
        ):
            self._queue_for(slice_)

    # -- sync -------------------------------------------------------------------------------

    async def sync(self, key: str) -> None:
        namespace, name = split_key(key)
        endpoints = self._cached(self.endpoints.lister, name, namespace)
        service = self._cached(self.services.lister, name, namespace)
        if (
            endpoints is None
            or not _should_mirror(endpoints)
            or service is None
            or service_selects(service) is not None
        ):
            self.tracker.delete_service(key)
            await self._delete_mirrored(namespace, name)
            return
        slices = self._mirrored(namespace, name)
        if self.tracker.stale_slices(service, slices):
            raise StaleInformerCache("EndpointSlice informer cache is out of date")
        changes = mirror_slices(endpoints, slices)
        if changes.invalid:
            self.recorder.event(
                endpoints,
                WARNING,
                "InvalidIPAddress",
                f"Skipped {changes.invalid} invalid IP addresses when mirroring to EndpointSlices",
            )
        if changes.skipped > changes.invalid:
            self.recorder.event(
                endpoints,
                WARNING,
                "TooManyAddressesToMirror",
                f"A max of {MAX_ENDPOINTS_PER_SUBSET} addresses can be mirrored to "
                f"EndpointSlices per Endpoints subset. {changes.skipped} addresses were skipped",
            )
        if not _meta(endpoints).get("deletionTimestamp"):
            for slice_ in changes.create:
                try:
                    self.tracker.update(await self.slices_api.create(slice_, namespace=namespace))
                except errors.StatusError as err:
                    if errors.has_status_cause(err, errors.CAUSE_NAMESPACE_TERMINATING):
                        return
                    raise
        for slice_ in changes.update:
            self.tracker.update(await self.slices_api.update(slice_, namespace=namespace))
        for slice_ in changes.delete:
            await self._delete(slice_)
            self.tracker.expect_deletion(slice_)

    @staticmethod
    def _cached(lister: Lister, name: str, namespace: str) -> Obj | None:
        try:
            return lister.get(name, namespace=namespace)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return None
            raise

    def _mirrored(self, namespace: str, name: str) -> list[Obj]:
        selector = selector_from_set(
            {SERVICE_NAME_LABEL: name, MANAGED_BY_LABEL: MIRRORING_CONTROLLER_NAME}
        )
        return self.slices.lister.list(namespace=namespace, selector=selector)

    async def _delete_mirrored(self, namespace: str, name: str) -> None:
        for slice_ in self._mirrored(namespace, name):
            await self._delete(slice_)

    async def _delete(self, slice_: Mapping[str, Any]) -> None:
        try:
            await self.slices_api.delete(
                str(_meta(slice_).get("name")), namespace=str(_meta(slice_).get("namespace"))
            )
        except errors.StatusError as err:
            if not errors.is_not_found(err):
                raise
