"""One informer of bound pods shared by many kubelets: each sees its node's pods only."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kubeling.client import DeletedFinalStateUnknown, SharedInformer
from kubeling.client.resources import PODS
from kubeling.kubelet.pod_source import SharedPods
from tests.unit.client.test_informer import FakeListWatch, _list

Obj = dict[str, Any]


def bound(name: str, node: str, rv: str = "1") -> Obj:
    return {
        "metadata": {"name": name, "namespace": "ns", "uid": f"uid-{name}", "resourceVersion": rv},
        "spec": {"nodeName": node},
    }


class Seen:
    def __init__(self) -> None:
        self.updates: list[str] = []
        self.deletes: list[str] = []

    def on_update(self, pod: Obj) -> None:
        self.updates.append(pod["metadata"]["name"])

    def on_delete(self, pod: Obj | DeletedFinalStateUnknown) -> None:
        obj = pod.obj if isinstance(pod, DeletedFinalStateUnknown) else pod
        self.deletes.append(obj["metadata"]["name"])


async def test_each_node_sees_its_own_pods() -> None:
    source = FakeListWatch(_list("10", bound("a1", "a"), bound("b1", "b"), bound("a2", "a")))
    informer = SharedInformer(source, resource=PODS.group_resource)
    shared = SharedPods(informer)
    task = asyncio.create_task(informer.run())
    try:
        node_a, node_b = shared.for_node("a"), shared.for_node("b")
        await node_a.wait_for_sync()
        assert node_a.synced
        assert sorted(p["metadata"]["name"] for p in node_a.list()) == ["a1", "a2"]
        assert node_a.get("ns", "a1") is not None
        assert node_a.get("ns", "b1") is None  # another node's
        seen_a, seen_b = Seen(), Seen()
        unsubscribe_a = node_a.subscribe(on_update=seen_a.on_update, on_delete=seen_a.on_delete)
        node_b.subscribe(on_update=seen_b.on_update, on_delete=seen_b.on_delete)
        assert sorted(seen_a.updates) == ["a1", "a2"]  # what is bound already
        assert seen_b.updates == ["b1"]
        with pytest.raises(RuntimeError, match="already has a kubelet"):
            node_a.subscribe(on_update=seen_a.on_update, on_delete=seen_a.on_delete)

        watch = await source.next_watch()
        watch.send("ADDED", bound("b2", "b", "11"))
        watch.send("MODIFIED", bound("a1", "a", "12"))
        watch.send("ADDED", bound("c1", "c", "13"))  # nobody's: ignored
        watch.send("DELETED", bound("a2", "a", "14"))
        watch.send("MODIFIED", bound("b1", "b", "15"))
        await asyncio.sleep(0.05)
        assert sorted(seen_a.updates) == ["a1", "a1", "a2"]
        assert seen_a.deletes == ["a2"]
        assert seen_b.updates == ["b1", "b2", "b1"]

        unsubscribe_a()  # a stopped kubelet hears nothing more; a restarted one may subscribe
        watch.send("MODIFIED", bound("a1", "a", "16"))
        await asyncio.sleep(0.05)
        assert sorted(seen_a.updates) == ["a1", "a1", "a2"]
        again = Seen()
        node_a.subscribe(on_update=again.on_update, on_delete=again.on_delete)
        assert again.updates == ["a1"]
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
