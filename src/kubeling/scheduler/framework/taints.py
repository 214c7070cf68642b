"""Taints and tolerations (upstream ``v1helper.TolerationsTolerateTaint`` and friends).

A toleration tolerates a taint when its effect is empty or equal, its key is empty
or equal, and either its operator is ``Exists`` or (``Equal``, the default) the
values are equal. The scheduler looks for the *first* taint of a node, in the node's
own order, that no toleration of the pod tolerates: that taint is the one named in
the failure message.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any, Final

__all__ = [
    "DO_NOT_SCHEDULE_EFFECTS",
    "NO_EXECUTE",
    "NO_SCHEDULE",
    "PREFER_NO_SCHEDULE",
    "find_untolerated_taint",
    "tolerates",
    "tolerations_tolerate",
]

NO_SCHEDULE: Final = "NoSchedule"
PREFER_NO_SCHEDULE: Final = "PreferNoSchedule"
NO_EXECUTE: Final = "NoExecute"
DO_NOT_SCHEDULE_EFFECTS: Final = frozenset({NO_SCHEDULE, NO_EXECUTE})


def tolerates(toleration: Mapping[str, Any], taint: Mapping[str, Any]) -> bool:
    """Whether one toleration tolerates one taint.

    >>> taint = {"key": "gpu", "value": "true", "effect": "NoSchedule"}
    >>> tolerates({"key": "gpu", "operator": "Exists"}, taint)
    True
    >>> tolerates({"key": "gpu", "value": "false"}, taint)
    False
    """
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    if key and key != taint.get("key"):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Exists":
        return True
    if operator == "Equal":
        return (toleration.get("value") or "") == (taint.get("value") or "")
    return False


def tolerations_tolerate(
    tolerations: Iterable[Mapping[str, Any]], taint: Mapping[str, Any]
) -> bool:
    """Whether any of ``tolerations`` tolerates ``taint``."""
    return any(tolerates(toleration, taint) for toleration in tolerations)


def find_untolerated_taint(
    taints: Iterable[Mapping[str, Any]],
    tolerations: Collection[Mapping[str, Any]],
    effects: Collection[str] = DO_NOT_SCHEDULE_EFFECTS,
) -> Mapping[str, Any] | None:
    """The first taint with one of ``effects`` that no toleration tolerates, if any."""
    for taint in taints:
        if taint.get("effect") in effects and not tolerations_tolerate(tolerations, taint):
            return taint
    return None
