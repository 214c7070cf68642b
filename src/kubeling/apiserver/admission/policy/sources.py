"""What the policy plugin reads: policies, bindings, namespaces and params, from the watch caches.

Kubernetes' plugin reads everything through informers; kubeling's API server
has the same thing in memory: each resource's watch cache. ``PolicySources``
is what the plugin needs, as a protocol (unit tests give fakes);
``RegistrySources`` reads the served resources of a ``Registry``:

- policies and bindings: every cached object (decoded once per change: the
  decoded copy is reused while the cache holds the same entry);
- namespaces: from the cache, and from the store when the cache has not seen
  the namespace yet (just created), as NamespaceLifecycle does;
- params: the served resource whose group, version and kind are the
  paramKind's, read from its cache (by name, or by label selector), each
  object converted to that version.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, Protocol

from kubeling.api import errors, labels
from kubeling.api.schema import GroupVersionKind
from kubeling.apiserver.admission.policy.params import ParamResource
from kubeling.apiserver.admission.rules import ResourceRef
from kubeling.apiserver.registry.registry import Registry
from kubeling.apiserver.rest import objects
from kubeling.apiserver.rest.resource_store import ResourceStore
from kubeling.apiserver.watch_cache import CachedObject

__all__ = ["PolicySources", "RegistrySources"]

Obj = dict[str, Any]

GROUP: Final = "admissionregistration.k8s.io"
POLICIES: Final = "validatingadmissionpolicies"
BINDINGS: Final = "validatingadmissionpolicybindings"


class PolicySources(Protocol):
    """Everything the ValidatingAdmissionPolicy plugin reads."""

    async def policies(self) -> Sequence[Obj]:
        """Every ValidatingAdmissionPolicy (callers must not change them)."""

    async def bindings(self) -> Sequence[Obj]:
        """Every ValidatingAdmissionPolicyBinding (callers must not change them)."""

    async def namespace(self, name: str) -> Obj:
        """The Namespace ``name``; raises its 404 StatusError when there is none."""

    async def param_resource(self, api_version: str, kind: str) -> ParamResource | None:
        """The served resource of a paramKind, or None."""

    def equivalents(self, ref: ResourceRef) -> Sequence[tuple[ResourceRef, GroupVersionKind]]:
        """Every served version of the resource ``ref`` names, with its kind."""


class _DecodedCache:
    """Decoded copies of a watch cache's entries, redone only when an entry changes."""

    def __init__(self) -> None:
        self._decoded: dict[str, tuple[CachedObject, Obj]] = {}

    def objects(self, entries: Sequence[tuple[str, CachedObject]]) -> list[Obj]:
        out: list[Obj] = []
        seen: dict[str, tuple[CachedObject, Obj]] = {}
        for key, cached in entries:
            known = self._decoded.get(key)
            if known is None or known[0] is not cached:
                known = (cached, cached.decode())
            seen[key] = known
            out.append(known[1])
        self._decoded = seen
        return out


class _CachedParams:
    """A param kind's objects, read from its resource's watch cache."""

    def __init__(self, rest: ResourceStore) -> None:
        self._rest = rest

    @property
    def namespaced(self) -> bool:
        return self._rest.namespaced

    async def get(self, namespace: str, name: str) -> Obj | None:
        cache = self._rest.watch_cache()
        await cache.ensure_started()
        found = cache.get(self._rest.key(namespace, name))
        if found is not None:
            return self._rest.served.outgoing(found)
        try:
            return await self._rest.get(namespace, name)
        except errors.StatusError as err:
            if err.code == 404:
                return None
            raise

    async def select(self, namespace: str, selector: labels.Selector) -> list[Obj]:
        cache = self._rest.watch_cache()
        await cache.ensure_started()
        prefix = objects.prefix_for(self._rest.storage_prefix, namespace)
        entries, _ = cache.list_entries(prefix)
        return [
            self._rest.served.outgoing(cached.decode())
            for _, cached in entries
            if selector.matches(cached.labels)
        ]


class RegistrySources:
    """``PolicySources`` over the API server's registry and watch caches."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._policies = _DecodedCache()
        self._bindings = _DecodedCache()

    def _rest(self, group: str, version: str, plural: str) -> ResourceStore:
        rest = self._registry.lookup(group, version, plural)
        if rest is None:
            raise errors.internal_error(f"{plural}.{group} is not served")
        return rest

    async def _all(self, plural: str, decoded: _DecodedCache) -> list[Obj]:
        rest = self._rest(GROUP, "v1", plural)
        cache = rest.watch_cache()
        await cache.ensure_started()
        entries, _ = cache.list_entries(objects.prefix_for(rest.storage_prefix, ""))
        return decoded.objects(entries)

    async def policies(self) -> Sequence[Obj]:
        return await self._all(POLICIES, self._policies)

    async def bindings(self) -> Sequence[Obj]:
        return await self._all(BINDINGS, self._bindings)

    async def namespace(self, name: str) -> Obj:
        rest = self._rest("", "v1", "namespaces")
        cache = rest.watch_cache()
        await cache.ensure_started()
        found = cache.get(rest.key("", name))
        if found is None:
            found = await rest.get("", name)
        return found

    async def param_resource(self, api_version: str, kind: str) -> ParamResource | None:
        group, _, version = api_version.rpartition("/")
        for rest in self._registry:
            resource = rest.resource
            if (resource.group, resource.version, resource.kind) == (group, version, kind):
                return _CachedParams(rest) if resource.stored else None
        return None

    def equivalents(self, ref: ResourceRef) -> Sequence[tuple[ResourceRef, GroupVersionKind]]:
        own = self._registry.lookup(ref.group, ref.version, ref.resource)
        if own is None:
            return []
        found: list[tuple[ResourceRef, GroupVersionKind]] = []
        for rest in self._registry:
            if rest.storage_prefix != own.storage_prefix:
                continue
            resource = rest.resource
            kind = resource.gvk
            if ref.subresource:
                sub = next((s for s in resource.subresources if s.name == ref.subresource), None)
                if sub is None:
                    continue
                kind = sub.gvk
            other = ResourceRef(resource.group, resource.version, resource.plural, ref.subresource)
            found.append((other, kind))
        return found
