"""Mapping sqlite3's exceptions onto the store's error tree.

Every call into sqlite3 is wrapped at the backend boundary (the writer thread,
the reader pool and ``open``), so that callers only ever see ``StoreError``
subclasses, with the original sqlite3 error chained as the cause. Lock
timeouts, I/O errors and a full disk are ``StoreUnavailableError`` (the API
server answers 503 and clients retry); anything else, e.g. a corrupt file or a
schema this code does not know, is a plain ``StoreError``.
"""

from __future__ import annotations

import sqlite3

from kubeling.storage.errors import StoreError, StoreUnavailableError

__all__ = ["map_error"]

_UNAVAILABLE_CODES = frozenset(
    code
    for code in (
        getattr(sqlite3, "SQLITE_BUSY", None),
        getattr(sqlite3, "SQLITE_LOCKED", None),
        getattr(sqlite3, "SQLITE_IOERR", None),
        getattr(sqlite3, "SQLITE_FULL", None),
        getattr(sqlite3, "SQLITE_CANTOPEN", None),
        getattr(sqlite3, "SQLITE_READONLY", None),
        getattr(sqlite3, "SQLITE_PROTOCOL", None),
    )
    if code is not None
)


def map_error(err: sqlite3.Error, doing: str) -> StoreError:
    """The StoreError to raise (``from err``) for a sqlite3 failure while ``doing``."""
    code = getattr(err, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    message = f"sqlite store: {doing} failed: {err}"
    if primary in _UNAVAILABLE_CODES or (
        primary is None and isinstance(err, sqlite3.OperationalError)
    ):
        return StoreUnavailableError(message)
    return StoreError(message)
