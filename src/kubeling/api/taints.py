"""Taints and tolerations: which toleration tolerates which taint (``v1helper``).

A toleration tolerates a taint when its effect is empty or equal, its key is
empty or equal, and either its operator is ``Exists`` or (``Equal``, the
default) the values are equal. The scheduler, the node lifecycle controller
and the taint eviction controller all judge taints with these functions, and
the well-known taint keys the control plane sets live here too.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, Final

__all__ = [
    "NO_EXECUTE",
    "NO_SCHEDULE",
    "PREFER_NO_SCHEDULE",
    "TAINT_NODE_DISK_PRESSURE",
    "TAINT_NODE_MEMORY_PRESSURE",
    "TAINT_NODE_NETWORK_UNAVAILABLE",
    "TAINT_NODE_NOT_READY",
    "TAINT_NODE_PID_PRESSURE",
    "TAINT_NODE_UNREACHABLE",
    "TAINT_NODE_UNSCHEDULABLE",
    "find_untolerated_taint",
    "matching_tolerations",
    "min_toleration_seconds",
    "same_taint",
    "taint_exists",
    "tolerates",
    "toleration_matches",
    "tolerations_tolerate",
]

NO_SCHEDULE: Final = "NoSchedule"
PREFER_NO_SCHEDULE: Final = "PreferNoSchedule"
NO_EXECUTE: Final = "NoExecute"

TAINT_NODE_NOT_READY: Final = "node.kubernetes.io/not-ready"
TAINT_NODE_UNREACHABLE: Final = "node.kubernetes.io/unreachable"
TAINT_NODE_UNSCHEDULABLE: Final = "node.kubernetes.io/unschedulable"
TAINT_NODE_MEMORY_PRESSURE: Final = "node.kubernetes.io/memory-pressure"
TAINT_NODE_DISK_PRESSURE: Final = "node.kubernetes.io/disk-pressure"
TAINT_NODE_NETWORK_UNAVAILABLE: Final = "node.kubernetes.io/network-unavailable"
TAINT_NODE_PID_PRESSURE: Final = "node.kubernetes.io/pid-pressure"


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
    effects: Collection[str] = (NO_SCHEDULE, NO_EXECUTE),
) -> Mapping[str, Any] | None:
    """The first taint, in the node's order, with one of ``effects`` that no toleration
    tolerates, if any (``FindMatchingUntoleratedTaint``): the one a refusal names.

    >>> taints = [{"key": "a", "effect": "PreferNoSchedule"}, {"key": "b", "effect": "NoSchedule"}]
    >>> find_untolerated_taint(taints, [])
    {'key': 'b', 'effect': 'NoSchedule'}
    >>> find_untolerated_taint(taints, [{"operator": "Exists"}]) is None
    True
    """
    for taint in taints:
        if taint.get("effect") in effects and not tolerations_tolerate(tolerations, taint):
            return taint
    return None


def toleration_matches(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Same key, effect, operator and value (``Toleration.MatchToleration``): the same
    toleration, whatever its ``tolerationSeconds``."""
    return all((a.get(k) or "") == (b.get(k) or "") for k in ("key", "effect", "operator", "value"))


def matching_tolerations(
    taints: Sequence[Mapping[str, Any]], tolerations: Sequence[Mapping[str, Any]]
) -> list[Mapping[str, Any]] | None:
    """For each taint, the first toleration that tolerates it; None when some
    taint is tolerated by none (``v1helper.GetMatchingTolerations``).

    >>> unreachable = {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}
    >>> matching_tolerations([unreachable], [{"operator": "Exists"}])
    [{'operator': 'Exists'}]
    >>> matching_tolerations([unreachable], []) is None
    True
    """
    used: list[Mapping[str, Any]] = []
    for taint in taints:
        match = next((t for t in tolerations if tolerates(t, taint)), None)
        if match is None:
            return None
        used.append(match)
    return used


def min_toleration_seconds(tolerations: Sequence[Mapping[str, Any]]) -> float | None:
    """How long the pod may stay: the smallest ``tolerationSeconds`` (0 when one is
    not positive, or when there is no toleration at all), None for "forever"
    when none sets a limit (taint eviction's ``getMinTolerationTime``).

    >>> min_toleration_seconds([{"tolerationSeconds": 300}, {"tolerationSeconds": 30}])
    30
    >>> min_toleration_seconds([{"operator": "Exists"}]) is None
    True
    """
    if not tolerations:
        return 0
    smallest: int | None = None
    for toleration in tolerations:
        seconds = toleration.get("tolerationSeconds")
        if not isinstance(seconds, int) or isinstance(seconds, bool):
            continue
        if seconds <= 0:
            return 0
        if smallest is None or seconds < smallest:
            smallest = seconds
    return smallest


def same_taint(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether two taints are the same taint: same key and effect (``Taint.MatchTaint``)."""
    return a.get("key") == b.get("key") and a.get("effect") == b.get("effect")


def taint_exists(taints: Iterable[Mapping[str, Any]], taint: Mapping[str, Any]) -> bool:
    """Whether ``taints`` has a taint with ``taint``'s key and effect."""
    return any(same_taint(existing, taint) for existing in taints)
