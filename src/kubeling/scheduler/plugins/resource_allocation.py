"""The resource-allocation arithmetic shared by NodeResourcesFit and BalancedAllocation.

Not a plugin: upstream's ``noderesources.resourceAllocationScorer``. For each scored
resource it pairs the node's allocatable with what would be requested once the pod is
added. NodeResourcesFit (LeastAllocated) counts CPU and memory with the non-zero
defaults (100m, 200Mi for containers that request nothing), BalancedAllocation counts
actual requests. An extended resource the pod does not request, or the node does not
have, is left out of the score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubeling.scheduler.framework.resources import CPU, EPHEMERAL_STORAGE, MEMORY
from kubeling.scheduler.framework.types import NodeInfo, PodInfo

__all__ = [
    "DEFAULT_RESOURCES",
    "ResourceSpec",
    "allocatable_and_requested",
    "parse_resources",
    "pod_request",
]


@dataclass(frozen=True, slots=True)
class ResourceSpec:
    """A resource to score and its weight (``scoringStrategy.resources[]``)."""

    name: str
    weight: int


DEFAULT_RESOURCES = (ResourceSpec(CPU, 1), ResourceSpec(MEMORY, 1))


def parse_resources(raw: Sequence[Mapping[str, Any]] | None) -> tuple[ResourceSpec, ...]:
    """``[{"name": "cpu", "weight": 1}, ...]``; absent means cpu and memory, weight 1."""
    if not raw:
        return DEFAULT_RESOURCES
    return tuple(ResourceSpec(str(r["name"]), int(r.get("weight") or 1)) for r in raw)


def pod_request(pod: PodInfo, name: str, *, use_requested: bool) -> int:
    """The pod's request of one resource, with non-zero defaults unless ``use_requested``."""
    if not use_requested:
        if name == CPU:
            return pod.non0_cpu
        if name == MEMORY:
            return pod.non0_mem
    return pod.requests.get(name)


def allocatable_and_requested(
    node: NodeInfo, name: str, pod_amount: int, *, use_requested: bool
) -> tuple[int, int]:
    """``(allocatable, requested including the pod)``; ``(0, 0)`` leaves it unscored."""
    requested = node.requested if use_requested else node.non_zero_requested
    if name == CPU:
        return node.allocatable.milli_cpu, requested.milli_cpu + pod_amount
    if name == MEMORY:
        return node.allocatable.memory, requested.memory + pod_amount
    if name == EPHEMERAL_STORAGE:
        return node.allocatable.ephemeral_storage, node.requested.ephemeral_storage + pod_amount
    if pod_amount == 0 or name not in node.allocatable.scalar:
        return 0, 0
    return node.allocatable.scalar[name], node.requested.scalar.get(name, 0) + pod_amount
