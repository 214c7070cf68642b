"""Conformance: compaction of history and what can be read after it."""

from __future__ import annotations

from collections.abc import Awaitable

import pytest

from kubeling.storage import (
    CompactedError,
    FutureRevisionError,
    KeyValue,
    Store,
)
from tests.conformance.helpers import Recorder, read_until


async def history(store: Store) -> tuple[Recorder, dict[int, dict[str, KeyValue]]]:
    """Ten writes over three keys; returns the state after every revision."""
    rec = Recorder(store)
    states: dict[int, dict[str, KeyValue]] = {1: {}}

    async def step(write: Awaitable[object]) -> None:
        await write
        states[await store.current_revision()] = dict(rec.current)

    await step(rec.create("/c/a", b"a1"))
    await step(rec.create("/c/b", b"b1"))
    await step(rec.update("/c/a", b"a2"))
    await step(rec.create("/c/gone", b"g1"))
    await step(rec.update("/c/b", b"b2"))
    await step(rec.delete("/c/gone"))
    await step(rec.update("/c/a", b"a3"))
    await step(rec.create("/c/d", b"d1"))
    await step(rec.update("/c/b", b"b3"))
    await step(rec.update("/c/d", b"d2"))
    assert sorted(states) == list(range(1, 12))
    return rec, states


async def test_compact_discards_older_revisions_for_get_and_list(store: Store) -> None:
    """After compact(N), get and list below N raise CompactedError; N and later still work."""
    _, states = await history(store)
    await store.compact(6)
    assert await store.compacted_revision() == 6
    for revision in range(1, 6):
        with pytest.raises(CompactedError) as info:
            await store.get("/c/a", revision=revision)
        assert (info.value.requested, info.value.compact_revision) == (revision, 6)
        with pytest.raises(CompactedError):
            await store.list("/c/", revision=revision)
    for revision in range(6, 12):
        expected = states[revision]
        for key in ["/c/a", "/c/b", "/c/gone", "/c/d"]:
            assert await store.get(key, revision=revision) == expected.get(key), (key, revision)
        page = await store.list("/c/", revision=revision)
        assert page.kvs == [expected[k] for k in sorted(expected)], revision


async def test_compact_keeps_every_current_value(store: Store) -> None:
    """Compacting at the current revision keeps every live key exactly as it was."""
    rec, _ = await history(store)
    before = await store.list("/c/")
    await store.compact(11)
    assert await store.list("/c/") == before
    assert before.kvs == [rec.current[k] for k in sorted(rec.current)]
    for key, kv in rec.current.items():
        assert await store.get(key) == kv
        assert await store.get(key, revision=11) == kv
    assert await store.get("/c/gone") is None
    assert await store.count("/c/") == 3


async def test_compact_does_not_change_the_revision(store: Store) -> None:
    """compact is not a write: the current revision stays, and writes go on from it."""
    await history(store)
    await store.compact(11)
    assert await store.current_revision() == 11
    kv = await store.update("/c/a", b"after")
    assert (kv.mod_revision, kv.create_revision, kv.version) == (12, 2, 4)


async def test_compacting_at_or_below_the_compacted_revision_raises(store: Store) -> None:
    """compact at the compacted revision again, or below it, raises CompactedError."""
    await history(store)
    await store.compact(5)
    with pytest.raises(CompactedError):
        await store.compact(5)
    with pytest.raises(CompactedError):
        await store.compact(3)
    assert await store.compacted_revision() == 5
    await store.compact(7)
    assert await store.compacted_revision() == 7


async def test_compacting_a_future_revision_raises(store: Store) -> None:
    """compact above the current revision raises FutureRevisionError and compacts nothing."""
    await history(store)
    with pytest.raises(FutureRevisionError):
        await store.compact(12)
    assert await store.compacted_revision() == 0
    assert await store.get("/c/a", revision=1) is None


async def test_compacting_a_fresh_store_at_revision_1(store: Store) -> None:
    """A fresh store can be compacted at its revision 1, once."""
    await store.compact(1)
    assert await store.compacted_revision() == 1
    assert (await store.list("/", revision=1)).kvs == []
    with pytest.raises(CompactedError):
        await store.compact(1)


async def test_watch_from_a_compacted_revision_raises_at_once(store: Store) -> None:
    """watch() below the compacted revision raises CompactedError from watch itself."""
    await history(store)
    await store.compact(6)
    with pytest.raises(CompactedError):
        await store.watch("/c/", prefix=True, start_revision=5)
    with pytest.raises(CompactedError):
        await store.watch("/c/a", start_revision=1)


async def test_watch_from_the_compacted_revision_replays_from_there(store: Store) -> None:
    """watch() at or after the compacted revision delivers every event from its start."""
    rec, _ = await history(store)
    await store.compact(6)
    for start in (6, 7, 11):
        watcher = await store.watch("/c/", prefix=True, start_revision=start)
        try:
            got = await read_until(watcher, 11)
            assert got == rec.expected("/c/", prefix=True, start=start), start
        finally:
            await watcher.close()


async def test_a_continue_token_below_the_compacted_revision_raises(store: Store) -> None:
    """Continuing a list whose snapshot revision was compacted raises CompactedError."""
    await history(store)
    first = await store.list("/c/", limit=1)
    assert (first.revision, first.continue_token is not None) == (11, True)
    assert first.continue_token is not None
    await store.update("/c/a", b"later")
    await store.compact(12)
    with pytest.raises(CompactedError):
        await store.list("/c/", limit=1, continue_token=first.continue_token)


async def test_a_continue_token_at_the_compacted_revision_still_works(store: Store) -> None:
    """Continuing a list whose snapshot revision is exactly the compacted one works."""
    _, states = await history(store)
    first = await store.list("/c/", limit=1, revision=9)
    await store.update("/c/a", b"later")
    await store.compact(9)
    assert first.continue_token is not None
    rest = await store.list("/c/", limit=10, continue_token=first.continue_token)
    assert [*first.kvs, *rest.kvs] == [states[9][k] for k in sorted(states[9])]
    assert rest.revision == 9
