"""The RBAC policy as the API server's watch caches hold it now.

Kubernetes' RBAC authorizer reads Roles, ClusterRoles and their bindings
from shared informers, never from etcd per request; here the watch caches of
those four resources play the informers' part. A :class:`PolicySource` is
called for every decision: it returns the :class:`~.policy.Policy` built
from the caches, rebuilding only the parts whose cache has moved since (a
cache's revision changes with each change it applies), so a quiet policy
costs four integer comparisons per request.

Like an informer, the caches trail the store by the time it takes a change
to reach them (well under a millisecond in one process): a RoleBinding just
created may not yet allow a request sent in the same instant, as in
Kubernetes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final, Generic, TypeVar

from kubeling.apiserver.authz.policy import Binding, Policy, Role
from kubeling.apiserver.registry.registry import Registry
from kubeling.apiserver.rest.resource_store import ResourceStore

__all__ = ["RBAC_GROUP", "PolicySource", "rbac_store"]

RBAC_GROUP: Final = "rbac.authorization.k8s.io"

T = TypeVar("T")


class _CachedObjects(Generic[T]):
    """One resource's objects, parsed, as of its watch cache's revision."""

    def __init__(
        self, registry: Registry, plural: str, parse: Callable[[dict[str, object]], T]
    ) -> None:
        self._registry = registry
        self._plural = plural
        self._store: ResourceStore | None = None
        self._parse = parse
        self._version: tuple[int, int] | None = None
        self.items: Sequence[T] = ()

    def refresh(self) -> bool:
        """Re-read the objects if the cache moved; whether it did."""
        if self._store is None:  # looked up on first use: the registry fills up after us
            self._store = rbac_store(self._registry, self._plural)
        cache = self._store.watch_cache()
        version = (id(cache), cache.revision)
        if version == self._version:
            return False
        entries, revision = cache.list_entries(f"{self._store.storage_prefix}/")
        self.items = [self._parse(cached.decode()) for _, cached in entries]
        self._version = (id(cache), revision)
        return True


def rbac_store(registry: Registry, plural: str) -> ResourceStore:
    """The store of the rbac.authorization.k8s.io/v1 resource ``plural``."""
    store = registry.lookup(RBAC_GROUP, "v1", plural)
    if store is None:
        raise LookupError(f"{plural}.{RBAC_GROUP} is not registered")
    return store


class PolicySource:
    """Calls to it return the current RBAC policy (see the module notes)."""

    def __init__(self, registry: Registry) -> None:
        self._cluster_roles = _CachedObjects(registry, "clusterroles", Role.from_json)
        self._roles = _CachedObjects(registry, "roles", Role.from_json)
        self._cluster_role_bindings = _CachedObjects(
            registry, "clusterrolebindings", Binding.from_json
        )
        self._role_bindings = _CachedObjects(registry, "rolebindings", Binding.from_json)
        self._policy: Policy | None = None

    def __call__(self) -> Policy:
        moved = [
            part.refresh()
            for part in (
                self._cluster_roles,
                self._roles,
                self._cluster_role_bindings,
                self._role_bindings,
            )
        ]
        if self._policy is None or any(moved):
            self._policy = Policy(
                cluster_roles=self._cluster_roles.items,
                roles=self._roles.items,
                cluster_role_bindings=self._cluster_role_bindings.items,
                role_bindings=self._role_bindings.items,
            )
        return self._policy
