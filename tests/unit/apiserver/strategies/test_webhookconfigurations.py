"""Webhook configurations: Kubernetes' defaults and validation messages."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kubeling.apiserver.strategies.webhookconfigurations import (
    MutatingWebhookConfigurationStrategy,
    ValidatingWebhookConfigurationStrategy,
)

VALIDATING = ValidatingWebhookConfigurationStrategy()
MUTATING = MutatingWebhookConfigurationStrategy()


def _hook(**fields: Any) -> dict[str, Any]:
    hook: dict[str, Any] = {
        "name": "w.example.com",
        "clientConfig": {"url": "https://127.0.0.1:8443/validate"},
        "rules": [
            {
                "operations": ["CREATE"],
                "apiGroups": [""],
                "apiVersions": ["v1"],
                "resources": ["pods"],
            }
        ],
        "sideEffects": "None",
        "admissionReviewVersions": ["v1"],
    }
    hook.update(fields)
    return hook


def _config(*hooks: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"name": "c"}, "webhooks": list(hooks)}


def _messages(obj: dict[str, Any], strategy: Any = VALIDATING) -> list[str]:
    return [str(e) for e in strategy.validate(obj, namespaced=False)]


def test_defaults() -> None:
    """failurePolicy, matchPolicy, selectors, timeout, scope, service port, reinvocation."""
    hook = _hook(clientConfig={"service": {"namespace": "ns", "name": "svc"}})
    obj = _config(hook)
    MUTATING.default(obj)
    defaulted = obj["webhooks"][0]
    assert defaulted["failurePolicy"] == "Fail"
    assert defaulted["matchPolicy"] == "Equivalent"
    assert defaulted["namespaceSelector"] == {}
    assert defaulted["objectSelector"] == {}
    assert defaulted["timeoutSeconds"] == 10
    assert defaulted["reinvocationPolicy"] == "Never"
    assert defaulted["rules"][0]["scope"] == "*"
    assert defaulted["clientConfig"]["service"]["port"] == 443
    validating = _config(_hook())
    VALIDATING.default(validating)
    assert "reinvocationPolicy" not in validating["webhooks"][0]


def test_valid_configuration() -> None:
    assert _messages(_config(_hook())) == []
    assert _messages(_config(_hook(reinvocationPolicy="IfNeeded")), MUTATING) == []


@pytest.mark.parametrize(
    ("hook", "message"),
    [
        (_hook(name="short.name"), 'webhooks[0].name: Invalid value: "short.name": should be a '
         "domain with at least three segments separated by dots"),
        (_hook(name=""), "webhooks[0].name: Required value"),
        (_hook(sideEffects="Some"), 'webhooks[0].sideEffects: Unsupported value: "Some": '
         'supported values: "None", "NoneOnDryRun"'),
        ({k: v for k, v in _hook().items() if k != "sideEffects"},
         "webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun"),
        (_hook(timeoutSeconds=31), "webhooks[0].timeoutSeconds: Invalid value: 31: the timeout "
         "value must be between 1 and 30 seconds"),
        (_hook(failurePolicy="Maybe"), 'webhooks[0].failurePolicy: Unsupported value: "Maybe": '
         'supported values: "Fail", "Ignore"'),
        (_hook(matchPolicy="Loose"), 'webhooks[0].matchPolicy: Unsupported value: "Loose": '
         'supported values: "Equivalent", "Exact"'),
        (_hook(admissionReviewVersions=[]), "webhooks[0].admissionReviewVersions: Required value: "
         "must specify one of v1, v1beta1"),
        (_hook(admissionReviewVersions=["v2"]), "webhooks[0].admissionReviewVersions: Invalid "
         'value: []string{"v2"}: must include at least one of v1, v1beta1'),
        (_hook(admissionReviewVersions=["v1", "v1"]), "webhooks[0].admissionReviewVersions[1]: "
         'Invalid value: "v1": duplicate version'),
        (_hook(clientConfig={}), "webhooks[0].clientConfig: Required value: exactly one of url or "
         "service is required"),
        (_hook(clientConfig={"url": "http://example.com/x"}), "webhooks[0].clientConfig.url: "
         "Invalid value: \"http\": 'https' is the only allowed URL scheme; desired format: "
         "https://host[/path]"),
        (_hook(clientConfig={"url": "https://example.com/x?a=b"}), "webhooks[0].clientConfig.url: "
         'Invalid value: "a=b": query parameters are not permitted in the URL'),
        (_hook(clientConfig={"url": "https://example.com/x#f"}), "webhooks[0].clientConfig.url: "
         'Invalid value: "f": fragments are not permitted in the URL'),
        (_hook(clientConfig={"service": {"namespace": "ns", "name": "s", "path": "x"}}),
         "webhooks[0].clientConfig.service.path: Invalid value: \"x\": must start with a '/'"),
        (_hook(clientConfig={"service": {"name": "s"}}), "webhooks[0].clientConfig.service."
         "namespace: Required value: service namespace is required"),
        (_hook(clientConfig={"service": {"namespace": "n", "name": "s", "port": 70000}}),
         "webhooks[0].clientConfig.service.port: Invalid value: 70000: port is not valid: must be "
         "between 1 and 65535, inclusive"),
        (_hook(rules=[{"operations": ["GET"], "apiGroups": [""], "apiVersions": ["v1"],
                       "resources": ["pods"]}]),
         'webhooks[0].rules[0].operations[0]: Unsupported value: "GET": supported values: "*", '
         '"CONNECT", "CREATE", "DELETE", "UPDATE"'),
        (_hook(rules=[{"operations": ["*"], "apiGroups": ["*", "apps"], "apiVersions": ["v1"],
                       "resources": ["pods"]}]),
         'webhooks[0].rules[0].apiGroups: Invalid value: []string{"*", "apps"}: if \'*\' is '
         "present, must not specify other API groups"),
        (_hook(rules=[{"operations": ["*"], "apiGroups": [""], "apiVersions": ["v1"],
                       "resources": ["pods/*", "pods/status"]}]),
         'webhooks[0].rules[0].resources[1]: Invalid value: "pods/status": if \'pods/*\' is '
         "present, must not specify pods/status"),
        (_hook(rules=[{"operations": ["*"], "apiGroups": [""], "apiVersions": ["v1"],
                       "resources": ["pods"], "scope": "Global"}]),
         'webhooks[0].rules[0].scope: Unsupported value: "Global": supported values: "*", '
         '"Cluster", "Namespaced"'),
        (_hook(namespaceSelector={"matchExpressions": [{"key": "a", "operator": "In"}]}),
         "webhooks[0].namespaceSelector.matchExpressions[0].values: Required value: must be "
         "specified when `operator` is 'In' or 'NotIn'"),
        (_hook(matchConditions=[{"name": "a", "expression": "object.("}]),
         'webhooks[0].matchConditions[0].expression: Invalid value: "object.(": compilation '
         "failed: "),
        (_hook(matchConditions=[{"name": "a", "expression": "true"},
                                {"name": "a", "expression": "true"}]),
         'webhooks[0].matchConditions[1].name: Duplicate value: "a"'),
    ],
)  # fmt: skip
def test_invalid(hook: dict[str, Any], message: str) -> None:
    """Each rule of ValidateValidatingWebhookConfiguration, with Kubernetes' message."""
    messages = _messages(_config(hook))
    assert any(m.startswith(message) for m in messages), messages


def test_duplicate_webhook_names() -> None:
    assert _messages(_config(_hook(), _hook())) == [
        'webhooks[1].name: Duplicate value: "w.example.com"'
    ]


def test_reinvocation_policy_is_checked_for_mutating_webhooks() -> None:
    assert _messages(_config(_hook(reinvocationPolicy="Always")), MUTATING) == [
        'webhooks[0].reinvocationPolicy: Unsupported value: "Always": supported values: '
        '"IfNeeded", "Never"'
    ]


def test_update_keeps_accepting_what_was_stored() -> None:
    """Old objects with side effects Some (v1beta1 days) may still be updated."""
    old = _config(_hook(sideEffects="Some"))
    new = copy.deepcopy(old)
    new["webhooks"][0]["timeoutSeconds"] = 5
    assert VALIDATING.validate_update(new, old, namespaced=False) == []
    assert _messages(new) != []
