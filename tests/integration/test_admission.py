"""The admission chain of a real API server, driven with kubectl and the ``kubernetes`` package.

Every plugin is on (the bare server's default leaves ServiceAccount out: no
controller creates the ``default`` account here, so this module creates it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from tests.support.cluster import RunningServer, running_server

NS = "adm"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("admission"), disabled_admission=()) as running:
        running.kubectl("create", "namespace", NS)
        running.kubectl("create", "serviceaccount", "default", "-n", NS)
        yield running


@pytest.fixture(scope="module")
def core(server: RunningServer) -> client.CoreV1Api:
    return client.CoreV1Api(config.new_client_from_config(str(server.kubeconfig)))


def _pod(name: str, **spec: Any) -> dict[str, Any]:
    container = {"name": "app", "image": "busybox", "command": ["sleep", "3600"]}
    container.update(spec.pop("container", {}))
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"containers": [container], **spec},
    }


def _apply(server: RunningServer, obj: dict[str, Any], *extra: str) -> Any:
    return server.kubectl("create", "-f", "-", *extra, input=json.dumps(obj), check=False)


def test_a_pod_gets_the_default_service_account_and_its_token_volume(
    server: RunningServer,
) -> None:
    """ServiceAccount: serviceAccountName default, the kube-api-access volume mounted everywhere."""
    pod = _pod("sa", initContainers=[{"name": "init", "image": "busybox", "command": ["true"]}])
    assert _apply(server, pod).returncode == 0
    got: Any = server.kubectl_json("get", "pod", "sa", "-n", NS)
    spec = got["spec"]
    assert spec["serviceAccountName"] == "default"
    assert spec["serviceAccount"] == "default"
    [volume] = [v for v in spec["volumes"] if v["name"].startswith("kube-api-access-")]
    assert len(volume["name"]) == len("kube-api-access-") + 5
    assert volume["projected"] == {
        "sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {
                "configMap": {
                    "name": "kube-root-ca.crt",
                    "items": [{"key": "ca.crt", "path": "ca.crt"}],
                }
            },
            {
                "downwardAPI": {
                    "items": [
                        {
                            "path": "namespace",
                            "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                        }
                    ]
                }
            },
        ],
        "defaultMode": 420,
    }
    mount = {
        "name": volume["name"],
        "readOnly": True,
        "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
    }
    assert mount in spec["containers"][0]["volumeMounts"]
    assert mount in spec["initContainers"][0]["volumeMounts"]


def test_a_pod_of_a_missing_service_account_is_refused(server: RunningServer) -> None:
    result = _apply(server, _pod("nosa", serviceAccountName="ghost"))
    assert result.returncode != 0
    assert (
        'pods "nosa" is forbidden: service account adm/ghost was not found, retry after the '
        "service account is created"
    ) in result.stderr


def test_automount_false_leaves_the_token_out(server: RunningServer) -> None:
    assert _apply(server, _pod("noauto", automountServiceAccountToken=False)).returncode == 0
    got: Any = server.kubectl_json("get", "pod", "noauto", "-n", NS)
    assert "volumes" not in got["spec"]
    assert "volumeMounts" not in got["spec"]["containers"][0]


def test_limit_range_defaults_and_max(server: RunningServer, core: client.CoreV1Api) -> None:
    """LimitRanger: defaults and the annotation on a created pod; a pod over max is a 403."""
    limit_range = {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "limits", "namespace": NS},
        "spec": {
            "limits": [
                {
                    "type": "Container",
                    "default": {"cpu": "500m", "memory": "128Mi"},
                    "defaultRequest": {"cpu": "100m"},
                    "max": {"cpu": "1"},
                    "min": {"cpu": "100m"},
                }
            ]
        },
    }
    assert _apply(server, limit_range).returncode == 0
    try:
        assert _apply(server, _pod("limited")).returncode == 0
        got: Any = server.kubectl_json("get", "pod", "limited", "-n", NS)
        assert got["spec"]["containers"][0]["resources"] == {
            "limits": {"cpu": "500m", "memory": "128Mi"},
            "requests": {"cpu": "100m", "memory": "128Mi"},
        }
        assert got["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == (
            "LimitRanger plugin set: cpu, memory request for container app; "
            "cpu, memory limit for container app"
        )
        big = _pod("big", container={"resources": {"limits": {"cpu": "2"}}})
        with pytest.raises(ApiException) as refused:
            core.create_namespaced_pod(NS, big)
        assert refused.value.status == 403
        body = json.loads(refused.value.body)
        assert body["reason"] == "Forbidden"
        assert body["message"] == (
            'pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2'
        )
        small = _pod("small", container={"resources": {"requests": {"cpu": "50m"}}})
        result = _apply(server, small)
        assert result.returncode != 0
        assert (
            'pods "small" is forbidden: minimum cpu usage per Container is 100m, but request is 50m'
        ) in result.stderr
        assert server.kubectl("get", "pod", "big", "-n", NS, check=False).returncode != 0
    finally:
        server.kubectl("delete", "limitrange", "limits", "-n", NS)


def test_priority_class_name_resolves(server: RunningServer, core: client.CoreV1Api) -> None:
    """Priority: the built-in classes exist; a class resolves; unknown classes and a second
    global default are refused."""
    names = server.kubectl("get", "priorityclasses", "-o", "name").stdout.split()
    assert "priorityclass.scheduling.k8s.io/system-node-critical" in names
    assert "priorityclass.scheduling.k8s.io/system-cluster-critical" in names
    assert (
        _apply(server, _pod("critical", priorityClassName="system-node-critical")).returncode == 0
    )
    got: Any = server.kubectl_json("get", "pod", "critical", "-n", NS)
    assert got["spec"]["priority"] == 2000001000
    assert got["spec"]["preemptionPolicy"] == "PreemptLowerPriority"
    with pytest.raises(ApiException) as refused:
        core.create_namespaced_pod(NS, _pod("lost", priorityClassName="nope"))
    assert refused.value.status == 403
    assert json.loads(refused.value.body)["message"] == (
        'pods "lost" is forbidden: no PriorityClass with name nope was found'
    )
    for name in ("first", "second"):
        pc = {
            "apiVersion": "scheduling.k8s.io/v1",
            "kind": "PriorityClass",
            "metadata": {"name": name},
            "value": 1000 if name == "first" else 2000,
            "globalDefault": True,
        }
        result = _apply(server, pc)
    assert result.returncode != 0
    assert (
        'priorityclasses.scheduling.k8s.io "second" is forbidden: PriorityClass first is '
        "already marked as default. Only one default can exist"
    ) in result.stderr
    try:
        assert _apply(server, _pod("defaulted")).returncode == 0
        got = server.kubectl_json("get", "pod", "defaulted", "-n", NS)
        assert got["spec"]["priorityClassName"] == "first"
        assert got["spec"]["priority"] == 1000
    finally:
        server.kubectl("delete", "priorityclass", "first")


def test_a_dry_run_create_is_admitted_and_stores_nothing(server: RunningServer) -> None:
    result = server.kubectl(
        "create", "-f", "-", "--dry-run=server", "-o", "json", input=json.dumps(_pod("dry"))
    )
    pod = json.loads(result.stdout)
    assert pod["spec"]["serviceAccountName"] == "default"
    assert any(v["name"].startswith("kube-api-access-") for v in pod["spec"]["volumes"])
    assert pod["spec"]["priority"] == 0
    assert server.kubectl("get", "pod", "dry", "-n", NS, check=False).returncode != 0
    refused = server.kubectl(
        "create",
        "-f",
        "-",
        "--dry-run=server",
        input=json.dumps(_pod("dry2", serviceAccountName="ghost")),
        check=False,
    )
    assert refused.returncode != 0
    assert "service account adm/ghost was not found" in refused.stderr


def test_a_missing_namespace_is_404_and_the_default_namespace_may_not_be_deleted(
    server: RunningServer,
) -> None:
    result = _apply(server, {**_pod("x"), "metadata": {"name": "x", "namespace": "nowhere"}})
    assert result.returncode != 0
    assert 'namespaces "nowhere" not found' in result.stderr
    result = server.kubectl("delete", "namespace", "default", check=False)
    assert result.returncode != 0
    assert 'namespaces "default" is forbidden: this namespace may not be deleted' in result.stderr
