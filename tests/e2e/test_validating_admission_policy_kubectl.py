"""ValidatingAdmissionPolicy enforcement seen from kubectl 1.32 and the ``kubernetes`` package:
a Deny binding refuses with Kubernetes' message and code, a Warn binding makes kubectl print the
warning, and a policy with ConfigMap params follows its params.

Upstream's texts: ``ValidatingAdmissionPolicy '<policy>' with binding '<binding>' denied
request: <message>`` (422 Invalid unless the validation gives a reason), ``failed expression:
<expression>`` when the validation has no message, and kubectl's ``The <resource> "<name>" is
invalid: : ...`` for a 422 whose one cause has no field.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from tests.support.cluster import RunningServer, running_server
from tests.support.polling import eventually

POLICIES = """
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: replicas}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}
  validations:
  - expression: "object.spec.replicas <= 5"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: replicas-deny}
spec:
  policyName: replicas
  validationActions: [Deny]
  matchResources:
    namespaceSelector: {matchLabels: {replicas: deny}}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: replicas-warn}
spec:
  policyName: replicas
  validationActions: [Warn]
  matchResources:
    namespaceSelector: {matchLabels: {replicas: warn}}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: replica-limit}
spec:
  paramKind: {apiVersion: v1, kind: ConfigMap}
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}
  variables:
  - {name: max, expression: "int(params.data.maxReplicas)"}
  validations:
  - expression: "object.spec.replicas <= variables.max"
    messageExpression: "'at most ' + string(variables.max) + ' replicas'"
    reason: Forbidden
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: replica-limit-prod}
spec:
  policyName: replica-limit
  validationActions: [Deny]
  paramRef: {name: limits, parameterNotFoundAction: Deny}
  matchResources:
    namespaceSelector: {matchLabels: {env: prod}}
"""

DENIED = (
    "ValidatingAdmissionPolicy 'replicas' with binding 'replicas-deny' denied request: "
    "failed expression: object.spec.replicas <= 5"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("vap-kubectl")) as running:
        running.kubectl("apply", "-f", "-", input=POLICIES)
        for namespace, label in (
            ("deny", "replicas=deny"), ("warn", "replicas=warn"),
            ("prod", "env=prod"), ("prod-noparams", "env=prod"),
        ):  # fmt: skip
            running.kubectl("create", "namespace", namespace)
            running.kubectl("label", "namespace", namespace, label)
        yield running


@pytest.fixture(scope="module")
def apps(server: RunningServer) -> client.AppsV1Api:
    return client.AppsV1Api(config.new_client_from_config(str(server.kubeconfig)))


def _deployment(name: str, replicas: int) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "x"}]},
            },
        },
    }


def _create(server: RunningServer, namespace: str, name: str, replicas: int) -> Any:
    return server.kubectl(
        "create", "deploy", name, "-n", namespace, "--image=x", f"--replicas={replicas}",
        check=False,
    )  # fmt: skip


def test_a_deny_binding_refuses_with_kubernetes_message(
    server: RunningServer, apps: client.AppsV1Api
) -> None:
    """kubectl create and kubectl apply print upstream's text; the API answers 422 Invalid
    with the message as the one cause; nothing is stored; 5 replicas pass."""
    refused = _create(server, "deny", "web", 6)
    assert refused.returncode == 1
    assert refused.stderr == (
        f'error: failed to create deployment: deployments.apps "web" is forbidden: {DENIED}\n'
    )
    applied = server.kubectl(
        "apply", "-n", "deny", "-f", "-", input=json.dumps(_deployment("web", 6)), check=False
    )
    assert applied.stderr == f'The deployments "web" is invalid: : {DENIED}\n'
    with pytest.raises(ApiException) as caught:
        apps.create_namespaced_deployment("deny", _deployment("web", 6))
    assert caught.value.status == 422
    status = json.loads(caught.value.body)
    assert (status["reason"], status["message"]) == (
        "Invalid",
        f'deployments.apps "web" is forbidden: {DENIED}',
    )
    assert status["details"] == {
        "name": "web",
        "group": "apps",
        "kind": "deployments",
        "causes": [{"message": DENIED}],
    }
    assert server.kubectl("get", "deploy", "-n", "deny", "-o", "name").stdout == ""
    assert _create(server, "deny", "five", 5).stdout == "deployment.apps/five created\n"
    # an update of the deployment is checked too; its scale subresource is another resource,
    # which a rule for `deployments` does not cover (as in Kubernetes: `deployments/scale`)
    patched = server.kubectl(
        "patch", "deploy", "five", "-n", "deny", "-p", '{"spec":{"replicas":7}}', check=False
    )
    assert patched.stderr == f'The deployments "five" is invalid: : {DENIED}\n'
    scaled = server.kubectl("scale", "deploy", "five", "-n", "deny", "--replicas=7")
    assert scaled.stdout == "deployment.apps/five scaled\n"


def test_a_warn_binding_makes_kubectl_print_the_warning(server: RunningServer) -> None:
    created = _create(server, "warn", "web", 6)
    assert created.stderr == (
        "Warning: Validation failed for ValidatingAdmissionPolicy 'replicas' with binding "
        "'replicas-warn': failed expression: object.spec.replicas <= 5\n"
    )
    assert created.stdout == "deployment.apps/web created\n"
    got: Any = server.kubectl_json("get", "deploy", "web", "-n", "warn")
    assert got["spec"]["replicas"] == 6


def test_a_policy_with_configmap_params_follows_them(server: RunningServer) -> None:
    """The binding's paramRef names a ConfigMap of the request's namespace: the limit is its
    data; an edit of it takes effect; a namespace without it is refused (parameterNotFoundAction
    Deny)."""
    server.kubectl("create", "configmap", "limits", "-n", "prod", "--from-literal=maxReplicas=3")

    def refused_with_limit() -> str | None:
        result = _create(server, "prod", "web", 4)
        return result.stderr if result.returncode else None

    stderr = eventually(refused_with_limit, within=10, what="the policy to see its params")
    assert stderr == (
        'error: failed to create deployment: deployments.apps "web" is forbidden: '
        "ValidatingAdmissionPolicy 'replica-limit' with binding 'replica-limit-prod' denied "
        "request: at most 3 replicas\n"
    )
    assert _create(server, "prod", "small", 3).returncode == 0
    server.kubectl(
        "patch", "configmap", "limits", "-n", "prod", "-p", '{"data":{"maxReplicas":"10"}}'
    )
    eventually(
        lambda: _create(server, "prod", "web", 4).returncode == 0,
        within=10,
        what="the edited params",
    )
    missing = _create(server, "prod-noparams", "web", 1)
    assert missing.stderr == (
        'error: failed to create deployment: deployments.apps "web" is forbidden: '
        "ValidatingAdmissionPolicy 'replica-limit' with binding 'replica-limit-prod' denied "
        "request: failed to configure binding: no params found for policy binding with `Deny` "
        "parameterNotFoundAction\n"
    )
