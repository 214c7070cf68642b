"""CRD validation rules (x-kubernetes-validations) end to end, with real kubectl."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest
from kubernetes import client, config

from tests.support.cluster import RunningServer, running_server
from tests.support.polling import eventually

CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.cel.example.com}
spec:
  group: cel.example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-validations:
        - rule: "self.metadata.name.startsWith('w-')"
          message: "widget names start with w-"
        properties:
          spec:
            type: object
            x-kubernetes-validations:
            - rule: "self.replicas <= self.maxReplicas"
              message: "replicas must be <= maxReplicas"
            - rule: "self.image == oldSelf.image"
              messageExpression: "'image is immutable, it was ' + oldSelf.image"
              reason: FieldValueForbidden
            properties:
              replicas: {type: integer}
              maxReplicas: {type: integer}
              image: {type: string}
              ports:
                type: array
                items:
                  type: object
                  properties:
                    port: {type: integer}
                  x-kubernetes-validations:
                  - rule: "self.port > 0 && self.port < 65536"
                    message: "port must be between 1 and 65535"
          status:
            type: object
            properties:
              ready: {type: integer}
            x-kubernetes-validations:
            - rule: "self.ready >= 0"
              message: "ready cannot be negative"
"""

WIDGET = """
apiVersion: cel.example.com/v1
kind: Widget
metadata: {{name: {name}}}
spec:
  replicas: {replicas}
  maxReplicas: 3
  image: {image}
  ports: [{{port: 80}}, {{port: {port}}}]
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("cel")) as running:
        running.kubectl("apply", "-f", "-", input=CRD)
        eventually(
            lambda: "widgets" in running.kubectl("api-resources").stdout,
            within=10,
            what="the CRD to be served",
        )
        yield running


def _apply(
    server: RunningServer,
    *,
    name: str = "w-one",
    replicas: int = 1,
    image: str = "nginx",
    port: int = 443,
) -> tuple[int, str]:
    manifest = WIDGET.format(name=name, replicas=replicas, image=image, port=port)
    result = server.kubectl("apply", "-f", "-", input=manifest, check=False)
    return result.returncode, result.stdout + result.stderr


def test_valid_widget_is_created(server: RunningServer) -> None:
    """A widget that satisfies every rule is created."""
    code, out = _apply(server, name="w-valid")
    assert code == 0, out
    assert "widget.cel.example.com/w-valid created" in out


def test_simple_rule_fails_with_kubernetes_message(server: RunningServer) -> None:
    """A false rule is a 422 whose message is the field path, the node's type and the message."""
    code, out = _apply(server, name="w-big", replicas=5)
    assert code == 1
    assert (
        'The Widget "w-big" is invalid: spec: Invalid value: "object": '
        "replicas must be <= maxReplicas"
    ) in out


def test_rule_on_list_items_and_root(server: RunningServer) -> None:
    """Rules on list items point at the item; a root rule has Go's <nil> path; all are listed."""
    code, out = _apply(server, name="bad-name", port=70000)
    assert code == 1
    assert (
        'The Widget "bad-name" is invalid: \n'
        '* <nil>: Invalid value: "object": widget names start with w-\n'
        '* spec.ports[1]: Invalid value: "object": port must be between 1 and 65535'
    ) in out


def test_transition_rule_with_message_expression(server: RunningServer) -> None:
    """A rule on oldSelf passes on create and refuses a change on update, with messageExpression."""
    code, out = _apply(server, name="w-fixed", image="nginx")
    assert code == 0, out
    code, out = _apply(server, name="w-fixed", image="httpd")
    assert code == 1
    assert 'The Widget "w-fixed" is invalid: spec: Forbidden: image is immutable, it was nginx' in (
        out
    )
    code, out = _apply(server, name="w-fixed", image="nginx", replicas=2)
    assert code == 0, out


def test_rules_run_on_patch_and_status(server: RunningServer) -> None:
    """Merge patches and writes to /status are validated too; the status shows its causes."""
    code, out = _apply(server, name="w-patched")
    assert code == 0, out
    result = server.kubectl(
        "patch",
        "widget",
        "w-patched",
        "--type=merge",
        "-p",
        '{"spec":{"maxReplicas":0}}',
        check=False,
    )
    assert result.returncode == 1
    assert 'spec: Invalid value: "object": replicas must be <= maxReplicas' in result.stderr
    result = server.kubectl(
        "patch",
        "widget",
        "w-patched",
        "--subresource=status",
        "--type=merge",
        "-p",
        '{"status":{"ready":-1}}',
        check=False,
    )
    assert result.returncode == 1
    assert 'status: Invalid value: "object": ready cannot be negative' in result.stderr
    server.kubectl(
        "patch",
        "widget",
        "w-patched",
        "--subresource=status",
        "--type=merge",
        "-p",
        '{"status":{"ready":1}}',
    )
    status = server.kubectl_json("get", "widget", "w-patched")["status"]
    assert status == {"ready": 1}


def test_server_side_apply_is_validated(server: RunningServer) -> None:
    """kubectl apply --server-side goes through the same rules."""
    manifest = WIDGET.format(name="w-ssa", replicas=9, image="nginx", port=1)
    result = server.kubectl("apply", "--server-side", "-f", "-", input=manifest, check=False)
    assert result.returncode == 1
    assert 'spec: Invalid value: "object": replicas must be <= maxReplicas' in result.stderr


def test_invalid_status_has_one_cause_per_rule(server: RunningServer) -> None:
    """Through the kubernetes client: a 422 Invalid Status, one cause per failed rule."""
    api_client = config.new_client_from_config(config_file=str(server.kubeconfig))
    try:
        objects = client.CustomObjectsApi(api_client)
        body = {
            "apiVersion": "cel.example.com/v1",
            "kind": "Widget",
            "metadata": {"name": "w-causes"},
            "spec": {"replicas": 9, "maxReplicas": 1, "image": "x", "ports": [{"port": 0}]},
        }
        with pytest.raises(client.ApiException) as caught:
            objects.create_namespaced_custom_object(
                "cel.example.com", "v1", "default", "widgets", body
            )
    finally:
        api_client.close()
    assert caught.value.status == 422
    status = json.loads(caught.value.body)
    assert status["reason"] == "Invalid"
    assert status["message"] == (
        'Widget.cel.example.com "w-causes" is invalid: [spec: Invalid value: "object": replicas '
        'must be <= maxReplicas, spec.ports[0]: Invalid value: "object": port must be between 1 '
        "and 65535]"
    )
    assert status["details"]["causes"] == [
        {
            "reason": "FieldValueInvalid",
            "message": 'Invalid value: "object": replicas must be <= maxReplicas',
            "field": "spec",
        },
        {
            "reason": "FieldValueInvalid",
            "message": 'Invalid value: "object": port must be between 1 and 65535',
            "field": "spec.ports[0]",
        },
    ]


BAD_RULE_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.cel.example.com}
spec:
  group: cel.example.com
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            x-kubernetes-validations:
            - rule: "self.replica > 1"
            properties:
              replicas: {type: integer}
"""


def test_crd_with_invalid_rule_is_rejected(server: RunningServer) -> None:
    """A CRD whose rule does not compile is refused, with the compiler's message and position."""
    result = server.kubectl("apply", "-f", "-", input=BAD_RULE_CRD, check=False)
    assert result.returncode == 1
    assert (
        'The CustomResourceDefinition "gadgets.cel.example.com" is invalid: '
        "spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations[0]"
        '.rule: Invalid value: apiextensions.ValidationRule{Rule:"self.replica > 1"'
    ) in result.stderr
    assert "compilation failed: ERROR: <input>:1:5: undefined field 'replica'" in result.stderr
    assert "gadgets" not in server.kubectl("get", "crd").stdout


LEGACY_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: legacies.cel.example.com}
spec:
  group: cel.example.com
  scope: Namespaced
  names: {plural: legacies, singular: legacy, kind: Legacy}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              replicas: {type: integer}
              note: {type: string}
"""
STRICTER = (
    '[{"op": "add", "path": "/spec/versions/0/schema/openAPIV3Schema/properties/spec/'
    'properties/replicas/x-kubernetes-validations", "value": [{"rule": "self <= 1", '
    '"message": "at most one replica"}]}]'
)


def test_stricter_rule_ratchets_existing_objects(server: RunningServer) -> None:
    """A rule added later only warns on updates that leave its (offending) value alone."""
    server.kubectl("apply", "-f", "-", input=LEGACY_CRD)
    legacy = "apiVersion: cel.example.com/v1\nkind: Legacy\nmetadata: {name: old}\n"
    eventually(
        lambda: server.kubectl("get", "legacies", check=False).returncode == 0,
        within=10,
        what="the CRD to be served",
    )
    server.kubectl("apply", "-f", "-", input=legacy + "spec: {replicas: 3, note: a}\n")
    server.kubectl("patch", "crd", "legacies.cel.example.com", "--type=json", "-p", STRICTER)

    def create_new() -> subprocess.CompletedProcess[str]:
        """Create an offending object; delete it again if the rule let it through."""
        created = server.kubectl(
            "apply",
            "-f",
            "-",
            input=legacy.replace("old", "new") + "spec: {replicas: 3}\n",
            check=False,
        )
        if created.returncode == 0:
            server.kubectl("delete", "legacy", "new")
        return created

    # the new rule applies once the registrar has seen the updated CRD
    fresh = eventually(
        create_new,
        accept=lambda created: created.returncode != 0,
        within=10,
        what="the stricter rule to apply",
    )
    assert 'spec.replicas: Invalid value: "integer": at most one replica' in fresh.stderr
    unrelated = server.kubectl(
        "apply", "-f", "-", input=legacy + "spec: {replicas: 3, note: b}\n", check=False
    )
    assert unrelated.returncode == 0, unrelated.stderr
    warning = 'Warning: spec.replicas: Invalid value: "integer": at most one replica'
    assert warning in unrelated.stderr
    worse = server.kubectl(
        "apply", "-f", "-", input=legacy + "spec: {replicas: 4, note: b}\n", check=False
    )
    assert worse.returncode == 1
    assert 'spec.replicas: Invalid value: "integer": at most one replica' in worse.stderr
