"""Watch: a resource's changes as Kubernetes watch events.

``watch_events`` turns a store watch into ``{"type", "object"}`` events with
Kubernetes' semantics:

- ``resourceVersion`` absent or "0": first a synthetic ADDED for every object
  that exists now, then the changes after that (kubectl ``get -w`` and the
  Python client rely on this). With ``sendInitialEvents=true`` the initial
  events end with a BOOKMARK annotated ``k8s.io/initial-events-end``.
- ``resourceVersion=N``: every change after N. If N was compacted, one ERROR
  event carrying a 410 Expired Status, and the stream ends.
- Selectors filter by the object before and after each change, so that an
  object that stops matching is seen as DELETED and one that starts matching
  as ADDED.
- ``allowWatchBookmarks``: the store's progress notifications become
  BOOKMARK events carrying only the resource version.

Events come from the resource's watch cache (``watch_cache``): one store
watch per stored resource, however many clients watch it, through whichever
of its served versions. The cache holds storage-version objects; selectors
apply to them (with the served version's field labels) and each event's
object is converted to the served version on its way out.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from kubeling.api import errors
from kubeling.apiserver.rest import objects
from kubeling.apiserver.rest.options import ListOptions
from kubeling.apiserver.rest.resource_store import ResourceStore
from kubeling.apiserver.watch_cache import CachedObject, CacheEvent

__all__ = ["IDLE", "watch_events"]

Obj = dict[str, Any]

#: Yielded every few seconds (the cache's TICK): the caller checks that its
#: client is still connected (a watch blocked on a quiet resource would not
#: notice otherwise) and goes on reading.
IDLE: Obj = {"type": "IDLE"}


def _error_event(err: errors.StatusError) -> Obj:
    return {"type": "ERROR", "object": dict(err.to_status())}


async def watch_events(
    rest: ResourceStore, namespace: str, options: ListOptions
) -> AsyncGenerator[Obj, None]:
    """The events of a watch on ``rest`` in ``namespace`` ("" for all), with :data:`IDLE`
    every few seconds."""
    rest.check_field_selector(options)
    prefix = objects.prefix_for(rest.storage_prefix, namespace if rest.namespaced else "")
    gvk = rest.resource.gvk
    cache = rest.watch_cache()
    await cache.ensure_started()

    def bookmark(revision: int, *, initial_end: bool = False) -> Obj:
        meta: Obj = {"resourceVersion": str(revision)}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        return {
            "type": "BOOKMARK",
            "object": {"kind": gvk.kind, "apiVersion": gvk.api_version, "metadata": meta},
        }

    rv = options.resource_version
    initial = options.send_initial_events
    if initial is None:
        initial = rv in ("", "0")
    if initial:
        current, after = cache.list_entries(prefix)
        for _, cached in current:
            if rest.matches_cached(cached, options):
                yield _event("ADDED", rest, cached)
        if options.send_initial_events and options.allow_watch_bookmarks:
            yield bookmark(after, initial_end=True)
    elif rv in ("", "0"):
        # sendInitialEvents=false without a resourceVersion: from now on
        after = cache.revision
    else:
        after = int(rv)
    try:
        watcher, replay = await cache.watch(prefix, after)
    except errors.StatusError as err:
        if err.code != 410:
            raise
        yield _error_event(err)
        return
    try:
        for event in replay:
            converted = _convert(rest, event, options)
            if converted is not None:
                yield converted
        while True:
            live = await watcher.next()
            if live is None:
                return
            if live.type == "TICK":
                yield IDLE
                continue
            if live.type == "BOOKMARK":
                if options.allow_watch_bookmarks:
                    yield bookmark(live.revision)
                continue
            converted = _convert(rest, live, options)
            if converted is not None:
                yield converted
    finally:
        watcher.close()


def _convert(rest: ResourceStore, event: CacheEvent, options: ListOptions) -> Obj | None:
    """The client's view of a change: selectors apply to the object before and after.

    The object is decoded only for callers that need more than its JSON
    (Table output reads ``object``; JSON watches write ``raw``).
    """
    now = event.obj
    assert now is not None
    new_matches = event.type != "DELETED" and rest.matches_cached(now, options)
    old_matches = event.prev is not None and rest.matches_cached(event.prev, options)
    if event.type == "DELETED":
        kind = "DELETED" if old_matches else ""
    elif new_matches:
        kind = "MODIFIED" if old_matches else "ADDED"
    elif old_matches:
        # It stopped matching: DELETED, carrying the object as it was (with the
        # change's resourceVersion), as Kubernetes' cacher sends it.
        assert event.prev is not None
        last = rest.served.outgoing(event.prev.decode())
        last.setdefault("metadata", {})["resourceVersion"] = str(event.revision)
        return {"type": "DELETED", "object": last}
    else:
        kind = ""
    if not kind:
        return None
    return _event(kind, rest, now)


def _event(kind: str, rest: ResourceStore, cached: CachedObject) -> Obj:
    """``{"type", "object", "raw"}``: ``raw`` is the JSON to send; the object is
    decoded only if read (Table output), and converted for a version that is
    not the storage version."""
    if rest.served.conversion is not None:
        served = rest.served.outgoing(cached.decode())
        return {"type": kind, "object": served, "raw": rest.served.encoded(cached)}
    return _LazyEvent(kind, cached)


class _LazyEvent(dict[str, Any]):
    """``{"type", "object", "raw"}`` whose ``object`` is decoded only when read."""

    def __init__(self, kind: str, cached: CachedObject) -> None:
        super().__init__(type=kind, raw=cached.raw)
        self._cached = cached

    def __missing__(self, key: str) -> Any:
        if key != "object":
            raise KeyError(key)
        value = self["object"] = self._cached.decode()
        return value
