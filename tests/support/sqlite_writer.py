"""A child process for the SQLite crash test: write until killed.

    python tests/support/sqlite_writer.py DB RUN [WRITERS]

Opens the store in DB and runs WRITERS concurrent tasks; each creates its own
keys under ``/crash/<RUN>/`` and then keeps updating them. Every acknowledged
write is printed as one line, ``<key> <mod_revision> <value>``, and flushed at
once, so that the parent knows exactly which writes the store acknowledged
before it was killed. Values are ``<writer>.<sequence>``: a later write to a
key always has a larger sequence. Every few hundred writes the first task
also compacts, so that kills land in compactions and purges too. Prints
``ready`` once the store is open.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from kubeling.storage.errors import CompactedError
from kubeling.storage.sqlite import SqliteStore

KEYS_PER_WRITER = 4
COMPACT_EVERY = 50
KEEP_REVISIONS = 300


async def main(path: str, run: str, writers: int) -> None:
    store = await SqliteStore.open(path, auto_compact_interval=None)
    out = sys.stdout

    def acked(key: str, revision: int, value: str) -> None:
        out.write(f"{key} {revision} {value}\n")
        out.flush()

    out.write("ready\n")
    out.flush()

    async def writer(w: int) -> None:
        keys = [f"/crash/{run}/{w}/{k}" for k in range(KEYS_PER_WRITER)]
        seq = 0
        for key in keys:
            seq += 1
            value = f"{w}.{seq}"
            kv = await store.create(key, value.encode())
            acked(key, kv.mod_revision, value)
        while True:
            for key in keys:
                seq += 1
                value = f"{w}.{seq}"
                kv = await store.update(key, value.encode())
                acked(key, kv.mod_revision, value)
                if w == 0 and seq % COMPACT_EVERY == 0:
                    target = await store.current_revision() - KEEP_REVISIONS
                    if target > await store.compacted_revision():
                        # Only this task compacts, but a retried compaction must not end the run.
                        with contextlib.suppress(CompactedError):
                            await store.compact(target)

    await asyncio.gather(*(writer(w) for w in range(writers)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 16))
