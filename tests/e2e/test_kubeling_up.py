"""``kubeling up``: a node that runs pods, driven by kubectl; nothing outlives it.

The pods here name their node themselves (``spec.nodeName``), as a pod bound by a scheduler
would; ``test_up_scheduler.py`` has the scheduler of ``kubeling up`` bind them.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from tests.support import polling
from tests.support.cluster import RunningServer, running_server
from tests.support.ports import free_port

NODE = "e2e-up-node"
T = TypeVar("T")


def eventually(check: Callable[[], T], message: str, *, seconds: float = 60.0) -> T:
    """:func:`tests.support.polling.eventually` as these tests call it."""
    return polling.eventually(check, within=seconds, what=message)


def pod_manifest(port: int, pid_file: Path) -> str:
    script = (
        "import http.server, os, sys\n"
        f"open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
        f"http.server.test(http.server.SimpleHTTPRequestHandler, port={port}, bind='127.0.0.1')\n"
    )
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "spec": {
            "nodeName": NODE,
            "containers": [
                {"name": "web", "image": "python:3", "command": [sys.executable, "-c", script]}
            ],
        },
    }
    return json.dumps(pod)


def pod_state(server: RunningServer) -> tuple[str, str, int]:
    """(phase, Ready condition status, restart count) of the pod ``web``."""
    pod = server.kubectl_json("get", "pod", "web")
    status = pod["status"]
    assert isinstance(status, dict)
    ready = next((c["status"] for c in status.get("conditions") or [] if c["type"] == "Ready"), "")
    restarts = sum(c["restartCount"] for c in status.get("containerStatuses") or [])
    return status.get("phase", ""), ready, restarts


def serves(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat[stat.rindex(b")") + 2 :][:1] != b"Z"


def holders_of(path: Path) -> list[int]:
    """The processes that have ``path`` open: the shim zygote and shims log there."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fds = list((entry / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) == str(path):
                    found.append(int(entry.name))
                    break
            except OSError:
                continue
    return found


#: Who each component of ``kubeling up`` is to the API server (``kubectl auth whoami``).
COMPONENT_USERS = {
    "scheduler": ("system:kube-scheduler", ["system:authenticated"]),
    "controller-manager": ("system:kube-controller-manager", ["system:authenticated"]),
    "proxy": ("system:kube-proxy", ["system:authenticated"]),
    "dns": (
        "system:serviceaccount:kube-system:coredns",
        ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"],
    ),
    "kubelet": (f"system:node:{NODE}", ["system:nodes", "system:authenticated"]),
}


def component_users(up: RunningServer) -> dict[str, tuple[str, list[str]]]:
    """The user and groups the API server sees for each component's kubeconfig."""
    users = {}
    for component in COMPONENT_USERS:
        kubeconfig = up.data_dir / f"{component}.kubeconfig"
        review = json.loads(
            up.kubectl("--kubeconfig", str(kubeconfig), "auth", "whoami", "-o", "json").stdout
        )
        info = review["status"]["userInfo"]
        users[component] = (info["username"], info["groups"])
    return users


def test_kubeling_up_runs_pods_and_leaves_no_process_behind(tmp_path: Path) -> None:
    port = free_port()
    pid_file = tmp_path / "web.pid"
    shim_log = tmp_path / "data" / "kubelet" / "runtime" / "shim.log"
    # A free DNS port: other runs on this machine may hold 127.96.0.10 port 53.
    extra = ["--node-name", NODE, "--dns-port", "0"]
    with running_server(tmp_path, command="up", extra=extra) as up:
        # the role label comes from the admin once the kubelet has registered (kubeadm's
        # mark-control-plane): NodeRestriction does not let a kubelet set it
        eventually(
            lambda: (
                up.kubectl("get", "node", NODE, "--no-headers", check=False).stdout.split()[1:3]
                == ["Ready", "control-plane"]
            ),
            "the node never became Ready with its control-plane role",
        )
        nodes = up.kubectl("get", "nodes", "-o", "wide", "--no-headers").stdout.split()
        assert nodes[:5] == [NODE, "Ready", "control-plane", nodes[3], "v1.32.4+kubeling"]
        assert "process://" in " ".join(nodes)
        up.kubectl("apply", "-f", "-", input=pod_manifest(port, pid_file))
        eventually(lambda: pod_state(up)[:2] == ("Running", "True"), "the pod never became Ready")
        eventually(lambda: serves(port), "the pod's server never answered")
        shown = up.kubectl("get", "pod", "web", "--no-headers").stdout.split()
        assert shown[1:4] == ["1/1", "Running", "0"]
        first_pid = int(pid_file.read_text())
        assert holders_of(shim_log), "no shim found"
        assert component_users(up) == COMPONENT_USERS
    # Stopped with SIGTERM (running_server checks it exits 0): its containers went with it.
    eventually(lambda: not alive(first_pid), "the pod's process outlived kubeling up")
    eventually(lambda: not holders_of(shim_log), "container shims outlived kubeling up")

    # Started again on the same data: the pod comes back (its container restarted).
    pid_file.unlink()
    with running_server(tmp_path, command="up", extra=extra) as up:
        eventually(lambda: pod_state(up) == ("Running", "True", 1), "the pod did not come back")
        eventually(lambda: serves(port), "the pod's server did not come back")
        second_pid = int(pid_file.read_text())
        assert second_pid != first_pid
        up.kubectl("delete", "pod", "web", "--timeout=60s")
        eventually(lambda: not alive(second_pid), "the deleted pod's process still runs")
    eventually(lambda: not holders_of(shim_log), "container shims outlived kubeling up")
