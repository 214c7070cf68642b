"""Conformance: create, get, update, delete, count and revisions."""

from __future__ import annotations

import pytest

from kubeling.storage import (
    FutureRevisionError,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    Store,
)


async def test_fresh_store_is_empty_at_revision_1(store: Store) -> None:
    """A fresh store is at revision 1, never compacted, and holds no keys."""
    assert await store.current_revision() == 1
    assert await store.compacted_revision() == 0
    assert await store.get("/a") is None
    page = await store.list("/")
    assert (page.kvs, page.revision, page.continue_token, page.remaining) == ([], 1, None, 0)
    assert await store.count("/") == 0


async def test_create_returns_the_new_key_at_the_next_revision(store: Store) -> None:
    """create stores the value at revision 2 with create=mod=2 and version 1."""
    kv = await store.create("/registry/pods/default/web", b"v1")
    assert kv == KeyValue("/registry/pods/default/web", b"v1", 2, 2, 1)
    assert await store.current_revision() == 2
    assert await store.get("/registry/pods/default/web") == kv


async def test_create_of_an_existing_key_raises_key_exists(store: Store) -> None:
    """A second create of a key raises KeyExistsError and changes nothing."""
    kv = await store.create("/a", b"first")
    with pytest.raises(KeyExistsError) as info:
        await store.create("/a", b"second")
    assert info.value.key == "/a"
    assert await store.get("/a") == kv
    assert await store.current_revision() == 2


async def test_get_of_a_missing_key_returns_none(store: Store) -> None:
    """get of a key that never existed (or a prefix of an existing one) returns None."""
    await store.create("/a/b", b"x")
    assert await store.get("/a/c") is None
    assert await store.get("/a") is None
    assert await store.get("/a/b/") is None


async def test_update_bumps_mod_revision_and_version(store: Store) -> None:
    """update keeps create_revision, sets mod_revision to the new revision, version + 1."""
    await store.create("/a", b"v1")
    await store.create("/other", b"x")
    kv = await store.update("/a", b"v2")
    assert kv == KeyValue("/a", b"v2", 2, 4, 2)
    kv = await store.update("/a", b"v3")
    assert kv == KeyValue("/a", b"v3", 2, 5, 3)
    assert await store.get("/a") == kv
    assert await store.current_revision() == 5


async def test_update_to_the_same_value_is_still_a_write(store: Store) -> None:
    """An update that does not change the bytes still takes a revision."""
    await store.create("/a", b"same")
    kv = await store.update("/a", b"same")
    assert kv == KeyValue("/a", b"same", 2, 3, 2)
    assert await store.current_revision() == 3


async def test_update_of_a_missing_key_raises_key_not_found(store: Store) -> None:
    """update of a key that does not exist raises KeyNotFoundError and writes nothing."""
    with pytest.raises(KeyNotFoundError) as info:
        await store.update("/missing", b"v")
    assert info.value.key == "/missing"
    assert await store.get("/missing") is None
    assert await store.current_revision() == 1


async def test_delete_returns_the_removed_value_and_its_revision(store: Store) -> None:
    """delete removes the key and returns the deleted value and the delete's revision."""
    kv = await store.create("/a", b"v1")
    result = await store.delete("/a")
    assert result.prev_kv == kv
    assert result.revision == 3
    assert await store.current_revision() == 3
    assert await store.get("/a") is None
    assert await store.count("/") == 0


async def test_delete_of_a_missing_key_raises_key_not_found(store: Store) -> None:
    """delete of a key that does not exist (or no longer does) raises KeyNotFoundError."""
    with pytest.raises(KeyNotFoundError):
        await store.delete("/missing")
    await store.create("/a", b"v")
    await store.delete("/a")
    with pytest.raises(KeyNotFoundError) as info:
        await store.delete("/a")
    assert info.value.key == "/a"
    assert await store.current_revision() == 3


async def test_recreate_after_delete_starts_a_new_generation(store: Store) -> None:
    """A key re-created after a delete gets a new create_revision and version 1."""
    await store.create("/a", b"v1")
    await store.update("/a", b"v2")
    await store.delete("/a")
    kv = await store.create("/a", b"again")
    assert kv == KeyValue("/a", b"again", 5, 5, 1)
    assert (await store.update("/a", b"again2")).version == 2


async def test_each_write_advances_the_revision_by_exactly_one(store: Store) -> None:
    """Every write takes the next revision; reads leave the revision alone."""
    revisions = [await store.current_revision()]
    revisions.append((await store.create("/a", b"1")).mod_revision)
    revisions.append((await store.create("/b", b"1")).mod_revision)
    revisions.append((await store.update("/a", b"2")).mod_revision)
    revisions.append((await store.delete("/b")).revision)
    revisions.append((await store.create("/b", b"3")).mod_revision)
    assert revisions == [1, 2, 3, 4, 5, 6]
    await store.get("/a")
    await store.list("/")
    await store.count("/")
    assert await store.current_revision() == 6


async def test_values_round_trip_byte_for_byte(store: Store) -> None:
    """Arbitrary bytes (every byte value, the empty value) come back unchanged."""
    every_byte = bytes(range(256)) * 4
    await store.create("/bin", every_byte)
    await store.create("/empty", b"")
    assert (await store.get("/bin")) == KeyValue("/bin", every_byte, 2, 2, 1)
    assert (await store.get("/empty")) == KeyValue("/empty", b"", 3, 3, 1)
    assert [kv.value for kv in (await store.list("/")).kvs] == [every_byte, b""]


async def test_unicode_keys_round_trip(store: Store) -> None:
    """Keys with non-ASCII characters are stored and listed exactly."""
    keys = ["/ns/caf\u00e9", "/ns/\u65e5\u672c", "/ns/\U0001f600"]
    for key in keys:
        await store.create(key, key.encode())
    for key in keys:
        kv = await store.get(key)
        assert kv is not None
        assert (kv.key, kv.value) == (key, key.encode())
    assert [kv.key for kv in (await store.list("/ns/")).kvs] == keys


async def test_get_at_a_past_revision_returns_the_state_then(store: Store) -> None:
    """get(revision=N) returns the key exactly as it was right after revision N."""
    history: dict[int, KeyValue | None] = {1: None}
    history[2] = await store.create("/a", b"v1")
    await store.create("/b", b"unrelated")
    history[3] = history[2]
    history[4] = await store.update("/a", b"v2")
    await store.delete("/a")
    history[5] = None
    history[6] = await store.create("/a", b"v3")
    for revision, expected in history.items():
        assert await store.get("/a", revision=revision) == expected, revision
    assert await store.get("/a", revision=0) == history[6]


async def test_reads_at_a_future_revision_raise_future_revision(store: Store) -> None:
    """get and list above the current revision raise FutureRevisionError."""
    await store.create("/a", b"v")
    with pytest.raises(FutureRevisionError):
        await store.get("/a", revision=3)
    with pytest.raises(FutureRevisionError):
        await store.list("/", revision=100)
    assert await store.get("/a", revision=2) is not None


async def test_count_counts_the_keys_under_a_prefix_now(store: Store) -> None:
    """count returns how many keys are under the prefix at the current revision."""
    for key in ["/a/1", "/a/2", "/a/3", "/ab", "/b/1"]:
        await store.create(key, b"x")
    await store.delete("/a/2")
    assert await store.count("/a/") == 2
    assert await store.count("/a") == 3
    assert await store.count("/") == 4
    assert await store.count("/c/") == 0
