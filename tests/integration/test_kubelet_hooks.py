"""Lifecycle hooks run by the real kubelet around real processes.

The fixtures are those of :mod:`tests.integration.test_kubelet`. The containers note what
happens to them in files outside the pod (which is removed with its logs), so that the order
of hooks and signals can be read after the pod is gone.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from aiohttp import web

from kubeling.api import errors
from kubeling.client import ApiClient
from kubeling.client.resources import PODS
from tests.integration.test_kubelet import (
    PY,
    Node,
    client,
    container_status,
    eventually,
    get_pod,
    node,
    pod_body,
    pod_events,
    server,
)
from tests.support.ports import free_port

__all__ = ["client", "node", "server"]  # fixtures used here

Obj = dict[str, Any]

#: A server that notes GET requests and SIGTERM in the file argv[1], then serves on argv[2].
SERVER = """
import http.server, os, signal, sys, time
order, port = sys.argv[1], int(sys.argv[2])
def note(what):
    with open(order, "a") as f:
        f.write(f"{time.time():.3f} {what}\\n")
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        note(f"GET {self.path} {self.headers.get('User-Agent')}")
        self.send_response(500)  # any answer will do for a hook
        self.end_headers()
    def log_message(self, *args):
        pass
def term(*args):
    note("SIGTERM")
    os._exit(0)
signal.signal(signal.SIGTERM, term)
note("started")
http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
"""


def noted(path: Path) -> list[tuple[float, str]]:
    if not path.exists():
        return []
    return [
        (float(stamp), what)
        for stamp, _, what in (line.partition(" ") for line in path.read_text().splitlines())
    ]


async def gone(client: ApiClient, name: str) -> bool:
    try:
        await client.resource(PODS).get(name, namespace="default")
    except errors.StatusError as err:
        return errors.is_not_found(err)
    return False


async def test_hooks_run_around_the_container_and_pre_stop_before_sigterm(
    node: Node, client: ApiClient, tmp_path: Path
) -> None:
    """postStart (HTTP, exec) after the start; on deletion preStop (HTTP, exec, sleep) runs
    first and only then does the container get SIGTERM."""
    await node.start()
    port = free_port()
    received: list[str] = []

    async def hook_endpoint(request: web.Request) -> web.Response:
        received.append(f"{request.path} {request.headers['User-Agent']}")
        return web.Response(status=404)  # any answer will do for a hook

    app = web.Application()
    app.router.add_get("/{tail:.*}", hook_endpoint)
    runner = web.AppRunner(app)
    await runner.setup()
    hook_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", hook_port).start()
    try:
        await _run_hooked_pod(node, client, tmp_path, port, hook_port)
    finally:
        await runner.cleanup()
    assert received == ["/post-start kube-lifecycle/1.32"]


async def _run_hooked_pod(
    node: Node, client: ApiClient, tmp_path: Path, port: int, hook_port: int
) -> None:
    web_order, exec_order, sleep_order = (tmp_path / n for n in ("web", "exec", "sleep"))
    note = "echo $(date +%s.%N | cut -c1-14) {what} >> {file}"
    web = {
        "name": "web",
        "image": "python:3",
        "command": [PY, "-c", SERVER, str(web_order), str(port)],
        "lifecycle": {
            # to a server that already listens: a postStart hook races the container's start
            "postStart": {
                "httpGet": {"host": "127.0.0.1", "port": hook_port, "path": "/post-start"}
            },
            "preStop": {"httpGet": {"port": port, "path": "/pre-stop"}},
        },
    }
    worker = {
        "name": "worker",
        "image": "python:3",
        "command": [PY, "-c", SERVER, str(exec_order), str(free_port())],
        "lifecycle": {
            "postStart": {
                "exec": {"command": ["sh", "-c", note.format(what="post-start", file=exec_order)]}
            },
            "preStop": {
                "exec": {"command": ["sh", "-c", note.format(what="pre-stop", file=exec_order)]}
            },
        },
    }
    sleeper = {
        "name": "sleeper",
        "image": "python:3",
        "command": [PY, "-c", SERVER, str(sleep_order), str(free_port())],
        "lifecycle": {"preStop": {"sleep": {"seconds": 2}}},
    }
    pods = client.resource(PODS)
    await pods.create(pod_body("hooked", node.name, [web, worker, sleeper]))

    async def all_ready() -> Obj | None:
        pod = await get_pod(client, "hooked")
        statuses = pod["status"].get("containerStatuses") or []
        return pod if len(statuses) == 3 and all(s["ready"] for s in statuses) else None

    await eventually(all_ready, "the pod never became ready")
    deleting = time.time()
    await pods.delete("hooked", namespace="default", grace_period_seconds=30)
    await eventually(lambda: gone(client, "hooked"), "the pod was never removed")

    web_notes = [what for _, what in noted(web_order)]
    assert web_notes == [
        "started",
        "GET /pre-stop kube-lifecycle/1.32",
        "SIGTERM",
    ]
    exec_notes = [what for _, what in noted(exec_order)]
    assert exec_notes == ["started", "post-start", "pre-stop", "SIGTERM"]
    sleep_notes = noted(sleep_order)
    assert [what for _, what in sleep_notes] == ["started", "SIGTERM"]
    assert sleep_notes[-1][0] - deleting >= 2  # after the preStop sleep


async def test_a_failed_post_start_hook_kills_and_restarts_the_container(
    node: Node, client: ApiClient
) -> None:
    await node.start()
    app = {
        "name": "app",
        "image": "busybox",
        "command": ["sleep", "600"],
        "lifecycle": {"postStart": {"exec": {"command": ["sh", "-c", "echo nope; exit 3"]}}},
    }
    await client.resource(PODS).create(pod_body("poststart", node.name, [app]))

    async def failed_hook() -> list[Obj]:
        events = await pod_events(client, "poststart")
        return [e for e in events if e["reason"] == "FailedPostStartHook"]

    failed = await eventually(failed_hook, "no FailedPostStartHook event")
    pod = await get_pod(client, "poststart")
    uid = pod["metadata"]["uid"]
    assert failed[0]["type"] == "Warning"
    assert failed[0]["message"] == (
        'Exec lifecycle hook ([sh -c echo nope; exit 3]) for Container "app" in Pod '
        f"\"poststart_default({uid})\" failed - error: command 'sh -c echo nope; exit 3' "
        'exited with 3: , message: "nope\\n"'
    )

    async def killing() -> list[str]:
        events = await pod_events(client, "poststart")
        return [e["message"] for e in events if e["reason"] == "Killing"]

    # The Killing Event is written after the FailedPostStartHook one, in the background.
    assert "FailedPostStartHook" in await eventually(killing, "no Killing event")

    async def restarted() -> Obj | None:
        pod = await get_pod(client, "poststart")
        statuses = pod["status"].get("containerStatuses") or []
        return pod if statuses and statuses[0]["restartCount"] >= 1 else None

    pod = await eventually(restarted, "the container was never started again")
    assert container_status(pod, "app")["lastState"]["terminated"]["exitCode"] == 143
