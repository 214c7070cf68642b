"""What controllers read off a pod: active, ready, available, terminating, and which pods to
delete first (``podutil`` and ``controller.ActivePods`` in Kubernetes); and the
pods-by-node index several controllers share."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

__all__ = [
    "NODE_NAME_INDEX",
    "compare_active_pods",
    "condition",
    "is_pod_active",
    "is_pod_available",
    "is_pod_ready",
    "is_pod_terminating",
    "is_terminating",
    "max_restarts",
    "node_name_index",
    "parse_time",
    "phase_ordinal",
    "ready_since",
]

#: The pod informer's index of pods by ``spec.nodeName``. Register it with
#: :func:`node_name_index` itself: a shared informer accepts the same function
#: under a name again, but not another one.
NODE_NAME_INDEX = "spec.nodeName"


def node_name_index(pod: Mapping[str, Any]) -> list[str]:
    """The node a pod is bound to (none while unscheduled)."""
    node = (pod.get("spec") or {}).get("nodeName")
    return [str(node)] if node else []


def parse_time(value: str | None) -> datetime.datetime | None:
    """A metav1.Time (``2024-01-02T03:04:05Z``) as an aware datetime, None if unset or bad."""
    if not value:
        return None
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def condition(obj: Mapping[str, Any], type: str) -> Mapping[str, Any] | None:
    """The status condition of ``type``, if the object has one."""
    for cond in (obj.get("status") or {}).get("conditions") or ():
        if isinstance(cond, Mapping) and cond.get("type") == type:
            return cond
    return None


def is_terminating(obj: Mapping[str, Any]) -> bool:
    return bool((obj.get("metadata") or {}).get("deletionTimestamp"))


def is_pod_active(pod: Mapping[str, Any]) -> bool:
    """Not finished and not being deleted: it counts towards a controller's replicas."""
    phase = (pod.get("status") or {}).get("phase")
    return phase not in ("Succeeded", "Failed") and not is_terminating(pod)


def is_pod_ready(pod: Mapping[str, Any]) -> bool:
    ready = condition(pod, "Ready")
    return ready is not None and ready.get("status") == "True"


def is_pod_available(
    pod: Mapping[str, Any], min_ready_seconds: int, now: datetime.datetime
) -> bool:
    """Ready for at least ``min_ready_seconds`` (``podutil.IsPodAvailable``)."""
    ready = condition(pod, "Ready")
    if ready is None or ready.get("status") != "True":
        return False
    if min_ready_seconds <= 0:
        return True
    since = parse_time(ready.get("lastTransitionTime"))
    return since is not None and since + datetime.timedelta(seconds=min_ready_seconds) <= now


_PHASE_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}


def _after_or_zero(first: datetime.datetime | None, second: datetime.datetime | None) -> bool:
    if first is None or second is None:
        return first is None
    return first > second


def ready_since(pod: Mapping[str, Any]) -> datetime.datetime | None:
    """When a ready pod became ready (None: not ready, or no time)."""
    ready = condition(pod, "Ready")
    if ready is None or ready.get("status") != "True":
        return None
    return parse_time(ready.get("lastTransitionTime"))


def max_restarts(pod: Mapping[str, Any]) -> int:
    """The highest restart count of the pod's containers."""
    statuses = (pod.get("status") or {}).get("containerStatuses") or ()
    return max(
        (int(s.get("restartCount") or 0) for s in statuses if isinstance(s, Mapping)), default=0
    )


def phase_ordinal(pod: Mapping[str, Any]) -> int:
    """Pending (and unknown phases) 0 < Unknown 1 < Running 2: the deletion orders' phase rule."""
    return _PHASE_ORDINAL.get(str((pod.get("status") or {}).get("phase") or ""), 0)


def compare_active_pods(first: Mapping[str, Any], second: Mapping[str, Any]) -> int:
    """Kubernetes' ``controller.ActivePods`` order: negative if ``first`` should be deleted
    before ``second`` (``sorted(pods, key=functools.cmp_to_key(compare_active_pods))``).

    Unassigned < assigned; Pending < Unknown < Running; not ready < ready; ready for less
    time < longer; more container restarts < fewer; newer < older.
    """

    def less(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
        node_a = (a.get("spec") or {}).get("nodeName") or ""
        node_b = (b.get("spec") or {}).get("nodeName") or ""
        if node_a != node_b and (not node_a or not node_b):
            return not node_a
        phase_a, phase_b = phase_ordinal(a), phase_ordinal(b)
        if phase_a != phase_b:
            return phase_a < phase_b
        if is_pod_ready(a) != is_pod_ready(b):
            return not is_pod_ready(a)
        if is_pod_ready(a) and is_pod_ready(b):
            since_a, since_b = ready_since(a), ready_since(b)
            if since_a != since_b:
                return _after_or_zero(since_a, since_b)
        if max_restarts(a) != max_restarts(b):
            return max_restarts(a) > max_restarts(b)
        created_a = parse_time((a.get("metadata") or {}).get("creationTimestamp"))
        created_b = parse_time((b.get("metadata") or {}).get("creationTimestamp"))
        if created_a != created_b:
            return _after_or_zero(created_a, created_b)
        return False

    if less(first, second):
        return -1
    if less(second, first):
        return 1
    return 0


def is_pod_terminating(pod: Mapping[str, Any]) -> bool:
    """Being deleted but not finished (``controller.FilterTerminatingPods``)."""
    phase = (pod.get("status") or {}).get("phase")
    return is_terminating(pod) and phase not in ("Succeeded", "Failed")
