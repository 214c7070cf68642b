"""The registry: served resources by group, version and plural, with their stores.

Built-in resources are registered at start; custom resources join and leave
as their CustomResourceDefinitions do (``customresources.registrar``). Lookups
are by the names a URL carries, and by short name or kind for discovery.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kubeling.apiserver.registry.resource import Resource
from kubeling.apiserver.rest.resource_store import NamespaceCheck, ResourceStore
from kubeling.apiserver.rest.strategy import Strategy
from kubeling.storage import Store

__all__ = ["GENERATION_TRACKED", "Registry"]

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


class Registry:
    """Every served resource and the ResourceStore that serves it."""

    def __init__(self, store: Store, *, namespace_check: NamespaceCheck | None = None) -> None:
        self.store = store
        self._namespace_check = namespace_check
        self._stores: dict[tuple[str, str, str], ResourceStore] = {}
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
        custom resources pass ``/registry/<group>/<plural>``."""
        if storage_prefix is None:
            storage_prefix = f"/registry/{resource.plural}"
            if resource.group == "events.k8s.io":
                # TODO(events): share core/v1 events' storage once the two
                # versions are converted into each other.
                storage_prefix = "/registry/events.k8s.io/events"
        rest = ResourceStore(
            resource,
            self.store,
            strategy=strategy or default_strategy(resource),
            storage_prefix=storage_prefix,
            namespace_check=self._namespace_check,
            custom=custom,
            printer=printer,
            openapi_schema=openapi_schema,
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
        self._stores.pop((group, version, plural), None)
        self.generation += 1

    def openapi_schema(self, resource: Resource) -> Mapping[str, Any] | None:
        """A custom resource's OpenAPI v3 schema (None for built-ins)."""
        rest = self.lookup(resource.group, resource.version, resource.plural)
        return rest.openapi_schema if rest is not None else None

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
