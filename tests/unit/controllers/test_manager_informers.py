"""The controller manager's shared informers: what they keep of each object."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, cast

from kubeling.client import ApiClient, Resource, WatchEvent
from kubeling.client.resources import PODS
from kubeling.controllers.manager import ControllerManagerOptions, informer_factory

Obj = dict[str, Any]

MANAGED = [{"manager": "kubectl", "operation": "Update", "fieldsV1": {"f:spec": {}}}]


def _pod(name: str, version: str) -> Obj:
    return {
        "metadata": {
            "name": name,
            "namespace": "ns",
            "uid": f"uid-{name}",
            "resourceVersion": version,
            "labels": {"app": "web"},
            "managedFields": [dict(entry) for entry in MANAGED],
        },
        "spec": {"nodeName": "n1"},
    }


class _Pods:
    """Lists one pod, then watches one more arrive and waits."""

    async def list(self, **_: Any) -> Obj:
        return {"metadata": {"resourceVersion": "5"}, "items": [_pod("listed", "5")]}

    async def watch(self, **_: Any) -> AsyncIterator[WatchEvent]:
        yield WatchEvent("ADDED", _pod("watched", "6"))
        await asyncio.Event().wait()


class _Client:
    def resource(self, resource: Resource) -> _Pods:
        assert resource == PODS
        return _Pods()


async def test_cached_objects_have_no_managed_fields_and_keep_the_rest() -> None:
    """kube-controller-manager's informer factory trims managedFields; so does ours, on
    listed and watched objects alike."""
    informers = informer_factory(cast(ApiClient, _Client()), ControllerManagerOptions())
    pods = informers.informer_for(PODS)
    seen: list[Obj] = []
    both = asyncio.Event()

    def added(pod: Obj) -> None:
        seen.append(pod)
        if len(seen) == 2:
            both.set()

    pods.add_event_handler(on_add=added)
    task = asyncio.create_task(pods.run())
    try:
        async with asyncio.timeout(10):
            await both.wait()
    finally:
        task.cancel()
    for name in ("listed", "watched"):
        cached = pods.lister.get(name, namespace="ns")
        assert "managedFields" not in cached["metadata"]
        assert cached["metadata"]["labels"] == {"app": "web"}
        assert cached["spec"] == {"nodeName": "n1"}
    assert all("managedFields" not in pod["metadata"] for pod in seen)
