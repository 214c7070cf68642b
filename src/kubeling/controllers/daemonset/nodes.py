"""One DaemonSet, node by node: the pods to create and delete, and the status they make.

Pure parts of ``daemon_controller.go``:

- :func:`plan_node` (``podsShouldBeOnNode``): a node that should run the pod
  and has none gets one; a failed pod is deleted (with a ``FailedDaemonPod``
  warning, and a per-node back-off from 1 s doubling to 15 min so that a pod
  the kubelet keeps rejecting is not recreated in a hot loop), a succeeded
  one too; of several pods the oldest stays (with surge, the oldest new pod
  replaces the oldest old one once available); a node that should no longer
  run the pod loses it.
- :func:`unscheduled_pods_without_node`: pods waiting for a node that is gone.
- :func:`daemon_status`: ``desiredNumberScheduled`` and the counts of the
  oldest pod on each node.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from kubeling.client.events import NORMAL, WARNING
from kubeling.controllers.daemonset.rollout import is_pod_updated
from kubeling.controllers.history import POD_REVISION_LABEL
from kubeling.controllers.pods import is_pod_available, is_pod_ready, parse_time

__all__ = [
    "DaemonStatus",
    "FailedPodBackoff",
    "NodePlan",
    "by_age",
    "daemon_status",
    "plan_node",
    "unscheduled_pods_without_node",
]

Pod = Mapping[str, Any]

_EPOCH: Final = datetime.datetime.min.replace(tzinfo=datetime.UTC)


class FailedPodBackoff:
    """``flowcontrol.Backoff`` for failed daemon pods, keyed by set, generation and node:
    1 s doubling to 15 min; an entry idle for twice the maximum starts over."""

    def __init__(self, *, initial: float = 1.0, maximum: float = 15 * 60.0) -> None:
        self.initial = initial
        self.maximum = maximum
        self._entries: dict[str, tuple[float, float]] = {}  # key: (delay, last update)

    def in_backoff(self, key: str, now: float) -> bool:
        """Whether ``key`` was bumped less than its delay ago."""
        entry = self._entries.get(key)
        return entry is not None and now - entry[1] < entry[0]

    def delay(self, key: str) -> float:
        entry = self._entries.get(key)
        return entry[0] if entry is not None else 0.0

    def next(self, key: str, now: float) -> None:
        """Start or double ``key``'s delay, from ``now``."""
        entry = self._entries.get(key)
        if entry is None or now - entry[1] > 2 * self.maximum:
            self._entries[key] = (self.initial, now)
        else:
            self._entries[key] = (min(entry[0] * 2, self.maximum), now)

    def gc(self, now: float) -> None:
        """Forget entries idle for twice the maximum."""
        for key in [k for k, (_, last) in self._entries.items() if now - last > 2 * self.maximum]:
            del self._entries[key]


def _meta(pod: Pod) -> Mapping[str, Any]:
    return pod.get("metadata") or {}


def by_age(pod: Pod) -> tuple[bool, datetime.datetime, str]:
    """Sort key of ``podByCreationTimestampAndPhase``: bound pods first, then oldest, then
    by name."""
    bound = bool((pod.get("spec") or {}).get("nodeName"))
    created = parse_time(_meta(pod).get("creationTimestamp")) or _EPOCH
    return not bound, created, str(_meta(pod).get("name", ""))


@dataclass(slots=True)
class NodePlan:
    """What one node needs: a new pod, pods deleted, events, a later look."""

    create: bool = False
    delete: list[str] = field(default_factory=list)
    #: (type, reason, message) to record on the set.
    events: list[tuple[str, str, str]] = field(default_factory=list)
    #: Seconds after which to sync again (a back-off is holding a deletion).
    requeue_after: float | None = None


def plan_node(
    node_name: str,
    pods: Sequence[Pod] | None,
    *,
    should_run: bool,
    should_continue: bool,
    surge: bool,
    hash_: str,
    min_ready_seconds: int,
    now: datetime.datetime,
    backoff: FailedPodBackoff,
    backoff_key: str,
    clock: float,
) -> NodePlan:
    """``podsShouldBeOnNode`` for one node (``pods`` is None when it has none at all)."""
    plan = NodePlan()
    if should_run and pods is None:
        plan.create = True
        return plan
    if not should_continue:
        if pods is not None:
            plan.delete = [_name(p) for p in pods if not _meta(p).get("deletionTimestamp")]
        return plan
    running: list[Pod] = []
    for pod in pods or ():
        if _meta(pod).get("deletionTimestamp"):
            continue
        phase = (pod.get("status") or {}).get("phase")
        where = f"{_meta(pod).get('namespace', '')}/{_name(pod)} on node {node_name}"
        if phase == "Failed":
            # The kubelet may keep rejecting the pod: back off instead of hot-looping.
            if backoff.in_backoff(backoff_key, clock):
                plan.requeue_after = backoff.delay(backoff_key)
                continue
            backoff.next(backoff_key, clock)
            plan.events.append(
                (
                    WARNING,
                    "FailedDaemonPod",
                    f"Found failed daemon pod {where}, will try to kill it",
                )
            )
            plan.delete.append(_name(pod))
        elif phase == "Succeeded":
            plan.events.append(
                (
                    NORMAL,
                    "SucceededDaemonPod",
                    f"Found succeeded daemon pod {where}, will try to delete it",
                )
            )
            plan.delete.append(_name(pod))
        else:
            running.append(pod)
    running.sort(key=by_age)
    if not surge:
        plan.delete.extend(_name(p) for p in running[1:])  # the oldest stays
        return plan
    if not running:
        plan.create = should_run  # surging: keep one live pod on the node
        return plan
    oldest_new: Pod | None = None
    oldest_old: Pod | None = None
    for pod in running:
        is_new = (_meta(pod).get("labels") or {}).get(POD_REVISION_LABEL) == hash_
        if is_new and oldest_new is None:
            oldest_new = pod
        elif not is_new and oldest_old is None:
            oldest_old = pod
        else:
            plan.delete.append(_name(pod))
    # Old and new side by side: the old goes once it is not ready or the new is available.
    if (
        oldest_new is not None
        and oldest_old is not None
        and (not is_pod_ready(oldest_old) or is_pod_available(oldest_new, min_ready_seconds, now))
    ):
        plan.delete.append(_name(oldest_old))
    return plan


def _name(pod: Pod) -> str:
    return str(_meta(pod).get("name", ""))


def unscheduled_pods_without_node(
    node_names: set[str], node_pods: Mapping[str, Sequence[Pod]]
) -> list[str]:
    """Pods not bound yet whose node no longer exists: nothing else would delete them."""
    return [
        _name(pod)
        for node, pods in sorted(node_pods.items())
        if node not in node_names
        for pod in pods
        if not (pod.get("spec") or {}).get("nodeName")
    ]


@dataclass(slots=True)
class DaemonStatus:
    """The counts of ``DaemonSetStatus``."""

    desired_number_scheduled: int = 0
    current_number_scheduled: int = 0
    number_misscheduled: int = 0
    number_ready: int = 0
    updated_number_scheduled: int = 0
    number_available: int = 0

    @property
    def number_unavailable(self) -> int:
        return self.desired_number_scheduled - self.number_available


def daemon_status(
    nodes: Sequence[tuple[str, bool]],
    node_pods: Mapping[str, Sequence[Pod]],
    *,
    hash_: str,
    generation: int | None,
    min_ready_seconds: int,
    now: datetime.datetime,
) -> DaemonStatus:
    """``updateDaemonSetStatus``'s counts over ``(node name, should run)`` pairs."""
    status = DaemonStatus()
    for node, wanted in nodes:
        pods = sorted(node_pods.get(node) or (), key=by_age)
        if not wanted:
            status.number_misscheduled += bool(pods)
            continue
        status.desired_number_scheduled += 1
        if not pods:
            continue
        status.current_number_scheduled += 1
        oldest = pods[0]
        if is_pod_ready(oldest):
            status.number_ready += 1
            if is_pod_available(oldest, min_ready_seconds, now):
                status.number_available += 1
        if is_pod_updated(oldest, hash_, generation):
            status.updated_number_scheduled += 1
    return status
