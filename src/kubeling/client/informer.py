"""Shared informers: one list+watch per resource, a local indexed cache, and event handlers.

An informer keeps :class:`~kubeling.client.cache.Indexer` equal to the API server's view of one
resource (optionally one namespace or selector), the way client-go's Reflector, DeltaFIFO and
sharedIndexInformer do together:

1. **List** (paged, 500 per page), the first time with ``resourceVersion=0`` (the server's cache
   is good enough), and make the cache equal to the result: handlers see ``on_add`` for new
   objects, ``on_update(old, new)`` for objects whose ``resourceVersion`` changed, and
   ``on_delete`` with a :class:`~kubeling.client.cache.DeletedFinalStateUnknown` tombstone for
   objects that vanished while nobody was watching. Then the informer :meth:`has_synced`.
2. **Watch** from the list's ``resourceVersion`` with ``allowWatchBookmarks``, applying each
   event to the cache and the handlers, and remembering the last ``resourceVersion`` seen
   (bookmarks move it on without an object). Each watch asks the server to end it after a random
   5-10 minutes so that load spreads; then a new watch resumes from the last resourceVersion, as it
   does when the connection drops (after a back-off of 0.8 s doubling to 30 s, with jitter, while
   the server cannot be reached).
3. **Relist** when a watch says ``410 Expired``/``Gone`` (the resourceVersion was compacted away):
   a consistent list (``resourceVersion=""``) replaces the cache as in step 1, so the events missed
   become the right adds, updates and tombstoned deletes.
4. **Transform** (optional): each object is passed through ``transform`` before it is cached
   and handed to handlers, as client-go's ``SetTransform``; ``strip_managed_fields`` drops
   what most components never read and would only keep in memory. Then the object's keys and
   short strings are interned (:func:`~kubeling.api.jsonintern.interned_json`): each decoded
   object has its own copy of ``"metadata"``, ``"True"``, its node's name...; the cache's
   objects share one, which halves a cache of pods.
5. **Resync**: every ``resync_period`` seconds (0: never) every cached object is re-delivered as
   ``on_update(obj, obj)``, so level-triggered controllers re-check everything now and then.

Handlers are plain synchronous functions, called in event order on the informer's task: they
should only look at the object and enqueue a key (see :mod:`kubeling.client.workqueue`). A
handler added late first receives ``on_add`` for every object already cached. A handler that
raises is logged and skipped, so that one consumer's bug does not starve the others sharing the
informer; errors talking to the server are retried forever, as client-go does.

Objects in the cache and passed to handlers are shared: copy before changing one.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncGenerator, Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, Final, Protocol

from kubeling.api import errors
from kubeling.api.errors import StatusError
from kubeling.api.groupversion import GroupResource
from kubeling.api.jsonintern import interned_json
from kubeling.client.cache import (
    DeletedFinalStateUnknown,
    Indexer,
    IndexFunc,
    Lister,
    Obj,
    object_key,
)
from kubeling.client.rest import TransportError, WatchEvent

__all__ = [
    "AddHandler",
    "DeleteHandler",
    "HandlerRegistration",
    "ListWatch",
    "SharedInformer",
    "Transform",
    "UpdateHandler",
    "strip_managed_fields",
]

logger = logging.getLogger(__name__)

_PAGE_SIZE: Final = 500
_MIN_WATCH_TIMEOUT_SECONDS: Final = 300  # client-go: a random timeout in [5, 10) minutes
_BACKOFF_INITIAL: Final = 0.8  # client-go reflector: 800 ms doubling to 30 s, jitter 1.0
_BACKOFF_MAX: Final = 30.0
# A watch that ends this fast with no event is a failure to back off from, not a timeout.
_SHORT_WATCH_SECONDS: Final = 1.0

Transform = Callable[[Obj], Obj]
AddHandler = Callable[[Obj], None]
UpdateHandler = Callable[[Obj, Obj], None]
DeleteHandler = Callable[[Obj | DeletedFinalStateUnknown], None]


class ListWatch(Protocol):
    """What an informer reads from: the list and watch verbs of one resource.

    :class:`kubeling.client.rest.ResourceClient` is one; tests pass fakes.
    """

    async def list(
        self,
        *,
        namespace: str = "",
        label_selector: str = "",
        field_selector: str = "",
        limit: int = 0,
        continue_token: str = "",
        resource_version: str = "",
        resource_version_match: str = "",
    ) -> Obj:
        """One page of the List."""
        ...

    def watch(
        self,
        *,
        namespace: str = "",
        label_selector: str = "",
        field_selector: str = "",
        resource_version: str = "",
        allow_bookmarks: bool = True,
        timeout_seconds: int | None = None,
        send_initial_events: bool | None = None,
    ) -> AsyncGenerator[WatchEvent, None]:
        """Events after ``resource_version``; raises ``StatusError`` for an ERROR event."""
        ...


@dataclass(eq=False, slots=True)
class HandlerRegistration:
    """One consumer's handlers on an informer; pass it to ``remove_event_handler``."""

    on_add: AddHandler | None
    on_update: UpdateHandler | None
    on_delete: DeleteHandler | None


class SharedInformer:
    """A list+watch of one resource feeding a local cache and any number of handlers.

    Run it with ``await informer.run()`` (normally through
    :class:`~kubeling.client.factory.SharedInformerFactory`); it runs until cancelled.
    """

    def __init__(
        self,
        list_watch: ListWatch,
        *,
        resource: GroupResource,
        namespace: str = "",
        label_selector: str = "",
        field_selector: str = "",
        resync_period: float = 0.0,
        indexers: Mapping[str, IndexFunc] | None = None,
        transform: Transform | None = None,
    ) -> None:
        self.list_watch = list_watch
        self.transform = transform
        self.resource = resource
        self.namespace = namespace
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.resync_period = resync_period
        self.indexer = Indexer(indexers)
        self.lister = Lister(self.indexer, resource)
        self._handlers: list[HandlerRegistration] = []
        self._synced = asyncio.Event()
        self._last_resource_version = ""
        self._running = False

    # -- consumers' side ---------------------------------------------------------------------

    def add_event_handler(
        self,
        *,
        on_add: AddHandler | None = None,
        on_update: UpdateHandler | None = None,
        on_delete: DeleteHandler | None = None,
    ) -> HandlerRegistration:
        """Register handlers; they first get ``on_add`` for every object already cached."""
        registration = HandlerRegistration(on_add, on_update, on_delete)
        self._handlers.append(registration)
        if on_add is not None:
            for obj in self.indexer.list():
                _call(on_add, obj)
        return registration

    def remove_event_handler(self, registration: HandlerRegistration) -> None:
        """Stop calling ``registration``'s handlers."""
        if registration in self._handlers:
            self._handlers.remove(registration)

    def add_indexers(self, indexers: Mapping[str, IndexFunc]) -> None:
        """Add index functions to the cache (see :meth:`Indexer.add_indexers`)."""
        self.indexer.add_indexers(indexers)

    def has_synced(self) -> bool:
        """True once the first list is in the cache (and its handlers were called)."""
        return self._synced.is_set()

    async def wait_for_sync(self) -> None:
        """Wait until :meth:`has_synced`."""
        await self._synced.wait()

    @property
    def last_sync_resource_version(self) -> str:
        """The resourceVersion the cache is at: the last list's, event's or bookmark's."""
        return self._last_resource_version

    # -- the loop ----------------------------------------------------------------------------

    async def run(self) -> None:
        """List, watch, relist and resync until cancelled."""
        if self._running:
            raise RuntimeError(f"the informer for {self.resource} is already running")
        self._running = True
        try:
            async with asyncio.TaskGroup() as group:
                if self.resync_period > 0:
                    group.create_task(self._resync_forever())
                await self._reflect_forever()
        finally:
            self._running = False

    async def _reflect_forever(self) -> None:
        backoff = _Backoff(_BACKOFF_INITIAL, _BACKOFF_MAX)
        need_list, list_version = True, "0"
        while True:
            try:
                if need_list:
                    await self._list_and_replace(list_version)
                    need_list = False
                if await self._watch_once():
                    backoff.reset()
                    continue
                logger.warning("watch of %s ended at once with no event", self.resource)
            except StatusError as error:
                if errors.is_resource_expired(error) or errors.is_gone(error):
                    # The resourceVersion is compacted away: only a fresh, consistent list
                    # can tell what changed in between.
                    logger.info("watch of %s: %s; relisting", self.resource, error)
                    need_list, list_version = True, ""
                    continue
                logger.warning("list/watch of %s failed: %s", self.resource, error)
            except TransportError as error:
                logger.warning("list/watch of %s failed: %s", self.resource, error)
            await asyncio.sleep(backoff.next())

    async def _list_and_replace(self, resource_version: str) -> None:
        """A full list (paged), then make the cache equal to it."""
        items: list[Obj] = []
        token = ""
        limit = _PAGE_SIZE
        while True:
            try:
                page = await self.list_watch.list(
                    namespace=self.namespace,
                    label_selector=self.label_selector,
                    field_selector=self.field_selector,
                    limit=limit,
                    continue_token=token,
                    resource_version="" if token else resource_version,
                )
            except StatusError as error:
                if token and (errors.is_resource_expired(error) or errors.is_gone(error)):
                    # The continue token expired mid-list: fall back to one unpaged list.
                    items, token, limit = [], "", 0
                    continue
                raise
            # Each page is cut down to what the cache keeps as it arrives, so that a long
            # list never holds every object whole (with managedFields) at once.
            items.extend(self._cached_form(obj) for obj in _items_of(page))
            meta = page.get("metadata") or {}
            token = meta.get("continue") or ""
            if not token:
                break
        self._replace(items, str(meta.get("resourceVersion") or ""))

    def _replace(self, items: list[Obj], resource_version: str) -> None:
        """Make the cache equal to ``items`` (already in their cached form)."""
        listed: set[str] = set()
        for obj in items:
            key = object_key(obj)
            listed.add(key)
            old = self.indexer.upsert(obj)
            if old is None:
                self._notify_add(obj)
            elif _resource_version(old) != _resource_version(obj):
                self._notify_update(old, obj)
        for key in self.indexer.list_keys():
            if key not in listed:
                old = self.indexer.delete(key)
                if old is not None:
                    self._notify_delete(DeletedFinalStateUnknown(key, old))
        self._last_resource_version = resource_version
        self._synced.set()

    async def _watch_once(self) -> bool:
        """One watch from the last resourceVersion until the server ends it; True if it was a
        normal watch (it delivered something or lasted), False if it ended at once."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        delivered = False
        timeout = random.randrange(_MIN_WATCH_TIMEOUT_SECONDS, 2 * _MIN_WATCH_TIMEOUT_SECONDS)
        events = self.list_watch.watch(
            namespace=self.namespace,
            label_selector=self.label_selector,
            field_selector=self.field_selector,
            resource_version=self._last_resource_version,
            allow_bookmarks=True,
            timeout_seconds=timeout,
        )
        async with aclosing(events):
            async for event in events:
                delivered = True
                self._apply(event)
        return delivered or loop.time() - started >= _SHORT_WATCH_SECONDS

    def _apply(self, event: WatchEvent) -> None:
        obj = event.object
        version = _resource_version(obj)
        if event.type == "BOOKMARK":
            self._last_resource_version = version or self._last_resource_version
            return
        if event.type == "DELETED":
            if self.transform is not None:
                obj = self.transform(obj)
            old = self.indexer.delete(object_key(obj))
            if old is not None:
                self._notify_delete(obj)
        else:
            obj = self._cached_form(obj)
            old = self.indexer.upsert(obj)
            if old is None:
                self._notify_add(obj)
            else:
                self._notify_update(old, obj)
        self._last_resource_version = version or self._last_resource_version

    def _cached_form(self, obj: Obj) -> Obj:
        """What the cache keeps of an object from the server: transformed, then interned
        (each decoded object has its own copy of every key and value; a cache of thousands
        shares one)."""
        if self.transform is not None:
            obj = self.transform(obj)
        return interned_json(obj)

    async def _resync_forever(self) -> None:
        while True:
            await asyncio.sleep(self.resync_period)
            if self.has_synced():
                for obj in self.indexer.list():
                    self._notify_update(obj, obj)

    # -- delivery ----------------------------------------------------------------------------

    def _notify_add(self, obj: Obj) -> None:
        for registration in list(self._handlers):
            if registration.on_add is not None:
                _call(registration.on_add, obj)

    def _notify_update(self, old: Obj, new: Obj) -> None:
        for registration in list(self._handlers):
            if registration.on_update is not None:
                _call(registration.on_update, old, new)

    def _notify_delete(self, obj: Obj | DeletedFinalStateUnknown) -> None:
        for registration in list(self._handlers):
            if registration.on_delete is not None:
                _call(registration.on_delete, obj)


def strip_managed_fields(obj: Obj) -> Obj:
    """A transform dropping ``metadata.managedFields`` (client-go's
    ``TransformStripManagedFields``); the object is fresh from the server, so in place."""
    metadata = obj.get("metadata")
    if isinstance(metadata, dict):
        metadata.pop("managedFields", None)
    return obj


def _call(handler: Callable[..., None], *args: Any) -> None:
    try:
        handler(*args)
    except Exception:
        logger.exception("informer event handler %r failed", handler)


def _resource_version(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")


def _items_of(page: Obj) -> list[Obj]:
    """A List's items, each with ``apiVersion`` and ``kind`` (a typed List's items omit them:
    they are the List's, minus its ``List`` suffix, as client-go's unstructured lists do)."""
    items: list[Obj] = page.get("items") or []
    api_version = page.get("apiVersion") or ""
    list_kind = str(page.get("kind") or "")
    kind = list_kind.removesuffix("List") if list_kind.endswith("List") else ""
    for item in items:
        if api_version and "apiVersion" not in item:
            item["apiVersion"] = api_version
        if kind and "kind" not in item:
            item["kind"] = kind
    return items


class _Backoff:
    """Exponential back-off with jitter: ``delay * (1 + random())``, doubling up to a cap."""

    def __init__(self, initial: float, maximum: float) -> None:
        self._initial, self._maximum = initial, maximum
        self._delay = initial

    def next(self) -> float:
        delay = self._delay
        self._delay = min(self._delay * 2, self._maximum)
        return delay * (1 + random.random())

    def reset(self) -> None:
        self._delay = self._initial
