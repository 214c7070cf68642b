"""PodDisruptionBudget status rules shared by the eviction subresource and the
disruption controller (``component-helpers/apps/poddisruptionbudget``).

The ``DisruptionAllowed`` condition mirrors ``status.disruptionsAllowed``:
``True``/``SufficientPods`` when it is positive, ``False``/``InsufficientPods``
otherwise; ``SyncFailed`` is the controller's fail-safe when it cannot compute
the status at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from kubeling.api.meta.conditions import find_status_condition, set_status_condition

__all__ = [
    "DISRUPTION_ALLOWED",
    "INSUFFICIENT_PODS",
    "SUFFICIENT_PODS",
    "SYNC_FAILED",
    "conditions_are_up_to_date",
    "update_disruption_allowed_condition",
]

DISRUPTION_ALLOWED: Final = "DisruptionAllowed"
SUFFICIENT_PODS: Final = "SufficientPods"
INSUFFICIENT_PODS: Final = "InsufficientPods"
SYNC_FAILED: Final = "SyncFailed"


def update_disruption_allowed_condition(status: dict[str, Any], *, now: str) -> None:
    """Set ``status``'s DisruptionAllowed condition from its disruptionsAllowed, in place."""
    conditions = status.get("conditions")
    if not isinstance(conditions, list):
        conditions = status["conditions"] = []
    allowed = int(status.get("disruptionsAllowed") or 0) > 0
    set_status_condition(
        conditions,
        {
            "type": DISRUPTION_ALLOWED,
            "status": "True" if allowed else "False",
            "reason": SUFFICIENT_PODS if allowed else INSUFFICIENT_PODS,
            "message": "",
            "observedGeneration": int(status.get("observedGeneration") or 0),
        },
        now=now,
    )


def conditions_are_up_to_date(pdb: Mapping[str, Any]) -> bool:
    """Whether the condition already says what disruptionsAllowed says, for this generation."""
    status = pdb.get("status") or {}
    condition = find_status_condition(status.get("conditions"), DISRUPTION_ALLOWED)
    if condition is None:
        return False
    generation = int((pdb.get("metadata") or {}).get("generation") or 0)
    if int(status.get("observedGeneration") or 0) != generation:
        return False
    if int(status.get("disruptionsAllowed") or 0) > 0:
        return condition.get("status") == "True" and condition.get("reason") == SUFFICIENT_PODS
    return condition.get("status") == "False" and condition.get("reason") == INSUFFICIENT_PODS
