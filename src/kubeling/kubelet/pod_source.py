"""Where a kubelet learns of the pods bound to its node: its own watch, or one shared by many.

A kubelet on its own node watches ``pods?fieldSelector=spec.nodeName=<node>``
(:class:`InformerNodePods`). Thousands of simulated nodes in one process (``kubeling
simulate``) must not open thousands of watches: :class:`SharedPods` is one informer over every
bound pod (``spec.nodeName!=``), indexed by node, whose handlers route each change to the
subscriber of that pod's node, so that each event costs one dictionary lookup whatever the
number of nodes. Both give a kubelet the same :class:`NodePods` view.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Protocol

from kubeling.client import DeletedFinalStateUnknown, SharedInformer

__all__ = ["NODE_NAME_INDEX", "InformerNodePods", "NodePods", "SharedPods"]

#: The index of :class:`SharedPods`' cache: pods by ``spec.nodeName``.
NODE_NAME_INDEX: Final = "spec.nodeName"

Obj = dict[str, Any]
OnUpdate = Callable[[Obj], None]
OnDelete = Callable[[Obj | DeletedFinalStateUnknown], None]


class NodePods(Protocol):
    """The pods bound to one node, as a kubelet sees them."""

    @property
    def synced(self) -> bool:
        """Whether the first list is in (before that, :meth:`list` is not the truth)."""
        ...

    async def wait_for_sync(self) -> None: ...

    def list(self) -> list[Obj]: ...

    def get(self, namespace: str, name: str) -> Obj | None: ...

    def subscribe(self, *, on_update: OnUpdate, on_delete: OnDelete) -> Callable[[], None]:
        """Call ``on_update`` for every pod now bound to the node and for each later add or
        update, ``on_delete`` for each deletion; returns what unsubscribes."""
        ...


class InformerNodePods:
    """A kubelet's own informer of its node's pods (it runs the informer itself)."""

    def __init__(self, informer: SharedInformer) -> None:
        self.informer = informer

    @property
    def synced(self) -> bool:
        return self.informer.has_synced()

    async def wait_for_sync(self) -> None:
        await self.informer.wait_for_sync()

    def list(self) -> list[Obj]:
        return self.informer.indexer.list()

    def get(self, namespace: str, name: str) -> Obj | None:
        return self.informer.indexer.get(f"{namespace}/{name}")

    def subscribe(self, *, on_update: OnUpdate, on_delete: OnDelete) -> Callable[[], None]:
        registration = self.informer.add_event_handler(
            on_add=on_update, on_update=lambda _, new: on_update(new), on_delete=on_delete
        )
        return lambda: self.informer.remove_event_handler(registration)


def _node_name(pod: Obj) -> list[str]:
    name = (pod.get("spec") or {}).get("nodeName")
    return [name] if name else []


class SharedPods:
    """One informer of every bound pod, shared by many nodes' kubelets (see the module
    docstring). The informer is run by whoever made it."""

    def __init__(self, informer: SharedInformer) -> None:
        self.informer = informer
        informer.add_indexers({NODE_NAME_INDEX: _node_name})
        self._subscribers: dict[str, tuple[OnUpdate, OnDelete]] = {}
        informer.add_event_handler(
            on_add=self._updated,
            on_update=lambda _, new: self._updated(new),
            on_delete=self._deleted,
        )

    def for_node(self, node_name: str) -> _NodeView:
        """The view of one node's pods."""
        return _NodeView(self, node_name)

    def _updated(self, pod: Obj) -> None:
        for node in _node_name(pod):
            subscriber = self._subscribers.get(node)
            if subscriber is not None:
                subscriber[0](pod)

    def _deleted(self, pod: Obj | DeletedFinalStateUnknown) -> None:
        obj = pod.obj if isinstance(pod, DeletedFinalStateUnknown) else pod
        for node in _node_name(obj):
            subscriber = self._subscribers.get(node)
            if subscriber is not None:
                subscriber[1](pod)

    def _subscribe(self, node: str, on_update: OnUpdate, on_delete: OnDelete) -> Callable[[], None]:
        if node in self._subscribers:
            raise RuntimeError(f"node {node} already has a kubelet subscribed")
        entry = (on_update, on_delete)
        self._subscribers[node] = entry
        for pod in self.informer.indexer.by_index(NODE_NAME_INDEX, node):
            on_update(pod)

        def unsubscribe() -> None:
            if self._subscribers.get(node) is entry:
                del self._subscribers[node]

        return unsubscribe


class _NodeView:
    """:class:`NodePods` of one node over :class:`SharedPods`."""

    def __init__(self, shared: SharedPods, node_name: str) -> None:
        self.shared = shared
        self.node_name = node_name

    @property
    def synced(self) -> bool:
        return self.shared.informer.has_synced()

    async def wait_for_sync(self) -> None:
        await self.shared.informer.wait_for_sync()

    def list(self) -> list[Obj]:
        return self.shared.informer.indexer.by_index(NODE_NAME_INDEX, self.node_name)

    def get(self, namespace: str, name: str) -> Obj | None:
        pod = self.shared.informer.indexer.get(f"{namespace}/{name}")
        if pod is None or _node_name(pod) != [self.node_name]:
            return None
        return pod

    def subscribe(self, *, on_update: OnUpdate, on_delete: OnDelete) -> Callable[[], None]:
        return self.shared._subscribe(self.node_name, on_update, on_delete)
