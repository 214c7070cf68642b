"""The snapshot's pods by label, so that counting what a selector matches costs the matches.

PodTopologySpread counts, in every cycle, the pods matching a selector on each node of
the cluster: upstream walks every NodeInfo's pods, on 16 goroutines. In Python, on one
core, that walk is 1,000 nodes x 30 pods x 2 constraints per pod scheduled (tens of
milliseconds), although a ReplicaSet's selector matches only its own 30 pods. This
index lists the snapshot's pods under each ``(namespace, label key, label value)`` they
carry, with the node they are counted on. A selector with an equality requirement
(``=``, ``==``, ``in``) is then counted over the pods listed under its values (the
smallest such list), checking the whole selector on each: the same pods as the walk.
A selector without one (only ``!=``, ``notin``, ``exists``...) gets ``None``, and the
caller walks the nodes as upstream does.

The snapshot keeps the index in step with its NodeInfos (``Snapshot.put``,
``Snapshot.drop``), so it changes only where pods changed, as the snapshot does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from kubeling.api.labels import Operator, Selector
from kubeling.scheduler.framework.types import PodInfo

__all__ = ["PodLabelIndex"]

_EXACT: Final = frozenset({Operator.EQUALS, Operator.DOUBLE_EQUALS, Operator.IN})

# (namespace, label key, label value) → (node name, pod key) → the pod.
_Listing = dict[tuple[str, str], PodInfo]


class PodLabelIndex:
    """Pods by namespace and label, each with the node it is counted on."""

    __slots__ = ("_by_label",)

    def __init__(self) -> None:
        """An empty index."""
        self._by_label: dict[tuple[str, str, str], _Listing] = {}

    def add(self, node_name: str, pods: Iterable[PodInfo]) -> None:
        """List ``pods`` as counted on ``node_name``."""
        by_label = self._by_label
        for pod in pods:
            entry = (node_name, pod.key)
            namespace = pod.namespace
            for key, value in pod.labels.items():
                listing = by_label.get((namespace, key, value))
                if listing is None:
                    listing = by_label[(namespace, key, value)] = {}
                listing[entry] = pod

    def remove(self, node_name: str, pods: Iterable[PodInfo]) -> None:
        """Stop listing ``pods`` on ``node_name``."""
        by_label = self._by_label
        for pod in pods:
            entry = (node_name, pod.key)
            namespace = pod.namespace
            for key, value in pod.labels.items():
                label = (namespace, key, value)
                listing = by_label.get(label)
                if listing is not None:
                    listing.pop(entry, None)
                    if not listing:
                        del by_label[label]

    def replace(self, node_name: str, old: Sequence[PodInfo], new: Sequence[PodInfo]) -> None:
        """The node's pods went from ``old`` to ``new``: re-list only the pods that changed.

        PodInfos are immutable (a changed pod is a new PodInfo), so identity tells which.
        """
        kept = {id(pod) for pod in new}
        self.remove(node_name, [pod for pod in old if id(pod) not in kept])
        before = {id(pod) for pod in old}
        self.add(node_name, [pod for pod in new if id(pod) not in before])

    def counts_by_node(self, selector: Selector, namespace: str) -> dict[str, int] | None:
        """Per node name, how many pods of ``namespace``, not being deleted, ``selector``
        matches (nodes without any are left out); None when the selector has no equality
        requirement to look up (the caller counts node by node)."""
        requirements = selector.requirements()
        if requirements is None:  # labels.Nothing(): matches no pod
            return {}
        smallest: list[_Listing] | None = None
        smallest_size = 0
        for requirement in requirements:
            if requirement.operator not in _EXACT:
                continue
            listings = [
                listing
                for value in requirement.values
                if (listing := self._by_label.get((namespace, requirement.key, value)))
            ]
            size = sum(len(listing) for listing in listings)
            if smallest is None or size < smallest_size:
                smallest, smallest_size = listings, size
        if smallest is None:
            return None
        counts: dict[str, int] = {}
        matches = selector.matches
        for listing in smallest:
            for (node_name, _), pod in listing.items():
                if not pod.deleting and matches(pod.labels):
                    counts[node_name] = counts.get(node_name, 0) + 1
        return counts

    def __len__(self) -> int:
        """How many (label, pod) entries are listed (for tests)."""
        return sum(len(listing) for listing in self._by_label.values())
