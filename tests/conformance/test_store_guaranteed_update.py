"""Conformance: guaranteed_update (read-modify-write with retries)."""

from __future__ import annotations

import asyncio
import json

import pytest

from kubeling.storage import (
    ConflictError,
    KeyNotFoundError,
    KeyValue,
    Preconditions,
    Store,
)


async def test_guaranteed_update_writes_the_computed_value(store: Store) -> None:
    """The update function gets the current key; its result is stored and returned."""
    kv = await store.create("/a", b"1")
    seen: list[KeyValue | None] = []

    async def double(current: KeyValue | None) -> bytes:
        seen.append(current)
        assert current is not None
        return str(int(current.value) * 2).encode()

    result = await store.guaranteed_update("/a", double)
    assert seen == [kv]
    assert result == KeyValue("/a", b"2", 2, 3, 2)
    assert await store.get("/a") == result


async def test_guaranteed_update_returning_none_writes_nothing(store: Store) -> None:
    """An update function that returns None leaves the key and revision alone."""
    kv = await store.create("/a", b"1")

    async def no_change(current: KeyValue | None) -> bytes | None:
        return None

    assert await store.guaranteed_update("/a", no_change) == kv
    assert await store.current_revision() == 2


async def test_guaranteed_update_to_the_same_bytes_writes_nothing(store: Store) -> None:
    """An update function that returns the current bytes does not write."""
    kv = await store.create("/a", b"1")

    async def same(current: KeyValue | None) -> bytes:
        assert current is not None
        return current.value

    assert await store.guaranteed_update("/a", same) == kv
    assert await store.current_revision() == 2


async def test_guaranteed_update_of_a_missing_key_raises_key_not_found(store: Store) -> None:
    """Without ignore_not_found a missing key raises KeyNotFoundError and nothing is created."""

    async def create(current: KeyValue | None) -> bytes:
        return b"new"

    with pytest.raises(KeyNotFoundError):
        await store.guaranteed_update("/a", create)
    assert await store.get("/a") is None
    assert await store.current_revision() == 1


async def test_guaranteed_update_with_ignore_not_found_creates(store: Store) -> None:
    """With ignore_not_found a missing key is created from update(None)."""
    seen: list[KeyValue | None] = []

    async def create(current: KeyValue | None) -> bytes:
        seen.append(current)
        return b"new"

    result = await store.guaranteed_update("/a", create, ignore_not_found=True)
    assert seen == [None]
    assert result == KeyValue("/a", b"new", 2, 2, 1)
    assert await store.get("/a") == result


async def test_guaranteed_update_creating_nothing_raises_key_not_found(store: Store) -> None:
    """With ignore_not_found, update(None) returning None raises KeyNotFoundError."""

    async def nothing(current: KeyValue | None) -> bytes | None:
        return None

    with pytest.raises(KeyNotFoundError):
        await store.guaranteed_update("/a", nothing, ignore_not_found=True)
    assert await store.current_revision() == 1


async def test_guaranteed_update_with_failing_preconditions_conflicts(store: Store) -> None:
    """A precondition that fails on the current value raises ConflictError before update runs."""
    kv = await store.create("/a", json.dumps({"metadata": {"uid": "u-1"}}).encode())
    calls = 0

    async def change(current: KeyValue | None) -> bytes:
        nonlocal calls
        calls += 1
        return b"changed"

    with pytest.raises(ConflictError):
        await store.guaranteed_update("/a", change, preconditions=Preconditions(uid="u-2"))
    with pytest.raises(ConflictError):
        await store.guaranteed_update("/a", change, preconditions=Preconditions(mod_revision=1))
    assert calls == 0
    assert await store.get("/a") == kv
    result = await store.guaranteed_update(
        "/a", change, preconditions=Preconditions(mod_revision=2, uid="u-1")
    )
    assert (result.value, calls) == (b"changed", 1)


async def test_guaranteed_update_propagates_errors_from_the_update_function(store: Store) -> None:
    """An exception from the update function aborts the update and writes nothing."""
    kv = await store.create("/a", b"1")

    async def fail(current: KeyValue | None) -> bytes:
        raise RuntimeError("refused")

    with pytest.raises(RuntimeError, match="refused"):
        await store.guaranteed_update("/a", fail)
    assert await store.get("/a") == kv
    assert await store.current_revision() == 2


async def test_guaranteed_update_retries_after_a_concurrent_write(store: Store) -> None:
    """A write between the read and the write makes it retry with the newer value."""
    await store.create("/counter", b"0")
    seen: list[bytes] = []

    async def increment(current: KeyValue | None) -> bytes:
        assert current is not None
        seen.append(current.value)
        if len(seen) == 1:
            await store.update("/counter", b"10")  # a racing writer
        return str(int(current.value) + 1).encode()

    result = await asyncio.wait_for(store.guaranteed_update("/counter", increment), 30)
    assert seen == [b"0", b"10"]
    assert result == KeyValue("/counter", b"11", 2, 4, 3)


async def test_concurrent_guaranteed_updates_all_land(store: Store) -> None:
    """20 concurrent increments of one counter all take effect, none lost."""
    await store.create("/counter", b"0")

    async def increment(current: KeyValue | None) -> bytes:
        assert current is not None
        await asyncio.sleep(0)  # let the other updates read the same value
        return str(int(current.value) + 1).encode()

    results = await asyncio.wait_for(
        asyncio.gather(*(store.guaranteed_update("/counter", increment) for _ in range(20))), 60
    )
    assert sorted(int(kv.value) for kv in results) == list(range(1, 21))
    final = await store.get("/counter")
    assert final is not None
    assert (final.value, final.version, final.mod_revision) == (b"20", 21, 22)
    assert await store.current_revision() == 22


async def test_guaranteed_update_starts_from_a_current_suggestion_without_reading(
    store: Store,
) -> None:
    """A suggestion at the key's revision is used as it is: the update sees it first."""
    kv = await store.create("/a", b"1")
    suggestion = KeyValue("/a", b"10", 0, kv.mod_revision, 0)
    seen: list[bytes] = []

    async def double(current: KeyValue | None) -> bytes:
        assert current is not None
        seen.append(current.value)
        return str(int(current.value) * 2).encode()

    result = await store.guaranteed_update("/a", double, suggestion=suggestion)
    assert seen == [b"10"]
    assert result.value == b"20"


async def test_guaranteed_update_retries_a_stale_suggestion_on_the_stored_value(
    store: Store,
) -> None:
    """A suggestion older than the key: its write conflicts and the update runs again."""
    first = await store.create("/a", b"1")
    await store.update("/a", b"5")
    stale = KeyValue("/a", b"1", 0, first.mod_revision, 0)
    seen: list[bytes] = []

    async def double(current: KeyValue | None) -> bytes:
        assert current is not None
        seen.append(current.value)
        return str(int(current.value) * 2).encode()

    result = await store.guaranteed_update("/a", double, suggestion=stale)
    assert seen == [b"1", b"5"]
    assert result.value == b"10"


async def test_guaranteed_update_decides_again_when_a_stale_suggestion_fails(
    store: Store,
) -> None:
    """An error or a failed precondition on a stale suggestion is checked on a fresh read."""
    first = await store.create("/a", b'{"metadata":{"uid":"old"}}')
    await store.update("/a", b'{"metadata":{"uid":"new"}}')
    stale = KeyValue("/a", first.value, 0, first.mod_revision, 0)

    async def refuse_old(current: KeyValue | None) -> bytes:
        assert current is not None
        if b"old" in current.value:
            raise ValueError("refused")
        return b'{"metadata":{"uid":"new"},"x":1}'

    result = await store.guaranteed_update("/a", refuse_old, suggestion=stale)
    assert result.value == b'{"metadata":{"uid":"new"},"x":1}'
    again = await store.guaranteed_update(
        "/a",
        refuse_old,
        preconditions=Preconditions(uid="new"),
        suggestion=KeyValue("/a", first.value, 0, first.mod_revision, 0),
    )
    assert again.value == result.value


async def test_guaranteed_update_no_change_on_a_stale_suggestion_reads_again(
    store: Store,
) -> None:
    """'No change' decided on a stale suggestion is decided again on the stored value."""
    first = await store.create("/a", b"1")
    await store.update("/a", b"2")
    stale = KeyValue("/a", b"1", 0, first.mod_revision, 0)

    async def only_from_two(current: KeyValue | None) -> bytes | None:
        assert current is not None
        return b"3" if current.value == b"2" else None

    result = await store.guaranteed_update("/a", only_from_two, suggestion=stale)
    assert result.value == b"3"


async def test_guaranteed_update_errors_on_a_current_suggestion_are_final(store: Store) -> None:
    """An update function's error on a suggestion that is current is raised, once."""
    kv = await store.create("/a", b"1")
    calls: list[int] = []

    async def refuse(current: KeyValue | None) -> bytes:
        calls.append(1)
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        await store.guaranteed_update(
            "/a", refuse, suggestion=KeyValue("/a", b"1", 0, kv.mod_revision, 0)
        )
    assert calls == [1]
