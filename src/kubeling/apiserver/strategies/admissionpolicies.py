"""ValidatingAdmissionPolicies and their bindings: defaults and validation.

As Kubernetes' ``pkg/apis/admissionregistration`` (defaults and
``validation.ValidateValidatingAdmissionPolicy``):

Defaults: a policy's ``failurePolicy`` is ``Fail``; every MatchResources
(the policy's ``matchConstraints``, a binding's ``matchResources``) gets
``matchPolicy: Equivalent`` and empty (match-all) namespace and object
selectors; every rule gets ``scope: "*"``.

Policy rules, each reported with its field path:

1. ``failurePolicy`` is Fail or Ignore; ``paramKind`` has a valid
   ``apiVersion`` (a DNS subdomain group, a DNS-1035 version) and ``kind``;
2. ``matchConstraints`` is required, with at least one resource rule; each
   rule has operations, apiGroups, apiVersions and resources that are valid
   together (``*`` alone, no ``pods/*`` with ``pods/status``...); selectors
   are valid;
3. ``matchConditions`` (at most 64): unique qualified names, expressions
   that compile to bool;
4. ``variables``: CEL identifiers as names, expressions that compile;
5. at least one of ``validations`` and ``auditAnnotations``; a validation's
   expression compiles to bool, its messageExpression to string, its message
   is one line, its reason is Forbidden, Invalid, RequestEntityTooLarge or
   Unauthorized; an audit annotation (at most 20) has a unique key that makes
   ``<policy name>/<key>`` a qualified name and a valueExpression (at most
   5 KiB) that compiles to string or null.

Binding rules: ``policyName`` a DNS subdomain; ``paramRef`` has exactly one
of ``name`` and ``selector`` and a ``parameterNotFoundAction`` (Allow or
Deny); ``matchResources`` as above (reported under Kubernetes' misspelt
``spec.matchResouces``); ``validationActions`` has at least one of Deny,
Warn and Audit, without repeats, and not both Deny and Warn.

Expressions that do not compile are refused with cel-go's message, e.g.
``spec.validations[0].expression: Invalid value: "object.x <": compilation
failed: ERROR: <input>:1:11: Syntax error: ...``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from kubeling.api import naming
from kubeling.api.cel.lexer import LITERAL_WORDS, RESERVED
from kubeling.api.field import (
    FieldError,
    FieldPath,
    duplicate,
    forbidden,
    invalid,
    not_supported,
    required,
    too_many,
)
from kubeling.api.labels import validate_label_selector
from kubeling.apiserver.admission.policy.expressions import (
    CompiledPolicyExpressions,
    compile_policy_expressions,
)
from kubeling.apiserver.rest.strategy import Strategy
from kubeling.apiserver.strategies._checks import as_list, as_map, as_strings, go_string_slice
from kubeling.apiserver.strategies.admission_rules import rule_with_operations_errors

__all__ = ["ValidatingAdmissionPolicyBindingStrategy", "ValidatingAdmissionPolicyStrategy"]

Obj = dict[str, Any]

_FAILURE_POLICIES: Final = ("Fail", "Ignore")
_MATCH_POLICIES: Final = ("Equivalent", "Exact")
_REASONS: Final = ("Forbidden", "Invalid", "RequestEntityTooLarge", "Unauthorized")
_ACTIONS: Final = ("Audit", "Deny", "Warn")
_NOT_FOUND_ACTIONS: Final = ("Deny", "Allow")
_MAX_MATCH_CONDITIONS: Final = 64
_MAX_AUDIT_ANNOTATIONS: Final = 20
_MAX_VALUE_EXPRESSION: Final = 5 * 1024
_CEL_IDENTIFIER: Final = re.compile(r"^[_a-zA-Z][_a-zA-Z0-9]*$")


# -- defaults -------------------------------------------------------------------


def _default_rules(rules: object) -> None:
    for rule in as_list(rules):
        if isinstance(rule, dict) and rule.get("scope") is None:
            rule["scope"] = "*"


def default_match_resources(resources: object) -> None:
    """Fill in a MatchResources' defaults in place."""
    if not isinstance(resources, dict):
        return
    resources.setdefault("matchPolicy", "Equivalent")
    if resources.get("namespaceSelector") is None:
        resources["namespaceSelector"] = {}
    if resources.get("objectSelector") is None:
        resources["objectSelector"] = {}
    _default_rules(resources.get("resourceRules"))
    _default_rules(resources.get("excludeResourceRules"))


# -- shared checks --------------------------------------------------------------


def _rule_errors(rule: Mapping[str, Any], path: FieldPath) -> list[FieldError]:
    """``validateNamedRuleWithOperations``: resource names, then the rule itself."""
    errs: list[FieldError] = []
    names = as_strings(rule.get("resourceNames"))
    seen: set[str] = set()
    for i, name in enumerate(names):
        here = path.child("resourceNames").index(i)
        problems = naming.path_segment_name(name, prefix=False)
        errs.extend(invalid(here, name, msg) for msg in problems)
        if name in seen:
            errs.append(duplicate(here, name))
        seen.add(name)
    errs.extend(rule_with_operations_errors(rule, path))
    return errs


def match_resources_errors(resources: object, path: FieldPath) -> list[FieldError]:
    """``validateMatchResources``: nothing to check when absent."""
    if not isinstance(resources, Mapping):
        return []
    errs: list[FieldError] = []
    policy = resources.get("matchPolicy")
    if policy is None:
        errs.append(required(path.child("matchPolicy")))
    elif policy not in _MATCH_POLICIES:
        errs.append(not_supported(path.child("matchPolicy"), policy, _MATCH_POLICIES))
    for key in ("namespaceSelector", "objectSelector"):
        selector = resources.get(key)
        if selector is None:
            errs.append(required(path.child(key)))
        else:
            errs.extend(validate_label_selector(as_map(selector), path.child(key)))
    for key in ("resourceRules", "excludeResourceRules"):
        for i, rule in enumerate(as_list(resources.get(key))):
            errs.extend(_rule_errors(as_map(rule), path.child(key).index(i)))
    return errs


def _qualified_name_errors(value: str, path: FieldPath) -> list[FieldError]:
    return [invalid(path, value, msg) for msg in naming.is_qualified_name(value)]


# -- the policy ----------------------------------------------------------------


def _param_kind_errors(param_kind: Mapping[str, Any], path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    api_version = str(param_kind.get("apiVersion") or "")
    here = path.child("apiVersion")
    if not api_version:
        errs.append(required(here))
    elif api_version.count("/") > 1:
        errs.append(invalid(here, api_version, f"unexpected GroupVersion string: {api_version}"))
    elif api_version != "/":
        group, _, version = api_version.rpartition("/")
        if group:
            problems = naming.is_dns1123_subdomain(group)
            if problems:
                errs.append(invalid(here, group, ",".join(problems)))
        if not version:
            errs.append(invalid(here, api_version, "version must be specified"))
        else:
            problems = naming.is_dns1035_label(version)
            if problems:
                errs.append(invalid(here, version, ",".join(problems)))
    kind = str(param_kind.get("kind") or "")
    if not kind:
        errs.append(required(path.child("kind")))
    else:
        problems = naming.is_dns1035_label(kind.lower())
        if problems:
            errs.append(
                invalid(
                    path.child("kind"),
                    kind,
                    "may have mixed case, but should otherwise match: " + ",".join(problems),
                )
            )
    return errs


def _match_condition_errors(
    conditions: list[Any], compiled: CompiledPolicyExpressions, path: FieldPath
) -> list[FieldError]:
    errs: list[FieldError] = []
    if len(conditions) > _MAX_MATCH_CONDITIONS:
        errs.append(too_many(path, len(conditions), _MAX_MATCH_CONDITIONS))
    names: set[str] = set()
    for i, raw in enumerate(conditions):
        condition = as_map(raw)
        here = path.index(i)
        expression = str(condition.get("expression") or "")
        if not expression.strip():
            errs.append(required(here.child("expression")))
        elif compiled.match_conditions[i][1].error:
            errs.append(
                invalid(
                    here.child("expression"),
                    expression.strip(),
                    compiled.match_conditions[i][1].error,
                )
            )
        name = str(condition.get("name") or "")
        if not name:
            errs.append(required(here.child("name")))
        else:
            errs.extend(_qualified_name_errors(name, here.child("name")))
            if name in names:
                errs.append(duplicate(here.child("name"), name))
            names.add(name)
    return errs


def _variable_errors(
    variables: list[Any], compiled: CompiledPolicyExpressions, path: FieldPath
) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, raw in enumerate(variables):
        variable = as_map(raw)
        here = path.index(i)
        name = str(variable.get("name") or "")
        if not name.strip():
            errs.append(required(here.child("name"), "name is not specified"))
        elif not _CEL_IDENTIFIER.match(name) or name in LITERAL_WORDS or name in RESERVED:
            errs.append(invalid(here.child("name"), name, "name is not a valid CEL identifier"))
        expression = str(variable.get("expression") or "")
        if not expression.strip():
            errs.append(required(here.child("expression"), "expression is not specified"))
        elif error := compiled.variables[i][1].error:
            errs.append(invalid(here.child("expression"), expression, error))
    return errs


def _validation_errors(
    validations: list[Any], compiled: CompiledPolicyExpressions, path: FieldPath
) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, raw in enumerate(validations):
        validation = as_map(raw)
        result = compiled.validations[i]
        here = path.index(i)
        expression = str(validation.get("expression") or "")
        if not expression.strip():
            errs.append(required(here.child("expression"), "expression is not specified"))
        elif result.expression.error:
            errs.append(invalid(here.child("expression"), expression, result.expression.error))
        message_expression = str(validation.get("messageExpression") or "")
        if message_expression and not message_expression.strip():
            errs.append(
                invalid(
                    here.child("messageExpression"),
                    message_expression,
                    "must be non-empty if specified",
                )
            )
        elif result.message_expression is not None and result.message_expression.error:
            errs.append(
                invalid(
                    here.child("messageExpression"),
                    message_expression,
                    result.message_expression.error,
                )
            )
        message = str(validation.get("message") or "")
        if message and not message.strip():
            errs.append(
                invalid(here.child("message"), message, "message must be non-empty if specified")
            )
        elif "\n" in message.strip() or "\r" in message.strip():
            errs.append(
                invalid(here.child("message"), message, "message must not contain line breaks")
            )
        reason = validation.get("reason")
        if reason is not None and reason not in _REASONS:
            errs.append(not_supported(here.child("reason"), reason, _REASONS))
    return errs


def _audit_annotation_errors(
    annotations: list[Any],
    compiled: CompiledPolicyExpressions,
    policy_name: str,
    path: FieldPath,
) -> list[FieldError]:
    errs: list[FieldError] = []
    if len(annotations) > _MAX_AUDIT_ANNOTATIONS:
        errs.append(
            invalid(
                path,
                annotations,
                f"must not have more than {_MAX_AUDIT_ANNOTATIONS} auditAnnotations",
            )
        )
    keys: set[str] = set()
    for i, raw in enumerate(annotations):
        annotation = as_map(raw)
        here = path.index(i)
        key = str(annotation.get("key") or "")
        if policy_name:
            errs.extend(_qualified_name_errors(f"{policy_name}/{key}", here.child("key")))
        else:
            errs.append(invalid(here.child("key"), key, "requires metadata.name be non-empty"))
        value = str(annotation.get("valueExpression") or "")
        if not value.strip():
            errs.append(required(here.child("valueExpression"), "valueExpression is not specified"))
        elif len(value.strip()) > _MAX_VALUE_EXPRESSION:
            errs.append(
                required(
                    here.child("valueExpression"),
                    f"must not exceed {_MAX_VALUE_EXPRESSION} bytes in length",
                )
            )
        elif error := compiled.audit_annotations[i][1].error:
            errs.append(invalid(here.child("valueExpression"), value, error))
        if key in keys:
            errs.append(duplicate(here.child("key"), key))
        keys.add(key)
    return errs


def policy_spec_errors(spec: Mapping[str, Any], policy_name: str) -> list[FieldError]:
    """Every field error of a ValidatingAdmissionPolicy's spec (rules 1-5)."""
    path = FieldPath("spec")
    errs: list[FieldError] = []
    failure_policy = spec.get("failurePolicy")
    if failure_policy is None:
        errs.append(required(path.child("failurePolicy")))
    elif failure_policy not in _FAILURE_POLICIES:
        errs.append(not_supported(path.child("failurePolicy"), failure_policy, _FAILURE_POLICIES))
    param_kind = spec.get("paramKind")
    if isinstance(param_kind, Mapping):
        errs.extend(_param_kind_errors(param_kind, path.child("paramKind")))
    constraints = spec.get("matchConstraints")
    if not isinstance(constraints, Mapping):
        errs.append(required(path.child("matchConstraints")))
    else:
        errs.extend(match_resources_errors(constraints, path.child("matchConstraints")))
        if not as_list(constraints.get("resourceRules")):
            errs.append(required(path.child("matchConstraints", "resourceRules")))
    compiled = compile_policy_expressions(spec)
    errs.extend(
        _match_condition_errors(
            as_list(spec.get("matchConditions")), compiled, path.child("matchConditions")
        )
    )
    errs.extend(_variable_errors(as_list(spec.get("variables")), compiled, path.child("variables")))
    validations = as_list(spec.get("validations"))
    annotations = as_list(spec.get("auditAnnotations"))
    if not validations and not annotations:
        detail = "validations or auditAnnotations must contain at least one item"
        errs.append(required(path.child("validations"), detail))
        errs.append(required(path.child("auditAnnotations"), detail))
    else:
        errs.extend(_validation_errors(validations, compiled, path.child("validations")))
        errs.extend(
            _audit_annotation_errors(
                annotations, compiled, policy_name, path.child("auditAnnotations")
            )
        )
    return errs


class ValidatingAdmissionPolicyStrategy(Strategy):
    """admissionregistration.k8s.io/v1 ValidatingAdmissionPolicies."""

    has_status_subresource = True
    tracks_generation = True

    def default(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return
        if spec.get("failurePolicy") is None:
            spec["failurePolicy"] = "Fail"
        default_match_resources(spec.get("matchConstraints"))

    def spec_changed(self, new: Mapping[str, Any], old: Mapping[str, Any]) -> bool:
        return new.get("spec") != old.get("spec")

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = self.validate_metadata(obj, namespaced=namespaced)
        name = str(as_map(obj.get("metadata")).get("name") or "")
        return errs + policy_spec_errors(as_map(obj.get("spec")), name)

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        return self.validate(new, namespaced=namespaced)

    def validate_status_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        path = FieldPath("status", "typeChecking", "expressionWarnings")
        warnings = as_list(
            as_map(as_map(new.get("status")).get("typeChecking")).get("expressionWarnings")
        )
        errs: list[FieldError] = []
        for i, raw in enumerate(warnings):
            warning = as_map(raw)
            if not warning.get("warning"):
                errs.append(required(path.index(i).child("warning")))
            if not str(warning.get("fieldRef") or "").strip():
                errs.append(required(path.index(i).child("fieldRef")))
        return errs


# -- the binding ----------------------------------------------------------------


def _param_ref_errors(param_ref: Mapping[str, Any], path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    name = str(param_ref.get("name") or "")
    selector = param_ref.get("selector")
    exclusive = "name and selector are mutually exclusive"
    if name:
        errs.extend(
            invalid(path.child("name"), name, msg)
            for msg in naming.path_segment_name(name, prefix=False)
        )
        if selector is not None:
            errs.append(forbidden(path.child("name"), exclusive))
    if selector is not None:
        errs.extend(validate_label_selector(as_map(selector), path.child("selector")))
        if name:
            errs.append(forbidden(path.child("selector"), exclusive))
    if not name and selector is None:
        errs.append(required(path, "one of name or selector must be specified"))
    action = param_ref.get("parameterNotFoundAction")
    if not action:
        errs.append(required(path.child("parameterNotFoundAction")))
    elif action not in _NOT_FOUND_ACTIONS:
        errs.append(
            not_supported(path.child("parameterNotFoundAction"), action, _NOT_FOUND_ACTIONS)
        )
    return errs


def _validation_actions_errors(actions: list[str], path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    seen: set[str] = set()
    for i, action in enumerate(actions):
        if action not in _ACTIONS:
            errs.append(not_supported(path.index(i), action, _ACTIONS))
        if action in seen:
            errs.append(duplicate(path.index(i), action))
        seen.add(action)
    if {"Deny", "Warn"} <= seen:
        errs.append(
            invalid(
                path,
                go_string_slice(actions, "admissionregistration.ValidationAction"),
                "must not contain both Deny and Warn (repeating the same validation failure "
                "information in the API response and headers serves no purpose)",
            )
        )
    if not seen:
        errs.append(required(path, "at least one validation action is required"))
    return errs


class ValidatingAdmissionPolicyBindingStrategy(Strategy):
    """admissionregistration.k8s.io/v1 ValidatingAdmissionPolicyBindings."""

    tracks_generation = True

    def default(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if isinstance(spec, dict):
            default_match_resources(spec.get("matchResources"))

    def spec_changed(self, new: Mapping[str, Any], old: Mapping[str, Any]) -> bool:
        return new.get("spec") != old.get("spec")

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = self.validate_metadata(obj, namespaced=namespaced)
        spec = as_map(obj.get("spec"))
        path = FieldPath("spec")
        policy_name = str(spec.get("policyName") or "")
        if not policy_name:
            errs.append(required(path.child("policyName")))
        else:
            errs.extend(
                invalid(path.child("policyName"), policy_name, msg)
                for msg in naming.name_is_dns_subdomain(policy_name, prefix=False)
            )
        param_ref = spec.get("paramRef")
        if isinstance(param_ref, Mapping):
            errs.extend(_param_ref_errors(param_ref, path.child("paramRef")))
        # Kubernetes reports these under "matchResouces" (sic).
        errs.extend(match_resources_errors(spec.get("matchResources"), path.child("matchResouces")))
        errs.extend(
            _validation_actions_errors(
                as_strings(spec.get("validationActions")), path.child("validationActions")
            )
        )
        return errs

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        return self.validate(new, namespaced=namespaced)
