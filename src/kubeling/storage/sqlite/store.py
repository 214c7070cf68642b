"""``sqlite://``: the default store, one SQLite file in WAL mode.

How the pieces fit (each module's docstring has the details):

- ``schema``: a log of revisions plus a ``current`` table pointing at each
  live key's latest row.
- ``writer``: one thread owns the write connection and commits everything
  queued in one transaction (group commit); results come back to the loop in
  revision order, where futures resolve and the ``WatchHub`` publishes.
- ``pool`` and ``reads``: reads run on a few threads, each in one snapshot.
- ``compact``: compaction records the revision, then purges dead rows in
  chunks and gives space back.

The loop never blocks on SQLite: it only validates arguments, enqueues, and
awaits.

Revisions the loop sees
    ``current_revision()`` is the writer's last committed revision. A read's
    snapshot may include a batch whose results are still on their way to the
    loop (or whose COMMIT call has not even returned in the writer yet), so a
    list can report a revision the hub has not published yet. ``watch``
    therefore first waits, for at most that one hand-off, until the hub has
    published up to ``start_revision - 1`` whenever that revision is committed
    or being committed, so that it neither repeats nor skips an event.

Automatic compaction
    Like the Kubernetes API server, which compacts etcd every 5 minutes, the
    store compacts itself every ``auto_compact_interval`` seconds (default
    ``DEFAULT_AUTO_COMPACT_INTERVAL`` = 300) to the revision that was current
    at the run before (as Kubernetes' compactor does), and to no more than
    ``current - keep_revisions`` (default ``DEFAULT_KEEP_REVISIONS`` = 10,000):
    at least one interval and 10,000 revisions of history, so watchers can
    resume after a disconnect and long paged lists finish. Between two runs the log
    grows with the write rate; a watcher that falls behind the compacted
    revision gets CompactedError and relists, as with etcd. ``None`` turns
    it off; ``compact`` can always be called directly.

One process per file
    The writer keeps the revision counter in memory, so a second process
    writing the same file would break it. ``open`` takes an exclusive
    ``flock`` on ``<path>-lock`` and fails with StoreUnavailableError if another
    process holds it; the kernel drops the lock when a process dies.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import fcntl
import functools
import logging
import os
from typing import Any

from kubeling.storage.errors import (
    CompactedError,
    FutureRevisionError,
    StoreError,
    StoreUnavailableError,
)
from kubeling.storage.interface import (
    DeleteResult,
    KeyValue,
    ListResult,
    Preconditions,
    Store,
    Watcher,
    WatchEvent,
)
from kubeling.storage.keys import check_key, check_value, list_start
from kubeling.storage.sqlite import reads
from kubeling.storage.sqlite.ops import Op, OpKind
from kubeling.storage.sqlite.pool import DEFAULT_READERS, ReaderPool
from kubeling.storage.sqlite.writer import Batch, Writer
from kubeling.storage.watch_hub import WatchHub

__all__ = ["DEFAULT_AUTO_COMPACT_INTERVAL", "DEFAULT_KEEP_REVISIONS", "SqliteStore"]

log = logging.getLogger(__name__)

DEFAULT_AUTO_COMPACT_INTERVAL = 300.0
DEFAULT_KEEP_REVISIONS = 10_000


def _lock(path: str) -> int:
    """Open and exclusively lock ``<path>-lock``; the file descriptor."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd = os.open(f"{path}-lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as err:
        os.close(fd)
        raise StoreUnavailableError(f"sqlite store: {path} is in use by another process") from err
    return fd


class SqliteStore(Store):
    """A durable store in one SQLite file; create it with ``await SqliteStore.open(path)``."""

    def __init__(
        self,
        path: str,
        lock_fd: int,
        *,
        watch_buffer: int,
        progress_interval: float,
        readers: int,
    ) -> None:
        self._path = path
        self._lock_fd: int | None = lock_fd
        self._loop = asyncio.get_running_loop()
        self._writer = Writer(path, self._loop, self._deliver)
        self._readers = ReaderPool(path, readers)
        self._hub = WatchHub(
            revision=1,
            history=self._history,
            buffer_size=watch_buffer,
            progress_interval=progress_interval,
        )
        self._published = asyncio.Event()
        self._auto_compact: asyncio.Task[None] | None = None
        self._closed = False

    @classmethod
    async def open(
        cls,
        path: str,
        *,
        auto_compact_interval: float | None = DEFAULT_AUTO_COMPACT_INTERVAL,
        keep_revisions: int = DEFAULT_KEEP_REVISIONS,
        watch_buffer: int = 4096,
        progress_interval: float = 5.0,
        readers: int = DEFAULT_READERS,
    ) -> SqliteStore:
        """Open (creating if needed) the store in ``path``; ready when it returns."""
        if auto_compact_interval is not None and auto_compact_interval <= 0:
            raise ValueError("auto_compact_interval must be positive or None")
        if keep_revisions < 0:
            raise ValueError("keep_revisions must not be negative")
        lock_fd = await asyncio.to_thread(_lock, path)
        store = cls(
            path,
            lock_fd,
            watch_buffer=watch_buffer,
            progress_interval=progress_interval,
            readers=readers,
        )
        try:
            await store._writer.start()
        except BaseException:
            store._unlock()
            await store._readers.close()
            raise
        store._hub.revision = store._writer.committed_revision
        if auto_compact_interval is not None:
            store._auto_compact = asyncio.create_task(
                store._compact_every(auto_compact_interval, keep_revisions),
                name="kubeling-sqlite-auto-compact",
            )
        return store

    def statistics(self) -> dict[str, int]:
        """Counters for tests and metrics: commits, batches, ops, writes, watchers..."""
        return {
            **self._writer.stats,
            **self._hub.statistics(),
            "revision": self._writer.committed_revision,
            "compacted": self._writer.committed_compacted,
        }

    # -- reads ---------------------------------------------------------------

    async def get(self, key: str, *, revision: int = 0) -> KeyValue | None:
        check_key(key)
        return await self._readers.run(
            functools.partial(reads.get, key=key, revision=revision), "get"
        )

    async def list(
        self,
        prefix: str,
        *,
        revision: int = 0,
        limit: int = 0,
        continue_token: str | None = None,
    ) -> ListResult:
        revision, start = list_start(prefix, revision, continue_token)
        return await self._readers.run(
            functools.partial(
                reads.list_page, prefix=prefix, start=start, revision=revision, limit=limit
            ),
            "list",
        )

    async def count(self, prefix: str) -> int:
        check_key(prefix)
        return await self._readers.run(functools.partial(reads.count, prefix=prefix), "count")

    async def current_revision(self) -> int:
        return self._writer.committed_revision

    async def compacted_revision(self) -> int:
        return self._writer.committed_compacted

    # -- writes --------------------------------------------------------------

    async def _submit(self, op: Op) -> Any:
        if self._closed:
            raise StoreUnavailableError("sqlite store: the store is closed")
        self._writer.submit(op)
        # If the caller is cancelled the write may still commit (as with etcd).
        return await op.future

    async def create(self, key: str, value: bytes) -> KeyValue:
        check_key(key)
        check_value(value)
        future = self._loop.create_future()
        result: KeyValue = await self._submit(Op(OpKind.CREATE, future, key, bytes(value)))
        return result

    async def update(
        self, key: str, value: bytes, *, preconditions: Preconditions | None = None
    ) -> KeyValue:
        check_key(key)
        check_value(value)
        future = self._loop.create_future()
        result: KeyValue = await self._submit(
            Op(OpKind.UPDATE, future, key, bytes(value), preconditions)
        )
        return result

    async def delete(self, key: str, *, preconditions: Preconditions | None = None) -> DeleteResult:
        check_key(key)
        future = self._loop.create_future()
        result: DeleteResult = await self._submit(
            Op(OpKind.DELETE, future, key, preconditions=preconditions)
        )
        return result

    async def compact(self, revision: int) -> None:
        future = self._loop.create_future()
        await self._submit(Op(OpKind.COMPACT, future, revision=revision))

    def _deliver(self, batch: Batch) -> None:
        """On the loop, once per commit, in commit order."""
        # Publish before resolving: a writer that then watches from its
        # revision + 1 finds the hub already there.
        if batch.events:
            self._hub.publish(batch.events)
        for future, result, error in batch.outcomes:
            if future.done():  # the caller was cancelled
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)
        # Wake watch() calls waiting for the hub (also after a failed commit,
        # which lowers the writer's pending revision again).
        self._published.set()
        self._published = asyncio.Event()

    async def _compact_every(self, interval: float, keep: int) -> None:
        # As the Kubernetes API server's compactor, each run compacts to the revision that was
        # current at the run before, so at least one interval of history stays: a paged list
        # or a watch resuming within it finds its revision (at 5,000 nodes, 10,000 revisions
        # are 20 s of heartbeats, less than a cluster-wide list with a selector can take).
        seen = self._writer.committed_revision
        while True:
            await asyncio.sleep(interval)
            target = min(seen, self._writer.committed_revision - keep)
            seen = self._writer.committed_revision
            if target <= self._writer.committed_compacted:
                continue
            try:
                await self.compact(target)
            except (CompactedError, FutureRevisionError):
                pass  # raced a compaction by someone else; try again next time
            except StoreUnavailableError:
                if self._closed:
                    return
                log.warning("sqlite store: automatic compaction failed", exc_info=True)
            except StoreError:
                log.warning("sqlite store: automatic compaction failed", exc_info=True)

    # -- watch ---------------------------------------------------------------

    async def _history(
        self, key: str, prefix: bool, first: int, last: int
    ) -> builtins.list[WatchEvent]:
        return await self._readers.run(
            functools.partial(reads.history, key=key, prefix=prefix, first=first, last=last),
            "watch history",
        )

    async def watch(
        self,
        key: str,
        *,
        prefix: bool = False,
        start_revision: int = 0,
        progress_notify: bool = False,
    ) -> Watcher:
        check_key(key)
        compacted = self._writer.committed_compacted
        if 0 < start_revision < compacted:
            raise CompactedError(start_revision, compacted)
        # A committed batch may still be on its way to the hub (see the module
        # docstring); wait for it so the hub neither replays nor skips it.
        target = start_revision - 1
        while self._hub.revision < target <= self._writer.pending_revision and not self._closed:
            await self._published.wait()
        return await self._hub.watch(
            key, prefix=prefix, start_revision=start_revision, progress_notify=progress_notify
        )

    # -- lifecycle -----------------------------------------------------------

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        # 1. No new automatic compactions.
        if self._auto_compact is not None:
            self._auto_compact.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._auto_compact
        # 2. Commit what is queued; its results reach the loop before stop returns.
        await self._writer.stop()
        self._published.set()
        # 3. End the watchers, after the last events were published.
        self._hub.close()
        # 4. Wait for running reads and close their connections.
        await self._readers.close()
        # 5. Let another process open the file.
        self._unlock()

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
