"""Automatic compaction of etcd, shared by the servers on one etcd, against a real member."""

from __future__ import annotations

import asyncio

import pytest

from kubeling.storage import CompactedError
from kubeling.storage.etcd import EtcdStore
from kubeling.storage.etcd.compactor import Turn, take_turn
from tests.support.etcd import EtcdMember

pytestmark = [pytest.mark.etcd, pytest.mark.timeout(120)]


class Compactions:
    """A store's ``compact``, remembering what it was asked."""

    def __init__(self, store: EtcdStore) -> None:
        self.store = store
        self.asked: list[int] = []

    async def __call__(self, revision: int) -> None:
        self.asked.append(revision)
        await self.store.compact(revision)


async def test_a_turn_compacts_to_the_revision_of_the_turn_before(member: EtcdMember) -> None:
    store = await EtcdStore.open([member.endpoint], auto_compact_interval=None)
    try:
        compact = Compactions(store)
        first = await take_turn(store._client, Turn(), compact)
        assert compact.asked == []  # a first turn only records where history may end
        assert first.version == 1
        for i in range(5):
            await store.create(f"/registry/things/{i}", b"v")
        second = await take_turn(store._client, first, compact)
        assert compact.asked == [first.revision]
        assert await store.compacted_revision() == first.revision
        assert second == Turn(2, await store.current_revision())
        with pytest.raises(CompactedError):
            await store.get("/registry/things/0", revision=first.revision - 1)
        # Everything written since the previous turn stays readable at its revision.
        kept = await store.get("/registry/things/0", revision=first.revision + 1)
        assert kept is not None
        assert kept.value == b"v"
        # The turns' key is outside every resource's prefix.
        assert [kv.key for kv in (await store.list("/")).kvs] == [
            f"/registry/things/{i}" for i in range(5)
        ]
    finally:
        await store.close()


async def test_servers_sharing_etcd_compact_once_per_interval(member: EtcdMember) -> None:
    a = await EtcdStore.open([member.endpoint], auto_compact_interval=None)
    b = await EtcdStore.open([member.endpoint], auto_compact_interval=None)
    try:
        compact_a, compact_b = Compactions(a), Compactions(b)
        a1 = await take_turn(a._client, Turn(), compact_a)
        for i in range(3):
            await a.create(f"/registry/things/{i}", b"v")
        b1 = await take_turn(b._client, Turn(), compact_b)  # a went first: b learns a's turn
        assert (a1.version, b1.version) == (1, 1)
        await a.create("/registry/things/x", b"v")
        # Next interval: b is first this time, and compacts to what it saw an interval ago.
        b2 = await take_turn(b._client, b1, compact_b)
        a2 = await take_turn(a._client, a1, compact_a)
        assert compact_b.asked == [b1.revision]
        assert compact_a.asked == []  # a lost this turn: one compaction per interval
        assert (b2.version, a2.version) == (2, 2)
        assert await a.compacted_revision() == b1.revision
        # A server that starts afresh learns the turns so far and compacts at its second.
        c = await EtcdStore.open([member.endpoint], auto_compact_interval=None)
        try:
            compact_c = Compactions(c)
            c1 = await take_turn(c._client, Turn(), compact_c)
            await c.create("/registry/things/y", b"v")
            await take_turn(c._client, c1, compact_c)
            assert compact_c.asked == [c1.revision]
            assert await c.compacted_revision() == c1.revision
        finally:
            await c.close()
    finally:
        await a.close()
        await b.close()


async def test_an_open_store_compacts_on_its_own(member: EtcdMember) -> None:
    store = await EtcdStore.open([member.endpoint], auto_compact_interval=0.2)
    try:
        for i in range(3):
            await store.create(f"/registry/things/{i}", b"v")
        async with asyncio.timeout(30):
            while await store.compacted_revision() == 0:
                await store.update("/registry/things/0", b"again")
                await asyncio.sleep(0.1)
        assert await store.compacted_revision() > 1
    finally:
        await store.close()
    with pytest.raises(ValueError, match="positive"):
        await EtcdStore.open([member.endpoint], auto_compact_interval=0)
