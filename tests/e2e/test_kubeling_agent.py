"""``kubeling up`` + ``kubeling token create`` + two ``kubeling agent``: three Ready nodes.

Everything runs as real processes on 127.0.0.1 and is driven with kubectl: the agents join
with a bootstrap token and the CA pin printed by ``token create --print-join-command``, a pod
bound to an agent's node runs, and ``kubectl logs`` and ``kubectl exec`` reach it through the
agent's kubelet (its serving certificate signed through the join path: subject and SANs
checked), a wrong token or a wrong pin is refused, a restarted agent needs no token (and gets a
new serving certificate with its client certificate when it has none), and nothing outlives
the processes when they stop.
"""

from __future__ import annotations

import ipaddress
import json
import shlex
import signal
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography import x509

from tests.e2e.test_kubeling_up import alive, eventually
from tests.support.cluster import RunningServer, running_server

MAIN = "e2e-main"


def kubeling(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kubeling", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )


@contextmanager
def running_agent(join: list[str], node: str, root: Path) -> Iterator[subprocess.Popen[str]]:
    """``kubeling agent`` for ``node`` until the block ends; it must stop cleanly on SIGTERM."""
    log_path = root / f"agent-{node}.log"
    with log_path.open("w") as log:
        agent = subprocess.Popen(
            [sys.executable, "-m", *join, "--node-name", node, "--data-dir", str(root / node)],
            stdout=subprocess.PIPE,
            stderr=log,
            stdin=subprocess.DEVNULL,
            text=True,
        )
    try:
        assert agent.stdout is not None
        line = agent.stdout.readline()
        assert f"node {node} joined" in line, f"agent did not join: {log_path.read_text()}"
        yield agent
    finally:
        if agent.poll() is None:
            agent.send_signal(signal.SIGTERM)
            try:
                agent.wait(timeout=30)
            except subprocess.TimeoutExpired as stuck:
                agent.kill()
                agent.wait()
                raise AssertionError(
                    f"agent {node} ignored SIGTERM: {log_path.read_text()}"
                ) from stuck
        if agent.stdout is not None:
            agent.stdout.close()
        assert agent.returncode == 0, (
            f"agent {node} exited {agent.returncode}: {log_path.read_text()}"
        )


def ready_nodes(up: RunningServer) -> list[str]:
    shown = up.kubectl("get", "nodes", "--no-headers", check=False).stdout.splitlines()
    return sorted(line.split()[0] for line in shown if line.split()[1:2] == ["Ready"])


def pod_on(node: str, pid_file: Path, name: str = "on-agent") -> str:
    script = (
        f"import os, time; print('hello from', {node!r}, flush=True); "
        f"open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(3600)"
    )
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {
                "nodeName": node,
                "terminationGracePeriodSeconds": 2,
                "containers": [
                    {"name": "main", "image": "python:3", "command": [sys.executable, "-c", script]}
                ],
            },
        }
    )


def check_streams(up: RunningServer, pod: str, node: str) -> None:
    """``kubectl logs`` and ``exec`` of ``pod`` reach its node's kubelet through the API server."""
    eventually(
        lambda: up.kubectl("logs", pod, check=False).stdout.strip() == f"hello from {node}",
        f"kubectl logs {pod} on {node}",
    )
    shown = up.kubectl("exec", pod, "--", "sh", "-c", "echo exec on $((6 * 7))")
    assert shown.stdout.strip() == "exec on 42", shown.stderr


def check_serving_certificate(up: RunningServer, node: str, data_dir: Path) -> None:
    """The agent's kubelet serves the certificate it was signed: its node's subject, its node's
    name and IP as SANs, chained to the cluster CA, on the port the Node reports."""
    status: Any = up.kubectl_json("get", "node", node)["status"]
    port = status["daemonEndpoints"]["kubeletEndpoint"]["Port"]
    [ip] = [a["address"] for a in status["addresses"] if a["type"] == "InternalIP"]
    ca = data_dir / "kubelet" / "pki" / "ca.crt"
    context = ssl.create_default_context(cafile=str(ca))
    context.check_hostname = False  # an IP: checked below against the SANs
    with (
        socket.create_connection((ip, port), timeout=10) as raw,
        context.wrap_socket(raw) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    served = x509.load_der_x509_certificate(der)
    kept = (data_dir / "kubelet" / "pki" / "kubelet.crt").read_bytes()
    assert served == x509.load_pem_x509_certificate(kept)
    assert served.subject.rfc4514_string() == f"CN=system:node:{node},O=system:nodes"
    sans = served.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address(ip)]
    assert sans.get_values_for_type(x509.DNSName)[0] == node
    usage = served.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert [oid.dotted_string for oid in usage] == ["1.3.6.1.5.5.7.3.1"]  # serverAuth


def test_two_agents_join_and_run_pods(tmp_path: Path) -> None:
    with running_server(tmp_path, command="up", extra=["--node-name", MAIN]) as up:
        created = kubeling(
            "token", "create", "--kubeconfig", str(up.kubeconfig), "--print-join-command"
        )
        assert created.returncode == 0, created.stderr
        join = shlex.split(created.stdout.strip())
        assert join[:2] == ["kubeling", "agent"], created.stdout
        assert join[join.index("--server") + 1] == up.url
        token = join[join.index("--token") + 1]
        secret = up.kubectl_json(
            "get", "secret", "-n", "kube-system", f"bootstrap-token-{token.split('.')[0]}"
        )
        assert secret["type"] == "bootstrap.kubernetes.io/token"

        # A token nobody created, or a CA pin that is not the cluster's, joins nothing.
        bad = kubeling(
            *join[1:], "--token", "abcdef.0123456789abcdef", "--node-name", "x",
            "--data-dir", str(tmp_path / "x"),
        )  # fmt: skip
        assert bad.returncode == 1, bad.stderr
        assert "failed: 401 Unauthorized" in bad.stderr, bad.stderr
        pin = join.index("--ca-cert-hash") + 1
        wrong_pin = [*join[1:pin], "sha256:" + "0" * 64, *join[pin + 1 :]]
        bad = kubeling(*wrong_pin, "--node-name", "x", "--data-dir", str(tmp_path / "x"))
        assert bad.returncode == 1, bad.stderr
        assert "does not match --ca-cert-hash" in bad.stderr, bad.stderr

        pid_file = tmp_path / "pod.pid"
        with (
            running_agent(join, "e2e-agent-1", tmp_path) as agent,
            running_agent(join, "e2e-agent-2", tmp_path),
        ):
            eventually(
                lambda: ready_nodes(up) == sorted([MAIN, "e2e-agent-1", "e2e-agent-2"]),
                "three Ready nodes",
            )
            wide = up.kubectl("get", "node", "e2e-agent-1", "-o", "wide", "--no-headers").stdout
            assert wide.split()[1:5] == ["Ready", "<none>", wide.split()[3], "v1.32.4+kubeling"]

            up.kubectl("apply", "-f", "-", input=pod_on("e2e-agent-2", pid_file))
            eventually(
                lambda: (
                    up.kubectl("get", "pod", "on-agent", "--no-headers").stdout.split()[1:3]
                    == ["1/1", "Running"]
                ),
                "the pod on e2e-agent-2 never ran",
            )
            shown = up.kubectl("get", "pod", "on-agent", "-o", "wide", "--no-headers").stdout
            assert shown.split()[6] == "e2e-agent-2"
            pid = int(eventually(lambda: pid_file.exists() and pid_file.read_text(), "pid file"))
            check_streams(up, "on-agent", "e2e-agent-2")
            for node in ("e2e-agent-1", "e2e-agent-2"):
                check_serving_certificate(up, node, tmp_path / node)
            assert alive(pid)
            assert agent.poll() is None
        # The agents stopped (exit 0, checked by running_agent): their containers went too.
        eventually(lambda: not alive(pid), "the pod's process outlived its agent")

        # A restarted agent uses the credentials it has: no token needed any more, and its
        # client certificate is enough to get a new serving certificate.
        (tmp_path / "e2e-agent-1" / "kubelet" / "pki" / "kubelet.crt").unlink()
        pid_file.unlink()
        expired_token = [*join[1:]]
        expired_token[expired_token.index("--token") + 1] = "zzzzzz.zzzzzzzzzzzzzzzz"
        with running_agent(["kubeling", *expired_token], "e2e-agent-1", tmp_path):
            up.kubectl("apply", "-f", "-", input=pod_on("e2e-agent-1", pid_file, "again"))
            eventually(
                lambda: (
                    up.kubectl("get", "pod", "again", "--no-headers").stdout.split()[1:3]
                    == ["1/1", "Running"]
                ),
                "the restarted agent did not run its pod",
            )
            pid = int(eventually(lambda: pid_file.exists() and pid_file.read_text(), "pid file"))
            check_streams(up, "again", "e2e-agent-1")
            check_serving_certificate(up, "e2e-agent-1", tmp_path / "e2e-agent-1")
        eventually(lambda: not alive(pid), "the pod's process outlived its agent")
