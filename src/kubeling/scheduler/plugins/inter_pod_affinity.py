"""InterPodAffinity: place pods near (affinity) or away from (anti-affinity) other pods.

Filter, on the topology domain of the candidate node (its value of the term's
``topologyKey``), with counts computed once in PreFilter (upstream ``filtering.go``):

1. the pod's required **affinity**: every term needs a pod matching *all* terms in the
   node's domain, and the node must carry every term's key; the one exception is the
   first pod of a group that selects itself: if no pod anywhere matches and the pod
   matches its own terms, it may go anywhere the keys exist.
   Fails with ``node(s) didn't match pod affinity rules`` (unresolvable);
2. the pod's required **anti-affinity**: no pod matching a term in the node's domain;
   ``node(s) didn't match pod anti-affinity rules`` (Unschedulable);
3. **existing pods' anti-affinity**: no pod already placed whose required
   anti-affinity term matches this pod may share the domain;
   ``node(s) didn't satisfy existing pods anti-affinity rules`` (Unschedulable).

Score: for every existing pod, its node's domains gain the weight of each preferred
affinity term of the incoming pod it matches and lose the weight of each preferred
anti-affinity term; symmetrically the existing pod's own preferred (anti-)affinity
terms that match the incoming pod add (subtract) their weights, and its required
affinity terms add ``hardPodAffinityWeight`` (1). A node's score is the sum over its
labels; normalized linearly between the lowest and highest node to 0..100.

Namespaces: a term applies to the namespaces it lists, to those its
``namespaceSelector`` matches (read from the Namespace objects the scheduler is fed),
or, with neither, to the namespace of the pod that owns it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kubeling.api.labels import nothing
from kubeling.scheduler.framework.cycle_state import CycleState
from kubeling.scheduler.framework.events import (
    ActionType,
    ClusterEvent,
    ClusterEventWithHint,
    EventResource,
    assigned_pod_may_matter,
)
from kubeling.scheduler.framework.interfaces import Handle, Plugin
from kubeling.scheduler.framework.objects import ObjectKind
from kubeling.scheduler.framework.pod_affinity import AffinityTerm, WeightedAffinityTerm
from kubeling.scheduler.framework.status import Status, success
from kubeling.scheduler.framework.types import (
    MAX_NODE_SCORE,
    NodeInfo,
    PodInfo,
    PreFilterResult,
)

__all__ = [
    "ERR_REASON_AFFINITY_RULES_NOT_MATCH",
    "ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH",
    "ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH",
    "NAME",
    "InterPodAffinity",
    "new",
]

NAME: Final = "InterPodAffinity"
ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH: Final = (
    "node(s) didn't satisfy existing pods anti-affinity rules"
)
ERR_REASON_AFFINITY_RULES_NOT_MATCH: Final = "node(s) didn't match pod affinity rules"
ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH: Final = "node(s) didn't match pod anti-affinity rules"
_PRE_FILTER_KEY: Final = "PreFilter" + NAME
_PRE_SCORE_KEY: Final = "PreScore" + NAME

# (topology key, topology value) -> number of matches.
Counts = dict[tuple[str, str], int]


def _matches_all(terms: Sequence[AffinityTerm], pod: PodInfo) -> bool:
    if not terms:
        return False
    return all(term.matches(pod.namespace, pod.labels, None) for term in terms)


def _bump(counts: Counts, key: str, node: NodeInfo, delta: int) -> None:
    value = node.labels.get(key)
    if value is None:
        return
    pair = (key, value)
    total = counts.get(pair, 0) + delta
    if total:
        counts[pair] = total
    else:
        counts.pop(pair, None)


@dataclass(slots=True)
class _FilterState:
    affinity_terms: tuple[AffinityTerm, ...]
    anti_affinity_terms: tuple[AffinityTerm, ...]
    namespace_labels: Mapping[str, str]
    # Domains with pods matching all the incoming pod's affinity terms.
    affinity_counts: Counts
    # Domains with pods matching one of the incoming pod's anti-affinity terms.
    anti_affinity_counts: Counts
    # Domains with existing pods whose anti-affinity matches the incoming pod.
    existing_anti_affinity_counts: Counts

    def clone(self) -> _FilterState:
        return _FilterState(
            self.affinity_terms,
            self.anti_affinity_terms,
            self.namespace_labels,
            dict(self.affinity_counts),
            dict(self.anti_affinity_counts),
            dict(self.existing_anti_affinity_counts),
        )


@dataclass(frozen=True, slots=True)
class _ScoreState:
    # topology key -> topology value -> score
    topology_score: dict[str, dict[str, int]]

    def clone(self) -> _ScoreState:
        return self


class InterPodAffinity:
    """Filters and scores by inter-pod (anti-)affinity."""

    name = NAME

    def __init__(
        self, handle: Handle, hard_pod_affinity_weight: int, ignore_preferred: bool
    ) -> None:
        """Configure from the plugin's arguments (see ``new``)."""
        self._handle = handle
        self._hard_weight = hard_pod_affinity_weight
        self._ignore_preferred = ignore_preferred

    def _resolve(self, term: AffinityTerm) -> AffinityTerm:
        """Replace a non-empty namespace selector by the namespaces it matches now."""
        selector = term.namespace_selector
        if selector.is_empty() or selector is nothing():
            return term
        matched = frozenset(
            str((ns.get("metadata") or {}).get("name", ""))
            for ns in self._handle.objects.list(ObjectKind.NAMESPACES)
            if selector.matches((ns.get("metadata") or {}).get("labels") or {})
        )
        return term.with_namespaces(matched)

    def _namespace_labels(self, namespace: str) -> Mapping[str, str]:
        return self._handle.objects.namespace_labels(namespace) or {}

    # --- filter ---------------------------------------------------------------------

    def pre_filter(self, state: CycleState, pod: PodInfo) -> tuple[PreFilterResult | None, Status]:
        """Count, per domain, the pods the filter checks against."""
        if pod.parse_error is not None:
            return None, Status.unresolvable(f"parsing pod: {pod.parse_error}")
        affinity = tuple(self._resolve(t) for t in pod.required_affinity_terms)
        anti = tuple(self._resolve(t) for t in pod.required_anti_affinity_terms)
        namespace_labels = self._namespace_labels(pod.namespace)
        snapshot = self._handle.snapshot
        existing: Counts = {}
        for node in snapshot.have_pods_with_required_anti_affinity:
            for other in node.pods_with_required_anti_affinity:
                for term in other.required_anti_affinity_terms:
                    if term.matches(pod.namespace, pod.labels, namespace_labels):
                        _bump(existing, term.topology_key, node, 1)
        affinity_counts: Counts = {}
        anti_counts: Counts = {}
        if affinity or anti:
            for node in snapshot.list():
                for other in node.pods:
                    if _matches_all(affinity, other):
                        for term in affinity:
                            _bump(affinity_counts, term.topology_key, node, 1)
                    for term in anti:
                        if term.matches(other.namespace, other.labels, None):
                            _bump(anti_counts, term.topology_key, node, 1)
        if not existing and not affinity and not anti:
            return None, Status.skip()
        data = _FilterState(
            affinity, anti, namespace_labels, affinity_counts, anti_counts, existing
        )
        state.write(_PRE_FILTER_KEY, data)
        return None, success()

    def _update(
        self, state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo, delta: int
    ) -> Status:
        data = state.read(_PRE_FILTER_KEY, _FilterState)
        for term in other.required_anti_affinity_terms:
            if term.matches(pod.namespace, pod.labels, data.namespace_labels):
                _bump(data.existing_anti_affinity_counts, term.topology_key, node, delta)
        if _matches_all(data.affinity_terms, other):
            for term in data.affinity_terms:
                _bump(data.affinity_counts, term.topology_key, node, delta)
        for term in data.anti_affinity_terms:
            if term.matches(other.namespace, other.labels, None):
                _bump(data.anti_affinity_counts, term.topology_key, node, delta)
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
        """The three checks of the module docstring, in upstream's order."""
        data = state.read(_PRE_FILTER_KEY, _FilterState)
        if not _satisfies_affinity(data, pod, node):
            return Status.unresolvable(ERR_REASON_AFFINITY_RULES_NOT_MATCH)
        for term in data.anti_affinity_terms:
            value = node.labels.get(term.topology_key)
            if (
                value is not None
                and data.anti_affinity_counts.get((term.topology_key, value), 0) > 0
            ):
                return Status.unschedulable(ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH)
        if data.existing_anti_affinity_counts:
            for pair in node.labels.items():
                if data.existing_anti_affinity_counts.get(pair, 0) > 0:
                    return Status.unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH)
        return success()

    # --- score ----------------------------------------------------------------------

    def pre_score(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]) -> Status:
        """Sum the term weights per topology domain."""
        if not nodes:
            return Status.skip()
        preferred = tuple(
            WeightedAffinityTerm(self._resolve(w.term), w.weight)
            for w in pod.preferred_affinity_terms
        )
        preferred_anti = tuple(
            WeightedAffinityTerm(self._resolve(w.term), w.weight)
            for w in pod.preferred_anti_affinity_terms
        )
        has_constraints = bool(preferred or preferred_anti)
        if self._ignore_preferred and not has_constraints:
            return Status.skip()
        snapshot = self._handle.snapshot
        node_list = snapshot.list() if has_constraints else snapshot.have_pods_with_affinity
        namespace_labels = self._namespace_labels(pod.namespace)
        scores: dict[str, dict[str, int]] = {}

        def add(term: AffinityTerm, weight: int, node: NodeInfo) -> None:
            value = node.labels.get(term.topology_key)
            if value is not None:
                by_value = scores.setdefault(term.topology_key, {})
                by_value[value] = by_value.get(value, 0) + weight

        for node in node_list:
            if not node.labels:
                continue
            others = node.pods if has_constraints else node.pods_with_affinity
            for other in others:
                for w in preferred:
                    if w.term.matches(other.namespace, other.labels, None):
                        add(w.term, w.weight, node)
                for w in preferred_anti:
                    if w.term.matches(other.namespace, other.labels, None):
                        add(w.term, -w.weight, node)
                if self._hard_weight > 0:
                    for term in other.required_affinity_terms:
                        if term.matches(pod.namespace, pod.labels, namespace_labels):
                            add(term, self._hard_weight, node)
                for w in other.preferred_affinity_terms:
                    if w.term.matches(pod.namespace, pod.labels, namespace_labels):
                        add(w.term, w.weight, node)
                for w in other.preferred_anti_affinity_terms:
                    if w.term.matches(pod.namespace, pod.labels, namespace_labels):
                        add(w.term, -w.weight, node)
        if not scores:
            return Status.skip()
        state.write(_PRE_SCORE_KEY, _ScoreState(scores))
        return success()

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> tuple[int, Status]:
        """The node's domains' summed weights (may be negative before normalizing)."""
        data = state.read(_PRE_SCORE_KEY, _ScoreState)
        total = 0
        for key, by_value in data.topology_score.items():
            value = node.labels.get(key)
            if value is not None:
                total += by_value.get(value, 0)
        return total, success()

    def normalize_score(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo], scores: list[int]
    ) -> Status:
        """Linear rescaling between the lowest and the highest node."""
        if not scores:
            return success()
        lowest = min(scores)
        spread = max(scores) - lowest
        # Go truncates the float product toward zero; it is never negative here.
        scores[:] = [
            int(MAX_NODE_SCORE * ((score - lowest) / spread)) if spread else 0 for score in scores
        ]
        return success()

    def events_to_register(self) -> Sequence[ClusterEventWithHint]:
        """Pods appearing, changing or leaving; nodes appearing or relabelled."""
        return [
            ClusterEventWithHint(
                ClusterEvent(EventResource.POD, ActionType.ALL), assigned_pod_may_matter
            ),
            ClusterEventWithHint(
                ClusterEvent(EventResource.NODE, ActionType.ADD | ActionType.UPDATE_NODE_LABEL)
            ),
        ]


def _satisfies_affinity(data: _FilterState, pod: PodInfo, node: NodeInfo) -> bool:
    pods_exist = True
    for term in data.affinity_terms:
        value = node.labels.get(term.topology_key)
        if value is None:
            # Every topology key must exist on the node.
            return False
        if data.affinity_counts.get((term.topology_key, value), 0) <= 0:
            pods_exist = False
    if pods_exist:
        return True
    # The first pod of a self-affine group: nothing matches anywhere yet.
    return not data.affinity_counts and _matches_all(data.affinity_terms, pod)


def new(args: Mapping[str, Any], handle: Handle) -> Plugin:
    """The factory registered under ``NAME``.

    Args: ``hardPodAffinityWeight`` (default 1) and ``ignorePreferredTermsOfExistingPods``.
    """
    weight = args.get("hardPodAffinityWeight")
    return InterPodAffinity(
        handle,
        1 if weight is None else int(weight),
        bool(args.get("ignorePreferredTermsOfExistingPods")),
    )
