"""Keeping the zone in step with the cluster, through informers.

Services, EndpointSlices and Namespaces (and Pods, in the ``verified`` pod
mode) are followed with shared informers. Their handlers only note which source
changed (a Service, whichever of its slices or itself moved; a Namespace; a Pod)
and schedule one flush on the event loop; the flush recomputes each noted source
from the caches with the pure functions of :mod:`kubeling.dns.records` and
replaces its contribution in the zone. A burst of events (a relist, a rollout)
thus costs one recomputation per Service, and every answer after the flush
reflects the caches.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from kubeling.client import DeletedFinalStateUnknown, SharedInformer, SharedInformerFactory
from kubeling.client.resources import ENDPOINTSLICES, NAMESPACES, PODS, SERVICES
from kubeling.dns.records import (
    SERVICE_NAME_LABEL,
    namespace_contribution,
    pod_contribution,
    service_contribution,
)
from kubeling.dns.zone import ClusterZone

__all__ = ["ZoneSync"]

log = logging.getLogger(__name__)

Obj = Mapping[str, Any]
_BY_SERVICE = "service"


def _slice_service(endpoint_slice: Obj) -> list[str]:
    """The ``namespace/name`` of the Service a slice belongs to (its service-name label)."""
    meta = endpoint_slice.get("metadata") or {}
    service = (meta.get("labels") or {}).get(SERVICE_NAME_LABEL)
    return [f"{meta.get('namespace')}/{service}"] if service else []


def _unwrap(obj: Obj | DeletedFinalStateUnknown) -> Obj:
    return obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj


def _key(obj: Obj) -> str:
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace")
    return f"{namespace}/{meta.get('name')}" if namespace else str(meta.get("name"))


class ZoneSync:
    """Registers informer handlers that keep ``zone`` up to date."""

    def __init__(self, zone: ClusterZone, informers: SharedInformerFactory) -> None:
        self.zone = zone
        self.services = informers.informer_for(SERVICES)
        self.slices = informers.informer_for(ENDPOINTSLICES, indexers={_BY_SERVICE: _slice_service})
        self.namespaces = informers.informer_for(NAMESPACES)
        self.pods = informers.informer_for(PODS) if zone.pod_records == "verified" else None
        self._dirty: set[Hashable] = set()
        self._scheduled = False
        self._watch(self.services, lambda obj: [("service", _key(obj))])
        self._watch(self.slices, lambda obj: [("service", k) for k in _slice_service(obj)])
        self._watch(self.namespaces, lambda obj: [("namespace", _key(obj))])
        if self.pods is not None:
            self._watch(self.pods, lambda obj: [("pod", _key(obj))])

    def _watch(self, informer: SharedInformer, sources: Callable[[Obj], list[Hashable]]) -> None:
        def changed(obj: Obj | DeletedFinalStateUnknown) -> None:
            self._mark(sources(_unwrap(obj)))

        def updated(old: Obj, new: Obj) -> None:
            # A slice relabelled to another Service changes both.
            self._mark([*sources(old), *sources(new)])

        informer.add_event_handler(on_add=changed, on_update=updated, on_delete=changed)

    def _mark(self, sources: list[Hashable]) -> None:
        self._dirty.update(sources)
        if self._dirty and not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        """Recompute every source noted since the last flush."""
        self._scheduled = False
        dirty, self._dirty = self._dirty, set()
        for source in dirty:
            try:
                self._recompute(source)
            except Exception:
                log.exception("DNS records of %s not updated", source)

    def _recompute(self, source: Hashable) -> None:
        assert isinstance(source, tuple)
        kind, key = source
        zone = self.zone
        if kind == "service":
            service = self.services.indexer.get(key)
            contribution = None
            if service is not None:
                slices = self.slices.indexer.by_index(_BY_SERVICE, key)
                contribution = service_contribution(service, slices, zone=zone.domain, ttl=zone.ttl)
            zone.set_source(source, contribution)
        elif kind == "namespace":
            exists = self.namespaces.indexer.get(key) is not None
            zone.set_source(
                source,
                namespace_contribution(key, zone=zone.domain, pod_records=zone.pod_records)
                if exists
                else None,
            )
        elif kind == "pod" and self.pods is not None:
            pod = self.pods.indexer.get(key)
            zone.set_source(
                source,
                pod_contribution(pod, zone=zone.domain, ttl=zone.ttl) if pod is not None else None,
            )
