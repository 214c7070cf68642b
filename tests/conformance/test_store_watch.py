"""Conformance: watch replay, live events, prev_kv, progress and closing."""

from __future__ import annotations

import asyncio

import pytest

from kubeling.storage import (
    EventType,
    KeyValue,
    Store,
    WatchClosedError,
    Watcher,
    WatchEvent,
)
from tests.conformance.helpers import Recorder, close_store, next_event, read_until

WATCHED_KEYS = ["/w/a", "/w/b", "/w/b/c"]


async def mixed_history(store: Store) -> Recorder:
    """About 30 writes of every kind over several keys, some outside ``/w/``."""
    rec = Recorder(store)
    await rec.create("/w/a", b"a1")
    await rec.create("/w/b", b"b1")
    await rec.create("/wx", b"outside")
    await rec.update("/w/a", b"a2")
    await rec.create("/w/b/c", b"c1")
    await rec.delete("/w/b")
    await rec.update("/w/a", b"a3")
    await rec.create("/w/b", b"b2")  # re-created: new create_revision, version 1
    await rec.update("/wx", b"outside2")
    await rec.update("/w/b/c", b"c2")
    await rec.create("/v/a", b"outside")
    await rec.update("/v/a", b"outside2")
    await rec.create("/w/d", b"d1")
    for i in range(5):
        await rec.update("/w/a", f"a{4 + i}".encode())
        await rec.update("/w/b", f"b{3 + i}".encode())
    await rec.delete("/w/a")
    await rec.delete("/w/b/c")
    await rec.create("/w/a", b"a-again")
    await rec.delete("/v/a")
    await rec.update("/w/b", b"b-last")
    await rec.create("/w/b/c", b"c-again")
    await rec.delete("/w/b")
    assert len(rec.events) == 30
    return rec


async def close_all(watchers: list[Watcher]) -> None:
    for watcher in watchers:
        await watcher.close()


async def test_watch_from_every_past_revision_replays_exactly_the_later_events(
    store: Store,
) -> None:
    """A watch from each start revision delivers every matching event >= it, in order, once."""
    rec = await mixed_history(store)
    last = await store.current_revision()
    assert last == 31
    watches: list[tuple[str, bool, int, Watcher]] = []
    try:
        for start in range(1, last + 2):
            watches.append(
                ("/w/", True, start, await store.watch("/w/", prefix=True, start_revision=start))
            )
            for key in WATCHED_KEYS:
                watches.append((key, False, start, await store.watch(key, start_revision=start)))
        # One more write to every watched key, so each watch has a final event to read up to.
        for key in WATCHED_KEYS:
            if key in rec.current:
                await rec.update(key, b"sentinel")
            else:
                await rec.create(key, b"sentinel")
        for key, prefix, start, watcher in watches:
            expected = rec.expected(key, prefix=prefix, start=start)
            got = await read_until(watcher, expected[-1].revision)
            assert got == expected, f"watch {key!r} prefix={prefix} from {start}"
    finally:
        await close_all([w for *_, w in watches])


async def test_watch_from_zero_delivers_only_later_writes(store: Store) -> None:
    """start_revision=0 delivers the writes after the watch started, not the history."""
    rec = await mixed_history(store)
    prefix_watch = await store.watch("/w/", prefix=True)
    key_watch = await store.watch("/w/a")
    try:
        await rec.update("/w/a", b"next")
        await rec.create("/w/z", b"new")
        await rec.delete("/w/a")
        assert await read_until(prefix_watch, 34) == rec.events[-3:]
        assert await read_until(key_watch, 34) == [rec.events[-3], rec.events[-1]]
    finally:
        await close_all([prefix_watch, key_watch])


async def test_watch_continues_with_live_events_after_the_replay(store: Store) -> None:
    """A watch from a past revision replays history, then delivers new writes as they happen."""
    rec = Recorder(store)
    await rec.create("/w/a", b"1")
    await rec.create("/w/b", b"1")
    watcher = await store.watch("/w/", prefix=True, start_revision=2)
    try:
        assert await read_until(watcher, 3) == rec.events
        for i in range(3):
            await rec.update("/w/a", str(i).encode())
            assert await next_event(watcher) == rec.events[-1]
        await rec.delete("/w/b")
        await rec.create("/w/c", b"1")
        assert await read_until(watcher, 8) == rec.events[-2:]
    finally:
        await watcher.close()


async def test_watch_events_carry_kv_and_prev_kv(store: Store) -> None:
    """ADDED has no prev_kv; MODIFIED has the old value; DELETED has no kv and the deleted value."""
    watcher = await store.watch("/w/a", start_revision=1)
    try:
        v1 = await store.create("/w/a", b"1")
        v2 = await store.update("/w/a", b"2")
        await store.delete("/w/a")
        added, modified, deleted = await read_until(watcher, 4)
        assert added == WatchEvent(EventType.ADDED, "/w/a", 2, v1, None)
        assert modified == WatchEvent(EventType.MODIFIED, "/w/a", 3, v2, v1)
        assert deleted == WatchEvent(EventType.DELETED, "/w/a", 4, None, v2)
        assert v2 == KeyValue("/w/a", b"2", 2, 3, 2)
    finally:
        await watcher.close()


async def test_single_key_watch_ignores_keys_it_prefixes(store: Store) -> None:
    """A watch without prefix=True sees its own key only, not keys that extend it."""
    watcher = await store.watch("/w/a", start_revision=1)
    try:
        await store.create("/w/ab", b"x")
        await store.create("/w/a/b", b"x")
        kv = await store.create("/w/a", b"x")
        assert await next_event(watcher) == WatchEvent(EventType.ADDED, "/w/a", 4, kv, None)
    finally:
        await watcher.close()


async def test_watch_from_a_future_revision_starts_there(store: Store) -> None:
    """A watch from a revision not yet written delivers only the events at or after it."""
    rec = Recorder(store)
    await rec.create("/w/a", b"1")
    watcher = await store.watch("/w/", prefix=True, start_revision=5)
    try:
        for i in range(5):
            await rec.update("/w/a", str(i).encode())
        got = await read_until(watcher, 7)
        assert got == [e for e in rec.events if e.revision >= 5]
    finally:
        await watcher.close()


async def test_two_watchers_of_one_key_see_the_same_events(store: Store) -> None:
    """Every watcher of a key gets every event, independently of the others."""
    rec = Recorder(store)
    first = await store.watch("/w/a")
    second = await store.watch("/w/", prefix=True)
    try:
        await rec.create("/w/a", b"1")
        await rec.update("/w/a", b"2")
        assert await read_until(first, 3) == rec.events
        assert await read_until(second, 3) == rec.events
    finally:
        await close_all([first, second])


async def test_request_progress_arrives_after_every_earlier_event(store: Store) -> None:
    """After request_progress, a PROGRESS event at >= the last write follows all earlier events."""
    rec = Recorder(store)
    await rec.create("/w/a", b"1")
    watcher = await store.watch("/w/", prefix=True, start_revision=1)
    try:
        await rec.update("/w/a", b"2")
        await rec.create("/other", b"unwatched")  # the last write, outside the watch
        await watcher.request_progress()
        got = [await next_event(watcher) for _ in range(3)]
        assert got[:2] == rec.events[:2]
        assert got[2].type is EventType.PROGRESS
        assert (got[2].key, got[2].kv, got[2].prev_kv) == ("", None, None)
        assert got[2].revision >= 4
        # The watch goes on after a progress event.
        await rec.update("/w/a", b"3")
        assert await next_event(watcher) == rec.events[-1]
    finally:
        await watcher.close()


async def test_request_progress_on_an_idle_watch(store: Store) -> None:
    """request_progress on a watch with nothing to deliver yields PROGRESS at once."""
    await store.create("/other", b"x")
    watcher = await store.watch("/w/", prefix=True)
    try:
        await watcher.request_progress()
        event = await next_event(watcher)
        assert event.type is EventType.PROGRESS
        assert event.revision >= 2
    finally:
        await watcher.close()


async def test_progress_notify_sends_progress_while_idle(store: Store) -> None:
    """With progress_notify, an idle watch gets PROGRESS events without asking."""
    await store.create("/w/a", b"1")
    watcher = await store.watch("/w/", prefix=True, progress_notify=True)
    try:
        event = await next_event(watcher, within=15)
        assert event.type is EventType.PROGRESS
        assert event.revision >= 2
    finally:
        await watcher.close()


async def test_closing_a_watcher_ends_its_iteration(store: Store) -> None:
    """After close, iteration stops (StopAsyncIteration); close is idempotent."""
    watcher = await store.watch("/w/", prefix=True)
    await watcher.close()
    await store.create("/w/a", b"1")
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(anext(watcher), 5)
    await watcher.close()


async def test_closing_the_store_ends_open_watchers(store: Store) -> None:
    """Closing the store ends every open watcher with WatchClosedError."""
    await store.create("/w/a", b"1")
    watcher = await store.watch("/w/", prefix=True, start_revision=2)
    try:
        assert (await next_event(watcher)).type is EventType.ADDED
        await close_store(store)
        with pytest.raises(WatchClosedError) as info:
            await asyncio.wait_for(anext(watcher), 10)
        assert info.value.resume_revision >= 3
    finally:
        await watcher.close()
