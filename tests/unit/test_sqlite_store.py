"""The SQLite backend: its own machinery (group commit, reopen, compaction) and
a randomized comparison with the memory reference model."""

from __future__ import annotations

import asyncio
import json
import os
import random
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any

import pytest

from kubeling.storage.errors import (
    CompactedError,
    ConflictError,
    FutureRevisionError,
    InvalidContinueError,
    InvalidKeyError,
    KeyExistsError,
    KeyNotFoundError,
    StoreError,
    StoreUnavailableError,
    ValueTooLargeError,
    WatchClosedError,
)
from kubeling.storage.interface import (
    MAX_VALUE_BYTES,
    EventType,
    KeyValue,
    Preconditions,
    Store,
    Watcher,
    WatchEvent,
)
from kubeling.storage.memory import MemoryStore
from kubeling.storage.sqlite import SqliteStore
from kubeling.storage.sqlite.reads import prefix_range_end
from tests.support.waiting import eventually


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    s = await SqliteStore.open(str(tmp_path / "state.db"), auto_compact_interval=None)
    try:
        yield s
    finally:
        await s.close()


def _rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


async def _take(watcher: Watcher, n: int) -> list[WatchEvent]:
    return [await asyncio.wait_for(watcher.__anext__(), 5) for _ in range(n)]


# -- basics ------------------------------------------------------------------


async def test_fresh_store_starts_at_revision_one(store: SqliteStore) -> None:
    """A new file is at revision 1, empty, never compacted."""
    assert await store.current_revision() == 1
    assert await store.compacted_revision() == 0
    result = await store.list("/")
    assert (result.kvs, result.revision) == ([], 1)
    assert (result.continue_token, result.remaining) == (None, 0)
    assert await store.count("/") == 0


async def test_writes_follow_etcd_revisions_and_errors(store: SqliteStore) -> None:
    """create/update/delete bump the revision by one and raise the store's errors."""
    kv = await store.create("/a", b"1")
    assert kv == KeyValue("/a", b"1", 2, 2, 1)
    with pytest.raises(KeyExistsError):
        await store.create("/a", b"x")
    kv = await store.update("/a", b"2", preconditions=Preconditions(mod_revision=2))
    assert kv == KeyValue("/a", b"2", 2, 3, 2)
    with pytest.raises(ConflictError) as conflict:
        await store.update("/a", b"3", preconditions=Preconditions(mod_revision=2))
    assert conflict.value.current == kv
    with pytest.raises(KeyNotFoundError):
        await store.update("/b", b"1")
    deleted = await store.delete("/a")
    assert (deleted.prev_kv, deleted.revision) == (kv, 4)
    with pytest.raises(KeyNotFoundError):
        await store.delete("/a")
    assert await store.get("/a") is None
    assert await store.current_revision() == 4
    again = await store.create("/a", b"new")
    assert again == KeyValue("/a", b"new", 5, 5, 1)


async def test_uid_precondition(store: SqliteStore) -> None:
    """A uid precondition is checked against the stored object's metadata.uid."""
    value = json.dumps({"metadata": {"uid": "u1"}}).encode()
    await store.create("/pod", value)
    with pytest.raises(ConflictError):
        await store.delete("/pod", preconditions=Preconditions(uid="u2"))
    result = await store.delete("/pod", preconditions=Preconditions(uid="u1"))
    assert result.prev_kv.value == value


async def test_invalid_input_is_rejected(store: SqliteStore) -> None:
    """Bad keys, oversized values and foreign continue tokens raise typed errors."""
    with pytest.raises(InvalidKeyError):
        await store.create("no-slash", b"")
    with pytest.raises(ValueTooLargeError):
        await store.create("/big", b"x" * (MAX_VALUE_BYTES + 1))
    with pytest.raises(InvalidContinueError):
        await store.list("/", limit=1, continue_token="garbage")
    with pytest.raises(FutureRevisionError):
        await store.get("/a", revision=5)
    assert await store.current_revision() == 1


async def test_keys_sort_by_utf8_bytes_and_prefixes_are_exact(store: SqliteStore) -> None:
    """Ordering is by UTF-8 bytes; a prefix range holds exactly its keys."""
    keys = ["/a/z", "/a/ü", "/a/\U0001f600", "/a/\uffff", "/a0", "/a/", "/b", "/a\U0010ffff"]
    for key in keys:
        await store.create(key, key.encode())
    listed = [kv.key for kv in (await store.list("/")).kvs]
    assert listed == sorted(keys, key=lambda k: k.encode())
    assert [kv.key for kv in (await store.list("/a/")).kvs] == sorted(
        (k for k in keys if k.startswith("/a/")), key=lambda k: k.encode()
    )
    assert await store.count("/a\U0010ffff") == 1
    assert prefix_range_end("/a\U0010ffff") == "/b"
    assert prefix_range_end("/\ud7ff") == "/\ue000"


# -- group commit ------------------------------------------------------------


async def test_group_commit_batches_concurrent_writers(store: SqliteStore) -> None:
    """64 concurrent writers share transactions: far fewer commits than writes."""
    before = store.statistics()

    async def writer(w: int) -> None:
        for i in range(20):
            await store.create(f"/gc/{w}/{i}", b"v")

    await asyncio.gather(*(writer(w) for w in range(64)))
    after = store.statistics()
    writes = after["writes"] - before["writes"]
    commits = after["commits"] - before["commits"]
    assert writes == 64 * 20
    assert commits < writes / 4, (commits, writes)
    assert after["max_batch"] > 1
    assert await store.current_revision() == 1 + 64 * 20
    assert await store.count("/gc/") == 64 * 20


class _Gate:
    """Holds the writer thread inside the op for ``/gate``, so that the ops
    submitted meanwhile queue up and are all taken as the next batch."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail_key: str | None = None) -> None:
        from kubeling.storage.sqlite import ops, writer

        self.entered = threading.Event()
        self.release = threading.Event()
        real_apply = ops.apply

        def gated_apply(conn: sqlite3.Connection, op: Any, state: Any) -> Any:
            if op.key == "/gate":
                self.entered.set()
                self.release.wait(10)
            if op.key == fail_key:
                raise sqlite3.OperationalError("disk I/O error (simulated)")
            return real_apply(conn, op, state)

        monkeypatch.setattr(writer, "apply", gated_apply)

    async def batch(self, store: SqliteStore, *calls: Awaitable[Any]) -> list[Any]:
        """Run ``calls`` so that all of them land in one batch; their outcomes."""
        gate = asyncio.ensure_future(store.create("/gate", b""))
        assert await asyncio.to_thread(self.entered.wait, 10)
        tasks = [asyncio.ensure_future(call) for call in calls]
        await asyncio.sleep(0)  # every task runs up to its submit
        self.release.set()
        await gate
        return list(await asyncio.gather(*tasks, return_exceptions=True))


async def test_failing_op_in_a_batch_does_not_fail_the_others(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exists / not found / conflict fail alone; their batch mates commit."""
    await store.create("/x", b"0")  # 2; the gate is 3
    before = store.statistics()
    results = await _Gate(monkeypatch).batch(
        store,
        store.create("/n1", b"1"),
        store.create("/x", b"dup"),
        store.update("/missing", b"1"),
        store.update("/x", b"1"),
        store.update("/x", b"2", preconditions=Preconditions(mod_revision=2)),
        store.delete("/gone"),
        store.create("/n2", b"2"),
    )
    after = store.statistics()
    assert after["commits"] - before["commits"] == 2, "the gate, then all seven in one"
    assert after["max_batch"] == 7
    assert results[0] == KeyValue("/n1", b"1", 4, 4, 1)
    assert isinstance(results[1], KeyExistsError)
    assert isinstance(results[2], KeyNotFoundError)
    assert results[3] == KeyValue("/x", b"1", 2, 5, 2)
    assert isinstance(results[4], ConflictError)
    assert results[4].current == results[3]
    assert isinstance(results[5], KeyNotFoundError)
    assert results[6] == KeyValue("/n2", b"2", 6, 6, 1)
    assert after["failed_ops"] - before["failed_ops"] == 4
    assert await store.current_revision() == 6
    assert [r[0] for r in _rows_of(store)] == [2, 3, 4, 5, 6]


def _rows_of(store: SqliteStore) -> list[tuple[Any, ...]]:
    return _rows(Path(store._path), "SELECT revision FROM log ORDER BY revision")


async def test_a_failed_statement_fails_its_batch_and_the_store_recovers(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An sqlite3 error inside a batch rolls it back; callers get a StoreError."""
    await store.create("/before", b"1")  # 2; the gate is 3
    results = await _Gate(monkeypatch, fail_key="/boom").batch(
        store, store.create("/mate", b"1"), store.create("/boom", b"1")
    )
    assert all(isinstance(r, StoreUnavailableError) for r in results), results
    assert isinstance(results[1].__cause__, sqlite3.OperationalError)
    assert store.statistics()["failed_commits"] == 1
    assert await store.get("/mate") is None
    assert await store.current_revision() == 3
    assert (await store.create("/after", b"1")).mod_revision == 4


# -- reads at revisions, pagination ------------------------------------------


async def test_reads_at_past_revisions(store: SqliteStore) -> None:
    """get and list at N show the state right after revision N."""
    await store.create("/r/a", b"a1")  # 2
    await store.create("/r/b", b"b1")  # 3
    await store.update("/r/a", b"a2")  # 4
    await store.delete("/r/b")  # 5
    assert (await store.get("/r/a", revision=3)) == KeyValue("/r/a", b"a1", 2, 2, 1)
    assert await store.get("/r/b", revision=5) is None
    assert (await store.get("/r/b", revision=4)) == KeyValue("/r/b", b"b1", 3, 3, 1)
    at3 = await store.list("/r/", revision=3)
    assert [kv.value for kv in at3.kvs] == [b"a1", b"b1"]
    assert at3.revision == 3
    assert [kv.value for kv in (await store.list("/r/", revision=1)).kvs] == []
    assert [kv.value for kv in (await store.list("/r/")).kvs] == [b"a2"]


async def test_pages_form_one_snapshot(store: SqliteStore) -> None:
    """Continue tokens read later pages at the first page's revision."""
    for i in range(10):
        await store.create(f"/p/{i}", b"v0")
    first = await store.list("/p/", limit=4)
    assert [kv.key for kv in first.kvs] == ["/p/0", "/p/1", "/p/2", "/p/3"]
    assert first.remaining == 6
    assert first.continue_token is not None
    await store.delete("/p/5")
    await store.update("/p/6", b"v1")
    await store.create("/p/99", b"v0")
    second = await store.list("/p/", limit=4, continue_token=first.continue_token)
    assert second.revision == first.revision
    assert [kv.key for kv in second.kvs] == ["/p/4", "/p/5", "/p/6", "/p/7"]
    assert {kv.value for kv in second.kvs} == {b"v0"}
    assert second.remaining == 2
    assert second.continue_token is not None
    third = await store.list("/p/", limit=4, continue_token=second.continue_token)
    assert [kv.key for kv in third.kvs] == ["/p/8", "/p/9"]
    assert (third.continue_token, third.remaining) == (None, 0)
    now = await store.list("/p/", limit=100)
    assert len(now.kvs) == 10
    assert "/p/5" not in {kv.key for kv in now.kvs}


# -- compaction --------------------------------------------------------------


async def test_compaction_semantics(store: SqliteStore) -> None:
    """Below the compacted revision reads and watches fail; at it they work."""
    for i in range(5):
        await store.create(f"/c/{i}", b"v")  # 2..6
    await store.update("/c/0", b"w")  # 7
    with pytest.raises(FutureRevisionError):
        await store.compact(8)
    await store.compact(4)
    assert await store.compacted_revision() == 4
    with pytest.raises(CompactedError):
        await store.compact(4)
    with pytest.raises(CompactedError):
        await store.get("/c/0", revision=3)
    with pytest.raises(CompactedError):
        await store.list("/c/", revision=3)
    with pytest.raises(CompactedError):
        await store.watch("/c/", prefix=True, start_revision=3)
    at4 = await store.list("/c/", revision=4)
    assert [kv.key for kv in at4.kvs] == ["/c/0", "/c/1", "/c/2"]
    watcher = await store.watch("/c/", prefix=True, start_revision=4)
    events = await _take(watcher, 4)
    assert [(e.type, e.revision) for e in events] == [
        (EventType.ADDED, 4),
        (EventType.ADDED, 5),
        (EventType.ADDED, 6),
        (EventType.MODIFIED, 7),
    ]
    assert events[3].prev_kv == KeyValue("/c/0", b"v", 2, 2, 1)
    await watcher.close()
    page = await store.list("/c/", revision=4, limit=1)
    assert page.continue_token is not None
    await store.compact(7)
    with pytest.raises(CompactedError):
        await store.list("/c/", limit=1, continue_token=page.continue_token)


async def test_compaction_removes_rows_and_the_file_shrinks(tmp_path: Path) -> None:
    """History below the compacted revision is deleted and the space returned."""
    path = tmp_path / "state.db"
    store = await SqliteStore.open(str(path), auto_compact_interval=None)
    try:
        value = os.urandom(20_000)
        await store.create("/del/x", b"x")
        for round_ in range(30):
            await asyncio.gather(
                *(
                    store.update(f"/k/{k}", value) if round_ else store.create(f"/k/{k}", value)
                    for k in range(10)
                )
            )
        await store.delete("/del/x")
        await store.create("/keep/last", b"last")
        before_rows = _rows(path, "SELECT COUNT(*) FROM log")[0][0]
        before_size = _size(path)
        current = await store.current_revision()
        await store.compact(current)
        # The purge runs in the writer after compact(); a few more writes drive it.
        for i in range(5):
            await store.create(f"/after/{i}", b"a")
            if store.statistics()["vacuums"]:
                break
        stats = store.statistics()
        assert stats["vacuums"] >= 1
        rows = _rows(path, "SELECT revision, key, deleted FROM log ORDER BY revision")
        # Per key the newest row below `current` (the prev_kv of nothing now,
        # but the value at `current`), the row at `current` and the later ones.
        below = [r for r in rows if r[0] < current]
        assert len(below) == 10
        assert all(r[2] == 0 for r in below)
        assert "/del/x" not in {r[1] for r in rows}
        assert len(rows) == 10 + 1 + stats["writes"] - (current - 1)
        assert before_rows == 1 + 300 + 2
        await store.close()
        after_size = _size(path)
        print(f"compaction: rows {before_rows} -> {len(rows)}, bytes {before_size} -> {after_size}")
        assert after_size < before_size / 4
        # Reads at and after the compacted revision still work after reopening.
        store = await SqliteStore.open(str(path), auto_compact_interval=None)
        assert await store.compacted_revision() == current
        assert (await store.get("/k/3", revision=current)) is not None
        assert await store.count("/k/") == 10
    finally:
        await store.close()


def _size(path: Path) -> int:
    """The database file plus its WAL (which closing the last connection removes)."""
    wal = Path(f"{path}-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


async def test_automatic_compaction(tmp_path: Path) -> None:
    """With auto_compact_interval the store compacts to current - keep_revisions."""
    store = await SqliteStore.open(
        str(tmp_path / "state.db"), auto_compact_interval=0.05, keep_revisions=10
    )
    try:
        for i in range(50):
            await store.create(f"/auto/{i}", b"v")
        await eventually(
            store.compacted_revision,
            within=2,
            what="auto-compaction to revision 41",
            accept=lambda revision: revision == 51 - 10,
        )
        assert await store.count("/auto/") == 50
    finally:
        await store.close()


async def test_automatic_compaction_keeps_one_interval_of_history(tmp_path: Path) -> None:
    """Each run compacts to the revision current at the run before, never closer to now."""
    interval = 0.1
    store = await SqliteStore.open(
        str(tmp_path / "state.db"), auto_compact_interval=interval, keep_revisions=0
    )
    loop = asyncio.get_running_loop()
    written: list[tuple[float, int]] = []  # (when the write returned, its revision)
    compactions: list[tuple[float, int]] = []  # (when first seen, the compacted revision)
    try:
        began = loop.time()
        while loop.time() - began < 10 * interval:
            kv = await store.create(f"/history/{len(written)}", b"v")
            written.append((loop.time(), kv.mod_revision))
            compacted = await store.compacted_revision()
            if compacted > (compactions[-1][1] if compactions else 0):
                compactions.append((loop.time(), compacted))
            await asyncio.sleep(0.005)
    finally:
        await store.close()
    assert len(compactions) >= 3  # it did compact, run after run
    for seen_at, compacted in compactions:
        # That run's target was the revision current when the run before began, an interval
        # or more before: at most the last write that returned by then, plus one in flight.
        older = (revision for when, revision in written if when <= seen_at - interval)
        assert compacted <= max(older, default=0) + 1


# -- durability across close/reopen -------------------------------------------


async def test_reopen_keeps_data_revision_and_compaction(tmp_path: Path) -> None:
    """Closing and reopening restores the revision, compacted revision and data."""
    path = str(tmp_path / "state.db")
    store = await SqliteStore.open(path, auto_compact_interval=None)
    await store.create("/a", b"1")
    await store.create("/b", b"1")
    await store.update("/a", b"2")
    await store.delete("/b")
    await store.compact(3)
    await store.close()
    store = await SqliteStore.open(path, auto_compact_interval=None)
    try:
        assert await store.current_revision() == 5
        assert await store.compacted_revision() == 3
        assert await store.get("/a") == KeyValue("/a", b"2", 2, 4, 2)
        assert await store.get("/b") is None
        assert await store.get("/b", revision=3) == KeyValue("/b", b"1", 3, 3, 1)
        with pytest.raises(CompactedError):
            await store.get("/a", revision=2)
        assert (await store.create("/c", b"1")).mod_revision == 6
    finally:
        await store.close()


async def test_watch_replays_history_after_reopen(tmp_path: Path) -> None:
    """A watch from an old revision replays the log written before the reopen."""
    path = str(tmp_path / "state.db")
    store = await SqliteStore.open(path, auto_compact_interval=None)
    await store.create("/w/a", b"1")  # 2
    await store.update("/w/a", b"2")  # 3
    await store.create("/other", b"x")  # 4
    await store.delete("/w/a")  # 5
    await store.close()
    store = await SqliteStore.open(path, auto_compact_interval=None)
    try:
        watcher = await store.watch("/w/", prefix=True, start_revision=2)
        live = await store.create("/w/b", b"live")  # 6
        events = await _take(watcher, 4)
        a1 = KeyValue("/w/a", b"1", 2, 2, 1)
        a2 = KeyValue("/w/a", b"2", 2, 3, 2)
        assert events == [
            WatchEvent(EventType.ADDED, "/w/a", 2, a1, None),
            WatchEvent(EventType.MODIFIED, "/w/a", 3, a2, a1),
            WatchEvent(EventType.DELETED, "/w/a", 5, None, a2),
            WatchEvent(EventType.ADDED, "/w/b", 6, live, None),
        ]
        await watcher.close()
    finally:
        await store.close()


async def test_close_ends_watchers_and_refuses_work(tmp_path: Path) -> None:
    """close(): watchers end with WatchClosedError, later calls fail cleanly."""
    store = await SqliteStore.open(str(tmp_path / "state.db"), auto_compact_interval=None)
    watcher = await store.watch("/", prefix=True)
    await store.create("/a", b"1")
    await store.close()
    await store.close()  # idempotent
    (event,) = await _take(watcher, 1)
    assert event.revision == 2
    with pytest.raises(WatchClosedError) as closed:
        await watcher.__anext__()
    assert closed.value.resume_revision == 3
    with pytest.raises(StoreUnavailableError):
        await store.create("/b", b"1")
    with pytest.raises(StoreUnavailableError):
        await store.get("/a")


async def test_second_open_of_the_same_file_is_refused(tmp_path: Path) -> None:
    """Only one store may own a file: the writer keeps the revision in memory."""
    path = str(tmp_path / "state.db")
    store = await SqliteStore.open(path, auto_compact_interval=None)
    try:
        with pytest.raises(StoreUnavailableError):
            await SqliteStore.open(path, auto_compact_interval=None)
    finally:
        await store.close()
    reopened = await SqliteStore.open(path, auto_compact_interval=None)
    await reopened.close()


async def test_sqlite_errors_become_store_errors(tmp_path: Path) -> None:
    """A file that is not a database, or a newer schema, raises StoreError."""
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a sqlite database" * 200)
    with pytest.raises(StoreError) as info:
        await SqliteStore.open(str(garbage), auto_compact_interval=None)
    assert isinstance(info.value.__cause__, sqlite3.Error)
    newer = tmp_path / "newer.db"
    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(StoreError, match="schema version 99"):
        await SqliteStore.open(str(newer), auto_compact_interval=None)
    # The failed open released its lock: opening again fails the same way.
    with pytest.raises(StoreError, match="schema version 99"):
        await SqliteStore.open(str(newer), auto_compact_interval=None)


async def test_watch_from_a_revision_seen_by_a_read(store: SqliteStore) -> None:
    """List, then watch from its revision + 1: nothing missed, nothing repeated."""

    stop = asyncio.Event()

    async def churn(w: int) -> None:
        i = 0
        while not stop.is_set():
            await store.create(f"/churn/{w}/{i}", b"v")
            i += 1

    tasks = [asyncio.create_task(churn(w)) for w in range(8)]
    try:
        for _ in range(30):
            listed = await store.list("/churn/")
            watcher = await store.watch("/churn/", prefix=True, start_revision=listed.revision + 1)
            seen = {kv.key for kv in listed.kvs}
            event = await asyncio.wait_for(watcher.__anext__(), 5)
            assert event.revision == listed.revision + 1
            assert event.key not in seen
            await watcher.close()
    finally:
        stop.set()
        await asyncio.gather(*tasks)


# -- the reference model -----------------------------------------------------


def _outcome(result: object) -> object:
    if isinstance(result, ConflictError):
        return ("ConflictError", result.current)
    if isinstance(result, BaseException):
        return type(result).__name__
    return result


async def _both(
    stores: tuple[Store, Store], call: str, *args: object, **kwargs: object
) -> tuple[object, object]:
    out = []
    for s in stores:
        try:
            out.append(await getattr(s, call)(*args, **kwargs))
        except (StoreError, ValueError) as err:
            out.append(err)
    return _outcome(out[0]), _outcome(out[1])


@pytest.mark.parametrize("seed", range(6))
async def test_behaves_like_the_memory_model(tmp_path: Path, seed: int) -> None:
    """Random operations give the same results and errors as MemoryStore."""
    rng = random.Random(seed)
    memory = MemoryStore()
    sqlite = await SqliteStore.open(str(tmp_path / "state.db"), auto_compact_interval=None)
    stores: tuple[Store, Store] = (memory, sqlite)
    keys = [f"/m/{p}/{n}" for p in ("a", "b", "ü") for n in range(4)]
    prefixes = ["/m/", "/m/a/", "/m/b", "/m/ü/", "/n/"]
    try:
        for _step in range(400):
            current = await memory.current_revision()
            compacted = await memory.compacted_revision()
            roll = rng.random()
            key = rng.choice(keys)
            revision = rng.choice([0, 0, rng.randint(max(compacted - 2, 0), current + 2)])
            if roll < 0.2:
                uid = rng.choice(["u1", "u2"])
                value = json.dumps({"metadata": {"uid": uid}, "n": rng.random()}).encode()
                pair = await _both(stores, "create", key, value)
            elif roll < 0.45:
                pre = rng.choice(
                    [
                        None,
                        Preconditions(mod_revision=rng.randint(1, current)),
                        Preconditions(uid=rng.choice(["u1", "u2"])),
                    ]
                )
                value = json.dumps({"metadata": {"uid": "u1"}, "n": rng.random()}).encode()
                pair = await _both(stores, "update", key, value, preconditions=pre)
            elif roll < 0.55:
                pre = rng.choice([None, Preconditions(mod_revision=rng.randint(1, current))])
                pair = await _both(stores, "delete", key, preconditions=pre)
            elif roll < 0.65:
                pair = await _both(stores, "get", key, revision=revision)
            elif roll < 0.8:
                prefix = rng.choice(prefixes)
                limit = rng.choice([0, 1, 2, 5])
                pair = await _both(stores, "list", prefix, revision=revision, limit=limit)
                token = getattr(pair[0], "continue_token", None)
                if token is not None and rng.random() < 0.7:
                    pair2 = await _both(stores, "list", prefix, limit=limit, continue_token=token)
                    assert pair2[0] == pair2[1], (seed, _step, "continue")
            elif roll < 0.85:
                pair = await _both(stores, "count", rng.choice(prefixes))
            elif roll < 0.9:
                target = rng.randint(max(compacted - 1, 0), current + 1)
                pair = await _both(stores, "compact", target)
            else:
                start = rng.randint(max(compacted - 1, 1), current)
                pair = await _both(stores, "watch", "/m/", prefix=True, start_revision=start)
                watchers = [w for w in pair if isinstance(w, Watcher)]
                if len(watchers) == 2:
                    expected = current - max(start, 2) + 1
                    events = [await _take(w, expected) for w in watchers]
                    assert events[0] == events[1], (seed, _step, "watch")
                    for w in watchers:
                        await w.close()
                    continue
            assert pair[0] == pair[1], (seed, _step, roll)
            assert await sqlite.current_revision() == await memory.current_revision()
            assert await sqlite.compacted_revision() == await memory.compacted_revision()
    finally:
        await sqlite.close()
        await memory.close()
