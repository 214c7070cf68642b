"""The namespace controller: a deleted namespace is emptied, then released.

Kubernetes' ``pkg/controller/namespace``. Only namespaces being deleted are
queued, five seconds after each event (time for every API server to stop
admitting creates in them, and for last-moment creates to become visible).
Each sync is one pass of the
:class:`~kubeling.controllers.namespacedeleter.NamespacedResourcesDeleter`:
content still going away brings the namespace back after about half the
estimated wait; a failure retries with back-off capped at one minute, so a
stuck namespace is looked at least every minute, for ever.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Final

from kubeling.api import errors
from kubeling.client import WorkQueue
from kubeling.client.ratelimit import (
    BucketRateLimiter,
    ItemExponentialFailureRateLimiter,
    MaxOfRateLimiter,
    TokenBucket,
)
from kubeling.client.resources import NAMESPACES
from kubeling.controllers.base import Controller, ControllerContext
from kubeling.controllers.namespacedeleter import NamespacedResourcesDeleter

__all__ = ["NamespaceController"]

#: Wait before acting on a namespace event (``namespaceDeletionGracePeriod``).
DELETION_GRACE_PERIOD: Final = 5.0


class NamespaceController(Controller):
    """Deletes the content of terminating namespaces and finalizes them."""

    name: ClassVar[str] = "namespace"
    component: ClassVar[str] = "namespace-controller"
    workers: ClassVar[int] = 10  # --concurrent-namespace-syncs
    max_retries: ClassVar[int | None] = None  # a namespace is never given up on

    def __init__(
        self,
        ctx: ControllerContext,
        *,
        now: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC),
    ) -> None:
        super().__init__(ctx)
        # Faster recycling than other controllers (at least once a minute), same overall rate.
        self.queue = WorkQueue(
            rate_limiter=MaxOfRateLimiter(
                ItemExponentialFailureRateLimiter(0.005, 60.0),
                BucketRateLimiter(TokenBucket(10.0, 100)),
            ),
            name="namespace",
        )
        self.namespaces = self.informers.informer_for(NAMESPACES)
        self.deleter = NamespacedResourcesDeleter(self.client, now=now)
        self.namespaces.add_event_handler(
            on_add=self._namespace_changed,
            on_update=lambda _old, new: self._namespace_changed(new),
        )

    def _namespace_changed(self, namespace: Mapping[str, Any]) -> None:
        meta = namespace.get("metadata") or {}
        if meta.get("deletionTimestamp"):
            self.queue.add_after(str(meta.get("name", "")), DELETION_GRACE_PERIOD)

    async def sync(self, key: str) -> None:
        try:
            self.namespaces.lister.get(key)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return  # deleted meanwhile
            raise
        await self.deleter.delete(key)
