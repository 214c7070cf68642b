"""DefaultPreemption: when no node fits, find lower-priority pods to evict.

PostFilter (upstream ``preemption.Evaluator.Preempt`` with the default plugin's
policy), in order:

1. **Eligibility.** A pod with ``preemptionPolicy: Never`` does not preempt
   (``not eligible due to preemptionPolicy=Never.``); nor does a pod whose nominated
   node still has a lower-priority pod terminating because of an earlier preemption
   (``not eligible due to a terminating pod on the nominated node.``), unless that
   node has become unresolvable for it.
2. **Candidates.** Only nodes the pod was *Unschedulable* on (not unresolvable) can
   help. From a random offset, each is tried on a copy of its NodeInfo and of the cycle
   state: remove every pod of lower priority, check the pod fits (filters with
   nominated pods), then add the removed pods back, most important first (higher
   priority, then earlier start), keeping out only those without which it does not
   fit. Pods whose eviction would violate a PodDisruptionBudget (``status.
   disruptionsAllowed`` going below zero) are reprieved first. The search stops once
   it has at least one PDB-respecting candidate and ``max(10% of the nodes, 100)``
   candidates in all.
3. **Choice.** Fewest PDB violations, then the lowest highest-victim priority, then
   the smallest sum of priorities, then the fewest victims, then the latest start of
   the highest-priority victims; then the first.

The result nominates the node and lists the victims; the scheduler evicts them (marks
them ``DisruptionTarget``, deletes them, records ``Preempted``) and clears the
nomination of lower-priority pods nominated to that node. Without candidates the
status message is a failure message of its own, every node that could not help
counted as ``Preemption is not helpful for scheduling`` and every node tried without
success under the reason it gave, and any nomination of the pod is cleared. Every
message is prefixed with ``preemption: ``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kubeling.api.labels import SelectorParseError, label_selector_as_selector
from kubeling.scheduler.framework.cycle_state import CycleState
from kubeling.scheduler.framework.diagnosis import Diagnosis, FitError, NodeToStatus
from kubeling.scheduler.framework.interfaces import Handle, Plugin
from kubeling.scheduler.framework.objects import ObjectKind
from kubeling.scheduler.framework.status import Code, Status, success
from kubeling.scheduler.framework.types import NodeInfo, Obj, PodInfo, PostFilterResult

__all__ = [
    "NAME",
    "NOT_HELPFUL",
    "NO_VICTIMS",
    "Candidate",
    "DefaultPreemption",
    "more_important",
    "new",
]

NAME: Final = "DefaultPreemption"
NOT_HELPFUL: Final = "Preemption is not helpful for scheduling"
NO_VICTIMS: Final = "No preemption victims found for incoming pod"
NOT_ELIGIBLE_POLICY: Final = "not eligible due to preemptionPolicy=Never."
NOT_ELIGIBLE_TERMINATING: Final = "not eligible due to a terminating pod on the nominated node."
# A missing start time counts as "now": later than any recorded one.
_NO_START: Final = "9999-12-31T23:59:59Z"


def _start(pod: PodInfo) -> str:
    return pod.start_time or _NO_START


def more_important(a: PodInfo, b: PodInfo) -> bool:
    """Whether ``a`` is more important than ``b`` (higher priority, then started earlier)."""
    if a.priority != b.priority:
        return a.priority > b.priority
    return _start(a) < _start(b)


def _importance_key(pod: PodInfo) -> tuple[int, str]:
    return -pod.priority, _start(pod)


def _terminating_by_preemption(pod: PodInfo) -> bool:
    if not pod.deleting:
        return False
    for condition in (pod.pod.get("status") or {}).get("conditions") or ():
        if condition.get("type") == "DisruptionTarget":
            return bool(
                condition.get("status") == "True"
                and condition.get("reason") == "PreemptionByScheduler"
            )
    return False


@dataclass(frozen=True, slots=True)
class Candidate:
    """A node where evicting ``victims`` (most important first) makes the pod fit."""

    node_name: str
    victims: tuple[PodInfo, ...]
    pdb_violations: int


def _split_by_budget(
    pods: Sequence[PodInfo], budgets: Sequence[Obj]
) -> tuple[list[PodInfo], list[PodInfo]]:
    """(pods whose eviction violates a PDB, the others), order kept."""
    allowed = [int((b.get("status") or {}).get("disruptionsAllowed") or 0) for b in budgets]
    violating: list[PodInfo] = []
    respecting: list[PodInfo] = []
    for pod in pods:
        violated = False
        if pod.labels:
            for index, budget in enumerate(budgets):
                metadata: Obj = budget.get("metadata") or {}
                if metadata.get("namespace") != pod.namespace:
                    continue
                try:
                    selector = label_selector_as_selector(
                        (budget.get("spec") or {}).get("selector")
                    )
                except SelectorParseError:
                    continue
                # A nil or empty selector matches nothing here.
                if selector.is_empty() or not selector.matches(pod.labels):
                    continue
                if pod.name in ((budget.get("status") or {}).get("disruptedPods") or {}):
                    continue
                allowed[index] -= 1
                if allowed[index] < 0:
                    violated = True
        (violating if violated else respecting).append(pod)
    return violating, respecting


class DefaultPreemption:
    """Preempts lower-priority pods to make room."""

    name = NAME

    def __init__(
        self, handle: Handle, *, min_percentage: int, min_absolute: int, rng: random.Random
    ) -> None:
        """Configure from the plugin's arguments (see ``new``)."""
        self._handle = handle
        self._min_percentage = min_percentage
        self._min_absolute = min_absolute
        self._rng = rng

    def post_filter(
        self, state: CycleState, pod: PodInfo, statuses: NodeToStatus
    ) -> tuple[PostFilterResult | None, Status]:
        """Preempt, prefixing any message with ``preemption: ``."""
        result, status = self.preempt(state, pod, statuses)
        message = status.message()
        if message:
            return result, Status(status.code, (f"preemption: {message}",))
        return result, status

    def preempt(
        self, state: CycleState, pod: PodInfo, statuses: NodeToStatus
    ) -> tuple[PostFilterResult | None, Status]:
        """Steps 1-3 of the module docstring."""
        latest = self._handle.latest_pod(pod) or pod
        eligible, message = self.eligible(latest, statuses.get(latest.nominated_node_name))
        if not eligible:
            return None, Status.unschedulable(message)
        all_nodes = self._handle.snapshot.list()
        if not all_nodes:
            return None, Status(Code.ERROR, ("no nodes available",))
        potential = statuses.nodes_with_code(all_nodes, Code.UNSCHEDULABLE)
        node_statuses = NodeToStatus()
        candidates: list[Candidate] = []
        if potential:
            candidates, node_statuses, errors = self._dry_run(state, latest, potential)
            if errors and not candidates:
                return None, Status(Code.ERROR, tuple(errors))
        if not candidates:
            node_statuses.set_absent(Status.unresolvable(NOT_HELPFUL))
            fit_error = FitError(len(all_nodes), Diagnosis(node_statuses))
            return PostFilterResult(nominated_node_name=""), Status.unschedulable(
                fit_error.message()
            )
        best = self.select_candidate(candidates)
        return PostFilterResult(best.node_name, best.victims), success()

    def eligible(self, pod: PodInfo, nominated_status: Status) -> tuple[bool, str]:
        """Whether the pod may preempt, and why not."""
        if pod.preemption_policy == "Never":
            return False, NOT_ELIGIBLE_POLICY
        if pod.nominated_node_name:
            if nominated_status.code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE:
                return True, ""
            node = self._handle.snapshot.get(pod.nominated_node_name)
            if node is not None:
                for other in node.pods:
                    if other.priority < pod.priority and _terminating_by_preemption(other):
                        return False, NOT_ELIGIBLE_TERMINATING
        return True, ""

    def _num_candidates(self, num_nodes: int) -> int:
        wanted = max(num_nodes * self._min_percentage // 100, self._min_absolute)
        return min(wanted, num_nodes)

    def _dry_run(
        self, state: CycleState, pod: PodInfo, potential: Sequence[NodeInfo]
    ) -> tuple[list[Candidate], NodeToStatus, list[str]]:
        budgets = list(self._handle.objects.list(ObjectKind.POD_DISRUPTION_BUDGETS))
        offset = self._rng.randrange(len(potential))
        wanted = self._num_candidates(len(potential))
        respecting: list[Candidate] = []
        violating: list[Candidate] = []
        statuses = NodeToStatus()
        errors: list[str] = []
        for index in range(len(potential)):
            node = potential[(offset + index) % len(potential)].clone()
            victims, violations, status = self.select_victims_on_node(
                state.clone(), pod, node, budgets
            )
            if status.is_success() and victims:
                candidate = Candidate(node.name, tuple(victims), violations)
                (violating if violations else respecting).append(candidate)
                if respecting and len(respecting) + len(violating) >= wanted:
                    break
                continue
            if status.is_success():
                status = Status(
                    Code.ERROR, (f'expected at least one victim pod on node "{node.name}"',)
                )
            if status.code is Code.ERROR:
                errors.append(status.message())
            statuses.set(node.name, status)
        return respecting + violating, statuses, errors

    def select_victims_on_node(
        self, state: CycleState, pod: PodInfo, node: NodeInfo, budgets: Sequence[Obj]
    ) -> tuple[list[PodInfo], int, Status]:
        """The fewest lower-priority pods to evict from ``node`` (which is modified)."""
        handle = self._handle
        potential = [other for other in node.pods if other.priority < pod.priority]
        for other in potential:
            node.remove_pod(other.key)
            status = handle.run_pre_filter_extension_remove_pod(state, pod, other, node)
            if not status.is_success():
                return [], 0, status
        if not potential:
            return [], 0, Status.unresolvable(NO_VICTIMS)
        status = handle.run_filter_plugins_with_nominated_pods(state, pod, node)
        if not status.is_success():
            return [], 0, status
        potential.sort(key=_importance_key)
        violating, respecting = _split_by_budget(potential, budgets)
        victims: list[PodInfo] = []

        def reprieve(other: PodInfo) -> Status | bool:
            node.add_pod(other)
            added = handle.run_pre_filter_extension_add_pod(state, pod, other, node)
            if not added.is_success():
                return added
            if handle.run_filter_plugins_with_nominated_pods(state, pod, node).is_success():
                return True
            node.remove_pod(other.key)
            removed = handle.run_pre_filter_extension_remove_pod(state, pod, other, node)
            if not removed.is_success():
                return removed
            victims.append(other)
            return False

        violations = 0
        for other in violating:
            outcome = reprieve(other)
            if isinstance(outcome, Status):
                return [], 0, outcome
            if not outcome:
                violations += 1
        for other in respecting:
            outcome = reprieve(other)
            if isinstance(outcome, Status):
                return [], 0, outcome
        if violating and respecting:
            victims.sort(key=_importance_key)
        return victims, violations, success()

    def select_candidate(self, candidates: Sequence[Candidate]) -> Candidate:
        """Upstream ``pickOneNodeForPreemption``."""
        remaining = list(candidates)

        def earliest_top_start(c: Candidate) -> str:
            top = max(v.priority for v in c.victims)
            return min(_start(v) for v in c.victims if v.priority == top)

        criteria = (
            lambda c: -c.pdb_violations,
            lambda c: -max(v.priority for v in c.victims),
            lambda c: -sum(v.priority + 2**31 for v in c.victims),
            lambda c: -len(c.victims),
        )
        for criterion in criteria:
            best = max(criterion(c) for c in remaining)
            remaining = [c for c in remaining if criterion(c) == best]
            if len(remaining) == 1:
                return remaining[0]
        latest = max(earliest_top_start(c) for c in remaining)
        remaining = [c for c in remaining if earliest_top_start(c) == latest]
        return remaining[0]


def new(args: Mapping[str, Any], handle: Handle) -> Plugin:
    """The factory registered under ``NAME``.

    Args: ``minCandidateNodesPercentage`` (10), ``minCandidateNodesAbsolute`` (100),
    and, for tests, ``seed`` for the random offset.
    """
    seed = args.get("seed")
    return DefaultPreemption(
        handle,
        min_percentage=int(args.get("minCandidateNodesPercentage", 10)),
        min_absolute=int(args.get("minCandidateNodesAbsolute", 100)),
        rng=random.Random(seed),
    )
