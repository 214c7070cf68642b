"""Conformance: list, pagination with continue tokens, remaining and snapshots."""

from __future__ import annotations

import base64
import json

import pytest

from kubeling.storage import (
    InvalidContinueError,
    KeyValue,
    ListResult,
    Store,
)

KEYS = ["/r/a", "/r/b", "/r/b/c", "/r/c", "/r/d", "/r/\u00e9", "/r/\u65e5"]
"""Seven keys under ``/r/`` in byte order (including multi-byte UTF-8)."""


async def fill(store: Store) -> dict[str, KeyValue]:
    """Create KEYS (in scrambled order) plus keys just outside the ``/r/`` prefix."""
    kvs = {}
    await store.create("/r", b"outside")
    for key in [KEYS[3], KEYS[0], KEYS[6], KEYS[2], KEYS[5], KEYS[1], KEYS[4]]:
        kvs[key] = await store.create(key, key.encode())
    await store.create("/r0", b"outside")
    await store.create("/q/z", b"outside")
    return {key: kvs[key] for key in KEYS}


async def walk(store: Store, prefix: str, limit: int, revision: int = 0) -> list[ListResult]:
    """Every page of one list, following continue tokens."""
    pages = [await store.list(prefix, revision=revision, limit=limit)]
    while pages[-1].continue_token is not None:
        assert len(pages) <= 100, "the pages never end"
        pages.append(await store.list(prefix, limit=limit, continue_token=pages[-1].continue_token))
    return pages


def token(body: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")


async def test_list_returns_the_keys_under_a_prefix_in_byte_order(store: Store) -> None:
    """list returns exactly the keys that start with the prefix, sorted by UTF-8 bytes."""
    kvs = await fill(store)
    page = await store.list("/r/")
    assert page.kvs == list(kvs.values())
    assert (page.revision, page.continue_token, page.remaining) == (11, None, 0)


async def test_list_prefix_is_a_string_prefix(store: Store) -> None:
    """A prefix without a trailing slash also matches sibling keys that extend it."""
    await fill(store)
    assert [kv.key for kv in (await store.list("/r/b")).kvs] == ["/r/b", "/r/b/c"]
    assert [kv.key for kv in (await store.list("/r")).kvs] == ["/r", *KEYS, "/r0"]
    assert (await store.list("/s/")).kvs == []


@pytest.mark.parametrize("limit", range(1, len(KEYS) + 2))
async def test_pages_of_every_size_cover_the_list_exactly_once(store: Store, limit: int) -> None:
    """Walking pages of ``limit`` keys yields every key once, with correct remaining counts."""
    kvs = await fill(store)
    pages = await walk(store, "/r/", limit)
    assert [kv for page in pages for kv in page.kvs] == list(kvs.values())
    assert len(pages) == max(1, -(-len(KEYS) // limit))
    seen = 0
    for page in pages:
        assert page.revision == 11
        assert 1 <= len(page.kvs) <= limit
        seen += len(page.kvs)
        assert page.remaining == len(KEYS) - seen
        assert (page.continue_token is None) == (seen == len(KEYS))


@pytest.mark.parametrize("limit", range(1, len(KEYS)))
async def test_later_pages_show_the_first_pages_snapshot(store: Store, limit: int) -> None:
    """Pages after the first are read at its revision, whatever was written since."""
    kvs = await fill(store)
    first = await store.list("/r/", limit=limit)
    snapshot_revision = first.revision
    # Change every kind of thing: a new key at each end and in the middle,
    # updates and deletes of keys on later pages.
    await store.create("/r/0", b"new first")
    await store.create("/r/bb", b"new middle")
    await store.create("/r/\uffff", b"new last")
    await store.update(KEYS[-1], b"updated")
    await store.update(KEYS[limit], b"updated")
    await store.delete(KEYS[-2])
    pages = [first]
    while pages[-1].continue_token is not None:
        pages.append(await store.list("/r/", limit=limit, continue_token=pages[-1].continue_token))
    assert [kv for page in pages for kv in page.kvs] == list(kvs.values())
    assert {page.revision for page in pages} == {snapshot_revision}
    assert pages[-1].remaining == 0
    # A fresh list sees the new state.
    now = await store.list("/r/")
    assert now.revision == snapshot_revision + 6
    assert len(now.kvs) == len(KEYS) + 2


async def test_list_at_a_past_revision_returns_the_state_then(store: Store) -> None:
    """list(revision=N) returns the keys as they were right after revision N."""
    a1 = await store.create("/r/a", b"1")
    b1 = await store.create("/r/b", b"1")
    a2 = await store.update("/r/a", b"2")
    await store.delete("/r/b")
    c1 = await store.create("/r/c", b"1")
    expected = {1: [], 2: [a1], 3: [a1, b1], 4: [a2, b1], 5: [a2], 6: [a2, c1]}
    for revision, kvs in expected.items():
        page = await store.list("/r/", revision=revision)
        assert (page.kvs, page.revision, page.remaining) == (kvs, revision, 0), revision


async def test_paginated_list_at_a_past_revision_stays_at_it(store: Store) -> None:
    """Pages of a list at a past revision are all read at that revision."""
    kvs = await fill(store)
    for key in KEYS[::2]:
        await store.delete(key)
    await store.create("/r/new", b"new")
    pages = await walk(store, "/r/", 2, revision=11)
    assert [kv for page in pages for kv in page.kvs] == list(kvs.values())
    assert {page.revision for page in pages} == {11}
    assert [page.remaining for page in pages] == [5, 3, 1, 0]


async def test_remaining_counts_keys_after_the_page(store: Store) -> None:
    """remaining is the number of keys after the page, at the page's revision."""
    await fill(store)
    page = await store.list("/r/", limit=3)
    assert ([kv.key for kv in page.kvs], page.remaining) == (KEYS[:3], 4)
    await store.delete(KEYS[5])
    assert (await store.list("/r/", limit=3)).remaining == 3
    assert (await store.list("/r/", limit=3, revision=page.revision)).remaining == 4
    assert (await store.list("/r/", limit=7, revision=page.revision)).remaining == 0


async def test_limit_zero_means_no_limit(store: Store) -> None:
    """limit=0 returns every key in one page without a continue token."""
    kvs = await fill(store)
    page = await store.list("/r/", limit=0)
    assert (page.kvs, page.continue_token, page.remaining) == (list(kvs.values()), None, 0)


async def test_a_token_continues_after_keys_deleted_since(store: Store) -> None:
    """A continue token still works when the key it starts at was deleted since."""
    kvs = await fill(store)
    first = await store.list("/r/", limit=2)
    await store.delete(KEYS[2])
    assert first.continue_token is not None
    rest = await store.list("/r/", limit=10, continue_token=first.continue_token)
    assert rest.kvs == list(kvs.values())[2:]
    assert (rest.continue_token, rest.remaining) == (None, 0)


@pytest.mark.parametrize(
    "bad",
    [
        "garbage!",
        "",
        base64.urlsafe_b64encode(b"not json").decode(),
        token(["a", "list"]),
        token({"v": "other/v9", "rv": 2, "start": "a"}),
        token({"v": "meta.k8s.io/v1", "rv": 0, "start": "a"}),
        token({"v": "meta.k8s.io/v1", "rv": -3, "start": "a"}),
        token({"v": "meta.k8s.io/v1", "rv": "2", "start": "a"}),
        token({"v": "meta.k8s.io/v1", "rv": 2, "start": 5}),
        token({"v": "meta.k8s.io/v1", "rv": 2}),
        token({"v": "meta.k8s.io/v1", "rv": 2, "start": "a\x00b"}),
    ],
    ids=[
        "not-base64",
        "empty",
        "not-json",
        "not-object",
        "wrong-version",
        "zero-revision",
        "negative-revision",
        "string-revision",
        "non-string-start",
        "no-start",
        "control-char-start",
    ],
)
async def test_a_garbage_continue_token_raises_invalid_continue(store: Store, bad: str) -> None:
    """A continue token the store did not issue raises InvalidContinueError."""
    await fill(store)
    with pytest.raises(InvalidContinueError):
        await store.list("/r/", limit=2, continue_token=bad)
