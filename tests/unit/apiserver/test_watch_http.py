"""Watches over HTTP: a client that goes away frees its watch even on a quiet resource."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from kubeling.apiserver import watch_cache
from kubeling.apiserver.app import ApiServerApp
from kubeling.apiserver.registry.builtin import builtin_resources
from kubeling.apiserver.registry.registry import Registry
from kubeling.storage.memory import MemoryStore
from tests.support.waiting import eventually


async def test_a_closed_watch_connection_releases_its_cache_watcher(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(watch_cache, "IDLE_TICK", 0.05)
    registry = Registry(MemoryStore())
    for resource in builtin_resources():
        registry.add(resource)
    configmaps = registry.lookup("", "v1", "configmaps")
    assert configmaps is not None
    cache = configmaps.watch_cache()
    await cache.ensure_started()
    server = TestServer(ApiServerApp(registry).app)
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session:
            response = await session.get(
                server.make_url("/api/v1/namespaces/default/configmaps"),
                params={"watch": "true", "resourceVersion": str(cache.revision)},
            )
            assert response.status == 200
            await eventually(
                lambda: cache.statistics()["watchers"] == 1, within=1, what="one watcher"
            )
            response.close()  # the client goes away; nothing changes in configmaps
            await eventually(
                lambda: cache.statistics()["watchers"] == 0, within=2, what="the watcher gone"
            )
    finally:
        await server.close()
