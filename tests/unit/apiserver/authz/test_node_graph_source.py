"""The Node authorizer's graph follows the watch caches: changes, deletes, relists."""

from __future__ import annotations

import json
from typing import Any

from kubeling.apiserver.authz.node.graph import PV, SECRET, VOLUME_ATTACHMENT
from kubeling.apiserver.authz.node.graph_source import NodeGraphSource
from kubeling.apiserver.watch_cache import WatchCache
from kubeling.storage.memory import MemoryStore

Obj = dict[str, Any]


class _Store:
    """What the source reads of a resource store: its prefix and its watch cache."""

    def __init__(self, store: MemoryStore, prefix: str, capacity: int) -> None:
        self.storage_prefix = prefix
        self.cache = WatchCache(
            store, prefix, lambda obj: obj, lambda obj: ({}, {}), capacity=capacity
        )

    def watch_cache(self) -> WatchCache:
        return self.cache


class _Registry:
    def __init__(self, store: MemoryStore, capacity: int) -> None:
        self.stores = {
            ("", "pods"): _Store(store, "/registry/pods", capacity),
            ("", "persistentvolumes"): _Store(store, "/registry/persistentvolumes", capacity),
            ("storage.k8s.io", "volumeattachments"): _Store(
                store, "/registry/volumeattachments", capacity
            ),
        }

    def lookup(self, group: str, version: str, plural: str) -> _Store | None:
        return self.stores.get((group, plural))


def _pod(name: str, node: str, secret: str) -> bytes:
    pod = {
        "metadata": {"namespace": "ns", "name": name},
        "spec": {"nodeName": node, "volumes": [{"secret": {"secretName": secret}}]},
    }
    return json.dumps(pod).encode()


async def _settled(registry: _Registry, store: MemoryStore) -> None:
    for resource in registry.stores.values():
        await resource.cache.wait_for(await store.current_revision())


async def test_the_graph_follows_changes_and_relists_when_history_is_gone() -> None:
    store = MemoryStore()
    registry = _Registry(store, capacity=3)
    await store.create("/registry/pods/ns/a", _pod("a", "n1", "s1"))
    for resource in registry.stores.values():
        await resource.cache.ensure_started()
    source = NodeGraphSource(registry)  # type: ignore[arg-type]
    assert source().related("n1", SECRET, "ns", "s1")  # the first call lists
    # changes after the first call are applied one by one
    await store.update("/registry/pods/ns/a", _pod("a", "n1", "s2"))
    await store.create("/registry/pods/ns/b", _pod("b", "n2", "s1"))
    pv = {"metadata": {"name": "v"}, "spec": {"claimRef": {"namespace": "ns", "name": "c"}}}
    await store.create("/registry/persistentvolumes/v", json.dumps(pv).encode())
    va = {"metadata": {"name": "va"}, "spec": {"nodeName": "n1"}}
    await store.create("/registry/volumeattachments/va", json.dumps(va).encode())
    await _settled(registry, store)
    graph = source()
    assert not graph.related("n1", SECRET, "ns", "s1")
    assert graph.related("n1", SECRET, "ns", "s2")
    assert graph.related("n2", SECRET, "ns", "s1")
    assert not graph.related("n1", PV, "", "v")  # no pod uses claim c
    assert graph.related("n1", VOLUME_ATTACHMENT, "", "va")
    await store.delete("/registry/pods/ns/b")
    await _settled(registry, store)
    assert not source().related("n2", SECRET, "ns", "s1")
    # more changes than the cache's buffer holds: the source lists again
    for i in range(5):
        await store.create(f"/registry/pods/ns/p{i}", _pod(f"p{i}", "n3", f"x{i}"))
    await store.delete("/registry/pods/ns/a")
    await _settled(registry, store)
    graph = source()
    assert all(graph.related("n3", SECRET, "ns", f"x{i}") for i in range(5))
    assert not graph.related("n1", SECRET, "ns", "s2")
    for resource in registry.stores.values():
        await resource.cache.stop()
