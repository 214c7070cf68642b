"""What a node-local plugin answered on each node, kept until the node changes.

Some plugins' Filter verdict and raw Score on a node depend on nothing but that node's
``NodeInfo`` and a few fields of the pod (NodeResourcesFit: the pod's requests;
BalancedAllocation too). Such a plugin names those fields as the pod's *signature*
(``node_signature``). Pods with the same signature get the same answers on an unchanged
node, and a cycle on 5,000 nodes looks at 500 of them, most unchanged since the last
pod like it was placed: the framework remembers each answer with the node's
``generation`` (which every change of a NodeInfo renews) and asks the plugin again only
where the node changed. This is the work upstream spreads over 16 goroutines; Python
has one core for it.

The memory is bounded: a few signatures (the least recently used is dropped), and a
table that outgrows the cluster (nodes come and go) is cleared.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

from kubeling.scheduler.framework.types import NodeInfo

__all__ = ["NodeMemo"]

V = TypeVar("V")

#: How many pod signatures are remembered per plugin.
MAX_SIGNATURES = 8
#: A table is cleared when it holds this many more entries than there are nodes.
SLACK = 256


class NodeMemo(Generic[V]):
    """Answers of one plugin, by pod signature, then by node."""

    __slots__ = ("_tables",)

    def __init__(self) -> None:
        """Nothing remembered."""
        self._tables: dict[Hashable, dict[NodeInfo, tuple[int, V]]] = {}

    def table(self, signature: Hashable, nodes: int) -> dict[NodeInfo, tuple[int, V]]:
        """The answers for pods with ``signature``: node → (its generation then, answer).

        ``nodes`` is the cluster's size, to bound the table.
        """
        table = self._tables.pop(signature, None)
        if table is None:
            table = {}
            if len(self._tables) >= MAX_SIGNATURES:
                del self._tables[next(iter(self._tables))]
        elif len(table) > nodes + SLACK:
            table.clear()
        self._tables[signature] = table  # now the most recently used
        return table

    def clear(self) -> None:
        """Forget everything."""
        self._tables.clear()
