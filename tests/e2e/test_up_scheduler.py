"""``kubeling up`` runs the scheduler: a pod applied with kubectl is bound to a node, and
kubectl shows where and why."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.support.cluster import RunningServer, running_server

NODE = """
apiVersion: v1
kind: Node
metadata:
  name: worker-1
  labels:
    kubernetes.io/hostname: worker-1
status:
  capacity: {cpu: "2", memory: 4Gi, pods: "110"}
  allocatable: {cpu: "2", memory: 4Gi, pods: "110"}
"""

POD = """
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: c
    image: busybox
    resources:
      requests: {cpu: 500m, memory: 64Mi}
"""


def _node_of(server: RunningServer, name: str, within: float = 30) -> str:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        out = server.kubectl("get", "pod", name, "-o", "jsonpath={.spec.nodeName}").stdout
        if out:
            return out
        time.sleep(0.2)
    raise AssertionError(f"pod {name} was not bound in {within} s")


def test_up_schedules_pods(tmp_path: Path) -> None:
    with running_server(tmp_path, command="up") as server:
        server.kubectl("apply", "-f", "-", input=NODE)
        server.kubectl("apply", "-f", "-", input=POD)
        assert _node_of(server, "web") == "worker-1"

        wide = server.kubectl("get", "pod", "web", "-o", "wide").stdout
        assert "worker-1" in wide.splitlines()[1]
        described = server.kubectl("describe", "pod", "web").stdout
        assert "Successfully assigned default/web to worker-1" in described
        lease = json.loads(
            server.kubectl(
                "get", "lease", "-n", "kube-system", "kube-scheduler", "-o", "json"
            ).stdout
        )
        assert lease["spec"]["holderIdentity"].endswith("_kubeling-up")
