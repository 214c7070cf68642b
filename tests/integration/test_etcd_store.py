"""The etcd backend against one real etcd member (started per test in tmp_path)."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kubeling.storage import (
    MAX_VALUE_BYTES,
    CompactedError,
    ConflictError,
    EventType,
    FutureRevisionError,
    InvalidContinueError,
    InvalidKeyError,
    KeyExistsError,
    KeyNotFoundError,
    Preconditions,
    Store,
    StoreUnavailableError,
    ValueTooLargeError,
    WatchClosedError,
    Watcher,
    WatchEvent,
)
from kubeling.storage.etcd import EtcdStore
from kubeling.storage.memory import MemoryStore
from tests.support.etcd import EtcdMember

pytestmark = [pytest.mark.etcd, pytest.mark.timeout(120)]


@pytest.fixture
async def store(member: EtcdMember) -> AsyncIterator[EtcdStore]:
    opened = await EtcdStore.open([member.endpoint], timeout=2.0)
    try:
        yield opened
    finally:
        await opened.close()


def obj(uid: str, n: int = 0) -> bytes:
    return json.dumps({"metadata": {"uid": uid}, "n": n}).encode()


async def next_event(watcher: Watcher, wait: float = 5.0) -> WatchEvent:
    return await asyncio.wait_for(watcher.__anext__(), wait)


async def next_change(watcher: Watcher, wait: float = 5.0) -> WatchEvent:
    """The next event that is not a PROGRESS."""
    while True:
        event = await next_event(watcher, wait)
        if event.type is not EventType.PROGRESS:
            return event


async def test_fresh_store_and_crud(store: EtcdStore) -> None:
    assert await store.current_revision() == 1
    assert await store.compacted_revision() == 0
    created = await store.create("/r/a", b"1")
    assert (created.create_revision, created.mod_revision, created.version) == (2, 2, 1)
    with pytest.raises(KeyExistsError):
        await store.create("/r/a", b"other")
    assert await store.current_revision() == 2  # a failed create writes nothing
    updated = await store.update("/r/a", b"2")
    assert (updated.value, updated.create_revision, updated.mod_revision, updated.version) == (
        b"2", 2, 3, 2,
    )  # fmt: skip
    assert await store.get("/r/a") == updated
    assert await store.get("/r/a", revision=2) == created
    assert await store.get("/r/missing") is None
    with pytest.raises(KeyNotFoundError):
        await store.update("/r/missing", b"x")
    deleted = await store.delete("/r/a")
    assert deleted.prev_kv == updated
    assert deleted.revision == 4
    with pytest.raises(KeyNotFoundError):
        await store.delete("/r/a")
    recreated = await store.create("/r/a", b"3")
    assert (recreated.create_revision, recreated.version) == (5, 1)
    assert await store.current_revision() == 5


async def test_invalid_input_is_rejected_before_etcd(store: EtcdStore) -> None:
    with pytest.raises(InvalidKeyError):
        await store.create("no-slash", b"")
    with pytest.raises(ValueTooLargeError):
        await store.create("/big", b"x" * (MAX_VALUE_BYTES + 1))
    exactly = await store.create("/big", b"x" * MAX_VALUE_BYTES)  # etcd takes the maximum
    assert len(exactly.value) == MAX_VALUE_BYTES
    assert await store.current_revision() == 2


async def test_preconditions(store: EtcdStore) -> None:
    first = await store.create("/p/a", obj("u1"))
    second = await store.update("/p/a", obj("u1", 1))
    with pytest.raises(ConflictError) as stale:
        await store.update(
            "/p/a", obj("u1", 2), preconditions=Preconditions(mod_revision=first.mod_revision)
        )
    assert stale.value.current == second
    with pytest.raises(ConflictError, match="UID in precondition: u2"):
        await store.update("/p/a", obj("u1", 2), preconditions=Preconditions(uid="u2"))
    third = await store.update("/p/a", obj("u1", 2), preconditions=Preconditions(uid="u1"))
    fourth = await store.update(
        "/p/a", obj("u1", 3), preconditions=Preconditions(mod_revision=third.mod_revision, uid="u1")
    )
    assert fourth.version == 4
    with pytest.raises(KeyNotFoundError):
        await store.update("/p/none", b"", preconditions=Preconditions(mod_revision=3))
    with pytest.raises(KeyNotFoundError):
        await store.delete("/p/none", preconditions=Preconditions(uid="u1"))
    with pytest.raises(ConflictError) as conflict:
        await store.delete("/p/a", preconditions=Preconditions(mod_revision=third.mod_revision))
    assert conflict.value.current == fourth
    with pytest.raises(ConflictError):
        await store.delete("/p/a", preconditions=Preconditions(uid="nope"))
    result = await store.delete(
        "/p/a", preconditions=Preconditions(mod_revision=fourth.mod_revision)
    )
    assert result.prev_kv == fourth
    assert result.revision == fourth.mod_revision + 1


async def test_guaranteed_update_with_concurrent_writers(store: EtcdStore) -> None:
    await store.create("/g/counter", b"0")

    async def bump() -> None:
        async def add(current: Any) -> bytes:
            await asyncio.sleep(0)
            return str(int(current.value) + 1).encode()

        await store.guaranteed_update("/g/counter", add)

    await asyncio.gather(*(bump() for _ in range(20)))
    final = await store.get("/g/counter")
    assert final is not None
    assert final.value == b"20"
    assert final.version == 21


async def test_list_pagination_is_one_snapshot(store: EtcdStore) -> None:
    for i in range(7):
        await store.create(f"/l/k{i}", str(i).encode())
    await store.create("/l0", b"not under /l/")
    assert await store.count("/l/") == 7
    page = await store.list("/l/", limit=3)
    assert [kv.key for kv in page.kvs] == ["/l/k0", "/l/k1", "/l/k2"]
    assert (page.revision, page.remaining) == (9, 4)
    assert page.continue_token is not None
    snapshot = page.revision
    await store.delete("/l/k4")
    await store.create("/l/k9", b"9")
    page = await store.list("/l/", limit=3, continue_token=page.continue_token)
    assert [kv.key for kv in page.kvs] == ["/l/k3", "/l/k4", "/l/k5"]
    assert (page.revision, page.remaining) == (snapshot, 1)
    assert page.continue_token is not None
    last = await store.list("/l/", limit=3, continue_token=page.continue_token)
    assert [kv.key for kv in last.kvs] == ["/l/k6"]
    assert (last.continue_token, last.remaining) == (None, 0)
    now = await store.list("/l/")
    assert [kv.key for kv in now.kvs] == [f"/l/k{i}" for i in (0, 1, 2, 3, 5, 6, 9)]
    assert now.revision == await store.current_revision()
    with pytest.raises(InvalidContinueError):
        await store.list("/l/", continue_token="garbage")
    with pytest.raises(ValueError, match="revision must be 0"):
        await store.list("/l/", revision=3, continue_token=page.continue_token)
    await store.compact(await store.current_revision())
    with pytest.raises(CompactedError):
        await store.list("/l/", limit=3, continue_token=page.continue_token)


async def test_revision_errors_and_compaction(store: EtcdStore) -> None:
    for i in range(5):
        await store.create(f"/c/{i}", b"v")  # revisions 2..6
    with pytest.raises(FutureRevisionError) as future:
        await store.get("/c/0", revision=50)
    assert (future.value.requested, future.value.current) == (50, 6)
    with pytest.raises(FutureRevisionError):
        await store.compact(7)
    await store.compact(4)
    assert await store.compacted_revision() == 4
    with pytest.raises(CompactedError) as gone:
        await store.get("/c/0", revision=3)
    assert (gone.value.requested, gone.value.compact_revision) == (3, 4)
    assert (await store.list("/c/", revision=4)).kvs[-1].key == "/c/2"
    with pytest.raises(CompactedError) as again:
        await store.compact(4)
    assert again.value.compact_revision == 4
    # A second client learns the compacted revision from etcd itself.
    other = await EtcdStore.open(store._client.endpoints)
    try:
        assert await other.compacted_revision() == 4
        await other.compact(6)
        assert await store.compacted_revision() == 6
    finally:
        await other.close()
    with pytest.raises(CompactedError) as watch_gone:
        await store.watch("/c/", prefix=True, start_revision=5)
    assert watch_gone.value.compact_revision == 6


async def test_watch_events_with_prev_kv_and_history(store: EtcdStore) -> None:
    live = await store.watch("/w/", prefix=True)
    one = await store.watch("/w/a")
    a1 = await store.create("/w/a", b"1")
    a2 = await store.update("/w/a", b"2")
    b1 = await store.create("/w/b", b"x")
    gone = await store.delete("/w/a")
    expected = [
        WatchEvent(EventType.ADDED, "/w/a", a1.mod_revision, a1, None),
        WatchEvent(EventType.MODIFIED, "/w/a", a2.mod_revision, a2, a1),
        WatchEvent(EventType.ADDED, "/w/b", b1.mod_revision, b1, None),
        WatchEvent(EventType.DELETED, "/w/a", gone.revision, None, a2),
    ]
    assert [await next_change(live) for _ in expected] == expected
    assert [await next_change(one) for _ in range(3)] == [expected[0], expected[1], expected[3]]
    replay = await store.watch("/w/", prefix=True, start_revision=a2.mod_revision)
    assert [await next_change(replay) for _ in range(3)] == expected[1:]
    for watcher in (live, one, replay):
        await watcher.close()
        await watcher.close()  # idempotent
        with pytest.raises(StopAsyncIteration):
            await watcher.__anext__()


async def test_watch_progress(store: EtcdStore) -> None:
    await store.create("/q/a", b"1")
    await store.create("/other", b"1")
    # Requested progress on a watch replaying history comes only after the
    # replay (etcd 3.4.23 would answer before it: etcd-io/etcd#15220).
    replay = await store.watch("/q/", prefix=True, start_revision=1)
    await replay.request_progress()
    first = await next_event(replay)
    assert (first.type, first.revision) == (EventType.ADDED, 2)
    progress = await next_event(replay)
    assert (progress.type, progress.revision) == (EventType.PROGRESS, 3)
    # A watch from now is synced at once: the answer is immediate.
    quiet = await store.watch("/q/", prefix=True)
    await quiet.request_progress()
    answer = await next_event(quiet, wait=0.9)
    assert (answer.type, answer.revision) == (EventType.PROGRESS, 3)
    # Periodic notifications (the helper's etcd sends them every second).
    periodic = await store.watch("/q/", prefix=True, progress_notify=True)
    await store.create("/other2", b"1")
    ticks = [await next_event(periodic) for _ in range(2)]
    assert [tick.type for tick in ticks] == [EventType.PROGRESS] * 2
    assert ticks[0].revision in (3, 4)
    assert ticks[1].revision == 4
    for watcher in (replay, quiet, periodic):
        await watcher.close()


async def test_slow_watcher_is_closed_with_resume_revision(member: EtcdMember) -> None:
    store = await EtcdStore.open([member.endpoint], watch_buffer=5)
    try:
        watcher = await store.watch("/s/", prefix=True)
        for i in range(12):
            await store.create(f"/s/{i}", b"v")  # revisions 2..13
        seen = [(await next_change(watcher)).revision for _ in range(5)]
        assert seen == [2, 3, 4, 5, 6]
        with pytest.raises(WatchClosedError) as closed:
            await next_change(watcher)
        assert closed.value.resume_revision == 7
        resumed = await store.watch("/s/", prefix=True, start_revision=closed.value.resume_revision)
        assert [(await next_change(resumed)).revision for _ in range(5)] == [7, 8, 9, 10, 11]
        await resumed.close()
        await watcher.close()
    finally:
        await store.close()


async def test_close_ends_watchers(member: EtcdMember) -> None:
    store = await EtcdStore.open([member.endpoint])
    watcher = await store.watch("/x", start_revision=0)
    await store.create("/x", b"1")
    assert (await next_change(watcher)).revision == 2
    await store.close()
    with pytest.raises(WatchClosedError) as closed:
        await next_event(watcher)
    assert closed.value.resume_revision == 3
    await watcher.close()


async def test_watch_survives_member_restart(member: EtcdMember) -> None:
    store = await EtcdStore.open([member.endpoint], timeout=2.0)
    try:
        watcher = await store.watch("/m/", prefix=True)
        await store.create("/m/a", b"1")
        assert (await next_change(watcher)).revision == 2
        member.stop()
        with pytest.raises(StoreUnavailableError):
            await store.get("/m/a")
        member.start()
        await asyncio.to_thread(member.wait_healthy)
        await store.create("/m/b", b"2")
        await store.update("/m/a", b"3")
        assert [(await next_change(watcher, 15)).revision for _ in range(2)] == [3, 4]
        await watcher.close()
    finally:
        await store.close()


async def test_watch_resume_after_compaction_while_down(member: EtcdMember) -> None:
    store = await EtcdStore.open([member.endpoint], timeout=2.0)
    try:
        watcher = await store.watch("/z/", prefix=True)
        await store.create("/z/a", b"1")
        assert (await next_change(watcher)).revision == 2
        # Hold the watch's reconnection until the history it needs is gone.
        gate = asyncio.Event()
        reopen = watcher._open  # type: ignore[attr-defined]

        async def gated_open() -> Any:
            await gate.wait()
            return await reopen()

        watcher._open = gated_open  # type: ignore[attr-defined]
        member.stop()
        member.start()
        await asyncio.to_thread(member.wait_healthy)
        # Another client writes and compacts before the watch is back.
        other = await EtcdStore.open([member.endpoint])
        for i in range(3):
            await other.update("/z/a", str(i).encode())
        await other.compact(5)
        await other.close()
        gate.set()
        with pytest.raises(WatchClosedError) as closed:
            await next_change(watcher, 15)
        assert closed.value.resume_revision == 3  # never a silent gap
        with pytest.raises(CompactedError):
            await store.watch("/z/", prefix=True, start_revision=closed.value.resume_revision)
    finally:
        await store.close()


async def test_retried_writes_recognise_their_own_success(store: EtcdStore) -> None:
    """A write retried after an ambiguous failure may meet its own result."""
    created = await store.create("/amb/a", b"1")
    updated = await store.update("/amb/a", b"2")
    deleted_value = await store.update("/amb/a", b"3")
    await store.delete("/amb/a")
    call = store._client.call

    async def ambiguous(
        method: str, request: Any, *, write: bool = False, retry_request: Any = None
    ) -> tuple[Any, bool]:
        # As if a first attempt was applied and this is the retry.
        response, _ = await call(method, retry_request or request, write=write)
        return response, write

    await store.create("/amb/a", b"4")
    store._client.call = ambiguous  # type: ignore[method-assign]
    again = await store.create("/amb/a", b"4")  # as if the first attempt was applied
    assert again.version == 1
    with pytest.raises(KeyExistsError):
        await store.create("/amb/a", b"different")
    same = await store.update(
        "/amb/a", b"4", preconditions=Preconditions(mod_revision=again.mod_revision - 1)
    )
    assert same == again
    store._client.call = call  # type: ignore[method-assign]
    applied = await store.update("/amb/a", b"5")
    store._client.call = ambiguous  # type: ignore[method-assign]
    retried = await store.update("/amb/a", b"5")  # not applied twice
    assert retried == applied
    assert await store.current_revision() == applied.mod_revision
    assert created.key == updated.key == deleted_value.key
    store._client.call = call  # type: ignore[method-assign]
    before = store._client.last_revision
    result = await store.delete("/amb/a")
    store._client.call = ambiguous  # type: ignore[method-assign]
    store._client.last_revision = before
    found = await store.delete("/amb/a")  # finds the delete in the history
    assert found == result


async def test_same_results_as_the_memory_model(store: EtcdStore) -> None:
    """A random operation sequence gives identical results on both stores."""
    memory = MemoryStore()
    rng = random.Random(7)
    keys = [f"/rnd/{name}" for name in ("a", "b", "c", "d/e", "d/f")]

    async def run(target: Store, op: str, key: str, arg: int) -> object:
        try:
            if op == "create":
                return await target.create(key, obj("u", arg))
            if op == "update":
                return await target.update(key, obj("u", arg))
            if op == "cas":
                return await target.update(key, obj("u", arg), preconditions=Preconditions(arg))
            if op == "delete":
                return await target.delete(key)
            if op == "get":
                return await target.get(key, revision=arg)
            if op == "list":
                return await target.list("/rnd/", revision=arg, limit=2)
            if op == "count":
                return await target.count("/rnd/d/")
            if op == "compact":
                return await target.compact(arg)
            raise AssertionError(op)
        except (KeyExistsError, KeyNotFoundError, CompactedError, FutureRevisionError) as err:
            return type(err).__name__, str(err)
        except ConflictError as err:
            return type(err).__name__, err.current

    ops = ["create", "update", "cas", "delete", "get", "list", "count", "compact"]
    for _ in range(150):
        op = rng.choice(ops)
        key = rng.choice(keys)
        current = await memory.current_revision()
        arg = rng.randint(0, current + 1) if op in ("cas", "get", "list") else current
        if op == "compact":
            arg = rng.randint(1, current + 1)
        if op == "compact" and rng.random() < 0.7:
            continue
        assert await run(store, op, key, arg) == await run(memory, op, key, arg), (op, key, arg)
        assert await store.current_revision() == await memory.current_revision()
    assert await store.compacted_revision() == await memory.compacted_revision()
