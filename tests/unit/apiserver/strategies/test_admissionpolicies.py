"""ValidatingAdmissionPolicy and binding strategies: defaults and Kubernetes' messages."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kubeling.apiserver.strategies.admissionpolicies import (
    ValidatingAdmissionPolicyBindingStrategy,
    ValidatingAdmissionPolicyStrategy,
)

Obj = dict[str, Any]

RULE: Obj = {
    "apiGroups": ["apps"],
    "apiVersions": ["v1"],
    "operations": ["CREATE"],
    "resources": ["deployments"],
}


def _policy(**spec: Any) -> Obj:
    base: Obj = {
        "matchConstraints": {"resourceRules": [copy.deepcopy(RULE)]},
        "validations": [{"expression": "object.spec.replicas <= 5"}],
    }
    base.update(spec)
    return {"metadata": {"name": "demo"}, "spec": base}


def _policy_errors(obj: Obj) -> list[str]:
    strategy = ValidatingAdmissionPolicyStrategy()
    strategy.default(obj)
    return [str(e) for e in strategy.validate(obj, namespaced=False)]


def _binding_errors(**spec: Any) -> list[str]:
    obj: Obj = {
        "metadata": {"name": "b"},
        "spec": {"policyName": "demo", "validationActions": ["Deny"], **spec},
    }
    strategy = ValidatingAdmissionPolicyBindingStrategy()
    strategy.default(obj)
    return [str(e) for e in strategy.validate(obj, namespaced=False)]


def test_policy_defaults() -> None:
    """failurePolicy Fail, matchPolicy Equivalent, match-all selectors, scope '*'."""
    obj = _policy()
    assert _policy_errors(obj) == []
    assert obj["spec"]["failurePolicy"] == "Fail"
    assert obj["spec"]["matchConstraints"] == {
        "resourceRules": [{**RULE, "scope": "*"}],
        "matchPolicy": "Equivalent",
        "namespaceSelector": {},
        "objectSelector": {},
    }


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            {"validations": [{"expression": "object.spec.replicas <"}]},
            [
                'spec.validations[0].expression: Invalid value: "object.spec.replicas <": '
                "compilation failed: ERROR: <input>:1:23: Syntax error: mismatched input '<EOF>' "
                "expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, "
                "NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}\n"
                " | object.spec.replicas <\n"
                " | ......................^"
            ],
        ),
        (
            {"validations": [{"expression": "params.max > 1"}]},
            [
                'spec.validations[0].expression: Invalid value: "params.max > 1": compilation '
                "failed: ERROR: <input>:1:1: undeclared reference to 'params' (in container '')\n"
                " | params.max > 1\n | ^"
            ],
        ),
        (
            {"validations": [{"expression": "object.spec.replicas"}]},
            [
                'spec.validations[0].expression: Invalid value: "object.spec.replicas": '
                "must evaluate to bool"
            ],
        ),
        (
            {"validations": [{"expression": "true", "messageExpression": "1"}]},
            ['spec.validations[0].messageExpression: Invalid value: "1": must evaluate to string'],
        ),
        (
            {"validations": [{"expression": "true", "message": "a\nb", "reason": "Nope"}]},
            [
                'spec.validations[0].message: Invalid value: "a\\nb": '
                "message must not contain line breaks",
                'spec.validations[0].reason: Unsupported value: "Nope": supported values: '
                '"Forbidden", "Invalid", "RequestEntityTooLarge", "Unauthorized"',
            ],
        ),
        (
            {"validations": [], "auditAnnotations": []},
            [
                "spec.validations: Required value: "
                "validations or auditAnnotations must contain at least one item",
                "spec.auditAnnotations: Required value: "
                "validations or auditAnnotations must contain at least one item",
            ],
        ),
        (
            {"matchConstraints": {"resourceRules": []}},
            ["spec.matchConstraints.resourceRules: Required value"],
        ),
        (
            {
                "matchConstraints": {
                    "resourceRules": [{**RULE, "operations": ["*", "CREATE"], "resources": []}]
                }
            },
            [
                "spec.matchConstraints.resourceRules[0].operations: Invalid value: "
                '[]admissionregistration.OperationType{"*", "CREATE"}: '
                "if '*' is present, must not specify other operations",
                "spec.matchConstraints.resourceRules[0].resources: Required value",
            ],
        ),
        (
            {"variables": [{"name": "1x", "expression": "1"}, {"name": "y", "expression": ""}]},
            [
                'spec.variables[0].name: Invalid value: "1x": name is not a valid CEL identifier',
                "spec.variables[1].expression: Required value: expression is not specified",
            ],
        ),
        (
            {
                "matchConditions": [
                    {"name": "a", "expression": "true"},
                    {"name": "a", "expression": "'x'"},
                ]
            },
            [
                "spec.matchConditions[1].expression: Invalid value: \"'x'\": must evaluate to bool",
                'spec.matchConditions[1].name: Duplicate value: "a"',
            ],
        ),
        (
            {"auditAnnotations": [{"key": "k", "valueExpression": "1"}]},
            [
                'spec.auditAnnotations[0].valueExpression: Invalid value: "1": '
                "must evaluate to one of [string null_type]"
            ],
        ),
        (
            {"paramKind": {"apiVersion": "a/b/c", "kind": ""}},
            [
                'spec.paramKind.apiVersion: Invalid value: "a/b/c": '
                "unexpected GroupVersion string: a/b/c",
                "spec.paramKind.kind: Required value",
            ],
        ),
        (
            {
                "validations": [
                    {
                        "expression": "authorizer.requestResource.check('delete').allowed()",
                        "messageExpression": "authorizer.path('/').check('get').reason()",
                    }
                ]
            },
            [
                "spec.validations[0].messageExpression: Invalid value: "
                "\"authorizer.path('/').check('get').reason()\": compilation failed: "
                "ERROR: <input>:1:1: undeclared reference to 'authorizer' (in container '')\n"
                " | authorizer.path('/').check('get').reason()\n | ^"
            ],
        ),
        (
            {"failurePolicy": "Sometimes"},
            [
                'spec.failurePolicy: Unsupported value: "Sometimes": '
                'supported values: "Fail", "Ignore"'
            ],
        ),
    ],
)
def test_policy_validation(spec: Obj, expected: list[str]) -> None:
    """Each invalid policy gets Kubernetes' field errors."""
    assert _policy_errors(_policy(**spec)) == expected


def test_policy_with_params_and_variables_is_valid() -> None:
    """params (with a paramKind), variables and reserved-word fields compile."""
    obj = _policy(
        paramKind={"apiVersion": "v1", "kind": "ConfigMap"},
        variables=[{"name": "ns", "expression": "object.metadata.namespace"}],
        validations=[
            {
                "expression": "variables.ns != params.data.forbidden",
                "messageExpression": "'namespace ' + variables.ns + ' is forbidden'",
            }
        ],
        auditAnnotations=[{"key": "replicas", "valueExpression": "string(object.spec.replicas)"}],
        matchConditions=[
            {
                "name": "not-admin",
                "expression": "!authorizer.group('').resource('nodes').check('delete').allowed()",
            }
        ],
    )
    assert _policy_errors(obj) == []


def test_policy_generation_and_status() -> None:
    """The status is kept out of spec writes; generation counts spec changes."""
    strategy = ValidatingAdmissionPolicyStrategy()
    obj = _policy()
    obj["status"] = {"observedGeneration": 5}
    strategy.prepare_for_create(obj)
    assert "status" not in obj
    assert obj["metadata"]["generation"] == 1
    new = copy.deepcopy(obj)
    new["spec"]["failurePolicy"] = "Ignore"
    strategy.prepare_for_update(new, obj)
    assert new["metadata"]["generation"] == 2


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({}, []),
        (
            {"validationActions": ["Deny", "Warn", "Deny", "Log"]},
            [
                'spec.validationActions[2]: Duplicate value: "Deny"',
                'spec.validationActions[3]: Unsupported value: "Log": supported values: '
                '"Audit", "Deny", "Warn"',
                "spec.validationActions: Invalid value: "
                '[]admissionregistration.ValidationAction{"Deny", "Warn", "Deny", "Log"}: '
                "must not contain both Deny and Warn (repeating the same validation failure "
                "information in the API response and headers serves no purpose)",
            ],
        ),
        (
            {"validationActions": []},
            ["spec.validationActions: Required value: at least one validation action is required"],
        ),
        (
            {"policyName": ""},
            ["spec.policyName: Required value"],
        ),
        (
            {"paramRef": {"name": "x", "selector": {}}},
            [
                "spec.paramRef.name: Forbidden: name and selector are mutually exclusive",
                "spec.paramRef.selector: Forbidden: name and selector are mutually exclusive",
                "spec.paramRef.parameterNotFoundAction: Required value",
            ],
        ),
        (
            {"paramRef": {"parameterNotFoundAction": "Maybe"}},
            [
                "spec.paramRef: Required value: one of name or selector must be specified",
                'spec.paramRef.parameterNotFoundAction: Unsupported value: "Maybe": '
                'supported values: "Deny", "Allow"',
            ],
        ),
        (
            {"matchResources": {"matchPolicy": "Fuzzy"}},
            [
                'spec.matchResouces.matchPolicy: Unsupported value: "Fuzzy": supported values: '
                '"Equivalent", "Exact"'
            ],
        ),
    ],
)
def test_binding_validation(spec: Obj, expected: list[str]) -> None:
    """Each invalid binding gets Kubernetes' field errors (misspelt path included)."""
    assert _binding_errors(**spec) == expected
