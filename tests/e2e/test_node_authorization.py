"""The Node authorizer with real kubectl 1.32 against a real ``kubeling server``.

A kubelet's identity is a client certificate the test mints with the cluster CA
(``CN=system:node:n1``, ``O=system:nodes``), as ``kubeling agent`` gets one. The admin
puts two pods on two nodes, each using its own Secret and service account; the
kubelet of n1 may read what n1's pod uses and nothing of n2's, with Kubernetes'
messages.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kubernetes import client, config

from kubeling.cli.kubeconfig import write_kubeconfig
from kubeling.pki import Pki, issue_client_cert
from tests.support.cluster import RunningServer, running_server
from tests.support.polling import eventually

NS = "node-authz"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("node-authz")) as running:
        running.kubectl("create", "namespace", NS)
        for node in ("n1", "n2"):
            running.kubectl(
                "-n", NS, "create", "secret", "generic", f"s-{node}", "--from-literal=k=v"
            )
            running.kubectl("-n", NS, "create", "serviceaccount", f"sa-{node}")
            running.kubectl("apply", "-f", "-", input=json.dumps(_pod(node)))
        yield running


def _pod(node: str) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"p-{node}", "namespace": NS},
        "spec": {
            "nodeName": node,
            "serviceAccountName": f"sa-{node}",
            "containers": [{"name": "c", "image": "busybox", "command": ["sleep", "1"]}],
            "volumes": [{"name": "s", "secret": {"secretName": f"s-{node}"}}],
        },
    }


def _kubeconfig(server: RunningServer, node: str) -> Path:
    """A kubeconfig for the kubelet of ``node``, with a certificate from the cluster CA."""
    pki = Pki.at(server.data_dir / "pki")
    cert, key = issue_client_cert(pki, f"system:node:{node}", ["system:nodes"])
    path = server.home / f"{node}.kubeconfig"
    write_kubeconfig(
        path,
        server_url=server.url,
        ca_pem=pki.ca_pem(),
        client_cert_pem=cert,
        client_key_pem=key,
        user=f"system:node:{node}",
    )
    return path


def _kubelet(server: RunningServer, node: str) -> Callable[..., subprocess.CompletedProcess[str]]:
    """kubectl as the kubelet of ``node``."""
    path = _kubeconfig(server, node)

    def run(
        *args: str, check: bool = True, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return server.kubectl("--kubeconfig", str(path), *args, check=check, input=input)

    return run


def _forbidden(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result
    return result.stderr.strip()


def test_a_kubelet_reads_the_secrets_of_its_own_pods_only(server: RunningServer) -> None:
    """n1 reads the Secret its pod mounts; n2's is 403 with the Node authorizer's reason."""
    n1 = _kubelet(server, "n1")
    # the graph follows the pod cache, which trails the create by a moment
    eventually(
        lambda: n1("-n", NS, "get", "secret", "s-n1", check=False).returncode == 0,
        within=10,
        what="n1 to read s-n1",
    )
    assert json.loads(n1("-n", NS, "get", "secret", "s-n1", "-o", "json").stdout)["data"] == {
        "k": "dg=="
    }
    assert _forbidden(n1("-n", NS, "get", "secret", "s-n2", check=False)) == (
        'Error from server (Forbidden): secrets "s-n2" is forbidden: User "system:node:n1" '
        'cannot get resource "secrets" in API group "" in the namespace "node-authz": '
        "no relationship found between node 'n1' and this object"
    )
    assert _forbidden(n1("-n", NS, "get", "secrets", check=False)) == (
        'Error from server (Forbidden): secrets is forbidden: User "system:node:n1" cannot '
        'list resource "secrets" in API group "" in the namespace "node-authz": '
        "No Object name found"
    )


def test_a_kubelet_reads_its_pods_but_not_others(server: RunningServer) -> None:
    n1 = _kubelet(server, "n1")
    listed = json.loads(
        n1("get", "pods", "-A", "--field-selector", "spec.nodeName=n1", "-o", "json").stdout
    )
    assert [p["metadata"]["name"] for p in listed["items"]] == ["p-n1"]
    assert _forbidden(n1("-n", NS, "get", "pod", "p-n2", check=False)).endswith(
        "no relationship found between node 'n1' and this object"
    )
    assert _forbidden(n1("get", "pods", "-A", check=False)).endswith(
        "can only list/watch pods with spec.nodeName field selector"
    )


def test_a_kubelet_gets_tokens_for_its_pods_service_accounts_only(server: RunningServer) -> None:
    n1 = _kubelet(server, "n1")
    uid = server.kubectl("-n", NS, "get", "pod", "p-n1", "-o", "jsonpath={.metadata.uid}").stdout
    token = n1(
        "-n", NS, "create", "token", "sa-n1",
        "--bound-object-kind", "Pod", "--bound-object-name", "p-n1", "--bound-object-uid", uid,
    )  # fmt: skip
    assert token.stdout.count(".") == 2  # a JWT
    assert _forbidden(n1("-n", NS, "create", "token", "sa-n2", check=False)).endswith(
        "no relationship found between node 'n1' and this object"
    )


def test_a_kubelet_registers_reads_and_reports_its_own_node(server: RunningServer) -> None:
    n1, n2 = _kubelet(server, "n1"), _kubelet(server, "n2")
    for name, kubelet in (("n1", n1), ("n2", n2)):
        node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}}
        kubelet("create", "-f", "-", input=json.dumps(node))
    assert json.loads(n1("get", "node", "n1", "-o", "json").stdout)["metadata"]["name"] == "n1"
    # kubectl reads nodes/status before patching it, which no kubelet may (as in Kubernetes)
    refused = n1(
        "patch", "node", "n1", "--subresource=status", "--type=merge", "-p", "{}", check=False
    )  # fmt: skip
    assert _forbidden(refused) == (
        'Error from server (Forbidden): nodes "n1" is forbidden: User "system:node:n1" cannot '
        'get resource "nodes/status" in API group "" at the cluster scope'
    )
    # the kubelet patches its status as kubelets do: a PATCH, here from the Python client
    with config.new_client_from_config(config_file=str(_kubeconfig(server, "n1"))) as api:
        client.CoreV1Api(api).patch_node_status("n1", {"status": {"capacity": {"pods": "7"}}})
    status = server.kubectl_json("get", "node", "n1")["status"]
    assert isinstance(status, dict)
    assert status["capacity"] == {"pods": "7"}
    assert _forbidden(n1("get", "node", "n2", check=False)) == (
        'Error from server (Forbidden): nodes "n2" is forbidden: User "system:node:n1" cannot '
        'get resource "nodes" in API group "" at the cluster scope: '
        "node 'n1' cannot read 'n2', only its own Node object"
    )
    assert _forbidden(n1("get", "nodes", check=False)).endswith(
        "node 'n1' cannot read all nodes, only its own Node object"
    )
    # a Lease of its own, and no one else's
    lease = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "n1", "namespace": "kube-node-lease"},
        "spec": {"holderIdentity": "n1"},
    }
    n1("create", "-f", "-", input=json.dumps(lease))
    assert _forbidden(n1("-n", "kube-node-lease", "get", "lease", "n2", check=False)).endswith(
        "can only access node lease with the same name as the requesting node"
    )


def test_a_kubelet_cannot_patch_another_node(server: RunningServer) -> None:
    """The Node authorizer lets a kubelet patch nodes (kubectl's GET first is refused: a
    kubelet reads only its own Node); NodeRestriction then refuses another node's."""
    server.kubectl(
        "apply",
        "-f",
        "-",
        input=json.dumps({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n3"}}),
    )
    kubelet = config.new_client_from_config(config_file=str(_kubeconfig(server, "n1")))
    with kubelet as api, pytest.raises(client.ApiException) as refused:
        client.CoreV1Api(api).patch_node("n3", {"metadata": {"labels": {"a": "b"}}})
    assert refused.value.status == 403
    body = json.loads(refused.value.body)
    assert body["reason"] == "Forbidden"
    assert (
        body["message"] == 'nodes "n3" is forbidden: node "n1" is not allowed to modify node "n3"'
    )
    labels = server.kubectl_json("get", "node", "n3")["metadata"]
    assert isinstance(labels, dict)
    assert "a" not in (labels.get("labels") or {})


def test_other_users_are_left_to_rbac(server: RunningServer, tmp_path: Path) -> None:
    """A user named like a node but outside system:nodes is no node: RBAC decides (no)."""
    pki = Pki.at(server.data_dir / "pki")
    cert, key = issue_client_cert(pki, "system:node:n1", ["team"])
    path = tmp_path / "fake.kubeconfig"
    write_kubeconfig(
        path, server_url=server.url, ca_pem=pki.ca_pem(), client_cert_pem=cert, client_key_pem=key
    )
    result = server.kubectl(
        "--kubeconfig", str(path), "-n", NS, "get", "secret", "s-n1", check=False
    )
    assert _forbidden(result) == (
        'Error from server (Forbidden): secrets "s-n1" is forbidden: User "system:node:n1" '
        'cannot get resource "secrets" in API group "" in the namespace "node-authz"'
    )
