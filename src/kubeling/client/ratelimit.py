"""Rate limiters for work-queue retries, and the token bucket under them (client-go's).

A :class:`RateLimiter` answers "how long should this item wait before its next try?":

- :class:`ItemExponentialFailureRateLimiter`: ``base_delay * 2**failures`` for that item, capped
  at ``max_delay``; :meth:`~RateLimiter.forget` resets the item.
- :class:`BucketRateLimiter`: one token bucket for all items (``qps`` tokens a second, ``burst``
  at most): the wait until the next token, reserved now.
- :class:`MaxOfRateLimiter`: the longest wait of several.

:func:`default_controller_rate_limiter` is client-go's ``DefaultControllerRateLimiter``: per item
5 ms doubling to 1000 s, and overall 10 retries a second with bursts of 100, whichever is longer.

:class:`TokenBucket` is ``golang.org/x/time/rate``'s limiter reduced to the two calls used here:
:meth:`~TokenBucket.reserve` (take a token now, possibly borrowed from the future, and say how
long until it is really there) and :meth:`~TokenBucket.try_accept` (take one only if it is there).
Time comes from ``now`` (seconds, monotonic), so tests can drive it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Final, Protocol

__all__ = [
    "BucketRateLimiter",
    "ItemExponentialFailureRateLimiter",
    "MaxOfRateLimiter",
    "RateLimiter",
    "TokenBucket",
    "default_controller_rate_limiter",
]

# 2**exponent beyond this is far past any max_delay; capping it keeps the float finite.
_MAX_EXPONENT: Final = 62


class RateLimiter(Protocol):
    """How long an item waits before it is retried."""

    def when(self, item: Hashable) -> float:
        """Seconds ``item`` should wait now (and count this as one more failure)."""
        ...

    def forget(self, item: Hashable) -> None:
        """Stop tracking ``item`` (it succeeded, or was given up on)."""
        ...

    def num_requeues(self, item: Hashable) -> int:
        """How many times ``item`` has failed since it was last forgotten."""
        ...


class TokenBucket:
    """``qps`` tokens a second, at most ``burst`` saved; starts full."""

    def __init__(
        self, qps: float, burst: int, *, now: Callable[[], float] = time.monotonic
    ) -> None:
        if qps <= 0 or burst <= 0:
            raise ValueError("a token bucket needs qps > 0 and burst > 0")
        self.qps, self.burst = qps, burst
        self._now = now
        self._tokens = float(burst)
        self._last = now()

    def _advance(self) -> float:
        now = self._now()
        elapsed = max(0.0, now - self._last)
        self._tokens = min(float(self.burst), self._tokens + elapsed * self.qps)
        self._last = now
        return now

    def reserve(self) -> float:
        """Take a token; return the seconds until it is actually available (0 if it is)."""
        self._advance()
        self._tokens -= 1
        return 0.0 if self._tokens >= 0 else -self._tokens / self.qps

    def try_accept(self) -> bool:
        """Take a token if one is available now; never wait."""
        self._advance()
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False


class ItemExponentialFailureRateLimiter:
    """Per item: ``base_delay * 2**failures``, capped at ``max_delay`` seconds."""

    def __init__(self, base_delay: float, max_delay: float) -> None:
        self.base_delay, self.max_delay = base_delay, max_delay
        self._failures: dict[Hashable, int] = {}

    def when(self, item: Hashable) -> float:
        """The delay for this failure of ``item``; the next one will be twice as long."""
        exponent = self._failures.get(item, 0)
        self._failures[item] = exponent + 1
        return min(self.base_delay * 2.0 ** min(exponent, _MAX_EXPONENT), self.max_delay)

    def forget(self, item: Hashable) -> None:
        """Reset ``item``'s failures."""
        self._failures.pop(item, None)

    def num_requeues(self, item: Hashable) -> int:
        """``item``'s failures since it was last forgotten."""
        return self._failures.get(item, 0)


class BucketRateLimiter:
    """One token bucket shared by all items: bounds the overall retry rate."""

    def __init__(self, bucket: TokenBucket) -> None:
        self.bucket = bucket

    def when(self, item: Hashable) -> float:
        """The wait for the next token, reserved for ``item``."""
        return self.bucket.reserve()

    def forget(self, item: Hashable) -> None:
        """Nothing is tracked per item."""

    def num_requeues(self, item: Hashable) -> int:
        """Nothing is tracked per item: always 0."""
        return 0


class MaxOfRateLimiter:
    """The longest wait any of ``limiters`` asks for."""

    def __init__(self, *limiters: RateLimiter) -> None:
        self.limiters = limiters

    def when(self, item: Hashable) -> float:
        """Ask every limiter (each counts the failure); wait the longest."""
        return max((limiter.when(item) for limiter in self.limiters), default=0.0)

    def forget(self, item: Hashable) -> None:
        """Forget ``item`` in every limiter."""
        for limiter in self.limiters:
            limiter.forget(item)

    def num_requeues(self, item: Hashable) -> int:
        """The largest count any limiter keeps."""
        return max((limiter.num_requeues(item) for limiter in self.limiters), default=0)


def default_controller_rate_limiter(
    *, now: Callable[[], float] = time.monotonic
) -> MaxOfRateLimiter:
    """client-go's default for controllers: per item 5 ms doubling to 1000 s, overall a token
    bucket of 10 qps and burst 100 (which only matters when many items fail at once)."""
    return MaxOfRateLimiter(
        ItemExponentialFailureRateLimiter(0.005, 1000.0),
        BucketRateLimiter(TokenBucket(10.0, 100, now=now)),
    )
