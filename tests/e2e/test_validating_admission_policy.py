"""ValidatingAdmissionPolicies and bindings served to kubectl and the Python client.

Enforcement is tested in tests/integration/test_validating_admission_policy.py and, through
kubectl, in tests/e2e/test_validating_admission_policy_kubectl.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client, config

from tests.support.cluster import RunningServer, running_server

POLICY = """
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: demo-policy.example.com}
spec:
  matchConstraints:
    resourceRules:
    - apiGroups: [apps]
      apiVersions: [v1]
      operations: [CREATE, UPDATE]
      resources: [deployments]
  validations:
  - expression: "object.spec.replicas <= 5"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: demo-binding-test.example.com}
spec:
  policyName: demo-policy.example.com
  validationActions: [Deny]
  matchResources:
    namespaceSelector:
      matchLabels: {environment: test}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("vap")) as running:
        yield running


def test_kubectl_applies_and_lists_policies(server: RunningServer) -> None:
    """kubectl creates both kinds, lists them with their columns, and sees the defaults."""
    out = server.kubectl("apply", "-f", "-", input=POLICY).stdout
    assert (
        "validatingadmissionpolicy.admissionregistration.k8s.io/demo-policy.example.com created"
        in out
    )
    listed = server.kubectl("get", "validatingadmissionpolicies").stdout.splitlines()
    assert listed[0].split() == ["NAME", "VALIDATIONS", "PARAMKIND", "AGE"]
    assert listed[1].split()[:3] == ["demo-policy.example.com", "1", "<unset>"]
    policy = server.kubectl_json("get", "validatingadmissionpolicy", "demo-policy.example.com")
    spec = policy["spec"]
    assert isinstance(spec, dict)
    assert spec["failurePolicy"] == "Fail"
    assert spec["matchConstraints"]["matchPolicy"] == "Equivalent"
    metadata = policy["metadata"]
    assert isinstance(metadata, dict)
    assert metadata["generation"] == 1


def test_kubectl_gets_422_for_a_policy_that_does_not_compile(server: RunningServer) -> None:
    """A policy with a CEL syntax error is refused with Kubernetes' message and not stored."""
    bad = POLICY.split("---")[0].replace("<= 5", "<=").replace("demo-policy", "bad-policy")
    result = server.kubectl("apply", "-f", "-", input=bad, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith(
        'The ValidatingAdmissionPolicy "bad-policy.example.com" is invalid: '
        'spec.validations[0].expression: Invalid value: "object.spec.replicas <=": '
        "compilation failed: ERROR: <input>:1:24: Syntax error: mismatched input '<EOF>'"
    )
    missing = server.kubectl(
        "get", "validatingadmissionpolicy", "bad-policy.example.com", check=False
    )
    assert "NotFound" in missing.stderr


def test_python_client_reads_policies(server: RunningServer, tmp_path: Path) -> None:
    """The kubernetes package's AdmissionregistrationV1Api lists policies and bindings."""
    server.kubectl("apply", "-f", "-", input=POLICY)
    api = client.AdmissionregistrationV1Api(
        config.new_client_from_config(config_file=str(server.kubeconfig))
    )
    policies = api.list_validating_admission_policy().items
    assert [p.metadata.name for p in policies] == ["demo-policy.example.com"]
    bindings = api.list_validating_admission_policy_binding().items
    assert bindings[0].spec.validation_actions == ["Deny"]
    assert bindings[0].spec.match_resources.match_policy == "Equivalent"
