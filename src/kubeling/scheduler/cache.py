"""What the scheduler believes runs where: nodes, bound pods and assumed pods.

A pod the scheduler has just placed is *assumed* on its node at once, before the
binding call returns, so the next cycle already counts it (upstream ``AssumePod``);
when the API later reports the pod bound, the assumption is *confirmed*; if binding
fails it is *forgotten*. Assumed pods do not expire: kubeling's informers deliver the
bound pod, as upstream's do since 1.26 when the TTL went to zero.

A pod may be reported on a node the cache does not know yet (or any more): the node's
NodeInfo then exists without a node object, counts the pod, and is not listed until
the node arrives (upstream keeps such "ghost" NodeInfos too).

``update_snapshot`` brings a ``Snapshot`` up to date by copying only the NodeInfos
that changed since the last call, in place, so plugins holding the snapshot's lists
see the new values.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubeling.scheduler.framework.snapshot import Snapshot
from kubeling.scheduler.framework.types import NodeInfo, PodInfo
from kubeling.scheduler.node_tree import NodeTree

__all__ = ["Cache"]

Obj = Mapping[str, Any]
_log = logging.getLogger(__name__)


@dataclass(slots=True)
class _PodState:
    pod: PodInfo
    node_name: str
    assumed: bool


class Cache:
    """Nodes and the pods counted on them."""

    def __init__(self) -> None:
        """An empty cache."""
        self._nodes: dict[str, NodeInfo] = {}
        self._pods: dict[str, _PodState] = {}
        self._tree = NodeTree()
        # Node names changed since the last snapshot update, and whether the order did.
        self._dirty: set[str] = set()
        self._order_changed = True

    # --- nodes -------------------------------------------------------------------

    def add_node(self, node: Obj) -> None:
        """A node appeared (or is re-listed)."""
        name = str((node.get("metadata") or {}).get("name", ""))
        info = self._nodes.get(name)
        if info is None:
            info = self._nodes[name] = NodeInfo()
        info.set_node(node)
        self._tree.add(node)
        self._dirty.add(name)
        self._order_changed = True

    def update_node(self, old: Obj, new: Obj) -> None:
        """A node changed."""
        name = str((new.get("metadata") or {}).get("name", ""))
        if name not in self._nodes or self._nodes[name].node is None:
            self.add_node(new)
            return
        self._nodes[name].set_node(new)
        if self._tree.update(old, new):
            self._order_changed = True
        self._dirty.add(name)

    def remove_node(self, node: Obj) -> None:
        """A node went away; its pods stay counted until they are removed."""
        name = str((node.get("metadata") or {}).get("name", ""))
        info = self._nodes.get(name)
        if info is None:
            return
        if info.pods:
            info.remove_node()
        else:
            del self._nodes[name]
        self._tree.remove(name)
        self._dirty.add(name)
        self._order_changed = True

    def node_count(self) -> int:
        """How many nodes (with a node object) there are."""
        return len(self._tree)

    # --- pods --------------------------------------------------------------------

    def _place(self, pod: PodInfo, node_name: str) -> None:
        info = self._nodes.get(node_name)
        if info is None:
            info = self._nodes[node_name] = NodeInfo()
            info.name = node_name
        info.add_pod(pod)
        self._dirty.add(node_name)

    def _unplace(self, key: str, node_name: str) -> None:
        info = self._nodes.get(node_name)
        if info is None:
            return
        info.remove_pod(key)
        if info.node is None and not info.pods:
            del self._nodes[node_name]
        self._dirty.add(node_name)

    def assume_pod(self, pod: PodInfo, node_name: str) -> None:
        """Count ``pod`` on ``node_name`` while its binding is in flight."""
        if pod.key in self._pods:
            raise ValueError(f"pod {pod.namespace}/{pod.name} is in the cache, cannot be assumed")
        self._pods[pod.key] = _PodState(pod, node_name, assumed=True)
        self._place(pod, node_name)

    def forget_pod(self, key: str) -> None:
        """Undo an assumption (binding failed)."""
        state = self._pods.get(key)
        if state is None or not state.assumed:
            return
        del self._pods[key]
        self._unplace(key, state.node_name)

    def is_assumed(self, key: str) -> bool:
        """Whether the pod is assumed and not yet confirmed by the API."""
        state = self._pods.get(key)
        return state is not None and state.assumed

    def add_pod(self, pod: PodInfo) -> None:
        """The API reports ``pod`` bound (``spec.nodeName`` set): confirm or add it."""
        state = self._pods.get(pod.key)
        if state is not None:
            if state.assumed and state.node_name != pod.node_name:
                _log.warning(
                    "pod %s was assumed on %s but bound to %s", pod, state.node_name, pod.node_name
                )
            self._unplace(pod.key, state.node_name)
        self._pods[pod.key] = _PodState(pod, pod.node_name, assumed=False)
        self._place(pod, pod.node_name)

    def update_pod(self, pod: PodInfo) -> None:
        """A bound pod changed (labels, deletion timestamp ...)."""
        self.add_pod(pod)

    def remove_pod(self, key: str) -> None:
        """A bound pod was deleted (or finished)."""
        state = self._pods.pop(key, None)
        if state is not None:
            self._unplace(key, state.node_name)

    def get_pod(self, key: str) -> PodInfo | None:
        """A cached (bound or assumed) pod."""
        state = self._pods.get(key)
        return state.pod if state is not None else None

    # --- snapshot ----------------------------------------------------------------

    def update_snapshot(self, snapshot: Snapshot) -> None:
        """Copy what changed since the last call into ``snapshot``."""
        if not self._dirty and not self._order_changed:
            return
        membership_changed = self._order_changed
        for name in self._dirty:
            info = self._nodes.get(name)
            current = snapshot.node_info_map.get(name)
            if info is None:
                if snapshot.drop(name):
                    membership_changed = True
                continue
            if current is None:
                snapshot.put(info)
                membership_changed = True
                continue
            had = (bool(current.pods_with_affinity), bool(current.pods_with_required_anti_affinity))
            had_node = current.node is not None
            snapshot.put(info)
            now = (bool(current.pods_with_affinity), bool(current.pods_with_required_anti_affinity))
            if had != now or had_node != (current.node is not None):
                membership_changed = True
        self._dirty.clear()
        if membership_changed:
            snapshot.rebuild_lists(self._tree.list())
        self._order_changed = False
