"""The store's error tree.

Every failure the store can report is one of these classes, so that the API
server can map each to exactly one Kubernetes ``Status`` (see the table in
each docstring). Third-party errors (sqlite3, grpc) are caught at the backend
boundary and re-raised as the most specific class here, chained as the cause.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kubeling.storage.interface import KeyValue

__all__ = [
    "CompactedError",
    "ConflictError",
    "FutureRevisionError",
    "InvalidContinueError",
    "InvalidKeyError",
    "KeyExistsError",
    "KeyNotFoundError",
    "StoreError",
    "StoreUnavailableError",
    "TransformError",
    "UnsupportedError",
    "ValueTooLargeError",
    "WatchClosedError",
]


class StoreError(Exception):
    """Base of every store error."""


class KeyExistsError(StoreError):
    """``create`` of a key that exists (API: 409 AlreadyExists)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"key exists: {key}")
        self.key = key


class KeyNotFoundError(StoreError):
    """``update``/``delete`` of a key that does not exist (API: 404 NotFound)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"key not found: {key}")
        self.key = key


class ConflictError(StoreError):
    """A precondition did not hold (API: 409 Conflict).

    ``current`` is the value the store holds now, so that a caller can retry
    without another read (``guaranteed_update`` does).
    """

    def __init__(self, key: str, message: str, current: KeyValue) -> None:
        super().__init__(f"{message} (key {key})")
        self.key = key
        self.current = current


class CompactedError(StoreError):
    """A read or watch asked for a revision older than the compacted one.

    API: 410 Gone, reason Expired. ``compact_revision`` is the oldest revision
    that can still be read.
    """

    def __init__(self, requested: int, compact_revision: int) -> None:
        super().__init__(
            f"required revision {requested} has been compacted; "
            f"the oldest available is {compact_revision}"
        )
        self.requested = requested
        self.compact_revision = compact_revision


class FutureRevisionError(StoreError):
    """A read at a revision the store has not reached yet (API: 504/Timeout)."""

    def __init__(self, requested: int, current: int) -> None:
        super().__init__(f"required revision {requested} is a future revision (current {current})")
        self.requested = requested
        self.current = current


class ValueTooLargeError(StoreError):
    """A value above ``MAX_VALUE_BYTES`` (API: 413 RequestEntityTooLarge)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"value of {size} bytes exceeds the limit of {limit} bytes")
        self.size = size
        self.limit = limit


class InvalidKeyError(StoreError):
    """A key that is not a valid store key (a bug in the caller: API 500/400)."""


class InvalidContinueError(StoreError):
    """A continue token that this store did not issue (API: 400 BadRequest)."""


class UnsupportedError(StoreError):
    """An option this backend does not implement; never silently ignored."""


class StoreUnavailableError(StoreError):
    """The backend cannot be reached or timed out (API: 503/504)."""


class WatchClosedError(StoreError):
    """The store closed a watch; resume with a new watch from ``resume_revision``.

    Raised when a watcher fell too far behind (its bounded buffer overflowed) or
    the store shut down. Every event before ``resume_revision`` was delivered, so
    a new watch started at ``resume_revision`` misses nothing.
    """

    def __init__(self, message: str, resume_revision: int) -> None:
        super().__init__(f"{message}; resume from revision {resume_revision}")
        self.resume_revision = resume_revision


class TransformError(StoreError):
    """A stored value could not be decrypted (API: 500 InternalError).

    Kubernetes' wording: a read of one key reports the transformer's reason
    alone; a list reports ``unable to transform key "<key>": <reason>``. The
    message never carries the value itself.
    """

    def __init__(self, key: str, reason: str, *, listing: bool = False) -> None:
        super().__init__(f'unable to transform key "{key}": {reason}' if listing else reason)
        self.key = key
        self.reason = reason
