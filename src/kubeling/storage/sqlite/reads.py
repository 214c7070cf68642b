"""Queries, each run inside one read transaction (one consistent snapshot).

Every read first learns the snapshot's own current and compacted revisions
(``bounds``) and checks the requested revision against *them*, not against
counters kept in memory. That closes the race with compaction: the purge of
rows below N commits only after N was recorded, so a snapshot that still
allows a revision below N also still holds its rows.

Reads at the snapshot's current revision go through ``current`` (key order,
one rowid fetch per value). Reads at an older revision take, per key, the
newest log row at or below it via the ``(key, revision)`` index; a tombstone
there means the key did not exist.

Prefixes become a key range ``[prefix, end)``; ``end`` is computed on code
points, which order like UTF-8 bytes, so the range matches exactly the keys
that start with the prefix.
"""

from __future__ import annotations

import sqlite3

from kubeling.storage.errors import CompactedError, FutureRevisionError
from kubeling.storage.interface import EventType, KeyValue, ListResult, WatchEvent
from kubeling.storage.keys import encode_continue

__all__ = ["bounds", "count", "get", "history", "list_page", "prefix_range_end", "resolve"]

_MAX_CODE_POINT = 0x10FFFF
_SURROGATES = range(0xD800, 0xE000)
# Larger than any key (keys are at most 1 KiB of UTF-8) when a prefix has no end.
_NO_END = chr(_MAX_CODE_POINT) * 1025


def prefix_range_end(prefix: str) -> str:
    """The smallest string greater than every string that starts with ``prefix``.

    >>> prefix_range_end("/a/")
    '/a0'
    """
    chars = list(prefix)
    while chars:
        point = ord(chars[-1]) + 1
        if point in _SURROGATES:
            point = _SURROGATES.stop
        if point <= _MAX_CODE_POINT:
            chars[-1] = chr(point)
            return "".join(chars)
        chars.pop()
    return _NO_END


def bounds(conn: sqlite3.Connection) -> tuple[int, int]:
    """(current, compacted) revision of this snapshot; its first statement starts it."""
    row = conn.execute(
        "SELECT (SELECT MAX(revision) FROM log), (SELECT value FROM meta WHERE name = 'compacted')"
    ).fetchone()
    return int(row[0] or 1), int(row[1] or 0)


def resolve(conn: sqlite3.Connection, revision: int) -> tuple[int, int]:
    """(revision to read at, snapshot's current revision) for a requested revision."""
    current, compacted = bounds(conn)
    if revision == 0:
        return current, current
    if revision < compacted:
        raise CompactedError(revision, compacted)
    if revision > current:
        raise FutureRevisionError(revision, current)
    return revision, current


def get(conn: sqlite3.Connection, key: str, revision: int) -> KeyValue | None:
    at, current = resolve(conn, revision)
    if at == current:
        row = conn.execute(
            "SELECT l.value, l.create_revision, l.revision, l.version "
            "FROM current AS c JOIN log AS l ON l.revision = c.revision WHERE c.key = ?",
            (key,),
        ).fetchone()
    else:
        row = conn.execute(
            "SELECT value, create_revision, revision, version, deleted FROM log "
            "WHERE key = ? AND revision <= ? ORDER BY revision DESC LIMIT 1",
            (key, at),
        ).fetchone()
        if row is not None and row[4]:
            return None
    return None if row is None else KeyValue(key, row[0], row[1], row[2], row[3])


_PAGE_NOW = (
    "SELECT c.key, l.value, l.create_revision, l.revision, l.version "
    "FROM current AS c JOIN log AS l ON l.revision = c.revision "
    "WHERE c.key >= ? AND c.key < ? ORDER BY c.key LIMIT ?"
)
_COUNT_NOW = "SELECT COUNT(*) FROM current WHERE key >= ? AND key < ?"
# The newest row per key at or below the revision: index-only in the inner
# query, one rowid fetch per key outside it.
_LATEST_AT = (
    "SELECT key, MAX(revision) AS revision FROM log "
    "WHERE key >= :start AND key < :end AND revision <= :at GROUP BY key"
)
_PAGE_AT = (
    "SELECT l.key, l.value, l.create_revision, l.revision, l.version "
    f"FROM ({_LATEST_AT}) AS m JOIN log AS l ON l.revision = m.revision "
    "WHERE l.deleted = 0 ORDER BY l.key LIMIT :limit"
)
_COUNT_AT = (
    f"SELECT COUNT(*) FROM ({_LATEST_AT}) AS m JOIN log AS l ON l.revision = m.revision "
    "WHERE l.deleted = 0"
)


def list_page(
    conn: sqlite3.Connection, prefix: str, start: str, revision: int, limit: int
) -> ListResult:
    """Keys under ``prefix`` from ``start`` on, at most ``limit`` (0: all)."""
    at, current = resolve(conn, revision)
    end = prefix_range_end(prefix)
    fetch = limit + 1 if limit > 0 else -1
    if at == current:
        rows = conn.execute(_PAGE_NOW, (start, end, fetch)).fetchall()
    else:
        rows = conn.execute(
            _PAGE_AT, {"start": start, "end": end, "at": at, "limit": fetch}
        ).fetchall()
    token = None
    remaining = 0
    if limit > 0 and len(rows) > limit:
        next_key = rows[limit][0]
        token = encode_continue(at, next_key, prefix)
        if at == current:
            remaining = conn.execute(_COUNT_NOW, (next_key, end)).fetchone()[0]
        else:
            remaining = conn.execute(
                _COUNT_AT, {"start": next_key, "end": end, "at": at}
            ).fetchone()[0]
        rows = rows[:limit]
    kvs = [KeyValue(row[0], row[1], row[2], row[3], row[4]) for row in rows]
    return ListResult(kvs, at, token, int(remaining))


def count(conn: sqlite3.Connection, prefix: str) -> int:
    return int(conn.execute(_COUNT_NOW, (prefix, prefix_range_end(prefix))).fetchone()[0])


_HISTORY = (
    "SELECT l.revision, l.key, l.value, l.create_revision, l.version, l.deleted, "
    "l.prev_revision, p.value, p.create_revision, p.version "
    "FROM log AS l LEFT JOIN log AS p ON p.revision = l.prev_revision "
    "WHERE l.revision >= ? AND l.revision <= ? AND {match} ORDER BY l.revision"
)
_HISTORY_KEY = _HISTORY.format(match="l.key = ?")
_HISTORY_PREFIX = _HISTORY.format(match="l.key >= ? AND l.key < ?")


def history(
    conn: sqlite3.Connection, key: str, prefix: bool, first: int, last: int
) -> list[WatchEvent]:
    """The events with ``first <= revision <= last`` for the key or prefix, in order."""
    _, compacted = bounds(conn)
    if first < compacted:
        raise CompactedError(first, compacted)
    if prefix:
        cursor = conn.execute(_HISTORY_PREFIX, (first, last, key, prefix_range_end(key)))
    else:
        cursor = conn.execute(_HISTORY_KEY, (first, last, key))
    events = []
    for (
        rev,
        k,
        value,
        create_rev,
        version,
        deleted,
        prev_rev,
        p_value,
        p_create,
        p_version,
    ) in cursor:
        prev = None if prev_rev == 0 else KeyValue(k, p_value, p_create, prev_rev, p_version)
        if deleted:
            events.append(WatchEvent(EventType.DELETED, k, rev, None, prev))
        else:
            kv = KeyValue(k, value, create_rev, rev, version)
            kind = EventType.ADDED if prev is None else EventType.MODIFIED
            events.append(WatchEvent(kind, k, rev, kv, prev))
    return events
