"""Probes run by the real kubelet against real processes (``python3 -m http.server``).

The fixtures (API server, in-process kubelet, clean-up that checks no process is left) are
those of :mod:`tests.integration.test_kubelet`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kubeling.client import ApiClient
from kubeling.client.resources import PODS
from tests.integration.test_kubelet import (
    PY,
    Node,
    client,
    condition,
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


def http_server(name: str, port: int, *, before: str = "", **extra: Any) -> Obj:
    """A container serving its working directory over HTTP on 127.0.0.1:``port``."""
    serve = f"exec {PY} -m http.server {port} --bind 127.0.0.1"
    script = f"{before}\n{serve}" if before else serve
    return {"name": name, "image": "python:3", "command": ["sh", "-c", script], **extra}


async def work_dir(node: Node, pod: Obj) -> Path:
    """The pod's working directory, once its sandbox exists (its first status, Pending and
    not Ready, may be written before)."""

    async def sandboxes() -> list[Any]:
        return await node.runtime().list_pod_sandboxes(pod_uid=pod["metadata"]["uid"])

    found = await eventually(sandboxes, "the pod never got a sandbox")
    return Path(found[0].work_dir)


async def messages(client: ApiClient, name: str, reason: str) -> list[str]:
    return [e["message"] for e in await pod_events(client, name) if e["reason"] == reason]


async def test_a_failed_liveness_probe_restarts_the_container(
    node: Node, client: ApiClient
) -> None:
    """The HTTP liveness probe fails once the file it asks for is gone: the kubelet says so,
    kills the container, starts it again and counts the restart. A startup probe keeps the
    liveness probe waiting until the server listens."""
    await node.start()
    port = free_port()
    web = http_server(
        "web",
        port,
        before="touch alive; (sleep 3; rm -f alive) &",
        startupProbe={"tcpSocket": {"port": port}, "periodSeconds": 1, "failureThreshold": 30},
        livenessProbe={
            "httpGet": {"port": "http", "path": "/alive"},
            "periodSeconds": 1,
            "failureThreshold": 1,
            "terminationGracePeriodSeconds": 3,
        },
        ports=[{"name": "http", "containerPort": port}],
    )
    await client.resource(PODS).create(pod_body("live", node.name, [web]))

    async def restarted() -> Obj | None:
        pod = await get_pod(client, "live")
        statuses = pod["status"].get("containerStatuses") or []
        return pod if statuses and statuses[0]["restartCount"] >= 1 else None

    pod = await eventually(restarted, "the container was never restarted", seconds=60)
    status = container_status(pod, "web")
    assert "terminated" in status["lastState"]
    assert status["lastState"]["terminated"]["exitCode"] == 143  # SIGTERM
    unhealthy = await messages(client, "live", "Unhealthy")
    assert "Liveness probe failed: HTTP probe failed with statuscode: 404" in unhealthy
    killing = await messages(client, "live", "Killing")
    assert "Container web failed liveness probe, will be restarted" in killing


async def test_readiness_drives_the_ready_condition(node: Node, client: ApiClient) -> None:
    """Ready follows the readiness probe both ways while the container keeps running."""
    await node.start()
    port = free_port()
    web = http_server(
        "web",
        port,
        readinessProbe={
            "httpGet": {"port": port, "path": "/ready"},
            "periodSeconds": 1,
            "failureThreshold": 1,
        },
    )
    await client.resource(PODS).create(pod_body("ready", node.name, [web]))

    def ready_is(value: str) -> Any:
        async def check() -> Obj | None:
            pod = await get_pod(client, "ready")
            conditions = pod["status"].get("conditions") or []
            found = [c for c in conditions if c["type"] == "Ready"]
            return pod if found and found[0]["status"] == value else None

        return check

    pod = await eventually(ready_is("False"), "the pod was never reported unready")
    directory = await work_dir(node, pod)
    assert condition(pod, "ContainersReady")["reason"] == "ContainersNotReady"
    (directory / "ready").write_text("yes")
    pod = await eventually(ready_is("True"), "the pod never became Ready")
    assert container_status(pod, "web")["ready"] is True
    (directory / "ready").unlink()
    pod = await eventually(ready_is("False"), "the pod never became unready again")
    assert container_status(pod, "web")["ready"] is False
    assert container_status(pod, "web")["restartCount"] == 0  # readiness restarts nothing
    unhealthy = await messages(client, "ready", "Unhealthy")
    assert "Readiness probe failed: HTTP probe failed with statuscode: 404" in unhealthy


async def test_an_exec_startup_probe_holds_started_and_ready(node: Node, client: ApiClient) -> None:
    """An exec probe runs in the container's directory; until the startup probe succeeds the
    container is neither started nor ready."""
    await node.start()
    sleeper = {
        "name": "app",
        "image": "busybox",
        "command": ["sleep", "600"],
        "startupProbe": {
            "exec": {"command": ["sh", "-c", "test -f $(MARK)"]},
            "periodSeconds": 1,
            "failureThreshold": 600,
        },
        "env": [{"name": "MARK", "value": "started"}],
    }
    await client.resource(PODS).create(pod_body("boot", node.name, [sleeper]))

    async def running() -> Obj | None:
        pod = await get_pod(client, "boot")
        statuses = pod["status"].get("containerStatuses") or []
        return pod if statuses and "running" in statuses[0]["state"] else None

    pod = await eventually(running, "the container never ran")
    status = container_status(pod, "app")
    assert (status["started"], status["ready"]) == (False, False)
    (await work_dir(node, pod) / "started").touch()

    async def started() -> Obj | None:
        pod = await get_pod(client, "boot")
        status = container_status(pod, "app")
        return pod if status["started"] and status["ready"] else None

    pod = await eventually(started, "the startup probe never let the container start")
    assert condition(pod, "Ready")["status"] == "True"
