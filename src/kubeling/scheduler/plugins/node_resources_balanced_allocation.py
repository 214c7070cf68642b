"""NodeResourcesBalancedAllocation: prefer nodes whose resources stay evenly used.

For each scored resource (cpu and memory by default) the fraction
``requested / allocatable`` once the pod is added (capped at 1, actual requests, not
the non-zero defaults), and the score ``(1 - std) * 100`` where ``std`` is the
standard deviation of those fractions (for two resources simply half their
difference). Score only; no normalization.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Final

from kubeling.scheduler.framework.cycle_state import CycleState
from kubeling.scheduler.framework.interfaces import Handle, Plugin
from kubeling.scheduler.framework.status import Status, success
from kubeling.scheduler.framework.types import MAX_NODE_SCORE, NodeInfo, PodInfo
from kubeling.scheduler.plugins.resource_allocation import (
    DEFAULT_RESOURCES,
    ResourceSpec,
    allocatable_and_requested,
    parse_resources,
    pod_request,
)

__all__ = ["NAME", "NodeResourcesBalancedAllocation", "balanced_score", "new"]

NAME: Final = "NodeResourcesBalancedAllocation"


def balanced_score(requested: list[int], allocatable: list[int]) -> int:
    """``(1 - std) * 100`` over the resources with allocatable > 0.

    >>> balanced_score([500, 512], [1000, 1024]), balanced_score([1000, 0], [1000, 1024])
    (100, 50)
    """
    fractions = [min(r / a, 1.0) for r, a in zip(requested, allocatable, strict=True) if a]
    if len(fractions) == 2:
        return _two_resource_score(fractions[0], fractions[1])
    std = 0.0
    if len(fractions) > 2:
        mean = sum(fractions) / len(fractions)
        std = math.sqrt(sum((f - mean) ** 2 for f in fractions) / len(fractions))
    # Go's int64() truncates toward zero.
    return int((1 - std) * MAX_NODE_SCORE)


def _two_resource_score(first: float, second: float) -> int:
    """The score of two fractions: their standard deviation is half their difference."""
    return int((1 - abs((first - second) / 2)) * MAX_NODE_SCORE)


class NodeResourcesBalancedAllocation:
    """Scores how balanced a node's resource use would be."""

    name = NAME

    def node_signature(self, pod: PodInfo) -> Hashable:
        """Verdicts and scores depend on the node and the pod's requests only."""
        return pod.requests_key

    def __init__(self, resources: tuple[ResourceSpec, ...]) -> None:
        """Score ``resources`` (weights are not used by this plugin, as upstream)."""
        self._resources = resources

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> tuple[int, Status]:
        """The balance score for one node."""
        requested: list[int] = []
        allocatable: list[int] = []
        for resource in self._resources:
            amount = pod_request(pod, resource.name, use_requested=True)
            capacity, total = allocatable_and_requested(
                node, resource.name, amount, use_requested=True
            )
            if capacity == 0:
                continue
            allocatable.append(capacity)
            requested.append(total)
        return balanced_score(requested, allocatable), success()

    def score_nodes(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]) -> list[int]:
        """``score`` over many nodes; with the default resources (CPU and memory) the two
        fractions are computed here directly for nodes that have both."""
        if self._resources != DEFAULT_RESOURCES:
            return [self.score(state, pod, node)[0] for node in nodes]
        cpu, memory = pod.requests.milli_cpu, pod.requests.memory
        scores = []
        for node in nodes:
            have, used = node.allocatable, node.requested
            if have.milli_cpu and have.memory:
                scores.append(
                    _two_resource_score(
                        min((used.milli_cpu + cpu) / have.milli_cpu, 1.0),
                        min((used.memory + memory) / have.memory, 1.0),
                    )
                )
            else:
                scores.append(self.score(state, pod, node)[0])
        return scores


def new(args: Mapping[str, Any], handle: Handle) -> Plugin:
    """The factory registered under ``NAME``; args: ``resources``."""
    return NodeResourcesBalancedAllocation(parse_resources(args.get("resources")))
