"""SecretStrategy and ConfigMapStrategy: data rules, types and immutability."""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest

from kubeling.apiserver.strategies.configmaps import ConfigMapStrategy
from kubeling.apiserver.strategies.secrets import SecretStrategy

Obj = dict[str, Any]


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _secret(**body: Any) -> Obj:
    secret: Obj = {"metadata": {"name": "s", "namespace": "default"}, **body}
    SecretStrategy().default(secret)
    return secret


def _errors(strategy: SecretStrategy | ConfigMapStrategy, obj: Obj) -> list[str]:
    return [str(e) for e in strategy.validate(obj, namespaced=True)]


@pytest.mark.parametrize("given", [None, ""])
def test_secret_type_defaults_to_opaque(given: str | None) -> None:
    """Missing or empty type becomes Opaque."""
    body = {} if given is None else {"type": given}
    assert _secret(**body)["type"] == "Opaque"


def test_string_data_is_merged_and_dropped() -> None:
    """stringData overrides data keys as base64 and is never stored."""
    secret = _secret(data={"a": _b64("old"), "b": _b64("keep")}, stringData={"a": "new"})
    assert "stringData" not in secret
    assert secret["data"] == {"a": _b64("new"), "b": _b64("keep")}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"data": {"bad key": _b64("x")}},
            'data[bad key]: Invalid value: "bad key": a valid config key must consist of '
            "alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or "
            "'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
        ),
        (
            {"type": "kubernetes.io/service-account-token"},
            "metadata.annotations[kubernetes.io/service-account.name]: Required value",
        ),
        ({"type": "kubernetes.io/tls", "data": {"tls.crt": ""}}, "data[tls.key]: Required value"),
        ({"type": "kubernetes.io/dockerconfigjson"}, "data[.dockerconfigjson]: Required value"),
        ({"type": "kubernetes.io/basic-auth"}, "data[username]: Required value"),
        ({"type": "kubernetes.io/ssh-auth"}, "data[ssh-privatekey]: Required value"),
        (
            {"data": {"big": _b64("x" * (1024 * 1024 + 1))}},
            "data: Too long: may not be more than 1048576 bytes",
        ),
    ],
)
def test_secret_validation(body: Obj, message: str) -> None:
    """Each broken rule is reported with Kubernetes' path and wording."""
    assert message in _errors(SecretStrategy(), _secret(**body))


def test_secret_type_and_immutable_data() -> None:
    """type never changes; immutable secrets keep their data and flag."""
    old = _secret(data={"a": _b64("1")}, immutable=True)
    new = copy.deepcopy(old)
    new["type"] = "kubernetes.io/basic-auth"
    new["data"] = {"username": _b64("u")}
    new["immutable"] = False
    errors = [str(e) for e in SecretStrategy().validate_update(new, old, namespaced=True)]
    assert 'type: Invalid value: "kubernetes.io/basic-auth": field is immutable' in errors
    assert "immutable: Forbidden: field is immutable when `immutable` is set" in errors
    assert "data: Forbidden: field is immutable when `immutable` is set" in errors
    assert SecretStrategy().field_set(old, namespaced=True)["type"] == "Opaque"


def _cm(**body: Any) -> Obj:
    return {"metadata": {"name": "c", "namespace": "default"}, **body}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"data": {"k": "v"}, "binaryData": {"k": _b64("v")}},
            'data[k]: Invalid value: "k": duplicate of key present in binaryData',
        ),
        (
            {"data": {"k": "v"}, "binaryData": {"k": _b64("v")}},
            'binaryData[k]: Invalid value: "k": duplicate of key present in data',
        ),
        ({"data": {"..x": "v"}}, "data[..x]: Invalid value: \"..x\": must not start with '..'"),
        (
            {"data": {"k": "x" * (1024 * 1024 + 1)}},
            "[]: Too long: may not be more than 1048576 bytes",
        ),
    ],
)
def test_configmap_validation(body: Obj, message: str) -> None:
    """Keys are config keys, disjoint between data and binaryData, 1 MiB in total."""
    assert message in _errors(ConfigMapStrategy(), _cm(**body))


def test_configmap_immutable() -> None:
    """An immutable ConfigMap keeps data, binaryData and the flag."""
    old = _cm(data={"k": "v"}, immutable=True)
    new = _cm(data={"k": "w"}, binaryData={"b": _b64("x")}, immutable=True)
    errors = [str(e) for e in ConfigMapStrategy().validate_update(new, old, namespaced=True)]
    assert errors == [
        "data: Forbidden: field is immutable when `immutable` is set",
        "binaryData: Forbidden: field is immutable when `immutable` is set",
    ]
    assert ConfigMapStrategy().validate_update(copy.deepcopy(old), old, namespaced=True) == []
