"""The event recorder against a real server: repeated Events are counted on one Event, and
kubectl shows them as Kubernetes would."""

from __future__ import annotations

import asyncio

from kubeling.client import NORMAL, WARNING, ApiClient, EventBroadcaster
from kubeling.client.resources import CONFIGMAPS, EVENTS, NAMESPACES
from tests.support.cluster import RunningServer


async def test_repeated_events_are_aggregated(
    api_client: ApiClient, kubeling_server: RunningServer
) -> None:
    """Three identical Events make one Event with count 3; another message makes another."""
    await api_client.resource(NAMESPACES).create({"metadata": {"name": "ev"}})
    cm = await api_client.resource(CONFIGMAPS).create(
        {"metadata": {"name": "subject", "namespace": "ev"}}
    )
    broadcaster = EventBroadcaster(api_client.resource(EVENTS))
    recorder = broadcaster.new_recorder("test-controller", host="cp-1")
    writer = asyncio.create_task(broadcaster.run())
    try:
        for _ in range(3):
            recorder.event(cm, WARNING, "SyncFailed", "could not sync: boom")
            await asyncio.wait_for(broadcaster.wait_idle(), 30)
            await asyncio.sleep(1.1)  # lastTimestamp has whole seconds: make it move
        recorder.event(cm, NORMAL, "Synced", "all good")
        await asyncio.wait_for(broadcaster.wait_idle(), 30)
    finally:
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)

    listed = await api_client.resource(EVENTS).list(
        namespace="ev", field_selector="involvedObject.name=subject"
    )
    by_reason = {event["reason"]: event for event in listed["items"]}
    assert sorted(by_reason) == ["SyncFailed", "Synced"]
    failed = by_reason["SyncFailed"]
    assert failed["count"] == 3
    assert failed["type"] == "Warning"
    assert failed["message"] == "could not sync: boom"
    assert failed["source"] == {"component": "test-controller", "host": "cp-1"}
    assert failed["reportingComponent"] == "test-controller"
    assert failed["reportingInstance"] == "cp-1"
    assert failed["involvedObject"]["uid"] == cm["metadata"]["uid"]
    assert failed["lastTimestamp"] > failed["firstTimestamp"]
    assert by_reason["Synced"]["count"] == 1

    described = kubeling_server.kubectl("describe", "configmap", "-n", "ev", "subject").stdout
    assert "SyncFailed" in described
    assert "(x3 over" in described
    assert "test-controller" in described
