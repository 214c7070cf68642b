"""NodeUnschedulable: cordoned nodes (``spec.unschedulable``) take no new pods.

A pod that tolerates the ``node.kubernetes.io/unschedulable:NoSchedule`` taint (as
DaemonSet pods do) is let through.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Final

from kubeling.scheduler.framework.cycle_state import CycleState
from kubeling.scheduler.framework.events import (
    ActionType,
    ClusterEvent,
    ClusterEventWithHint,
    EventResource,
    QueueingHint,
)
from kubeling.scheduler.framework.interfaces import Handle, Plugin
from kubeling.scheduler.framework.status import Status, success
from kubeling.scheduler.framework.taints import NO_SCHEDULE, tolerations_tolerate
from kubeling.scheduler.framework.types import NodeInfo, Obj, PodInfo

__all__ = [
    "ERR_REASON_UNKNOWN_CONDITION",
    "ERR_REASON_UNSCHEDULABLE",
    "NAME",
    "NodeUnschedulable",
    "fits",
    "new",
]

NAME: Final = "NodeUnschedulable"
ERR_REASON_UNKNOWN_CONDITION: Final = "node(s) had unknown conditions"
ERR_REASON_UNSCHEDULABLE: Final = "node(s) were unschedulable"
_UNSCHEDULABLE_TAINT: Final = {"key": "node.kubernetes.io/unschedulable", "effect": NO_SCHEDULE}


def fits(tolerations: Sequence[Obj], unschedulable: bool) -> bool:
    """Whether a pod with these tolerations may go to a node cordoned or not."""
    return not unschedulable or tolerations_tolerate(tolerations, _UNSCHEDULABLE_TAINT)


class NodeUnschedulable:
    """Filters out cordoned nodes."""

    name = NAME

    def node_signature(self, pod: PodInfo) -> Hashable:
        """The verdict depends on the node and on whether the pod tolerates a cordon."""
        return fits(pod.tolerations, unschedulable=True)

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status:
        """Reject a cordoned node unless the pod tolerates it."""
        if node.node is None:
            return Status.unresolvable(ERR_REASON_UNKNOWN_CONDITION)
        if fits(pod.tolerations, node.unschedulable):
            return success()
        return Status.unresolvable(ERR_REASON_UNSCHEDULABLE)

    def filter_nodes(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]
    ) -> list[tuple[int, Status]]:
        """``filter`` over many nodes: only cordoned or vanished nodes can be rejected."""
        rejected = []
        for index, node in enumerate(nodes):
            if node.unschedulable or node.node is None:
                status = self.filter(state, pod, node)
                if not status.is_success():
                    rejected.append((index, status))
        return rejected

    def events_to_register(self) -> Sequence[ClusterEventWithHint]:
        """A new node, or an uncordon (which counts as a taint change)."""
        event = ClusterEvent(EventResource.NODE, ActionType.ADD | ActionType.UPDATE_NODE_TAINT)
        return [ClusterEventWithHint(event, _node_now_schedulable)]


def _node_now_schedulable(pod: Obj, old: Obj | None, new: Obj | None) -> QueueingHint:
    if new is None:
        return QueueingHint.SKIP
    tolerations: Sequence[Obj] = (pod.get("spec") or {}).get("tolerations") or ()
    unschedulable = bool((new.get("spec") or {}).get("unschedulable"))
    was = old is not None and bool((old.get("spec") or {}).get("unschedulable"))
    if not fits(tolerations, unschedulable):
        return QueueingHint.SKIP
    # A new schedulable node, or one that was just uncordoned, may help.
    if old is None or was:
        return QueueingHint.QUEUE
    return QueueingHint.SKIP


def new(args: Mapping[str, Any], handle: Handle) -> Plugin:
    """The factory registered under ``NAME``."""
    return NodeUnschedulable()
