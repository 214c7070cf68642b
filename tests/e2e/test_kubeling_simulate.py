"""``kubeling simulate``: 20 simulated nodes register and stay Ready with their Leases, a
Deployment of 40 replicas scheduled by the real scheduler runs on them (kubectl shows the pods
Running, the nodes Ready), and failed nodes go NotReady through the node lifecycle controller
(its grace period shortened), their pods turn not Ready, and nodes and pods come back."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path
from typing import Any

from tests.support.cluster import RunningServer, running_server
from tests.support.components import running_component, wait_for_line
from tests.support.polling import eventually

NODES = 20
REPLICAS = 40
# The node lifecycle controller notices a silent node after 6 s instead of 50 s.
CONTROLLER_MANAGER = [
    "controller-manager",
    "--leader-elect",
    "false",
    "--node-monitor-grace-period",
    "6s",
    "--node-monitor-period",
    "1s",
]
SIMULATE = [
    "simulate",
    *("--nodes", str(NODES), "--fail-nodes", "10%", "--zones", "2"),
    *("--cpu", "8", "--memory", "16Gi", "--pods", "50", "--start-delay", "200ms"),
]


def _ready_by_node(server: RunningServer) -> dict[str, str]:
    """Each simulated node's Ready condition status."""
    nodes = server.kubectl_json("get", "nodes", "-l", "kubeling.io/simulated=true")
    result = {}
    for node in nodes["items"]:  # type: ignore[attr-defined]
        conditions = {c["type"]: c["status"] for c in node["status"].get("conditions") or []}
        result[node["metadata"]["name"]] = conditions.get("Ready", "")
    return result


def _kubectl_ready_names(server: RunningServer) -> list[str]:
    lines = server.kubectl("get", "nodes", "--no-headers").stdout.splitlines()
    return sorted(line.split()[0] for line in lines if line.split()[1] == "Ready")


def _check_nodes(server: RunningServer) -> None:
    names = eventually(
        lambda: _kubectl_ready_names(server),
        accept=lambda ready: len(ready) == NODES,
        within=60,
        every=0.5,
        what=f"{NODES} Ready nodes in kubectl get nodes",
    )
    assert names == [f"sim-{i:05d}" for i in range(NODES)]
    node = server.kubectl_json("get", "node", "sim-00003")
    status: dict[str, Any] = node["status"]  # type: ignore[assignment]
    assert status["capacity"]["cpu"] == "8"
    assert status["capacity"]["pods"] == "50"
    assert status["capacity"]["memory"] == f"{16 * 1024 * 1024}Ki"
    assert status["nodeInfo"]["containerRuntimeVersion"].startswith("simulated://")
    assert {"type": "InternalIP", "address": "10.64.0.3"} in status["addresses"]
    labels = node["metadata"]["labels"]  # type: ignore[index]
    assert labels["kubernetes.io/hostname"] == "sim-00003"
    assert labels["topology.kubernetes.io/zone"] == "zone-0"  # sim-00000 to 00009; then zone-1
    leases = server.kubectl_json("get", "leases", "-n", "kube-node-lease")
    holders = {
        lease["metadata"]["name"]: lease["spec"]["holderIdentity"]
        for lease in leases["items"]  # type: ignore[attr-defined]
    }
    assert {f"sim-{i:05d}" for i in range(NODES)} <= set(holders)
    assert all(holders[name] == name for name in names)


def _check_deployment(server: RunningServer) -> None:
    server.kubectl("create", "deployment", "web", "--image=nginx", f"--replicas={REPLICAS}")

    def available() -> bool:
        deployment = server.kubectl_json("get", "deployment", "web")
        return deployment["status"].get("availableReplicas") == REPLICAS  # type: ignore[no-any-return,attr-defined]

    eventually(available, within=120, what=f"{REPLICAS} available replicas", every=0.5)
    lines = server.kubectl("get", "pods", "-l", "app=web", "-o", "wide", "--no-headers").stdout
    rows = [line.split() for line in lines.splitlines()]
    assert len(rows) == REPLICAS
    assert all(row[1] == "1/1" and row[2] == "Running" for row in rows), lines
    assert all(row[6].startswith("sim-") for row in rows), lines
    assert all(row[5].startswith("10.128.") for row in rows), lines  # pod IPs of the nodes
    # The real scheduler spreads a Deployment's pods over the nodes.
    assert len({row[6] for row in rows}) >= NODES // 2, lines
    pod = json.loads(server.kubectl("get", "pod", rows[0][0], "-o", "json").stdout)
    state = pod["status"]["containerStatuses"][0]
    assert state["ready"] is True
    assert state["restartCount"] == 0
    assert state["containerID"].startswith("simulated://")
    conditions = {c["type"]: c["status"] for c in pod["status"]["conditions"]}
    assert conditions["Ready"] == "True"
    assert conditions["ContainersReady"] == "True"


def _check_failures(server: RunningServer, simulate: subprocess.Popen[str]) -> None:
    simulate.send_signal(signal.SIGUSR1)  # --fail-nodes 10%: sim-00000 and sim-00010
    failed = {"sim-00000", "sim-00010"}

    def not_ready() -> set[str]:
        return {name for name, ready in _ready_by_node(server).items() if ready != "True"}

    eventually(
        not_ready, accept=lambda down: down == failed, within=60, what="2 NotReady nodes", every=0.5
    )
    lines = server.kubectl("get", "nodes", "--no-headers").stdout.splitlines()
    statuses = {line.split()[0]: line.split()[1] for line in lines}
    assert {statuses[name] for name in failed} == {"NotReady"}
    assert list(statuses.values()).count("Ready") == NODES - 2
    node = server.kubectl_json("get", "node", "sim-00010")
    ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")  # type: ignore[index]
    assert ready["status"] == "Unknown"
    assert ready["reason"] == "NodeStatusUnknown"

    # The node lifecycle controller marks their pods not Ready, as Kubernetes does.
    eventually(
        lambda: _unready_pods(server),
        accept=lambda unready: unready and set(unready.values()) <= failed,
        within=60,
        what="the failed nodes' pods not Ready",
        every=0.5,
    )

    simulate.send_signal(signal.SIGUSR2)
    eventually(
        not_ready,
        accept=lambda down: not down,
        within=60,
        what="the failed nodes Ready again",
        every=0.5,
    )
    # Their kubelets' statuses did not change meanwhile: the status manager's reconcile sends
    # them again because the API lost their conditions, and the pods are Ready again.
    eventually(
        lambda: _unready_pods(server),
        accept=lambda unready: not unready,
        within=60,
        what="every pod Ready again",
        every=0.5,
    )


def _unready_pods(server: RunningServer) -> dict[str, str]:
    """The Deployment's pods whose Ready condition is not True, and their nodes."""
    pods = server.kubectl_json("get", "pods", "-l", "app=web")
    unready = {}
    for pod in pods["items"]:  # type: ignore[attr-defined]
        conditions = {c["type"]: c["status"] for c in pod["status"].get("conditions") or []}
        if conditions.get("Ready") != "True":
            unready[pod["metadata"]["name"]] = pod["spec"].get("nodeName", "")
    return unready


def test_simulated_nodes_run_a_deployment_and_fail(tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        simulate_log = tmp_path / "simulate.log"
        with (
            running_component(
                server,
                CONTROLLER_MANAGER,
                log_path=tmp_path / "controller-manager.log",
            ),
            running_component(
                server,
                ["scheduler", "--leader-elect", "false"],
                log_path=tmp_path / "scheduler.log",
            ),
            running_component(
                server,
                SIMULATE,
                log_path=simulate_log,
            ) as simulate,
        ):
            wait_for_line(simulate, rf"simulate: ready nodes={NODES}\b", log_path=simulate_log)
            _check_nodes(server)
            _check_deployment(server)
            _check_failures(server, simulate)
