"""Shared informers against a real ``kubeling server``: the cache follows the API, and a watch
whose TCP connection is cut resumes from its last resourceVersion without relisting."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncGenerator, Callable
from typing import Any
from urllib.parse import urlsplit

from kubeling.client import (
    ApiClient,
    DeletedFinalStateUnknown,
    SharedInformer,
    SharedInformerFactory,
)
from kubeling.client.resources import CONFIGMAPS, NAMESPACES
from kubeling.client.rest import ResourceClient, WatchEvent
from tests.support.cluster import RunningServer
from tests.support.tcp_proxy import tcp_proxy

Obj = dict[str, Any]


class Seen:
    """What the handlers were told, as (event, name, data value)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.changed = asyncio.Event()

    def _note(self, what: str, obj: Obj) -> None:
        self.calls.append((what, obj["metadata"]["name"], (obj.get("data") or {}).get("v", "")))
        self.changed.set()

    def on_add(self, obj: Obj) -> None:
        self._note("add", obj)

    def on_update(self, old: Obj, new: Obj) -> None:
        self._note("update", new)

    def on_delete(self, obj: Obj | DeletedFinalStateUnknown) -> None:
        self._note("delete", obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj)

    async def until(self, condition: Callable[[], bool]) -> None:
        async with asyncio.timeout(30):
            while not condition():
                self.changed.clear()
                await self.changed.wait()


class CountingListWatch:
    """A ResourceClient that counts the lists and watches an informer makes."""

    def __init__(self, inner: ResourceClient) -> None:
        self.inner = inner
        self.lists = 0
        self.watch_versions: list[str] = []

    async def list(self, **kwargs: Any) -> Obj:
        self.lists += 1
        return await self.inner.list(**kwargs)

    def watch(self, **kwargs: Any) -> AsyncGenerator[WatchEvent, None]:
        self.watch_versions.append(kwargs["resource_version"])
        return self.inner.watch(**kwargs)


def _cm(name: str, namespace: str, value: str) -> Obj:
    return {"metadata": {"name": name, "namespace": namespace}, "data": {"v": value}}


async def test_informers_follow_adds_updates_and_deletes(api_client: ApiClient) -> None:
    """Through the factory: synced cache, handlers in order, lister reads, one informer shared."""
    await api_client.resource(NAMESPACES).create({"metadata": {"name": "inf-a"}})
    cms = api_client.resource(CONFIGMAPS)
    await cms.create(_cm("before", "inf-a", "0"))
    factory = SharedInformerFactory(api_client, namespace="inf-a")
    informer = factory.informer_for(CONFIGMAPS)
    assert factory.informer_for(CONFIGMAPS) is informer
    seen = Seen()
    informer.add_event_handler(
        on_add=seen.on_add, on_update=seen.on_update, on_delete=seen.on_delete
    )
    async with asyncio.TaskGroup() as group:
        factory.start(group)
        await asyncio.wait_for(factory.wait_for_cache_sync(), 30)
        assert ("add", "before", "0") in seen.calls
        await cms.create(_cm("x", "inf-a", "1"))
        await cms.patch("x", {"data": {"v": "2"}}, namespace="inf-a")
        await cms.delete("before", namespace="inf-a")
        await seen.until(lambda: ("delete", "before", "0") in seen.calls)
        assert [c for c in seen.calls if c[1] == "x"] == [("add", "x", "1"), ("update", "x", "2")]
        lister = factory.lister_for(CONFIGMAPS)
        assert lister.get("x", namespace="inf-a")["data"] == {"v": "2"}
        assert "before" not in [o["metadata"]["name"] for o in lister.list(namespace="inf-a")]
        factory.shutdown()


async def test_a_cut_watch_resumes_from_its_last_version(
    api_client: ApiClient, kubeling_server: RunningServer
) -> None:
    """Cut the watch's TCP connection: changes made meanwhile arrive as events on a watch that
    resumes from the last resourceVersion seen; there is no second list."""
    await api_client.resource(NAMESPACES).create({"metadata": {"name": "inf-b"}})
    cms = api_client.resource(CONFIGMAPS)
    url = urlsplit(kubeling_server.url)
    assert url.hostname is not None
    assert url.port is not None
    async with tcp_proxy(url.hostname, url.port) as proxy:
        config = dataclasses.replace(api_client.config, server=f"https://127.0.0.1:{proxy.port}")
        async with ApiClient(config) as proxied:
            counting = CountingListWatch(proxied.resource(CONFIGMAPS))
            informer = SharedInformer(
                counting, resource=CONFIGMAPS.group_resource, namespace="inf-b"
            )
            seen = Seen()
            informer.add_event_handler(on_add=seen.on_add, on_update=seen.on_update)
            task = asyncio.create_task(informer.run())
            try:
                await asyncio.wait_for(informer.wait_for_sync(), 30)
                await cms.create(_cm("a", "inf-b", "1"))
                await seen.until(lambda: ("add", "a", "1") in seen.calls)
                last_seen = informer.last_sync_resource_version

                proxy.cut()
                await cms.create(_cm("b", "inf-b", "1"))
                await cms.patch("a", {"data": {"v": "2"}}, namespace="inf-b")
                await seen.until(lambda: ("update", "a", "2") in seen.calls)
                assert ("add", "b", "1") in seen.calls
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
    assert counting.lists == 1
    assert len(counting.watch_versions) >= 2
    # From where the cut watch stopped (a bookmark already on the wire may have moved it on).
    assert int(counting.watch_versions[1]) >= int(last_seen)
    assert proxy.accepted >= 2
