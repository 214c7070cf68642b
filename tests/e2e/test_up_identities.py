"""``kubeling up`` with every component under its own identity: a Deployment rolls out and
rolls again, its pods run and get Endpoints, both leaders hold their Leases, and no
component is refused anything it needs along the way (no 403 in the log)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from tests.support.cluster import running_server

NODE = "ids-node"


def _deployment() -> str:
    script = "import time; time.sleep(600)"
    return json.dumps(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "app", "namespace": "default"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "app"}},
                "template": {
                    "metadata": {"labels": {"app": "app"}},
                    "spec": {
                        "terminationGracePeriodSeconds": 1,
                        "containers": [
                            {
                                "name": "c",
                                "image": "python:3",
                                "command": [sys.executable, "-c", script],
                                "ports": [{"containerPort": 8080}],
                            }
                        ],
                    },
                },
            },
        }
    )


def test_components_do_their_work_under_their_own_identities(tmp_path: Path) -> None:
    extra = ["--node-name", NODE, "--dns-port", "0"]
    with running_server(tmp_path, command="up", extra=extra) as up:
        up.kubectl("apply", "-f", "-", input=_deployment())
        up.kubectl("rollout", "status", "deployment/app", "--timeout=120s", timeout=150)
        up.kubectl("set", "env", "deployment/app", "ROUND=2")
        up.kubectl("rollout", "status", "deployment/app", "--timeout=120s", timeout=150)
        pods = up.kubectl_json("get", "pods", "-l", "app=app")["items"]
        assert isinstance(pods, list)
        running = [p for p in pods if p["status"]["phase"] == "Running"]
        assert len(running) >= 2
        assert {p["spec"]["nodeName"] for p in running} == {NODE}
        up.kubectl("expose", "deployment", "app", "--port", "80", "--target-port", "8080")
        endpoints = up.kubectl(
            "get", "endpointslices", "-l", "kubernetes.io/service-name=app", "-o", "json"
        )
        assert "endpoints" in endpoints.stdout
        for lease in ("kube-scheduler", "kube-controller-manager"):
            held = up.kubectl_json("-n", "kube-system", "get", "lease", lease)["spec"]
            assert isinstance(held, dict)
            assert str(held["holderIdentity"]).endswith("_kubeling-up")
        node_lease = up.kubectl_json("-n", "kube-node-lease", "get", "lease", NODE)["spec"]
        assert isinstance(node_lease, dict)
        assert node_lease["holderIdentity"] == NODE
    log = (tmp_path / "server.log").read_text()
    refused = re.findall(r'.*is forbidden: User "system:[^"]*".*', log)
    assert not refused, "\n".join(refused[:10])
