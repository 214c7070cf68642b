"""Reads off the event loop: a few threads, each with its own connection.

sqlite3 calls block (and a cold page read can take a while), so reads run on
a small thread pool instead of the loop. Each thread lazily opens its own
connection (a connection must not be used by two threads at once) and runs
each read inside ``BEGIN`` ... ``COMMIT``: in WAL mode that is one snapshot,
so a list page, its ``remaining`` count and the revision checks all see the
same revision, while the writer keeps committing.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from kubeling.storage.errors import StoreUnavailableError
from kubeling.storage.sqlite import schema
from kubeling.storage.sqlite.errors import map_error

__all__ = ["ReaderPool"]

T = TypeVar("T")

DEFAULT_READERS = 4


class ReaderPool:
    """Runs ``fn(connection)`` in a read transaction on a reader thread."""

    def __init__(self, path: str, size: int = DEFAULT_READERS) -> None:
        self._path = path
        self._executor = ThreadPoolExecutor(size, thread_name_prefix="kubeling-sqlite-read")
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._closed = False

    async def run(self, fn: Callable[[sqlite3.Connection], T], doing: str) -> T:
        if self._closed:
            raise StoreUnavailableError("sqlite store: the store is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._call, fn, doing)

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = schema.connect_reader(self._path)
            with self._lock:
                self._connections.append(conn)
            self._local.conn = conn
        return conn

    def _call(self, fn: Callable[[sqlite3.Connection], T], doing: str) -> T:
        try:
            conn = self._connection()
            conn.execute("BEGIN")
            try:
                return fn(conn)
            finally:
                # Ends the read snapshot (nothing to commit), even after an error.
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
        except sqlite3.Error as err:
            raise map_error(err, doing) from err

    async def close(self) -> None:
        """Wait for running reads, then close every connection."""
        self._closed = True
        await asyncio.to_thread(self._executor.shutdown, wait=True)
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()
