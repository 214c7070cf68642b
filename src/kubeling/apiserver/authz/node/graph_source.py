"""The Node authorizer's graph, kept current from the API server's watch caches.

Kubernetes' graph populator follows pods, persistent volumes, volume
attachments (and resource slices) through shared informers. Here the graph is
brought up to date when it is asked: each call reads the changes the pod,
persistent-volume and volume-attachment watch caches applied since the last
call (their buffers of
recent events) and applies them in order, so a kubelet's request sees every
pod the cache has seen, with no background task and no lag of its own. A
cache that lost that history (it relisted, or its buffer moved past) is
listed again in full.

Only requests of nodes ask, so the work is paid by kubelets, in proportion to
how much changed since their last request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kubeling.apiserver.authz.node.graph import NodeGraph
from kubeling.apiserver.registry.registry import Registry
from kubeling.apiserver.rest.resource_store import ResourceStore
from kubeling.apiserver.watch_cache import CachedObject

__all__ = ["NodeGraphSource"]

Obj = dict[str, Any]


class _Follower:
    """One resource's watch cache, applied to the graph change by change."""

    def __init__(
        self,
        registry: Registry,
        group: str,
        plural: str,
        *,
        apply: Callable[[Obj], None],
        remove: Callable[[Obj], None],
        clear: Callable[[], None],
    ) -> None:
        self._registry = registry
        self._group = group
        self._plural = plural
        self._store: ResourceStore | None = None
        self._apply = apply
        self._remove = remove
        self._clear = clear
        self._cache_id = 0
        self._revision = -1

    def catch_up(self) -> None:
        if self._store is None:  # looked up on first use: the registry fills up after us
            self._store = self._registry.lookup(self._group, "v1", self._plural)
            if self._store is None:
                raise LookupError(f"{self._plural} is not registered")
        cache = self._store.watch_cache()
        changes = cache.changes_after(self._revision) if id(cache) == self._cache_id else None
        if changes is None:
            entries, revision = cache.list_entries(f"{self._store.storage_prefix}/")
            self._clear()
            for _, cached in entries:
                self._apply(cached.decode())
            self._cache_id, self._revision = id(cache), revision
            return
        for event in changes:
            obj = _decoded(event.obj)
            if event.type == "DELETED":
                self._remove(obj)
            else:
                self._apply(obj)
            self._revision = event.revision


def _decoded(cached: CachedObject | None) -> Obj:
    return cached.decode() if cached is not None else {}


def _name(obj: Mapping[str, Any], field: str) -> str:
    metadata = obj.get("metadata")
    value = metadata.get(field) if isinstance(metadata, Mapping) else None
    return value if isinstance(value, str) else ""


class NodeGraphSource:
    """Calls to it return the graph, brought up to date with the watch caches."""

    def __init__(self, registry: Registry) -> None:
        self.graph = graph = NodeGraph()
        self._followers = (
            _Follower(
                registry,
                "",
                "pods",
                apply=graph.set_pod,
                remove=lambda pod: graph.delete_pod(_name(pod, "namespace"), _name(pod, "name")),
                clear=graph.clear_pods,
            ),
            _Follower(
                registry,
                "",
                "persistentvolumes",
                apply=graph.set_pv,
                remove=lambda pv: graph.delete_pv(_name(pv, "name")),
                clear=graph.clear_pvs,
            ),
            _Follower(
                registry,
                "storage.k8s.io",
                "volumeattachments",
                apply=graph.set_volume_attachment,
                remove=lambda va: graph.delete_volume_attachment(_name(va, "name")),
                clear=graph.clear_volume_attachments,
            ),
        )

    def __call__(self) -> NodeGraph:
        for follower in self._followers:
            follower.catch_up()
        return self.graph
