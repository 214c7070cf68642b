"""The shared informer against a scripted list/watch: sync, events, resume, relist, resync.

The fake hands each watch the test's own event queue, so a test decides exactly when the
stream delivers, ends, breaks or expires, and checks which resourceVersion each new watch or
list asked for.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from kubeling.api import errors
from kubeling.api.groupversion import GroupResource
from kubeling.client import informer as informer_module
from kubeling.client.cache import DeletedFinalStateUnknown
from kubeling.client.config import ClientConfig
from kubeling.client.factory import SharedInformerFactory
from kubeling.client.informer import SharedInformer, strip_managed_fields
from kubeling.client.resources import NODES, PODS
from kubeling.client.rest import ApiClient, TransportError, WatchEvent
from tests.support.waiting import eventually

Obj = dict[str, Any]
_END = object()


def _obj(name: str, rv: str, namespace: str = "ns", **extra: Any) -> Obj:
    return {"metadata": {"name": name, "namespace": namespace, "resourceVersion": rv}, **extra}


def _list(rv: str, *items: Obj, continue_token: str = "") -> Obj:
    meta = {"resourceVersion": rv, **({"continue": continue_token} if continue_token else {})}
    return {"kind": "PodList", "apiVersion": "v1", "metadata": meta, "items": list(items)}


class WatchSession:
    """One watch the informer opened; the test feeds it."""

    def __init__(self, kwargs: dict[str, Any]) -> None:
        self.kwargs = kwargs
        self._queue: asyncio.Queue[object] = asyncio.Queue()

    def send(self, kind: str, obj: Obj) -> None:
        self._queue.put_nowait(WatchEvent(kind, obj))

    def end(self) -> None:
        self._queue.put_nowait(_END)

    def fail(self, error: BaseException) -> None:
        self._queue.put_nowait(error)

    async def events(self) -> AsyncGenerator[WatchEvent, None]:
        while True:
            item = await self._queue.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, WatchEvent)
            yield item


class FakeListWatch:
    """Lists answer from ``pages`` (values or exceptions); watches are handed to the test."""

    def __init__(self, *pages: Obj | BaseException) -> None:
        self.pages: list[Obj | BaseException] = list(pages)
        self.list_calls: list[dict[str, Any]] = []
        self.sessions: asyncio.Queue[WatchSession] = asyncio.Queue()

    async def list(self, **kwargs: Any) -> Obj:
        self.list_calls.append(kwargs)
        page = self.pages.pop(0)
        if isinstance(page, BaseException):
            raise page
        return page

    def watch(self, **kwargs: Any) -> AsyncGenerator[WatchEvent, None]:
        session = WatchSession(kwargs)
        self.sessions.put_nowait(session)
        return session.events()

    async def next_watch(self) -> WatchSession:
        return await asyncio.wait_for(self.sessions.get(), 10)


class Recorder:
    """Handlers that write down what they were told."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def on_add(self, obj: Obj) -> None:
        self.calls.append(("add", obj["metadata"]["name"], obj["metadata"]["resourceVersion"]))

    def on_update(self, old: Obj, new: Obj) -> None:
        self.calls.append(
            (
                "update",
                new["metadata"]["name"],
                old["metadata"]["resourceVersion"],
                new["metadata"]["resourceVersion"],
            )
        )

    def on_delete(self, obj: Obj | DeletedFinalStateUnknown) -> None:
        if isinstance(obj, DeletedFinalStateUnknown):
            self.calls.append(("tombstone", obj.key, obj.obj["metadata"]["resourceVersion"]))
        else:
            self.calls.append(
                ("delete", obj["metadata"]["name"], obj["metadata"]["resourceVersion"])
            )

    def register(self, informer: SharedInformer) -> None:
        informer.add_event_handler(
            on_add=self.on_add, on_update=self.on_update, on_delete=self.on_delete
        )


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Back-off waits of milliseconds, so retries happen within the test."""
    monkeypatch.setattr(informer_module, "_BACKOFF_INITIAL", 0.001)
    monkeypatch.setattr(informer_module, "_BACKOFF_MAX", 0.01)


@asynccontextmanager
async def _running(informer: SharedInformer) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(informer.run())
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def _informer(lw: FakeListWatch, **kwargs: Any) -> SharedInformer:
    return SharedInformer(lw, resource=GroupResource("", "pods"), **kwargs)


async def test_lists_then_watches_from_the_lists_version() -> None:
    """The first list (resourceVersion 0, paged) fills the cache; the watch starts at its RV."""
    lw = FakeListWatch(_list("10", _obj("a", "5"), _obj("b", "7")))
    informer = _informer(lw, namespace="ns", label_selector="app=x")
    seen = Recorder()
    seen.register(informer)
    async with _running(informer):
        session = await lw.next_watch()
        await informer.wait_for_sync()
        assert informer.has_synced()
        assert lw.list_calls == [
            {
                "namespace": "ns",
                "label_selector": "app=x",
                "field_selector": "",
                "limit": 500,
                "continue_token": "",
                "resource_version": "0",
            }
        ]
        assert session.kwargs["resource_version"] == "10"
        assert session.kwargs["allow_bookmarks"] is True
        assert 300 <= session.kwargs["timeout_seconds"] < 600
        assert seen.calls == [("add", "a", "5"), ("add", "b", "7")]
        # Items of a typed List carry no kind: the informer puts the List's back.
        assert informer.lister.get("a", namespace="ns")["kind"] == "Pod"


async def test_watch_events_reach_the_cache_and_the_handlers() -> None:
    """ADDED/MODIFIED/DELETED become add/update/delete; the cache follows."""
    lw = FakeListWatch(_list("10", _obj("a", "5")))
    informer = _informer(lw)
    seen = Recorder()
    seen.register(informer)
    async with _running(informer):
        session = await lw.next_watch()
        session.send("ADDED", _obj("b", "11"))
        session.send("MODIFIED", _obj("a", "12"))
        session.send("DELETED", _obj("b", "13"))
        session.send("DELETED", _obj("never-seen", "14"))  # unknown: nothing to tell
        await eventually(
            lambda: informer.last_sync_resource_version == "14",
            within=10,
            what="the sync at resourceVersion 14",
        )
        assert seen.calls == [
            ("add", "a", "5"),
            ("add", "b", "11"),
            ("update", "a", "5", "12"),
            ("delete", "b", "13"),
        ]
        assert informer.indexer.list_keys() == ["ns/a"]


async def test_transform_applies_to_listed_and_watched_objects() -> None:
    """``strip_managed_fields`` removes managedFields before caching and handlers."""
    fields = [{"manager": "kubectl", "operation": "Update"}]
    lw = FakeListWatch(_list("10", _obj("a", "5", managed=True)))
    lw.pages[0]["items"][0]["metadata"]["managedFields"] = fields
    informer = _informer(lw, transform=strip_managed_fields)
    seen: list[Obj] = []
    informer.add_event_handler(on_add=seen.append, on_update=lambda old, new: seen.append(new))
    async with _running(informer):
        session = await lw.next_watch()
        watched = _obj("b", "11")
        watched["metadata"]["managedFields"] = fields
        session.send("ADDED", watched)
        await eventually(
            lambda: informer.last_sync_resource_version == "11",
            within=10,
            what="the sync at resourceVersion 11",
        )
    assert [obj["metadata"]["name"] for obj in seen] == ["a", "b"]
    assert all("managedFields" not in obj["metadata"] for obj in seen)
    assert "managedFields" not in informer.lister.get("b", namespace="ns")["metadata"]


async def test_cached_objects_share_their_keys_and_short_strings() -> None:
    """Listed and watched objects, each decoded on its own, are interned as they enter the
    cache: one string object for a key or value they have in common; the handlers get the
    cached objects, equal to what the server sent."""
    listed = json.loads(json.dumps(_obj("a", "5", status={"phase": "Running"})))
    lw = FakeListWatch(_list("10", listed))
    informer = _informer(lw, transform=strip_managed_fields)
    seen: list[Obj] = []
    informer.add_event_handler(on_add=seen.append)
    async with _running(informer):
        session = await lw.next_watch()
        watched = json.loads(json.dumps(_obj("b", "11", status={"phase": "Running"})))
        session.send("ADDED", watched)
        await eventually(
            lambda: informer.last_sync_resource_version == "11", within=10, what="the watch event"
        )
    a = informer.lister.get("a", namespace="ns")
    b = informer.lister.get("b", namespace="ns")
    assert seen == [a, b]
    assert seen[0] is a
    assert seen[1] is b
    assert b == _obj("b", "11", status={"phase": "Running"})
    assert a["status"]["phase"] is b["status"]["phase"]
    assert a["metadata"]["namespace"] is b["metadata"]["namespace"]
    assert next(k for k in a if k == "status") is next(k for k in b if k == "status")


async def test_a_watch_that_ends_resumes_from_the_last_version_without_relisting() -> None:
    """The server ends a watch (timeout): the next one starts at the last event or bookmark."""
    lw = FakeListWatch(_list("10"))
    informer = _informer(lw)
    async with _running(informer):
        first = await lw.next_watch()
        first.send("ADDED", _obj("a", "11"))
        first.send("BOOKMARK", {"metadata": {"resourceVersion": "20"}})
        first.end()
        second = await lw.next_watch()
        assert second.kwargs["resource_version"] == "20"
        assert len(lw.list_calls) == 1


async def test_a_dropped_connection_resumes_from_the_last_version() -> None:
    """A broken stream (TransportError) resumes from the last event; nothing is relisted."""
    lw = FakeListWatch(_list("10"))
    informer = _informer(lw)
    seen = Recorder()
    seen.register(informer)
    async with _running(informer):
        first = await lw.next_watch()
        first.send("ADDED", _obj("a", "11"))
        first.fail(TransportError("connection reset"))
        second = await lw.next_watch()
        assert second.kwargs["resource_version"] == "11"
        second.send("MODIFIED", _obj("a", "12"))
        await eventually(lambda: len(seen.calls) == 2, within=10, what="two notifications")
        assert seen.calls == [("add", "a", "11"), ("update", "a", "11", "12")]
        assert len(lw.list_calls) == 1


async def test_410_relists_and_tells_what_changed_meanwhile() -> None:
    """Expired: a consistent relist; unchanged objects are quiet, changed ones updated, new
    ones added, vanished ones deleted with a tombstone; then the watch goes on from there."""
    lw = FakeListWatch(
        _list("10", _obj("same", "3"), _obj("changed", "4"), _obj("gone", "5")),
        _list("30", _obj("same", "3"), _obj("changed", "25"), _obj("new", "28")),
    )
    informer = _informer(lw)
    seen = Recorder()
    seen.register(informer)
    async with _running(informer):
        first = await lw.next_watch()
        seen.calls.clear()
        first.fail(errors.resource_expired("too old resource version: 10 (20)"))
        second = await lw.next_watch()
        assert lw.list_calls[1]["resource_version"] == ""
        assert second.kwargs["resource_version"] == "30"
        assert seen.calls == [
            ("update", "changed", "4", "25"),
            ("add", "new", "28"),
            ("tombstone", "ns/gone", "5"),
        ]
        assert sorted(informer.indexer.list_keys()) == ["ns/changed", "ns/new", "ns/same"]


async def test_gone_relists_too() -> None:
    """410 Gone (the older reason) is treated like Expired."""
    lw = FakeListWatch(_list("10"), _list("40"))
    informer = _informer(lw)
    async with _running(informer):
        (await lw.next_watch()).fail(errors.gone("gone"))
        assert (await lw.next_watch()).kwargs["resource_version"] == "40"


async def test_list_failures_are_retried_and_sync_waits() -> None:
    """Until a list succeeds the informer is not synced; then it is."""
    lw = FakeListWatch(
        TransportError("refused"),
        errors.internal_error("boom"),
        _list("10", _obj("a", "1")),
    )
    informer = _informer(lw)
    assert not informer.has_synced()
    async with _running(informer):
        await lw.next_watch()
        assert informer.has_synced()
        assert len(lw.list_calls) == 3


async def test_paged_lists_follow_continue_tokens() -> None:
    """Pages are joined; continuing pages send no resourceVersion; the last page's RV counts."""
    lw = FakeListWatch(
        _list("10", _obj("a", "1"), continue_token="t1"),
        _list("10", _obj("b", "2")),
    )
    informer = _informer(lw)
    async with _running(informer):
        session = await lw.next_watch()
        assert [c["continue_token"] for c in lw.list_calls] == ["", "t1"]
        assert [c["resource_version"] for c in lw.list_calls] == ["0", ""]
        assert session.kwargs["resource_version"] == "10"
        assert sorted(informer.indexer.list_keys()) == ["ns/a", "ns/b"]


async def test_an_expired_continue_token_falls_back_to_one_full_list() -> None:
    """410 on a continue: start over without paging, dropping the partial pages."""
    lw = FakeListWatch(
        _list("10", _obj("a", "1"), continue_token="t1"),
        errors.resource_expired("The provided continue parameter is too old"),
        _list("12", _obj("a", "1"), _obj("b", "2")),
    )
    informer = _informer(lw)
    async with _running(informer):
        session = await lw.next_watch()
        assert lw.list_calls[2]["limit"] == 0
        assert lw.list_calls[2]["continue_token"] == ""
        assert session.kwargs["resource_version"] == "12"
        assert len(informer.indexer) == 2


async def test_a_late_handler_first_gets_what_is_cached() -> None:
    """Handlers added after the sync get an add for every cached object, then live events."""
    lw = FakeListWatch(_list("10", _obj("a", "1"), _obj("b", "2")))
    informer = _informer(lw)
    async with _running(informer):
        session = await lw.next_watch()
        late = Recorder()
        late.register(informer)
        assert sorted(late.calls) == [("add", "a", "1"), ("add", "b", "2")]
        session.send("ADDED", _obj("c", "11"))
        await eventually(
            lambda: len(late.calls) == 3, within=10, what="three notifications of the late handler"
        )


async def test_removed_handlers_hear_nothing_more() -> None:
    """remove_event_handler stops delivery to that consumer only."""
    lw = FakeListWatch(_list("10"))
    informer = _informer(lw)
    kept, removed = Recorder(), Recorder()
    kept.register(informer)
    registration = informer.add_event_handler(on_add=removed.on_add)
    informer.remove_event_handler(registration)
    async with _running(informer):
        (await lw.next_watch()).send("ADDED", _obj("a", "11"))
        await eventually(
            lambda: len(kept.calls) == 1, within=10, what="one notification of the kept handler"
        )
        assert removed.calls == []


async def test_resync_redelivers_every_object_as_an_update() -> None:
    """Every resync_period, on_update(obj, obj) for each cached object."""
    lw = FakeListWatch(_list("10", _obj("a", "1")))
    informer = _informer(lw, resync_period=0.01)
    seen = Recorder()
    seen.register(informer)
    async with _running(informer):
        await lw.next_watch()
        await eventually(
            lambda: ("update", "a", "1", "1") in seen.calls,
            within=10,
            what="the resync update of a",
        )


async def test_a_failing_handler_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    """One consumer's exception is logged; the cache and the other consumers carry on."""
    lw = FakeListWatch(_list("10"))
    informer = _informer(lw)

    def broken(obj: Obj) -> None:
        raise RuntimeError("bug in a controller")

    informer.add_event_handler(on_add=broken)
    seen = Recorder()
    seen.register(informer)
    async with _running(informer) as task:
        session = await lw.next_watch()
        session.send("ADDED", _obj("a", "11"))
        session.send("ADDED", _obj("b", "12"))
        await eventually(lambda: len(seen.calls) == 2, within=10, what="two notifications")
        assert not task.done()
    assert "bug in a controller" in caplog.text


async def test_the_factory_shares_one_informer_per_resource() -> None:
    """informer_for returns the same informer for a resource, and its indexers accumulate."""
    async with ApiClient(ClientConfig(server="http://127.0.0.1:1")) as client:
        factory = SharedInformerFactory(client, resync_period=30, namespace="team")
        pods = factory.informer_for(PODS)
        assert factory.informer_for(PODS, indexers={"x": lambda o: []}) is pods
        assert factory.lister_for(PODS) is pods.lister
        assert pods.indexer.index_values("x") == []
        nodes = factory.informer_for(NODES)
        assert nodes is not pods
        assert (pods.namespace, nodes.namespace, pods.resync_period) == ("team", "", 30)


async def test_running_twice_is_refused() -> None:
    """One informer, one loop."""
    lw = FakeListWatch(_list("1"))
    informer = _informer(lw)
    async with _running(informer):
        await lw.next_watch()
        with pytest.raises(RuntimeError, match="already running"):
            await informer.run()
