"""Rules of admissionregistration.k8s.io objects, validated as Kubernetes 1.32 does
(``validateRuleWithOperations`` and ``validateResources`` of
``pkg/apis/admissionregistration/validation``), shared by the webhook configurations and
the admission policies (and their bindings' match resources).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from kubeling.api.field import FieldError, FieldPath, invalid, not_supported, required
from kubeling.apiserver.strategies._checks import as_list, go_string_slice

__all__ = ["OPERATIONS", "SCOPES", "resources_errors", "rule_with_operations_errors"]

OPERATIONS: Final = ("*", "CONNECT", "CREATE", "DELETE", "UPDATE")
SCOPES: Final = ("*", "Cluster", "Namespaced")
_OPERATION_TYPE: Final = "admissionregistration.OperationType"


def _strings(value: object) -> list[str]:
    return [str(v) for v in as_list(value)]


def resources_errors(resources: list[str], path: FieldPath) -> list[FieldError]:
    """``validateResources``: the resources of one rule, subresources allowed."""
    errs: list[FieldError] = []
    if not resources:
        errs.append(required(path))
    wildcard_subresources: set[str] = set()  # x/*
    wildcard_resources: set[str] = set()  # */x
    has_double = has_single = has_plain = False
    for i, entry in enumerate(resources):
        if entry == "":
            errs.append(required(path.index(i)))
            continue
        has_double = has_double or entry == "*/*"
        has_single = has_single or entry == "*"
        resource, slash, sub = entry.partition("/")
        if not slash:
            has_plain = entry != "*"
            continue
        if resource in wildcard_subresources:
            errs.append(
                invalid(
                    path.index(i), entry, f"if '{resource}/*' is present, must not specify {entry}"
                )
            )
        if sub in wildcard_resources:
            errs.append(
                invalid(path.index(i), entry, f"if '*/{sub}' is present, must not specify {entry}")
            )
        if sub == "*":
            wildcard_subresources.add(resource)
        if resource == "*":
            wildcard_resources.add(sub)
    if len(resources) > 1 and has_double:
        errs.append(
            invalid(
                path,
                go_string_slice(resources),
                "if '*/*' is present, must not specify other resources",
            )
        )
    if has_single and has_plain:
        errs.append(
            invalid(
                path,
                go_string_slice(resources),
                "if '*' is present, must not specify other resources without subresources",
            )
        )
    return errs


def rule_with_operations_errors(rule: Mapping[str, Any], path: FieldPath) -> list[FieldError]:
    """``validateRuleWithOperations``: operations, API groups and versions, resources, scope."""
    errs: list[FieldError] = []
    operations = _strings(rule.get("operations"))
    if not operations:
        errs.append(required(path.child("operations")))
    if len(operations) > 1 and "*" in operations:
        errs.append(
            invalid(
                path.child("operations"),
                go_string_slice(operations, _OPERATION_TYPE),
                "if '*' is present, must not specify other operations",
            )
        )
    for i, operation in enumerate(operations):
        if operation not in OPERATIONS:
            errs.append(not_supported(path.child("operations").index(i), operation, OPERATIONS))
    groups = _strings(rule.get("apiGroups"))
    if not groups:
        errs.append(required(path.child("apiGroups")))
    if len(groups) > 1 and "*" in groups:
        errs.append(
            invalid(
                path.child("apiGroups"),
                go_string_slice(groups),
                "if '*' is present, must not specify other API groups",
            )
        )
    versions = _strings(rule.get("apiVersions"))
    if not versions:
        errs.append(required(path.child("apiVersions")))
    if len(versions) > 1 and "*" in versions:
        errs.append(
            invalid(
                path.child("apiVersions"),
                go_string_slice(versions),
                "if '*' is present, must not specify other API versions",
            )
        )
    for i, version in enumerate(versions):
        if not version:
            errs.append(required(path.child("apiVersions").index(i)))
    errs.extend(resources_errors(_strings(rule.get("resources")), path.child("resources")))
    scope = rule.get("scope")
    if scope is not None and scope not in SCOPES:
        errs.append(not_supported(path.child("scope"), scope, SCOPES))
    return errs
