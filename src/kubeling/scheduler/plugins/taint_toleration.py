"""TaintToleration: untolerated NoSchedule/NoExecute taints filter a node out;
untolerated PreferNoSchedule taints lower its score.

The filter names the first untolerated taint in the node's order, as
``node(s) had untolerated taint {key: value}``. The score counts the node's
PreferNoSchedule taints that the pod's tolerations (those with an empty or
PreferNoSchedule effect) do not tolerate; normalization reverses it, so the node
with the fewest gets 100.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
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
from kubeling.scheduler.framework.scoring import default_normalize_score
from kubeling.scheduler.framework.status import Status, success
from kubeling.scheduler.framework.taints import (
    PREFER_NO_SCHEDULE,
    find_untolerated_taint,
    tolerations_tolerate,
)
from kubeling.scheduler.framework.types import NodeInfo, Obj, PodInfo, pod_key

__all__ = ["NAME", "TaintToleration", "fits", "new", "untolerated_taint_reason"]

NAME: Final = "TaintToleration"
_PRE_SCORE_KEY: Final = "PreScore" + NAME


def untolerated_taint_reason(taint: Obj) -> str:
    """The failure reason naming a taint.

    >>> untolerated_taint_reason({"key": "node-role.kubernetes.io/control-plane",
    ...     "effect": "NoSchedule"})
    'node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }'
    """
    return f"node(s) had untolerated taint {{{taint.get('key', '')}: {taint.get('value', '')}}}"


def fits(pod: PodInfo, node: NodeInfo) -> Obj | None:
    """The taint that keeps the pod off the node, or None when it fits."""
    return find_untolerated_taint(node.taints, pod.tolerations)


@dataclass(frozen=True, slots=True)
class _PreScoreState:
    tolerations: tuple[Obj, ...]

    def clone(self) -> _PreScoreState:
        return self


class TaintToleration:
    """Filters by hard taints, scores by soft ones."""

    name = NAME

    def node_signature(self, pod: PodInfo) -> Hashable:
        """Verdict and score depend on the node's taints and the pod's tolerations."""
        return pod.tolerations_key

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status:
        """Reject a node with an untolerated NoSchedule/NoExecute taint, unresolvably."""
        taint = fits(pod, node)
        return success() if taint is None else Status.unresolvable(untolerated_taint_reason(taint))

    def filter_nodes(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]
    ) -> list[tuple[int, Status]]:
        """``filter`` over many nodes: only tainted nodes can be rejected."""
        rejected = []
        for index, node in enumerate(nodes):
            if node.taints:
                status = self.filter(state, pod, node)
                if not status.is_success():
                    rejected.append((index, status))
        return rejected

    def pre_score(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]) -> Status:
        """Keep the tolerations that can tolerate PreferNoSchedule taints."""
        tolerations = tuple(
            t for t in pod.tolerations if (t.get("effect") or "") in ("", PREFER_NO_SCHEDULE)
        )
        state.write(_PRE_SCORE_KEY, _PreScoreState(tolerations))
        return success()

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> tuple[int, Status]:
        """How many PreferNoSchedule taints the pod does not tolerate."""
        return self.score_nodes(state, pod, [node])[0], success()

    def score_nodes(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]) -> list[int]:
        """``score`` over many nodes (untainted ones score 0)."""
        tolerations = state.read(_PRE_SCORE_KEY, _PreScoreState).tolerations
        return [
            sum(
                1
                for taint in node.taints
                if taint.get("effect") == PREFER_NO_SCHEDULE
                and not tolerations_tolerate(tolerations, taint)
            )
            if node.taints
            else 0
            for node in nodes
        ]

    def normalize_score(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo], scores: list[int]
    ) -> Status:
        """Fewer untolerated taints score higher."""
        default_normalize_score(scores, reverse=True)
        return success()

    def events_to_register(self) -> Sequence[ClusterEventWithHint]:
        """A node whose taints the pod now tolerates, or new tolerations on the pod."""
        return [
            ClusterEventWithHint(
                ClusterEvent(EventResource.NODE, ActionType.ADD | ActionType.UPDATE_NODE_TAINT),
                _node_now_tolerated,
            ),
            ClusterEventWithHint(
                ClusterEvent(EventResource.UNSCHEDULED_POD, ActionType.UPDATE_POD_TOLERATION),
                _is_this_pod,
            ),
        ]


def _node_now_tolerated(pod: Obj, old: Obj | None, new: Obj | None) -> QueueingHint:
    if new is None:
        return QueueingHint.SKIP
    tolerations: Sequence[Obj] = (pod.get("spec") or {}).get("tolerations") or ()
    taints: Sequence[Obj] = (new.get("spec") or {}).get("taints") or ()
    if find_untolerated_taint(taints, tolerations) is not None:
        return QueueingHint.SKIP
    if old is not None:
        before: Sequence[Obj] = (old.get("spec") or {}).get("taints") or ()
        if find_untolerated_taint(before, tolerations) is None:
            return QueueingHint.SKIP
    return QueueingHint.QUEUE


def _is_this_pod(pod: Obj, old: Obj | None, new: Obj | None) -> QueueingHint:
    if new is not None and pod_key(new) == pod_key(pod):
        return QueueingHint.QUEUE
    return QueueingHint.SKIP


def new(args: Mapping[str, Any], handle: Handle) -> Plugin:
    """The factory registered under ``NAME``."""
    return TaintToleration()
