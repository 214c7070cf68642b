"""The Endpoints controller: one Endpoints object per Service with a selector.

Kubernetes' ``pkg/controller/endpoint``. Services, their pods and the
Endpoints are watched; every change that can alter a service's endpoints
queues the service (:mod:`~kubeling.controllers.podservices`), and
``sync`` recomputes its Endpoints from the caches
(:func:`~kubeling.controllers.endpointsubsets.desired_endpoints`) and writes
it only when it differs.

- A service without a selector (or of type ExternalName) is left alone: its
  Endpoints are written by hand (or mirrored into slices by another
  controller).
- A deleted service's Endpoints are deleted. At start every cached Endpoints
  is queued once, so that one whose service went while the controller was
  down goes too (leader-election records aside).
- The write is an update carrying the cached ``resourceVersion``; after one,
  the replaced version is remembered, and a sync that still reads it from the
  cache fails (to retry) rather than act on stale data.
- A create refused because the namespace is terminating is dropped; other
  failures record ``FailedToCreateEndpoint``/``FailedToUpdateEndpoint`` and
  are retried with back-off (15 times, then until the next event).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar, Final

from kubeling.api import errors
from kubeling.api.labels import selector_from_set
from kubeling.client import WARNING, split_key
from kubeling.client.resources import ENDPOINTS, PODS, SERVICES
from kubeling.controllers.base import Controller, ControllerContext, Retry
from kubeling.controllers.endpointsubsets import desired_endpoints
from kubeling.controllers.podservices import watch_pods_for_services
from kubeling.controllers.serviceendpoints import service_selects
from kubeling.controllers.triggertime import TriggerTimeTracker

__all__ = ["EndpointsController", "StaleEndpointsCache"]

log = logging.getLogger(__name__)

#: Endpoints carrying this annotation are leader-election records, not a service's.
LEADER_ANNOTATION: Final = "control-plane.alpha.kubernetes.io/leader"


class StaleEndpointsCache(Retry):
    """The cached Endpoints is a version this controller already replaced."""


class EndpointsController(Controller):
    """Keeps each selector Service's Endpoints equal to its pods."""

    name: ClassVar[str] = "endpoints"
    component: ClassVar[str] = "endpoint-controller"
    workers: ClassVar[int] = 5  # --concurrent-endpoint-syncs

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.services = self.informers.informer_for(SERVICES)
        self.pods = self.informers.informer_for(PODS)
        self.endpoints = self.informers.informer_for(ENDPOINTS)
        self.endpoints_api = self.client.resource(ENDPOINTS)
        self.trigger_times = TriggerTimeTracker()
        # service key -> resourceVersion of the Endpoints our last update replaced
        self._replaced: dict[str, str] = {}
        self.services.add_event_handler(
            on_add=self.enqueue,
            on_update=lambda _old, new: self.enqueue(new),
            on_delete=self.enqueue,
        )
        watch_pods_for_services(self.pods, self.services, self.queue.add)
        self.endpoints.add_event_handler(on_delete=self.enqueue)

    async def run(self) -> None:
        self._queue_leftovers()
        await super().run()

    def _queue_leftovers(self) -> None:
        """Queue every cached Endpoints once: those whose service is gone get deleted."""
        for endpoints in self.endpoints.lister.list():
            annotations = (endpoints.get("metadata") or {}).get("annotations") or {}
            if LEADER_ANNOTATION not in annotations:
                self.enqueue(endpoints)

    async def sync(self, key: str) -> None:
        namespace, name = split_key(key)
        try:
            service = self.services.lister.get(name, namespace=namespace)
        except errors.StatusError as err:
            if not errors.is_not_found(err):
                raise
            await self._delete_endpoints(namespace, name)
            self.trigger_times.delete(key)
            self._replaced.pop(key, None)
            return
        spec = service.get("spec") or {}
        selector = service_selects(service)
        if spec.get("type") == "ExternalName" or selector is None:
            return  # its Endpoints, if any, are someone else's
        pods = self.pods.lister.list(namespace=namespace, selector=selector_from_set(selector))
        # Computed on every sync, even one that writes nothing, to keep the tracker current.
        trigger_time = self.trigger_times.compute(key, service, pods)
        current: Mapping[str, Any] | None
        try:
            current = self.endpoints.lister.get(name, namespace=namespace)
        except errors.StatusError as err:
            if not errors.is_not_found(err):
                raise
            current = None
        else:
            version = (current.get("metadata") or {}).get("resourceVersion")
            if self._replaced.get(key) == version:
                raise StaleEndpointsCache(
                    f"endpoints informer cache is out of date, resource version {version} "
                    f"already processed for endpoints {key}"
                )
        plan = desired_endpoints(service, pods, current, trigger_time)
        if plan.endpoints is None:
            return
        log.debug("updating endpoints %s: %d ready, %d not ready", key, plan.ready, plan.not_ready)
        try:
            if plan.create:
                await self.endpoints_api.create(plan.endpoints, namespace=namespace)
                return
            written = await self.endpoints_api.update(plan.endpoints, namespace=namespace)
        except errors.StatusError as err:
            if plan.create and errors.has_status_cause(err, errors.CAUSE_NAMESPACE_TERMINATING):
                return  # creates keep failing until the namespace is gone
            if plan.create:
                reason = "FailedToCreateEndpoint"
                message = f"Failed to create endpoint for service {key}: {err}"
            else:
                reason, message = (
                    "FailedToUpdateEndpoint",
                    f"Failed to update endpoint {key}: {err}",
                )
            self.recorder.event(plan.endpoints, WARNING, reason, message)
            raise
        old_version = str((current or {}).get("metadata", {}).get("resourceVersion") or "")
        if (written.get("metadata") or {}).get("resourceVersion") != old_version:
            self._replaced[key] = old_version

    async def _delete_endpoints(self, namespace: str, name: str) -> None:
        try:
            await self.endpoints_api.delete(name, namespace=namespace)
        except errors.StatusError as err:
            if not errors.is_not_found(err):
                raise
