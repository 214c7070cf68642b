"""One write, applied inside the writer's open transaction.

Each operation reads the key's current row, checks its preconditions and, if
they hold, appends one log row and moves the key's ``current`` pointer. A
failed check (the key exists, does not exist, a precondition does not hold)
raises the store's error *before* anything is written for that operation, so
the rest of the batch is unaffected and no revision is consumed. Because the
checks read ``current`` inside the same transaction, a later operation in the
batch sees the effects of earlier ones, exactly as if they had committed one
by one.
"""

from __future__ import annotations

import asyncio
import enum
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from kubeling.storage.errors import (
    CompactedError,
    FutureRevisionError,
    KeyExistsError,
    KeyNotFoundError,
)
from kubeling.storage.interface import (
    DeleteResult,
    EventType,
    KeyValue,
    Preconditions,
    WatchEvent,
)

__all__ = ["Op", "OpKind", "TxnState", "apply"]


class OpKind(enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    COMPACT = "compact"


@dataclass(slots=True)
class Op:
    """A queued write; ``future`` belongs to the event loop and is never touched
    by the writer thread (results travel back with ``call_soon_threadsafe``)."""

    kind: OpKind
    future: asyncio.Future[Any]
    key: str = ""
    value: bytes = b""
    preconditions: Preconditions | None = None
    revision: int = 0
    size: int = field(init=False)

    def __post_init__(self) -> None:
        self.size = len(self.value) + len(self.key)


@dataclass(slots=True)
class TxnState:
    """The revision counters as seen inside the open transaction."""

    revision: int
    compacted: int


_LOOKUP = (
    "SELECT l.revision, l.value, l.create_revision, l.version "
    "FROM current AS c JOIN log AS l ON l.revision = c.revision WHERE c.key = ?"
)
_APPEND = (
    "INSERT INTO log (revision, key, value, create_revision, version, prev_revision, deleted) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def _lookup(conn: sqlite3.Connection, key: str) -> KeyValue | None:
    row = conn.execute(_LOOKUP, (key,)).fetchone()
    if row is None:
        return None
    return KeyValue(key, row[1], row[2], row[0], row[3])


def _existing(conn: sqlite3.Connection, key: str, preconditions: Preconditions | None) -> KeyValue:
    current = _lookup(conn, key)
    if current is None:
        raise KeyNotFoundError(key)
    if preconditions is not None:
        preconditions.check(current)
    return current


def apply(
    conn: sqlite3.Connection, op: Op, state: TxnState
) -> tuple[KeyValue | DeleteResult | None, WatchEvent | None]:
    """Apply ``op``; return its result and the event it produced (None for compact).

    Raises the store's error for a failed check, sqlite3.Error for a failed
    statement (which aborts the whole transaction).
    """
    if op.kind is OpKind.CREATE:
        rev = state.revision + 1
        try:
            # The primary key is the existence check: a failed INSERT aborts
            # only this statement, not the transaction (and saves a lookup).
            conn.execute("INSERT INTO current (key, revision) VALUES (?, ?)", (op.key, rev))
        except sqlite3.IntegrityError as err:
            raise KeyExistsError(op.key) from err
        conn.execute(_APPEND, (rev, op.key, op.value, rev, 1, 0, 0))
        state.revision = rev
        kv = KeyValue(op.key, op.value, rev, rev, 1)
        return kv, WatchEvent(EventType.ADDED, op.key, rev, kv, None)
    if op.kind is OpKind.UPDATE:
        prev = _existing(conn, op.key, op.preconditions)
        rev = state.revision + 1
        version = prev.version + 1
        conn.execute(
            _APPEND, (rev, op.key, op.value, prev.create_revision, version, prev.mod_revision, 0)
        )
        conn.execute("UPDATE current SET revision = ? WHERE key = ?", (rev, op.key))
        state.revision = rev
        kv = KeyValue(op.key, op.value, prev.create_revision, rev, version)
        return kv, WatchEvent(EventType.MODIFIED, op.key, rev, kv, prev)
    if op.kind is OpKind.DELETE:
        prev = _existing(conn, op.key, op.preconditions)
        rev = state.revision + 1
        # A tombstone: no value, and nothing refers to it once compacted past.
        conn.execute(_APPEND, (rev, op.key, None, 0, 0, prev.mod_revision, 1))
        conn.execute("DELETE FROM current WHERE key = ?", (op.key,))
        state.revision = rev
        return DeleteResult(prev, rev), WatchEvent(EventType.DELETED, op.key, rev, None, prev)
    # COMPACT: ordered with the writes around it, checked against the
    # transaction's own counters (which include everything committed).
    if op.revision <= state.compacted:
        raise CompactedError(op.revision, state.compacted)
    if op.revision > state.revision:
        raise FutureRevisionError(op.revision, state.revision)
    conn.execute("UPDATE meta SET value = ? WHERE name = 'compacted'", (op.revision,))
    state.compacted = op.revision
    return None, None
