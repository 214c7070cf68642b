"""``kubeling up`` runs the scheduler: a pod applied with kubectl is bound to a node registered
through the API (next to the node of up's own kubelet), and kubectl shows where and why."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.support.cluster import RunningServer, running_server
from tests.support.polling import eventually

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
  nodeSelector: {kubernetes.io/hostname: worker-1}   # not the node of up's own kubelet
  containers:
  - name: c
    image: busybox
    command: [sleep, "60"]
    resources:
      requests: {cpu: 500m, memory: 64Mi}
"""


def _node_of(server: RunningServer, name: str, within: float = 30) -> str:
    """The node pod ``name`` is bound to, once the scheduler has bound it."""
    return eventually(
        lambda: server.kubectl("get", "pod", name, "-o", "jsonpath={.spec.nodeName}").stdout,
        within=within,
        what=f"pod {name} to be bound",
    )


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


RUNNER = """
apiVersion: v1
kind: Pod
metadata:
  name: runner
spec:
  containers:
  - name: c
    image: python:3
    command: [{python}, -c, "import time; time.sleep(120)"]
    resources:
      requests: {{cpu: 100m, memory: 32Mi}}
"""


def test_up_schedules_a_pod_onto_its_own_node_which_runs_it(tmp_path: Path) -> None:
    """A pod that names no node: the scheduler binds it to up's node, whose kubelet runs it."""
    with running_server(tmp_path, command="up", extra=["--node-name", "up-node"]) as server:
        server.kubectl("apply", "-f", "-", input=RUNNER.format(python=json.dumps(sys.executable)))
        assert _node_of(server, "runner", within=60) == "up-node"
        eventually(
            lambda: server.kubectl("get", "pod", "runner", "-o", "jsonpath={.status.phase}").stdout,
            accept=lambda phase: phase == "Running",
            within=60,
            what="the pod to be Running",
        )
        events = server.kubectl("get", "events", "--field-selector", "involvedObject.name=runner")
        assert "Successfully assigned default/runner to up-node" in events.stdout
