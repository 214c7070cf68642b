"""A CustomResourceDefinition's status conditions, as ``apihelpers`` handles them.

A CRD carries up to three conditions, each written by one controller:

- ``NamesAccepted`` (naming controller): its names do not clash with another
  CRD of the same group;
- ``Established`` (establishing controller): the resource is served and in
  discovery;
- ``Terminating`` (the delete itself, then the finalizing controller): the
  CRD is being deleted and its custom resources with it.

Conditions are plain dicts (``type``, ``status``, ``lastTransitionTime``,
``reason``, ``message``, in the order Kubernetes writes them). Setting one
keeps its ``lastTransitionTime`` unless its status flips, as
``SetCRDCondition`` does; equivalence ignores the time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = [
    "CLEANUP_FINALIZER",
    "ESTABLISHED",
    "NAMES_ACCEPTED",
    "TERMINATING",
    "condition",
    "equivalent",
    "find",
    "is_true",
    "set_condition",
]

Obj = dict[str, Any]

NAMES_ACCEPTED: Final = "NamesAccepted"
ESTABLISHED: Final = "Established"
TERMINATING: Final = "Terminating"

#: Held by a deleted CRD until every custom resource of it is gone.
CLEANUP_FINALIZER: Final = "customresourcecleanup.apiextensions.k8s.io"


def condition(kind: str, status: str, reason: str, message: str) -> Obj:
    """A condition without its transition time (``set_condition`` adds it)."""
    return {"type": kind, "status": status, "reason": reason, "message": message}


def _conditions(crd: Mapping[str, Any]) -> list[Any]:
    status = crd.get("status")
    found = status.get("conditions") if isinstance(status, Mapping) else None
    return found if isinstance(found, list) else []


def find(crd: Mapping[str, Any], kind: str) -> Obj | None:
    """The condition of type ``kind``, or None."""
    for entry in _conditions(crd):
        if isinstance(entry, dict) and entry.get("type") == kind:
            return entry
    return None


def is_true(crd: Mapping[str, Any], kind: str) -> bool:
    """Whether the condition ``kind`` is present with status True."""
    found = find(crd, kind)
    return found is not None and found.get("status") == "True"


def equivalent(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    """Same type, status, reason and message (the time does not count).

    >>> equivalent(condition("A", "True", "R", "m"), {**condition("A", "True", "R", "m"),
    ...     "lastTransitionTime": "2024-01-01T00:00:00Z"})
    True
    """
    if a is None or b is None:
        return a is b
    return all(a.get(k) == b.get(k) for k in ("type", "status", "reason", "message"))


def set_condition(crd: Obj, new: Mapping[str, Any], *, now: str) -> None:
    """Add or update ``new`` in ``crd``'s status, in place.

    The transition time moves only when the status changes (or was never set).
    """
    status = crd.get("status")
    if not isinstance(status, dict):
        status = crd["status"] = {}
    conditions = status.get("conditions")
    if not isinstance(conditions, list):
        conditions = status["conditions"] = []
    existing = find(crd, str(new["type"]))
    if existing is None:
        conditions.append(
            {
                "type": new["type"],
                "status": new["status"],
                "lastTransitionTime": now,
                "reason": new.get("reason", ""),
                "message": new.get("message", ""),
            }
        )
        return
    if existing.get("status") != new["status"] or not existing.get("lastTransitionTime"):
        existing["lastTransitionTime"] = now
    existing["status"] = new["status"]
    existing["reason"] = new.get("reason", "")
    existing["message"] = new.get("message", "")
