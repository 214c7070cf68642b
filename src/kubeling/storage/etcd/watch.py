"""The etcd watcher: one gRPC Watch stream per Watcher, resumed across failures.

Creation
    The watcher writes one ``WatchCreateRequest`` (``prev_kv=True``, always
    ``progress_notify=True``, the start revision) and awaits the ``created``
    response. A start revision of 0 means etcd's "current + 1"; the created
    response's header revision is that current revision, so the watcher knows
    its effective start (``next``) from then on. (The store checks compaction
    with a Range before creating the watch: etcd reports a compacted start
    revision only asynchronously, after the created response.)

Delivery
    A reader task reads the stream and appends converted events to a bounded
    deque; ``__anext__`` pops it. ``next`` is the revision after the last
    event received, so a resumed watch neither repeats nor skips events. When
    the deque is full the watcher ends with WatchClosedError carrying the
    revision of the first event it could not keep (the consumer resumes from
    there); it never drops events silently.

Progress
    etcd sends two kinds of event-less responses: the periodic notification
    for one watcher (its own watch id; sent only to *synced* watchers, in order
    with their events), and the answer to a ``WatchProgressRequest``
    (watch id -1). In etcd < 3.4.24 the latter is sent on a control channel
    that can overtake events of a watcher that is still replaying history
    (etcd-io/etcd#15220). So the requested answer is trusted only while the
    watcher is known to be synced: from creation when it started at or after
    the current revision, or once a periodic notification arrived. Otherwise
    the request stays pending and the next periodic notification answers
    it. Periodic notifications reach the consumer only when it asked for
    ``progress_notify``.

Failover
    If the stream fails with a transient error (the member died, lost its
    leader: ``hasleader`` makes etcd cancel such streams) or ends, the reader
    rotates to the next endpoint and re-creates the watch from ``next``,
    transparently, for up to ``reconnect_for`` seconds. If ``next`` has been
    compacted meanwhile the watcher ends with WatchClosedError(``next``): the
    consumer's new watch then gets CompactedError and relists.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import Callable
from typing import Any

import grpc
import grpc.aio
from aetcd.rpc import rpc_pb2

from kubeling.storage.errors import CompactedError, StoreUnavailableError, WatchClosedError
from kubeling.storage.etcd.client import REQUIRE_LEADER, EtcdClient, Failure, classify
from kubeling.storage.etcd.codec import watch_event
from kubeling.storage.interface import EventType, Watcher, WatchEvent

__all__ = ["EtcdWatcher", "probe_compaction"]

_CONTROL_WATCH_ID = -1


class _Compacted(Exception):
    def __init__(self, compact_revision: int) -> None:
        super().__init__(f"compacted at {compact_revision}")
        self.compact_revision = compact_revision


class _Broken(Exception):
    """The stream ended or was cancelled by etcd for a reason worth a retry."""


def _create_request(key: bytes, range_end: bytes, start_revision: int) -> Any:
    return rpc_pb2.WatchRequest(
        create_request=rpc_pb2.WatchCreateRequest(
            key=key,
            range_end=range_end,
            start_revision=start_revision,
            prev_kv=True,
            progress_notify=True,
        )
    )


_PROGRESS_REQUEST = rpc_pb2.WatchRequest(progress_request=rpc_pb2.WatchProgressRequest())


class EtcdWatcher(Watcher):
    """A Watcher over one etcd Watch stream (see the module docstring)."""

    def __init__(
        self,
        client: EtcdClient,
        key: bytes,
        range_end: bytes,
        *,
        start_revision: int,
        progress_notify: bool,
        buffer_size: int,
        on_done: Callable[[EtcdWatcher], None],
        reconnect_for: float = 30.0,
    ) -> None:
        self._client = client
        self._key = key
        self._range_end = range_end
        self._next = start_revision
        self._progress_notify = progress_notify
        self._buffer_size = buffer_size
        self._on_done = on_done
        self._reconnect_for = reconnect_for
        self._queue: collections.deque[WatchEvent] = collections.deque()
        self._wakeup = asyncio.Event()
        self._ended: WatchClosedError | None = None
        self._closed = False
        self._call: Any = None
        self._index = 0
        self._watch_id = 0
        self._synced = False
        # Set once etcd has replayed this watch up to the revision it was
        # created at; until then a compaction past its start would cancel it.
        self._caught_up = asyncio.Event()
        self._created_at = 0.0
        self._created_revision = 0
        self._pending_progress = False
        self._write_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    # -- consumer side -------------------------------------------------------

    async def __anext__(self) -> WatchEvent:
        while True:
            if self._closed:
                raise StopAsyncIteration
            if self._queue:
                return self._queue.popleft()
            if self._ended is not None:
                raise self._ended
            self._wakeup.clear()
            await self._wakeup.wait()

    async def request_progress(self) -> None:
        self._pending_progress = True
        call = self._call
        if call is not None and self._ended is None:
            with contextlib.suppress(grpc.aio.AioRpcError, asyncio.InvalidStateError):
                async with self._write_lock:
                    await call.write(_PROGRESS_REQUEST)
            # If the write failed the stream is broken: the reconnect resends.

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._wakeup.set()
        await self._stop()

    async def shutdown(self, message: str) -> None:
        """End the watch with WatchClosedError (the store is closing)."""
        self._end(WatchClosedError(message, self._next))
        await self._stop()

    async def wait_caught_up(self, *, grace: float = 1.0) -> None:
        """Wait (at most ``grace`` s after creation) until etcd replayed this watch.

        etcd cancels a watch that is still replaying history when a compaction
        passes its start; the store's ``compact`` waits on this first. etcd
        catches new watchers up every 100 ms, so the grace period covers it
        even when no event or notification proves it.
        """
        remaining = self._created_at + grace - asyncio.get_running_loop().time()
        if remaining > 0 and not self._caught_up.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._caught_up.wait(), remaining)

    # -- lifecycle -----------------------------------------------------------

    async def start(self) -> None:
        """Create the watch; raises CompactedError or StoreUnavailableError."""
        requested = self._next
        for attempt in range(self._client.attempts):
            try:
                call = await self._open()
            except _Compacted as err:
                raise CompactedError(requested, err.compact_revision) from err
            except (grpc.aio.AioRpcError, _Broken, TimeoutError) as err:
                if isinstance(err, grpc.aio.AioRpcError) and classify(err) is not Failure.TRANSIENT:
                    raise StoreUnavailableError(f"etcd watch failed: {err.details()}") from err
                self._client.rotate(self._index)
                if attempt == self._client.attempts - 1:
                    raise StoreUnavailableError(f"etcd watch could not be created: {err}") from err
                await asyncio.sleep(self._client.backoff(attempt))
            else:
                self._task = asyncio.create_task(self._run(call), name="etcd-watch")
                return

    async def _stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        call, self._call = self._call, None
        if call is not None:
            call.cancel()
        self._on_done(self)

    def _end(self, error: WatchClosedError) -> None:
        if self._ended is None and not self._closed:
            self._ended = error
            self._wakeup.set()
            self._on_done(self)

    async def _open(self) -> Any:
        """Open a stream on the current endpoint and create the watch."""
        stubs = self._client.stubs()
        self._index = stubs.index
        call = stubs.watch.Watch(metadata=REQUIRE_LEADER)
        try:
            await call.write(_create_request(self._key, self._range_end, self._next))
            response = await asyncio.wait_for(call.read(), self._client.timeout)
            if response is grpc.aio.EOF:
                raise _Broken("the watch stream ended before the watch was created")
            if response.compact_revision > 0:
                raise _Compacted(int(response.compact_revision))
            if not response.created or response.canceled:
                raise _Broken(f"etcd did not create the watch: {response.cancel_reason}")
            self._client.observe(response.header)
            current = int(response.header.revision)
            if self._next == 0:
                self._next = current + 1
            self._synced = self._next > current
            if not self._created_revision:
                self._created_revision = current
                self._created_at = asyncio.get_running_loop().time()
            if self._synced:
                self._caught_up.set()
            self._watch_id = int(response.watch_id)
            if self._pending_progress:
                await call.write(_PROGRESS_REQUEST)
        except BaseException:
            call.cancel()
            raise
        self._call = call
        return call

    async def _run(self, call: Any) -> None:
        try:
            while call is not None:
                try:
                    await self._pump(call)
                except _Compacted as err:
                    self._end(
                        WatchClosedError(
                            f"watch resume revision {self._next} was compacted "
                            f"(at {err.compact_revision})",
                            self._next,
                        )
                    )
                    return
                except grpc.aio.AioRpcError as err:
                    if classify(err) is not Failure.TRANSIENT:
                        message = f"etcd watch failed: {err.details()}"
                        self._end(WatchClosedError(message, self._next))
                        return
                except _Broken:
                    pass
                finally:
                    call.cancel()
                    self._call = None
                if self._ended is not None or self._closed:
                    return
                call = await self._reconnect()
        finally:
            if self._call is not None:
                self._call.cancel()
                self._call = None

    async def _reconnect(self) -> Any:
        """Re-create the watch from ``next`` through the next endpoints."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._reconnect_for
        attempt = 0
        while True:
            self._client.rotate(self._index)
            await asyncio.sleep(self._client.backoff(attempt))
            attempt += 1
            try:
                return await self._open()
            except _Compacted as err:
                self._end(
                    WatchClosedError(
                        f"watch resume revision {self._next} was compacted "
                        f"(at {err.compact_revision})",
                        self._next,
                    )
                )
                return None
            except StoreUnavailableError as err:  # the store was closed
                self._end(WatchClosedError(str(err), self._next))
                return None
            except (grpc.aio.AioRpcError, _Broken, TimeoutError) as err:
                fatal = isinstance(err, grpc.aio.AioRpcError) and (
                    classify(err) is not Failure.TRANSIENT
                )
                if fatal or loop.time() > deadline:
                    self._end(WatchClosedError(f"etcd watch lost: {err}", self._next))
                    return None

    async def _pump(self, call: Any) -> None:
        """Read responses until the stream breaks (raises) or the watch ends."""
        while True:
            response = await call.read()
            if response is grpc.aio.EOF:
                raise _Broken("the watch stream ended")
            if response.compact_revision > 0:
                raise _Compacted(int(response.compact_revision))
            if response.canceled:
                raise _Broken(f"etcd cancelled the watch: {response.cancel_reason}")
            if response.created:
                continue
            self._client.observe(response.header)
            if response.events:
                if not self._deliver(response.events):
                    return
            else:
                self._progress(int(response.watch_id), int(response.header.revision))

    def _deliver(self, events: Any) -> bool:
        for raw in events:
            event = watch_event(raw)
            if event.revision < self._next:
                continue  # already delivered before a reconnect
            if len(self._queue) >= self._buffer_size:
                self._end(WatchClosedError("watcher fell behind", event.revision))
                return False
            self._queue.append(event)
            self._next = event.revision + 1
            if event.revision >= self._created_revision:
                self._caught_up.set()
        self._wakeup.set()
        return True

    def _progress(self, watch_id: int, revision: int) -> None:
        periodic = watch_id != _CONTROL_WATCH_ID
        if periodic:
            self._synced = True  # etcd notifies synced watchers only
            self._caught_up.set()
        if not self._synced:
            return  # an answer that may overtake events: wait for a periodic one
        self._next = max(self._next, revision + 1)
        if self._pending_progress or (periodic and self._progress_notify):
            self._pending_progress = False
            self._queue.append(WatchEvent(EventType.PROGRESS, "", revision, None, None))
            self._wakeup.set()


async def probe_compaction(client: EtcdClient) -> int:
    """etcd's compacted revision, learnt from a watch created at revision 1.

    Call only when revision 1 is known to be compacted: etcd then answers the
    watch with ``compact_revision`` (within its 100 ms sync loop).
    """
    for attempt in range(client.attempts):
        stubs = client.stubs()
        call = stubs.watch.Watch(metadata=REQUIRE_LEADER)
        try:
            await call.write(_create_request(b"\x00", b"", 1))
            async with asyncio.timeout(client.timeout):
                while True:
                    response = await call.read()
                    if response is grpc.aio.EOF:
                        raise _Broken("the watch stream ended")
                    if response.compact_revision > 0:
                        return int(response.compact_revision)
                    if response.canceled:
                        raise _Broken(f"etcd cancelled the watch: {response.cancel_reason}")
        except (grpc.aio.AioRpcError, _Broken, TimeoutError) as err:
            if isinstance(err, grpc.aio.AioRpcError) and classify(err) is not Failure.TRANSIENT:
                raise StoreUnavailableError(f"etcd watch failed: {err.details()}") from err
            client.rotate(stubs.index)
            if attempt == client.attempts - 1:
                message = f"cannot read etcd's compacted revision: {err}"
                raise StoreUnavailableError(message) from err
            await asyncio.sleep(client.backoff(attempt))
        finally:
            call.cancel()
    raise AssertionError("unreachable")
