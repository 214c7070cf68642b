"""Compaction: dropping history below the compacted revision, in chunks.

``compact(N)`` itself only records N in ``meta`` (one small write, ordered with
the other writes by the writer). From that commit on, every read and watch
checks N inside its own snapshot and refuses revisions below it, so the rows
below N are dead and can be removed lazily: the writer purges them in chunks
of ``PURGE_CHUNK`` rows, each inside an ordinary write transaction, so a large
compaction never stalls writes for long.

Which rows below N must stay
    For every key, its newest row below N, unless that row is a delete
    (a tombstone). That row is the key's value at N (when nothing at N
    replaced it), and it is the ``prev_kv`` of the key's first event at or
    after N, which a watch from N replays. Every older row of the key is
    superseded by it and goes; a tombstone goes too, since a read finds no row
    at all and a later create does not refer to it. Chunks are visited in
    revision order, so a key's older rows are always judged before its
    tombstone is removed.

Keeping the file bounded
    Deleted rows free pages inside the file, which later writes reuse. Once a
    purge finishes, the writer runs a passive WAL checkpoint (the WAL is then
    restarted and truncated to ``journal_size_limit`` by the next write) and,
    when a good share of the file is free, ``incremental_vacuum`` hands the
    free pages back to the filesystem.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

__all__ = ["PURGE_CHUNK", "Purge", "reclaim"]

PURGE_CHUNK = 4096
"""Log rows examined per purge step (one step rides along with each write batch)."""

VACUUM_MIN_FREE_PAGES = 256
"""Vacuum only when at least this many pages (1 MiB at 4 KiB) are free ..."""

VACUUM_FREE_SHARE = 4
"""... and they are more than 1/VACUUM_FREE_SHARE of the file."""

_DELETE_DEAD = """
DELETE FROM log
WHERE revision >= :lo AND revision <= :hi AND revision < :target
  AND (deleted = 1 OR EXISTS (
        SELECT 1 FROM log AS later
        WHERE later.key = log.key AND later.revision > log.revision
          AND later.revision < :target))
"""


@dataclass(slots=True)
class Purge:
    """Progress of removing the rows that compaction to ``target`` made dead."""

    target: int
    cursor: int = 0

    def step(self, conn: sqlite3.Connection) -> int:
        """Purge the next chunk inside the caller's transaction; rows deleted."""
        row = conn.execute(
            "SELECT revision FROM log WHERE revision >= ? AND revision < ? "
            "ORDER BY revision LIMIT 1 OFFSET ?",
            (self.cursor, self.target, PURGE_CHUNK - 1),
        ).fetchone()
        hi = int(row[0]) if row is not None else self.target - 1
        deleted = conn.execute(
            _DELETE_DEAD, {"lo": self.cursor, "hi": hi, "target": self.target}
        ).rowcount
        self.cursor = hi + 1
        return max(deleted, 0)

    @property
    def done(self) -> bool:
        return self.cursor >= self.target


def reclaim(conn: sqlite3.Connection) -> bool:
    """Checkpoint the WAL and vacuum free pages if worthwhile (outside a transaction).

    Returns whether a vacuum ran.
    """
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    free = int(conn.execute("PRAGMA freelist_count").fetchone()[0])
    pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
    if free < VACUUM_MIN_FREE_PAGES or free * VACUUM_FREE_SHARE < pages:
        return False
    # Keep a little slack so that the next writes do not grow the file at once.
    # executescript, not execute: sqlite3's execute steps a statement that
    # returns no rows only once, and each step of this pragma frees one page.
    conn.executescript(f"PRAGMA incremental_vacuum({free - VACUUM_MIN_FREE_PAGES // 2});")
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    return True
