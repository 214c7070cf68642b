"""``metav1.Condition`` lists: find one, set one (``apimachinery/pkg/api/meta``).

Conditions are plain dicts here, as the API serializes them: ``type``,
``status``, ``observedGeneration`` (left out when 0), ``lastTransitionTime``,
``reason`` and ``message`` (always present, possibly empty).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["find_status_condition", "set_status_condition"]


def find_status_condition(
    conditions: Sequence[Mapping[str, Any]] | None, condition_type: str
) -> Mapping[str, Any] | None:
    """The condition of ``condition_type``, if there is one."""
    for condition in conditions or ():
        if isinstance(condition, Mapping) and condition.get("type") == condition_type:
            return condition
    return None


def set_status_condition(
    conditions: list[dict[str, Any]], new: Mapping[str, Any], *, now: str
) -> bool:
    """Put ``new`` into ``conditions`` in place; whether anything changed
    (``meta.SetStatusCondition``).

    ``lastTransitionTime`` moves (to ``new``'s, or ``now``) only when the
    status changes; reason, message and observedGeneration are always taken.

    >>> conditions = [{"type": "Ready", "status": "True", "lastTransitionTime": "t0",
    ...                "reason": "Up", "message": ""}]
    >>> set_status_condition(conditions, {"type": "Ready", "status": "True", "reason": "Up",
    ...                                   "message": ""}, now="t1")
    False
    >>> set_status_condition(conditions, {"type": "Ready", "status": "False", "reason": "Down",
    ...                                   "message": ""}, now="t1")
    True
    >>> conditions[0]["lastTransitionTime"]
    't1'
    """
    for existing in conditions:
        if existing.get("type") != new.get("type"):
            continue
        changed = False
        if existing.get("status") != new.get("status"):
            existing["status"] = new.get("status")
            existing["lastTransitionTime"] = new.get("lastTransitionTime") or now
            changed = True
        for field in ("reason", "message"):
            if (existing.get(field) or "") != (new.get(field) or ""):
                existing[field] = new.get(field) or ""
                changed = True
        generation = int(new.get("observedGeneration") or 0)
        if int(existing.get("observedGeneration") or 0) != generation:
            if generation:
                existing["observedGeneration"] = generation
            else:
                existing.pop("observedGeneration", None)
            changed = True
        return changed
    added: dict[str, Any] = {"type": new.get("type"), "status": new.get("status")}
    if new.get("observedGeneration"):
        added["observedGeneration"] = int(new["observedGeneration"])
    added["lastTransitionTime"] = new.get("lastTransitionTime") or now
    added["reason"] = new.get("reason") or ""
    added["message"] = new.get("message") or ""
    conditions.append(added)
    return True
