"""How admission plugins read objects: from the watch cache, as upstream reads informers.

Kubernetes' plugins read through informers (listers) and fall back to a live
read only for what the cache may not have seen yet (a namespace created a
moment ago). Here the informers are the API server's own watch caches: each
reader takes the resource's store (anything shaped like
:class:`~kubeling.apiserver.rest.resource_store.ResourceStore`) and returns an
async callable, which is what plugins take in their constructors, so that a
unit test passes a plain function instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from kubeling.api import errors
from kubeling.apiserver.rest.options import ListOptions

__all__ = [
    "ClusterGetter",
    "Getter",
    "Lister",
    "cached_cluster_getter",
    "cached_getter",
    "cached_lister",
]

Obj = dict[str, Any]

#: ``(namespace, name) -> object or None``.
Getter = Callable[[str, str], Awaitable[Obj | None]]
#: ``name -> object or None`` for a cluster-scoped resource (namespaces).
ClusterGetter = Callable[[str], Awaitable[Obj | None]]
#: ``namespace -> objects`` (every namespace when empty).
Lister = Callable[[str], Awaitable[list[Obj]]]


class _WatchCacheLike(Protocol):
    def get(self, key: str) -> Obj | None: ...


class ReadableStore(Protocol):
    """What the readers need of a resource's store."""

    def watch_cache(self) -> Any: ...

    def key(self, namespace: str, name: str) -> str: ...

    async def get(self, namespace: str, name: str) -> Obj: ...

    async def list(self, namespace: str, options: ListOptions) -> Obj: ...


def cached_getter(rest: ReadableStore) -> Getter:
    """One object from the watch cache, or from the store when the cache has not
    seen it yet; None when it does not exist."""

    async def get(namespace: str, name: str) -> Obj | None:
        cache: _WatchCacheLike = rest.watch_cache()
        found = cache.get(rest.key(namespace, name))
        if found is not None:
            return found
        try:
            return await rest.get(namespace, name)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return None
            raise

    return get


def cached_cluster_getter(rest: ReadableStore) -> ClusterGetter:
    """:func:`cached_getter` for a cluster-scoped resource: ``get(name)``."""
    get = cached_getter(rest)

    async def get_cluster_scoped(name: str) -> Obj | None:
        return await get("", name)

    return get_cluster_scoped


def cached_lister(rest: ReadableStore) -> Lister:
    """Every object of a namespace, from the watch cache (``resourceVersion=0``)."""

    async def list_objects(namespace: str) -> list[Obj]:
        listed = await rest.list(namespace, ListOptions(resource_version="0"))
        items: list[Obj] = listed.get("items") or []
        return items

    return list_objects
