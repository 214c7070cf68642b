"""The store: all cluster state, behind one revisioned key-value interface.

Only the API server imports this package. See ``interface`` for the exact
semantics every backend implements; ``docs/architecture.md`` for how it fits.
"""

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
    TransformError,
    UnsupportedError,
    ValueTooLargeError,
    WatchClosedError,
)
from kubeling.storage.interface import (
    MAX_KEY_BYTES,
    MAX_VALUE_BYTES,
    DeleteResult,
    EventType,
    KeyValue,
    ListResult,
    Preconditions,
    Store,
    UpdateFunc,
    Watcher,
    WatchEvent,
)
from kubeling.storage.registry import open_store

__all__ = [
    "MAX_KEY_BYTES",
    "MAX_VALUE_BYTES",
    "CompactedError",
    "ConflictError",
    "DeleteResult",
    "EventType",
    "FutureRevisionError",
    "InvalidContinueError",
    "InvalidKeyError",
    "KeyExistsError",
    "KeyNotFoundError",
    "KeyValue",
    "ListResult",
    "Preconditions",
    "Store",
    "StoreError",
    "StoreUnavailableError",
    "TransformError",
    "UnsupportedError",
    "UpdateFunc",
    "ValueTooLargeError",
    "WatchClosedError",
    "WatchEvent",
    "Watcher",
    "open_store",
]
