"""Expectations: what a controller is waiting to see in its cache before it acts again.

A ReplicaSet that just created five pods must not count its pods again until
its informer has seen those five: the cache lags the API. As Kubernetes'
``ControllerExpectations``, a controller records how many creations and
deletions it expects per key; informer handlers lower the counts as the
objects appear or vanish; ``satisfied`` says whether the next sync may
trust the cache. Expectations older than five minutes are treated as
satisfied, so that a lost event cannot block a controller for ever.

Deletions can also be tracked by object (Kubernetes'
``UIDTrackingControllerExpectations``): a pod being deleted is seen twice,
once when its ``deletionTimestamp`` is set and once when it is gone, and
must lower the count only once; :meth:`Expectations.expect_deletions` names
the objects, and :meth:`Expectations.deletion_observed` with an object key
counts each of them once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

__all__ = ["EXPECTATIONS_TIMEOUT", "Expectations"]

EXPECTATIONS_TIMEOUT = 5 * 60.0


@dataclass(slots=True)
class _Expected:
    adds: int
    deletes: int
    since: float
    #: The keys of the objects whose deletion is awaited, when tracked by object.
    deleting: set[str] = field(default_factory=set)


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

    def expect_deletions(self, key: str, object_keys: Collection[str]) -> None:
        """Set ``key`` to wait for the deletion of exactly these objects (and no creation)."""
        self._pending[key] = _Expected(0, len(object_keys), self._now(), set(object_keys))

    def deletion_observed(self, key: str, object_key: str | None = None) -> None:
        """One of the expected deletions was seen (or failed).

        With ``object_key``, it counts only if :meth:`expect_deletions` named that
        object, and only the first time.
        """
        pending = self._pending.get(key)
        if pending is None:
            return
        if object_key is not None:
            if object_key not in pending.deleting:
                return
            pending.deleting.discard(object_key)
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
