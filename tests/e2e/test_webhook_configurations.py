"""Webhook configurations through kubectl and the kubernetes package: served,
defaulted, validated with Kubernetes' messages, listed with their columns."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kubernetes import client, config

from tests.support.cluster import RunningServer, running_server

VALID = """
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: policy}
webhooks:
- name: policy.example.com
  clientConfig: {url: "https://127.0.0.1:8443/validate"}
  rules:
  - {operations: [CREATE], apiGroups: [""], apiVersions: [v1], resources: [pods]}
  sideEffects: None
  admissionReviewVersions: [v1]
"""

INVALID = """
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: broken}
webhooks:
- name: broken
  clientConfig: {url: "http://127.0.0.1:8443/mutate"}
  sideEffects: Some
  admissionReviewVersions: [v1]
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("webhook-configs")) as running:
        yield running


def test_create_defaults_and_list(server: RunningServer) -> None:
    """kubectl creates a configuration; it reads back with Kubernetes' defaults."""
    server.kubectl("apply", "-f", "-", input=VALID)
    hook = server.kubectl_json("get", "validatingwebhookconfiguration", "policy")["webhooks"][0]
    assert isinstance(hook, dict)
    assert hook["failurePolicy"] == "Fail"
    assert hook["matchPolicy"] == "Equivalent"
    assert hook["timeoutSeconds"] == 10
    assert hook["namespaceSelector"] == {}
    assert hook["rules"][0]["scope"] == "*"
    table = server.kubectl("get", "validatingwebhookconfigurations").stdout
    assert table.split("\n")[0].split() == ["NAME", "WEBHOOKS", "AGE"]
    assert table.split("\n")[1].split()[:2] == ["policy", "1"]


def test_invalid_configuration_is_refused(server: RunningServer) -> None:
    """422 with every field error, as kube-apiserver words them."""
    result = server.kubectl("apply", "-f", "-", input=INVALID, check=False)
    assert result.returncode != 0
    assert 'The MutatingWebhookConfiguration "broken" is invalid:' in result.stderr
    for message in (
        'webhooks[0].name: Invalid value: "broken": should be a domain with at least three '
        "segments separated by dots",
        'webhooks[0].sideEffects: Unsupported value: "Some": supported values: "None", '
        '"NoneOnDryRun"',
        "webhooks[0].clientConfig.url: Invalid value: \"http\": 'https' is the only allowed URL "
        "scheme; desired format: https://host[/path]",
    ):
        assert message in result.stderr


def test_python_client_reads_them(server: RunningServer) -> None:
    """The kubernetes package's typed AdmissionregistrationV1Api lists the configuration."""
    api_client = config.new_client_from_config(config_file=str(server.kubeconfig))
    with api_client:
        api = client.AdmissionregistrationV1Api(api_client)
        server.kubectl("apply", "-f", "-", input=VALID)
        names = [c.metadata.name for c in api.list_validating_webhook_configuration().items]
        assert "policy" in names
        listed = api.read_validating_webhook_configuration("policy")
        assert listed.webhooks[0].side_effects == "None"
