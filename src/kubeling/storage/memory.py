"""``memory://``: the reference model of the store.

Deliberately simple rather than fast: the state at any revision is the
compacted base plus the event log replayed up to that revision. The
conformance suite and the property tests hold every other backend to what this
one does, so clarity matters more here than anywhere else.
"""

from __future__ import annotations

import bisect
import builtins

from kubeling.storage.errors import (
    CompactedError,
    FutureRevisionError,
    KeyExistsError,
    KeyNotFoundError,
)
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
from kubeling.storage.keys import (
    check_key,
    check_value,
    encode_continue,
    list_start,
)
from kubeling.storage.watch_hub import WatchHub

__all__ = ["MemoryStore"]


class MemoryStore(Store):
    """An in-memory store with full history until compacted."""

    def __init__(self, *, watch_buffer: int = 4096, progress_interval: float = 5.0) -> None:
        self._revision = 1
        self._compacted = 0
        self._current: dict[str, KeyValue] = {}
        # The state as of just before the oldest event kept in _log.
        self._base: dict[str, KeyValue] = {}
        self._log: list[WatchEvent] = []
        self._hub = WatchHub(
            revision=1,
            history=self._history,
            buffer_size=watch_buffer,
            progress_interval=progress_interval,
        )

    # -- reads ---------------------------------------------------------------

    def _check_revision(self, revision: int) -> int:
        if revision == 0:
            return self._revision
        if revision < self._compacted:
            raise CompactedError(revision, self._compacted)
        if revision > self._revision:
            raise FutureRevisionError(revision, self._revision)
        return revision

    def _state_at(self, revision: int) -> dict[str, KeyValue]:
        if revision == self._revision:
            return self._current
        state = dict(self._base)
        for event in self._log:
            if event.revision > revision:
                break
            if event.kv is None:
                state.pop(event.key, None)
            else:
                state[event.key] = event.kv
        return state

    async def get(self, key: str, *, revision: int = 0) -> KeyValue | None:
        check_key(key)
        return self._state_at(self._check_revision(revision)).get(key)

    async def list(
        self,
        prefix: str,
        *,
        revision: int = 0,
        limit: int = 0,
        continue_token: str | None = None,
    ) -> ListResult:
        revision, start = list_start(prefix, revision, continue_token)
        at = self._check_revision(revision)
        state = self._state_at(at)
        keys = sorted((k for k in state if k.startswith(prefix)), key=lambda k: k.encode())
        first = bisect.bisect_left([k.encode() for k in keys], start.encode())
        page = keys[first:]
        token = None
        if limit > 0 and len(page) > limit:
            token = encode_continue(at, page[limit], prefix)
            remaining = len(page) - limit
            page = page[:limit]
        else:
            remaining = 0
        return ListResult([state[k] for k in page], at, token, remaining)

    async def count(self, prefix: str) -> int:
        check_key(prefix)
        return sum(1 for k in self._current if k.startswith(prefix))

    async def current_revision(self) -> int:
        return self._revision

    async def compacted_revision(self) -> int:
        return self._compacted

    # -- writes --------------------------------------------------------------

    def _commit(self, event_type: EventType, key: str, kv: KeyValue | None) -> WatchEvent:
        prev = self._current.get(key)
        if kv is None:
            del self._current[key]
        else:
            self._current[key] = kv
        event = WatchEvent(event_type, key, self._revision, kv, prev)
        self._log.append(event)
        self._hub.publish([event])
        return event

    async def create(self, key: str, value: bytes) -> KeyValue:
        check_key(key)
        check_value(value)
        if key in self._current:
            raise KeyExistsError(key)
        self._revision += 1
        kv = KeyValue(key, bytes(value), self._revision, self._revision, 1)
        self._commit(EventType.ADDED, key, kv)
        return kv

    def _existing(self, key: str, preconditions: Preconditions | None) -> KeyValue:
        current = self._current.get(key)
        if current is None:
            raise KeyNotFoundError(key)
        if preconditions is not None:
            preconditions.check(current)
        return current

    async def update(
        self, key: str, value: bytes, *, preconditions: Preconditions | None = None
    ) -> KeyValue:
        check_key(key)
        check_value(value)
        current = self._existing(key, preconditions)
        self._revision += 1
        kv = KeyValue(
            key, bytes(value), current.create_revision, self._revision, current.version + 1
        )
        self._commit(EventType.MODIFIED, key, kv)
        return kv

    async def delete(self, key: str, *, preconditions: Preconditions | None = None) -> DeleteResult:
        check_key(key)
        current = self._existing(key, preconditions)
        self._revision += 1
        self._commit(EventType.DELETED, key, None)
        return DeleteResult(current, self._revision)

    async def compact(self, revision: int) -> None:
        if revision <= self._compacted:
            raise CompactedError(revision, self._compacted)
        if revision > self._revision:
            raise FutureRevisionError(revision, self._revision)
        keep = 0
        while keep < len(self._log) and self._log[keep].revision < revision:
            event = self._log[keep]
            if event.kv is None:
                self._base.pop(event.key, None)
            else:
                self._base[event.key] = event.kv
            keep += 1
        del self._log[:keep]
        self._compacted = revision

    # -- watch ---------------------------------------------------------------

    async def _history(
        self, key: str, prefix: bool, first: int, last: int
    ) -> builtins.list[WatchEvent]:
        if first < self._compacted:
            raise CompactedError(first, self._compacted)
        return [
            e
            for e in self._log
            if first <= e.revision <= last and (e.key.startswith(key) if prefix else e.key == key)
        ]

    async def watch(
        self,
        key: str,
        *,
        prefix: bool = False,
        start_revision: int = 0,
        progress_notify: bool = False,
    ) -> Watcher:
        check_key(key)
        if 0 < start_revision < self._compacted:
            raise CompactedError(start_revision, self._compacted)
        return await self._hub.watch(
            key, prefix=prefix, start_revision=start_revision, progress_notify=progress_notify
        )

    async def close(self) -> None:
        self._hub.close()
