"""The group-commit writer: one thread, one connection, one fsync per batch.

Durability costs one fsync per transaction, and a disk does only so many of
those per second (etcd's ~3,300 writes/s on this machine is roughly that
number). So callers never write themselves: they enqueue an ``Op`` and await
its future. The writer thread takes *everything* that queued up while its
previous commit was syncing (up to ``MAX_BATCH_OPS`` operations or
``MAX_BATCH_BYTES`` of values), applies it in one transaction and commits
once. The busier the store, the larger the batches: throughput grows with
concurrency instead of being capped by the fsync rate, and a lone writer waits
for no timer.

Results go back to the event loop with ``call_soon_threadsafe`` after the
commit returned, i.e. once the writes are durable. The writer is the only
producer of those callbacks and the loop runs them in FIFO order, so batches
are delivered, futures resolved and watch events published in revision order.

A failed check fails only its own operation (see ``ops``). A failed statement
or commit (disk full, I/O error) rolls the whole transaction back: every
operation of the batch fails with the mapped error, and the writer re-reads
its counters from the file before going on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubeling.storage.errors import StoreError, StoreUnavailableError
from kubeling.storage.interface import WatchEvent
from kubeling.storage.sqlite import schema
from kubeling.storage.sqlite.compact import Purge, reclaim
from kubeling.storage.sqlite.errors import map_error
from kubeling.storage.sqlite.ops import Op, OpKind, TxnState, apply

__all__ = ["Batch", "Writer"]

log = logging.getLogger(__name__)

MAX_BATCH_OPS = 2048
MAX_BATCH_BYTES = 16 * 1024 * 1024

_STOP = object()


@dataclass(slots=True)
class Batch:
    """What one commit hands back to the loop, in revision order."""

    outcomes: list[tuple[asyncio.Future[Any], object, BaseException | None]]
    events: list[WatchEvent]
    revision: int
    compacted: int


class Writer:
    """Owns the write connection and its thread; ``submit`` from the loop thread."""

    def __init__(
        self,
        path: str,
        loop: asyncio.AbstractEventLoop,
        deliver: Callable[[Batch], None],
    ) -> None:
        self._path = path
        self._loop = loop
        self._deliver = deliver
        self._queue: queue.SimpleQueue[Op | object] = queue.SimpleQueue()
        self._thread = threading.Thread(
            target=self._run, name="kubeling-sqlite-writer", daemon=True
        )
        self._ready: asyncio.Future[None] = loop.create_future()
        self._purge: Purge | None = None
        # Written by the writer thread after each commit, read by the loop: a
        # plain int assignment is atomic, and both only ever grow.
        self.committed_revision = 0
        self.committed_compacted = 0
        # The last revision committed *or being committed*: set just before
        # COMMIT, so a reader that sees revision R in its snapshot knows that
        # R <= pending_revision (committed_revision may lag it briefly).
        self.pending_revision = 0
        self.stats = {
            "commits": 0,
            "batches": 0,
            "ops": 0,
            "writes": 0,
            "failed_ops": 0,
            "failed_commits": 0,
            "max_batch": 0,
            "purged_rows": 0,
            "vacuums": 0,
        }

    # -- loop side -----------------------------------------------------------

    async def start(self) -> None:
        """Start the thread; returns once the schema is ready (or raises)."""
        self._thread.start()
        await self._ready

    def submit(self, op: Op) -> None:
        self._queue.put(op)

    async def stop(self) -> None:
        """Commit what is queued, then end the thread and close the connection."""
        self._queue.put(_STOP)
        await asyncio.to_thread(self._thread.join)

    def _post(self, callback: Callable[..., object], *args: object) -> None:
        # RuntimeError: the loop is closed, so nobody is waiting any more.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(callback, *args)

    # -- writer thread -------------------------------------------------------

    def _run(self) -> None:
        try:
            conn = schema.connect_writer(self._path)
            revision, compacted = schema.load_state(conn)
        except sqlite3.Error as err:
            self._post(_fail_future, self._ready, map_error(err, f"opening {self._path}"), err)
            return
        except BaseException as err:
            self._post(_fail_future, self._ready, err, None)
            return
        self.committed_revision, self.committed_compacted = revision, compacted
        self.pending_revision = revision
        state = TxnState(revision, compacted)
        if compacted > 0:
            # Finish (or redo: it is idempotent) a purge a crash interrupted.
            self._purge = Purge(compacted)
        self._post(_resolve_future, self._ready)
        try:
            stopping = False
            while not stopping:
                ops, stopping = self._take(block=self._purge is None)
                if ops or self._purge is not None:
                    state = self._transaction(conn, ops, state)
        finally:
            conn.close()

    def _take(self, *, block: bool) -> tuple[list[Op], bool]:
        """Everything queued now (waiting for the first op if ``block``)."""
        ops: list[Op] = []
        size = 0
        try:
            item = self._queue.get() if block else self._queue.get_nowait()
            while True:
                if item is _STOP:
                    return ops, True
                assert isinstance(item, Op)
                ops.append(item)
                size += item.size
                if len(ops) >= MAX_BATCH_OPS or size >= MAX_BATCH_BYTES:
                    break
                item = self._queue.get_nowait()
        except queue.Empty:
            pass
        return ops, False

    def _transaction(self, conn: sqlite3.Connection, ops: list[Op], state: TxnState) -> TxnState:
        """Apply ``ops`` (and a purge step) in one transaction; deliver the results."""
        start = TxnState(state.revision, state.compacted)
        outcomes: list[tuple[asyncio.Future[Any], object, BaseException | None]] = []
        events: list[WatchEvent] = []
        purged = 0
        try:
            conn.execute("BEGIN IMMEDIATE")
            for op in ops:
                try:
                    result, event = apply(conn, op, state)
                except StoreError as err:
                    outcomes.append((op.future, None, err))
                    continue
                outcomes.append((op.future, result, None))
                if event is not None:
                    events.append(event)
                if op.kind is OpKind.COMPACT:
                    self._purge = Purge(state.compacted)
            if self._purge is not None:
                purged = self._purge.step(conn)
            self.pending_revision = state.revision
            conn.execute("COMMIT")
        except BaseException as err:
            if not isinstance(err, sqlite3.Error):  # a bug: fail the batch, keep the writer
                log.exception("sqlite store: writer failed")
            revision, compacted = self._recover(conn)
            changed = (revision, compacted) != (start.revision, start.compacted)
            if not changed or (revision, compacted) != (state.revision, state.compacted):
                return self._abort(ops, err, revision, compacted)
            # COMMIT reported an error but the file shows the batch committed
            # (e.g. an I/O error after the WAL was written): it is durable, so
            # deliver it like any other, or watchers would miss its events.
            log.warning("sqlite store: commit reported %r but the batch is durable", err)
        self.committed_revision, self.committed_compacted = state.revision, state.compacted
        stats = self.stats
        stats["commits"] += 1
        if ops:
            stats["batches"] += 1
            stats["ops"] += len(ops)
            stats["max_batch"] = max(stats["max_batch"], len(ops))
        stats["writes"] += state.revision - start.revision
        stats["failed_ops"] += sum(1 for _, _, error in outcomes if error is not None)
        stats["purged_rows"] += purged
        self._post(self._deliver, Batch(outcomes, events, state.revision, state.compacted))
        if self._purge is not None and self._purge.done:
            self._purge = None
            try:
                if reclaim(conn):
                    stats["vacuums"] += 1
            except sqlite3.Error as err:  # housekeeping only: the next compaction retries
                log.warning("sqlite store: reclaiming space failed: %s", err)
        return state

    def _recover(self, conn: sqlite3.Connection) -> tuple[int, int]:
        """Roll back whatever is open; the counters as committed in the file."""
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            return schema.load_state(conn)
        except sqlite3.Error:
            return self.committed_revision, self.committed_compacted

    def _abort(self, ops: list[Op], err: BaseException, revision: int, compacted: int) -> TxnState:
        """Fail every op of the batch with the mapped error."""
        self.stats["failed_commits"] += 1
        self.committed_revision, self.committed_compacted = revision, compacted
        self.pending_revision = revision
        outcomes: list[tuple[asyncio.Future[Any], object, BaseException | None]] = []
        for op in ops:
            if isinstance(err, sqlite3.Error):
                error: StoreError = map_error(err, "writing")
            else:
                error = StoreUnavailableError(f"sqlite store: writing failed: {err!r}")
            error.__cause__ = err
            outcomes.append((op.future, None, error))
        self._post(self._deliver, Batch(outcomes, [], revision, compacted))
        # If the purge step is what failed, do not retry it with every batch:
        # the next compaction (or the next open) starts it again.
        self._purge = None
        return TxnState(revision, compacted)


def _resolve_future(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _fail_future(
    future: asyncio.Future[None], error: BaseException, cause: BaseException | None
) -> None:
    if cause is not None:
        error.__cause__ = cause
    if not future.done():
        future.set_exception(error)
