"""``kubeling up``: ``kubectl top`` and the HPA over the kubelet's summary stats.

The kubelet samples every 0.5 s here (``--housekeeping-interval``); the API server serves
``metrics.k8s.io`` from the kubelets' ``/stats/summary``. A pod that loops on the CPU must show
CPU use in ``kubectl top pods``, and the node must show in ``kubectl top nodes``.
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
        assert "nodes" in resources and "pods" in resources and "PodMetrics" in resources

        nodes: list[list[str]] = []

        def node_shown() -> bool:
            nodes[:] = top_rows(up, "nodes")
            return any(row[0] == NODE for row in nodes)

        eventually(node_shown, "kubectl top nodes never showed the node")
        row = next(r for r in nodes if r[0] == NODE)
        # NAME CPU(cores) CPU(%) MEMORY(bytes) MEMORY(%)
        assert row[1].endswith("m") and row[2].endswith("%") and row[3].endswith("Mi")

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
            up.kubectl("get", "--raw", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/busy")
            .stdout
        )
        assert raw["kind"] == "PodMetrics" and raw["window"] and raw["timestamp"]
        assert raw["containers"][0]["usage"]["memory"].endswith("Ki")

        missing = up.kubectl("top", "pod", "nosuch", check=False)
        assert missing.returncode != 0
        assert 'podmetrics.metrics.k8s.io "default/nosuch" not found' in missing.stderr
