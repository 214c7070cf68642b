"""A ReplicaSet's (or ReplicationController's) status, computed from its pods.

As Kubernetes' ``calculateStatus``: of the active pods the controller owns,
``replicas`` counts all, ``fullyLabeledReplicas`` those carrying every label of
the template, ``readyReplicas`` the Ready ones and ``availableReplicas`` those
Ready for ``minReadySeconds``. A failed sync adds the ``ReplicaFailure``
condition (reason ``FailedCreate`` when pods were missing, ``FailedDelete``
when there were too many, the error as message); it stays, with its first
message, until a sync succeeds. The status is written (through the ``status``
subresource) only when one of those fields, the conditions or
``observedGeneration`` changed.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Mapping, Sequence
from typing import Any, Final

from kubeling.api.labels import selector_from_set
from kubeling.api.timestamps import format_time
from kubeling.controllers.pods import is_pod_available, is_pod_ready

__all__ = ["REPLICA_FAILURE", "calculate_status", "desired_replicas", "status_changed"]

Obj = dict[str, Any]

#: The condition type of a ReplicaSet whose pods could not be created or deleted.
REPLICA_FAILURE: Final = "ReplicaFailure"

# The counters, in the order Kubernetes declares them; all but replicas are omitempty.
_COUNTS: Final = ("replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas")


def desired_replicas(obj: Mapping[str, Any]) -> int:
    """``spec.replicas`` (the API server defaults it to 1)."""
    replicas = (obj.get("spec") or {}).get("replicas")
    return 1 if replicas is None else int(replicas)


def calculate_status(
    obj: Mapping[str, Any],
    pods: Sequence[Mapping[str, Any]],
    *,
    failure: str | None,
    now: datetime.datetime,
) -> Obj:
    """The status ``obj`` should have, owning the active ``pods``; ``failure`` is the
    message of the sync's error, if it failed to create or delete pods."""
    spec = obj.get("spec") or {}
    template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    template = selector_from_set(template_labels)
    min_ready = int(spec.get("minReadySeconds") or 0)
    status: Obj = copy.deepcopy(dict(obj.get("status") or {}))
    counts = {
        "replicas": len(pods),
        "fullyLabeledReplicas": sum(
            1 for pod in pods if template.matches((pod.get("metadata") or {}).get("labels") or {})
        ),
        "readyReplicas": sum(1 for pod in pods if is_pod_ready(pod)),
        "availableReplicas": sum(1 for pod in pods if is_pod_available(pod, min_ready, now)),
    }
    for name, value in counts.items():
        if value or name == "replicas":
            status[name] = value
        else:
            status.pop(name, None)
    generation = int((obj.get("metadata") or {}).get("generation") or 0)
    if generation:
        status["observedGeneration"] = generation
    conditions = [c for c in status.get("conditions") or () if isinstance(c, Mapping)]
    failing = any(c.get("type") == REPLICA_FAILURE for c in conditions)
    if failure is not None and not failing:
        conditions.append(_failure_condition(obj, len(pods), failure, now))
    elif failure is None and failing:
        conditions = [c for c in conditions if c.get("type") != REPLICA_FAILURE]
    if conditions:
        status["conditions"] = conditions
    else:
        status.pop("conditions", None)
    return status


def status_changed(obj: Mapping[str, Any], new_status: Mapping[str, Any]) -> bool:
    """Whether ``new_status`` differs from ``obj``'s in what the controller writes."""
    old = obj.get("status") or {}
    fields = (*_COUNTS, "observedGeneration")
    if any(int(old.get(f) or 0) != int(new_status.get(f) or 0) for f in fields):
        return True
    return list(old.get("conditions") or []) != list(new_status.get("conditions") or [])


def _failure_condition(
    obj: Mapping[str, Any], active: int, message: str, now: datetime.datetime
) -> Obj:
    diff = active - desired_replicas(obj)
    condition: Obj = {"type": REPLICA_FAILURE, "status": "True"}
    condition["lastTransitionTime"] = format_time(now)
    if diff < 0:
        condition["reason"] = "FailedCreate"
    elif diff > 0:
        condition["reason"] = "FailedDelete"
    condition["message"] = message
    return condition
