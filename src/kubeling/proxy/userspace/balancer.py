"""Choosing an endpoint for a new connection: round-robin (or random), with ClientIP affinity.

One :class:`Balancer` per Service port, shared by all its frontends, as
kube-proxy's per-endpoint ``recent`` lists are shared by every chain that
reaches the endpoint. With affinity, a client goes back to the endpoint it used
last as long as that endpoint is still in the route and the client's previous
connection started less than ``affinity_seconds`` ago (each new connection
refreshes it, as ``-m recent --set`` does). Affinity records are bounded: the
least recently used are forgotten first, and expired ones are swept as time
passes, so a flood of distinct clients cannot grow memory without limit.

Time comes from an injected clock, so tests need no sleeping:

    >>> b = Balancer(affinity_seconds=0)
    >>> eps = (Endpoint("10.0.0.1", 80), Endpoint("10.0.0.2", 80))
    >>> [str(b.pick(eps, "c")) for _ in range(3)]
    ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.1:80']
"""

from __future__ import annotations

import random
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Final

from kubeling.proxy.endpoints import Endpoint

__all__ = ["RANDOM", "ROUND_ROBIN", "STRATEGIES", "Balancer"]

ROUND_ROBIN: Final = "round-robin"
RANDOM: Final = "random"
STRATEGIES: Final = (ROUND_ROBIN, RANDOM)

#: Affinity records kept per Service port at most.
MAX_AFFINITY_RECORDS: Final = 65536


class Balancer:
    """Picks endpoints for one Service port."""

    def __init__(
        self,
        *,
        affinity_seconds: int = 0,
        strategy: str = ROUND_ROBIN,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        max_records: int = MAX_AFFINITY_RECORDS,
    ) -> None:
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown balancing strategy {strategy!r}")
        self.affinity_seconds = affinity_seconds
        self.strategy = strategy
        self.clock = clock
        self.rng = rng or random.Random()
        self.max_records = max_records
        self._next = 0
        #: client IP -> (endpoint, when its last connection started); oldest first.
        self._affinity: OrderedDict[str, tuple[Endpoint, float]] = OrderedDict()

    def pick(
        self, endpoints: Sequence[Endpoint], client_ip: str, *, exclude: Sequence[Endpoint] = ()
    ) -> Endpoint | None:
        """The endpoint for a new connection from ``client_ip`` (None if ``endpoints`` is
        empty); ``exclude`` are endpoints that just failed for this connection."""
        candidates = [e for e in endpoints if e not in exclude] if exclude else endpoints
        if not candidates:
            return None
        now = self.clock()
        if self.affinity_seconds:
            self._expire(now)
            record = self._affinity.get(client_ip)
            if record is not None and record[0] in candidates:
                self._remember(client_ip, record[0], now)
                return record[0]
        if self.strategy == RANDOM:
            chosen = candidates[self.rng.randrange(len(candidates))]
        else:
            chosen = candidates[self._next % len(candidates)]
            self._next = (self._next + 1) % len(candidates)
        if self.affinity_seconds:
            self._remember(client_ip, chosen, now)
        return chosen

    def configure(self, *, affinity_seconds: int) -> None:
        """Follow a Service change: a new timeout applies to existing records too."""
        if affinity_seconds != self.affinity_seconds:
            self.affinity_seconds = affinity_seconds
            if not affinity_seconds:
                self._affinity.clear()

    def __len__(self) -> int:
        """Affinity records held."""
        return len(self._affinity)

    def _remember(self, client_ip: str, endpoint: Endpoint, now: float) -> None:
        self._affinity[client_ip] = (endpoint, now)
        self._affinity.move_to_end(client_ip)
        while len(self._affinity) > self.max_records:
            self._affinity.popitem(last=False)

    def _expire(self, now: float) -> None:
        # Records are in last-use order: stop at the first one still fresh.
        while self._affinity:
            _client, (_endpoint, used) = next(iter(self._affinity.items()))
            if now - used <= self.affinity_seconds:
                return
            self._affinity.popitem(last=False)
