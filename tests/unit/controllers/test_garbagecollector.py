"""The garbage collector's graph: which observed changes queue an object for a decision."""

from __future__ import annotations

from typing import Any

from kubeling.client.resources import PODS, REPLICASETS
from kubeling.controllers.garbagecollector import GarbageCollector
from tests.unit.controllers.fakes import fake_context

Obj = dict[str, Any]


def _obj(name: str, version: str, *, owner: str | None = None, **meta: Any) -> Obj:
    metadata: Obj = {"name": name, "namespace": "ns", "uid": f"uid-{name}"}
    metadata["resourceVersion"] = version
    if owner is not None:
        metadata["ownerReferences"] = [
            {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner, "uid": f"uid-{owner}"}
        ]
    metadata.update(meta)
    return {"metadata": metadata, "status": {"phase": "Pending"}}


async def _queued(gc: GarbageCollector) -> list[str]:
    keys = []
    while len(gc.queue):
        key = await gc.queue.get()
        gc.queue.done(key)
        keys.append(key)
    return keys


async def test_status_updates_of_an_owned_object_with_known_owners_queue_nothing() -> None:
    ctx, _ = fake_context()
    gc = GarbageCollector(ctx)
    gc._observe(REPLICASETS, _obj("web", "1"))
    gc._observe(PODS, _obj("web-a", "2", owner="web"))
    assert await _queued(gc) == ["uid-web-a"]  # new: its owners are checked once
    running = _obj("web-a", "3", owner="web")
    running["status"] = {"phase": "Running"}
    gc._observe(PODS, running)
    gc._observe(REPLICASETS, _obj("web", "4"))  # an owner's own update, no owners
    assert await _queued(gc) == []


async def test_changes_that_matter_queue_the_object_again() -> None:
    ctx, _ = fake_context()
    gc = GarbageCollector(ctx)
    for name in ("web", "db"):
        gc._observe(REPLICASETS, _obj(name, "1"))
    gc._observe(PODS, _obj("p", "2", owner="web"))
    await _queued(gc)
    changes = [
        _obj("p", "3", owner="db"),  # another owner
        _obj("p", "4", owner="db", finalizers=["example.com/keep"]),  # finalizers
        _obj("p", "5", owner="db", finalizers=["example.com/keep"], deletionTimestamp="now"),
    ]
    for changed in changes:
        gc._observe(PODS, changed)
        assert await _queued(gc) == ["uid-p"]


async def test_an_owner_the_graph_has_not_seen_is_looked_for_at_every_update() -> None:
    ctx, _ = fake_context()
    gc = GarbageCollector(ctx)
    gc._observe(PODS, _obj("p", "1", owner="unseen"))
    gc._observe(PODS, _obj("p", "2", owner="unseen"))
    assert await _queued(gc) == ["uid-p"]  # queued twice, the second time while still queued
    gc._observe(PODS, _obj("p", "3", owner="unseen"))
    assert await _queued(gc) == ["uid-p"]
    gc._observe(REPLICASETS, _obj("unseen", "4"))
    gc._observe(PODS, _obj("p", "5", owner="unseen"))
    assert await _queued(gc) == []
