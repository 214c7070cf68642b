"""The immutable-per-cycle view of the cluster that every plugin reads.

At the start of each cycle the cache copies the NodeInfos that changed since the
previous cycle into the snapshot (upstream ``UpdateSnapshot``), so a cycle sees one
consistent state even if events arrive while it runs, and plugins never see the
cache's live objects. Nodes are listed in the cache's zone-interleaved order (see
``node_tree``), the order in which a cycle walks them. The snapshot also keeps its pods
indexed by label (``pod_index``), updated with the NodeInfos that change.
"""

from __future__ import annotations

from collections.abc import Sequence

from kubeling.scheduler.framework.pod_index import PodLabelIndex
from kubeling.scheduler.framework.types import NodeInfo

__all__ = ["Snapshot"]


class Snapshot:
    """Node infos by name and in walking order, with the lists some plugins need."""

    def __init__(self, nodes: Sequence[NodeInfo] = ()) -> None:
        """A snapshot of ``nodes`` (tests build them directly; the cache updates them)."""
        self.node_info_map: dict[str, NodeInfo] = {}
        self.node_info_list: list[NodeInfo] = []
        self.have_pods_with_affinity: list[NodeInfo] = []
        self.have_pods_with_required_anti_affinity: list[NodeInfo] = []
        self.pod_index = PodLabelIndex()
        # The cache generation this snapshot reflects.
        self.generation = 0
        if nodes:
            self.node_info_map = {node.name: node for node in nodes}
            for node in nodes:
                self.pod_index.add(node.name, node.pods)
            self.rebuild_lists([node.name for node in nodes])

    def put(self, source: NodeInfo) -> NodeInfo:
        """Make the snapshot's NodeInfo of ``source.name`` a copy of ``source`` (in place
        if there is one), and re-index its pods; returns the snapshot's NodeInfo."""
        current = self.node_info_map.get(source.name)
        if current is None:
            current = self.node_info_map[source.name] = source.clone()
            self.pod_index.add(current.name, current.pods)
            return current
        old_pods = current.pods
        current.copy_from(source)
        self.pod_index.replace(current.name, old_pods, current.pods)
        return current

    def drop(self, name: str) -> bool:
        """Forget the NodeInfo of ``name`` and its pods; False if there was none."""
        current = self.node_info_map.pop(name, None)
        if current is None:
            return False
        self.pod_index.remove(name, current.pods)
        return True

    def rebuild_lists(self, order: Sequence[str]) -> None:
        """Recompute the ordered lists from ``node_info_map`` in ``order``."""
        listed = [self.node_info_map[name] for name in order if name in self.node_info_map]
        self.node_info_list = [info for info in listed if info.node is not None]
        self.have_pods_with_affinity = [i for i in self.node_info_list if i.pods_with_affinity]
        self.have_pods_with_required_anti_affinity = [
            i for i in self.node_info_list if i.pods_with_required_anti_affinity
        ]

    def get(self, name: str) -> NodeInfo | None:
        """The node info of a node in the snapshot."""
        info = self.node_info_map.get(name)
        return info if info is not None and info.node is not None else None

    def list(self) -> list[NodeInfo]:
        """Every node, in walking order."""
        return self.node_info_list

    def num_nodes(self) -> int:
        """How many nodes there are."""
        return len(self.node_info_list)
