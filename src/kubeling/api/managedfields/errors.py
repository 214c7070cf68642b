"""The error a server-side apply raises when it would take fields from other managers.

Its message is Kubernetes' (``getConflictMessage`` in apimachinery's
``managedfields/internal/conflict.go``), because ``kubectl apply
--server-side`` prints it as is (one line)::

    Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1:
    .spec.replicas

With more than one, conflicts are grouped by manager, managers sorted by
their identifier (the JSON of name, operation, apiVersion for updaters and
subresource), each path on its own line::

    Apply failed with 2 conflicts: conflicts with "a" using apps/v1:
    - .spec.replicas
    - .spec.paused

A manager prints as its quoted name, then ``with subresource "status"`` when
it wrote through one, then ``using <apiVersion>`` when its operation was
Update. The apiserver turns this into a 409 Conflict Status, reason
``Conflict``, with one ``FieldManagerConflict`` cause per path
(:meth:`ApplyConflict.causes`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = ["ApplyConflict", "Conflict"]


@dataclass(frozen=True, slots=True)
class Conflict:
    """One field (rendered as ``.spec.replicas``) owned by another manager."""

    manager: str
    path: str
    operation: str = "Update"
    api_version: str = ""
    subresource: str = ""

    def identifier(self) -> str:
        """The manager's identity as Kubernetes encodes it (JSON, Go field order)."""
        ident: dict[str, str] = {"manager": self.manager, "operation": self.operation}
        if self.operation != "Apply" and self.api_version:
            ident["apiVersion"] = self.api_version
        if self.subresource:
            ident["subresource"] = self.subresource
        return json.dumps(ident, separators=(",", ":"), ensure_ascii=False)

    def who(self) -> str:
        """The manager as messages print it: ``"kubectl" using apps/v1``."""
        text = json.dumps(self.manager, ensure_ascii=False)
        if self.subresource:
            text += f" with subresource {json.dumps(self.subresource, ensure_ascii=False)}"
        if self.operation == "Update":
            text += f" using {self.api_version}"
        return text


def _message(conflicts: list[Conflict]) -> str:
    if len(conflicts) == 1:
        only = conflicts[0]
        return f"Apply failed with 1 conflict: conflict with {only.who()}: {only.path}"
    by_manager: dict[str, list[Conflict]] = {}
    for conflict in conflicts:
        by_manager.setdefault(conflict.identifier(), []).append(conflict)
    lines: list[str] = []
    for ident in sorted(by_manager):
        group = by_manager[ident]
        lines.append(f"conflicts with {group[0].who()}:")
        lines.extend(f"- {c.path}" for c in group)
    return f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)


class ApplyConflict(Exception):
    """An apply, without force, would change fields other managers own."""

    def __init__(self, conflicts: list[Conflict]) -> None:
        if not conflicts:
            raise ValueError("ApplyConflict needs at least one conflict")
        self.conflicts = list(conflicts)
        super().__init__(_message(self.conflicts))

    def causes(self) -> list[dict[str, Any]]:
        """The Status ``details.causes``: one ``FieldManagerConflict`` per field."""
        return [
            {"type": "FieldManagerConflict", "message": f"conflict with {c.who()}", "field": c.path}
            for c in self.conflicts
        ]
