"""``kubeling up``: kubectl logs, exec, port-forward and cp reach real pods of its kubelet.

The pods are processes of the process runtime; kubectl goes through the API server to the
kubelet's HTTPS server (docs/kubelet.md, "Streaming"). Every process the pods and the exec
sessions start writes its pid to a file, and each must be gone once ``kubeling up`` stops.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.e2e.test_kubeling_up import alive, eventually, holders_of
from tests.support.cluster import RunningServer, kubectl_binary, running_server
from tests.support.ports import free_port

NODE = "e2e-stream-node"

#: Prints three lines, then waits for a file ``done`` in its working directory (which the test
#: makes with ``kubectl exec``), says goodbye and exits 0.
COUNTER = """
import os, pathlib, sys, time
pathlib.Path(sys.argv[1]).write_text(str(os.getpid()))
for n in range(1, 4):
    print(f"line {n}", flush=True)
while not pathlib.Path("done").exists():
    time.sleep(0.05)
print("bye", flush=True)
"""

#: Counts its runs in a file of the pod's directory: the first one fails, the next ones wait.
CRASHER = """
import os, pathlib, sys, time
pathlib.Path(sys.argv[1] + str(os.getpid())).touch()
runs = pathlib.Path("runs")
n = int(runs.read_text()) + 1 if runs.exists() else 1
runs.write_text(str(n))
print(f"run {n}", flush=True)
if n == 1:
    sys.exit(1)
time.sleep(3600)
"""


def pod(name: str, command: list[str], **extra: Any) -> str:
    container: dict[str, Any] = {"name": name, "image": "python:3", "command": command}
    container.update(extra.pop("container", {}))
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"nodeName": NODE, "containers": [container], **extra},
        }
    )


def phase(up: RunningServer, name: str) -> str:
    return str(up.kubectl("get", "pod", name, "-o", "jsonpath={.status.phase}").stdout)


def restarts(up: RunningServer, name: str) -> int:
    out = up.kubectl(
        "get", "pod", name, "-o", "jsonpath={.status.containerStatuses[0].restartCount}"
    ).stdout
    return int(out or 0)


def kubectl_process(up: RunningServer, *args: str) -> subprocess.Popen[str]:
    env = {"HOME": str(up.home), "KUBECONFIG": str(up.kubeconfig), "PATH": "/usr/bin:/bin"}
    return subprocess.Popen(
        [kubectl_binary(), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_kubectl_streams_reach_real_pods(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    shim_log = tmp_path / "data" / "kubelet" / "runtime" / "shim.log"
    web_port = free_port()
    extra = ["--node-name", NODE, "--kubelet-port", "0"]
    started: list[subprocess.Popen[str]] = []
    with running_server(tmp_path, command="up", extra=extra) as up:
        try:
            eventually(
                lambda: "Ready" in up.kubectl("get", "node", NODE, check=False).stdout,
                "the node never became Ready",
            )
            node = up.kubectl_json("get", "node", NODE)
            status: Any = node["status"]
            kubelet_port = status["daemonEndpoints"]["kubeletEndpoint"]["Port"]
            # The port it got (--kubelet-port 0), where it listens, at the node's address.
            socket.create_connection(("127.0.0.1", kubelet_port), timeout=5).close()
            assert {"type": "InternalIP", "address": "127.0.0.1"} in status["addresses"]

            py = sys.executable
            up.kubectl(
                "apply",
                "-f",
                "-",
                input=pod(
                    "counter",
                    [py, "-c", COUNTER, str(pids / "counter")],
                    restartPolicy="Never",
                    container={"env": [{"name": "GREETING", "value": "hello from env"}]},
                ),
            )
            up.kubectl(
                "apply",
                "-f",
                "-",
                input=pod("crasher", [py, "-c", CRASHER, str(pids / "crasher-")]),
            )
            up.kubectl(
                "apply",
                "-f",
                "-",
                input=pod(
                    "web",
                    [py, "-m", "http.server", str(web_port), "--bind", "127.0.0.1"],
                ),
            )
            eventually(lambda: phase(up, "counter") == "Running", "counter never ran")

            # logs: what the container printed, from its CRI log.
            eventually(
                lambda: up.kubectl("logs", "counter").stdout == "line 1\nline 2\nline 3\n",
                "kubectl logs never showed the three lines",
            )
            assert up.kubectl("logs", "counter", "--tail=1").stdout == "line 3\n"

            # exec: output, exit codes, stdin, the container's environment and directory.
            assert up.kubectl("exec", "counter", "--", "echo", "hi").stdout == "hi\n"
            failed = up.kubectl("exec", "counter", "--", "sh", "-c", "exit 3", check=False)
            assert failed.returncode == 3, failed
            piped = up.kubectl("exec", "-i", "counter", "--", "cat", input="through stdin\n")
            assert piped.stdout == "through stdin\n"
            env = up.kubectl("exec", "counter", "--", "sh", "-c", 'echo "$GREETING"; pwd')
            greeting, cwd = env.stdout.splitlines()
            assert greeting == "hello from env"
            assert cwd.startswith(str(tmp_path / "data" / "kubelet" / "runtime" / "sandboxes"))
            missing = up.kubectl("exec", "counter", "--", "no-such-command", check=False)
            assert missing.returncode != 0
            assert "no-such-command" in missing.stderr

            # cp: a file out of the container's working directory (tar through exec).
            up.kubectl("exec", "counter", "--", "sh", "-c", "echo payload > data.txt")
            copied = tmp_path / "copied.txt"
            up.kubectl("cp", "counter:data.txt", str(copied))
            assert copied.read_text() == "payload\n"

            # logs -f: follows until the container ends.
            follower = kubectl_process(up, "logs", "-f", "counter")
            started.append(follower)
            time.sleep(0.5)
            assert follower.poll() is None, "kubectl logs -f ended while the container runs"
            up.kubectl("exec", "counter", "--", "touch", "done")
            out, err = follower.communicate(timeout=30)
            assert follower.returncode == 0, err
            assert out == "line 1\nline 2\nline 3\nbye\n"
            eventually(lambda: phase(up, "counter") == "Succeeded", "counter never finished")
            assert up.kubectl("logs", "counter").stdout.endswith("bye\n")

            # logs --previous: the run before the restart.
            eventually(lambda: restarts(up, "crasher") >= 1, "crasher never restarted", seconds=90)
            eventually(lambda: phase(up, "crasher") == "Running", "crasher is not running again")
            assert up.kubectl("logs", "crasher", "--previous").stdout == "run 1\n"
            eventually(
                lambda: up.kubectl("logs", "crasher").stdout == "run 2\n",
                "the current run's log is not run 2",
            )

            # port-forward: a local port reaches the pod's HTTP server.
            eventually(lambda: phase(up, "web") == "Running", "web never ran")
            local = free_port()
            forward = kubectl_process(up, "port-forward", "pod/web", f"{local}:{web_port}")
            started.append(forward)
            assert forward.stdout is not None
            line = forward.stdout.readline()
            assert "Forwarding from 127.0.0.1" in line, line

            def fetch() -> bool:
                try:
                    url = f"http://127.0.0.1:{local}/"
                    with urllib.request.urlopen(url, timeout=5) as response:
                        return bool(response.status == 200)
                except OSError:
                    return False

            eventually(fetch, "nothing answered through kubectl port-forward", seconds=20)
        finally:
            for process in started:
                stop(process)
    # Every container process (and every shim) ended with kubeling up.
    ran = [int(f.read_text() or f.name.rsplit("-", 1)[-1]) for f in pids.iterdir()]
    assert len(ran) == 3, ran  # counter and crasher's two runs
    eventually(lambda: not any(alive(pid) for pid in ran), "a container outlived kubeling up")
    eventually(lambda: not holders_of(shim_log), "container shims outlived kubeling up")
