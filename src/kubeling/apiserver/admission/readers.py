"""How admission plugins read objects: from the watch cache, as upstream reads informers.

Kubernetes' plugins read through informers (listers) and fall back to a live
read only for what the cache may not have seen yet (a namespace created a
moment ago). Here the informers are the API server's own watch caches:
:class:`CachedReader` is an :class:`~kubeling.apiserver.admission.lookup.ObjectReader`
over one resource's store (anything shaped like
:class:`~kubeling.apiserver.rest.resource_store.ResourceStore`), and
:class:`StoreReader` the live read. Plugins that take plain async callables
get a reader's bound methods (:func:`cached_cluster_getter`, :func:`cached_lister`),
so that a unit test passes a plain function instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from kubeling.api import errors
from kubeling.apiserver.rest import objects
from kubeling.apiserver.rest.options import ListOptions

__all__ = [
    "CachedReader",
    "ClusterGetter",
    "Getter",
    "Lister",
    "ReadableStore",
    "StoreReader",
    "cached_cluster_getter",
    "cached_lister",
]

Obj = dict[str, Any]

#: ``(namespace, name) -> object or None``.
Getter = Callable[[str, str], Awaitable[Obj | None]]
#: ``name -> object or None`` for a cluster-scoped resource (namespaces).
ClusterGetter = Callable[[str], Awaitable[Obj | None]]
#: ``namespace -> objects`` (every namespace when empty).
Lister = Callable[[str], Awaitable[list[Obj]]]


class ReadableStore(Protocol):
    """What the readers need of a resource's store."""

    storage_prefix: str

    @property
    def namespaced(self) -> bool: ...

    def watch_cache(self) -> Any: ...

    def key(self, namespace: str, name: str) -> str: ...

    async def get(self, namespace: str, name: str) -> Obj: ...

    async def list(self, namespace: str, options: ListOptions) -> Obj: ...


class StoreReader:
    """Reads one resource straight from the store (a live lookup)."""

    def __init__(self, rest: ReadableStore) -> None:
        self.rest = rest

    async def get(self, namespace: str, name: str) -> Obj | None:
        try:
            return await self.rest.get(namespace, name)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return None
            raise

    async def list(self, namespace: str) -> list[Obj]:
        items: list[Obj] = (await self.rest.list(namespace, ListOptions()))["items"]
        return items


class CachedReader(StoreReader):
    """Reads from the watch cache; from the store when the cache has not seen the
    object yet (or is not running)."""

    async def get(self, namespace: str, name: str) -> Obj | None:
        cache = self.rest.watch_cache()
        if cache.started:
            found: Obj | None = cache.get(self.rest.key(namespace, name))
            if found is not None:
                return found
        return await StoreReader.get(self, namespace, name)

    async def list(self, namespace: str) -> list[Obj]:
        cache = self.rest.watch_cache()
        if not cache.started:
            return await StoreReader.list(self, namespace)
        rest = self.rest
        prefix = objects.prefix_for(rest.storage_prefix, namespace if rest.namespaced else "")
        items: list[Obj] = cache.list_objects(prefix)[0]
        return items


def cached_cluster_getter(rest: ReadableStore) -> ClusterGetter:
    """``get(name)`` of a cluster-scoped resource, through a :class:`CachedReader`."""
    reader = CachedReader(rest)

    async def get_cluster_scoped(name: str) -> Obj | None:
        return await reader.get("", name)

    return get_cluster_scoped


def cached_lister(rest: ReadableStore) -> Lister:
    """``list(namespace)`` through a :class:`CachedReader`."""
    return CachedReader(rest).list
