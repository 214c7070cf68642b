"""The SQLite backend of the store (see ``store`` for how its modules fit)."""

from kubeling.storage.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
