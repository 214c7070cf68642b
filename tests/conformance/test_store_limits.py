"""Conformance: key and value limits, and failed writes leaving no trace."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from kubeling.storage import (
    MAX_KEY_BYTES,
    MAX_VALUE_BYTES,
    ConflictError,
    EventType,
    InvalidKeyError,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    Preconditions,
    Store,
    StoreError,
    ValueTooLargeError,
    WatchEvent,
)
from tests.conformance.helpers import next_event

BAD_KEYS = {
    "empty": "",
    "no-slash": "no-slash",
    "nul": "/with\x00nul",
    "newline": "/with\nnewline",
    "del": "/with\x7fdel",
    "too-long": "/" + "k" * MAX_KEY_BYTES,
    "too-long-multibyte": "/" + "\u00e9" * (MAX_KEY_BYTES // 2),
}


async def test_a_value_of_exactly_the_limit_round_trips(store: Store) -> None:
    """A value of exactly MAX_VALUE_BYTES can be created, read, updated and listed."""
    big = bytes(range(256)) * (MAX_VALUE_BYTES // 256)
    assert len(big) == MAX_VALUE_BYTES
    kv = await store.create("/big", big)
    assert await store.get("/big") == KeyValue("/big", big, 2, 2, 1) == kv
    bigger = big[::-1]
    assert (await store.update("/big", bigger)).value == bigger
    assert [kv.value for kv in (await store.list("/big")).kvs] == [bigger]


async def test_a_value_one_byte_over_the_limit_is_refused(store: Store) -> None:
    """A value of MAX_VALUE_BYTES + 1 raises ValueTooLargeError and stores nothing."""
    too_big = b"x" * (MAX_VALUE_BYTES + 1)
    with pytest.raises(ValueTooLargeError) as info:
        await store.create("/big", too_big)
    assert (info.value.size, info.value.limit) == (MAX_VALUE_BYTES + 1, MAX_VALUE_BYTES)
    assert await store.get("/big") is None
    kv = await store.create("/big", b"small")
    with pytest.raises(ValueTooLargeError):
        await store.update("/big", too_big)
    assert await store.get("/big") == kv
    assert await store.current_revision() == 2


async def test_a_key_of_exactly_the_limit_works(store: Store) -> None:
    """A key of exactly MAX_KEY_BYTES of UTF-8 (ASCII or multi-byte) is accepted."""
    ascii_key = "/" + "k" * (MAX_KEY_BYTES - 1)
    wide_key = "/k" + "\u00e9" * ((MAX_KEY_BYTES - 2) // 2)
    assert len(ascii_key.encode()) == len(wide_key.encode()) == MAX_KEY_BYTES
    for key in (ascii_key, wide_key):
        kv = await store.create(key, b"v")
        assert await store.get(key) == kv
        assert (await store.list(key)).kvs == [kv]


@pytest.mark.parametrize("key", BAD_KEYS.values(), ids=BAD_KEYS.keys())
async def test_a_malformed_key_is_refused_by_every_operation(store: Store, key: str) -> None:
    """Malformed keys raise InvalidKeyError from every operation and store nothing."""
    await store.create("/ok", b"v")
    with pytest.raises(InvalidKeyError):
        await store.create(key, b"v")
    with pytest.raises(InvalidKeyError):
        await store.update(key, b"v")
    with pytest.raises(InvalidKeyError):
        await store.delete(key)
    with pytest.raises(InvalidKeyError):
        await store.get(key)
    with pytest.raises(InvalidKeyError):
        await store.list(key)
    with pytest.raises(InvalidKeyError):
        await store.count(key)
    with pytest.raises(InvalidKeyError):
        await store.watch(key, prefix=True)
    assert await store.current_revision() == 2
    assert [kv.key for kv in (await store.list("/")).kvs] == ["/ok"]


async def test_failed_writes_leave_the_revision_and_watches_untouched(store: Store) -> None:
    """Every kind of failed write leaves the revision unchanged and sends no event."""
    kv = await store.create("/a", b"v")
    watcher = await store.watch("/", prefix=True)
    try:
        failures: list[tuple[type[StoreError], Callable[[], Awaitable[object]]]] = [
            (KeyExistsError, lambda: store.create("/a", b"again")),
            (KeyNotFoundError, lambda: store.update("/missing", b"v")),
            (KeyNotFoundError, lambda: store.delete("/missing")),
            (
                ConflictError,
                lambda: store.update("/a", b"v2", preconditions=Preconditions(mod_revision=1)),
            ),
            (ConflictError, lambda: store.delete("/a", preconditions=Preconditions(uid="u"))),
            (ValueTooLargeError, lambda: store.update("/a", b"x" * (MAX_VALUE_BYTES + 1))),
            (InvalidKeyError, lambda: store.create("no-slash", b"v")),
        ]
        for error, write in failures:
            with pytest.raises(error):
                await write()
            assert await store.current_revision() == 2, error
        assert await store.get("/a") == kv
        after = await store.update("/a", b"after")
        assert after.mod_revision == 3
        assert await next_event(watcher) == WatchEvent(EventType.MODIFIED, "/a", 3, after, kv)
    finally:
        await watcher.close()
