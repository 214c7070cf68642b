"""The loop every CRD controller of the API server runs: keys in, ``sync(key)`` out.

The apiextensions server runs its CRD controllers (naming, establishing,
finalizing) inside the API server process, fed by a CRD informer; so do we,
fed by the CRD resource's watch cache, until the shared controller machinery
in ``client/`` can take them over. The contract is Kubernetes' work queue:

- every CRD event enqueues a key (the CRD's name, or what ``keys_for``
  returns); a key queued twice is synced once;
- one worker per controller: a key never syncs concurrently with itself,
  and the naming rules, which look at every CRD of a group, never race;
- ``sync`` reads the current state and is idempotent; if it raises, the key
  comes back after an exponential backoff (5 ms doubling, at most 60 s);
- ``enqueue_after`` brings a key back later (a finalizer waiting for objects);
- on start every stored CRD is enqueued, so work left by a stopped server
  (a CRD still terminating) is picked up again.

Writes go through the CRD ResourceStore with ``internal=True``: as the
apiextensions controllers do with ``UpdateStatus``, they change status and
finalizers, guarded by the resourceVersion that was read. A 409 or 404 is
not an error: the change that caused it is an event that syncs the key again.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import datetime
import logging
from collections.abc import Callable, Iterable
from typing import Any, Final

from kubeling.api import errors
from kubeling.apiserver.rest import objects
from kubeling.apiserver.rest.options import WriteOptions
from kubeling.apiserver.rest.resource_store import ResourceStore
from kubeling.apiserver.watch_cache import CacheEvent

__all__ = ["CrdController", "Obj"]

log = logging.getLogger(__name__)

Obj = dict[str, Any]

_BACKOFF_BASE: Final = 0.005
_BACKOFF_MAX: Final = 60.0


class CrdController(abc.ABC):
    """A level-triggered controller over CustomResourceDefinitions."""

    #: Names the controller in logs and task names.
    name: str = "crd-controller"

    def __init__(
        self,
        crds: ResourceStore,
        *,
        clock: Callable[[], datetime.datetime] | None = None,
    ) -> None:
        self.crds = crds
        self._clock = clock or (lambda: datetime.datetime.now(datetime.UTC))
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._queued: set[str] = set()
        self._failures: dict[str, int] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._tasks: list[asyncio.Task[None]] = []

    # -- what each controller defines -----------------------------------------

    @abc.abstractmethod
    async def sync(self, key: str) -> None:
        """Bring the CRD ``key`` (its name) to the state this controller owns."""

    def keys_for(self, event: CacheEvent) -> Iterable[str]:
        """The keys a CRD event enqueues: the CRD's own name."""
        # A CRD is cluster-scoped: its key's last segment is its name.
        name = event.key.rsplit("/", 1)[-1] if event.obj is not None else ""
        return [name] if name else []

    # -- the queue -------------------------------------------------------------

    def enqueue(self, key: str) -> None:
        """Sync ``key`` soon (once, however often it is enqueued meanwhile)."""
        if key not in self._queued:
            self._queued.add(key)
            self._queue.put_nowait(key)

    def enqueue_after(self, key: str, seconds: float) -> None:
        """Sync ``key`` again in ``seconds`` (or sooner, if already due sooner)."""
        loop = asyncio.get_running_loop()
        pending = self._timers.get(key)
        if pending is not None:
            if pending.when() <= loop.time() + seconds:
                return
            pending.cancel()

        def fire() -> None:
            self._timers.pop(key, None)
            self.enqueue(key)

        self._timers[key] = loop.call_later(seconds, fire)

    # -- reading and writing CRDs ----------------------------------------------

    def now(self) -> str:
        """The current time as a condition's ``lastTransitionTime``."""
        return objects.now_rfc3339(self._clock())

    async def get(self, name: str) -> Obj | None:
        """The stored CRD ``name``, or None once it is gone."""
        try:
            return await self.crds.get("", name)
        except errors.StatusError as err:
            if err.code == 404:
                return None
            raise

    async def list_crds(self) -> list[Obj]:
        """Every stored CRD (a consistent read, not the cache)."""
        cache = self.crds.watch_cache()
        await cache.wait_for(await self.crds.store.current_revision())
        crds, _ = cache.list_objects(f"{self.crds.storage_prefix}/")
        return crds

    async def write(self, crd: Obj) -> Obj | None:
        """Store ``crd`` as changed by this controller, if nobody changed it since
        it was read; None when it was (or is gone): its event syncs it again."""
        name = str((crd.get("metadata") or {}).get("name", ""))
        try:
            return await self.crds.update("", name, crd, WriteOptions(), internal=True)
        except errors.StatusError as err:
            if err.code in (404, 409):
                return None
            raise

    # -- running ---------------------------------------------------------------

    async def start(self) -> None:
        """Sync every stored CRD, then follow the CRD watch cache."""
        cache = self.crds.watch_cache()
        await cache.ensure_started()
        crds, revision = cache.list_objects(f"{self.crds.storage_prefix}/")
        for crd in crds:
            name = (crd.get("metadata") or {}).get("name")
            if isinstance(name, str):
                self.enqueue(name)
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._follow(revision), name=f"{self.name} events"),
            loop.create_task(self._work(), name=f"{self.name} worker"),
        ]

    async def stop(self) -> None:
        """Cancel pending retries, the event follower and the worker."""
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _follow(self, revision: int) -> None:
        cache = self.crds.watch_cache()
        while True:
            try:
                watcher, replay = await cache.watch(f"{self.crds.storage_prefix}/", revision)
            except errors.StatusError:  # 410: the buffer moved on; resync everything
                crds, revision = cache.list_objects(f"{self.crds.storage_prefix}/")
                for crd in crds:
                    self.enqueue(str((crd.get("metadata") or {}).get("name", "")))
                continue
            try:
                for replayed in replay:
                    self._offer(replayed)
                    revision = replayed.revision
                while (event := await watcher.next()) is not None:
                    self._offer(event)
                    revision = max(revision, event.revision)
            finally:
                watcher.close()

    def _offer(self, event: CacheEvent) -> None:
        if not event.is_change:
            return
        for key in self.keys_for(event):
            self.enqueue(key)

    async def _work(self) -> None:
        while True:
            key = await self._queue.get()
            self._queued.discard(key)
            try:
                await self.sync(key)
            except asyncio.CancelledError:
                raise
            except Exception:
                failures = self._failures.get(key, 0) + 1
                self._failures[key] = failures
                delay = min(_BACKOFF_BASE * 2 ** (failures - 1), _BACKOFF_MAX)
                log.exception("%s: syncing %s failed; retrying in %.3fs", self.name, key, delay)
                self.enqueue_after(key, delay)
            else:
                self._failures.pop(key, None)
