"""The informer's local copy of a resource: an indexed cache and the listers that read it.

Objects are keyed as client-go's ``MetaNamespaceKeyFunc`` keys them: ``"namespace/name"`` for a
namespaced object, ``"name"`` for a cluster-scoped one. The work queues of controllers carry these
keys, and :func:`split_key` turns one back into ``(namespace, name)``.

An :class:`Indexer` keeps, beside the objects, one inverted index per *index function*: a function
from an object to the values it should be found under (its namespace, the node a pod is bound to,
the owners of an object...). :data:`NAMESPACE_INDEX` is always there; informers' users add their
own before the informer starts (``pods.add_indexers({"node": lambda p: [p["spec"].get("nodeName",
"")]})``) and query with :meth:`Indexer.by_index`.

A :class:`Lister` is the read side controllers use: get by name, list by namespace and label
selector (``kubeling.api.labels``). Objects handed out are the cache's own dicts, shared with every
other reader: copy (``copy.deepcopy``) before changing one, as client-go's callers must.

Everything here is synchronous and single-threaded (asyncio): reads never wait.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from kubeling.api import errors, labels
from kubeling.api.groupversion import GroupResource

__all__ = [
    "NAMESPACE_INDEX",
    "DeletedFinalStateUnknown",
    "IndexFunc",
    "Indexer",
    "Lister",
    "Obj",
    "namespace_index",
    "object_key",
    "split_key",
]

Obj = dict[str, Any]
IndexFunc = Callable[[Obj], Iterable[str]]

NAMESPACE_INDEX: Final = "namespace"


@dataclass(frozen=True, slots=True)
class DeletedFinalStateUnknown:
    """A tombstone: ``obj`` was deleted while the informer was not watching, so its final state
    is unknown and ``obj`` is the last state the cache had (client-go's type of the same name).
    An ``on_delete`` handler receives either an object or one of these."""

    key: str
    obj: Obj


def object_key(obj: Mapping[str, Any] | DeletedFinalStateUnknown) -> str:
    """``"namespace/name"``, or ``"name"`` for a cluster-scoped object; a tombstone's own key.

    >>> object_key({"metadata": {"namespace": "web", "name": "front"}})
    'web/front'
    >>> object_key({"metadata": {"name": "node-1"}})
    'node-1'
    """
    if isinstance(obj, DeletedFinalStateUnknown):
        return obj.key
    meta = obj.get("metadata") or {}
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError("object has no metadata.name")
    namespace = meta.get("namespace") or ""
    return f"{namespace}/{name}" if namespace else name


def split_key(key: str) -> tuple[str, str]:
    """``(namespace, name)`` from a key; the namespace is ``""`` for a cluster-scoped key.

    >>> split_key("web/front"), split_key("node-1")
    (('web', 'front'), ('', 'node-1'))
    """
    parts = key.split("/")
    if len(parts) == 1 and parts[0]:
        return "", parts[0]
    if len(parts) == 2 and parts[0] and parts[1]:
        return parts[0], parts[1]
    raise ValueError(f"unexpected key format: {key!r}")


def namespace_index(obj: Obj) -> list[str]:
    """The namespace index function: an object is found under its namespace."""
    return [(obj.get("metadata") or {}).get("namespace") or ""]


class Indexer:
    """Objects by key, plus one inverted index per registered index function."""

    def __init__(self, indexers: Mapping[str, IndexFunc] | None = None) -> None:
        self._items: dict[str, Obj] = {}
        self._index_funcs: dict[str, IndexFunc] = {NAMESPACE_INDEX: namespace_index}
        self._indices: dict[str, dict[str, set[str]]] = {NAMESPACE_INDEX: {}}
        if indexers:
            self.add_indexers(indexers)

    def add_indexers(self, indexers: Mapping[str, IndexFunc]) -> None:
        """Register more index functions; objects already cached are indexed at once.

        Registering the very same function under the same name again is a no-op (several
        consumers of a shared informer may ask for one index); another function is an error.
        """
        new = {name: f for name, f in indexers.items() if self._index_funcs.get(name) is not f}
        for name in new:
            if name in self._index_funcs:
                raise ValueError(f"indexer conflict: {name!r} is already registered")
        for name, func in new.items():
            self._index_funcs[name] = func
            self._indices[name] = {}
            for key, obj in self._items.items():
                self._index_one(name, key, obj)

    def upsert(self, obj: Obj) -> Obj | None:
        """Store ``obj`` under its key; return the object it replaces, if any."""
        key = object_key(obj)
        old = self._items.get(key)
        if old is not None:
            self._unindex(key, old)
        self._items[key] = obj
        for name in self._index_funcs:
            self._index_one(name, key, obj)
        return old

    def delete(self, key: str) -> Obj | None:
        """Drop the object stored under ``key``; return it, if there was one."""
        old = self._items.pop(key, None)
        if old is not None:
            self._unindex(key, old)
        return old

    def get(self, key: str) -> Obj | None:
        """The object stored under ``key``, or ``None``."""
        return self._items.get(key)

    def list(self) -> builtins.list[Obj]:
        """Every cached object."""
        return builtins.list(self._items.values())

    def list_keys(self) -> builtins.list[str]:
        """Every cached key."""
        return builtins.list(self._items)

    def by_index(self, index_name: str, value: str) -> builtins.list[Obj]:
        """The objects the index function ``index_name`` files under ``value``."""
        return [self._items[key] for key in self.index_keys(index_name, value)]

    def index_keys(self, index_name: str, value: str) -> builtins.list[str]:
        """The keys of :meth:`by_index`, sorted."""
        return sorted(self._index(index_name).get(value, ()))

    def index_values(self, index_name: str) -> builtins.list[str]:
        """Every value the index ``index_name`` has at least one object under, sorted."""
        return sorted(self._index(index_name))

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def _index(self, index_name: str) -> dict[str, set[str]]:
        try:
            return self._indices[index_name]
        except KeyError:
            raise KeyError(f"index {index_name!r} does not exist") from None

    def _index_one(self, name: str, key: str, obj: Obj) -> None:
        index = self._indices[name]
        for value in self._index_funcs[name](obj):
            index.setdefault(value, set()).add(key)

    def _unindex(self, key: str, obj: Obj) -> None:
        for name, func in self._index_funcs.items():
            index = self._indices[name]
            for value in func(obj):
                keys = index.get(value)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del index[value]


class Lister:
    """Reads of one resource's cache, in the shape of the API: get and list."""

    def __init__(self, indexer: Indexer, resource: GroupResource) -> None:
        self.indexer = indexer
        self.resource = resource

    def get(self, name: str, *, namespace: str = "") -> Obj:
        """The cached object; raises a 404 NotFound ``StatusError`` like the API would."""
        obj = self.indexer.get(f"{namespace}/{name}" if namespace else name)
        if obj is None:
            raise errors.not_found(self.resource, name)
        return obj

    def list(
        self, *, namespace: str | None = None, selector: labels.Selector | None = None
    ) -> builtins.list[Obj]:
        """The cached objects in ``namespace`` (``None``: all) whose labels match ``selector``."""
        objects = (
            self.indexer.list()
            if namespace is None
            else self.indexer.by_index(NAMESPACE_INDEX, namespace)
        )
        if selector is None or selector.is_empty():
            return objects
        return [
            obj
            for obj in objects
            if selector.matches((obj.get("metadata") or {}).get("labels") or {})
        ]
