"""In-process watch fan-out, shared by the memory and sqlite backends.

A backend publishes every committed change, in revision order, on the event
loop thread; the hub hands each watcher the events that match its key or
prefix. A watcher that starts in the past first replays history (read from the
backend) up to the revision at which it registered, then continues with the
live events it buffered meanwhile, so nothing is lost between the two.

Each watcher's live buffer is bounded. When it overflows, the watcher keeps
the events it has, drops the rest and, once it has delivered what it kept,
raises WatchClosedError with the revision of the first event it dropped, so the
consumer resumes with a new watch and misses nothing.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Awaitable, Callable, Iterable

from kubeling.storage.errors import WatchClosedError
from kubeling.storage.interface import EventType, Watcher, WatchEvent

__all__ = ["HistoryReader", "WatchHub"]

HistoryReader = Callable[[str, bool, int, int], Awaitable[list[WatchEvent]]]
"""``(key, prefix, first, last)`` -> the events with first <= revision <= last
for that key or prefix, in order; raises CompactedError if ``first`` is gone."""

DEFAULT_BUFFER = 4096
DEFAULT_PROGRESS_INTERVAL = 5.0


class _HubWatcher(Watcher):
    def __init__(
        self,
        hub: WatchHub,
        key: str,
        *,
        prefix: bool,
        buffer_size: int,
        progress_notify: bool,
        start_revision: int = 0,
    ) -> None:
        self._hub = hub
        self.key = key
        self.prefix = prefix
        # A start beyond the hub's revision: live events below it are not ours.
        self.start_revision = start_revision
        self.progress_notify = progress_notify
        self._buffer_size = buffer_size
        self._replay: collections.deque[WatchEvent] = collections.deque()
        self._live: collections.deque[WatchEvent] = collections.deque()
        self._wakeup = asyncio.Event()
        self._closed_by_user = False
        self._ended: WatchClosedError | None = None
        self.delivered_since_tick = False

    def matches(self, key: str) -> bool:
        return key.startswith(self.key) if self.prefix else key == self.key

    def offer(self, events: Iterable[WatchEvent]) -> None:
        """Queue the matching events (called by the hub for each commit)."""
        if self._ended is not None or self._closed_by_user:
            return
        queued = False
        for event in events:
            if event.revision < self.start_revision or not self.matches(event.key):
                continue
            if len(self._live) >= self._buffer_size:
                self.end(WatchClosedError("watcher fell behind", event.revision))
                return
            self._live.append(event)
            queued = True
        if queued:
            # Only then: every commit is offered to every watcher of the store (a watch
            # cache per resource), and waking them all for nothing cost more than the
            # fan-out itself.
            self._wakeup.set()

    def offer_progress(self, revision: int) -> None:
        if self._ended is None and not self._closed_by_user:
            self._live.append(WatchEvent(EventType.PROGRESS, "", revision, None, None))
            self._wakeup.set()

    def end(self, error: WatchClosedError) -> None:
        if self._ended is None:
            self._ended = error
            self._hub.discard(self)
            self._wakeup.set()

    async def __anext__(self) -> WatchEvent:
        while True:
            if self._closed_by_user:
                raise StopAsyncIteration
            if self._replay:
                self.delivered_since_tick = True
                return self._replay.popleft()
            if self._live:
                self.delivered_since_tick = True
                return self._live.popleft()
            if self._ended is not None:
                raise self._ended
            self._wakeup.clear()
            await self._wakeup.wait()

    async def request_progress(self) -> None:
        # Every event up to the hub's revision is already queued here, so a
        # PROGRESS queued behind them is delivered exactly when it is true.
        self.offer_progress(self._hub.revision)

    async def close(self) -> None:
        self._closed_by_user = True
        self._hub.discard(self)
        self._wakeup.set()


class WatchHub:
    """Fans committed events out to the watchers of one store."""

    def __init__(
        self,
        *,
        revision: int,
        history: HistoryReader,
        buffer_size: int = DEFAULT_BUFFER,
        progress_interval: float = DEFAULT_PROGRESS_INTERVAL,
    ) -> None:
        self.revision = revision
        self._history = history
        self._buffer_size = buffer_size
        self._progress_interval = progress_interval
        self._watchers: set[_HubWatcher] = set()
        self._ticker: asyncio.Task[None] | None = None
        self._closed = False

    def statistics(self) -> dict[str, int]:
        return {"watchers": len(self._watchers), "revision": self.revision}

    def publish(self, events: Iterable[WatchEvent]) -> None:
        """Deliver committed events; call on the loop thread, in revision order."""
        batch = list(events)
        if not batch:
            return
        self.revision = batch[-1].revision
        for watcher in list(self._watchers):
            watcher.offer(batch)

    def discard(self, watcher: _HubWatcher) -> None:
        self._watchers.discard(watcher)

    async def watch(
        self, key: str, *, prefix: bool, start_revision: int, progress_notify: bool
    ) -> Watcher:
        if self._closed:
            raise WatchClosedError("store is closed", max(start_revision, self.revision + 1))
        watcher = _HubWatcher(
            self,
            key,
            prefix=prefix,
            buffer_size=self._buffer_size,
            progress_notify=progress_notify,
            start_revision=start_revision,
        )
        registered_at = self.revision
        # Register before reading history: events after registered_at go to
        # the live buffer while the replay below is being read.
        self._watchers.add(watcher)
        if 0 < start_revision <= registered_at:
            try:
                replay = await self._history(key, prefix, start_revision, registered_at)
            except BaseException:
                self.discard(watcher)
                raise
            watcher._replay.extend(replay)
        if progress_notify:
            self._ensure_ticker()
        return watcher

    def _ensure_ticker(self) -> None:
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.get_running_loop().create_task(self._tick())

    async def _tick(self) -> None:
        while self._watchers:
            await asyncio.sleep(self._progress_interval)
            for watcher in list(self._watchers):
                if watcher.progress_notify and not watcher.delivered_since_tick:
                    watcher.offer_progress(self.revision)
                watcher.delivered_since_tick = False

    def close(self) -> None:
        """End every watcher with WatchClosedError (the store is closing)."""
        self._closed = True
        for watcher in list(self._watchers):
            watcher.end(WatchClosedError("store is closed", self.revision + 1))
        if self._ticker is not None:
            self._ticker.cancel()
