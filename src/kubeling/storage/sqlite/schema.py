"""The on-disk layout: tables, pragmas and the schema version.

Tables
    ``log`` holds one row per write, keyed by its revision (``INTEGER PRIMARY
    KEY``, so the revision *is* the rowid and the log is stored in revision
    order). A row carries the key, the value (NULL for a delete), the key's
    ``create_revision`` and ``version`` after the write, the revision of the
    row it replaced (``prev_revision``, 0 for a create; this gives watch
    replay its ``prev_kv``) and a ``deleted`` flag. The index on
    ``(key, revision)`` answers "the key as of revision N" with one seek.

    ``current`` maps every live key to the revision of its latest log row. It
    is what makes reads at the current revision cheap: a list walks
    ``current`` in key order and fetches each value by rowid, never scanning
    history. It points into the log instead of copying the value so that a
    value (up to 1.5 MiB) is written to disk once, not twice.

    ``meta`` holds the compacted revision. The current revision is not
    stored: it is ``MAX(log.revision)`` (1 for an empty log), which is O(1) on
    the rowid, always consistent with the log, and compaction never removes
    the newest row.

Keys are TEXT with the BINARY collation, which compares the UTF-8 bytes with
memcmp: exactly the store's key order.

Pragmas
    WAL lets readers run alongside the single writer. ``synchronous=FULL``
    syncs the WAL on every commit, so a write is acknowledged only once it is
    durable. ``auto_vacuum=INCREMENTAL`` (it can only be set before the first
    table exists) lets compaction hand freed pages back to the filesystem;
    ``journal_size_limit`` truncates the WAL after checkpoints so that it does
    not keep the size of its largest burst.
"""

from __future__ import annotations

import sqlite3

from kubeling.storage.errors import StoreError

__all__ = [
    "SCHEMA_VERSION",
    "connect_reader",
    "connect_writer",
    "initialise",
    "load_state",
]

SCHEMA_VERSION = 1
"""Stored in ``PRAGMA user_version``; 0 means a new, empty file."""

BUSY_TIMEOUT_MS = 10_000
WAL_AUTOCHECKPOINT_PAGES = 1000
JOURNAL_SIZE_LIMIT = 4 * 1024 * 1024
CACHE_KIB = 16 * 1024

_DDL = """
CREATE TABLE log (
    revision INTEGER PRIMARY KEY,
    key TEXT NOT NULL COLLATE BINARY,
    value BLOB,
    create_revision INTEGER NOT NULL,
    version INTEGER NOT NULL,
    prev_revision INTEGER NOT NULL,
    deleted INTEGER NOT NULL
);
CREATE INDEX log_key_revision ON log (key, revision);
CREATE TABLE current (
    key TEXT PRIMARY KEY COLLATE BINARY,
    revision INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE meta (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (name, value) VALUES ('compacted', 0);
"""


def _connect(path: str) -> sqlite3.Connection:
    # isolation_level=None: no implicit transactions; every BEGIN/COMMIT is
    # ours. check_same_thread=False: a connection is created on one thread and
    # closed on another (always used by one thread at a time).
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=0)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    return conn


def connect_writer(path: str) -> sqlite3.Connection:
    """The one connection that writes; creates the schema if the file is new."""
    conn = _connect(path)
    try:
        # Must precede the first table of a new file; a no-op afterwards.
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"sqlite store: cannot enable WAL mode on {path} (got {mode!r})")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}")
        conn.execute(f"PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT}")
        initialise(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def connect_reader(path: str) -> sqlite3.Connection:
    """A connection for one reader thread (the writer has created the schema)."""
    conn = _connect(path)
    conn.execute("PRAGMA query_only = 1")
    return conn


def initialise(conn: sqlite3.Connection) -> None:
    """Create the tables of a new file in one transaction; check an old one's version."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            for statement in _DDL.split(";"):
                if statement.strip():
                    conn.execute(statement)
            # user_version lives in the file header, so it commits with the tables:
            # a crash here leaves a file that is still "new".
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        elif version != SCHEMA_VERSION:
            raise StoreError(
                f"sqlite store: schema version {version} is not the supported {SCHEMA_VERSION}"
            )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def load_state(conn: sqlite3.Connection) -> tuple[int, int]:
    """(current revision, compacted revision) as committed in the file."""
    row = conn.execute(
        "SELECT (SELECT MAX(revision) FROM log), (SELECT value FROM meta WHERE name = 'compacted')"
    ).fetchone()
    return int(row[0] or 1), int(row[1] or 0)
