"""NodeAffinity: ``nodeSelector``, required node affinity (filter), preferred (score).

PreFilter: when the required terms pin nodes by name (``matchFields`` on
``metadata.name`` with ``In``, as DaemonSet pods do), the cycle is restricted to
those nodes; terms pinning disjoint names reject the pod (``pod affinity terms
conflict``). A pod with neither a selector nor required affinity Skips the filter.

Filter: the node must match the pod's ``nodeSelector`` and one of its required terms
(see ``kubeling.api.node_affinity`` for the operators), and, when the profile sets
``addedAffinity``, that too.

Score: the sum of the weights of the preferred terms the node matches, normalized so
the best node gets 100.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kubeling.api.node_affinity import (
    NodeSelector,
    PreferredSchedulingTerm,
    node_name_of_term,
)
from kubeling.scheduler.framework.cycle_state import CycleState
from kubeling.scheduler.framework.events import (
    ActionType,
    ClusterEvent,
    ClusterEventWithHint,
    EventResource,
    QueueingHint,
)
from kubeling.scheduler.framework.interfaces import Handle, Plugin
from kubeling.scheduler.framework.scoring import default_normalize_score
from kubeling.scheduler.framework.status import Status, success
from kubeling.scheduler.framework.types import (
    NodeInfo,
    Obj,
    PodInfo,
    PreFilterResult,
)

__all__ = [
    "ERR_REASON_CONFLICT",
    "ERR_REASON_ENFORCED",
    "ERR_REASON_POD",
    "NAME",
    "NodeAffinity",
    "fits",
    "new",
]

NAME: Final = "NodeAffinity"
ERR_REASON_POD: Final = "node(s) didn't match Pod's node affinity/selector"
ERR_REASON_ENFORCED: Final = "node(s) didn't match scheduler-enforced node affinity"
ERR_REASON_CONFLICT: Final = "pod affinity terms conflict"
_PRE_SCORE_KEY: Final = "PreScore" + NAME
_REJECT_POD: Final = Status.unresolvable(ERR_REASON_POD)
_REJECT_ENFORCED: Final = Status.unresolvable(ERR_REASON_ENFORCED)


def fits(pod: PodInfo, node: NodeInfo) -> bool:
    """Whether the node satisfies the pod's ``nodeSelector`` and required affinity."""
    return pod.required_node_affinity.matches_labels(node.labels, node.name)


@dataclass(frozen=True, slots=True)
class _PreScoreState:
    terms: tuple[PreferredSchedulingTerm, ...]

    def clone(self) -> _PreScoreState:
        return self


class NodeAffinity:
    """Filters and scores nodes by node affinity."""

    name = NAME

    def node_signature(self, pod: PodInfo) -> Hashable:
        """Verdict and score depend on the node's labels and name and on the pod's
        ``nodeSelector`` and node affinity (the profile's ``addedAffinity`` is fixed)."""
        return pod.node_affinity_key

    def __init__(self, added_affinity: Mapping[str, Any] | None) -> None:
        """``added_affinity`` is the profile's ``addedAffinity`` (a NodeAffinity)."""
        added = added_affinity or {}
        required = added.get("requiredDuringSchedulingIgnoredDuringExecution")
        self._added_required = NodeSelector.parse(required) if required is not None else None
        self._added_preferred = PreferredSchedulingTerm.all_of(
            {"spec": {"affinity": {"nodeAffinity": added}}}
        )

    def pre_filter(self, state: CycleState, pod: PodInfo) -> tuple[PreFilterResult | None, Status]:
        """Skip, restrict to named nodes, or reject conflicting names."""
        affinity = pod.required_node_affinity
        if affinity.is_empty() and self._added_required is None:
            return None, Status.skip()
        spec: Obj = pod.pod.get("spec") or {}
        required: Obj | None = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        )
        terms: Sequence[Obj] = (required or {}).get("nodeSelectorTerms") or ()
        if not terms:
            return None, success()
        names: set[str] = set()
        for term in terms:
            term_names = node_name_of_term(term)
            if term_names is None:
                # Terms are ORed: one term without a name pin allows every node.
                return None, success()
            names |= term_names
        if not names:
            return None, Status.unresolvable(ERR_REASON_CONFLICT)
        return PreFilterResult(frozenset(names)), success()

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status:
        """Reject nodes that do not match, unresolvably."""
        if self._added_required is not None and not self._added_required.matches(
            node.labels, node.name
        ):
            return _REJECT_ENFORCED
        return success() if fits(pod, node) else _REJECT_POD

    def filter_nodes(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]
    ) -> list[tuple[int, Status]]:
        """``filter`` over many nodes."""
        rejected = []
        for index, node in enumerate(nodes):
            status = self.filter(state, pod, node)
            if not status.is_success():
                rejected.append((index, status))
        return rejected

    def pre_score(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]) -> Status:
        """Skip when neither the pod nor the profile prefers anything."""
        terms = self._added_preferred + PreferredSchedulingTerm.all_of(pod.pod)
        if not terms:
            return Status.skip()
        state.write(_PRE_SCORE_KEY, _PreScoreState(terms))
        return success()

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> tuple[int, Status]:
        """The weights of the matching preferred terms, summed."""
        return self.score_nodes(state, pod, [node])[0], success()

    def score_nodes(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]) -> list[int]:
        """``score`` over many nodes."""
        terms = state.read(_PRE_SCORE_KEY, _PreScoreState).terms
        return [
            sum(t.weight for t in terms if t.term.matches(node.labels, node.name)) for node in nodes
        ]

    def normalize_score(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo], scores: list[int]
    ) -> Status:
        """The best node gets 100."""
        default_normalize_score(scores, reverse=False)
        return success()

    def events_to_register(self) -> Sequence[ClusterEventWithHint]:
        """A new node, or a relabelled one, that now matches the pod."""
        event = ClusterEvent(EventResource.NODE, ActionType.ADD | ActionType.UPDATE_NODE_LABEL)
        return [ClusterEventWithHint(event, self._node_now_matches)]

    def _node_now_matches(self, pod: Obj, old: Obj | None, new: Obj | None) -> QueueingHint:
        if new is None:
            return QueueingHint.SKIP
        info = PodInfo(pod)
        if not info.required_node_affinity.matches(new):
            return QueueingHint.SKIP
        if self._added_required is not None:
            node = NodeInfo(new)
            if not self._added_required.matches(node.labels, node.name):
                return QueueingHint.SKIP
        if old is not None and info.required_node_affinity.matches(old):
            # It matched before too: the change does not make a difference.
            return QueueingHint.SKIP
        return QueueingHint.QUEUE


def new(args: Mapping[str, Any], handle: Handle) -> Plugin:
    """The factory registered under ``NAME``; args: ``addedAffinity``."""
    return NodeAffinity(args.get("addedAffinity"))
