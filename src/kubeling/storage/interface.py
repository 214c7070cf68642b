"""The store interface: a revisioned key-value store with watches.

This is the one narrow interface behind which kubeling keeps all cluster
state, with exactly the semantics of etcd v3's MVCC, so that the etcd backend
is a thin translation and the embedded backends are held to the same model.

Revisions
    The store has one global revision counter. A fresh store is at revision 1
    and holds no keys (as a fresh etcd). Every successful write (create, update
    or delete of one key) increments the counter by exactly one; the new value
    is the write's revision. Reads do not change it.

    Each key carries ``create_revision`` (the revision that created it since it
    last did not exist), ``mod_revision`` (the revision of its last write) and
    ``version`` (1 on creation, +1 per update; a delete resets it).

Reads at a revision
    ``get`` and ``list`` take ``revision``: 0 means "now"; N > 0 means the state
    exactly as it was right after revision N was written. N below the compacted
    revision raises :class:`CompactedError`; N above the current revision raises
    :class:`FutureRevisionError`.

Compaction
    ``compact(N)`` discards the history older than N: afterwards revisions
    below N cannot be read or watched (``CompactedError``), while N itself and
    everything after it still can. The current value of every key is kept.

Watches
    ``watch(key, start_revision=S)`` delivers every change to the key (or, with
    ``prefix=True``, to any key under it) whose revision is >= S, in revision
    order, each exactly once, with the value before the change (``prev_kv``).
    ``S = 0`` means "from the next write". S below the compacted revision
    raises ``CompactedError`` from ``watch`` itself. A watcher that falls too
    far behind is closed with :class:`WatchClosedError`, which carries the
    revision to resume from; events are never skipped silently.

Keys and values
    Keys are ``str`` that start with ``/``, at most ``MAX_KEY_BYTES`` of UTF-8,
    with no control characters; they sort by their UTF-8 bytes. Values are
    ``bytes`` of at most ``MAX_VALUE_BYTES`` (etcd's default request limit).
"""

from __future__ import annotations

import abc
import enum
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Self

from kubeling.storage.errors import ConflictError, KeyExistsError, KeyNotFoundError

__all__ = [
    "MAX_KEY_BYTES",
    "MAX_VALUE_BYTES",
    "DeleteResult",
    "EventType",
    "KeyValue",
    "ListResult",
    "Preconditions",
    "Store",
    "UpdateFunc",
    "WatchEvent",
    "Watcher",
]

MAX_VALUE_BYTES = 1536 * 1024
"""1.5 MiB: etcd's default ``--max-request-bytes``, so every backend agrees."""

MAX_KEY_BYTES = 1024


@dataclass(frozen=True, slots=True)
class KeyValue:
    """One key at one revision.

    ``stale``: the value was read through a transformer that would not write
    it that way (encryption at rest with an older key or provider, see
    ``storage.value``), so writing the same value again is not a no-op: it
    re-encrypts it with the current key. Backends never set it.
    """

    key: str
    value: bytes
    create_revision: int
    mod_revision: int
    version: int
    stale: bool = False


class EventType(enum.Enum):
    ADDED = "ADDED"
    MODIFIED = "MODIFIED"
    DELETED = "DELETED"
    PROGRESS = "PROGRESS"
    """No change: every change up to ``revision`` has been delivered (a bookmark)."""


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One change seen by a watch.

    ADDED: ``kv`` is the new key, ``prev_kv`` is None.
    MODIFIED: ``kv`` is the new value, ``prev_kv`` the one it replaced.
    DELETED: ``kv`` is None, ``prev_kv`` the value that was deleted.
    PROGRESS: ``key`` is "", both are None.
    ``revision`` is the revision of the change (for PROGRESS: the store's
    revision when the notification was made).
    """

    type: EventType
    key: str
    revision: int
    kv: KeyValue | None
    prev_kv: KeyValue | None


@dataclass(frozen=True, slots=True)
class ListResult:
    """One page of a list.

    ``revision`` is the revision the page was read at (all pages of one list
    share it). ``continue_token`` is None on the last page. ``remaining`` is the
    number of keys after this page at that revision.
    """

    kvs: list[KeyValue]
    revision: int
    continue_token: str | None
    remaining: int


@dataclass(frozen=True, slots=True)
class DeleteResult:
    """A delete: the value that was removed and the revision of the delete."""

    prev_kv: KeyValue
    revision: int


@dataclass(frozen=True, slots=True)
class Preconditions:
    """Conditions a write checks against the current value, atomically.

    ``mod_revision``: the key's mod_revision must equal it (optimistic
    concurrency, Kubernetes' resourceVersion). ``uid``: the stored JSON
    object's ``metadata.uid`` must equal it.
    """

    mod_revision: int | None = None
    uid: str | None = None

    def check(self, current: KeyValue) -> None:
        """Raise ConflictError if ``current`` does not satisfy these conditions."""
        if self.mod_revision is not None and current.mod_revision != self.mod_revision:
            raise ConflictError(
                current.key,
                f"mod revision {current.mod_revision} is not the expected {self.mod_revision}",
                current,
            )
        if self.uid is not None:
            found = uid_of(current.value)
            if found != self.uid:
                raise ConflictError(
                    current.key,
                    f"Precondition failed: UID in precondition: {self.uid}, "
                    f"UID in object meta: {found or ''}",
                    current,
                )


def uid_of(value: bytes) -> str | None:
    """The ``metadata.uid`` of a stored JSON object, or None."""
    try:
        meta = json.loads(value).get("metadata") or {}
    except (ValueError, AttributeError):
        return None
    uid = meta.get("uid") if isinstance(meta, dict) else None
    return uid if isinstance(uid, str) else None


UpdateFunc = Callable[[KeyValue | None], Awaitable[bytes | None]]
"""Computes a new value from the current one (None: the key does not exist).

Returning None means "no change": ``guaranteed_update`` then writes nothing
and returns the current value. Raising aborts the update with that error.
"""


class Watcher(abc.ABC):
    """An open watch: an async iterator of events, closed with ``close``.

    Iteration raises WatchClosedError when the store ends the watch; it ends
    (StopAsyncIteration) only after ``close``.
    """

    def __aiter__(self) -> Self:
        return self

    @abc.abstractmethod
    async def __anext__(self) -> WatchEvent: ...

    @abc.abstractmethod
    async def request_progress(self) -> None:
        """Ask for a PROGRESS event once every change so far has been delivered."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop the watch and free its resources; idempotent."""


class Store(abc.ABC):
    """A revisioned key-value store (see the module docstring for semantics)."""

    @abc.abstractmethod
    async def create(self, key: str, value: bytes) -> KeyValue:
        """Create ``key``; raise KeyExistsError if it exists. Returns the new key."""

    @abc.abstractmethod
    async def get(self, key: str, *, revision: int = 0) -> KeyValue | None:
        """The key at ``revision`` (0: now), or None if it did not exist then."""

    @abc.abstractmethod
    async def list(
        self,
        prefix: str,
        *,
        revision: int = 0,
        limit: int = 0,
        continue_token: str | None = None,
    ) -> ListResult:
        """The keys under ``prefix`` in key order, at ``revision`` (0: now).

        ``limit`` > 0 returns at most that many keys and a ``continue_token``
        when more remain. Passing that token (with the same prefix) returns the
        next page read at the first page's revision, so that the pages form one
        consistent snapshot; if that revision has since been compacted,
        CompactedError is raised. ``revision`` must be 0 with a token. A token
        that is not one of ours raises InvalidContinueError.
        """

    @abc.abstractmethod
    async def count(self, prefix: str) -> int:
        """How many keys are under ``prefix`` now."""

    @abc.abstractmethod
    async def update(
        self, key: str, value: bytes, *, preconditions: Preconditions | None = None
    ) -> KeyValue:
        """Replace the value of an existing key, atomically checking preconditions.

        Raises KeyNotFoundError if the key does not exist and ConflictError
        (carrying the current value) if a precondition fails.
        """

    @abc.abstractmethod
    async def delete(self, key: str, *, preconditions: Preconditions | None = None) -> DeleteResult:
        """Delete an existing key, atomically checking preconditions.

        Raises KeyNotFoundError if the key does not exist and ConflictError if a
        precondition fails.
        """

    @abc.abstractmethod
    async def watch(
        self,
        key: str,
        *,
        prefix: bool = False,
        start_revision: int = 0,
        progress_notify: bool = False,
    ) -> Watcher:
        """Watch ``key`` (or every key under it) from ``start_revision``.

        Raises CompactedError at once if ``start_revision`` was compacted. With
        ``progress_notify`` the store also sends PROGRESS events when the watch
        is idle, at an interval of the backend's choosing.
        """

    @abc.abstractmethod
    async def current_revision(self) -> int:
        """The revision of the last write (1 for a fresh store)."""

    @abc.abstractmethod
    async def compact(self, revision: int) -> None:
        """Discard history older than ``revision``.

        Raises CompactedError if ``revision`` is not above the compacted
        revision, and FutureRevisionError if it is above the current one.
        """

    @abc.abstractmethod
    async def compacted_revision(self) -> int:
        """The oldest readable revision (0 if nothing was ever compacted)."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Close the store: open watchers end with WatchClosedError."""

    async def guaranteed_update(
        self,
        key: str,
        update: UpdateFunc,
        *,
        preconditions: Preconditions | None = None,
        ignore_not_found: bool = False,
        suggestion: KeyValue | None = None,
    ) -> KeyValue:
        """Read-modify-write ``key`` with ``update``, retrying on conflicts.

        Each attempt reads the current value, checks ``preconditions`` against
        it (a failed check raises ConflictError: the caller's expectation is
        stale, so retrying cannot help), calls ``update`` and writes the result
        conditioned on the mod_revision that was read. A concurrent write makes
        the attempt retry with the newer value. If the key does not exist,
        KeyNotFoundError is raised unless ``ignore_not_found``, in which case
        ``update(None)`` creates it. Returns the key as stored.

        ``suggestion`` is a recent value of the key (the API server's watch
        cache, as Kubernetes' ``cachedExistingObject``) to start from instead of
        reading: the conditional write catches a stale one. Whatever the first
        attempt decides on a suggestion that is not a write (a failed check, an
        error from ``update``, no change) is decided again on a fresh read,
        unless that read finds the same revision.
        """
        current = suggestion if suggestion is not None else await self.get(key)
        suggested = suggestion is not None
        while True:
            try:
                if current is None:
                    if not ignore_not_found:
                        raise KeyNotFoundError(key)
                elif preconditions is not None:
                    preconditions.check(current)
                new_value = await update(current)
                if new_value is None and current is None:
                    raise KeyNotFoundError(key)
            except BaseException:
                if suggested:
                    suggested, fresh = False, await self.get(key)
                    if not _same_revision(fresh, current):
                        current = fresh
                        continue
                raise
            if new_value is None and current is not None and current.stale:
                new_value = current.value
            if new_value is None or (
                current is not None and new_value == current.value and not current.stale
            ):
                if suggested:
                    suggested, fresh = False, await self.get(key)
                    if not _same_revision(fresh, current) or (fresh is not None and fresh.stale):
                        current = fresh
                        continue
                assert current is not None
                return current
            suggested = False
            try:
                if current is None:
                    return await self.create(key, new_value)
                return await self.update(
                    key, new_value, preconditions=Preconditions(mod_revision=current.mod_revision)
                )
            except ConflictError as conflict:
                current = conflict.current
            except (KeyExistsError, KeyNotFoundError):
                current = await self.get(key)


def _same_revision(a: KeyValue | None, b: KeyValue | None) -> bool:
    """Whether two reads of one key saw the same write (or both saw no key)."""
    if a is None or b is None:
        return a is b
    return a.mod_revision == b.mod_revision
