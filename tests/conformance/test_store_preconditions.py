"""Conformance: update and delete preconditions (mod_revision and uid)."""

from __future__ import annotations

import json

import pytest

from kubeling.storage import (
    ConflictError,
    KeyNotFoundError,
    KeyValue,
    Preconditions,
    Store,
)


def obj(uid: str | None, data: str = "x") -> bytes:
    """A JSON object as the API server stores it, with ``metadata.uid``."""
    meta = {"name": "web"} if uid is None else {"name": "web", "uid": uid}
    return json.dumps({"metadata": meta, "data": data}).encode()


async def assert_unchanged(store: Store, key: str, kv: KeyValue, revision: int) -> None:
    assert await store.get(key) == kv
    assert await store.current_revision() == revision


async def test_update_with_the_current_mod_revision_succeeds(store: Store) -> None:
    """update with mod_revision equal to the key's mod_revision writes."""
    kv = await store.create("/a", b"v1")
    new = await store.update("/a", b"v2", preconditions=Preconditions(mod_revision=kv.mod_revision))
    assert new == KeyValue("/a", b"v2", 2, 3, 2)


async def test_update_with_a_stale_mod_revision_conflicts(store: Store) -> None:
    """update with a stale mod_revision raises ConflictError carrying the current value."""
    first = await store.create("/a", b"v1")
    current = await store.update("/a", b"v2")
    with pytest.raises(ConflictError) as info:
        await store.update(
            "/a", b"v3", preconditions=Preconditions(mod_revision=first.mod_revision)
        )
    assert info.value.key == "/a"
    assert info.value.current == current
    await assert_unchanged(store, "/a", current, 3)


async def test_update_with_a_future_mod_revision_conflicts(store: Store) -> None:
    """A mod_revision precondition must match exactly, not merely be at least."""
    kv = await store.create("/a", b"v1")
    with pytest.raises(ConflictError):
        await store.update(
            "/a", b"v2", preconditions=Preconditions(mod_revision=kv.mod_revision + 5)
        )
    await assert_unchanged(store, "/a", kv, 2)


async def test_update_with_a_matching_uid_succeeds(store: Store) -> None:
    """update with uid equal to the stored metadata.uid writes."""
    await store.create("/a", obj("u-1"))
    new = await store.update("/a", obj("u-1", "y"), preconditions=Preconditions(uid="u-1"))
    assert (new.value, new.version) == (obj("u-1", "y"), 2)


async def test_update_with_a_different_uid_conflicts(store: Store) -> None:
    """update with a uid other than the stored metadata.uid raises ConflictError."""
    kv = await store.create("/a", obj("u-1"))
    with pytest.raises(ConflictError) as info:
        await store.update("/a", obj("u-2"), preconditions=Preconditions(uid="u-2"))
    assert info.value.current == kv
    await assert_unchanged(store, "/a", kv, 2)


@pytest.mark.parametrize(
    "stored",
    [obj(None), b"not json", b"[1, 2]", b'{"metadata": "nope"}', b'{"metadata": {"uid": 7}}'],
    ids=["no-uid", "not-json", "not-object", "bad-metadata", "non-string-uid"],
)
async def test_uid_precondition_on_a_value_without_a_uid_conflicts(
    store: Store, stored: bytes
) -> None:
    """A uid precondition fails against a value that has no string metadata.uid."""
    kv = await store.create("/a", stored)
    with pytest.raises(ConflictError):
        await store.update("/a", obj("u-1"), preconditions=Preconditions(uid="u-1"))
    with pytest.raises(ConflictError):
        await store.delete("/a", preconditions=Preconditions(uid="u-1"))
    await assert_unchanged(store, "/a", kv, 2)


async def test_both_preconditions_must_hold(store: Store) -> None:
    """With mod_revision and uid, the write needs both to match."""
    kv = await store.create("/a", obj("u-1"))
    with pytest.raises(ConflictError):
        await store.update(
            "/a", obj("u-1"), preconditions=Preconditions(mod_revision=kv.mod_revision, uid="u-2")
        )
    with pytest.raises(ConflictError):
        await store.update(
            "/a",
            obj("u-1"),
            preconditions=Preconditions(mod_revision=kv.mod_revision + 1, uid="u-1"),
        )
    await assert_unchanged(store, "/a", kv, 2)
    new = await store.update(
        "/a", obj("u-1", "z"), preconditions=Preconditions(mod_revision=kv.mod_revision, uid="u-1")
    )
    assert new.mod_revision == 3


async def test_empty_preconditions_always_hold(store: Store) -> None:
    """Preconditions() with neither field set does not constrain the write."""
    await store.create("/a", b"v1")
    assert (await store.update("/a", b"v2", preconditions=Preconditions())).version == 2
    assert (await store.delete("/a", preconditions=Preconditions())).revision == 4


async def test_delete_with_the_current_mod_revision_succeeds(store: Store) -> None:
    """delete with the key's mod_revision removes it."""
    kv = await store.create("/a", b"v1")
    result = await store.delete("/a", preconditions=Preconditions(mod_revision=kv.mod_revision))
    assert (result.prev_kv, result.revision) == (kv, 3)
    assert await store.get("/a") is None


async def test_delete_with_a_stale_mod_revision_conflicts(store: Store) -> None:
    """delete with a stale mod_revision raises ConflictError and keeps the key."""
    first = await store.create("/a", b"v1")
    current = await store.update("/a", b"v2")
    with pytest.raises(ConflictError) as info:
        await store.delete("/a", preconditions=Preconditions(mod_revision=first.mod_revision))
    assert info.value.current == current
    await assert_unchanged(store, "/a", current, 3)


async def test_delete_with_a_matching_uid_succeeds(store: Store) -> None:
    """delete with the stored metadata.uid removes the key."""
    kv = await store.create("/a", obj("u-1"))
    result = await store.delete("/a", preconditions=Preconditions(uid="u-1"))
    assert result.prev_kv == kv
    assert await store.get("/a") is None


async def test_delete_with_a_different_uid_conflicts(store: Store) -> None:
    """delete with another uid raises ConflictError and keeps the key."""
    kv = await store.create("/a", obj("u-1"))
    with pytest.raises(ConflictError) as info:
        await store.delete("/a", preconditions=Preconditions(uid="u-9"))
    assert info.value.current == kv
    await assert_unchanged(store, "/a", kv, 2)


@pytest.mark.parametrize(
    "preconditions",
    [Preconditions(mod_revision=2), Preconditions(uid="u-1"), Preconditions(2, "u-1")],
    ids=["mod_revision", "uid", "both"],
)
async def test_preconditions_on_a_missing_key_raise_key_not_found(
    store: Store, preconditions: Preconditions
) -> None:
    """update/delete with preconditions of a missing key raise KeyNotFoundError, not Conflict."""
    await store.create("/a", obj("u-1"))
    await store.delete("/a")
    with pytest.raises(KeyNotFoundError):
        await store.update("/a", obj("u-1"), preconditions=preconditions)
    with pytest.raises(KeyNotFoundError):
        await store.delete("/a", preconditions=preconditions)
    assert await store.current_revision() == 3
