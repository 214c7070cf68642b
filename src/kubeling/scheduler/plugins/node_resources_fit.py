"""NodeResourcesFit: the pod's requests must fit the node's allocatable; score by
how much room would be left (LeastAllocated, the default strategy).

Filter, upstream's ``fitsRequest``: the pod count must stay within
``allocatable.pods`` (``Too many pods``); then, for CPU, memory, ephemeral storage
and every extended resource the pod requests (except ``ignoredResources`` and
``ignoredResourceGroups``), the request must fit in allocatable minus what the pods
already there request (``Insufficient <resource>``). Every shortage is reported, so
one node can count towards several reasons of the failure message. The status is
Unschedulable: preemption may free room (1.32 does not yet tell a node that is simply
too small apart; that came in 1.34).

Score: per resource ``(allocatable - requested) * 100 / allocatable`` (0 when
over-committed), weighted by the strategy's resource weights (cpu 1, memory 1);
``MostAllocated`` scores ``requested * 100 / allocatable`` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
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
from kubeling.scheduler.framework.resources import (
    CPU,
    EPHEMERAL_STORAGE,
    MEMORY,
    PODS,
    Resource,
)
from kubeling.scheduler.framework.runtime import FrameworkError
from kubeling.scheduler.framework.status import Status, success
from kubeling.scheduler.framework.types import MAX_NODE_SCORE, NodeInfo, Obj, PodInfo
from kubeling.scheduler.plugins.resource_allocation import (
    DEFAULT_RESOURCES,
    ResourceSpec,
    allocatable_and_requested,
    parse_resources,
    pod_request,
)

__all__ = ["NAME", "InsufficientResource", "NodeResourcesFit", "fits", "new"]

NAME: Final = "NodeResourcesFit"
_STRATEGIES: Final = ("LeastAllocated", "MostAllocated")


@dataclass(frozen=True, slots=True)
class InsufficientResource:
    """One resource the node lacks for the pod (upstream ``InsufficientResource``)."""

    resource: str
    reason: str
    requested: int
    used: int
    capacity: int


def _is_extended(name: str) -> bool:
    # Native resources have no domain or a kubernetes.io one; extended ones are the rest.
    return "/" in name and "kubernetes.io/" not in name


def fits(
    pod_requests: Resource,
    node: NodeInfo,
    *,
    ignored: frozenset[str] = frozenset(),
    ignored_groups: frozenset[str] = frozenset(),
) -> list[InsufficientResource]:
    """Every resource the node lacks for a pod with ``pod_requests`` (empty: it fits)."""
    missing: list[InsufficientResource] = []
    allowed = node.allocatable.allowed_pod_number
    if len(node.pods) + 1 > allowed:
        missing.append(InsufficientResource(PODS, "Too many pods", 1, len(node.pods), allowed))
    if pod_requests.is_zero():
        return missing
    allocatable, requested = node.allocatable, node.requested
    for name, want in (
        (CPU, pod_requests.milli_cpu),
        (MEMORY, pod_requests.memory),
        (EPHEMERAL_STORAGE, pod_requests.ephemeral_storage),
    ):
        have, used = allocatable.get(name), requested.get(name)
        if want > 0 and want > have - used:
            missing.append(InsufficientResource(name, f"Insufficient {name}", want, used, have))
    for name, want in pod_requests.scalar.items():
        if want == 0:
            continue
        if _is_extended(name) and (name in ignored or name.split("/", 1)[0] in ignored_groups):
            continue
        have, used = allocatable.scalar.get(name, 0), requested.scalar.get(name, 0)
        if want > have - used:
            missing.append(InsufficientResource(name, f"Insufficient {name}", want, used, have))
    return missing


def _least_allocated(requested: int, capacity: int) -> int:
    if capacity == 0 or requested > capacity:
        return 0
    return (capacity - requested) * MAX_NODE_SCORE // capacity


def _most_allocated(requested: int, capacity: int) -> int:
    if capacity == 0:
        return 0
    # A node already over-committed scores as fully allocated.
    return min(requested, capacity) * MAX_NODE_SCORE // capacity


class NodeResourcesFit:
    """Filters by resource fit; scores by the strategy."""

    name = NAME

    def node_signature(self, pod: PodInfo) -> Hashable:
        """Verdicts and scores depend on the node and the pod's requests only."""
        return pod.requests_key

    def __init__(
        self,
        *,
        ignored: frozenset[str],
        ignored_groups: frozenset[str],
        resources: tuple[ResourceSpec, ...],
        scorer: Callable[[int, int], int],
    ) -> None:
        """Configure from the plugin's arguments (see ``new``)."""
        self._ignored = ignored
        self._ignored_groups = ignored_groups
        self._resources = resources
        self._scorer = scorer

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status:
        """Reject with every shortage as a reason."""
        missing = fits(
            pod.requests, node, ignored=self._ignored, ignored_groups=self._ignored_groups
        )
        if missing:
            return Status.unschedulable(*(item.reason for item in missing))
        return success()

    def filter_nodes(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]
    ) -> list[tuple[int, Status]]:
        """``filter`` over many nodes.

        For a pod asking only CPU and memory, a node with a free pod slot and room for
        both surely fits, which three comparisons tell; ``filter`` decides the others.
        """
        requests = pod.requests
        quick = not (requests.ephemeral_storage or requests.scalar)
        cpu, memory = requests.milli_cpu, requests.memory
        rejected = []
        for index, node in enumerate(nodes):
            if quick:
                have, used = node.allocatable, node.requested
                if (
                    len(node.pods) < have.allowed_pod_number
                    and cpu <= have.milli_cpu - used.milli_cpu
                    and memory <= have.memory - used.memory
                ):
                    continue
            status = self.filter(state, pod, node)
            if not status.is_success():
                rejected.append((index, status))
        return rejected

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> tuple[int, Status]:
        """The weighted average of the per-resource scores."""
        total = weights = 0
        for resource in self._resources:
            amount = pod_request(pod, resource.name, use_requested=False)
            capacity, requested = allocatable_and_requested(
                node, resource.name, amount, use_requested=False
            )
            if capacity == 0:
                continue
            total += self._scorer(requested, capacity) * resource.weight
            weights += resource.weight
        return (total // weights if weights else 0), success()

    def score_nodes(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]) -> list[int]:
        """``score`` over many nodes.

        With the default resources (CPU and memory, weight 1 each) the average is
        computed here directly for nodes that have both; ``score`` does the rest.
        """
        if self._resources != DEFAULT_RESOURCES:
            return [self.score(state, pod, node)[0] for node in nodes]
        scorer = self._scorer
        cpu, memory = pod.non0_cpu, pod.non0_mem
        scores = []
        for node in nodes:
            have, used = node.allocatable, node.non_zero_requested
            if have.milli_cpu and have.memory:
                scores.append(
                    (
                        scorer(used.milli_cpu + cpu, have.milli_cpu)
                        + scorer(used.memory + memory, have.memory)
                    )
                    // 2
                )
            else:
                scores.append(self.score(state, pod, node)[0])
        return scores

    def events_to_register(self) -> Sequence[ClusterEventWithHint]:
        """A bound pod leaving, a new node, or more allocatable on a node."""
        return [
            ClusterEventWithHint(
                ClusterEvent(EventResource.POD, ActionType.DELETE), _assigned_pod_deleted
            ),
            ClusterEventWithHint(
                ClusterEvent(
                    EventResource.NODE, ActionType.ADD | ActionType.UPDATE_NODE_ALLOCATABLE
                ),
                _node_may_fit,
            ),
        ]


def _assigned_pod_deleted(pod: Obj, old: Obj | None, new: Obj | None) -> QueueingHint:
    if old is None:
        return QueueingHint.SKIP
    bound = (old.get("spec") or {}).get("nodeName")
    nominated = (old.get("status") or {}).get("nominatedNodeName")
    return QueueingHint.QUEUE if bound or nominated else QueueingHint.SKIP


def _node_may_fit(pod: Obj, old: Obj | None, new: Obj | None) -> QueueingHint:
    if new is None:
        return QueueingHint.SKIP
    requests = PodInfo(pod).requests
    modified = NodeInfo(new)
    if fits(requests, modified):
        return QueueingHint.SKIP
    if old is None:
        return QueueingHint.QUEUE
    original = NodeInfo(old)
    if modified.allocatable.allowed_pod_number > original.allocatable.allowed_pod_number:
        return QueueingHint.QUEUE
    for name in (CPU, MEMORY, EPHEMERAL_STORAGE, *requests.scalar):
        if requests.get(name) > 0 and modified.allocatable.get(name) > original.allocatable.get(
            name
        ):
            return QueueingHint.QUEUE
    return QueueingHint.SKIP


def new(args: Mapping[str, Any], handle: Handle) -> Plugin:
    """The factory registered under ``NAME``.

    Args: ``ignoredResources``, ``ignoredResourceGroups``, ``scoringStrategy``
    (``type``: LeastAllocated or MostAllocated; ``resources``). RequestedToCapacityRatio
    is not implemented and rejected.
    """
    strategy: Mapping[str, Any] = args.get("scoringStrategy") or {}
    kind = str(strategy.get("type") or "LeastAllocated")
    if kind not in _STRATEGIES:
        raise FrameworkError(f"scoring strategy {kind} is not supported")
    return NodeResourcesFit(
        ignored=frozenset(args.get("ignoredResources") or ()),
        ignored_groups=frozenset(args.get("ignoredResourceGroups") or ()),
        resources=parse_resources(strategy.get("resources")),
        scorer=_least_allocated if kind == "LeastAllocated" else _most_allocated,
    )
