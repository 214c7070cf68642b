"""CRD lifecycle against a real ``kubeling server``: names, scale, deletion.

Driven by kubectl 1.32 (``scale``, ``wait``, ``delete --wait``) and the
``kubernetes`` package's CustomObjectsApi (the scale subresource), with the
bad inputs Kubernetes answers with 400, 404, 405, 422 and 500.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from tests.support.cluster import RunningServer, kubectl_binary, running_server
from tests.support.polling import eventually

GROUP = "scale.example.com"


def _crd(
    plural: str,
    kind: str,
    *,
    short_names: tuple[str, ...] = (),
    scale: dict[str, str] | None = None,
) -> str:
    subresources: dict[str, Any] = {"status": {}}
    if scale is not None:
        subresources["scale"] = scale
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {
                "plural": plural,
                "kind": kind,
                "shortNames": list(short_names),
                "categories": ["all"],
            },
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "subresources": subresources,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "x-kubernetes-preserve-unknown-fields": True,
                                },
                                "status": {
                                    "type": "object",
                                    "x-kubernetes-preserve-unknown-fields": True,
                                },
                            },
                        }
                    },
                }
            ],
        },
    }
    return json.dumps(crd)


SCALE = {
    "specReplicasPath": ".spec.replicas",
    "statusReplicasPath": ".status.replicas",
    "labelSelectorPath": ".status.selector",
}


def _cr(plural: str, kind: str, name: str, **extra: Any) -> str:
    body: dict[str, Any] = {
        "apiVersion": f"{GROUP}/v1",
        "kind": kind,
        "metadata": {"name": name, **extra.pop("metadata", {})},
        **extra,
    }
    return json.dumps(body)


def _established(server: RunningServer, plural: str) -> None:
    server.kubectl("wait", "--for=condition=Established", f"crd/{plural}.{GROUP}", "--timeout=30s")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("crdlife")) as running:
        running.kubectl(
            "apply", "-f", "-", input=_crd("widgets", "Widget", short_names=("wd",), scale=SCALE)
        )
        _established(running, "widgets")
        yield running


@pytest.fixture
def custom(server: RunningServer) -> Iterator[client.CustomObjectsApi]:
    api_client = config.new_client_from_config(config_file=str(server.kubeconfig))
    try:
        yield client.CustomObjectsApi(api_client)
    finally:
        api_client.close()


def _status_of(err: ApiException) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(err.body)
    return body


def test_crd_status_names_and_discovery(server: RunningServer) -> None:
    """An established CRD shows its accepted names and conditions; kubectl finds it."""
    crd = server.kubectl_json("get", "crd", f"widgets.{GROUP}")
    status: Any = crd["status"]
    assert status["acceptedNames"] == {
        "plural": "widgets",
        "singular": "widget",
        "shortNames": ["wd"],
        "kind": "Widget",
        "listKind": "WidgetList",
        "categories": ["all"],
    }
    assert status["storedVersions"] == ["v1"]
    assert [(c["type"], c["status"], c["reason"]) for c in status["conditions"]] == [
        ("NamesAccepted", "True", "NoConflicts"),
        ("Established", "True", "InitialNamesAccepted"),
    ]
    table = server.kubectl("get", "crd").stdout.splitlines()
    assert table[0].split() == ["NAME", "CREATED", "AT"]
    resources = server.kubectl("api-resources", f"--api-group={GROUP}").stdout
    assert "widgets" in resources
    assert "wd" in resources


def test_kubectl_scale_custom_resource(server: RunningServer) -> None:
    """kubectl scale writes the spec replicas path; /scale shows status and selector."""
    server.kubectl("apply", "-f", "-", input=_cr("widgets", "Widget", "w1", spec={"replicas": 1}))
    assert (
        "widget.scale.example.com/w1 scaled"
        in server.kubectl("scale", "wd", "w1", "--replicas=3").stdout
    )
    assert server.kubectl("get", "wd", "w1", "-o", "jsonpath={.spec.replicas}").stdout == "3"
    server.kubectl(
        "patch",
        "wd",
        "w1",
        "--subresource=status",
        "--type=merge",
        "-p",
        '{"status":{"replicas":2,"selector":"app=w1"}}',
    )
    url = f"/apis/{GROUP}/v1/namespaces/default/widgets/w1/scale"
    scale = json.loads(server.kubectl("get", "--raw", url).stdout)
    assert (scale["apiVersion"], scale["kind"]) == ("autoscaling/v1", "Scale")
    assert scale["spec"] == {"replicas": 3}
    assert scale["status"] == {"replicas": 2, "selector": "app=w1"}
    # --current-replicas reads the Scale first and writes it back (PUT)
    server.kubectl("scale", "widget", "w1", "--current-replicas=3", "--replicas=5")
    assert server.kubectl("get", "wd", "w1", "-o", "jsonpath={.spec.replicas}").stdout == "5"
    refused = server.kubectl(
        "scale", "widget", "w1", "--current-replicas=4", "--replicas=6", check=False
    )
    assert refused.returncode == 1
    assert "Expected replicas to be 4, was 5" in refused.stderr
    # the category "all" takes custom resources in
    assert "widget.scale.example.com/w1" in server.kubectl("get", "all").stdout


def test_python_client_scale(server: RunningServer, custom: client.CustomObjectsApi) -> None:
    """CustomObjectsApi reads, patches and replaces the scale of a custom resource."""
    custom.create_namespaced_custom_object(
        GROUP,
        "v1",
        "default",
        "widgets",
        json.loads(_cr("widgets", "Widget", "py", spec={"replicas": 2})),
    )
    scale = custom.get_namespaced_custom_object_scale(GROUP, "v1", "default", "widgets", "py")
    assert scale["spec"]["replicas"] == 2
    patched = custom.patch_namespaced_custom_object_scale(
        GROUP, "v1", "default", "widgets", "py", {"spec": {"replicas": 7}}
    )
    assert patched["spec"]["replicas"] == 7
    scale = custom.get_namespaced_custom_object_scale(GROUP, "v1", "default", "widgets", "py")
    scale["spec"]["replicas"] = 4
    replaced = custom.replace_namespaced_custom_object_scale(
        GROUP, "v1", "default", "widgets", "py", scale
    )
    assert replaced["spec"]["replicas"] == 4
    stale = dict(scale, spec={"replicas": 9})
    with pytest.raises(ApiException) as conflict:
        custom.replace_namespaced_custom_object_scale(
            GROUP, "v1", "default", "widgets", "py", stale
        )
    assert conflict.value.status == 409
    obj = custom.get_namespaced_custom_object(GROUP, "v1", "default", "widgets", "py")
    assert obj["spec"]["replicas"] == 4


def test_scale_bad_input(server: RunningServer, custom: client.CustomObjectsApi) -> None:
    """Wrong types, negative replicas and missing paths get Kubernetes' Statuses."""
    custom.create_namespaced_custom_object(
        GROUP, "v1", "default", "widgets", json.loads(_cr("widgets", "Widget", "bad", spec={}))
    )
    with pytest.raises(ApiException) as missing:
        custom.get_namespaced_custom_object_scale(GROUP, "v1", "default", "widgets", "bad")
    assert missing.value.status == 500
    assert _status_of(missing.value)["message"] == (
        'Internal error occurred: the spec replicas field ".spec.replicas" does not exist'
    )
    with pytest.raises(ApiException) as wrong_type:
        custom.patch_namespaced_custom_object_scale(
            GROUP, "v1", "default", "widgets", "bad", {"spec": {"replicas": "two"}}
        )
    assert wrong_type.value.status == 400
    assert _status_of(wrong_type.value)["message"] == (
        'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal string '
        "into Go struct field ScaleSpec.spec.replicas of type int32"
    )
    with pytest.raises(ApiException) as empty:
        custom.patch_namespaced_custom_object_scale(
            GROUP, "v1", "default", "widgets", "bad", {"metadata": {"labels": {"a": "b"}}}
        )
    assert empty.value.status == 400
    assert _status_of(empty.value)["message"] == (
        'the spec replicas field ".spec.replicas" cannot be empty'
    )
    with pytest.raises(ApiException) as negative:
        custom.patch_namespaced_custom_object_scale(
            GROUP, "v1", "default", "widgets", "bad", {"spec": {"replicas": -1}}
        )
    assert negative.value.status == 422
    status = _status_of(negative.value)
    assert status["message"] == (
        'Widget.scale.example.com "bad" is invalid: .spec.replicas: Invalid value: -1: '
        "should be a non-negative integer"
    )
    assert status["details"]["causes"] == [
        {
            "reason": "FieldValueInvalid",
            "message": "Invalid value: -1: should be a non-negative integer",
            "field": ".spec.replicas",
        }
    ]
    # the same check guards every write of the object itself
    made = server.kubectl(
        "create",
        "-f",
        "-",
        input=_cr("widgets", "Widget", "typed", spec={"replicas": "x"}),
        check=False,
    )
    assert made.returncode == 1
    assert (
        ".spec.replicas: Invalid value: 0: .spec.replicas accessor error: x is of the type "
        "string, expected int64"
    ) in made.stderr
    # nothing was stored by the refused writes
    assert (
        custom.get_namespaced_custom_object(GROUP, "v1", "default", "widgets", "bad")["spec"] == {}
    )
    # a subresource the CRD does not declare names the object
    crd_less = server.kubectl("apply", "-f", "-", input=_crd("gadgets", "Gadget"), check=False)
    assert crd_less.returncode == 0, crd_less.stderr
    _established(server, "gadgets")
    server.kubectl("create", "-f", "-", input=_cr("gadgets", "Gadget", "g"))
    raw = server.kubectl(
        "get", "--raw", f"/apis/{GROUP}/v1/namespaces/default/gadgets/g/scale", check=False
    )
    assert raw.returncode == 1
    assert raw.stderr == ('Error from server (NotFound): gadgets.scale.example.com "g" not found\n')


def test_crd_with_bad_scale_paths_is_422(server: RunningServer) -> None:
    """Replica paths outside .spec/.status are refused when the CRD is written."""
    bad = _crd(
        "things",
        "Thing",
        scale={"specReplicasPath": ".status.replicas", "statusReplicasPath": "status.replicas"},
    )
    result = server.kubectl("apply", "-f", "-", input=bad, check=False)
    assert result.returncode == 1
    assert (
        "spec.versions[0].subresources.scale.specReplicasPath: Invalid value: "
        '".status.replicas": should be a json path under .spec'
    ) in result.stderr
    assert (
        "spec.versions[0].subresources.scale.statusReplicasPath: Invalid value: "
        '"status.replicas": must be a simple json path starting with .'
    ) in result.stderr


def test_conflicting_crd_is_not_accepted(server: RunningServer) -> None:
    """A CRD claiming another's short name gets NamesAccepted=False and is not served."""
    server.kubectl("apply", "-f", "-", input=_crd("wands", "Wand", short_names=("wd",)))
    server.kubectl(
        "wait", "--for=condition=NamesAccepted=false", f"crd/wands.{GROUP}", "--timeout=30s"
    )
    crd = server.kubectl_json("get", "crd", f"wands.{GROUP}")
    by_type = {c["type"]: c for c in crd["status"]["conditions"]}  # type: ignore[index]
    assert (by_type["NamesAccepted"]["reason"], by_type["NamesAccepted"]["message"]) == (
        "ShortNamesConflict",
        '"wd" is already in use',
    )
    assert (by_type["Established"]["status"], by_type["Established"]["reason"]) == (
        "False",
        "NotAccepted",
    )
    assert "wands" not in server.kubectl("api-resources", f"--api-group={GROUP}").stdout
    raw = server.kubectl("get", "--raw", f"/apis/{GROUP}/v1/namespaces/default/wands", check=False)
    assert raw.stderr == (
        "Error from server (NotFound): the server could not find the requested resource\n"
    )
    server.kubectl("delete", "crd", f"wands.{GROUP}")


def test_delete_crd_with_objects_waits_for_their_finalizers(server: RunningServer) -> None:
    """delete --wait returns once every object is gone; meanwhile creates are a 405."""
    server.kubectl("apply", "-f", "-", input=_crd("gizmos", "Gizmo", short_names=("gz",)))
    _established(server, "gizmos")
    server.kubectl("create", "-f", "-", input=_cr("gizmos", "Gizmo", "plain"))
    server.kubectl(
        "create",
        "-f",
        "-",
        input=_cr("gizmos", "Gizmo", "held", metadata={"finalizers": ["example.com/hold"]}),
    )
    env = {"HOME": str(server.home), "KUBECONFIG": str(server.kubeconfig)}
    deleting = subprocess.Popen(
        [kubectl_binary(), "delete", "crd", f"gizmos.{GROUP}", "--wait", "--timeout=60s"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        eventually(
            lambda: _names(server),
            accept=lambda names: "held" in names and "plain" not in names,
            within=30,
            what="the objects without a finalizer to be deleted",
        )
        reason = server.kubectl(
            "get",
            "crd",
            f"gizmos.{GROUP}",
            "-o",
            'jsonpath={.status.conditions[?(@.type=="Terminating")].reason}',
        ).stdout
        assert reason in ("InstanceDeletionInProgress", "InstanceDeletionPending")
        assert deleting.poll() is None, "delete --wait returned while an object remained"
        refused = server.kubectl(
            "create", "-f", "-", input=_cr("gizmos", "Gizmo", "late"), check=False
        )
        assert refused.returncode == 1
        assert (
            'Error from server (MethodNotAllowed): error when creating "STDIN": create not '
            "allowed while custom resource definition is terminating"
        ) in refused.stderr
        server.kubectl(
            "patch", "gz", "held", "--type=merge", "-p", '{"metadata":{"finalizers":null}}'
        )
        out, err = deleting.communicate(timeout=60)
    finally:
        if deleting.poll() is None:
            deleting.kill()
            deleting.communicate()
    assert deleting.returncode == 0, err
    assert f'customresourcedefinition.apiextensions.k8s.io "gizmos.{GROUP}" deleted' in out
    missing = server.kubectl("get", "crd", f"gizmos.{GROUP}", check=False)
    assert "NotFound" in missing.stderr
    assert server.kubectl("get", "gizmos", check=False).returncode == 1
    assert "gizmos" not in server.kubectl("api-resources", f"--api-group={GROUP}").stdout

    # the same name again starts empty
    server.kubectl("apply", "-f", "-", input=_crd("gizmos", "Gizmo", short_names=("gz",)))
    _established(server, "gizmos")
    listed = server.kubectl("get", "gizmos")
    assert "No resources found in default namespace." in listed.stderr


def _names(server: RunningServer) -> list[str]:
    out = server.kubectl("get", "gizmos", "-o", "jsonpath={.items[*].metadata.name}").stdout
    return out.split()
