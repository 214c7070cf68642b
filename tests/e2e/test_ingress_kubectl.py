"""The built-in ingress controller in ``kubeling up``, driven by kubectl and curl.

Pods are real: the kubelet of ``kubeling up`` runs them as host processes
(pod IP 127.0.0.1, each on its own port). Services are made with
``kubectl expose``, the Ingress with ``kubectl create ingress``, the TLS Secret
with ``kubectl create secret tls``; requests go through curl with ``Host``
headers (and ``--resolve`` for SNI) to the ingress's ports, which the test
chooses free and passes to ``kubeling up``.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import TypeVar

from kubeling.pki import self_signed_serving_cert
from tests.support.cluster import RunningServer, running_server
from tests.support.components import wait_for_line
from tests.support.ingress import served_certificate_cn
from tests.support.polling import eventually
from tests.support.ports import free_port

T = TypeVar("T")
NODE = "e2e-ingress-node"
_BANNER = re.compile(r"ingress \(class kubeling\) on http://(\S+):(\d+) and https://(\S+):(\d+)")

POD_SCRIPT = """
import http.server, sys
name, port = sys.argv[1], int(sys.argv[2])
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = f"{name} {self.headers['Host']} {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
"""


def run_pod(server: RunningServer, name: str, app: str) -> None:
    """A pod labelled ``app`` answering ``<name> <host> <path>`` on a port of its own."""
    port = free_port()
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": app}},
        "spec": {
            "nodeName": NODE,
            "terminationGracePeriodSeconds": 1,
            "containers": [
                {
                    "name": "web",
                    "image": "python:3",
                    "command": [sys.executable, "-c", POD_SCRIPT, name, str(port)],
                    "ports": [{"name": "http", "containerPort": port}],
                    "readinessProbe": {"tcpSocket": {"port": port}, "periodSeconds": 1},
                }
            ],
        },
    }
    server.kubectl("apply", "-f", "-", input=json.dumps(pod))


def curl(url: str, *args: str) -> tuple[int, str]:
    """Status and body of a GET with curl (no proxy from the environment)."""
    result = subprocess.run(
        ["curl", "-sS", "--noproxy", "*", "-m", "5", "-w", "\n%{http_code}", *args, url],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    if result.returncode != 0:
        return 0, result.stderr
    body, _newline, code = result.stdout.rpartition("\n")
    return int(code), body


def ingress_banner(server: RunningServer) -> tuple[int, int]:
    """The HTTP and HTTPS ports ``kubeling up`` announces for its ingress."""
    match = wait_for_line(server.process, _BANNER, timeout=30)
    return int(match.group(2)), int(match.group(4))


def test_ingress_routes_hosts_paths_and_tls(tmp_path: Path) -> None:
    """An Ingress routes two hosts and two paths to two Services (spread over a Service's
    pods), serves its TLS Secret by SNI, answers 404 for no match and 503 when the Service
    has no ready pod, and ``kubectl get ingress`` shows the node's address."""
    http_port, https_port = free_port(), free_port()
    extra = [
        *("--node-name", NODE, "--dns-port", "0"),
        *("--ingress-http-port", str(http_port), "--ingress-https-port", str(https_port)),
    ]
    with running_server(tmp_path / "up", command="up", extra=extra) as server:
        assert ingress_banner(server) == (http_port, https_port)
        classes = server.kubectl("get", "ingressclass", "kubeling", "--no-headers").stdout
        assert classes.split()[:2] == ["kubeling", "kubeling.io/ingress-controller"]

        for name, app in (("web-a", "web"), ("web-b", "web"), ("api-a", "api")):
            run_pod(server, name, app)
        for app in ("web", "api"):
            server.kubectl(
                "expose", "pod", f"{app}-a", f"--name={app}", f"--selector=app={app}",
                "--port=80", "--target-port=http",
            )  # fmt: skip
        cert, key = self_signed_serving_cert("secure.test", dns_names=["secure.test"])
        (tmp_path / "tls.crt").write_bytes(cert)
        (tmp_path / "tls.key").write_bytes(key)
        server.kubectl(
            "create", "secret", "tls", "secure-tls",
            f"--cert={tmp_path / 'tls.crt'}", f"--key={tmp_path / 'tls.key'}",
        )  # fmt: skip
        server.kubectl(
            "create", "ingress", "site",
            "--rule=web.test/*=web:80",
            "--rule=web.test/api*=api:80",
            "--rule=api.test/*=api:80",
            "--rule=secure.test/*=web:80,tls=secure-tls",
        )  # fmt: skip

        def address() -> str | None:
            row = server.kubectl("get", "ingress", "site", "--no-headers").stdout.split()
            return row[3] if re.match(r"\d+\.\d+\.\d+\.\d+$", row[3]) else None

        assert eventually(address, what="the ingress's ADDRESS") == "127.0.0.1"
        server.kubectl("wait", "--for=condition=Ready", "pod", "--all", "--timeout=60s")

        base = f"http://127.0.0.1:{http_port}"

        def both_web_pods() -> set[str] | None:
            seen = {curl(f"{base}/x", "-H", "Host: web.test")[1].split(" ")[0] for _ in range(6)}
            return seen if seen == {"web-a", "web-b"} else None

        eventually(both_web_pods, what="web.test spread over web-a and web-b")
        eventually(lambda: curl(f"{base}/", "-H", "Host: api.test")[0] == 200, what="api ready")
        assert curl(f"{base}/api/v1", "-H", "Host: web.test") == (200, "api-a web.test /api/v1")
        assert curl(f"{base}/apiary", "-H", "Host: web.test")[1].split(" ")[0] in ("web-a", "web-b")
        assert curl(f"{base}/", "-H", "Host: api.test") == (200, "api-a api.test /")
        assert curl(f"{base}/", "-H", "Host: nothing.test") == (404, "404 page not found\n")

        served = asyncio.run(served_certificate_cn(https_port, "secure.test"))
        assert served == "secure.test"
        resolve = f"secure.test:{https_port}:127.0.0.1"
        status, body = curl(
            f"https://secure.test:{https_port}/s",
            "--resolve", resolve, "--cacert", str(tmp_path / "tls.crt"),
        )  # fmt: skip
        assert status == 200
        assert body.split(" ")[1:] == [f"secure.test:{https_port}", "/s"]  # Host kept
        default = asyncio.run(served_certificate_cn(https_port, "other.test"))
        assert default == "Kubernetes Ingress Controller Fake Certificate"

        server.kubectl("delete", "pod", "api-a", "--wait=false")

        def unavailable() -> bool:
            return curl(f"{base}/", "-H", "Host: api.test") == (503, "no available server\n")

        eventually(unavailable, what="503 once api has no ready pod")


def test_kubeling_ingress_command(tmp_path: Path) -> None:
    """``kubeling ingress`` as its own process against a bare API server: it creates its
    class, serves an Ingress made with kubectl (a defaultBackend whose Service has no
    endpoint: 503; anything else 404 without one), publishes the address given, and stops
    cleanly on SIGTERM."""
    http_port, https_port = free_port(), free_port()
    with running_server(tmp_path / "server") as server:
        log_path = tmp_path / "ingress.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [
                    sys.executable, "-m", "kubeling", "ingress",
                    "--kubeconfig", str(server.data_dir / "ingress.kubeconfig"),
                    "--node-name", "solo",
                    "--bind-address", "127.0.0.1", "--publish-address", "192.0.2.7",
                    "--http-port", str(http_port), "--https-port", str(https_port),
                ],
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )  # fmt: skip
        try:
            assert process.stdout is not None
            banner = process.stdout.readline()
            assert banner.strip() == (
                f"kubeling ingress ready on http://127.0.0.1:{http_port}"
                f" and https://127.0.0.1:{https_port}"
            ), log_path.read_text()
            base = f"http://127.0.0.1:{http_port}"
            assert curl(f"{base}/", "-H", "Host: a.test") == (404, "404 page not found\n")
            server.kubectl("create", "service", "clusterip", "empty", "--tcp=80:80")
            server.kubectl("create", "ingress", "fallback", "--default-backend=empty:80")

            def unavailable() -> bool:
                return curl(f"{base}/", "-H", "Host: a.test")[0] == 503

            eventually(unavailable, what="503 from the default backend")

            def address() -> str | None:
                row = server.kubectl("get", "ingress", "fallback", "--no-headers").stdout
                return row.split()[3] if "192.0.2.7" in row else None

            assert eventually(address, what="the published address") == "192.0.2.7"
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                raise AssertionError("kubeling ingress ignored SIGTERM") from None
            assert process.stdout is not None
            process.stdout.close()
        assert code == 0, log_path.read_text()
        assert curl(f"{base}/", "-H", "Host: a.test")[0] == 0  # nothing listens any more
