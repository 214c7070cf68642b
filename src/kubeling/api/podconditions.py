"""Setting one condition of a pod's status (``podutil.UpdatePodCondition``).

Shared by the API server (the eviction subresource's ``DisruptionTarget``) and
the controllers (``Ready`` to False on a lost node, ``DisruptionTarget`` before
a taint eviction). A condition keeps its ``lastTransitionTime`` while its
status stays the same; anything else about it is replaced.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = ["DISRUPTION_TARGET", "update_pod_condition"]

#: The condition that says a pod is about to be deleted by a disruption.
DISRUPTION_TARGET: Final = "DisruptionTarget"

_COMPARED: Final = ("status", "reason", "message", "lastProbeTime", "lastTransitionTime")


def update_pod_condition(status: dict[str, Any], condition: Mapping[str, Any], *, now: str) -> bool:
    """Put ``condition`` into ``status["conditions"]`` in place; whether it changed.

    >>> status = {"conditions": [{"type": "Ready", "status": "True",
    ...            "lastProbeTime": None, "lastTransitionTime": "t0"}]}
    >>> update_pod_condition(status, {"type": "Ready", "status": "True"}, now="t1")
    False
    >>> update_pod_condition(status, {"type": "Ready", "status": "False"}, now="t1")
    True
    >>> status["conditions"][0]["lastTransitionTime"]
    't1'
    """
    new: dict[str, Any] = {"lastProbeTime": None, **condition, "lastTransitionTime": now}
    conditions = status.get("conditions")
    if not isinstance(conditions, list):
        conditions = status["conditions"] = []
    for index, old in enumerate(conditions):
        if not isinstance(old, Mapping) or old.get("type") != new.get("type"):
            continue
        if old.get("status") == new.get("status"):
            new["lastTransitionTime"] = old.get("lastTransitionTime")
        equal = all((old.get(key) or None) == (new.get(key) or None) for key in _COMPARED)
        conditions[index] = new
        return not equal
    conditions.append(new)
    return True
