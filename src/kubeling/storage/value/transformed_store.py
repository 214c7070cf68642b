"""A store that keeps one resource's values transformed at rest (encrypted).

Kubernetes gives each resource's etcd storage the transformer its
EncryptionConfiguration names; :class:`TransformedStore` is that for one
storage prefix: it wraps the shared store and is what the resource's
``ResourceStore`` and watch cache use, so every way a value comes out of the
store (get, list, watch events and their previous values, a conflict's
current value, a delete's last value) is decrypted, and every value written
is encrypted with the first provider. Resources without a transformer use
the shared store itself, at no cost.

The authenticated context of a value is its key. Values read with an older
key come back marked ``stale``, so that ``guaranteed_update`` writes them
again even when nothing changed (key rotation by ``kubectl replace``).

Preconditions on ``metadata.uid`` need the decrypted value: they are checked
here on a read, then passed on as a revision precondition.
"""

from __future__ import annotations

from typing import Self

from kubeling.storage.errors import ConflictError, KeyNotFoundError, TransformError
from kubeling.storage.interface import (
    DeleteResult,
    EventType,
    KeyValue,
    ListResult,
    Preconditions,
    Store,
    Watcher,
    WatchEvent,
)
from kubeling.storage.value.transformer import Transformer, TransformFailure

__all__ = ["TransformedStore"]


class TransformedStore(Store):
    """``inner`` with every value under it passed through ``transformer``."""

    def __init__(self, inner: Store, transformer: Transformer) -> None:
        self._inner = inner
        self._transformer = transformer

    # -- values ----------------------------------------------------------------

    def _read(self, kv: KeyValue, *, listing: bool = False) -> KeyValue:
        try:
            value, stale = self._transformer.from_storage(kv.value, kv.key.encode())
        except TransformFailure as failure:
            raise TransformError(kv.key, str(failure), listing=listing) from None
        return KeyValue(kv.key, value, kv.create_revision, kv.mod_revision, kv.version, stale)

    def _read_optional(self, kv: KeyValue | None) -> KeyValue | None:
        return None if kv is None else self._read(kv)

    def _write(self, key: str, value: bytes) -> bytes:
        return self._transformer.to_storage(value, key.encode())

    @staticmethod
    def _written(kv: KeyValue, value: bytes) -> KeyValue:
        """The stored key, with the value as the caller gave it."""
        return KeyValue(kv.key, value, kv.create_revision, kv.mod_revision, kv.version)

    async def _revision_preconditions(
        self, key: str, preconditions: Preconditions | None
    ) -> Preconditions | None:
        """A uid precondition checked on the decrypted value, as a revision one."""
        if preconditions is None or preconditions.uid is None:
            return preconditions
        current = await self.get(key)
        if current is None:
            raise KeyNotFoundError(key)
        preconditions.check(current)
        return Preconditions(mod_revision=preconditions.mod_revision or current.mod_revision)

    # -- Store -----------------------------------------------------------------

    async def create(self, key: str, value: bytes) -> KeyValue:
        return self._written(await self._inner.create(key, self._write(key, value)), value)

    async def get(self, key: str, *, revision: int = 0) -> KeyValue | None:
        return self._read_optional(await self._inner.get(key, revision=revision))

    async def list(
        self,
        prefix: str,
        *,
        revision: int = 0,
        limit: int = 0,
        continue_token: str | None = None,
    ) -> ListResult:
        page = await self._inner.list(
            prefix, revision=revision, limit=limit, continue_token=continue_token
        )
        return ListResult(
            [self._read(kv, listing=True) for kv in page.kvs],
            page.revision,
            page.continue_token,
            page.remaining,
        )

    async def count(self, prefix: str) -> int:
        return await self._inner.count(prefix)

    async def update(
        self, key: str, value: bytes, *, preconditions: Preconditions | None = None
    ) -> KeyValue:
        preconditions = await self._revision_preconditions(key, preconditions)
        try:
            kv = await self._inner.update(key, self._write(key, value), preconditions=preconditions)
        except ConflictError as conflict:
            conflict.current = self._read(conflict.current)
            raise
        return self._written(kv, value)

    async def delete(self, key: str, *, preconditions: Preconditions | None = None) -> DeleteResult:
        preconditions = await self._revision_preconditions(key, preconditions)
        try:
            deleted = await self._inner.delete(key, preconditions=preconditions)
        except ConflictError as conflict:
            conflict.current = self._read(conflict.current)
            raise
        return DeleteResult(self._read(deleted.prev_kv), deleted.revision)

    async def watch(
        self,
        key: str,
        *,
        prefix: bool = False,
        start_revision: int = 0,
        progress_notify: bool = False,
    ) -> Watcher:
        inner = await self._inner.watch(
            key, prefix=prefix, start_revision=start_revision, progress_notify=progress_notify
        )
        return _TransformedWatcher(inner, self)

    async def current_revision(self) -> int:
        return await self._inner.current_revision()

    async def compact(self, revision: int) -> None:
        await self._inner.compact(revision)

    async def compacted_revision(self) -> int:
        return await self._inner.compacted_revision()

    async def close(self) -> None:
        """The shared store is closed by its owner, not by one resource's view of it."""

    def read_event(self, event: WatchEvent) -> WatchEvent:
        """``event`` with its values decrypted (TransformError if one cannot be)."""
        if event.type is EventType.PROGRESS:
            return event
        return WatchEvent(
            event.type,
            event.key,
            event.revision,
            self._read_optional(event.kv),
            self._read_optional(event.prev_kv),
        )


class _TransformedWatcher(Watcher):
    """A store watch whose events come out decrypted."""

    def __init__(self, inner: Watcher, store: TransformedStore) -> None:
        self._inner = inner
        self._store = store

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> WatchEvent:
        return self._store.read_event(await self._inner.__anext__())

    async def request_progress(self) -> None:
        await self._inner.request_progress()

    async def close(self) -> None:
        await self._inner.close()
