"""EncryptionConfiguration files: decoding, kube-apiserver's validation messages, building."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from kubeling.apiserver.encryption import EncryptionConfigError, load_encryption_config
from kubeling.apiserver.encryption.config import load_config, parse_group_resource
from kubeling.storage.value import PrefixTransformers

KEY32 = base64.b64encode(b"k" * 32).decode()
KEY16 = base64.b64encode(b"s" * 16).decode()
SHORT = base64.b64encode(b"x" * 8).decode()


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "encryption.yaml"
    path.write_text(body)
    return path


def _config(resources: str) -> str:
    return "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n" + resources


def _error(tmp_path: Path, body: str) -> str:
    with pytest.raises(EncryptionConfigError) as caught:
        load_encryption_config(_write(tmp_path, body))
    return str(caught.value)


def test_valid_yaml_builds_a_transformer_per_resource(tmp_path: Path) -> None:
    """Each named resource gets the entry's providers; others get none."""
    body = _config(
        f"""resources:
- resources: [secrets, configmaps.]
  providers:
  - aesgcm:
      keys:
      - name: key1
        secret: {KEY16}
  - identity: {{}}
- resources: ["*.apps"]
  providers:
  - aescbc:
      keys: [{{name: k, secret: {KEY32}}}]
"""
    )
    built = load_encryption_config(_write(tmp_path, body))
    assert isinstance(built.transformer_for("", "secrets"), PrefixTransformers)
    assert built.transformer_for("apps", "deployments") is built.transformer_for("apps", "*")
    # "configmaps." names the core group, like "configmaps"
    assert built.transformer_for("", "configmaps") is not None
    assert built.transformer_for("", "pods") is None


def test_json_is_accepted(tmp_path: Path) -> None:
    """The file may be JSON, as Kubernetes' universal decoder reads it."""
    body = json.dumps(
        {
            "kind": "EncryptionConfiguration",
            "apiVersion": "apiserver.config.k8s.io/v1",
            "resources": [{"resources": ["*.*"], "providers": [{"identity": {}}]}],
        }
    )
    built = load_encryption_config(_write(tmp_path, body))
    assert built.transformer_for("example.com", "widgets") is not None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("secrets", ("", "secrets")),
        ("deployments.apps", ("apps", "deployments")),
        ("*.", ("", "*")),
        ("*.*", ("*", "*")),
        ("widgets.example.com", ("example.com", "widgets")),
    ],
)
def test_group_resources_parse_as_kubernetes_does(text: str, expected: tuple[str, str]) -> None:
    """``schema.ParseGroupResource``: the resource before the first dot, the group after."""
    assert parse_group_resource(text) == expected


@pytest.mark.parametrize(
    ("resources", "message"),
    [
        ("resources: []\n", "resources: Required value: at least one resources is required"),
        (
            "resources:\n- providers: [{identity: {}}]\n",
            "resources[0].resources: Required value: at least one resources[0].resources is "
            "required",
        ),
        (
            "resources:\n- resources: [secrets]\n",
            "resources[0].providers: Required value: at least one resources[0].providers is "
            "required",
        ),
        (
            f"resources:\n- resources: [secrets]\n  providers:\n  - aesgcm:\n      keys:\n"
            f"      - name: k\n        secret: {SHORT}\n",
            'resources[0].providers[0].aesgcm.keys[0].secret: Invalid value: "REDACTED": '
            "secret is not of the expected length, got 8, expected one of [16 24 32]",
        ),
        (
            "resources:\n- resources: [secrets]\n  providers:\n  - aescbc:\n      keys:\n"
            "      - name: k\n        secret: 'not base64!'\n",
            'resources[0].providers[0].aescbc.keys[0].secret: Invalid value: "REDACTED": '
            "secrets must be base64 encoded",
        ),
        (
            f"resources:\n- resources: [secrets]\n  providers:\n  - aescbc:\n      keys:\n"
            f"      - secret: {KEY32}\n",
            "resources[0].providers[0].aescbc.keys[0].name: Required value: name is a "
            "mandatory field for a key",
        ),
        (
            "resources:\n- resources: [secrets]\n  providers:\n  - aesgcm:\n      keys: []\n",
            "resources[0].providers[0].aesgcm.keys: Required value: at least one keys is required",
        ),
        (
            "resources:\n- resources: [Secrets]\n  providers: [{identity: {}}]\n",
            'resources[0].resources[0]: Invalid value: "Secrets": resource name should not '
            "contain capital letters",
        ),
        (
            "resources:\n- resources: ['*']\n  providers: [{identity: {}}]\n",
            "resources[0].resources[0]: Invalid value: \"*\": use '*.' to encrypt all the "
            "resources from core API group or *.* to encrypt all resources",
        ),
        (
            "resources:\n- resources: [events.events.k8s.io]\n  providers: [{identity: {}}]\n",
            'resources[0].resources[0]: Invalid value: "events.events.k8s.io": '
            "'*.events.k8s.io' objects are stored using the 'events' API group in etcd. Use "
            "'events' instead in the config file",
        ),
        (
            "resources:\n- resources: [secrets.*]\n  providers: [{identity: {}}]\n",
            'resources[0].resources[0]: Invalid value: "secrets.*": encrypting the same '
            "resource across groups is not supported",
        ),
        (
            "resources:\n- resources: [serviceipallocations]\n  providers: [{identity: {}}]\n",
            'resources[0].resources[0]: Invalid value: "serviceipallocations": resources '
            "which do not have REST API/s cannot be encrypted",
        ),
        (
            "resources:\n- resources: [secrets, secrets]\n  providers: [{identity: {}}]\n",
            'resources[0].resources: Invalid value: []string{"secrets", "secrets"}: the same '
            "resource cannot be specified multiple times",
        ),
        (
            "resources:\n- resources: [secrets, '*.']\n  providers: [{identity: {}}]\n",
            'resources[0].resources: Invalid value: []string{"secrets", "*."}: using '
            "overlapping resources such as 'secrets' and '*.' in the same resource list is not "
            "allowed as they will be masked",
        ),
        (
            "resources:\n- resources: [secrets]\n  providers: [{}]\n",
            "resources[0].providers[0]: Invalid value: apiserver.ProviderConfiguration{",
        ),
    ],
)
def test_validation_messages_are_kubernetes(tmp_path: Path, resources: str, message: str) -> None:
    """Each rule reports kube-apiserver's path and message, after its prefix."""
    text = _error(tmp_path, _config(resources))
    assert text.startswith("error while parsing file: ")
    assert message in text


def test_several_problems_are_aggregated(tmp_path: Path) -> None:
    """Every problem is reported, as ``[a, b]``."""
    text = _error(
        tmp_path,
        _config(
            f"resources:\n- resources: [Secrets]\n  providers:\n  - aesgcm:\n      keys:\n"
            f"      - name: k\n        secret: {SHORT}\n"
        ),
    )
    assert text.startswith("error while parsing file: [resources[0].resources[0]: ")
    assert "got 8, expected one of [16 24 32]]" in text


def test_no_message_carries_a_secret(tmp_path: Path) -> None:
    """Secrets print as REDACTED, and never appear in a repr of the parsed file."""
    bad = base64.b64encode(b"topsecret").decode()
    text = _error(
        tmp_path,
        _config(
            f"resources:\n- resources: [secrets]\n  providers:\n  - aesgcm:\n      keys:\n"
            f"      - name: k\n        secret: {bad}\n"
        ),
    )
    assert bad not in text
    good = _config(
        f"resources:\n- resources: [secrets]\n  providers:\n  - aesgcm:\n      keys:\n"
        f"      - name: k\n        secret: {KEY32}\n"
    )
    assert KEY32 not in repr(load_config(_write(tmp_path, good)))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "is empty"),
        (
            "apiVersion: apiserver.config.k8s.io/v2\nkind: EncryptionConfiguration\n",
            'no kind "EncryptionConfiguration" is registered for version '
            '"apiserver.config.k8s.io/v2"',
        ),
        (
            _config("resources:\n- resources: [secrets]\n  providers: [{identity: {}}]\n  x: 1\n"),
            'strict decoding error: unknown field "resources[0].x"',
        ),
        (
            _config(
                f"resources:\n- resources: [secrets]\n  providers:\n  - aesgcm:\n"
                f"      kyes: [{{name: k, secret: {KEY32}}}]\n"
            ),
            'strict decoding error: unknown field "resources[0].providers[0].aesgcm.kyes"',
        ),
        (
            _config("resources: secrets\n"),
            "json: cannot unmarshal string into Go struct field "
            "EncryptionConfiguration.resources of type []v1.ResourceConfiguration",
        ),
    ],
)
def test_undecodable_files(tmp_path: Path, body: str, message: str) -> None:
    """A file that is empty, of another kind, or with unknown fields is refused."""
    text = _error(tmp_path, body)
    assert text.startswith("error while parsing file: ")
    assert message in text


def test_missing_file(tmp_path: Path) -> None:
    """A file that cannot be read names itself."""
    text = _error_missing(tmp_path / "nope.yaml")
    assert 'error reading encryption provider configuration file "' in text


def _error_missing(path: Path) -> str:
    with pytest.raises(EncryptionConfigError) as caught:
        load_encryption_config(path)
    return str(caught.value)


@pytest.mark.parametrize(
    ("providers", "message"),
    [
        (
            f"  - secretbox:\n      keys: [{{name: k, secret: {KEY32}}}]\n",
            "error while building transformers: the secretbox provider is not supported",
        ),
        (
            "  - kms: {name: vault, endpoint: 'unix:///tmp/kms.sock'}\n",
            'error while building transformers: could not configure KMS plugin "vault"',
        ),
    ],
)
def test_unsupported_providers_are_refused(tmp_path: Path, providers: str, message: str) -> None:
    """secretbox and kms are valid Kubernetes but not served here: refused, never ignored."""
    text = _error(
        tmp_path, _config(f"resources:\n- resources: [secrets]\n  providers:\n{providers}")
    )
    assert text.startswith(message)


def test_a_rule_masked_by_an_earlier_wildcard_is_refused(tmp_path: Path) -> None:
    """``secrets`` after ``*.`` would never be used: kube-apiserver refuses it."""
    text = _error(
        tmp_path,
        _config(
            "resources:\n- resources: ['*.']\n  providers: [{identity: {}}]\n"
            "- resources: [secrets]\n  providers: [{identity: {}}]\n"
        ),
    )
    assert text == (
        'error while building transformers: resource "secrets" is masked by earlier rule "*."'
    )
