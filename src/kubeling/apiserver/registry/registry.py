"""The registry: served resources by group, version and plural, with their stores.

Built-in resources are registered at start; custom resources join and leave
as their CustomResourceDefinitions do (``customresources.registrar``). Lookups
are by the names a URL carries, and by short name or kind for discovery.

Several served versions may keep their objects under one storage prefix
(core/v1 and events.k8s.io/v1 Events in ``/registry/events``, both
HorizontalPodAutoscaler versions in ``/registry/horizontalpodautoscalers``,
every version of a CRD): they then share one ``StoredResource``, whose watch
cache holds the storage-version objects every one of them serves from.

With encryption at rest configured (``--encryption-provider-config``), each
storage prefix reads and writes through its stored resource's transformer
(``store_for``): the watch cache and every served version of it alike.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kubeling.api.schema import GroupVersionKind
from kubeling.apiserver.admission.chain import AdmissionChain
from kubeling.apiserver.encryption import ResourceTransformers
from kubeling.apiserver.printers.interface import Printer
from kubeling.apiserver.printers.registry import printer_for
from kubeling.apiserver.registry.resource import Resource
from kubeling.apiserver.rest.resource_store import ResourceStore, selectable
from kubeling.apiserver.rest.served_version import ServedVersion
from kubeling.apiserver.rest.strategy import Strategy
from kubeling.apiserver.watch_cache import WatchCache
from kubeling.storage import Store

__all__ = ["GENERATION_TRACKED", "Registry", "StoredResource"]

GENERATION_TRACKED = frozenset(
    {
        "deployments.apps",
        "replicasets.apps",
        "statefulsets.apps",
        "daemonsets.apps",
        "jobs.batch",
        "cronjobs.batch",
        "replicationcontrollers",
        "customresourcedefinitions.apiextensions.k8s.io",
        "horizontalpodautoscalers.autoscaling",
        "poddisruptionbudgets.policy",
        "ingresses.networking.k8s.io",
        "networkpolicies.networking.k8s.io",
    }
)


def default_strategy(resource: Resource) -> Strategy:
    """A generic strategy with the resource's status split and generation rule."""
    strategy = Strategy()
    strategy.has_status_subresource = any(s.name == "status" for s in resource.subresources)
    strategy.tracks_generation = resource.group_resource in GENERATION_TRACKED
    return strategy


@dataclass(frozen=True, slots=True)
class StoredResource:
    """Objects under one storage prefix, in one storage version, and their watch cache."""

    prefix: str
    storage: GroupVersionKind
    plural: str
    cache: WatchCache
    #: The store as this resource sees it (its values decrypted, when encrypted at rest).
    store: Store

    @property
    def group_resource(self) -> str:
        """``events``, ``horizontalpodautoscalers.autoscaling``: the stored resource."""
        group = self.storage.group
        return f"{self.plural}.{group}" if group else self.plural


def _converted_printer(resource: Resource) -> Printer | None:
    """A converted version's Table: its storage version's printer, over the
    object converted back to the storage version."""
    if resource.conversion is None:
        return None
    stored = printer_for(resource.conversion.storage.group, resource.plural)
    return stored.reading(resource.conversion.to_storage)


class Registry:
    """Every served resource and the ResourceStore that serves it."""

    def __init__(
        self,
        store: Store,
        *,
        admission: AdmissionChain | None = None,
        transformers: ResourceTransformers | None = None,
    ) -> None:
        self.store = store
        self._transformers = transformers
        #: The admission chain of every store added from now on (None: no admission);
        #: the API server sets it before registering the built-in resources.
        self.admission = admission
        self._stores: dict[tuple[str, str, str], ResourceStore] = {}
        self._stored: dict[str, StoredResource] = {}
        # caches no served version uses any more, for their owner to stop
        self._retired: list[WatchCache] = []
        #: Bumped on every add and remove, so derived documents know to rebuild.
        self.generation = 0

    def add(
        self,
        resource: Resource,
        strategy: Strategy | None = None,
        *,
        storage_prefix: str | None = None,
        custom: bool = False,
        printer: Any = None,
        openapi_schema: Mapping[str, Any] | None = None,
    ) -> ResourceStore:
        """Serve ``resource``; built-ins are stored under ``/registry/<plural>``,
        custom resources pass ``/registry/<group>/<plural>``.

        Versions stored under the same prefix share its watch cache; a
        version whose storage version differs from the prefix's current one
        (a CRD that changed its storage version) gets a new cache, and the
        old one is retired (see ``retired_caches``).
        """
        if storage_prefix is None:
            storage_prefix = f"/registry/{resource.plural}"
        strategy = strategy or default_strategy(resource)
        stored = self._stored.get(storage_prefix)
        if stored is None or stored.storage != resource.storage_gvk:
            if stored is not None:
                self._retired.append(stored.cache)
            store = self.store_for(resource.storage_gvk.group, resource.plural)
            # Every version's strategy reads storage-version objects, so any of
            # them tells the cache what selectors need.
            cache = WatchCache(
                store,
                storage_prefix,
                ServedVersion(resource).storage_typed,
                selectable(strategy, namespaced=resource.namespaced),
            )
            stored = StoredResource(
                storage_prefix, resource.storage_gvk, resource.plural, cache, store
            )
            self._stored[storage_prefix] = stored
        rest = ResourceStore(
            resource,
            stored.store,
            strategy=strategy,
            storage_prefix=storage_prefix,
            admission=self.admission,
            custom=custom,
            printer=printer or _converted_printer(resource),
            openapi_schema=openapi_schema,
            watch_cache=stored.cache,
        )
        self.generation += 1
        self._stores[(resource.group, resource.version, resource.plural)] = rest
        return rest

    def redeclare(self, resource: Resource) -> None:
        """Replace the declaration of a served resource, keeping its store and
        watch cache (a terminating CRD's objects advertise fewer verbs)."""
        rest = self._stores.get((resource.group, resource.version, resource.plural))
        if rest is not None:
            rest.resource = resource
            self.generation += 1

    def remove(self, group: str, version: str, plural: str) -> None:
        """Stop serving a version; its cache is retired once no version uses it."""
        rest = self._stores.pop((group, version, plural), None)
        self.generation += 1
        if rest is None:
            return
        if any(other.storage_prefix == rest.storage_prefix for other in self._stores.values()):
            return
        stored = self._stored.pop(rest.storage_prefix, None)
        if stored is not None:
            self._retired.append(stored.cache)

    def store_for(self, group: str, plural: str) -> Store:
        """The store the objects of a stored resource are read and written through:
        the shared one, or a view of it with the resource's encryption at rest."""
        if self._transformers is None:
            return self.store
        return self._transformers.store_for(self.store, group, plural)

    def stored_resources(self) -> list[StoredResource]:
        """Every storage prefix served, with its shared watch cache."""
        return list(self._stored.values())

    def retired_caches(self) -> list[WatchCache]:
        """Caches no served version uses any more (handed over once, to be stopped)."""
        retired, self._retired = self._retired, []
        return retired

    def openapi_schema(self, resource: Resource) -> Mapping[str, Any] | None:
        """A custom resource's OpenAPI v3 schema (None for built-ins)."""
        rest = self.lookup(resource.group, resource.version, resource.plural)
        return rest.openapi_schema if rest is not None else None

    def returns_deleted_object(self, resource: Resource) -> bool:
        """Whether a DELETE of ``resource`` answers with the object, not a Status."""
        rest = self.lookup(resource.group, resource.version, resource.plural)
        return rest is not None and rest.strategy.returns_deleted_object

    def lookup(self, group: str, version: str, plural: str) -> ResourceStore | None:
        return self._stores.get((group, version, plural))

    def __iter__(self) -> Iterator[ResourceStore]:
        return iter(list(self._stores.values()))

    def resources(self) -> list[Resource]:
        return [rest.resource for rest in self._stores.values()]

    def group_versions(self) -> dict[str, list[str]]:
        """group → its versions, preferred first, in registration order."""
        out: dict[str, list[str]] = {}
        for group, version, _ in self._stores:
            versions = out.setdefault(group, [])
            if version not in versions:
                versions.append(version)
        return out
