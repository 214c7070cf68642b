"""EtcdStore: the Store interface as etcd v3 Range, Txn, DeleteRange and Compact.

etcd's MVCC *is* the store's model (fresh store at revision 1, +1 per write,
create/mod revision and version, reads at a revision, compaction), so each
method is one request, shaped exactly:

- ``create``: ``Txn(if create_revision(key) == 0 then Put else Range)``; a
  failed compare is KeyExistsError.
- ``update``: without preconditions ``Txn(if create_revision(key) > 0 then
  Put(prev_kv))`` (the returned KeyValue is built from ``prev_kv`` and the
  header revision); with preconditions ``Txn(if mod_revision(key) == M then
  Put(prev_kv) else Range)``, M being the expected mod_revision (plus
  ``create_revision(key) > 0``: etcd compares a missing key as zeros). A uid
  precondition needs the value, so the key is read first, checked with
  ``Preconditions.check`` and the write is conditioned on the mod_revision
  read; when only a uid was given and an unrelated write won the race, the
  value from the else-branch is checked again and the write retried (the
  semantics of an atomic check). A failed compare is ConflictError carrying
  the else-branch value, or KeyNotFoundError if the key is gone.
- ``delete``: the same shapes with ``DeleteRange(prev_kv)``; the result is
  the deleted value and the header revision.
- ``get``/``list``/``count``: ``Range`` at the revision (0: linearizable read
  of now), ``limit + 1`` keys so the continue token names the real next key
  (keys.encode_continue; later pages read at the first page's revision, one
  consistent snapshot), ``count`` (etcd counts the whole range regardless of
  limit) gives ``remaining``; ``count`` uses ``count_only``.
- ``current_revision``: the header revision of a one-key ``count_only`` Range.
- ``compact(N)``: ``Compact(N - 1, physical=True)``, so that the history is
  gone on the member when it returns. One revision lower than asked because
  etcd reads an event's ``prev_kv`` at the revision before the event: the
  event at N, which the interface keeps watchable, keeps its previous value.
  Reads and watches below N are refused by the store itself. Before
  compacting, the store lets its own watchers that are still replaying
  history catch up (etcd would cancel them otherwise). An open store also
  compacts on its own every 5 minutes, taking turns with the other servers
  on the same etcd (``compactor``).

Compacted revision
    etcd does not expose it. ``compacted_revision`` reads at revision 1: if
    that succeeds nothing was compacted in etcd (returns 0, or the revision of
    a compaction made through this store, e.g. ``compact(2)``). If it fails
    with "compacted", a watch created at revision 1 is answered by etcd with
    the exact ``compact_revision`` C (watch.probe_compaction), and the store's
    compacted revision is C + 1. CompactedError carries that value. (A
    compaction made with ``etcdctl compact C`` thus shows as C + 1: one
    readable revision is given up, nothing is served that is gone.)

Retried writes (client.py)
    A write that failed ambiguously (e.g. a timeout during a leader election)
    is retried and may then fail its compare *because the first attempt was
    applied*. The store recognises its own success: a create that meets an
    existing key holding exactly the bytes it wrote, at version 1; an update
    with an expected mod_revision that meets a newer value holding exactly its
    bytes; an update without preconditions is retried as ``Txn(if the key
    exists and its value differs then Put else Range)``, so it is not applied
    twice (for values up to 512 KiB; a larger one may be written twice, which
    an unconditional update allows); a delete that meets no key finds the
    delete in the history
    (binary search over Range at revisions since the key was last seen) and
    returns it. Only a concurrent writer of identical bytes is
    indistinguishable from our own write, and for Kubernetes objects (which
    carry a uid and timestamps) that is the same write.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
from typing import Any, NoReturn

import grpc.aio
from aetcd.rpc import rpc_pb2

from kubeling.storage.errors import (
    CompactedError,
    FutureRevisionError,
    KeyExistsError,
    KeyNotFoundError,
    StoreError,
    ValueTooLargeError,
    WatchClosedError,
)
from kubeling.storage.etcd import compactor
from kubeling.storage.etcd.client import AfterAmbiguousAttempt, EtcdClient, Failure, classify
from kubeling.storage.etcd.codec import (
    compare_create,
    compare_mod,
    delete_op,
    key_value,
    put_op,
    range_op,
)
from kubeling.storage.etcd.watch import EtcdWatcher, probe_compaction
from kubeling.storage.interface import (
    MAX_VALUE_BYTES,
    DeleteResult,
    KeyValue,
    ListResult,
    Preconditions,
    Store,
    Watcher,
)
from kubeling.storage.keys import (
    check_key,
    check_value,
    encode_continue,
    list_start,
    prefix_end,
)

__all__ = ["EtcdStore"]

_EQUAL = rpc_pb2.Compare.EQUAL
_GREATER = rpc_pb2.Compare.GREATER
_ANY_KEY = b"\x00"  # a key no store key can be (they start with "/")
_MAX_RETRY_COMPARE_BYTES = 512 * 1024
"""A retried update compares the value, so it carries it twice: only when the
request stays below etcd's default 1.5 MiB limit."""


class EtcdStore(Store):
    """The store on an etcd v3 cluster (see the module docstring)."""

    def __init__(self, client: EtcdClient, *, watch_buffer: int) -> None:
        self._client = client
        self._watch_buffer = watch_buffer
        self._compacted = 0
        self._watchers: set[EtcdWatcher] = set()
        self._auto_compact: asyncio.Task[None] | None = None

    @classmethod
    async def open(
        cls,
        endpoints: list[str],
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 (each request's deadline, not a cancel scope)
        watch_buffer: int = 4096,
        auto_compact_interval: float | None = compactor.DEFAULT_INTERVAL,
    ) -> EtcdStore:
        """Connect to ``endpoints`` ("host:port"); raises StoreUnavailableError.

        ``timeout`` is the deadline of each attempt of each request. Every
        ``auto_compact_interval`` seconds (None: never) the store takes its turn at
        compacting etcd with the other servers sharing it (:mod:`.compactor`).
        """
        if auto_compact_interval is not None and auto_compact_interval <= 0:
            raise ValueError("auto_compact_interval must be positive or None")
        store = cls(EtcdClient(endpoints, timeout=timeout), watch_buffer=watch_buffer)
        try:
            await store.current_revision()
        except BaseException:
            await store._client.close()
            raise
        if auto_compact_interval is not None:
            store._auto_compact = asyncio.create_task(
                compactor.compact_every(store._client, auto_compact_interval, store.compact),
                name="kubeling-etcd-auto-compact",
            )
        return store

    # -- error mapping -------------------------------------------------------

    async def _raise(
        self, err: grpc.aio.AioRpcError, *, revision: int = 0, size: int = 0
    ) -> NoReturn:
        """Raise the most specific StoreError for ``err``, chained."""
        kind = classify(err)
        if kind is Failure.COMPACTED:
            raise CompactedError(revision, await self.compacted_revision()) from err
        if kind is Failure.FUTURE_REVISION:
            raise FutureRevisionError(revision, await self.current_revision()) from err
        if kind is Failure.TOO_LARGE:
            raise ValueTooLargeError(size, MAX_VALUE_BYTES) from err
        raise StoreError(f"etcd: {err.code().name}: {err.details()}") from err

    async def _call(
        self, method: str, request: Any, *, write: bool = False, revision: int = 0, size: int = 0
    ) -> tuple[Any, bool]:
        try:
            return await self._client.call(method, request, write=write)
        except grpc.aio.AioRpcError as err:
            await self._raise(err, revision=revision, size=size)
        except AfterAmbiguousAttempt as wrapped:
            await self._raise(wrapped.error, revision=revision, size=size)

    async def _range(self, request: Any, revision: int) -> Any:
        response, _ = await self._call("Range", request, revision=revision)
        return response

    # -- reads ---------------------------------------------------------------

    async def get(self, key: str, *, revision: int = 0) -> KeyValue | None:
        check_key(key)
        self._check_compacted(revision)
        response = await self._range(
            rpc_pb2.RangeRequest(key=key.encode(), revision=revision), revision
        )
        return key_value(response.kvs[0]) if response.kvs else None

    async def list(
        self,
        prefix: str,
        *,
        revision: int = 0,
        limit: int = 0,
        continue_token: str | None = None,
    ) -> ListResult:
        revision, start = list_start(prefix, revision, continue_token)
        self._check_compacted(revision)
        request = rpc_pb2.RangeRequest(
            key=start.encode(),
            range_end=prefix_end(prefix),
            revision=revision,
            limit=limit + 1 if limit > 0 else 0,
        )
        response = await self._range(request, revision)
        at = revision or int(response.header.revision)
        kvs = [key_value(kv) for kv in response.kvs]
        if limit > 0 and len(kvs) > limit:
            token = encode_continue(at, kvs[limit].key, prefix)
            return ListResult(kvs[:limit], at, token, int(response.count) - limit)
        return ListResult(kvs, at, None, 0)

    async def count(self, prefix: str) -> int:
        check_key(prefix)
        request = rpc_pb2.RangeRequest(
            key=prefix.encode(), range_end=prefix_end(prefix), count_only=True
        )
        return int((await self._range(request, 0)).count)

    async def current_revision(self) -> int:
        request = rpc_pb2.RangeRequest(key=_ANY_KEY, count_only=True)
        response, _ = await self._client.call("Range", request)
        return int(response.header.revision)

    async def compacted_revision(self) -> int:
        request = rpc_pb2.RangeRequest(key=_ANY_KEY, revision=1, count_only=True)
        try:
            await self._client.call("Range", request)
        except grpc.aio.AioRpcError as err:
            if classify(err) is not Failure.COMPACTED:
                await self._raise(err)
            # etcd is compacted one revision below ours (see compact).
            self._compacted = max(self._compacted, await probe_compaction(self._client) + 1)
        return self._compacted

    def _check_compacted(self, revision: int) -> None:
        """Refuse reads below our compaction that etcd (one revision lower) still serves."""
        if 0 < revision < self._compacted:
            raise CompactedError(revision, self._compacted)

    # -- writes --------------------------------------------------------------

    async def _txn(
        self,
        compare: builtins.list[Any],
        success: Any,
        failure: builtins.list[Any],
        *,
        size: int = 0,
    ) -> tuple[Any, bool]:
        request = rpc_pb2.TxnRequest(compare=compare, success=[success], failure=failure)
        return await self._call("Txn", request, write=True, size=size)

    async def create(self, key: str, value: bytes) -> KeyValue:
        check_key(key)
        check_value(value)
        raw, value = key.encode(), bytes(value)
        response, ambiguous = await self._txn(
            [compare_create(raw, _EQUAL, 0)], put_op(raw, value), [range_op(raw)], size=len(value)
        )
        revision = int(response.header.revision)
        if response.succeeded:
            return KeyValue(key, value, revision, revision, 1)
        current = self._txn_range(response)
        if ambiguous and current is not None and current.value == value and current.version == 1:
            return current  # our first attempt was applied
        raise KeyExistsError(key)

    @staticmethod
    def _guard(raw: bytes, mod_revision: int) -> builtins.list[Any]:
        """The key exists and was last written at ``mod_revision``.

        etcd compares a missing key as all zeros, so ``mod_revision == 0``
        alone would hold for a missing key: existence is compared too.
        """
        return [compare_create(raw, _GREATER, 0), compare_mod(raw, mod_revision)]

    @staticmethod
    def _txn_range(response: Any) -> KeyValue | None:
        """The value read by a failed Txn's else-branch Range."""
        kvs = response.responses[0].response_range.kvs if response.responses else []
        return key_value(kvs[0]) if kvs else None

    async def update(
        self, key: str, value: bytes, *, preconditions: Preconditions | None = None
    ) -> KeyValue:
        check_key(key)
        check_value(value)
        raw, value = key.encode(), bytes(value)
        if preconditions is None or (
            preconditions.mod_revision is None and preconditions.uid is None
        ):
            return await self._update_unconditionally(key, raw, value)
        current = await self._read_for(key, preconditions)
        while True:
            expected = preconditions.mod_revision if current is None else current.mod_revision
            assert expected is not None
            response, ambiguous = await self._txn(
                self._guard(raw, expected), put_op(raw, value), [range_op(raw)], size=len(value)
            )
            if response.succeeded:
                return self._put_result(key, value, response)
            current = self._txn_range(response)
            if current is None:
                raise KeyNotFoundError(key)
            if ambiguous and current.value == value and current.mod_revision > expected:
                return current  # our first attempt was applied
            preconditions.check(current)  # raises ConflictError but for a uid-only race

    async def _update_unconditionally(self, key: str, raw: bytes, value: bytes) -> KeyValue:
        exists = compare_create(raw, _GREATER, 0)
        request = rpc_pb2.TxnRequest(compare=[exists], success=[put_op(raw, value)])
        retry = None
        if len(value) <= _MAX_RETRY_COMPARE_BYTES:
            # After an ambiguous attempt: put only if our value is not there yet.
            differs = rpc_pb2.Compare(
                key=raw, target=rpc_pb2.Compare.VALUE, result=rpc_pb2.Compare.NOT_EQUAL, value=value
            )
            retry = rpc_pb2.TxnRequest(
                compare=[exists, differs], success=[put_op(raw, value)], failure=[range_op(raw)]
            )
        try:
            response, _ = await self._client.call("Txn", request, write=True, retry_request=retry)
        except grpc.aio.AioRpcError as err:
            await self._raise(err, size=len(value))
        except AfterAmbiguousAttempt as wrapped:
            await self._raise(wrapped.error, size=len(value))
        if response.succeeded:
            return self._put_result(key, value, response)
        current = self._txn_range(response)
        if current is None:
            raise KeyNotFoundError(key)
        return current  # the retry found our value: the first attempt was applied

    @staticmethod
    def _put_result(key: str, value: bytes, response: Any) -> KeyValue:
        prev = response.responses[0].response_put.prev_kv
        revision = int(response.header.revision)
        return KeyValue(key, value, int(prev.create_revision), revision, int(prev.version) + 1)

    async def _read_for(self, key: str, preconditions: Preconditions) -> KeyValue | None:
        """The current value when a uid must be checked (None: not needed)."""
        if preconditions.uid is None:
            return None
        current = await self.get(key)
        if current is None:
            raise KeyNotFoundError(key)
        preconditions.check(current)
        return current

    async def delete(self, key: str, *, preconditions: Preconditions | None = None) -> DeleteResult:
        check_key(key)
        raw = key.encode()
        if preconditions is None or (
            preconditions.mod_revision is None and preconditions.uid is None
        ):
            seen = self._client.last_revision
            request = rpc_pb2.DeleteRangeRequest(key=raw, prev_kv=True)
            response, ambiguous = await self._call("DeleteRange", request, write=True)
            if response.prev_kvs:
                return DeleteResult(key_value(response.prev_kvs[0]), int(response.header.revision))
            found = await self._find_delete(key, seen, None) if ambiguous else None
            if found is None:
                raise KeyNotFoundError(key)
            return found
        current = await self._read_for(key, preconditions)
        while True:
            expected = preconditions.mod_revision if current is None else current.mod_revision
            assert expected is not None
            response, ambiguous = await self._txn(
                self._guard(raw, expected), delete_op(raw), [range_op(raw)]
            )
            if response.succeeded:
                deleted = response.responses[0].response_delete_range.prev_kvs
                return DeleteResult(key_value(deleted[0]), int(response.header.revision))
            current = self._txn_range(response)
            if current is None:
                found = await self._find_delete(key, expected, expected) if ambiguous else None
                if found is None:
                    raise KeyNotFoundError(key)
                return found
            preconditions.check(current)

    async def _find_delete(
        self, key: str, low: int, mod_revision: int | None
    ) -> DeleteResult | None:
        """The delete of ``key`` after revision ``low`` (where it existed), if any.

        Used after an ambiguous delete found no key: binary search for the
        first revision at which the key is gone. ``mod_revision``, if given,
        is the version the delete must have removed.
        """
        try:
            if low <= 0 or await self.get(key, revision=low) is None:
                return None
            high = await self.current_revision()
            if await self.get(key, revision=high) is not None:
                return None
            while high - low > 1:
                middle = (low + high) // 2
                if await self.get(key, revision=middle) is None:
                    high = middle
                else:
                    low = middle
            prev = await self.get(key, revision=low)
        except CompactedError:
            return None
        if prev is None or (mod_revision is not None and prev.mod_revision != mod_revision):
            return None
        return DeleteResult(prev, high)

    async def compact(self, revision: int) -> None:
        compacted = await self.compacted_revision()
        if revision <= compacted:
            raise CompactedError(revision, compacted)
        current = await self.current_revision()
        if revision > current:
            raise FutureRevisionError(revision, current)
        # A watch still replaying history is cancelled by etcd when the
        # compaction passes its start; let our own watchers catch up first.
        await asyncio.gather(*(w.wait_caught_up() for w in list(self._watchers)))
        # etcd is compacted at revision - 1: etcd reads an event's prev_kv at
        # the revision before it, so the event at ``revision`` (which stays
        # readable and watchable) keeps its previous value.
        if revision - 1 >= 1:
            request = rpc_pb2.CompactionRequest(revision=revision - 1, physical=True)
            try:
                await self._client.call("Compact", request, write=True)
            except AfterAmbiguousAttempt as wrapped:
                err = wrapped.error
                if classify(err) is not Failure.COMPACTED:
                    await self._raise(err, revision=revision)
                if await self.compacted_revision() != revision:
                    await self._raise(err, revision=revision)
                # else: the first attempt was applied.
            except grpc.aio.AioRpcError as err:
                await self._raise(err, revision=revision)
        self._compacted = max(self._compacted, revision)

    # -- watch ---------------------------------------------------------------

    async def watch(
        self,
        key: str,
        *,
        prefix: bool = False,
        start_revision: int = 0,
        progress_notify: bool = False,
    ) -> Watcher:
        check_key(key)
        if self._client.closed:
            raise WatchClosedError("store is closed", start_revision)
        self._check_compacted(start_revision)
        if start_revision > 0:
            # etcd reports a compacted start revision only after "created",
            # asynchronously: check it first, synchronously.
            request = rpc_pb2.RangeRequest(key=_ANY_KEY, revision=start_revision, count_only=True)
            try:
                await self._client.call("Range", request)
            except grpc.aio.AioRpcError as err:
                if classify(err) is not Failure.FUTURE_REVISION:  # a future start is fine
                    await self._raise(err, revision=start_revision)
        watcher = EtcdWatcher(
            self._client,
            key.encode(),
            prefix_end(key) if prefix else b"",
            start_revision=start_revision,
            progress_notify=progress_notify,
            buffer_size=self._watch_buffer,
            on_done=self._watchers.discard,
        )
        await watcher.start()
        self._watchers.add(watcher)
        return watcher

    async def close(self) -> None:
        if self._auto_compact is not None:
            self._auto_compact.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._auto_compact
            self._auto_compact = None
        watchers = list(self._watchers)
        self._watchers.clear()
        await asyncio.gather(*(w.shutdown("store is closed") for w in watchers))
        await self._client.close()
