"""How admission plugins read other objects: Kubernetes' listers, as a small protocol.

Upstream plugins read LimitRanges, ServiceAccounts, PriorityClasses and
Namespaces from shared informers, and fall back to a live read when the
informer has not seen an object yet. Here the API server hands each plugin
an :class:`ObjectReader` over one resource (``admission.plugins`` builds
them over the watch caches, falling back to the store); tests hand them a
:class:`StaticReader`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

__all__ = ["ObjectReader", "StaticReader"]

Obj = dict[str, Any]


class ObjectReader(Protocol):
    """Read access to the objects of one resource (decoded copies the caller may keep)."""

    async def get(self, namespace: str, name: str) -> Obj | None:
        """The object, or None when it does not exist (``namespace`` is "" when cluster-scoped)."""
        ...

    async def list(self, namespace: str) -> list[Obj]:
        """Every object in ``namespace`` ("" : every object of the resource)."""
        ...


class StaticReader:
    """An ObjectReader over a fixed set of objects (for tests and examples).

    >>> import asyncio
    >>> reader = StaticReader([{"metadata": {"name": "a", "namespace": "ns"}}])
    >>> asyncio.run(reader.get("ns", "a")) is not None, asyncio.run(reader.list("other"))
    (True, [])
    """

    def __init__(self, objects: Iterable[Mapping[str, Any]] = ()) -> None:
        self.objects: list[Obj] = [dict(obj) for obj in objects]

    @staticmethod
    def _where(obj: Mapping[str, Any]) -> tuple[str, str]:
        meta = obj.get("metadata") or {}
        return str(meta.get("namespace") or ""), str(meta.get("name") or "")

    async def get(self, namespace: str, name: str) -> Obj | None:
        for obj in self.objects:
            if self._where(obj) == (namespace, name):
                return obj
        return None

    async def list(self, namespace: str) -> list[Obj]:
        return [obj for obj in self.objects if not namespace or self._where(obj)[0] == namespace]
