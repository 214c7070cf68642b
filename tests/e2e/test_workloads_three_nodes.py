"""The node issue's workloads, end to end with kubectl, on ``kubeling up`` and two agents.

Three nodes on one machine, each with an address of its own in 127.0.0.0/8 (the agents are
given 127.0.0.2 and 127.0.0.3): pods share their node's network, so the three replicas of
a Deployment of ``python3 -m http.server`` all listen on one port, each on its pod IP, one per
node (required anti-affinity). The Deployment becomes Available, each pod answers on its
IP (and its log, from whichever node's kubelet, shows the request), and the Service's
ClusterIP spreads requests over the three. A Job runs to Completed
and an out-of-memory kill shows as ``OOMKilled``, as kubectl users know them.
"""

from __future__ import annotations

import json
import shlex
import urllib.request
from pathlib import Path
from typing import Any

from tests.e2e.test_kubeling_agent import kubeling, ready_nodes, running_agent
from tests.e2e.test_kubeling_up import eventually
from tests.support.cluster import RunningServer, running_server
from tests.support.ports import free_port

MAIN = "e2e-w-main"
AGENTS = {"e2e-w-agent-1": "127.0.0.2", "e2e-w-agent-2": "127.0.0.3"}

#: Serves a directory holding one file, ``name``, that says which pod answered.
WEB = (
    "mkdir -p www && echo $POD_NAME > www/name && cd www && "
    "exec python3 -m http.server $PORT --bind $POD_IP"
)


def web_deployment(port: int) -> dict[str, Any]:
    env = [
        {"name": "PORT", "value": str(port)},
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
    ]
    one_per_node = {
        "requiredDuringSchedulingIgnoredDuringExecution": [
            {
                "labelSelector": {"matchLabels": {"app": "web"}},
                "topologyKey": "kubernetes.io/hostname",
            }
        ]
    }
    container = {
        "name": "web",
        "image": "python:3",
        "command": ["sh", "-c", WEB],
        "env": env,
        "ports": [{"name": "http", "containerPort": port}],
        "readinessProbe": {"httpGet": {"path": "/name", "port": "http"}, "periodSeconds": 1},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"affinity": {"podAntiAffinity": one_per_node}, "containers": [container]},
            },
        },
    }


def web_service() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": "http"}]},
    }


def oom_pod() -> dict[str, Any]:
    # 512 MiB of distinct bytes (every page touched) under a 64 MiB limit
    grow = "import time; b = b'x' * (512 << 20); time.sleep(30)"
    container = {
        "name": "hog",
        "image": "python:3",
        "command": ["python3", "-c", grow],
        "resources": {"limits": {"memory": "64Mi"}},
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "hog", "namespace": "default"},
        "spec": {"nodeName": MAIN, "restartPolicy": "Never", "containers": [container]},
    }


def get_text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return str(answer.read().decode().strip())


def get_json(up: RunningServer, *args: str) -> Any:
    return up.kubectl_json(*args)


def apply(up: RunningServer, obj: dict[str, Any]) -> None:
    up.kubectl("apply", "-f", "-", input=json.dumps(obj))


def check_web(up: RunningServer, port: int) -> None:
    apply(up, web_deployment(port))
    apply(up, web_service())
    rolled = up.kubectl(
        "rollout", "status", "deployment/web", "--timeout=180s", check=False, timeout=200
    )
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert "successfully rolled out" in rolled.stdout

    pods = get_json(up, "get", "pods", "-l", "app=web")["items"]
    placed = {pod["spec"]["nodeName"]: pod for pod in pods}
    assert sorted(placed) == sorted([MAIN, *AGENTS]), [p["spec"].get("nodeName") for p in pods]
    for node, pod in placed.items():
        assert pod["status"]["podIP"] == AGENTS.get(node, "127.0.0.1")
        answer = get_text(f"http://{pod['status']['podIP']}:{port}/name")
        assert answer == pod["metadata"]["name"]
        # Its node's kubelet, an agent's too, serves its log (http.server logs each request).
        logged = up.kubectl("logs", pod["metadata"]["name"]).stdout
        assert '"GET /name HTTP/1.1" 200' in logged, (node, logged)

    cluster_ip = up.kubectl("get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}").stdout
    assert cluster_ip.startswith("127."), cluster_ip
    endpoints = get_json(up, "get", "endpoints", "web")
    assert len(endpoints["subsets"][0]["addresses"]) == 3, endpoints
    # the proxy follows the endpoints within about a second of the API
    names = {pod["metadata"]["name"] for pod in pods}
    eventually(
        lambda: {get_text(f"http://{cluster_ip}/name") for _ in range(30)} == names,
        "the ClusterIP did not spread requests over the three pods",
        seconds=10,
    )


def check_job(up: RunningServer) -> None:
    up.kubectl(
        "create", "job", "hello", "--image=python:3", "--",
        "python3", "-c", "print('hello from a job')",
    )  # fmt: skip
    waited = up.kubectl(
        "wait", "--for=condition=complete", "job/hello", "--timeout=120s", check=False, timeout=140
    )
    assert waited.returncode == 0, waited.stdout + waited.stderr
    shown = up.kubectl("get", "pods", "-l", "job-name=hello", "--no-headers").stdout.split()
    assert shown[1:3] == ["0/1", "Completed"], shown
    assert up.kubectl("logs", "job/hello").stdout.strip() == "hello from a job"
    completions = up.kubectl("get", "job", "hello", "--no-headers").stdout.split()
    assert completions[1:3] == ["Complete", "1/1"], completions


def check_oom(up: RunningServer) -> None:
    apply(up, oom_pod())

    def terminated() -> dict[str, Any]:
        pod = get_json(up, "get", "pod", "hog")
        statuses = pod.get("status", {}).get("containerStatuses") or [{}]
        found: dict[str, Any] = statuses[0].get("state", {}).get("terminated") or {}
        return found

    state: dict[str, Any] = eventually(terminated, "the memory hog was never stopped", seconds=90)
    assert state["reason"] == "OOMKilled", state
    assert state["exitCode"] == 137, state
    shown = up.kubectl("get", "pod", "hog", "--no-headers").stdout.split()
    assert shown[1:3] == ["0/1", "OOMKilled"], shown
    phase = up.kubectl("get", "pod", "hog", "-o", "jsonpath={.status.phase}").stdout
    assert phase == "Failed"


def test_workloads_on_three_nodes(tmp_path: Path) -> None:
    port = free_port()
    with running_server(tmp_path, command="up", extra=["--node-name", MAIN]) as up:
        created = kubeling(
            "token", "create", "--kubeconfig", str(up.kubeconfig), "--print-join-command"
        )
        assert created.returncode == 0, created.stderr
        join = shlex.split(created.stdout.strip())
        (agent_1, ip_1), (agent_2, ip_2) = AGENTS.items()
        with (
            running_agent([*join, "--node-ip", ip_1], agent_1, tmp_path),
            running_agent([*join, "--node-ip", ip_2], agent_2, tmp_path),
        ):
            eventually(lambda: ready_nodes(up) == sorted([MAIN, *AGENTS]), "three Ready nodes")
            check_web(up, port)
            check_job(up)
            check_oom(up)
