"""Recording core/v1 Events the way client-go's ``tools/record`` does: correlated, then written.

Components report what they did on the object they did it to::

    broadcaster = EventBroadcaster(client.resource(EVENTS))
    recorder = broadcaster.new_recorder("replicaset-controller")
    recorder.event(rs, NORMAL, "SuccessfulCreate", f"Created pod: {pod_name}")
    ...
    group.create_task(broadcaster.run())      # writes queued events until cancelled

:meth:`EventRecorder.event` never waits and never fails the caller on the server's account: the
Event is built (``involvedObject`` from the object, ``source.component``/``reportingComponent``
from the recorder, ``firstTimestamp = lastTimestamp`` now, ``count: 1``, named
``<object name>.<hex nanoseconds>`` in the object's namespace or ``default``) and queued; when
1000 wait, new ones are dropped, as client-go does, counted in ``EventBroadcaster.dropped`` and
logged at most every 10 seconds.

The broadcaster's :class:`EventCorrelator` then keeps the cluster from drowning in Events:

- **Counting.** An Event equal to one already written (same source, involved object, type,
  reason and message) is not created again: the existing one is patched (strategic merge) with
  ``count`` + 1, a new ``lastTimestamp`` and the message. If it was deleted meanwhile, it is
  created anew.
- **Aggregation.** When 10 Events about one object differ only in their message within 10
  minutes, the following ones become a single Event with the message
  ``(combined from similar events): <latest message>``, counted as above.
- **Spam filter.** A source may write 25 Events about one object at once, then one more every
  5 minutes; the rest are dropped.

Writes that cannot reach the server are retried 12 times, 10 s apart (the first wait
randomised); an Event the server refuses (bad namespace, terminating namespace...) is logged and
dropped, never retried. A broadcaster given a ``rate`` (a :class:`TokenBucket`) waits for a
token before each write, as the rate limit of the client it writes through does in client-go
(the kubelet's: ``eventRecordQPS`` 50, ``eventBurst`` 100).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Generic, Protocol, TypeVar

from kubeling.api import errors
from kubeling.api.errors import StatusError
from kubeling.api.timestamps import format_time
from kubeling.client.ratelimit import TokenBucket
from kubeling.client.rest import Obj, PatchType, TransportError

__all__ = [
    "NORMAL",
    "WARNING",
    "Correlation",
    "EventBroadcaster",
    "EventCorrelator",
    "EventRecorder",
    "EventSink",
    "object_reference",
]

logger = logging.getLogger(__name__)

NORMAL: Final = "Normal"
WARNING: Final = "Warning"

_MAX_QUEUED: Final = 1000
_DROP_LOG_SECONDS: Final = 10.0
_MAX_TRIES: Final = 12
_RETRY_SLEEP_SECONDS: Final = 10.0
_LRU_SIZE: Final = 4096
_AGGREGATE_MAX_EVENTS: Final = 10
_AGGREGATE_INTERVAL_SECONDS: Final = 600.0
_SPAM_BURST: Final = 25
_SPAM_QPS: Final = 1.0 / 300.0
_AGGREGATE_PREFIX: Final = "(combined from similar events): "

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class EventSink(Protocol):
    """Where Events are written: the create and patch verbs of core/v1 ``events``."""

    async def create(self, body: Mapping[str, Any], *, namespace: str = "") -> Obj:
        """Create an Event."""
        ...

    async def patch(
        self,
        name: str,
        patch: object,
        *,
        patch_type: PatchType = PatchType.STRATEGIC,
        namespace: str = "",
    ) -> Obj:
        """Patch an existing Event."""
        ...


def object_reference(obj: Mapping[str, Any], *, field_path: str = "") -> dict[str, str]:
    """An ``ObjectReference`` to ``obj``: kind, namespace, name, uid, apiVersion and
    resourceVersion (empty ones left out), as client-go's ``GetReference`` makes it."""
    meta = obj.get("metadata") or {}
    kind, api_version = obj.get("kind"), obj.get("apiVersion")
    if not kind or not api_version or not meta.get("name"):
        raise ValueError("an event's object needs kind, apiVersion and metadata.name")
    reference = {
        "kind": str(kind),
        "namespace": str(meta.get("namespace") or ""),
        "name": str(meta["name"]),
        "uid": str(meta.get("uid") or ""),
        "apiVersion": str(api_version),
        "resourceVersion": str(meta.get("resourceVersion") or ""),
        "fieldPath": field_path,
    }
    return {key: value for key, value in reference.items() if value}


class _LRU(Generic[K, V]):
    """A bounded mapping that forgets the least recently used key."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)


@dataclass
class _Aggregate:
    messages: set[str] = field(default_factory=set)
    last_seen: float = float("-inf")


@dataclass(frozen=True)
class _Observation:
    count: int
    first_timestamp: str
    name: str
    resource_version: str


@dataclass(frozen=True)
class Correlation:
    """What to write for one recorded Event: ``event`` to create, or, with ``patch``, the
    patch to apply to the existing Event of that name. ``skip``: write nothing (spam)."""

    event: Obj
    patch: Obj | None = None
    skip: bool = False


def _source(event: Mapping[str, Any]) -> tuple[str, str]:
    source = event.get("source") or {}
    return str(source.get("component") or ""), str(source.get("host") or "")


def _involved(event: Mapping[str, Any], *fields: str) -> tuple[str, ...]:
    ref = event.get("involvedObject") or {}
    return tuple(str(ref.get(name) or "") for name in fields)


def _event_key(event: Mapping[str, Any]) -> tuple[str, ...]:
    """Events with this key are the same Event: counted, not created again."""
    return (
        "event",
        *_source(event),
        *_involved(event, "kind", "namespace", "name", "fieldPath", "uid", "apiVersion"),
        str(event.get("type") or ""),
        str(event.get("reason") or ""),
        str(event.get("message") or ""),
    )


def _aggregate_key(event: Mapping[str, Any]) -> tuple[str, ...]:
    """Events with this key differ at most in their message: candidates for aggregation."""
    return (
        "aggregate",
        *_source(event),
        *_involved(event, "kind", "namespace", "name", "uid", "apiVersion"),
        str(event.get("type") or ""),
        str(event.get("reason") or ""),
        str(event.get("reportingComponent") or ""),
        str(event.get("reportingInstance") or ""),
    )


def _spam_key(event: Mapping[str, Any]) -> tuple[str, ...]:
    """One token bucket per source and involved object."""
    return (*_source(event), *_involved(event, "kind", "namespace", "name", "uid", "apiVersion"))


class EventCorrelator:
    """client-go's ``EventCorrelator``: aggregate, count, filter. Pure: no I/O."""

    def __init__(self, *, now: Callable[[], float] = time.time) -> None:
        self._now = now
        self._aggregates: _LRU[tuple[str, ...], _Aggregate] = _LRU(_LRU_SIZE)
        self._observations: _LRU[tuple[str, ...], _Observation] = _LRU(_LRU_SIZE)
        self._spam: _LRU[tuple[str, ...], TokenBucket] = _LRU(_LRU_SIZE)

    def correlate(self, event: Obj) -> Correlation:
        """Decide what to write for ``event`` (which is not changed)."""
        aggregated, key = self._aggregate(event)
        observed, patch = self._observe(aggregated, key)
        if not self._allow(observed):
            return Correlation(observed, skip=True)
        return Correlation(observed, patch)

    def update_state(self, event: Mapping[str, Any]) -> None:
        """Remember the Event as the server returned it (its name, count, resourceVersion)."""
        self._observations.put(_event_key(event), _observation(event))

    def _aggregate(self, event: Obj) -> tuple[Obj, tuple[str, ...]]:
        now = self._now()
        key = _aggregate_key(event)
        record = self._aggregates.get(key)
        if record is None or now - record.last_seen > _AGGREGATE_INTERVAL_SECONDS:
            record = _Aggregate()
        record.messages.add(str(event.get("message") or ""))
        record.last_seen = now
        self._aggregates.put(key, record)
        if len(record.messages) < _AGGREGATE_MAX_EVENTS:
            return event, _event_key(event)
        # Keep the set from growing past the threshold; which message goes does not matter.
        record.messages.pop()
        combined = _new_event(
            event["involvedObject"],
            namespace=event["metadata"]["namespace"],
            event_type=str(event.get("type") or ""),
            reason=str(event.get("reason") or ""),
            message=_AGGREGATE_PREFIX + str(event.get("message") or ""),
            source=event.get("source") or {},
            now=now,
        )
        return combined, key

    def _observe(self, event: Obj, key: tuple[str, ...]) -> tuple[Obj, Obj | None]:
        last = self._observations.get(key)
        patch: Obj | None = None
        if last is not None:
            event = {
                **event,
                "metadata": {
                    **event["metadata"],
                    "name": last.name,
                    "resourceVersion": last.resource_version,
                },
                "firstTimestamp": last.first_timestamp,
                "count": last.count + 1,
            }
            # What client-go's two-way strategic merge patch comes down to.
            patch = {
                "count": event["count"],
                "lastTimestamp": event["lastTimestamp"],
                "message": event["message"],
            }
        self._observations.put(key, _observation(event))
        return event, patch

    def _allow(self, event: Obj) -> bool:
        key = _spam_key(event)
        bucket = self._spam.get(key)
        if bucket is None:
            bucket = TokenBucket(_SPAM_QPS, _SPAM_BURST, now=self._now)
        self._spam.put(key, bucket)
        return bucket.try_accept()


def _observation(event: Mapping[str, Any]) -> _Observation:
    meta = event.get("metadata") or {}
    return _Observation(
        count=int(event.get("count") or 1),
        first_timestamp=str(event.get("firstTimestamp") or ""),
        name=str(meta.get("name") or ""),
        resource_version=str(meta.get("resourceVersion") or ""),
    )


def _new_event(
    involved: Mapping[str, str],
    *,
    namespace: str,
    event_type: str,
    reason: str,
    message: str,
    source: Mapping[str, str],
    now: float,
    nanos: int | None = None,
    annotations: Mapping[str, str] | None = None,
) -> Obj:
    """A fresh core/v1 Event, count 1, first and last seen ``now``, named after the object and
    ``nanos`` (default: ``now`` in nanoseconds), in hexadecimal."""
    stamp = format_time(now)
    suffix = int(now * 1e9) if nanos is None else nanos
    meta: Obj = {"name": f"{involved['name']}.{suffix:x}", "namespace": namespace}
    if annotations:
        meta["annotations"] = dict(annotations)
    event: Obj = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": meta,
        "involvedObject": dict(involved),
        "reason": reason,
        "message": message,
        "source": dict(source),
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1,
        "type": event_type,
    }
    if source.get("component"):
        event["reportingComponent"] = source["component"]
    if source.get("host"):
        event["reportingInstance"] = source["host"]
    return event


class EventRecorder:
    """Records Events on behalf of one component (``source.component``) and host."""

    def __init__(self, broadcaster: EventBroadcaster, component: str, host: str = "") -> None:
        self._broadcaster = broadcaster
        self.source = {"component": component, **({"host": host} if host else {})}

    def event(
        self,
        obj: Mapping[str, Any],
        event_type: str,
        reason: str,
        message: str,
        *,
        annotations: Mapping[str, str] | None = None,
        field_path: str = "",
    ) -> None:
        """Queue an Event about ``obj`` (which needs ``kind``, ``apiVersion`` and a name).

        ``event_type`` is :data:`NORMAL` or :data:`WARNING`; ``reason`` is the UpperCamelCase
        word Kubernetes uses (``SuccessfulCreate``, ``FailedScheduling``...).
        """
        if event_type not in (NORMAL, WARNING):
            raise ValueError(f"unsupported event type {event_type!r}")
        if self._broadcaster.full():
            # Not even built: under a flood of Events this is most of them.
            self._broadcaster.drop(reason, message)
            return
        involved = object_reference(obj, field_path=field_path)
        now, nanos = self._broadcaster.clock()
        event = _new_event(
            involved,
            namespace=involved.get("namespace") or "default",
            event_type=event_type,
            reason=reason,
            message=message,
            source=self.source,
            now=now,
            nanos=nanos,
            annotations=annotations,
        )
        self._broadcaster.enqueue(event)


class EventBroadcaster:
    """Correlates queued Events and writes them to ``sink``; ``run`` it for as long as the
    component runs."""

    def __init__(
        self,
        sink: EventSink,
        *,
        now: Callable[[], float] = time.time,
        retry_sleep: float = _RETRY_SLEEP_SECONDS,
        rate: TokenBucket | None = None,
    ) -> None:
        self.sink = sink
        self.retry_sleep = retry_sleep
        self.rate = rate
        self._now = now
        self._last_nanos = 0
        self._correlator = EventCorrelator(now=now)
        self._queue: asyncio.Queue[Obj] = asyncio.Queue(_MAX_QUEUED)
        #: Events dropped because too many were waiting (client-go drops them silently).
        self.dropped = 0
        self._drop_logged_at = float("-inf")

    def new_recorder(self, component: str, *, host: str = "") -> EventRecorder:
        """A recorder whose Events come from ``component`` (``deployment-controller``,
        ``default-scheduler``...) on ``host``."""
        return EventRecorder(self, component, host)

    def clock(self) -> tuple[float, int]:
        """The time of a new Event, and nanoseconds for its name that strictly increase, so that
        two Events about one object recorded in the same instant never share a name."""
        now = self._now()
        self._last_nanos = max(int(now * 1e9), self._last_nanos + 1)
        return now, self._last_nanos

    def full(self) -> bool:
        """Whether a new Event would be dropped: 1000 are waiting to be written."""
        return self._queue.full()

    def enqueue(self, event: Obj) -> None:
        """Queue a built Event for writing; dropped (see :meth:`drop`) when the queue is full."""
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.drop(str(event.get("reason") or ""), str(event.get("message") or ""))

    def drop(self, reason: str, message: str) -> None:
        """Count an Event dropped for want of room; logged at most every 10 seconds, with the
        number dropped meanwhile (a log line per Event would add to the flood)."""
        self.dropped += 1
        now = time.monotonic()
        if now - self._drop_logged_at >= _DROP_LOG_SECONDS:
            logger.error(
                "event dropped, too many queued (%d dropped so far): %s %s",
                self.dropped,
                reason,
                message,
            )
            self._drop_logged_at = now

    async def run(self) -> None:
        """Write queued Events until cancelled."""
        while True:
            event = await self._queue.get()
            try:
                await self._record(event)
            finally:
                self._queue.task_done()

    async def wait_idle(self) -> None:
        """Wait until every Event queued so far is written (or given up on)."""
        await self._queue.join()

    async def _record(self, event: Obj) -> None:
        correlation = self._correlator.correlate(event)
        if correlation.skip:
            return
        for attempt in range(1, _MAX_TRIES + 1):
            if self.rate is not None and (wait := self.rate.reserve()) > 0:
                await asyncio.sleep(wait)
            if await self._write(correlation):
                return
            if attempt < _MAX_TRIES:
                # The first wait is random so that clients do not retry in step.
                delay = self.retry_sleep * (random.random() if attempt == 1 else 1.0)
                await asyncio.sleep(delay)
        logger.error(
            "unable to write event (retry limit exceeded): %s", correlation.event.get("message")
        )

    async def _write(self, correlation: Correlation) -> bool:
        """One attempt; True when done with the Event (written, or refused for good)."""
        event, patch = correlation.event, correlation.patch
        namespace = event["metadata"]["namespace"]
        try:
            written: Obj | None = None
            if patch is not None:
                try:
                    written = await self.sink.patch(
                        event["metadata"]["name"],
                        patch,
                        patch_type=PatchType.STRATEGIC,
                        namespace=namespace,
                    )
                except StatusError as error:
                    if not errors.is_not_found(error):
                        raise
            if written is None:
                # A new Event, or a counted one deleted meanwhile: create it.
                meta = {k: v for k, v in event["metadata"].items() if k != "resourceVersion"}
                written = await self.sink.create({**event, "metadata": meta}, namespace=namespace)
        except StatusError as error:
            level = logging.DEBUG if errors.is_already_exists(error) else logging.ERROR
            logger.log(level, "server rejected event (will not retry): %s", error)
            return True
        except TransportError as error:
            logger.warning("unable to write event (may retry): %s", error)
            return False
        self._correlator.update_state(written)
        return True
