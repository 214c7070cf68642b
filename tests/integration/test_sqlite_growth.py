"""Bounded growth of the SQLite store: a million updates leave a small file.

A hundred keys are updated a million times in all, through the real durable
writer (100 concurrent writers, so group commit batches them), with automatic
compaction on. The database file and its WAL are sampled throughout and at
the end; both must stay under ``BOUND`` the whole time, which only holds if
compaction deletes history, the WAL is checkpointed and truncated, and freed
pages are reused or returned.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from kubeling.storage.sqlite import SqliteStore

KEYS = 100
UPDATES = 1_000_000
BOUND = 8 * 1024 * 1024
"""Each of the main file and the WAL must stay below 8 MiB."""

VALUE = b'{"kind":"ConfigMap","data":{"payload":"' + b"x" * 60 + b'"},"n":'


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except FileNotFoundError:
        return 0


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_a_million_updates_leave_the_file_small(tmp_path: Path) -> None:
    """1,000,000 updates to 100 keys with auto-compaction: file and WAL stay < 8 MiB."""
    db = str(tmp_path / "state.db")
    store = await SqliteStore.open(db, auto_compact_interval=0.5, keep_revisions=10_000)
    samples: list[tuple[int, int]] = []
    done = asyncio.Event()

    async def sample() -> None:
        while not done.is_set():
            samples.append((_size(db), _size(f"{db}-wal")))
            await asyncio.sleep(0.25)

    async def writer(k: int) -> None:
        key = f"/registry/configmaps/growth/{k:03d}"
        await store.create(key, VALUE + b"0}")
        for i in range(1, UPDATES // KEYS):
            await store.update(key, VALUE + str(i).encode() + b"}")

    started = time.monotonic()
    sampler = asyncio.create_task(sample())
    try:
        await asyncio.gather(*(writer(k) for k in range(KEYS)))
        elapsed = time.monotonic() - started
        done.set()
        await sampler
        stats = store.statistics()
        current = await store.current_revision()
        # The timer keeps 10,000 revisions; compact closer to the end once more.
        await store.compact(current - 1_000)
        for _ in range(3):  # the purge rides along with the next writes
            await store.update(f"/registry/configmaps/growth/{0:03d}", b"end")
        end_main, end_wal = _size(db), _size(f"{db}-wal")
        assert await store.count("/registry/configmaps/growth/") == KEYS
    finally:
        done.set()
        await sampler
        await store.close()
    closed_main, closed_wal = _size(db), _size(f"{db}-wal")
    peak_main = max(m for m, _ in samples)
    peak_wal = max(w for _, w in samples)
    mib = 1024 * 1024
    print(
        f"\nsqlite growth: {UPDATES} writes in {elapsed:.1f} s ({UPDATES / elapsed:.0f}/s), "
        f"{stats['commits']} commits (avg batch {stats['ops'] / stats['batches']:.1f}), "
        f"purged {stats['purged_rows']} rows, {stats['vacuums']} vacuums; "
        f"peak main {peak_main / mib:.2f} MiB, peak WAL {peak_wal / mib:.2f} MiB "
        f"({len(samples)} samples); at the end main {end_main / mib:.2f} MiB, "
        f"WAL {end_wal / mib:.2f} MiB; after close main {closed_main / mib:.2f} MiB"
    )
    assert current == 1 + UPDATES
    assert stats["commits"] < UPDATES / 10, "group commit did not batch"
    assert peak_main < BOUND
    assert peak_wal < BOUND
    assert end_main < BOUND
    assert end_wal < BOUND
    assert closed_main < BOUND
    assert closed_wal < BOUND
