"""Deployment conditions: ``Available``, ``Progressing`` and ``ReplicaFailure``.

As ``deployment_util.go``: setting a condition that already has the same
status and reason changes nothing (so ``lastUpdateTime`` stays put); a new
reason with the same status keeps ``lastTransitionTime``. The reasons and
messages are Kubernetes'.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from kubeling.controllers.deployment.objects import Obj

__all__ = [
    "AVAILABLE",
    "FAILED_RS_CREATE",
    "FOUND_NEW_RS",
    "MINIMUM_REPLICAS_AVAILABLE",
    "MINIMUM_REPLICAS_UNAVAILABLE",
    "NEW_RS_AVAILABLE",
    "NEW_RS_CREATED",
    "PAUSED",
    "PROGRESSING",
    "REPLICA_FAILURE",
    "RESUMED",
    "RS_UPDATED",
    "TIMED_OUT",
    "get_condition",
    "new_condition",
    "remove_condition",
    "set_condition",
]

AVAILABLE: Final = "Available"
PROGRESSING: Final = "Progressing"
REPLICA_FAILURE: Final = "ReplicaFailure"

# Progressing reasons
RS_UPDATED: Final = "ReplicaSetUpdated"
FAILED_RS_CREATE: Final = "ReplicaSetCreateError"
NEW_RS_CREATED: Final = "NewReplicaSetCreated"
FOUND_NEW_RS: Final = "FoundNewReplicaSet"
NEW_RS_AVAILABLE: Final = "NewReplicaSetAvailable"
TIMED_OUT: Final = "ProgressDeadlineExceeded"
PAUSED: Final = "DeploymentPaused"
RESUMED: Final = "DeploymentResumed"
# Available reasons
MINIMUM_REPLICAS_AVAILABLE: Final = "MinimumReplicasAvailable"
MINIMUM_REPLICAS_UNAVAILABLE: Final = "MinimumReplicasUnavailable"


def new_condition(type: str, status: str, reason: str, message: str, now: str) -> Obj:
    """A condition observed ``now`` (a ``metav1.Time`` string), in Go's field order."""
    return {
        "type": type,
        "status": status,
        "lastUpdateTime": now,
        "lastTransitionTime": now,
        "reason": reason,
        "message": message,
    }


def get_condition(status: Mapping[str, Any], type: str) -> Mapping[str, Any] | None:
    for condition in status.get("conditions") or ():
        if isinstance(condition, Mapping) and condition.get("type") == type:
            return condition
    return None


def set_condition(status: Obj, condition: Obj) -> None:
    """Put ``condition`` in ``status`` (at the end), unless one of its type already
    says the same (status and reason)."""
    current = get_condition(status, condition["type"])
    if (
        current is not None
        and current.get("status") == condition["status"]
        and current.get("reason") == condition["reason"]
    ):
        return
    if current is not None and current.get("status") == condition["status"]:
        condition = {**condition, "lastTransitionTime": current.get("lastTransitionTime")}
    remove_condition(status, condition["type"])
    status.setdefault("conditions", []).append(condition)


def remove_condition(status: Obj, type: str) -> None:
    """Drop the condition of ``type``; no ``conditions`` at all when none is left."""
    kept = [
        c
        for c in status.get("conditions") or ()
        if not (isinstance(c, Mapping) and c.get("type") == type)
    ]
    if kept:
        status["conditions"] = kept
    else:
        status.pop("conditions", None)
