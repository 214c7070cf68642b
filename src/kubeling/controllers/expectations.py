"""Expectations: what a controller is waiting to see in its cache before it acts again.

A ReplicaSet that just created five pods must not count its pods again until
its informer has seen those five: the cache lags the API. As Kubernetes'
``ControllerExpectations``, a controller records how many creations and
deletions it expects per key; informer handlers lower the counts as the
objects appear or vanish; ``satisfied`` says whether the next sync may
trust the cache. Expectations older than five minutes are treated as
satisfied, so that a lost event cannot block a controller for ever.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["EXPECTATIONS_TIMEOUT", "Expectations"]

EXPECTATIONS_TIMEOUT = 5 * 60.0


@dataclass(slots=True)
class _Expected:
    adds: int
    deletes: int
    since: float


class Expectations:
    """Pending creations and deletions per controller key."""

    def __init__(self, *, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._pending: dict[str, _Expected] = {}

    def expect(self, key: str, *, adds: int = 0, deletes: int = 0) -> None:
        """Set what ``key`` now waits for (replacing what it waited for)."""
        self._pending[key] = _Expected(adds, deletes, self._now())

    def raise_expectations(self, key: str, *, adds: int = 0, deletes: int = 0) -> None:
        pending = self._pending.get(key)
        if pending is None:
            self.expect(key, adds=adds, deletes=deletes)
        else:
            pending.adds += adds
            pending.deletes += deletes

    def creation_observed(self, key: str) -> None:
        """One of the expected objects appeared (or its creation failed)."""
        pending = self._pending.get(key)
        if pending is not None:
            pending.adds -= 1

    def deletion_observed(self, key: str) -> None:
        """One of the expected deletions was seen (or failed)."""
        pending = self._pending.get(key)
        if pending is not None:
            pending.deletes -= 1

    def satisfied(self, key: str) -> bool:
        """Whether the cache can be trusted for ``key``: nothing pending, or waited too long."""
        pending = self._pending.get(key)
        if pending is None:
            return True
        if pending.adds <= 0 and pending.deletes <= 0:
            return True
        return self._now() - pending.since > EXPECTATIONS_TIMEOUT

    def forget(self, key: str) -> None:
        """The controller is gone: nothing to wait for."""
        self._pending.pop(key, None)
