"""Pods nominated to nodes: where a preemptor waits for its victims to go.

When preemption frees room on a node for a pod, the pod is *nominated* to that node
(``status.nominatedNodeName``) but not bound: its victims must terminate first. Until
it binds, every other pod of equal or lower priority that is evaluated on that node
is filtered as if the nominated pod were already there, so the room is not stolen
(upstream ``RunFilterPluginsWithNominatedPods``).
"""

from __future__ import annotations

from kubeling.scheduler.framework.types import PodInfo

__all__ = ["PodNominator"]


class PodNominator:
    """Nominated pods by node, and the node of each nominated pod."""

    def __init__(self) -> None:
        """No nominations."""
        self._by_node: dict[str, list[PodInfo]] = {}
        self._node_of: dict[str, str] = {}

    def add(self, pod: PodInfo, node_name: str | None = None) -> None:
        """Nominate ``pod`` to ``node_name`` (None: the node its status names, if any)."""
        self.delete(pod.key)
        target = pod.nominated_node_name if node_name is None else node_name
        if not target or pod.node_name:
            return
        self._node_of[pod.key] = target
        self._by_node.setdefault(target, []).append(pod)

    def update(self, old: PodInfo, new: PodInfo) -> None:
        """Replace a pod's object, keeping a nomination the scheduler made itself.

        A nomination set by preemption may not yet be visible in the pod's status; an
        update that carries no nominated node on either side keeps it.
        """
        node_name: str | None = None
        if not old.nominated_node_name and not new.nominated_node_name:
            node_name = self._node_of.get(old.key)
        self.add(new, node_name)

    def delete(self, key: str) -> None:
        """Drop the nomination of the pod with ``key``."""
        node_name = self._node_of.pop(key, None)
        if node_name is None:
            return
        remaining = [p for p in self._by_node.get(node_name, ()) if p.key != key]
        if remaining:
            self._by_node[node_name] = remaining
        else:
            self._by_node.pop(node_name, None)

    def node_of(self, key: str) -> str:
        """The node a pod is nominated to, or ``""``."""
        return self._node_of.get(key, "")

    def nodes_with_pods(self, *, min_priority: int, other_than: str) -> frozenset[str]:
        """The nodes with a nominated pod of at least ``min_priority``, other than the pod
        with key ``other_than`` (usually there are none: one check per cycle, not per node)."""
        return frozenset(
            node_name
            for node_name, pods in self._by_node.items()
            if any(p.priority >= min_priority and p.key != other_than for p in pods)
        )

    def pods_for_node(self, node_name: str) -> list[PodInfo]:
        """The pods nominated to ``node_name``."""
        return list(self._by_node.get(node_name, ()))
