"""Event recording: the Event built, client-go's correlation (count, aggregate, spam), writing."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

from kubeling.api import errors
from kubeling.client.events import (
    NORMAL,
    WARNING,
    EventBroadcaster,
    EventCorrelator,
    object_reference,
)
from kubeling.client.ratelimit import TokenBucket
from kubeling.client.rest import PatchType, TransportError

Obj = dict[str, Any]

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "namespace": "shop", "uid": "u-1", "resourceVersion": "42"},
}
NODE = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1", "uid": "u-2"}}


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


class FakeSink:
    """Stores Events by namespace/name like the API would; failures can be scripted."""

    def __init__(self) -> None:
        self.events: dict[str, Obj] = {}
        self.calls: list[tuple[str, str, Any]] = []
        self.failures: list[BaseException] = []
        self.version = 0

    def _fail(self) -> None:
        if self.failures:
            raise self.failures.pop(0)

    async def create(self, body: Mapping[str, Any], *, namespace: str = "") -> Obj:
        self.calls.append(("create", namespace, dict(body)))
        self._fail()
        key = f"{namespace}/{body['metadata']['name']}"
        if key in self.events:
            raise errors.already_exists("events", body["metadata"]["name"])
        self.version += 1
        stored = {**body, "metadata": {**body["metadata"], "resourceVersion": str(self.version)}}
        self.events[key] = stored
        return stored

    async def patch(
        self,
        name: str,
        patch: object,
        *,
        patch_type: PatchType = PatchType.STRATEGIC,
        namespace: str = "",
    ) -> Obj:
        self.calls.append(("patch", f"{namespace}/{name}", patch))
        assert patch_type is PatchType.STRATEGIC
        self._fail()
        key = f"{namespace}/{name}"
        if key not in self.events:
            raise errors.not_found("events", name)
        assert isinstance(patch, dict)
        self.events[key] = {**self.events[key], **patch}
        return self.events[key]


def _broadcaster(sink: FakeSink, clock: Clock) -> EventBroadcaster:
    return EventBroadcaster(sink, now=clock, retry_sleep=0.001)


async def _flush(broadcaster: EventBroadcaster) -> None:
    task = asyncio.create_task(broadcaster.run())
    try:
        await asyncio.wait_for(broadcaster.wait_idle(), 10)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def test_object_reference() -> None:
    """Kind, namespace, name, uid, apiVersion, resourceVersion; empty ones left out."""
    assert object_reference(POD) == {
        "kind": "Pod",
        "namespace": "shop",
        "name": "web",
        "uid": "u-1",
        "apiVersion": "v1",
        "resourceVersion": "42",
    }
    assert object_reference(NODE, field_path="spec") == {
        "kind": "Node",
        "name": "n1",
        "uid": "u-2",
        "apiVersion": "v1",
        "fieldPath": "spec",
    }
    with pytest.raises(ValueError, match="kind, apiVersion"):
        object_reference({"metadata": {"name": "x"}})


async def test_a_recorded_event_has_kubernetes_fields() -> None:
    """source.component, reportingComponent, count 1, first = last timestamp, name.<hex ns>."""
    sink, clock = FakeSink(), Clock()
    broadcaster = _broadcaster(sink, clock)
    broadcaster.new_recorder("replicaset-controller", host="cp-1").event(
        POD, NORMAL, "SuccessfulCreate", "Created pod: web"
    )
    broadcaster.new_recorder("default-scheduler").event(NODE, WARNING, "Rebooted", "it did")
    await _flush(broadcaster)
    created = [body for verb, _, body in sink.calls if verb == "create"]
    pod_event, node_event = created
    assert pod_event == {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"web.{int(clock.now * 1e9):x}", "namespace": "shop"},
        "involvedObject": object_reference(POD),
        "reason": "SuccessfulCreate",
        "message": "Created pod: web",
        "source": {"component": "replicaset-controller", "host": "cp-1"},
        "firstTimestamp": "2023-11-14T22:13:20Z",
        "lastTimestamp": "2023-11-14T22:13:20Z",
        "count": 1,
        "type": "Normal",
        "reportingComponent": "replicaset-controller",
        "reportingInstance": "cp-1",
    }
    # A cluster-scoped object's Events go to "default"; names never collide.
    assert node_event["metadata"]["namespace"] == "default"
    assert node_event["source"] == {"component": "default-scheduler"}
    assert "reportingInstance" not in node_event


def test_only_normal_and_warning() -> None:
    """Other event types are refused."""
    recorder = EventBroadcaster(FakeSink()).new_recorder("x")
    with pytest.raises(ValueError, match="unsupported event type"):
        recorder.event(POD, "Error", "Boom", "no")


async def test_repeated_events_are_counted_on_one_event() -> None:
    """The same event again: the first Event is patched with count, lastTimestamp, message."""
    sink, clock = FakeSink(), Clock()
    broadcaster = _broadcaster(sink, clock)
    recorder = broadcaster.new_recorder("kubelet")
    for _ in range(3):
        recorder.event(POD, WARNING, "BackOff", "Back-off restarting failed container")
        await _flush(broadcaster)
        clock.now += 5
    assert [verb for verb, _, _ in sink.calls] == ["create", "patch", "patch"]
    (stored,) = sink.events.values()
    assert stored["count"] == 3
    assert stored["firstTimestamp"] == "2023-11-14T22:13:20Z"
    assert stored["lastTimestamp"] == "2023-11-14T22:13:30Z"
    assert sink.calls[2][2] == {
        "count": 3,
        "lastTimestamp": "2023-11-14T22:13:30Z",
        "message": "Back-off restarting failed container",
    }


async def test_different_messages_are_different_events() -> None:
    """A new message is a new Event (until there are ten of them)."""
    sink, clock = FakeSink(), Clock()
    broadcaster = _broadcaster(sink, clock)
    recorder = broadcaster.new_recorder("kubelet")
    recorder.event(POD, NORMAL, "Pulled", "image a")
    recorder.event(POD, NORMAL, "Pulled", "image b")
    await _flush(broadcaster)
    assert len(sink.events) == 2


async def test_a_counted_event_deleted_meanwhile_is_created_again() -> None:
    """Patch says 404: create it, with its count."""
    sink, clock = FakeSink(), Clock()
    broadcaster = _broadcaster(sink, clock)
    recorder = broadcaster.new_recorder("kubelet")
    recorder.event(POD, NORMAL, "Pulled", "image a")
    await _flush(broadcaster)
    sink.events.clear()
    recorder.event(POD, NORMAL, "Pulled", "image a")
    await _flush(broadcaster)
    assert [verb for verb, _, _ in sink.calls] == ["create", "patch", "create"]
    (stored,) = sink.events.values()
    assert stored["count"] == 2
    assert "resourceVersion" not in sink.calls[2][2]["metadata"]


def test_ten_similar_events_are_aggregated() -> None:
    """The 10th distinct message within 10 minutes becomes a combined Event, counted after."""
    clock = Clock()
    correlator = EventCorrelator(now=clock)
    broadcaster = EventBroadcaster(FakeSink(), now=clock)
    recorder = broadcaster.new_recorder("kubelet")
    results = []
    for i in range(12):
        recorder.event(POD, WARNING, "FailedMount", f"volume {i} failed")
        event = broadcaster._queue.get_nowait()
        results.append(correlator.correlate(event))
    assert [r.event["message"] for r in results[:9]] == [f"volume {i} failed" for i in range(9)]
    assert all(r.patch is None for r in results[:9])
    combined = results[9:]
    assert [r.event["message"] for r in combined] == [
        f"(combined from similar events): volume {i} failed" for i in range(9, 12)
    ]
    assert [r.event["count"] for r in combined] == [1, 2, 3]
    assert combined[0].patch is None
    assert combined[1].patch == {
        "count": 2,
        "lastTimestamp": combined[1].event["lastTimestamp"],
        "message": "(combined from similar events): volume 10 failed",
    }
    assert len({r.event["metadata"]["name"] for r in combined}) == 1


def test_aggregation_restarts_after_ten_quiet_minutes() -> None:
    """Similar events more than 10 minutes apart start a fresh aggregation window."""
    clock = Clock()
    correlator = EventCorrelator(now=clock)
    broadcaster = EventBroadcaster(FakeSink(), now=clock)
    recorder = broadcaster.new_recorder("kubelet")
    messages = []
    for i in range(12):
        recorder.event(POD, WARNING, "FailedMount", f"volume {i} failed")
        messages.append(correlator.correlate(broadcaster._queue.get_nowait()).event["message"])
        clock.now += 601
    assert messages == [f"volume {i} failed" for i in range(12)]


def test_the_spam_filter_allows_a_burst_of_25_then_one_per_five_minutes() -> None:
    """Per source and object: 25 at once, then one more every 300 s."""
    clock = Clock()
    correlator = EventCorrelator(now=clock)
    broadcaster = EventBroadcaster(FakeSink(), now=clock)
    recorder = broadcaster.new_recorder("kubelet")

    def skipped() -> bool:
        recorder.event(POD, NORMAL, "Pulled", "same")
        return correlator.correlate(broadcaster._queue.get_nowait()).skip

    assert [skipped() for _ in range(26)] == [False] * 25 + [True]
    clock.now += 300
    assert [skipped(), skipped()] == [False, True]
    # Another object has its own budget.
    recorder.event(NODE, NORMAL, "Pulled", "same")
    assert not correlator.correlate(broadcaster._queue.get_nowait()).skip


async def test_unreachable_server_is_retried() -> None:
    """Transport errors retry (up to 12 tries); the Event is written once the server answers."""
    sink, clock = FakeSink(), Clock()
    sink.failures = [TransportError("refused"), TransportError("reset")]
    broadcaster = _broadcaster(sink, clock)
    broadcaster.new_recorder("kubelet").event(POD, NORMAL, "Started", "ok")
    await _flush(broadcaster)
    assert [verb for verb, _, _ in sink.calls] == ["create"] * 3
    assert len(sink.events) == 1


async def test_refused_events_are_dropped_not_retried() -> None:
    """A Status error (here: namespace gone) is final for that Event."""
    sink, clock = FakeSink(), Clock()
    sink.failures = [errors.not_found("namespaces", "shop")]
    broadcaster = _broadcaster(sink, clock)
    broadcaster.new_recorder("kubelet").event(POD, NORMAL, "Started", "ok")
    await _flush(broadcaster)
    assert len(sink.calls) == 1
    assert sink.events == {}


async def test_a_full_queue_drops_new_events(caplog: pytest.LogCaptureFixture) -> None:
    """More than 1000 waiting: the newest are dropped and logged, recording never blocks."""
    broadcaster = EventBroadcaster(FakeSink())
    recorder = broadcaster.new_recorder("kubelet")
    for i in range(1005):
        recorder.event(POD, NORMAL, "Pulled", f"m{i}")
    assert broadcaster._queue.qsize() == 1000
    assert broadcaster.dropped == 5
    # One line for the first drop, not one per Event.
    assert caplog.text.count("event dropped") == 1
    assert "(1 dropped so far): Pulled m1000" in caplog.text


async def test_a_rate_limited_broadcaster_waits_for_a_token_before_each_write() -> None:
    """As the kubelet's event client (eventRecordQPS, eventBurst): a burst at once, then the
    rate. The bucket's clock stands still here, so each write past the burst waits longer."""
    waits: list[float] = []

    class Bucket(TokenBucket):
        def reserve(self) -> float:
            waits.append(super().reserve())
            return waits[-1]

    sink, clock = FakeSink(), Clock()
    broadcaster = EventBroadcaster(
        sink, now=clock, retry_sleep=0.001, rate=Bucket(1000.0, 2, now=lambda: 0.0)
    )
    recorder = broadcaster.new_recorder("kubelet")
    for reason in ("Pulled", "Created", "Started", "Killing"):
        recorder.event(POD, NORMAL, reason, "m")
    await _flush(broadcaster)
    assert len(sink.events) == 4
    assert waits == [0.0, 0.0, pytest.approx(0.001), pytest.approx(0.002)]
