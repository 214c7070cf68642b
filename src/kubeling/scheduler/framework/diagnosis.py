"""Why a pod did not fit, and the message Kubernetes writes about it.

``NodeToStatus`` holds the status of every node that was rejected, plus one status
for the nodes it does not list (``absent``): nodes a PreFilter result ruled out, or
every node when a PreFilter plugin rejected the pod outright.

``FitError.message()`` builds upstream's ``FitError.Error()`` exactly::

    0/<N> nodes are available: [<prefilter message>.] [<histogram>.] [<postfilter message>]

* the PreFilter part appears when a PreFilter plugin rejected the pod; the
  per-node histogram is then omitted, since every node has that same status;
* the histogram counts, over all nodes, each reason string (a status can carry
  several, e.g. ``Insufficient cpu`` and ``Insufficient memory``), formats each as
  ``"<count> <reason>"`` and sorts those strings *lexicographically* (Go's
  ``sort.Strings``; so ``"10 ..."`` sorts before ``"2 ..."``), joined with ``", "``;
* the PostFilter (preemption) message is appended after a space, with no period of
  its own: preemption's message is itself a FitError message, ending in a period.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from kubeling.scheduler.framework.status import Code, Status
from kubeling.scheduler.framework.types import NodeInfo

__all__ = ["Diagnosis", "FitError", "NodeToStatus"]


class NodeToStatus:
    """Statuses of rejected nodes, with a default for the nodes not listed.

    >>> m = NodeToStatus()
    >>> m.set("a", Status.unschedulable("Insufficient cpu"))
    >>> m.get("a").message(), m.get("b").code.name
    ('Insufficient cpu', 'UNSCHEDULABLE_AND_UNRESOLVABLE')
    """

    __slots__ = ("_absent", "_statuses")

    def __init__(self, absent: Status | None = None) -> None:
        """An empty map; absent nodes are unresolvable with no reason by default."""
        self._statuses: dict[str, Status] = {}
        self._absent = absent or Status(Code.UNSCHEDULABLE_AND_UNRESOLVABLE)

    def set(self, node_name: str, status: Status) -> None:
        """Record a node's status."""
        self._statuses[node_name] = status

    def get(self, node_name: str) -> Status:
        """A node's status, or the absent-nodes status."""
        return self._statuses.get(node_name, self._absent)

    @property
    def absent(self) -> Status:
        """The status of every node not listed."""
        return self._absent

    def set_absent(self, status: Status) -> None:
        """Change the status of the nodes not listed."""
        self._absent = status

    def __len__(self) -> int:
        return len(self._statuses)

    def items(self) -> Iterator[tuple[str, Status]]:
        """The listed nodes and their statuses."""
        return iter(self._statuses.items())

    def nodes_with_code(self, nodes: Iterable[NodeInfo], code: Code) -> list[NodeInfo]:
        """The nodes whose status (listed or absent) has ``code``."""
        return [node for node in nodes if self.get(node.name).code is code]


@dataclass(slots=True)
class Diagnosis:
    """The details of one failed attempt."""

    node_to_status: NodeToStatus = field(default_factory=NodeToStatus)
    # Plugins that rejected the pod: the queue uses them to decide what may help it.
    unschedulable_plugins: set[str] = field(default_factory=set)
    pre_filter_message: str = ""
    post_filter_message: str = ""

    def add_plugin_status(self, status: Status) -> None:
        """Remember the plugin of a rejecting status."""
        if status.plugin and status.is_rejected():
            self.unschedulable_plugins.add(status.plugin)


@dataclass
class FitError(Exception):
    """No node fits the pod; ``str()`` is the message Kubernetes writes."""

    num_all_nodes: int
    diagnosis: Diagnosis

    def message(self) -> str:
        """The failure message (see the module docstring).

        >>> statuses = NodeToStatus()
        >>> statuses.set("a", Status.unresolvable("node(s) had untolerated taint {k: }"))
        >>> statuses.set("b", Status.unschedulable("Insufficient cpu"))
        >>> statuses.set("c", Status.unschedulable("Insufficient cpu"))
        >>> FitError(3, Diagnosis(statuses)).message()
        '0/3 nodes are available: 1 node(s) had untolerated taint {k: }, 2 Insufficient cpu.'
        """
        message = f"0/{self.num_all_nodes} nodes are available:"
        diagnosis = self.diagnosis
        if diagnosis.pre_filter_message:
            message += f" {diagnosis.pre_filter_message}."
        else:
            counts: dict[str, int] = {}
            statuses = diagnosis.node_to_status
            for _, status in statuses.items():
                for reason in status.all_reasons():
                    counts[reason] = counts.get(reason, 0) + 1
            absent_nodes = self.num_all_nodes - len(statuses)
            if absent_nodes > 0:
                for reason in statuses.absent.all_reasons():
                    counts[reason] = counts.get(reason, 0) + absent_nodes
            histogram = sorted(f"{count} {reason}" for reason, count in counts.items())
            if histogram:
                message += f" {', '.join(histogram)}."
        if diagnosis.post_filter_message:
            message += f" {diagnosis.post_filter_message}"
        return message

    def __str__(self) -> str:
        return self.message()
