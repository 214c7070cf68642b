"""A deduplicating, rate-limited work queue of keys, in the client-go style, on asyncio.

Controllers put object keys (``"namespace/name"``) on a queue from their informer handlers and
let a few workers take them off and reconcile. The queue guarantees what makes that safe:

- **Deduplication.** A key added many times while it waits is queued once (``dirty`` set).
- **One worker per key.** A key being processed (between :meth:`WorkQueue.get` and
  :meth:`WorkQueue.done`) is never handed to a second worker. Added again meanwhile, it is
  remembered and queued once more when ``done`` is called, so the latest change is not lost.
- **Back-off.** :meth:`WorkQueue.add_rate_limited` re-adds a key after the delay its
  :class:`~kubeling.client.ratelimit.RateLimiter` gives (by default client-go's: per key 5 ms
  doubling to 1000 s, overall 10/s with bursts of 100); :meth:`WorkQueue.forget` clears the key's
  history once it syncs, :meth:`WorkQueue.num_requeues` tells how often it failed.
- **Delays.** :meth:`WorkQueue.add_after` adds a key later; a key waiting twice keeps the earlier
  time.
- **Shutdown.** :meth:`WorkQueue.shutdown` stops accepting keys and drops delayed ones; workers
  still get what is queued, then :class:`ShutDown` from ``get``.
  :meth:`WorkQueue.shutdown_with_drain` also waits for the keys being processed to be ``done``.

The worker loop every controller runs::

    while True:
        try:
            key = await queue.get()
        except ShutDown:
            return
        try:
            await sync(key)
        except Exception:
            queue.add_rate_limited(key)   # retry later, backing off
        else:
            queue.forget(key)             # success: reset the back-off
        finally:
            queue.done(key)

Only :meth:`WorkQueue.get` and :meth:`WorkQueue.shutdown_with_drain` wait; everything else is a
plain call, safe from informer handlers. Delays use the running loop's clock.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Hashable
from typing import Generic, TypeVar

from kubeling.client.ratelimit import RateLimiter, default_controller_rate_limiter

__all__ = ["ShutDown", "WorkQueue"]

T = TypeVar("T", bound=Hashable)


class ShutDown(Exception):
    """The queue is shut down and empty: the worker should return."""


class WorkQueue(Generic[T]):
    """A work queue of hashable items (usually keys), deduplicated and rate-limited."""

    def __init__(self, *, rate_limiter: RateLimiter | None = None, name: str = "") -> None:
        self.name = name
        self.rate_limiter = rate_limiter or default_controller_rate_limiter()
        self._queue: deque[T] = deque()
        self._dirty: set[T] = set()
        self._processing: set[T] = set()
        self._waiting: dict[T, asyncio.TimerHandle] = {}
        self._getters: deque[asyncio.Future[None]] = deque()
        self._drained: asyncio.Event = asyncio.Event()
        self._shutting_down = False

    # -- adding ------------------------------------------------------------------------------

    def add(self, item: T) -> None:
        """Queue ``item`` unless it is already queued; if it is being processed, queue it again
        once it is done. Ignored after shutdown."""
        if self._shutting_down or item in self._dirty:
            return
        self._dirty.add(item)
        if item in self._processing:
            return
        self._queue.append(item)
        self._wake_one()

    def add_after(self, item: T, delay: float) -> None:
        """:meth:`add` ``item`` in ``delay`` seconds (at once if ``delay <= 0``); if it is
        already waiting, the earlier of the two times wins."""
        if self._shutting_down:
            return
        if delay <= 0:
            self.add(item)
            return
        loop = asyncio.get_running_loop()
        ready_at = loop.time() + delay
        pending = self._waiting.get(item)
        if pending is not None:
            if pending.when() <= ready_at:
                return
            pending.cancel()
        self._waiting[item] = loop.call_at(ready_at, self._ready, item)

    def add_rate_limited(self, item: T) -> None:
        """Add ``item`` after the delay the rate limiter gives it (one more failure)."""
        self.add_after(item, self.rate_limiter.when(item))

    def forget(self, item: T) -> None:
        """Clear ``item``'s failure history (call on success)."""
        self.rate_limiter.forget(item)

    def num_requeues(self, item: T) -> int:
        """How many times ``item`` was rate-limited since it was last forgotten."""
        return self.rate_limiter.num_requeues(item)

    # -- processing --------------------------------------------------------------------------

    async def get(self) -> T:
        """The next item, marked as being processed: call :meth:`done` with it when finished.

        Waits while the queue is empty; raises :class:`ShutDown` once the queue is shut down and
        empty.
        """
        while not self._queue:
            if self._shutting_down:
                raise ShutDown(self.name)
            waiter = asyncio.get_running_loop().create_future()
            self._getters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                # A wake-up meant for this getter must not be lost with it.
                if waiter.done() and not waiter.cancelled() and self._queue:
                    self._wake_one()
                raise
            finally:
                if waiter in self._getters:
                    self._getters.remove(waiter)
        item = self._queue.popleft()
        self._processing.add(item)
        self._dirty.discard(item)
        return item

    def done(self, item: T) -> None:
        """``item`` is processed; if it was added meanwhile, it is queued again."""
        self._processing.discard(item)
        if item in self._dirty:
            self._queue.append(item)
            self._wake_one()
        if not self._processing:
            self._drained.set()

    # -- stopping ----------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Accept nothing more, drop delayed items; workers drain the queue, then get
        :class:`ShutDown`."""
        self._shutting_down = True
        for handle in self._waiting.values():
            handle.cancel()
        self._waiting.clear()
        while self._getters:
            waiter = self._getters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    async def shutdown_with_drain(self) -> None:
        """:meth:`shutdown`, then wait until no item is being processed."""
        self.shutdown()
        while self._processing:
            self._drained.clear()
            await self._drained.wait()

    @property
    def shutting_down(self) -> bool:
        """True once :meth:`shutdown` was called."""
        return self._shutting_down

    def __len__(self) -> int:
        """Items queued (not those waiting for a delay or being processed)."""
        return len(self._queue)

    def _ready(self, item: T) -> None:
        self._waiting.pop(item, None)
        self.add(item)

    def _wake_one(self) -> None:
        while self._getters:
            waiter = self._getters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
