"""Admission webhooks end to end: kubectl, a real kubeling server, a webhook served by the
test over HTTPS with its own CA, called by the API server's admission chain."""

from __future__ import annotations

import base64
import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from kubeling.pki import ensure_pki, issue_serving_cert
from tests.support.cluster import RunningServer, running_server


class _Webhook(BaseHTTPRequestHandler):
    """/mutate adds a label; /validate refuses objects labelled forbidden=true."""

    def do_POST(self) -> None:
        review = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        request = review["request"]
        labels = ((request.get("object") or {}).get("metadata") or {}).get("labels") or {}
        response: dict[str, Any] = {"uid": request["uid"], "allowed": True}
        if self.path.startswith("/mutate"):
            op = {"op": "add", "path": "/metadata/labels", "value": {**labels, "mutated": "yes"}}
            response["patch"] = base64.b64encode(json.dumps([op]).encode()).decode()
            response["patchType"] = "JSONPatch"
        elif labels.get("forbidden") == "true":
            response["allowed"] = False
            response["status"] = {"code": 403, "reason": "Forbidden", "message": "forbidden label"}
        else:
            response["warnings"] = ["checked by the test webhook"]
        body = json.dumps(
            {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def webhook(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, caBundle) of the test's webhook server on 127.0.0.1."""
    root = tmp_path_factory.mktemp("webhook")
    pki = ensure_pki(root / "pki", server_names=[], server_ips=[])
    cert, key = issue_serving_cert(pki, "webhook", names=[], ips=["127.0.0.1"])
    (root / "tls.crt").write_bytes(cert)
    (root / "tls.key").write_bytes(key)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(root / "tls.crt", root / "tls.key")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield (
            f"https://127.0.0.1:{server.server_address[1]}",
            base64.b64encode(pki.ca_pem()).decode(),
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("cluster")) as server:
        yield server


def _configuration(kind: str, name: str, url: str, ca: str, policy: str = "Fail") -> str:
    return json.dumps(
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": f"{kind}WebhookConfiguration",
            "metadata": {"name": name},
            "webhooks": [
                {
                    "name": f"{name}.example.com",
                    "clientConfig": {"url": url, "caBundle": ca},
                    "rules": [{"operations": ["CREATE"], "apiGroups": [""],
                               "apiVersions": ["v1"], "resources": ["configmaps"]}],
                    "namespaceSelector": {"matchLabels": {"webhooks": name}},
                    "failurePolicy": policy,
                    "sideEffects": "None",
                    "admissionReviewVersions": ["v1"],
                }
            ],
        }
    )  # fmt: skip


def _namespace(cluster: RunningServer, name: str) -> None:
    cluster.kubectl("create", "namespace", name)
    cluster.kubectl("label", "namespace", name, f"webhooks={name}")


def test_mutating_and_validating(cluster: RunningServer, webhook: tuple[str, str]) -> None:
    """kubectl sees the webhook's label on what it creates, its denial and its warning."""
    url, ca = webhook
    _namespace(cluster, "hooks")
    for kind, path in (("Mutating", "mutate"), ("Validating", "validate")):
        cluster.kubectl(
            "apply", "-f", "-", input=_configuration(kind, "hooks", f"{url}/{path}", ca)
        )
    created = cluster.kubectl("create", "configmap", "a", "-n", "hooks", "--from-literal=k=v")
    assert "Warning: checked by the test webhook" in created.stderr
    labels = cluster.kubectl_json("get", "configmap", "a", "-n", "hooks")["metadata"]
    assert isinstance(labels, dict)
    assert labels["labels"] == {"mutated": "yes"}
    refused = cluster.kubectl(
        "apply", "-n", "hooks", "-f", "-", check=False,
        input=json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                          "metadata": {"name": "b", "labels": {"forbidden": "true"}}}),
    )  # fmt: skip
    assert refused.returncode != 0
    assert (
        'Error from server (Forbidden): error when creating "STDIN": admission webhook '
        '"hooks.example.com" denied the request: forbidden label'
    ) in refused.stderr
    # a namespace the webhooks do not select is left alone
    cluster.kubectl("create", "namespace", "plain")
    cluster.kubectl("create", "configmap", "c", "-n", "plain")
    plain = cluster.kubectl_json("get", "configmap", "c", "-n", "plain")["metadata"]
    assert isinstance(plain, dict)
    assert "labels" not in plain


@pytest.mark.parametrize("policy", ["Fail", "Ignore"])
def test_webhook_down(cluster: RunningServer, webhook: tuple[str, str], policy: str) -> None:
    """Nothing listens on port 9 of 127.0.0.1: Fail refuses (500), Ignore lets it through."""
    _, ca = webhook
    name = f"down-{policy.lower()}"
    _namespace(cluster, name)
    cluster.kubectl(
        "apply", "-f", "-",
        input=_configuration("Validating", name, "https://127.0.0.1:9/", ca, policy),
    )  # fmt: skip
    result = cluster.kubectl("create", "configmap", "c", "-n", name, check=False)
    if policy == "Ignore":
        assert result.returncode == 0, result.stderr
        return
    assert result.returncode != 0
    # kubectl create configmap words the Status as "error: failed to create configmap: ..."
    assert (
        f"Internal error occurred: failed calling webhook "
        f'"{name}.example.com": failed to call webhook: Post "https://127.0.0.1:9/?timeout=10s": '
        "dial tcp 127.0.0.1:9: connect: connection refused"
    ) in result.stderr
