"""Services answering in real processes, driven by kubectl: ``kubeling up`` and ``kubeling proxy``.

In ``kubeling up`` the pods are real: its kubelet runs them as host processes (the pod IP is
the node's, 127.0.0.1) and its controllers and proxy do the rest. ``kubeling proxy`` is
tested against a bare ``kubeling server``: the test makes the Node and the EndpointSlice
itself, and a small HTTP server in this process stands in for the pod.
"""

from __future__ import annotations

import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pytest

from tests.support.cluster import RunningServer, running_server
from tests.support.polling import eventually

T = TypeVar("T")


@contextmanager
def pod_server(name: str) -> Iterator[int]:
    """An HTTP server on 127.0.0.1 answering ``name``; yields its port."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = name.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# Straight to the address, whatever proxy the environment names.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def get(url: str) -> str | None:
    """The body at ``url``, or None while it does not answer."""
    try:
        with _DIRECT.open(url, timeout=2) as response:
            return str(response.read().decode())
    except (OSError, urllib.error.URLError):
        return None


def add_node(server: RunningServer, name: str) -> None:
    server.kubectl(
        "create",
        "-f",
        "-",
        input=json.dumps({"kind": "Node", "apiVersion": "v1", "metadata": {"name": name}}),
    )
    status = {"status": {"addresses": [{"type": "InternalIP", "address": "127.0.0.1"}]}}
    server.kubectl("patch", "node", name, "--subresource=status", "-p", json.dumps(status))


POD_SCRIPT = """
import http.server, sys
name, port = sys.argv[1], int(sys.argv[2])
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = name.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
"""


def run_pod(server: RunningServer, name: str, node: str, port: int) -> None:
    """A pod of app=web on ``node`` (the kubelet runs it) answering its name on ``port``."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "web"}},
        "spec": {
            "nodeName": node,  # the scheduler is not in kubeling up yet
            "terminationGracePeriodSeconds": 2,
            "containers": [
                {
                    "name": "web",
                    "image": "python:3",
                    "command": [sys.executable, "-c", POD_SCRIPT, name, str(port)],
                    "ports": [{"name": "http", "containerPort": port}],
                }
            ],
        },
    }
    server.kubectl("create", "-f", "-", input=json.dumps(pod))


def test_kubeling_up_serves_cluster_ip_node_port_and_load_balancer(tmp_path: Path) -> None:
    """In ``kubeling up``: pods run by its kubelet, the endpointslice controller, the built-in
    load balancer and the proxy make a LoadBalancer Service answer on every address, and
    ``kubectl get svc`` shows its EXTERNAL-IP (the node's address)."""
    node = "e2e-proxy-node"
    # A free DNS port: other runs on this machine may hold 127.96.0.10 port 53.
    extra = ["--node-name", node, "--dns-port", "0"]
    with running_server(tmp_path, command="up", extra=extra) as server:
        port_a, port_b, lb_port = _free_port(), _free_port(), _free_port()
        run_pod(server, "web-a", node, port_a)
        run_pod(server, "web-b", node, port_b)
        server.kubectl(
            "expose", "pod", "web-a", "--name=web", "--type=LoadBalancer", "--selector=app=web",
            f"--port={lb_port}", "--target-port=http",
        )  # fmt: skip

        def external_ip() -> str | None:
            out = server.kubectl("get", "svc", "web", "--no-headers").stdout.split()
            return out[3] if out[3] != "<pending>" else None

        assert eventually(external_ip, what="EXTERNAL-IP") == "127.0.0.1"
        svc = server.kubectl_json("get", "svc", "web")
        spec = svc["spec"]
        assert isinstance(spec, dict)
        cluster_ip, node_port = spec["clusterIP"], spec["ports"][0]["nodePort"]
        for url in (
            f"http://{cluster_ip}:{lb_port}/",
            f"http://127.0.0.1:{node_port}/",
            f"http://127.0.0.1:{lb_port}/",
        ):
            answers = eventually(lambda url=url: _both(url), what=f"both pods behind {url}")
            assert answers == {"web-a", "web-b"}

        # Deleting a pod takes it out of rotation.
        server.kubectl("delete", "pod", "web-b")
        url = f"http://{cluster_ip}:{lb_port}/"
        eventually(lambda: _only(url, {"web-a"}), what="web-b out of rotation")


def _both(url: str) -> set[str] | None:
    seen = {get(url) for _ in range(6)}
    return {s for s in seen if s} if seen == {"web-a", "web-b"} else None


def _only(url: str, expected: set[str]) -> bool:
    return {get(url) for _ in range(4)} == expected


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_kubeling_proxy_command(tmp_path: Path) -> None:
    """``kubeling proxy --kubeconfig ... --node-name ...`` as its own process: it serves a
    Service created with kubectl and stops cleanly on SIGTERM."""
    with running_server(tmp_path) as server, pod_server("solo") as port:
        add_node(server, "node-x")
        log = (tmp_path / "proxy.log").open("w")
        proxy = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kubeling",
                "proxy",
                "--kubeconfig",
                str(server.kubeconfig),
                "--node-name",
                "node-x",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ},
        )
        try:
            server.kubectl("create", "service", "clusterip", "solo", "--tcp=8081:8081")
            slice_ = {
                "apiVersion": "discovery.k8s.io/v1",
                "kind": "EndpointSlice",
                "metadata": {"name": "solo-1", "labels": {"kubernetes.io/service-name": "solo"}},
                "addressType": "IPv4",
                "ports": [{"name": "8081-8081", "port": port, "protocol": "TCP"}],
                "endpoints": [{"addresses": ["127.0.0.1"], "nodeName": "node-x"}],
            }
            server.kubectl("create", "-f", "-", input=json.dumps(slice_))
            ip = server.kubectl("get", "svc", "solo", "-o", "jsonpath={.spec.clusterIP}").stdout
            assert eventually(lambda: get(f"http://{ip}:8081/"), what="the Service") == "solo"
        finally:
            proxy.send_signal(signal.SIGTERM)
            try:
                code = proxy.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proxy.kill()
                proxy.wait()
                pytest.fail("kubeling proxy ignored SIGTERM")
            log.close()
        assert code == 0, (tmp_path / "proxy.log").read_text()
        assert get(f"http://{ip}:8081/") is None  # its frontends went with it
