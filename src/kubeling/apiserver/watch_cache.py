"""The watch cache: one store watch per resource, fanned out to every client watch.

As in Kubernetes' cacher, each resource keeps in memory every current object
and a ring buffer of recent events, fed by a single store watch. Client
watches are served from it: a thousand ``kubectl get -w`` cost one store
watch and one JSON decode per change, not a thousand. The buffer answers
watches from any recent resourceVersion; one older than the buffer gets
410 Expired, exactly like a compacted store.

Lifecycle: the cache starts on first use (list the prefix, then watch from
the list's revision + 1) and follows the store from then on. If its store
watch ends (the store closed it, or compaction overtook it), the cache
relists and tells its watchers to stop (their clients re-watch), as
Kubernetes does.

Slow watchers: each client watch has a bounded queue; a client that lets it
fill up is disconnected, and resumes with a new watch from the last
resourceVersion it saw.

What is kept: each object's JSON as it is served (resourceVersion set, encoded
once when the change arrives) and what selectors read (labels and the
selectable fields), not the decoded object. Decoded JSON is millions of small
dicts that Python's cycle collector walks on every full collection (pauses of
200 ms at 10,000 pods); bytes and string-only dicts are not tracked at all.
Objects are decoded again only where a caller needs them (Table output,
resourceVersion=0 lists, admission reads).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kubeling.api import errors
from kubeling.api.jsonintern import interned_strings
from kubeling.apiserver.rest import objects
from kubeling.storage import CompactedError, EventType, Store, TransformError, WatchClosedError

__all__ = ["CacheEvent", "CacheWatcher", "CachedObject", "Selectable", "WatchCache"]

log = logging.getLogger(__name__)

Obj = dict[str, Any]

DEFAULT_CAPACITY = 10_000
#: Every client watch gets a TICK this often, so that one blocked on a quiet
#: resource notices a client that went away (one timer per cache, not per watch).
IDLE_TICK = 5.0
WATCHER_QUEUE = 1_000
TOO_LARGE_WAIT = 3.0
#: How often a consistent read that waits for the cache asks the store again.
PROGRESS_RETRY = 0.05


Selectable = Callable[[Obj], tuple[Mapping[str, str], Mapping[str, str]]]
"""An object's (labels, selectable fields): what label and field selectors read."""


@dataclass(frozen=True, slots=True)
class CachedObject:
    """One state of an object: its JSON as served, what selectors read, and the
    revision that wrote it (0 for a deleted object's last state)."""

    raw: bytes
    labels: Mapping[str, str]
    fields: Mapping[str, str]
    revision: int = 0

    def decode(self) -> Obj:
        """A new decoded copy (the caller may change it)."""
        value: Obj = json.loads(self.raw)
        return value


@dataclass(frozen=True, slots=True)
class CacheEvent:
    """One change: ``obj`` is the object after it (for DELETED, its last state
    with the delete's resourceVersion), ``prev`` the object before it."""

    type: str  # ADDED, MODIFIED, DELETED, BOOKMARK
    revision: int
    key: str
    obj: CachedObject | None
    prev: CachedObject | None

    @property
    def is_change(self) -> bool:
        """An object changed (not a BOOKMARK, TICK or the end of the watch)."""
        return self.type in ("ADDED", "MODIFIED", "DELETED")


_END = CacheEvent("END", 0, "", None, None)
_TICK = CacheEvent("TICK", 0, "", None, None)


def _dumps(obj: Obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


class CacheWatcher:
    """One client watch's view of the cache: a bounded queue of events."""

    def __init__(self, cache: WatchCache, prefix: str) -> None:
        self.cache = cache
        self.prefix = prefix
        # A deque and one future rather than an asyncio.Queue: offer() runs once
        # per change per watcher, and the Queue's bookkeeping was a tenth of it.
        self._pending: collections.deque[CacheEvent] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None
        self.closed = False

    def offer(self, event: CacheEvent) -> None:
        if self.closed:
            return
        if event.key and not event.key.startswith(self.prefix):
            return  # END, BOOKMARK and TICK have no key and go to every watcher
        if len(self._pending) >= WATCHER_QUEUE:
            # A slow consumer: end it after what it has queued, in order, never with a gap
            # (its client re-watches from the last event it got, so an event dropped from
            # the middle would be lost to it for good), and take no more.
            self.closed = True
            self.cache.discard(self)
            event = _END
        self._pending.append(event)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def next(self) -> CacheEvent | None:
        """The next event, or None when the cache ended this watch.

        Safe to cancel (a timeout around it): pending events stay queued.
        """
        while not self._pending:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        event = self._pending.popleft()
        return None if event is _END else event

    def close(self) -> None:
        self.closed = True
        self.cache.discard(self)


class WatchCache:
    """Every object of one resource and its recent history, in memory."""

    def __init__(
        self,
        store: Store,
        storage_prefix: str,
        typed: Callable[[Obj], Obj],
        selectable: Selectable,
        *,
        capacity: int = DEFAULT_CAPACITY,
    ) -> None:
        self._store = store
        self._prefix = storage_prefix.rstrip("/") + "/"
        self._typed = typed
        self._selectable = selectable
        self._objects: dict[str, CachedObject] = {}
        self._events: collections.deque[CacheEvent] = collections.deque(maxlen=capacity)
        self._watchers: set[CacheWatcher] = set()
        self.revision = 0
        # Every change after this revision is in the buffer.
        self._oldest = 0
        self._task: asyncio.Task[None] | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._store_watcher: Any = None
        self._started = asyncio.Event()
        self._advanced = asyncio.Condition()
        self._start_lock = asyncio.Lock()

    # -- lifecycle -----------------------------------------------------------

    @property
    def started(self) -> bool:
        """Whether the cache follows the store (until then it holds nothing)."""
        return self._started.is_set()

    async def ensure_started(self) -> None:
        if self._started.is_set():
            return
        async with self._start_lock:
            if not self._started.is_set():
                await self._relist()
                loop = asyncio.get_running_loop()
                self._task = loop.create_task(self._follow(), name=f"watch-cache {self._prefix}")
                if self._ticker is None:  # a restarted cache keeps its ticker
                    self._ticker = loop.create_task(self._tick(), name=f"watch-tick {self._prefix}")
                self._started.set()

    def end_watches(self) -> None:
        """End every client watch now (the server is shutting down)."""
        for watcher in list(self._watchers):
            watcher.offer(_END)

    async def stop(self) -> None:
        for task in (self._task, self._ticker):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for watcher in list(self._watchers):
            watcher.offer(_END)

    async def _relist(self) -> None:
        objects_now: dict[str, CachedObject] = {}
        token: str | None = None
        revision = 0
        while True:
            page = await self._store.list(self._prefix, limit=1000, continue_token=token)
            revision = page.revision
            for kv in page.kvs:
                objects_now[kv.key] = self._cached(self._typed(objects.decode(kv)), kv.mod_revision)
            token = page.continue_token
            if token is None:
                break
        self._objects = objects_now
        self._events.clear()
        self.revision = self._oldest = revision

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(IDLE_TICK)
            for watcher in list(self._watchers):
                watcher.offer(_TICK)

    async def _follow(self) -> None:
        while True:
            try:
                watcher = await self._store.watch(
                    self._prefix,
                    prefix=True,
                    start_revision=self.revision + 1,
                    progress_notify=True,
                )
            except CompactedError:
                await self._restart()
                continue
            self._store_watcher = watcher
            try:
                async for event in watcher:
                    await self._apply(event)
            except WatchClosedError as closed:
                if closed.resume_revision != self.revision + 1:
                    await self._restart()
            except CompactedError:
                await self._restart()
            except TransformError as err:
                # A change this server cannot decrypt (written with a key it does not
                # have): stop following; reads start the cache again, and fail (500)
                # while the object stays unreadable, as Kubernetes' cacher does.
                log.error(
                    'watch cache %s stopped: unable to transform key "%s": %s',
                    self._prefix,
                    err.key,
                    err.reason,
                )
                self._started.clear()
                for client in list(self._watchers):
                    client.offer(_END)
                return
            finally:
                await watcher.close()

    async def _restart(self) -> None:
        """History was lost under us: relist and end every client watch."""
        log.info("watch cache %s relisting", self._prefix)
        for watcher in list(self._watchers):
            watcher.offer(_END)
        await self._relist()
        async with self._advanced:
            self._advanced.notify_all()

    def _cached(self, obj: Obj, revision: int = 0) -> CachedObject:
        labels, fields = self._selectable(obj)
        # Interned: thousands of objects share their namespace, node, phase, label values.
        return CachedObject(
            _dumps(obj), interned_strings(labels), interned_strings(fields), revision
        )

    async def _apply(self, event: Any) -> None:
        if event.type is EventType.PROGRESS:
            self.revision = max(self.revision, event.revision)
            bookmark = CacheEvent("BOOKMARK", event.revision, "", None, None)
            for watcher in list(self._watchers):
                watcher.offer(bookmark)
        else:
            prev = self._objects.get(event.key)
            if event.kv is not None:
                now = self._cached(self._typed(objects.decode(event.kv)), event.kv.mod_revision)
                kind = "ADDED" if event.type is EventType.ADDED else "MODIFIED"
                self._objects[event.key] = now
            else:
                kind = "DELETED"
                del_rv = event.revision
                self._objects.pop(event.key, None)
                last = prev.decode() if prev is not None else None
                if last is None and event.prev_kv is not None:
                    last = self._typed(objects.decode(event.prev_kv))
                    prev = self._cached(last)
                last = last or {}
                last["metadata"] = {**(last.get("metadata") or {}), "resourceVersion": str(del_rv)}
                now = self._cached(last)
            cached = CacheEvent(kind, event.revision, event.key, now, prev)
            if len(self._events) == self._events.maxlen:
                self._oldest = self._events[0].revision
            self._events.append(cached)
            self.revision = event.revision
            for watcher in list(self._watchers):
                watcher.offer(cached)
        async with self._advanced:
            self._advanced.notify_all()

    # -- reads ---------------------------------------------------------------

    def get(self, key: str) -> Obj | None:
        """A decoded copy of the cached object at ``key`` (None: not there, or not seen yet)."""
        cached = self._objects.get(key)
        return cached.decode() if cached is not None else None

    def peek(self, key: str) -> CachedObject | None:
        """The cached state of ``key`` itself, undecoded (None: not there, not
        seen yet, or the cache is not running). It may lag the store."""
        return self._objects.get(key) if self._started.is_set() else None

    def list_objects(self, prefix: str) -> tuple[list[Obj], int]:
        """Decoded copies of every cached object under ``prefix`` in key order, and the
        cache revision (decodes each: for small resources and rare reads)."""
        entries, revision = self.list_entries(prefix)
        return [cached.decode() for _, cached in entries], revision

    def list_entries(self, prefix: str) -> tuple[list[tuple[str, CachedObject]], int]:
        """(key, cached object) under ``prefix`` in key order, and the cache revision."""
        keys = sorted((k for k in self._objects if k.startswith(prefix)), key=lambda k: k.encode())
        return [(k, self._objects[k]) for k in keys], self.revision

    def changes_after(self, revision: int) -> list[CacheEvent] | None:
        """The buffered changes after ``revision``, oldest first, without waiting; None when
        the buffer no longer reaches back that far (the caller lists again). For in-process
        readers that keep their own index current, as the Node authorizer's graph does."""
        if revision < self._oldest:
            return None
        newer: list[CacheEvent] = []
        for event in reversed(self._events):
            if event.revision <= revision:
                break
            newer.append(event)
        newer.reverse()
        return newer

    async def wait_for(self, revision: int) -> None:
        """Wait until the cache has seen ``revision``; 504 after a few seconds.

        Changes elsewhere in the store move its revision on without an event
        here: the cache asks its store watch to confirm, with a progress event,
        that nothing of its own is pending (as Kubernetes' consistent reads
        from cache do), and asks again while it waits, since a store may
        answer with the revision it has published so far, a little behind
        the one it has committed.
        """
        if self.revision >= revision:
            return
        try:
            async with asyncio.timeout(TOO_LARGE_WAIT):
                while self.revision < revision:
                    if self._store_watcher is not None:
                        await self._store_watcher.request_progress()
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(PROGRESS_RETRY), self._advanced:
                            await self._advanced.wait_for(lambda: self.revision >= revision)
        except TimeoutError:
            raise errors.timeout(
                f"Too large resource version: {revision}, current: {self.revision}", 1
            ) from None

    def discard(self, watcher: CacheWatcher) -> None:
        self._watchers.discard(watcher)

    async def watch(self, prefix: str, after: int) -> tuple[CacheWatcher, list[CacheEvent]]:
        """A watcher for changes under ``prefix`` after revision ``after``.

        Returns the watcher and the buffered events it must replay first.
        Raises 410 Expired when ``after`` is older than the buffer.
        """
        await self.wait_for(after)
        if after < self._oldest:
            raise errors.resource_expired(f"too old resource version: {after} ({self._oldest})")
        watcher = CacheWatcher(self, prefix)
        replay = [e for e in self._events if e.revision > after and e.key.startswith(prefix)]
        self._watchers.add(watcher)
        return watcher, replay

    def statistics(self) -> dict[str, int]:
        return {
            "objects": len(self._objects),
            "events": len(self._events),
            "watchers": len(self._watchers),
            "revision": self.revision,
        }
