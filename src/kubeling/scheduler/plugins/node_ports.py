"""NodePorts: a pod asking for host ports needs them free on the node.

A port is ``(hostIP, protocol, hostPort)``; ``0.0.0.0`` (the default host IP)
conflicts with every address. The pod's ports are read from its containers
(upstream reads the same set).
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
from kubeling.scheduler.framework.types import NodeInfo, Obj, PodInfo, PreFilterResult

__all__ = ["ERR_REASON", "NAME", "NodePorts", "fits", "new"]

NAME: Final = "NodePorts"
ERR_REASON: Final = "node(s) didn't have free ports for the requested pod ports"


def fits(pod: PodInfo, node: NodeInfo) -> bool:
    """Whether every host port of the pod is free on the node."""
    used = node.used_ports
    return not any(used.conflicts(ip, protocol, port) for ip, protocol, port in pod.host_ports)


class NodePorts:
    """Filters nodes whose host ports the pod would collide with."""

    name = NAME

    def node_signature(self, pod: PodInfo) -> Hashable:
        """The verdict depends on the node's used ports and the pod's host ports."""
        return pod.host_ports

    def pre_filter(self, state: CycleState, pod: PodInfo) -> tuple[PreFilterResult | None, Status]:
        """Skip the filter for pods without host ports."""
        return None, success() if pod.host_ports else Status.skip()

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status:
        """Reject on any port conflict (preemption may free the port)."""
        return success() if fits(pod, node) else Status.unschedulable(ERR_REASON)

    def events_to_register(self) -> Sequence[ClusterEventWithHint]:
        """A bound pod going away may free ports; a new node has all of them."""
        return [
            ClusterEventWithHint(
                ClusterEvent(EventResource.POD, ActionType.DELETE), _deleted_pod_used_ports
            ),
            ClusterEventWithHint(ClusterEvent(EventResource.NODE, ActionType.ADD)),
        ]


def _deleted_pod_used_ports(pod: Obj, old: Obj | None, new: Obj | None) -> QueueingHint:
    if old is None or not (old.get("spec") or {}).get("nodeName"):
        return QueueingHint.SKIP
    wanted = PodInfo(pod).host_ports
    freed = PodInfo(old).host_ports
    for ip, protocol, port in wanted:
        for other_ip, other_protocol, other_port in freed:
            same_address = ip == other_ip or "0.0.0.0" in (ip, other_ip)
            if same_address and protocol == other_protocol and port == other_port:
                return QueueingHint.QUEUE
    return QueueingHint.SKIP


def new(args: Mapping[str, Any], handle: Handle) -> Plugin:
    """The factory registered under ``NAME``."""
    return NodePorts()
