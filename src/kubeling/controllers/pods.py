"""What controllers read off a pod: active, ready, available (``podutil`` in Kubernetes),
and the pods-by-node index several controllers share."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

__all__ = [
    "NODE_NAME_INDEX",
    "condition",
    "is_pod_active",
    "is_pod_available",
    "is_pod_ready",
    "is_terminating",
    "node_name_index",
    "parse_time",
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
