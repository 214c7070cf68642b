"""A rate-limited queue of nodes to taint, one per zone (``RateLimitedTimedQueue``).

Nodes wait in order of when they may next be processed; :meth:`try_process`
takes them while the zone's token bucket has a token (0.1 a second by
default, burst 1) and their time has come. The action says whether it is done
with a node or when to retry it. A node stays *known* to the queue after it
was processed, so that adding it again is a no-op until it is removed (the
node recovered, or its taint disappeared).

The rate can be swapped as the zone's health changes; a rate of 0 stops the
zone altogether (every zone fully disrupted: the control plane, not the
nodes, is probably the problem).
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from kubeling.client.ratelimit import TokenBucket

__all__ = ["EVICTION_BURST", "RateLimitedTimedQueue", "TimedValue"]

#: Burst of the per-zone limiter (``EvictionRateLimiterBurst``).
EVICTION_BURST = 1


@dataclass(order=True, slots=True)
class TimedValue:
    """A node waiting in the queue."""

    process_at: float
    order: int
    value: str = field(compare=False)
    uid: str = field(compare=False)
    added_at: float = field(compare=False)


class _NeverAccept:
    """The limiter of a stopped zone."""

    qps = 0.0

    def try_accept(self) -> bool:
        return False


#: ``(value) -> (done, retry_after_seconds)``.
Action = Callable[[TimedValue], Awaitable[tuple[bool, float]]]


class RateLimitedTimedQueue:
    """Nodes of one zone, processed at most ``qps`` a second."""

    def __init__(self, qps: float, *, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._heap: list[TimedValue] = []
        #: values known to the queue (queued, or processed and not yet removed)
        self._known: set[str] = set()
        self._order = itertools.count()
        self._limiter: TokenBucket | _NeverAccept = self._new_limiter(qps)

    def _new_limiter(self, qps: float) -> TokenBucket | _NeverAccept:
        return TokenBucket(qps, EVICTION_BURST, now=self._now) if qps > 0 else _NeverAccept()

    @property
    def qps(self) -> float:
        return self._limiter.qps

    def add(self, value: str, uid: str) -> bool:
        """Queue ``value`` to be processed now; False if the queue already knows it."""
        if value in self._known:
            return False
        now = self._now()
        self._known.add(value)
        heapq.heappush(self._heap, TimedValue(now, next(self._order), value, uid, now))
        return True

    def remove(self, value: str) -> bool:
        """Forget ``value`` entirely (queued or processed); whether it was known."""
        if value not in self._known:
            return False
        self._known.discard(value)
        self._heap = [item for item in self._heap if item.value != value]
        heapq.heapify(self._heap)
        return True

    def __contains__(self, value: object) -> bool:
        return value in self._known

    def queued(self) -> list[str]:
        """The values waiting, soonest first."""
        return [item.value for item in sorted(self._heap)]

    async def try_process(self, action: Action) -> None:
        """Process due values while the limiter allows; a failed one waits its retry.

        A token is spent on every look at the head, due or not, as upstream does.
        """
        while self._heap:
            head = self._heap[0]
            if not self._limiter.try_accept():
                return
            now = self._now()
            if now < head.process_at:
                return
            done, retry_after = await action(head)
            # the queue may have changed while the action ran: drop this very entry
            self._heap = [item for item in self._heap if item is not head]
            heapq.heapify(self._heap)
            if not done and head.value in self._known:
                head.process_at = now + retry_after
                head.order = next(self._order)
                heapq.heappush(self._heap, head)

    def swap_limiter(self, qps: float) -> None:
        """Process at ``qps`` from now on (0: not at all)."""
        if self._limiter.qps == qps:
            return
        new = self._new_limiter(qps)
        # a limiter that is empty now hands over an empty one (burst is 1)
        if not self._limiter.try_accept():
            new.try_accept()
        self._limiter = new
