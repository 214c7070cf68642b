"""Reconciling a default role or binding with what is stored: Kubernetes' ``reconciliation``.

At every start the API server compares each object of the bootstrap policy
with the stored one, in "union" mode (what ``EnsureRBACPolicy`` uses):

- missing object: create it;
- labels and annotations: add the missing ones (stored values win);
- rules: add the default's rules the stored ones do not cover, as atomic
  rules; never remove one; an aggregated role's rules are the aggregation
  controller's business (a default aggregated role has none of its own);
- aggregation selectors: add missing ones; drop the aggregation rule of a
  role the defaults do not aggregate;
- binding subjects: add missing ones; a binding whose roleRef changed (it
  cannot be updated) is deleted and created again;
- an object annotated ``rbac.authorization.kubernetes.io/autoupdate:
  "false"`` is left exactly as it is.

These functions only decide; ``authz.bootstrap`` writes.

>>> get_pods = {"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}
>>> expected = {"metadata": {"name": "r"}, "rules": [get_pods]}
>>> reconcile_role({"metadata": {"name": "r"}}, expected).operation
<Operation.UPDATE: 'update'>
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kubeling.api.equality import semantic_equal
from kubeling.apiserver.authz.coverage import covers
from kubeling.apiserver.authz.rules import rules_from_json

__all__ = [
    "AUTOUPDATE_ANNOTATION",
    "Operation",
    "Reconciled",
    "reconcile_binding",
    "reconcile_role",
]

AUTOUPDATE_ANNOTATION: Final = "rbac.authorization.kubernetes.io/autoupdate"

Obj = dict[str, Any]


class Operation(enum.Enum):
    NONE = "none"
    CREATE = "create"
    UPDATE = "update"
    RECREATE = "recreate"


@dataclass(frozen=True, slots=True)
class Reconciled:
    """What to do, and the object to write; ``protected`` objects are never written."""

    operation: Operation
    obj: Obj
    protected: bool = False


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _protected(existing: Mapping[str, Any]) -> bool:
    annotations = _meta(existing).get("annotations") or {}
    return annotations.get(AUTOUPDATE_ANNOTATION) == "false"


def _merge_metadata(result: Obj, existing: Mapping[str, Any], expected: Mapping[str, Any]) -> bool:
    """Add the expected labels and annotations (existing values win); whether any was added."""
    changed = False
    meta = result.setdefault("metadata", {})
    for key in ("annotations", "labels"):
        current = dict(_meta(existing).get(key) or {})
        merged = {**(_meta(expected).get(key) or {}), **current}
        if merged != current:
            changed = True
        if merged:
            meta[key] = merged
    return changed


def _selectors(role: Mapping[str, Any]) -> list[Any] | None:
    rule = role.get("aggregationRule")
    if not isinstance(rule, Mapping):
        return None
    return list(rule.get("clusterRoleSelectors") or [])


def _without(items: Sequence[Any], others: Sequence[Any]) -> list[Any]:
    return [item for item in items if not any(semantic_equal(item, o) for o in others)]


def reconcile_role(existing: Mapping[str, Any] | None, expected: Mapping[str, Any]) -> Reconciled:
    """``computeReconciledRole`` for a Role or ClusterRole, in union mode."""
    if existing is None:
        return Reconciled(Operation.CREATE, copy.deepcopy(dict(expected)))
    result: Obj = copy.deepcopy(dict(existing))
    changed = _merge_metadata(result, existing, expected)
    have = rules_from_json(existing.get("rules"))
    _, missing = covers(list(have), rules_from_json(expected.get("rules")))
    if missing:
        result["rules"] = [*(existing.get("rules") or []), *(r.to_json() for r in missing)]
        changed = True
    existing_selectors, expected_selectors = _selectors(existing), _selectors(expected)
    if expected_selectors is None and existing_selectors is not None:
        result.pop("aggregationRule", None)  # the defaults do not aggregate this role
        changed = True
    elif expected_selectors is not None:
        missing_selectors = _without(expected_selectors, existing_selectors or [])
        if missing_selectors:
            result["aggregationRule"] = {
                "clusterRoleSelectors": [*(existing_selectors or []), *missing_selectors]
            }
            changed = True
    return Reconciled(
        Operation.UPDATE if changed else Operation.NONE, result, protected=_protected(existing)
    )


def _subject_key(subject: Mapping[str, Any]) -> tuple[str, str, str, str]:
    return (
        str(subject.get("kind") or ""),
        str(subject.get("apiGroup") or ""),
        str(subject.get("name") or ""),
        str(subject.get("namespace") or ""),
    )


def reconcile_binding(
    existing: Mapping[str, Any] | None, expected: Mapping[str, Any]
) -> Reconciled:
    """``computeReconciledRoleBinding`` for a RoleBinding or ClusterRoleBinding, in union mode."""
    if existing is None:
        return Reconciled(Operation.CREATE, copy.deepcopy(dict(expected)))
    protected = _protected(existing)
    if not semantic_equal(existing.get("roleRef"), expected.get("roleRef")):
        return Reconciled(Operation.RECREATE, copy.deepcopy(dict(expected)), protected=protected)
    result: Obj = copy.deepcopy(dict(existing))
    changed = _merge_metadata(result, existing, expected)
    have = list(existing.get("subjects") or [])
    known = {_subject_key(s) for s in have}
    missing = [s for s in expected.get("subjects") or [] if _subject_key(s) not in known]
    if missing:
        result["subjects"] = [*have, *missing]
        changed = True
    return Reconciled(Operation.UPDATE if changed else Operation.NONE, result, protected=protected)
