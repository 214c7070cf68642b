"""The gRPC side of the etcd backend: channels, stubs, retries and error kinds.

Endpoint rotation
    One ``grpc.aio`` channel per endpoint, opened lazily; every call goes to the
    *current* endpoint and a transient failure moves the current endpoint to
    the next one before the retry. gRPC's own multi-address target
    (``ipv4:a:p1,b:p2`` with pick_first) does fail over when a member dies,
    but it sticks to a member that is alive yet useless (isolated, leaderless)
    and it needs IP literals; rotating ourselves covers both, and the watch
    reconnects through the same rotation. Every request carries etcd's
    ``hasleader=true`` metadata, so a member without a leader refuses at once
    ("etcdserver: no leader") instead of timing out, and we move on.

Retries
    ``UNAVAILABLE``, ``DEADLINE_EXCEEDED`` (our per-attempt deadline) and etcd's
    "too many requests" are transient: the call is retried a few times with
    jittered exponential backoff, then reported as StoreUnavailableError. Reads
    are idempotent. Writes are retried too, because every write the store
    makes is a compare-guarded Txn (or an unconditional put of the same value)
    whose retry either does nothing twice or fails its compare; ``call``
    reports whether an earlier attempt *may* have been applied (``ambiguous``)
    so that the store can recognise its own earlier success (see store.py).
    Failures that prove the request was never applied ("no leader",
    "too many requests", connection refused) do not make the call ambiguous.

Errors
    ``classify`` names what an etcd error means; the store turns that into the
    most specific StoreError with the context it has (the requested revision,
    the value size), chaining the grpc error as the cause.
"""

from __future__ import annotations

import asyncio
import enum
import random
from dataclasses import dataclass
from typing import Any

import grpc
import grpc.aio
from aetcd.rpc import rpc_pb2_grpc

from kubeling.storage.errors import StoreUnavailableError

__all__ = ["REQUIRE_LEADER", "AfterAmbiguousAttempt", "EtcdClient", "Failure", "Stubs", "classify"]

REQUIRE_LEADER = (("hasleader", "true"),)
"""etcd's ``rpctypes.MetadataRequireLeaderKey``: refuse (and cancel watches)
when the member has no leader, instead of blocking until a timeout."""

_CHANNEL_OPTIONS = [
    # Range and watch responses can hold many 1.5 MiB values.
    ("grpc.max_receive_message_length", -1),
    ("grpc.max_send_message_length", -1),
    # Reconnect quickly to a member that comes back (gRPC's default backoff
    # grows to two minutes).
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.min_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 2000),
    # Detect a silently dead connection; etcd allows pings every 5 s.
    ("grpc.keepalive_time_ms", 10_000),
    ("grpc.keepalive_timeout_ms", 5_000),
    ("grpc.keepalive_permit_without_calls", 0),
]


class Failure(enum.Enum):
    """What an etcd gRPC error means for the store."""

    TRANSIENT = "transient"
    COMPACTED = "compacted"
    FUTURE_REVISION = "future revision"
    TOO_LARGE = "too large"
    OTHER = "other"


def classify(err: grpc.aio.AioRpcError) -> Failure:
    """The meaning of an error returned by etcd (3.4 messages and codes)."""
    code = err.code()
    details = err.details() or ""
    if "required revision has been compacted" in details:
        return Failure.COMPACTED
    if "required revision is a future revision" in details:
        return Failure.FUTURE_REVISION
    if "request is too large" in details or (
        code == grpc.StatusCode.RESOURCE_EXHAUSTED and "larger than max" in details
    ):
        return Failure.TOO_LARGE
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return Failure.TRANSIENT
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED and "too many requests" in details:
        return Failure.TRANSIENT
    return Failure.OTHER


_NOT_APPLIED = (
    "etcdserver: no leader",
    "etcdserver: too many requests",
    "failed to connect",
    "Connection refused",
    "connection refused",
)


def surely_not_applied(err: grpc.aio.AioRpcError) -> bool:
    """True if the failed request certainly never reached etcd's raft log."""
    details = err.details() or ""
    return any(marker in details for marker in _NOT_APPLIED)


class AfterAmbiguousAttempt(Exception):
    """A write failed after an earlier attempt that may have been applied."""

    def __init__(self, error: grpc.aio.AioRpcError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True, slots=True)
class Stubs:
    """The stubs of one endpoint's channel."""

    index: int
    kv: Any
    watch: Any


class EtcdClient:
    """Channels to the endpoints, with rotation and retried calls."""

    def __init__(
        self, endpoints: list[str], *, timeout: float, attempts: int = 6, max_backoff: float = 1.0
    ) -> None:
        if not endpoints:
            raise ValueError("at least one etcd endpoint is needed")
        self.endpoints = list(endpoints)
        self.timeout = timeout
        self.attempts = attempts
        self.max_backoff = max_backoff
        self.last_revision = 0
        """The highest revision any response has shown (all are committed)."""
        self._current = 0
        self._stubs: dict[int, Stubs] = {}
        self._channels: dict[int, grpc.aio.Channel] = {}
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def stubs(self) -> Stubs:
        """The stubs of the current endpoint (its channel opened on first use)."""
        if self._closed:
            raise StoreUnavailableError("the etcd store is closed")
        index = self._current
        stubs = self._stubs.get(index)
        if stubs is None:
            channel = grpc.aio.insecure_channel(self.endpoints[index], options=_CHANNEL_OPTIONS)
            self._channels[index] = channel
            stubs = Stubs(index, rpc_pb2_grpc.KVStub(channel), rpc_pb2_grpc.WatchStub(channel))
            self._stubs[index] = stubs
        return stubs

    def rotate(self, failed: int) -> None:
        """Move away from endpoint ``failed`` (unless another call already did)."""
        if self._current == failed:
            self._current = (failed + 1) % len(self.endpoints)

    def observe(self, header: Any) -> None:
        self.last_revision = max(self.last_revision, int(header.revision))

    def backoff(self, attempt: int) -> float:
        """The jittered delay before retry number ``attempt`` (0-based)."""
        base: float = min(self.max_backoff, 0.05 * 2**attempt)
        return base * (0.5 + random.random() / 2)

    async def call(
        self, method: str, request: Any, *, write: bool = False, retry_request: Any = None
    ) -> tuple[Any, bool]:
        """Call ``KV.<method>`` with retries; returns (response, ambiguous).

        ``ambiguous`` is True when an earlier attempt of a write failed in a
        way that does not prove it was not applied. A non-transient error is
        raised as the AioRpcError (see ``classify``), wrapped in
        AfterAmbiguousAttempt if an earlier attempt may have been applied;
        transient errors that outlast the retries become StoreUnavailableError.
        ``retry_request``, if given, is sent instead of ``request`` once an
        attempt was ambiguous (a retry that must not apply the write twice).
        """
        ambiguous = False
        for attempt in range(self.attempts):
            stubs = self.stubs()
            sent = retry_request if ambiguous and retry_request is not None else request
            try:
                response = await getattr(stubs.kv, method)(
                    sent, timeout=self.timeout, metadata=REQUIRE_LEADER
                )
            except grpc.aio.AioRpcError as err:
                if classify(err) is not Failure.TRANSIENT:
                    if ambiguous:
                        raise AfterAmbiguousAttempt(err) from err
                    raise
                if write and not surely_not_applied(err):
                    ambiguous = True
                self.rotate(stubs.index)
                if attempt == self.attempts - 1:
                    raise StoreUnavailableError(
                        f"etcd {method} failed after {self.attempts} attempts "
                        f"({', '.join(self.endpoints)}): {err.code().name}: {err.details()}"
                    ) from err
                await asyncio.sleep(self.backoff(attempt))
            else:
                self.observe(response.header)
                return response, ambiguous
        raise AssertionError("unreachable")

    async def close(self) -> None:
        self._closed = True
        channels = list(self._channels.values())
        self._channels.clear()
        self._stubs.clear()
        for channel in channels:
            await channel.close()
