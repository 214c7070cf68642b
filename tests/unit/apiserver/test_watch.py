"""Watch events from the generic store: initial events, selectors, 410 after compaction."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from kubeling.apiserver.registry.builtin import builtin_resources
from kubeling.apiserver.registry.registry import Registry
from kubeling.apiserver.rest.options import ListOptions, WriteOptions
from kubeling.apiserver.rest.resource_store import ResourceStore
from kubeling.apiserver.watch import watch_events
from kubeling.storage.memory import MemoryStore
from tests.support.waiting import eventually

W = WriteOptions()


def _configmaps() -> tuple[ResourceStore, MemoryStore]:
    store = MemoryStore()
    registry = Registry(store)
    for resource in builtin_resources():
        registry.add(resource)
    rest = registry.lookup("", "v1", "configmaps")
    assert rest is not None
    return rest, store


async def _take(events: Any, n: int) -> list[tuple[str, str]]:
    out = []
    for _ in range(n):
        event = await asyncio.wait_for(events.__anext__(), 2)
        obj = event["object"]
        out.append((event["type"], obj.get("metadata", {}).get("name") or obj.get("code")))
    return out


async def test_no_resource_version_sends_existing_objects_first() -> None:
    """Without resourceVersion: ADDED for each object, then live changes."""
    rest, _ = _configmaps()
    await rest.create("ns", {"metadata": {"name": "a"}}, W)
    events = watch_events(rest, "ns", ListOptions.parse({}))
    assert await _take(events, 1) == [("ADDED", "a")]
    await rest.create("ns", {"metadata": {"name": "b"}}, W)
    assert await _take(events, 1) == [("ADDED", "b")]
    await events.aclose()


async def test_label_change_out_of_selector_is_deleted() -> None:
    """An object that stops matching the selector arrives as DELETED, and back as ADDED."""
    rest, _ = _configmaps()
    await rest.watch_cache().ensure_started()  # the server starts every cache at start-up
    listed = await rest.list("ns", ListOptions.parse({}))
    events = watch_events(
        rest,
        "ns",
        ListOptions.parse(
            {"labelSelector": "app=web", "resourceVersion": listed["metadata"]["resourceVersion"]}
        ),
    )
    await rest.create("ns", {"metadata": {"name": "a", "labels": {"app": "web"}}}, W)
    await rest.patch("ns", "a", "merge", {"metadata": {"labels": {"app": "db"}}}, W)
    await rest.patch("ns", "a", "merge", {"metadata": {"labels": {"app": "web"}}}, W)
    assert await _take(events, 3) == [("ADDED", "a"), ("DELETED", "a"), ("ADDED", "a")]
    await events.aclose()


async def test_compacted_resource_version_is_an_error_event_410() -> None:
    """A watch from a compacted revision gets one ERROR event with 410 Expired."""
    rest, store = _configmaps()
    for name in ("a", "b", "c"):
        await rest.create("ns", {"metadata": {"name": name}}, W)
    await store.compact(await store.current_revision())
    events = watch_events(rest, "ns", ListOptions.parse({"resourceVersion": "1"}))
    event = await asyncio.wait_for(events.__anext__(), 2)
    assert event["type"] == "ERROR"
    assert (event["object"]["code"], event["object"]["reason"]) == (410, "Expired")
    assert event["object"]["message"].startswith("too old resource version: 1")


async def test_consistent_list_from_cache_sees_every_acknowledged_write() -> None:
    """A full list served from the cache includes a write acknowledged just before it,
    even when other resources moved the store's revision on."""
    store = MemoryStore()
    registry = Registry(store)
    for resource in builtin_resources():
        registry.add(resource)
    configmaps = registry.lookup("", "v1", "configmaps")
    secrets = registry.lookup("", "v1", "secrets")
    assert configmaps is not None
    assert secrets is not None
    await configmaps.watch_cache().ensure_started()
    await configmaps.create("ns", {"metadata": {"name": "a"}}, W)
    await secrets.create("ns", {"metadata": {"name": "s"}}, W)
    raw = await asyncio.wait_for(configmaps.list_json("ns", ListOptions.parse({})), 2)
    assert raw is not None
    listed = json.loads(raw)
    assert [i["metadata"]["name"] for i in listed["items"]] == ["a"]
    assert int(listed["metadata"]["resourceVersion"]) >= await store.current_revision()


async def test_deleted_for_leaving_the_selector_carries_the_previous_object() -> None:
    """As Kubernetes' cacher: the DELETED event sent when an object stops matching
    carries the object as it last matched, with the change's resourceVersion."""
    rest, _ = _configmaps()
    await rest.watch_cache().ensure_started()
    listed = await rest.list("ns", ListOptions.parse({}))
    options = {"labelSelector": "app=web", "resourceVersion": listed["metadata"]["resourceVersion"]}
    events = watch_events(rest, "ns", ListOptions.parse(options))
    await rest.create("ns", {"metadata": {"name": "a", "labels": {"app": "web"}}}, W)
    patched = await rest.patch("ns", "a", "merge", {"metadata": {"labels": {"app": "db"}}}, W)
    added = await asyncio.wait_for(events.__anext__(), 2)
    deleted = await asyncio.wait_for(events.__anext__(), 2)
    assert json.loads(added["raw"])["metadata"]["labels"] == {"app": "web"}
    assert deleted["type"] == "DELETED"
    assert deleted["object"]["metadata"]["labels"] == {"app": "web"}
    assert (
        deleted["object"]["metadata"]["resourceVersion"]
        == patched.obj["metadata"]["resourceVersion"]
    )
    await events.aclose()


async def test_cache_keeps_json_and_selector_values_not_decoded_objects() -> None:
    """The cache holds bytes and string maps only: nothing for the cycle collector to walk."""
    import gc

    rest, _ = _configmaps()
    await rest.watch_cache().ensure_started()
    await rest.create(
        "ns", {"metadata": {"name": "a", "labels": {"x": "y"}}, "data": {"k": "v"}}, W
    )
    await rest.list_json("ns", ListOptions.parse({}))
    entries, _ = rest.watch_cache().list_entries("/")
    [(_, cached)] = entries
    assert isinstance(cached.raw, bytes)
    assert not gc.is_tracked(cached.labels)
    assert not gc.is_tracked(cached.fields)


async def test_a_watcher_that_falls_behind_is_ended(monkeypatch: Any) -> None:
    """A watcher whose queue fills is ended (its client re-watches from its last
    resourceVersion) instead of holding events without bound."""
    from kubeling.apiserver import watch_cache

    monkeypatch.setattr(watch_cache, "WATCHER_QUEUE", 3)
    rest, _ = _configmaps()
    cache = rest.watch_cache()
    await cache.ensure_started()
    watcher, _ = await cache.watch("/", cache.revision)
    for name in "abcde":
        await rest.create("ns", {"metadata": {"name": name}}, W)
    await asyncio.sleep(0)  # let the cache apply what the store sent
    seen = []
    while (event := await asyncio.wait_for(watcher.next(), 2)) is not None:
        seen.append(event)
    # What was queued comes in order, then the end: no gap for the client to miss.
    assert [e.key.rsplit("/", 1)[-1] for e in seen] == ["a", "b", "c"]
    assert cache.statistics()["watchers"] == 0
    # Its client re-watches from the last event it got and gets the rest.
    again, replay = await cache.watch("/", seen[-1].revision)
    assert [e.key.rsplit("/", 1)[-1] for e in replay] == ["d", "e"]
    again.close()


async def test_a_consistent_read_asks_again_when_the_store_answers_behind(
    monkeypatch: Any,
) -> None:
    """A store may answer a progress request with the revision it has published, a little
    behind the one it committed: the cache asks again instead of timing out (504)."""
    from kubeling.apiserver import watch_cache

    monkeypatch.setattr(watch_cache, "TOO_LARGE_WAIT", 1.0)
    store = MemoryStore()
    registry = Registry(store)
    for resource in builtin_resources():
        registry.add(resource)
    configmaps = registry.lookup("", "v1", "configmaps")
    secrets = registry.lookup("", "v1", "secrets")
    assert configmaps is not None
    assert secrets is not None
    cache = configmaps.watch_cache()
    await cache.ensure_started()
    await secrets.create("ns", {"metadata": {"name": "s"}}, W)  # moves the store on
    # the cache's store watch starts on its own task
    watcher = await eventually(
        lambda: cache._store_watcher,
        within=1,
        what="the cache's store watch",
        accept=lambda found: found is not None,
    )
    real = watcher.request_progress
    asked = 0

    async def stale_first() -> None:
        nonlocal asked
        asked += 1
        if asked > 1:  # the first answer is lost, as a stale one would be
            await real()

    monkeypatch.setattr(watcher, "request_progress", stale_first)
    await asyncio.wait_for(cache.wait_for(await store.current_revision()), 2)
    assert asked >= 2


async def test_cached_selector_values_are_shared_and_the_json_unchanged() -> None:
    """Objects in the cache share their label and field values (interned), and the JSON
    served is byte for byte the stored object's, resourceVersion set."""
    rest, store = _configmaps()
    cache = rest.watch_cache()
    await cache.ensure_started()
    for name in ("a", "b"):
        await rest.create("ns", {"metadata": {"name": name, "labels": {"tier": "backend"}}}, W)
    await rest.list_json("ns", ListOptions.parse({}))
    (_, first), (_, second) = cache.list_entries("/")[0]
    assert first.labels["tier"] is second.labels["tier"]
    assert first.fields["metadata.namespace"] is second.fields["metadata.namespace"]
    assert next(iter(first.labels)) is next(iter(second.labels))
    for cached in (first, second):
        stored = json.loads(
            (
                await store.get(f"/registry/configmaps/ns/{cached.decode()['metadata']['name']}")
            ).value
        )
        stored["metadata"]["resourceVersion"] = str(cached.revision)
        stored["apiVersion"], stored["kind"] = "v1", "ConfigMap"
        assert cached.raw == json.dumps(stored, separators=(",", ":"), ensure_ascii=False).encode()
