"""``kubeling up``: ``kubectl top`` and the HPA over the kubelet's summary stats.

The kubelet samples every 0.5 s here (``--housekeeping-interval``); the API server serves
``metrics.k8s.io`` from the kubelets' ``/stats/summary``. A pod that loops on the CPU must show
CPU use in ``kubectl top pods``, and the node must show in ``kubectl top nodes``; an HPA with a
CPU utilization target over idle pods finds its metric (``ScalingActive`` True, the
utilization in ``currentMetrics``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tests.e2e.test_kubeling_up import eventually
from tests.support.cluster import RunningServer, running_server

NODE = "e2e-metrics-node"
BUSY = "while True: pass"
IDLE = "import time; time.sleep(3600)"


def pod(name: str, code: str, *, labels: dict[str, str] | None = None) -> str:
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "labels": labels or {}},
            "spec": {
                "nodeName": NODE,
                "containers": [
                    {
                        "name": "main",
                        "image": "python:3",
                        "command": [sys.executable, "-c", code],
                        "resources": {"requests": {"cpu": "100m", "memory": "10Mi"}},
                    }
                ],
            },
        }
    )


def top_rows(up: RunningServer, *args: str) -> list[list[str]]:
    """The rows of ``kubectl top ...`` (header left out); [] while it fails."""
    result = up.kubectl("top", *args, "--no-headers", check=False)
    if result.returncode != 0:
        return []
    return [line.split() for line in result.stdout.splitlines() if line.strip()]


def millicores(text: str) -> int:
    return int(text[:-1]) if text.endswith("m") else int(text) * 1000


def test_kubectl_top_nodes_and_pods(tmp_path: Path) -> None:
    extra = ["--node-name", NODE, "--kubelet-port", "0", "--housekeeping-interval", "0.5"]
    with running_server(tmp_path, command="up", extra=extra) as up:
        eventually(
            lambda: "Ready" in up.kubectl("get", "node", NODE, check=False).stdout,
            "the node never became Ready",
        )
        up.kubectl("apply", "-f", "-", input=pod("busy", BUSY))
        up.kubectl("apply", "-f", "-", input=pod("idle", IDLE))

        # discovery lists the group, as kubectl top requires
        resources = up.kubectl("api-resources", "--api-group", "metrics.k8s.io").stdout
        assert "NodeMetrics" in resources
        assert "PodMetrics" in resources

        nodes: list[list[str]] = []

        def node_shown() -> bool:
            nodes[:] = top_rows(up, "nodes")
            return any(row[0] == NODE for row in nodes)

        eventually(node_shown, "kubectl top nodes never showed the node")
        row = next(r for r in nodes if r[0] == NODE)
        # NAME CPU(cores) CPU(%) MEMORY(bytes) MEMORY(%)
        assert row[1].endswith("m")
        assert row[2].endswith("%")
        assert row[3].endswith("Mi")

        pods: dict[str, list[str]] = {}

        def busy_counts() -> bool:
            pods.clear()
            pods.update({r[0]: r for r in top_rows(up, "pods")})
            return "busy" in pods and "idle" in pods and millicores(pods["busy"][1]) > 100

        eventually(busy_counts, "kubectl top pods never showed the busy pod using CPU")
        assert pods["busy"][2].endswith("Mi")
        assert millicores(pods["idle"][1]) < millicores(pods["busy"][1])

        all_namespaces = top_rows(up, "pods", "-A", "--containers")
        # NAMESPACE POD NAME CPU(cores) MEMORY(bytes)
        assert ["default", "busy", "main"] in [r[:3] for r in all_namespaces]

        raw: Any = json.loads(
            up.kubectl(
                "get", "--raw", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/busy"
            ).stdout
        )
        assert raw["kind"] == "PodMetrics"
        assert raw["window"]
        assert raw["timestamp"]
        assert raw["containers"][0]["usage"]["memory"].endswith("Ki")

        missing = up.kubectl("top", "pod", "nosuch", check=False)
        assert missing.returncode != 0
        assert 'podmetrics.metrics.k8s.io "default/nosuch" not found' in missing.stderr

        # bad input is a Status, not a 500
        base = "/apis/metrics.k8s.io/v1beta1"
        bad = up.kubectl("get", "--raw", f"{base}/pods?labelSelector=a%20in%20(", check=False)
        assert "(BadRequest)" in bad.stderr
        assert "(NotFound)" in up.kubectl("get", "--raw", f"{base}/services", check=False).stderr
        other_version = up.kubectl("get", "--raw", "/apis/metrics.k8s.io/v2", check=False)
        assert "(NotFound)" in other_version.stderr
        group: Any = json.loads(up.kubectl("get", "--raw", "/apis/metrics.k8s.io").stdout)
        assert group["preferredVersion"]["groupVersion"] == "metrics.k8s.io/v1beta1"

        # RBAC: view aggregates system:aggregated-metrics-reader; others are refused
        up.kubectl("create", "rolebinding", "viewer", "--clusterrole=view", "--user=viewer")
        viewer = top_rows(up, "pods", "--as=viewer")
        assert "busy" in [row[0] for row in viewer]
        refused = up.kubectl("top", "pods", "--as=stranger", check=False)
        assert refused.returncode != 0
        assert "forbidden" in refused.stderr


def deployment(name: str, replicas: int) -> str:
    return json.dumps(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {
                        "containers": [
                            {
                                "name": "main",
                                "image": "python:3",
                                "command": [sys.executable, "-c", IDLE],
                                "resources": {"requests": {"cpu": "100m"}},
                            }
                        ]
                    },
                },
            },
        }
    )


def test_hpa_finds_cpu_utilization(tmp_path: Path) -> None:
    """Two idle pods against a 50% target: ScalingActive True/ValidMetricFound, the
    utilization in currentMetrics and kubectl get hpa, the scale-down stabilized."""
    extra = ["--node-name", NODE, "--kubelet-port", "0", "--housekeeping-interval", "0.5"]
    with running_server(tmp_path, command="up", extra=extra) as up:
        eventually(
            lambda: "Ready" in up.kubectl("get", "node", NODE, check=False).stdout,
            "the node never became Ready",
        )
        up.kubectl("apply", "-f", "-", input=deployment("idle", 2))
        up.kubectl("autoscale", "deployment", "idle", "--cpu-percent=50", "--min=1", "--max=3")
        hpa: dict[str, Any] = {}

        def active() -> bool:
            hpa.clear()
            hpa.update(up.kubectl_json("get", "hpa", "idle"))
            conditions = {c["type"]: c for c in (hpa.get("status") or {}).get("conditions") or []}
            return conditions.get("ScalingActive", {}).get("status") == "True"

        # the first reconcile comes one sync period (15 s) after the HPA is created
        eventually(active, "the HPA never found its metric", seconds=90)
        status = hpa["status"]
        conditions = {c["type"]: c for c in status["conditions"]}
        assert conditions["ScalingActive"]["reason"] == "ValidMetricFound"
        [metric] = status["currentMetrics"]
        assert metric["type"] == "Resource"
        assert metric["resource"]["name"] == "cpu"
        assert metric["resource"]["current"]["averageUtilization"] < 50
        table = up.kubectl("get", "hpa", "idle", "--no-headers").stdout
        assert "cpu: " in table
        assert "<unknown>" not in table
        # far below the target, but the scale-down waits out its 5 minute window (the count
        # first seen, 2, is the first recommendation)
        assert conditions["AbleToScale"]["reason"] == "ScaleDownStabilized"
        assert status["desiredReplicas"] == 2
