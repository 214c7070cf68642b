"""What every controller is made of: a queue of keys and an idempotent ``sync(key)``.

As in Kubernetes' controllers, informer handlers only put keys on a
rate-limited work queue; workers take a key, call :meth:`Controller.sync`, and
on failure put the key back with exponential back-off (a key is never synced
by two workers at once). ``sync`` reads the informers' caches (copying before
changing anything) and writes through the API, so running it again after a
crash, a conflict or a missed event converges to the same state.
"""

from __future__ import annotations

import abc
import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from kubeling.api.errors import StatusError
from kubeling.client import (
    ApiClient,
    DeletedFinalStateUnknown,
    EventBroadcaster,
    EventRecorder,
    SharedInformerFactory,
    ShutDown,
    WorkQueue,
    object_key,
)
from kubeling.client.ratelimit import default_controller_rate_limiter

__all__ = ["DEFAULT_LOCAL_STORAGE_PATH", "Controller", "ControllerContext", "Retry"]

log = logging.getLogger(__name__)

#: Where volumes of the ``local-path`` class live on a node unless configured
#: (k3s's ``--default-local-storage-path``); ``kubeling up`` uses its data dir.
DEFAULT_LOCAL_STORAGE_PATH = "/var/lib/kubeling/storage"


class Retry(Exception):
    """A sync that cannot finish yet for a known, routine reason (a cache behind
    the controller's own writes, content still being deleted).

    The key comes back after ``after`` seconds when given (without counting as
    a failure: Kubernetes' ``AddAfter``), else with the usual back-off; either
    way it is logged without a traceback.
    """

    def __init__(self, message: str, *, after: float | None = None) -> None:
        super().__init__(message)
        self.after = after


@dataclass(frozen=True, slots=True)
class ControllerContext:
    """What the manager gives every controller: one client, shared informers, events."""

    client: ApiClient
    informers: SharedInformerFactory
    events: EventBroadcaster
    #: The local-path provisioner's base directory on every node.
    local_storage_path: str = DEFAULT_LOCAL_STORAGE_PATH

    def recorder(self, component: str) -> EventRecorder:
        return self.events.new_recorder(component)


class Controller(abc.ABC):
    """A control loop: subclasses register informer handlers in ``__init__`` and
    implement :meth:`sync`."""

    #: Its name in ``--controllers`` (Kubernetes' names: ``replicaset``, ``deployment``...).
    name: ClassVar[str]
    #: The ``source.component`` of its Events (``replicaset-controller``...).
    component: ClassVar[str]
    #: Concurrent workers (Kubernetes' ``--concurrent-*-syncs`` defaults).
    workers: ClassVar[int] = 5
    #: Failed syncs of one key before it is dropped (until its next event); None: never.
    max_retries: ClassVar[int | None] = 15

    def __init__(self, ctx: ControllerContext) -> None:
        self.ctx = ctx
        self.client = ctx.client
        self.informers = ctx.informers
        self.recorder = ctx.recorder(self.component)
        self.queue: WorkQueue[str] = WorkQueue(
            rate_limiter=default_controller_rate_limiter(), name=self.name
        )

    @abc.abstractmethod
    async def sync(self, key: str) -> None:
        """Bring the object ``key`` (``namespace/name`` or ``name``) to its desired state."""

    def enqueue(self, obj: Mapping[str, Any] | DeletedFinalStateUnknown) -> None:
        """Queue ``obj``'s key (a tombstone's too)."""
        self.queue.add(object_key(obj))

    async def run(self) -> None:
        """Run the workers until cancelled; then let the queue drain nothing more."""
        try:
            async with asyncio.TaskGroup() as group:
                for n in range(self.workers):
                    group.create_task(self._worker(), name=f"{self.name}-worker-{n}")
        finally:
            self.queue.shutdown()

    async def _worker(self) -> None:
        while True:
            try:
                key = await self.queue.get()
            except ShutDown:
                return
            try:
                await self.sync(key)
            except asyncio.CancelledError:
                raise
            except Retry as err:
                if err.after is None:
                    self._retry(key, err)
                else:
                    log.debug("%s: %r not done, again in %ss: %s", self.name, key, err.after, err)
                    self.queue.add_after(key, err.after)
            except Exception as err:  # any failure: retry with back-off
                self._retry(key, err)
            else:
                self.queue.forget(key)
            finally:
                self.queue.done(key)

    def _retry(self, key: str, err: Exception) -> None:
        failures = self.queue.num_requeues(key)
        if self.max_retries is None or failures < self.max_retries:
            # An API refusal (a conflict, a missing object) is routine; anything
            # else is a bug worth its traceback.
            log.info(
                "%s: error syncing %r, retrying: %s",
                self.name,
                key,
                err,
                exc_info=not isinstance(err, (StatusError, Retry)),
            )
            self.queue.add_rate_limited(key)
            return
        log.warning("%s: dropping %r after %d retries: %s", self.name, key, failures, err)
        self.queue.forget(key)
