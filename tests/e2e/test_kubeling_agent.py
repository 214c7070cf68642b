"""``kubeling up`` + ``kubeling token create`` + two ``kubeling agent``: three Ready nodes.

Everything runs as real processes on 127.0.0.1 and is driven with kubectl: the agents join
with a bootstrap token and the CA pin printed by ``token create --print-join-command``, a pod
bound to an agent's node runs, a wrong token or a wrong pin is refused, a restarted agent
needs no token, and nothing outlives the processes when they stop.
"""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
        f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(3600)"
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
            assert alive(pid)
            assert agent.poll() is None
        # The agents stopped (exit 0, checked by running_agent): their containers went too.
        eventually(lambda: not alive(pid), "the pod's process outlived its agent")

        # A restarted agent uses the credentials it has: no token needed any more.
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
            pid = int(pid_file.read_text())
        eventually(lambda: not alive(pid), "the pod's process outlived its agent")
