"""Nodes: cluster-scoped, created with their status, taints validated.

Kubelets register a Node with its status already filled in, so unlike most
resources with a ``/status`` subresource the status written on create is kept.
``spec.podCIDR(s)`` and ``spec.providerID`` may be set once, never changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubeling.api import naming
from kubeling.api.field import (
    FieldError,
    FieldErrorType,
    FieldPath,
    forbidden,
    invalid,
)
from kubeling.apiserver.rest.strategy import Strategy
from kubeling.apiserver.strategies._checks import (
    TAINT_EFFECTS,
    as_list,
    as_map,
    required_one_of,
)

__all__ = ["NodeStrategy", "validate_taints"]

Obj = dict[str, Any]


def validate_taints(taints: list[Any], path: FieldPath) -> list[FieldError]:
    """Key, value and effect of each taint; (key, effect) pairs unique."""
    errs: list[FieldError] = []
    seen: set[tuple[str, str]] = set()
    for i, taint in enumerate(taints):
        here = path.index(i)
        body = as_map(taint)
        key = str(body.get("key") or "")
        errs.extend(invalid(here.child("key"), key, m) for m in naming.is_qualified_name(key))
        value = str(body.get("value") or "")
        problems = naming.is_valid_label_value(value)
        if problems:
            errs.append(invalid(here.child("value"), value, ";".join(problems)))
        effect = str(body.get("effect") or "")
        errs.extend(required_one_of(effect, here.child("effect"), TAINT_EFFECTS))
        if (key, effect) in seen:
            errs.append(
                FieldError(
                    FieldErrorType.DUPLICATE,
                    str(here),
                    dict(body),
                    "taints must be unique by key and effect pair",
                )
            )
            continue
        seen.add((key, effect))
    return errs


class NodeStrategy(Strategy):
    """``nodes``: status kept on create, taints, set-once podCIDR and providerID."""

    has_status_subresource = True

    def default(self, obj: Obj) -> None:
        status = obj.get("status")
        if isinstance(status, dict) and status.get("capacity") and not status.get("allocatable"):
            status["allocatable"] = dict(status["capacity"])

    def prepare_for_create(self, obj: Obj) -> None:
        status = obj.get("status")
        super().prepare_for_create(obj)
        if status is not None:
            obj["status"] = status

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = self.validate_metadata(obj, namespaced=namespaced)
        spec = as_map(obj.get("spec"))
        errs.extend(validate_taints(as_list(spec.get("taints")), FieldPath("spec", "taints")))
        return errs

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        errs = self.validate(new, namespaced=namespaced)
        new_spec, old_spec = as_map(new.get("spec")), as_map(old.get("spec"))
        old_cidrs = as_list(old_spec.get("podCIDRs"))
        if old_cidrs and as_list(new_spec.get("podCIDRs")) != old_cidrs:
            errs.append(
                forbidden(
                    FieldPath("spec", "podCIDRs"),
                    'node updates may not change podCIDR except from "" to valid',
                )
            )
        old_provider = old_spec.get("providerID")
        if old_provider and new_spec.get("providerID") != old_provider:
            errs.append(
                forbidden(
                    FieldPath("spec", "providerID"),
                    'node updates may not change providerID except from "" to valid',
                )
            )
        return errs

    def field_set(self, obj: Mapping[str, Any], *, namespaced: bool) -> dict[str, str]:
        fields = super().field_set(obj, namespaced=namespaced)
        unschedulable = as_map(obj.get("spec")).get("unschedulable") is True
        fields["spec.unschedulable"] = "true" if unschedulable else "false"
        return fields
