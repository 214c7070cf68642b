"""A DaemonSet's rolling update: which old pods to delete and where to surge new ones.

``rollingUpdate`` of ``update.go``, as a pure plan over the pods by node:

- A pod is *updated* when its ``controller-revision-hash`` label is the
  current revision's hash (or its ``pod-template-generation`` label the
  current generation).
- Without surge (``maxSurge: 0``), old pods are deleted (the main loop then
  creates the new ones) while fewer than ``maxUnavailable`` nodes are
  unavailable: a node counts as unavailable when its new pod is not
  available yet, when it has no pod or two, and when its old pod is not
  available (such a pod is replaced at once, whatever the budget).
- With surge (``maxSurge > 0``, ``maxUnavailable: 0``), a new pod is created
  beside each old one, up to ``maxSurge`` nodes at once (at once where the
  old pod is not available), and the old pod is deleted when the new one is
  available; on nodes the set no longer wants, old pods go only once enough
  pods elsewhere are available.

Both limits scale with the number of nodes that should run the pod,
rounding up; if both come to 0, one pod may be unavailable.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kubeling.api.intstr import scaled_value
from kubeling.controllers.daemonset.placement import TEMPLATE_GENERATION_LABEL
from kubeling.controllers.history import POD_REVISION_LABEL
from kubeling.controllers.pods import is_pod_available

__all__ = [
    "RolloutPlan",
    "allows_surge",
    "find_updated_pods",
    "is_pod_updated",
    "plan_rollout",
    "surge_count",
    "unavailable_count",
]

Pod = Mapping[str, Any]


def _rolling(ds: Mapping[str, Any]) -> Mapping[str, Any] | None:
    strategy = (ds.get("spec") or {}).get("updateStrategy") or {}
    if strategy.get("type") != "RollingUpdate":
        return None
    rolling = strategy.get("rollingUpdate")
    return rolling if isinstance(rolling, Mapping) else None


def surge_count(ds: Mapping[str, Any], number_to_schedule: int) -> int:
    """``SurgeCount``: ``maxSurge`` of ``number_to_schedule``, rounded up (0 unless a
    rolling update asks for surge). IntOrStringError for a bad value."""
    rolling = _rolling(ds)
    if rolling is None or rolling.get("maxSurge") is None:
        return 0
    return scaled_value(rolling["maxSurge"], number_to_schedule, round_up=True)


def unavailable_count(ds: Mapping[str, Any], number_to_schedule: int) -> int:
    """``UnavailableCount``: ``maxUnavailable`` of ``number_to_schedule``, rounded up (0
    unless a rolling update). IntOrStringError for a bad or missing value."""
    rolling = _rolling(ds)
    if rolling is None:
        return 0
    return scaled_value(rolling.get("maxUnavailable"), number_to_schedule, round_up=True)


def allows_surge(ds: Mapping[str, Any]) -> bool:
    """Whether two pods (an old and a new) may share a node."""
    try:
        return surge_count(ds, 1) > 0
    except ValueError:
        return False


def is_pod_updated(pod: Pod, hash_: str, generation: int | None) -> bool:
    """``IsPodUpdated``: made from the current revision (by hash or generation)."""
    labels = (pod.get("metadata") or {}).get("labels") or {}
    if generation is not None and labels.get(TEMPLATE_GENERATION_LABEL) == str(generation):
        return True
    return bool(hash_) and labels.get(POD_REVISION_LABEL) == hash_


def find_updated_pods(
    pods: Sequence[Pod], hash_: str, generation: int | None
) -> tuple[Pod | None, Pod | None, bool]:
    """``findUpdatedPodsOnNode``: the node's live new and old pod; False when it has
    more than one of either (the main loop prunes those first)."""
    new: Pod | None = None
    old: Pod | None = None
    for pod in pods:
        if (pod.get("metadata") or {}).get("deletionTimestamp"):
            continue
        if is_pod_updated(pod, hash_, generation):
            if new is not None:
                return None, None, False
            new = pod
        else:
            if old is not None:
                return None, None, False
            old = pod
    return new, old, True


@dataclass(slots=True)
class RolloutPlan:
    """Pods to delete (by name) and nodes to create a new pod on."""

    delete: list[str] = field(default_factory=list)
    create: list[str] = field(default_factory=list)


def _name(pod: Pod) -> str:
    return str((pod.get("metadata") or {}).get("name", ""))


def plan_rollout(
    node_pods: Mapping[str, Sequence[Pod]],
    *,
    hash_: str,
    generation: int | None,
    max_surge: int,
    max_unavailable: int,
    desired: int,
    min_ready_seconds: int,
    now: datetime.datetime,
    should_run: Callable[[str], bool],
) -> RolloutPlan:
    """The next step of the rolling update. ``node_pods`` holds every node with pods and
    every node that should run one (possibly with none), visited in name order;
    ``should_run(node)`` says whether the set still wants the node."""

    def available(pod: Pod) -> bool:
        return is_pod_available(pod, min_ready_seconds, now)

    plan = RolloutPlan()
    if max_surge == 0:
        unavailable = 0
        replacements: list[str] = []
        candidates: list[str] = []
        for node in sorted(node_pods):
            new, old, ok = find_updated_pods(node_pods[node], hash_, generation)
            if not ok or (new is None) == (old is None):
                unavailable += 1  # nothing there, or two pods: the main loop deals with it
            elif new is not None:
                if not available(new):
                    unavailable += 1
            elif old is not None and not available(old):
                replacements.append(_name(old))
                unavailable += 1
            elif old is not None and unavailable < max_unavailable:
                candidates.append(_name(old))
        room = min(max(max_unavailable - unavailable, 0), len(candidates))
        plan.delete = [*replacements, *candidates[:room]]
        return plan

    surging = 0
    ready_count = 0
    allowed: list[str] = []
    candidate_nodes: list[str] = []
    unwanted: list[str] = []
    for node in sorted(node_pods):
        new, old, ok = find_updated_pods(node_pods[node], hash_, generation)
        if not ok:
            surging += 1
            continue
        if old is not None:
            ready_count += available(old)
        elif new is not None:
            ready_count += available(new)
        if old is None:
            continue  # the main loop creates the pod if there is none
        if new is None:
            if not available(old):
                if not should_run(node):
                    plan.delete.append(_name(old))
                    continue
                allowed.append(node)
                continue
            if not should_run(node):
                unwanted.append(_name(old))
                continue
            if surging < max_surge:
                candidate_nodes.append(node)
            continue
        if not available(new):
            surging += 1  # waiting for the new pod
            continue
        plan.delete.append(_name(old))  # the new one is available: the old one goes
    # Old pods on nodes no longer wanted go only while enough are available elsewhere.
    deletable = min(max(ready_count - desired, 0), len(unwanted))
    plan.delete.extend(unwanted[:deletable])
    room = min(max(max_surge - surging, 0), len(candidate_nodes))
    plan.create = [*allowed, *candidate_nodes[:room]]
    return plan
