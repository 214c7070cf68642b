"""The conditions a terminating namespace reports while its content is deleted.

Kubernetes' namespace deleter (``status_condition_utils.go``) keeps five
conditions on a terminating namespace, each ``True`` with a failure reason
while something is wrong and ``False`` with an "ok" reason otherwise, so that
``kubectl describe namespace`` tells why a namespace is stuck:

======================================== ============================ ======================
type                                     reason when True             reason when False
======================================== ============================ ======================
NamespaceDeletionDiscoveryFailure        DiscoveryFailed              ResourcesDiscovered
NamespaceDeletionGroupVersionParsingFailure GroupVersionParsingFailed ParsedGroupVersions
NamespaceDeletionContentFailure          ContentDeletionFailed        ContentDeleted
NamespaceContentRemaining                SomeResourcesRemain          ContentRemoved
NamespaceFinalizersRemaining             SomeFinalizerRemain          ContentRemoved
======================================== ============================ ======================

A condition's ``lastTransitionTime`` changes only when its status flips.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = ["CONDITION_TYPES", "NamespaceConditionUpdater"]

Obj = dict[str, Any]

DISCOVERY_FAILURE: Final = "NamespaceDeletionDiscoveryFailure"
GROUP_VERSION_PARSING_FAILURE: Final = "NamespaceDeletionGroupVersionParsingFailure"
CONTENT_FAILURE: Final = "NamespaceDeletionContentFailure"
CONTENT_REMAINING: Final = "NamespaceContentRemaining"
FINALIZERS_REMAINING: Final = "NamespaceFinalizersRemaining"

#: The conditions the deleter maintains, in the order it writes them.
CONDITION_TYPES: Final = (
    DISCOVERY_FAILURE,
    GROUP_VERSION_PARSING_FAILURE,
    CONTENT_FAILURE,
    CONTENT_REMAINING,
    FINALIZERS_REMAINING,
)

_OK: Final[Mapping[str, tuple[str, str]]] = {
    DISCOVERY_FAILURE: ("ResourcesDiscovered", "All resources successfully discovered"),
    GROUP_VERSION_PARSING_FAILURE: (
        "ParsedGroupVersions",
        "All legacy kube types successfully parsed",
    ),
    CONTENT_FAILURE: (
        "ContentDeleted",
        "All content successfully deleted, may be waiting on finalization",
    ),
    CONTENT_REMAINING: ("ContentRemoved", "All content successfully removed"),
    FINALIZERS_REMAINING: ("ContentRemoved", "All content successfully removed"),
}


@dataclass
class NamespaceConditionUpdater:
    """Collects what went wrong during one deletion pass, then writes the conditions.

    ``now`` is the timestamp (``metav1.Time``) given to conditions that change status.
    """

    now: str
    _failures: dict[str, Obj] = field(default_factory=dict)
    _content_errors: list[str] = field(default_factory=list)

    def _fail(self, type_: str, reason: str, message: str) -> None:
        self._failures[type_] = {
            "type": type_,
            "status": "True",
            "lastTransitionTime": self.now,
            "reason": reason,
            "message": message,
        }

    def discovery_failed(self, message: str, *, failed_groups: int | None = None) -> None:
        """Discovery could not read everything (``failed_groups`` of them, when known)."""
        if failed_groups is not None:
            message = f"Discovery failed for some groups, {failed_groups} failing: {message}"
        self._fail(DISCOVERY_FAILURE, "DiscoveryFailed", message)

    def group_version_failed(self, message: str) -> None:
        """A discovered group/version could not be parsed."""
        self._fail(GROUP_VERSION_PARSING_FAILURE, "GroupVersionParsingFailed", message)

    def content_deletion_failed(self, message: str) -> None:
        """Deleting one resource's objects failed (collected: one condition for all)."""
        self._content_errors.append(message)

    def content_totals(self, remaining: Mapping[str, int], finalizers: Mapping[str, int]) -> None:
        """What is left: objects per resource (``"pods."``: resource.group) and per
        finalizer."""
        resources = sorted(
            f"{resource} has {count} resource instances"
            for resource, count in remaining.items()
            if count
        )
        if remaining:
            self._fail(
                CONTENT_REMAINING,
                "SomeResourcesRemain",
                f"Some resources are remaining: {', '.join(resources)}",
            )
        held = sorted(
            f"{finalizer} in {count} resource instances"
            for finalizer, count in finalizers.items()
            if count
        )
        if finalizers:
            self._fail(
                FINALIZERS_REMAINING,
                "SomeFinalizerRemain",
                f"Some finalizers are remaining: {', '.join(held)}",
            )

    def update(self, status: Obj) -> bool:
        """Write the five conditions into a namespace's ``status`` (in place);
        True when anything changed."""
        if CONTENT_FAILURE not in self._failures and self._content_errors:
            messages = sorted(self._content_errors)
            self._fail(
                CONTENT_FAILURE,
                "ContentDeletionFailed",
                f"Failed to delete all resource types, {len(messages)} remaining: "
                + ", ".join(messages),
            )
        conditions: list[Obj] = status.setdefault("conditions", [])
        changed = False
        for type_ in CONDITION_TYPES:
            wanted = self._failures.get(type_) or self._ok(type_)
            current = next((c for c in conditions if c.get("type") == type_), None)
            if current is None:
                conditions.append(wanted)
                changed = True
                continue
            if any(current.get(k) != wanted[k] for k in ("status", "reason", "message")):
                if current.get("status") != wanted["status"]:
                    current["lastTransitionTime"] = self.now
                current.update({k: wanted[k] for k in ("status", "reason", "message")})
                changed = True
        return changed

    def _ok(self, type_: str) -> Obj:
        reason, message = _OK[type_]
        return {
            "type": type_,
            "status": "False",
            "lastTransitionTime": self.now,
            "reason": reason,
            "message": message,
        }
