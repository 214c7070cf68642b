"""Issue 7's scenario under ``kubeling up``: a pod lists pods with its projected token and the
``kubernetes`` package's in-cluster config, denied before a RoleBinding and allowed after it.

The pod's process is this test's Python (the process runtime runs commands on the host), so
``kubernetes`` is importable in it. It finds the API server as every pod does: the kubelet's
``KUBERNETES_SERVICE_HOST``/``PORT`` (the ``kubernetes`` Service's ClusterIP, 127.96.0.1:443),
forwarded by the service proxy to the endpoints the API server writes for that Service, with
the token and CA the ServiceAccount plugin's ``kube-api-access`` volume mounts at
/var/run/secrets/kubernetes.io/serviceaccount.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.cluster import RunningServer, running_server
from tests.support.polling import eventually

NODE = "e2e-in-cluster"
NS = "team"

# What the pod runs: the in-cluster config, one list, the outcome on stdout.
LISTER = """
import json, os
from kubernetes import client, config
print("service", os.environ["KUBERNETES_SERVICE_HOST"], os.environ["KUBERNETES_SERVICE_PORT"])
config.load_incluster_config()
try:
    pods = client.CoreV1Api().list_namespaced_pod(open(
        "/var/run/secrets/kubernetes.io/serviceaccount/namespace").read())
except client.ApiException as err:
    print("refused", err.status, json.loads(err.body)["message"])
else:
    print("listed", " ".join(sorted(p.metadata.name for p in pods.items)))
"""


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    root = tmp_path_factory.mktemp("in-cluster")
    extra = ["--node-name", NODE, "--dns-port", "0", "--disable-ingress"]
    with running_server(root, command="up", extra=extra) as running:
        running.kubectl("create", "namespace", NS)
        # The ServiceAccount plugin refuses pods until the controller has made `default`.
        eventually(
            lambda: running.kubectl("get", "sa", "default", "-n", NS, check=False).returncode == 0,
            what="the default service account",
        )
        yield running


def _run_lister(up: RunningServer, name: str) -> list[str]:
    """Create a pod running LISTER; its log lines once it has finished."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "restartPolicy": "Never",
            "containers": [
                {"name": "lister", "image": "python", "command": [sys.executable, "-c", LISTER]}
            ],
        },
    }
    up.kubectl("create", "-f", "-", input=json.dumps(pod))

    def finished() -> str | None:
        status: Any = up.kubectl_json("get", "pod", name, "-n", NS)["status"]
        phase = str(status.get("phase", ""))
        return phase if phase in ("Succeeded", "Failed") else None

    phase = eventually(finished, within=60, what=f"pod {name} to finish")
    logs = up.kubectl("logs", name, "-n", NS).stdout
    assert phase == "Succeeded", logs
    return logs.splitlines()


def test_the_kubernetes_service_leads_to_the_api_server(up: RunningServer) -> None:
    """The API server writes the Service's Endpoints and EndpointSlice with its own port."""
    port = int(up.url.rsplit(":", 1)[1])
    endpoints: Any = up.kubectl_json("get", "endpoints", "kubernetes", "-n", "default")
    assert endpoints["subsets"] == [
        {"addresses": [{"ip": "127.0.0.1"}],
         "ports": [{"name": "https", "port": port, "protocol": "TCP"}]}
    ]  # fmt: skip
    slice_: Any = up.kubectl_json("get", "endpointslice", "kubernetes", "-n", "default")
    assert slice_["metadata"]["labels"] == {"kubernetes.io/service-name": "kubernetes"}
    assert slice_["ports"] == [{"name": "https", "port": port, "protocol": "TCP"}]


def test_a_pod_lists_pods_only_after_a_rolebinding(up: RunningServer) -> None:
    """403 with Kubernetes' RBAC message first; after `kubectl create rolebinding` (view) the
    same request from a new pod succeeds."""
    before = _run_lister(up, "before")
    assert before == [
        "service 127.96.0.1 443",
        'refused 403 pods is forbidden: User "system:serviceaccount:team:default" cannot list '
        'resource "pods" in API group "" in the namespace "team"',
    ]
    created = up.kubectl(
        "create", "rolebinding", "default-view", "-n", NS,
        "--clusterrole=view", f"--serviceaccount={NS}:default",
    )  # fmt: skip
    assert created.stdout.strip() == "rolebinding.rbac.authorization.k8s.io/default-view created"
    after = _run_lister(up, "after")
    assert after == ["service 127.96.0.1 443", "listed after before"]
    # The token the pod used is the bound one the kubelet requested for it.
    pod: Any = up.kubectl_json("get", "pod", "after", "-n", NS)
    [volume] = [v for v in pod["spec"]["volumes"] if v["name"].startswith("kube-api-access-")]
    assert volume["projected"]["sources"][0]["serviceAccountToken"]["path"] == "token"
