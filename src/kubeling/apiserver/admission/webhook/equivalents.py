"""Equivalent resources: the same objects served at another group or version.

``matchPolicy: Equivalent`` (the default) lets a webhook registered for one
version of a resource see requests made through another: a rule for
``autoscaling/v2 horizontalpodautoscalers`` also covers a request to
``autoscaling/v1``, and the webhook then receives the object converted to
v2. Kubernetes calls resources equivalent when they share storage; so does
the registry here (one storage prefix: core/v1 and events.k8s.io/v1 Events,
both HorizontalPodAutoscaler versions, every version of a CRD).

:class:`EquivalentResources` is what the webhook plugins need of that: the
equivalents of a resource, the kind a resource (or subresource) serves, and
conversion between two equivalent versions (through the storage version,
with the registry's ``Conversion`` functions).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from kubeling.api.schema import GroupVersionKind

if TYPE_CHECKING:
    from kubeling.apiserver.registry.registry import Registry
    from kubeling.apiserver.rest.resource_store import ResourceStore

__all__ = [
    "EquivalentResources",
    "GroupVersionResource",
    "NoEquivalents",
    "RegistryEquivalents",
]


@dataclass(frozen=True, slots=True)
class GroupVersionResource:
    """A resource at one group and version (``schema.GroupVersionResource``)."""

    group: str
    version: str
    resource: str

    def to_api(self) -> dict[str, str]:
        """``metav1.GroupVersionResource`` JSON (every field written, as Go does)."""
        return {"group": self.group, "version": self.version, "resource": self.resource}


class EquivalentResources(Protocol):
    """The equivalence and conversion the webhook dispatchers need."""

    def equivalents(self, resource: GroupVersionResource) -> list[GroupVersionResource]:
        """Every resource sharing storage with ``resource`` (itself included), in
        registration order; just ``[resource]`` when none do."""
        ...

    def kind_for(self, resource: GroupVersionResource, subresource: str) -> GroupVersionKind | None:
        """The kind ``resource`` (or its ``subresource``) serves; None if unknown."""
        ...

    def convert(
        self, obj: Mapping[str, Any], *, source: GroupVersionResource, target: GroupVersionResource
    ) -> dict[str, Any]:
        """``obj``, served at ``source``, as ``target`` serves it (a new dict)."""
        ...


class NoEquivalents:
    """No resource has an equivalent (for tests of a single version)."""

    def equivalents(self, resource: GroupVersionResource) -> list[GroupVersionResource]:
        return [resource]

    def kind_for(self, resource: GroupVersionResource, subresource: str) -> GroupVersionKind | None:
        return None

    def convert(
        self, obj: Mapping[str, Any], *, source: GroupVersionResource, target: GroupVersionResource
    ) -> dict[str, Any]:
        return dict(obj)


class RegistryEquivalents:
    """Equivalence read from the API server's registry at each call (CRDs come and go)."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def _rest(self, resource: GroupVersionResource) -> ResourceStore | None:
        return self._registry.lookup(resource.group, resource.version, resource.resource)

    def equivalents(self, resource: GroupVersionResource) -> list[GroupVersionResource]:
        rest = self._rest(resource)
        if rest is None:
            return [resource]
        return [
            GroupVersionResource(
                other.resource.group, other.resource.version, other.resource.plural
            )
            for other in self._registry
            if other.storage_prefix == rest.storage_prefix
        ]

    def kind_for(self, resource: GroupVersionResource, subresource: str) -> GroupVersionKind | None:
        rest = self._rest(resource)
        if rest is None:
            return None
        if not subresource:
            return rest.resource.gvk
        for sub in rest.resource.subresources:
            if sub.name == subresource:
                return sub.gvk
        return None

    def convert(
        self, obj: Mapping[str, Any], *, source: GroupVersionResource, target: GroupVersionResource
    ) -> dict[str, Any]:
        source_rest, target_rest = self._rest(source), self._rest(target)
        out = dict(obj)
        if source_rest is not None and source_rest.resource.conversion is not None:
            out = source_rest.resource.conversion.to_storage(out)
        if target_rest is not None and target_rest.resource.conversion is not None:
            out = target_rest.resource.conversion.from_storage(out)
        return dict(out)
