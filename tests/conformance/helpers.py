"""Helpers shared by the store conformance suite.

``open_backend`` opens a fresh store of one backend by name (importing the
backend only then, so a missing backend fails only its own tests), and
``Recorder`` performs writes while recording the watch events they must
produce, so watch tests compare against an independently kept history.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from kubeling.storage import (
    EventType,
    KeyValue,
    Store,
    Watcher,
    WatchEvent,
)

__all__ = [
    "BACKENDS",
    "Recorder",
    "close_store",
    "next_event",
    "open_backend",
    "read_until",
]

BACKENDS = ("memory", "sqlite", "etcd")

EVENT_TIMEOUT = 10.0
"""Seconds to wait for one watch event before the test fails."""

_closed: set[int] = set()


async def open_backend(name: str, workdir: Path, etcd_endpoint: str | None = None) -> Store:
    """Open a store of backend ``name``; the caller owns closing it."""
    if name == "memory":
        from kubeling.storage.memory import MemoryStore

        return MemoryStore()
    if name == "sqlite":
        from kubeling.storage.sqlite import SqliteStore

        return await SqliteStore.open(str(workdir / "state.db"))
    if name == "etcd":
        from kubeling.storage.etcd import EtcdStore

        assert etcd_endpoint is not None, "the etcd backend needs a member"
        return await EtcdStore.open([etcd_endpoint])
    raise AssertionError(f"unknown backend {name!r}")


async def close_store(store: Store) -> None:
    """Close ``store`` once (the fixture's teardown skips stores closed here)."""
    if id(store) not in _closed:
        _closed.add(id(store))
        await store.close()


def forget_closed(store: Store) -> None:
    _closed.discard(id(store))


async def next_event(watcher: Watcher, within: float = EVENT_TIMEOUT) -> WatchEvent:
    """The watcher's next event; fail the test if none comes ``within`` seconds."""
    try:
        return await asyncio.wait_for(anext(watcher), within)
    except TimeoutError:
        raise AssertionError(f"no watch event within {within} s") from None


async def read_until(
    watcher: Watcher, revision: int, within: float = EVENT_TIMEOUT
) -> list[WatchEvent]:
    """Every event up to and including the first with revision >= ``revision``."""
    events: list[WatchEvent] = []
    while True:
        event = await next_event(watcher, within)
        events.append(event)
        if event.revision >= revision:
            return events


class Recorder:
    """Writes to a store and records the events a watch must deliver for them."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.events: list[WatchEvent] = []
        self.current: dict[str, KeyValue] = {}

    async def create(self, key: str, value: bytes) -> KeyValue:
        kv = await self.store.create(key, value)
        self.events.append(WatchEvent(EventType.ADDED, key, kv.mod_revision, kv, None))
        self.current[key] = kv
        return kv

    async def update(self, key: str, value: bytes) -> KeyValue:
        kv = await self.store.update(key, value)
        prev = self.current[key]
        self.events.append(WatchEvent(EventType.MODIFIED, key, kv.mod_revision, kv, prev))
        self.current[key] = kv
        return kv

    async def delete(self, key: str) -> int:
        result = await self.store.delete(key)
        self.events.append(
            WatchEvent(EventType.DELETED, key, result.revision, None, result.prev_kv)
        )
        del self.current[key]
        return result.revision

    def expected(self, key: str, *, prefix: bool, start: int) -> list[WatchEvent]:
        """The recorded events a watch of ``key`` from ``start`` must deliver."""
        return [
            e
            for e in self.events
            if e.revision >= start and (e.key.startswith(key) if prefix else e.key == key)
        ]
