"""One informer per resource, shared by every consumer in the process.

Each controller asks the factory for the informers it needs; the first request for a resource
creates its :class:`~kubeling.client.informer.SharedInformer`, later ones get the same object, so
a controller manager running twenty controllers still holds one list+watch and one cache per
resource (client-go's ``SharedInformerFactory``)::

    factory = SharedInformerFactory(client, resync_period=30)
    pods = factory.informer_for(PODS)
    pods.add_event_handler(on_add=..., on_update=..., on_delete=...)
    async with asyncio.TaskGroup() as group:
        factory.start(group)
        await factory.wait_for_cache_sync()
        ...
        factory.shutdown()

:meth:`SharedInformerFactory.start` starts every informer not yet started in the caller's task
group (so their failures are the caller's), and may be called again after more informers were
requested. :meth:`SharedInformerFactory.shutdown` cancels them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from kubeling.client.cache import IndexFunc, Lister
from kubeling.client.informer import SharedInformer, Transform
from kubeling.client.resources import Resource
from kubeling.client.rest import ApiClient

__all__ = ["SharedInformerFactory"]


class SharedInformerFactory:
    """Shared informers of one client, all scoped to ``namespace`` ("" for all namespaces)."""

    def __init__(
        self,
        client: ApiClient,
        *,
        resync_period: float = 0.0,
        namespace: str = "",
        transform: Transform | None = None,
    ) -> None:
        self.client = client
        self.resync_period = resync_period
        self.namespace = namespace
        #: Applied by every informer to every object before caching it (client-go's
        #: ``WithTransform``), e.g. ``strip_managed_fields``.
        self.transform = transform
        self._informers: dict[Resource, SharedInformer] = {}
        self._tasks: dict[Resource, asyncio.Task[None]] = {}

    def informer_for(
        self, resource: Resource, *, indexers: Mapping[str, IndexFunc] | None = None
    ) -> SharedInformer:
        """The shared informer of ``resource``, created on first request; ``indexers`` are
        added to its cache."""
        informer = self._informers.get(resource)
        if informer is None:
            informer = SharedInformer(
                self.client.resource(resource),
                resource=resource.group_resource,
                namespace=self.namespace if resource.namespaced else "",
                resync_period=self.resync_period,
                transform=self.transform,
            )
            self._informers[resource] = informer
        if indexers:
            informer.add_indexers(indexers)
        return informer

    def lister_for(self, resource: Resource) -> Lister:
        """The lister of ``resource``'s shared informer."""
        return self.informer_for(resource).lister

    def start(self, group: asyncio.TaskGroup) -> None:
        """Run every informer not yet running as a task of ``group``."""
        for resource, informer in self._informers.items():
            task = self._tasks.get(resource)
            if task is None or task.done():
                self._tasks[resource] = group.create_task(
                    informer.run(), name=f"informer {resource}"
                )

    async def wait_for_cache_sync(self) -> None:
        """Wait until every started informer has synced."""
        await asyncio.gather(
            *(self._informers[resource].wait_for_sync() for resource in self._tasks)
        )

    def shutdown(self) -> None:
        """Cancel every informer task (the task group then finishes them)."""
        for task in self._tasks.values():
            task.cancel()
        self._tasks.clear()
