"""The API server's admission chain: Kubernetes' in-tree plugins, in its order.

:data:`ORDER` is upstream's ``AllOrderedPlugins`` restricted to the plugins
Kubernetes 1.32 enables by default that matter here. :func:`default_chain`
builds every one that exists, minus the ``disabled`` ones
(``--disable-admission-plugins``); each plugin module has one upstream
plugin. Plugins read other objects through :class:`CachedReader`, over the
API server's watch caches (upstream's informers), falling back to the store
for an object the cache has not seen yet.

Slots still empty (their modules are being written): ``NodeRestriction``,
``PodSecurity``, ``MutatingAdmissionWebhook``, ``ValidatingAdmissionPolicy``,
``ValidatingAdmissionWebhook`` and ``ResourceQuota``. To fill one, add its
factory to :data:`_FACTORIES` under its name; the order is :data:`ORDER`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Final

from kubeling.api import errors
from kubeling.api.authentication.user import UserInfo
from kubeling.apiserver.admission.chain import AdmissionChain
from kubeling.apiserver.admission.default_storage_class import DefaultStorageClass
from kubeling.apiserver.admission.default_toleration_seconds import DefaultTolerationSeconds
from kubeling.apiserver.admission.interfaces import AdmissionPlugin
from kubeling.apiserver.admission.limit_ranger import LimitRanger
from kubeling.apiserver.admission.lookup import Obj
from kubeling.apiserver.admission.namespace_lifecycle import NamespaceLifecycle
from kubeling.apiserver.admission.priority import Priority
from kubeling.apiserver.admission.service_account import ServiceAccount
from kubeling.apiserver.authz.context import requesting_user
from kubeling.apiserver.authz.user import LOOPBACK
from kubeling.apiserver.registry.registry import Registry
from kubeling.apiserver.rest import objects
from kubeling.apiserver.rest.options import ListOptions
from kubeling.apiserver.rest.resource_store import ResourceStore

__all__ = ["ORDER", "CachedReader", "StoreReader", "default_chain", "plugin_names"]

#: Kubernetes' order (``AllOrderedPlugins``): webhooks, policies and quota last.
ORDER: Final = (
    "NamespaceLifecycle",
    "LimitRanger",
    "ServiceAccount",
    "NodeRestriction",
    "PodSecurity",
    "Priority",
    "DefaultTolerationSeconds",
    "DefaultStorageClass",
    "MutatingAdmissionWebhook",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionWebhook",
    "ResourceQuota",
)


@dataclass(frozen=True, slots=True)
class StoreReader:
    """Reads one resource straight from the store (a live lookup)."""

    registry: Registry
    group: str
    version: str
    plural: str

    def rest(self) -> ResourceStore:
        rest = self.registry.lookup(self.group, self.version, self.plural)
        if rest is None:  # a built-in resource: registered before any request
            raise errors.internal_error(f"admission: {self.plural} are not served")
        return rest

    async def get(self, namespace: str, name: str) -> Obj | None:
        try:
            return await self.rest().get(namespace, name)
        except errors.StatusError as err:
            if err.code == 404:
                return None
            raise

    async def list(self, namespace: str) -> list[Obj]:
        items: list[Obj] = (await self.rest().list(namespace, ListOptions()))["items"]
        return items


@dataclass(frozen=True, slots=True)
class CachedReader(StoreReader):
    """Reads from the watch cache; the store when the cache has not seen the
    object yet (or is not running)."""

    async def get(self, namespace: str, name: str) -> Obj | None:
        rest = self.rest()
        cache = rest.watch_cache()
        if cache.started:
            found = cache.get(rest.key(namespace, name))
            if found is not None:
                return found
        return await StoreReader.get(self, namespace, name)

    async def list(self, namespace: str) -> list[Obj]:
        rest = self.rest()
        cache = rest.watch_cache()
        if not cache.started:
            return await StoreReader.list(self, namespace)
        prefix = objects.prefix_for(rest.storage_prefix, namespace if rest.namespaced else "")
        return cache.list_objects(prefix)[0]


def _reader(registry: Registry, group: str, plural: str) -> CachedReader:
    return CachedReader(registry, group, "v1", plural)


_FACTORIES: Final[dict[str, Callable[[Registry], AdmissionPlugin]]] = {
    "NamespaceLifecycle": lambda r: NamespaceLifecycle(_reader(r, "", "namespaces")),
    "LimitRanger": lambda r: LimitRanger(_reader(r, "", "limitranges")),
    "ServiceAccount": lambda r: ServiceAccount(
        _reader(r, "", "serviceaccounts"),
        live_service_accounts=StoreReader(r, "", "v1", "serviceaccounts"),
    ),
    # "NodeRestriction": another engineer's module.
    # "PodSecurity": another engineer's module.
    "Priority": lambda r: Priority(_reader(r, "scheduling.k8s.io", "priorityclasses")),
    "DefaultTolerationSeconds": lambda r: DefaultTolerationSeconds(),
    "DefaultStorageClass": lambda r: DefaultStorageClass(
        _reader(r, "storage.k8s.io", "storageclasses")
    ),
    # "MutatingAdmissionWebhook", "ValidatingAdmissionPolicy",
    # "ValidatingAdmissionWebhook", "ResourceQuota": other engineers' modules.
}


def plugin_names() -> list[str]:
    """The plugins this server can run, in order."""
    return [name for name in ORDER if name in _FACTORIES]


def _user() -> UserInfo:
    # Writes outside any request are the API server's own (bootstrap, its controllers).
    return requesting_user() or LOOPBACK


def default_chain(registry: Registry, *, disabled: Collection[str] = ()) -> AdmissionChain:
    """Every plugin of :data:`ORDER` that exists and is not ``disabled``, in order.

    Unknown names in ``disabled`` are a ValueError (as kube-apiserver refuses
    to start with them).
    """
    unknown = sorted(set(disabled) - set(ORDER))
    if unknown:
        raise ValueError(f"unknown admission plugins: {', '.join(unknown)}")
    return AdmissionChain(
        [_FACTORIES[name](registry) for name in plugin_names() if name not in disabled],
        user=_user,
    )
