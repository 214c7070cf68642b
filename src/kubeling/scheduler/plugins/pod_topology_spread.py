"""PodTopologySpread: spread matching pods evenly across topology domains.

A constraint counts, per value of ``topologyKey`` (a *domain*: a zone, a node...), the
pods in the pod's namespace that match its ``labelSelector`` (plus, with
``matchLabelKeys``, the pod's own values of those labels). Only *eligible* nodes count:
they carry every constraint's topology key, and, per constraint, match the pod's
node affinity (``nodeAffinityPolicy: Honor``, the default) and, with
``nodeTaintsPolicy: Honor`` (default Ignore), have no taint the pod does not tolerate.

Filter (``whenUnsatisfiable: DoNotSchedule``): placing the pod in the node's domain
must keep ``count + (1 if the pod matches) - global minimum <= maxSkew``. The global
minimum is the smallest count over the eligible domains, or 0 while there are fewer
eligible domains than ``minDomains``. A node without the topology key is rejected
unresolvably (``... (missing required label)``); a skew violation is Unschedulable.
PreFilter computes the counts once and keeps the two smallest domains, so Filter is
constant-time per node and preemption can add or remove a pod cheaply.

Counting is the expensive part: upstream walks every node's pods, in parallel. Here the
pods a selector matches are looked up per node in the snapshot's label index
(``framework.pod_index``), once per distinct selector and cycle, and only nodes with
matches are visited where a node without any adds nothing (PreScore); PreFilter still
walks every node, because an eligible domain counts even when it holds no match.

Score (``ScheduleAnyway``): per constraint the count of the node's domain, weighted by
``log(number of domains + 2)`` plus ``maxSkew - 1``; normalized so that the node with
the fewest matching pods scores 100.

A pod without constraints gets the cluster defaults (``defaultingType: System``):
hostname with maxSkew 3 and zone with maxSkew 5, both ScheduleAnyway, selecting the
pods of the same Services, ReplicaSets, StatefulSets and ReplicationControllers; when
nothing selects it, it is not spread. With system defaults, nodes without a zone label
are still scored by hostname.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from kubeling.api.labels import (
    Selector,
    SelectorParseError,
    label_selector_as_selector,
    new_requirement,
    selector_from_set,
)
from kubeling.scheduler.framework.cycle_state import CycleState
from kubeling.scheduler.framework.events import (
    ActionType,
    ClusterEvent,
    ClusterEventWithHint,
    EventResource,
    assigned_pod_may_matter,
)
from kubeling.scheduler.framework.interfaces import Handle, Plugin
from kubeling.scheduler.framework.objects import ClusterObjects, ObjectKind
from kubeling.scheduler.framework.runtime import FrameworkError
from kubeling.scheduler.framework.snapshot import Snapshot
from kubeling.scheduler.framework.status import Code, Status, success
from kubeling.scheduler.framework.taints import find_untolerated_taint
from kubeling.scheduler.framework.types import (
    MAX_NODE_SCORE,
    NodeInfo,
    Obj,
    PodInfo,
    PreFilterResult,
)

__all__ = [
    "ERR_REASON_CONSTRAINTS_NOT_MATCH",
    "ERR_REASON_NODE_LABEL_NOT_MATCH",
    "NAME",
    "PodTopologySpread",
    "default_selector",
    "new",
]

NAME: Final = "PodTopologySpread"
ERR_REASON_CONSTRAINTS_NOT_MATCH: Final = "node(s) didn't match pod topology spread constraints"
ERR_REASON_NODE_LABEL_NOT_MATCH: Final = (
    ERR_REASON_CONSTRAINTS_NOT_MATCH + " (missing required label)"
)
_PRE_FILTER_KEY: Final = "PreFilter" + NAME
_PRE_SCORE_KEY: Final = "PreScore" + NAME
_HOSTNAME: Final = "kubernetes.io/hostname"
_ZONE: Final = "topology.kubernetes.io/zone"
DO_NOT_SCHEDULE: Final = "DoNotSchedule"
SCHEDULE_ANYWAY: Final = "ScheduleAnyway"
SYSTEM_DEFAULT_CONSTRAINTS: Final[tuple[Obj, ...]] = (
    {"topologyKey": _HOSTNAME, "whenUnsatisfiable": SCHEDULE_ANYWAY, "maxSkew": 3},
    {"topologyKey": _ZONE, "whenUnsatisfiable": SCHEDULE_ANYWAY, "maxSkew": 5},
)
_INT32_MAX: Final = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Constraint:
    """A parsed topology spread constraint."""

    max_skew: int
    topology_key: str
    selector: Selector
    min_domains: int = 1
    honor_node_affinity: bool = True
    honor_node_taints: bool = False

    def includes_every_node(self, pod: PodInfo) -> bool:
        """Whether no node can be left out by the inclusion policies (the usual case)."""
        affinity_free = not self.honor_node_affinity or pod.required_node_affinity.is_empty()
        return affinity_free and not self.honor_node_taints

    def includes(self, pod: PodInfo, node: NodeInfo) -> bool:
        """Whether ``node`` counts for this constraint (the node inclusion policies)."""
        if self.honor_node_affinity and not pod.required_node_affinity.matches_labels(
            node.labels, node.name
        ):
            return False
        return not (
            self.honor_node_taints
            and find_untolerated_taint(node.taints, pod.tolerations) is not None
        )


def _parse_constraints(
    raw: Iterable[Obj], pod_labels: Mapping[str, str], action: str
) -> list[Constraint]:
    """The constraints with ``whenUnsatisfiable == action``; raises SelectorParseError."""
    constraints: list[Constraint] = []
    for item in raw:
        if item.get("whenUnsatisfiable") != action:
            continue
        selector = label_selector_as_selector(item.get("labelSelector"))
        extra = [
            new_requirement(key, "=", [pod_labels[key]])
            for key in item.get("matchLabelKeys") or ()
            if key in pod_labels
        ]
        if extra:
            selector = selector.add(*extra)
        constraints.append(
            Constraint(
                int(item.get("maxSkew") or 1),
                str(item.get("topologyKey", "")),
                selector,
                int(item.get("minDomains") or 1),
                (item.get("nodeAffinityPolicy") or "Honor") == "Honor",
                (item.get("nodeTaintsPolicy") or "Ignore") == "Honor",
            )
        )
    return constraints


def default_selector(pod: PodInfo, objects: ClusterObjects) -> Selector:
    """The selector of everything that selects ``pod``: Services, and its controller
    if it is a ReplicationController, ReplicaSet or StatefulSet (upstream
    ``helper.DefaultSelector``)."""
    merged: dict[str, str] = {}
    for service in objects.list(ObjectKind.SERVICES, pod.namespace):
        wanted: Mapping[str, str] | None = (service.get("spec") or {}).get("selector")
        # A Service without a selector selects nothing, not everything.
        if wanted is not None and all(pod.labels.get(k) == v for k, v in wanted.items()):
            merged.update(wanted)
    selector = selector_from_set(merged)
    owner = pod.controller_ref()
    if owner is None:
        return selector
    api_version, kind = owner.get("apiVersion"), owner.get("kind")
    name = str(owner.get("name", ""))
    if (api_version, kind) == ("v1", "ReplicationController"):
        rc = objects.get(ObjectKind.REPLICATION_CONTROLLERS, pod.namespace, name)
        if rc is not None:
            merged.update((rc.get("spec") or {}).get("selector") or {})
            return selector_from_set(merged)
        return selector
    owners = {
        ("apps/v1", "ReplicaSet"): ObjectKind.REPLICA_SETS,
        ("apps/v1", "StatefulSet"): ObjectKind.STATEFUL_SETS,
    }
    owner_kind = owners.get((str(api_version), str(kind)))
    if owner_kind is None:
        return selector
    controller = objects.get(owner_kind, pod.namespace, name)
    if controller is None:
        return selector
    try:
        other = label_selector_as_selector((controller.get("spec") or {}).get("selector"))
    except SelectorParseError:
        return selector
    return selector.add(*(other.requirements() or ()))


def _count_matching(pods: Iterable[PodInfo], selector: Selector, namespace: str) -> int:
    """Pods of ``namespace``, not being deleted, that ``selector`` matches."""
    return sum(
        1
        for p in pods
        if not p.deleting and p.namespace == namespace and selector.matches(p.labels)
    )


def _matching_by_node(
    snapshot: Snapshot, constraints: Sequence[Constraint], namespace: str
) -> list[dict[str, int]]:
    """Per constraint, node name → matching pods of ``namespace`` on it (nodes without any
    may be left out); constraints sharing a selector share the answer."""
    found: dict[Selector, dict[str, int]] = {}
    result: list[dict[str, int]] = []
    for constraint in constraints:
        selector = constraint.selector
        counts = found.get(selector)
        if counts is None:
            counts = snapshot.pod_index.counts_by_node(selector, namespace)
            if counts is None:  # nothing to look up: every node's pods, as upstream
                counts = {
                    node.name: _count_matching(node.pods, selector, namespace)
                    for node in snapshot.list()
                }
            found[selector] = counts
        result.append(counts)
    return result


def _has_all_keys(labels: Mapping[str, str], constraints: Sequence[Constraint]) -> bool:
    return all(c.topology_key in labels for c in constraints)


class _CriticalPaths:
    """The two domains with the fewest matches (only the first is the true minimum)."""

    __slots__ = ("paths",)

    def __init__(self) -> None:
        self.paths: list[list[Any]] = [["", _INT32_MAX], ["", _INT32_MAX]]

    def update(self, value: str, count: int) -> None:
        paths = self.paths
        index = 0 if value == paths[0][0] else 1 if value == paths[1][0] else -1
        if index >= 0:
            paths[index][1] = count
            if paths[0][1] > paths[1][1]:
                paths[0], paths[1] = paths[1], paths[0]
        elif count < paths[0][1]:
            paths[1] = paths[0]
            paths[0] = [value, count]
        elif count < paths[1][1]:
            paths[1] = [value, count]

    def copy(self) -> _CriticalPaths:
        copy = _CriticalPaths()
        copy.paths = [list(self.paths[0]), list(self.paths[1])]
        return copy


@dataclass(slots=True)
class _FilterState:
    constraints: list[Constraint]
    counts: list[dict[str, int]] = field(default_factory=list)
    critical: list[_CriticalPaths] = field(default_factory=list)

    def clone(self) -> _FilterState:
        return _FilterState(
            self.constraints,
            [dict(c) for c in self.counts],
            [p.copy() for p in self.critical],
        )

    def min_match(self, index: int) -> int:
        if len(self.counts[index]) < self.constraints[index].min_domains:
            return 0
        return int(self.critical[index].paths[0][1])


@dataclass(frozen=True, slots=True)
class _ScoreState:
    constraints: list[Constraint]
    ignored: frozenset[str]
    counts: list[dict[str, int]]
    weights: list[float]
    # Per constraint, node name → its matching pods (hostname constraints score by it).
    node_counts: list[dict[str, int]]

    def clone(self) -> _ScoreState:
        return self

    def scores(self, nodes: Sequence[NodeInfo]) -> list[int]:
        """Each node's raw score: per constraint, its domain's count, weighted.

        Constraint by constraint over all the nodes (fewer lookups than node by node);
        each node's terms are still added in constraint order, as upstream adds them.
        """
        totals = [0.0] * len(nodes)
        for index, constraint in enumerate(self.constraints):
            key = constraint.topology_key
            weight = self.weights[index]
            extra = constraint.max_skew - 1
            if key == _HOSTNAME:
                by_node = self.node_counts[index]
                for position, node in enumerate(nodes):
                    if key in node.labels:
                        totals[position] += by_node.get(node.name, 0) * weight + extra
            else:
                by_value = self.counts[index]
                for position, node in enumerate(nodes):
                    value = node.labels.get(key)
                    if value is not None:
                        totals[position] += by_value.get(value, 0) * weight + extra
        ignored = self.ignored
        # Go's math.Round: halves away from zero (Python's round() would go to even).
        return [
            0 if node.name in ignored else math.floor(total + 0.5)
            for node, total in zip(nodes, totals, strict=True)
        ]


class PodTopologySpread:
    """Filters (DoNotSchedule) and scores (ScheduleAnyway) by topology spread."""

    name = NAME

    def __init__(self, handle: Handle, defaults: Sequence[Obj], system_defaulted: bool) -> None:
        """Use ``defaults`` for pods without constraints (system defaults if so marked)."""
        self._handle = handle
        self._defaults = tuple(defaults)
        self._system_defaulted = system_defaulted

    def _constraints(self, pod: PodInfo, action: str) -> list[Constraint]:
        raw: Sequence[Obj] = (pod.pod.get("spec") or {}).get("topologySpreadConstraints") or ()
        if raw:
            return _parse_constraints(raw, pod.labels, action)
        if not any(c.get("whenUnsatisfiable") == action for c in self._defaults):
            return []
        selector = default_selector(pod, self._handle.objects)
        if selector.is_empty():
            return []  # nothing selects the pod: most pods, so decided before parsing
        constraints = _parse_constraints(self._defaults, pod.labels, action)
        return [
            Constraint(
                c.max_skew,
                c.topology_key,
                selector,
                c.min_domains,
                c.honor_node_affinity,
                c.honor_node_taints,
            )
            for c in constraints
        ]

    # --- filter ---------------------------------------------------------------------

    def pre_filter(self, state: CycleState, pod: PodInfo) -> tuple[PreFilterResult | None, Status]:
        """Count matching pods per domain of every hard constraint."""
        try:
            constraints = self._constraints(pod, DO_NOT_SCHEDULE)
        except SelectorParseError as err:
            message = f"obtaining pod's hard topology spread constraints: {err}"
            return None, Status(Code.ERROR, (message,))
        if not constraints:
            return None, Status.skip()
        snapshot = self._handle.snapshot
        matching = _matching_by_node(snapshot, constraints, pod.namespace)
        everywhere = [c.includes_every_node(pod) for c in constraints]
        counts: list[dict[str, int]] = [{} for _ in constraints]
        for node in snapshot.list():
            if not _has_all_keys(node.labels, constraints):
                continue
            for index, constraint in enumerate(constraints):
                if not everywhere[index] and not constraint.includes(pod, node):
                    continue
                value = node.labels[constraint.topology_key]
                matched = matching[index].get(node.name, 0)
                counts[index][value] = counts[index].get(value, 0) + matched
        critical = []
        for domain_counts in counts:
            paths = _CriticalPaths()
            for value, count in domain_counts.items():
                paths.update(value, count)
            critical.append(paths)
        state.write(_PRE_FILTER_KEY, _FilterState(constraints, counts, critical))
        return None, success()

    def _update(
        self, state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo, delta: int
    ) -> Status:
        data = state.read(_PRE_FILTER_KEY, _FilterState)
        if other.namespace != pod.namespace or not _has_all_keys(node.labels, data.constraints):
            return success()
        for index, constraint in enumerate(data.constraints):
            if not constraint.selector.matches(other.labels) or not constraint.includes(pod, node):
                continue
            value = node.labels[constraint.topology_key]
            data.counts[index][value] = data.counts[index].get(value, 0) + delta
            data.critical[index].update(value, data.counts[index][value])
        return success()

    def add_pod(
        self, state: CycleState, pod: PodInfo, pod_to_add: PodInfo, node: NodeInfo
    ) -> Status:
        """Preemption put ``pod_to_add`` on ``node``."""
        return self._update(state, pod, pod_to_add, node, 1)

    def remove_pod(
        self, state: CycleState, pod: PodInfo, pod_to_remove: PodInfo, node: NodeInfo
    ) -> Status:
        """Preemption took ``pod_to_remove`` off ``node``."""
        return self._update(state, pod, pod_to_remove, node, -1)

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status:
        """Reject a node without the keys (unresolvable) or one that would skew too much."""
        data = state.read(_PRE_FILTER_KEY, _FilterState)
        for index, constraint in enumerate(data.constraints):
            value = node.labels.get(constraint.topology_key)
            if value is None:
                return Status.unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH)
            self_match = 1 if constraint.selector.matches(pod.labels) else 0
            skew = data.counts[index].get(value, 0) + self_match - data.min_match(index)
            if skew > constraint.max_skew:
                return Status.unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH)
        return success()

    # --- score ----------------------------------------------------------------------

    def pre_score(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]) -> Status:
        """Count matching pods per domain of every soft constraint."""
        all_nodes = self._handle.snapshot.list()
        if not all_nodes:
            return Status.skip()
        try:
            constraints = self._constraints(pod, SCHEDULE_ANYWAY)
        except SelectorParseError as err:
            message = f"obtaining pod's soft topology spread constraints: {err}"
            return Status(Code.ERROR, (message,))
        if not constraints:
            return Status.skip()
        has_own = bool((pod.pod.get("spec") or {}).get("topologySpreadConstraints"))
        # Without explicit constraints, nodes lacking a zone still spread by hostname.
        require_all = has_own or not self._system_defaulted
        ignored: set[str] = set()
        counts: list[dict[str, int]] = [{} for _ in constraints]
        sizes = [0] * len(constraints)
        for node in nodes:
            if require_all and not _has_all_keys(node.labels, constraints):
                ignored.add(node.name)
                continue
            for index, constraint in enumerate(constraints):
                if constraint.topology_key == _HOSTNAME:
                    continue
                value = node.labels.get(constraint.topology_key, "")
                if value not in counts[index]:
                    counts[index][value] = 0
                    sizes[index] += 1
        weights = []
        for index, constraint in enumerate(constraints):
            size = sizes[index]
            if constraint.topology_key == _HOSTNAME:
                size = len(nodes) - len(ignored)
            weights.append(math.log(size + 2))
        snapshot = self._handle.snapshot
        matching = _matching_by_node(snapshot, constraints, pod.namespace)
        for index, constraint in enumerate(constraints):
            if constraint.topology_key == _HOSTNAME:
                continue  # Score counts the node's own pods
            domain_counts = counts[index]
            # A node without matches adds nothing: visit only the nodes with some.
            for name, matched in matching[index].items():
                info = snapshot.get(name)
                if info is None or (require_all and not _has_all_keys(info.labels, constraints)):
                    continue
                if not constraint.includes(pod, info):
                    continue
                value = info.labels.get(constraint.topology_key, "")
                if value in domain_counts:
                    domain_counts[value] += matched
        state.write(
            _PRE_SCORE_KEY,
            _ScoreState(constraints, frozenset(ignored), counts, weights, matching),
        )
        return success()

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> tuple[int, Status]:
        """The weighted matching counts of the node's domains (lower is better)."""
        return state.read(_PRE_SCORE_KEY, _ScoreState).scores((node,))[0], success()

    def score_nodes(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]) -> list[int]:
        """``score`` of each of ``nodes``, reading the cycle state once."""
        return state.read(_PRE_SCORE_KEY, _ScoreState).scores(nodes)

    def normalize_score(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo], scores: list[int]
    ) -> Status:
        """Fewest matching pods → 100; ignored nodes → 0."""
        ignored = state.read(_PRE_SCORE_KEY, _ScoreState).ignored
        valid = [s for node, s in zip(nodes, scores, strict=True) if node.name not in ignored]
        lowest = min(valid, default=0)
        highest = max(valid, default=0)
        for index, node in enumerate(nodes):
            if node.name in ignored:
                scores[index] = 0
            elif highest == 0:
                scores[index] = MAX_NODE_SCORE
            else:
                scores[index] = MAX_NODE_SCORE * (highest + lowest - scores[index]) // highest
        return success()

    def events_to_register(self) -> Sequence[ClusterEventWithHint]:
        """Any pod change, and nodes appearing, going, or being relabelled or retainted."""
        node_actions = (
            ActionType.ADD
            | ActionType.DELETE
            | ActionType.UPDATE_NODE_LABEL
            | ActionType.UPDATE_NODE_TAINT
        )
        return [
            ClusterEventWithHint(
                ClusterEvent(EventResource.POD, ActionType.ALL), assigned_pod_may_matter
            ),
            ClusterEventWithHint(ClusterEvent(EventResource.NODE, node_actions)),
        ]


def new(args: Mapping[str, Any], handle: Handle) -> Plugin:
    """The factory registered under ``NAME``.

    Args: ``defaultingType`` (``System``, the default, or ``List``) and, with ``List``,
    ``defaultConstraints``.
    """
    defaulting = str(args.get("defaultingType") or "System")
    if defaulting == "System":
        if args.get("defaultConstraints"):
            raise FrameworkError("defaultConstraints must be empty with defaultingType System")
        return PodTopologySpread(handle, SYSTEM_DEFAULT_CONSTRAINTS, system_defaulted=True)
    if defaulting != "List":
        raise FrameworkError(f"unsupported defaultingType {defaulting!r}")
    return PodTopologySpread(handle, args.get("defaultConstraints") or (), system_defaulted=False)
