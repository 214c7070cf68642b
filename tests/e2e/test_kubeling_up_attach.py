"""``kubeling up``: ``kubectl attach`` to real containers of the process runtime.

kubectl 1.32 attaches over WebSocket through the API server to the kubelet, which joins the
container's streams at its shim: what the container prints from then on streams back until
the client detaches or the container ends; with ``stdin: true`` what kubectl reads goes to the
container, and ``stdinOnce`` ends the container's input when kubectl's ends.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tests.e2e.test_kubeling_up import eventually
from tests.e2e.test_kubeling_up_streaming import kubectl_process, phase, stop
from tests.support.cluster import running_server

NODE = "e2e-attach-node"
TICKER = """
import itertools, time
for n in itertools.count():
    print(f"tick {n}", flush=True)
    time.sleep(0.2)
"""


def pod(name: str, command: list[str], **container: Any) -> str:
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {
                "nodeName": NODE,
                "restartPolicy": "Never",
                "containers": [
                    {"name": "main", "image": "python:3", "command": command, **container}
                ],
            },
        }
    )


def test_kubectl_attach(tmp_path: Path) -> None:
    extra = ["--node-name", NODE, "--kubelet-port", "0"]
    with running_server(tmp_path, command="up", extra=extra) as up:
        eventually(
            lambda: "Ready" in up.kubectl("get", "node", NODE, check=False).stdout,
            "the node never became Ready",
        )
        up.kubectl("apply", "-f", "-", input=pod("ticker", [sys.executable, "-c", TICKER]))
        up.kubectl(
            "apply",
            "-f",
            "-",
            input=pod("echo", ["cat"], stdin=True, stdinOnce=True),
        )
        eventually(lambda: phase(up, "ticker") == "Running", "ticker never ran")
        eventually(lambda: phase(up, "echo") == "Running", "echo never ran")

        # output: lines printed after the attach stream back; a detach leaves it running
        attached = kubectl_process(up, "attach", "ticker")
        try:
            assert attached.stdout is not None
            first = attached.stdout.readline()
            second = attached.stdout.readline()
            assert first.startswith("tick ")
            assert int(second.split()[1]) == int(first.split()[1]) + 1
        finally:
            stop(attached)
        assert phase(up, "ticker") == "Running"

        # -t to a container without a terminal: kubectl's own warning, then the output
        no_tty = kubectl_process(up, "attach", "-t", "ticker")
        try:
            assert no_tty.stderr is not None
            assert no_tty.stdout is not None
            warning = no_tty.stderr.readline()
            assert warning == "error: Unable to use a TTY - container main did not allocate one\n"
            assert no_tty.stdout.readline().startswith("tick ")
        finally:
            stop(no_tty)

        # stdin: what kubectl reads reaches cat, its output comes back; stdinOnce ends cat's
        # input with kubectl's, cat exits 0 and so does kubectl
        result = up.kubectl("attach", "-i", "echo", input="hello\nworld\n", timeout=60)
        assert result.stdout == "hello\nworld\n"
        eventually(lambda: phase(up, "echo") == "Succeeded", "cat never ended")
        assert up.kubectl("logs", "echo").stdout == "hello\nworld\n"

        # a finished pod cannot be attached to (kubectl says so itself)
        done = up.kubectl("attach", "echo", check=False)
        assert done.returncode != 0
        assert "cannot attach a container in a completed pod" in done.stderr
