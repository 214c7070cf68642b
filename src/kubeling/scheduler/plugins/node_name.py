"""NodeName: a pod that names a node (``spec.nodeName``) fits only that node.

The scheduler only schedules pods without ``spec.nodeName``, so in practice this
filter passes; it is kept for profiles and for preemption's simulations, as upstream.
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
)
from kubeling.scheduler.framework.interfaces import Handle, Plugin
from kubeling.scheduler.framework.status import Status, success
from kubeling.scheduler.framework.types import NodeInfo, PodInfo

__all__ = ["ERR_REASON", "NAME", "NodeName", "fits", "new"]

NAME: Final = "NodeName"
ERR_REASON: Final = "node(s) didn't match the requested node name"


def fits(pod: PodInfo, node: NodeInfo) -> bool:
    """Whether the pod names no node, or this one."""
    return not pod.node_name or pod.node_name == node.name


class NodeName:
    """Filters nodes by the pod's ``spec.nodeName``."""

    name = NAME

    def node_signature(self, pod: PodInfo) -> Hashable:
        """The verdict depends on the node and the pod's ``spec.nodeName``."""
        return pod.node_name

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status:
        """Reject every other node, unresolvably."""
        return success() if fits(pod, node) else Status.unresolvable(ERR_REASON)

    def filter_nodes(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]
    ) -> list[tuple[int, Status]]:
        """``filter`` over many nodes: a pod that names no node fits them all."""
        if not pod.node_name:
            return []
        return [(i, self.filter(state, pod, n)) for i, n in enumerate(nodes) if not fits(pod, n)]

    def events_to_register(self) -> Sequence[ClusterEventWithHint]:
        """A node being added may be the one the pod names."""
        return [ClusterEventWithHint(ClusterEvent(EventResource.NODE, ActionType.ADD))]


def new(args: Mapping[str, Any], handle: Handle) -> Plugin:
    """The factory registered under ``NAME``."""
    return NodeName()
