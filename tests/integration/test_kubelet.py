"""The kubelet against a real API server, running real processes.

Each test runs its own kubelet in-process (its own node name and root directory) against one
``kubeling server`` for the module, binds pods to that node itself (``spec.nodeName``), and at
the end stops the kubelet and checks that every process it started is gone.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from kubeling.api import errors
from kubeling.client import ApiClient, load_client_config
from kubeling.client.resources import CONFIGMAPS, EVENTS, LEASES, NODES, PODS, SECRETS, SERVICES
from kubeling.kubelet import Kubelet, KubeletConfig
from kubeling.kubelet.backoff import Backoff
from kubeling.kubelet.runtime.crilog import parse_record
from kubeling.kubelet.runtime.process import ProcessRuntime
from kubeling.kubelet.runtime.records import process_alive
from tests.support import waiting
from tests.support.cluster import RunningServer, running_server
from tests.support.mounts import detach_all_under, mounts_under
from tests.support.processes import wait_all_gone

PY = sys.executable
Obj = dict[str, Any]
T = TypeVar("T")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("kubelet-server")) as running:
        yield running


@pytest.fixture
async def client(server: RunningServer) -> AsyncIterator[ApiClient]:
    config = load_client_config(server.kubeconfig).with_user_agent("kubelet-tests/0")
    async with ApiClient(config) as api:
        yield api


class Node:
    """A kubelet running in this test, and how to start it again on the same directory."""

    def __init__(self, client: ApiClient, root: Path, name: str) -> None:
        self.client = client
        self.root = root
        self.name = name
        self.kubelet: Kubelet | None = None
        self.task: asyncio.Task[None] | None = None
        self.started: set[tuple[int, int]] = set()

    async def start(self, *, backoff: Backoff | None = None, **settings: Any) -> Kubelet:
        """Start the kubelet; ``settings`` are further :class:`KubeletConfig` fields."""
        # A cluster DNS, as `kubeling up` gives its kubelet (else every pod gets a
        # MissingClusterDNS Warning); nothing needs to answer there.
        settings.setdefault("cluster_dns", ("127.96.0.10",))
        config = KubeletConfig(
            node_name=self.name,
            root_dir=self.root,
            node_ip="127.0.0.1",
            node_status_update_frequency=1.0,
            **settings,
        )
        self.kubelet = Kubelet(config, self.client, backoff=backoff)
        self.task = asyncio.create_task(self.kubelet.run())
        await asyncio.wait_for(self.kubelet.ready.wait(), 30)
        return self.kubelet

    def runtime(self) -> ProcessRuntime:
        assert self.kubelet is not None
        runtime = self.kubelet.runtime
        assert isinstance(runtime, ProcessRuntime)
        return runtime

    async def stop(self) -> None:
        """Stop the kubelet; its containers keep running (as a kubelet restart does)."""
        if self.task is None:
            return
        self.started.update(self.runtime().processes())
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        self.task = None


@pytest.fixture
async def node(
    client: ApiClient, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Node]:
    name = "node-" + request.node.name.removeprefix("test_").replace("_", "-")[:40].strip("-")
    running = Node(client, tmp_path / "kubelet", name)
    try:
        yield running
    finally:
        await _teardown(running)


async def _teardown(node: Node) -> None:
    """Force-delete the node's pods, let the kubelet clean up, stop it, check no process is
    left."""
    pods = node.client.resource(PODS)
    if node.task is None:
        await node.start()
    listed = await pods.list(field_selector=f"spec.nodeName={node.name}")
    for pod in listed["items"]:
        meta = pod["metadata"]
        try:
            await pods.delete(meta["name"], namespace=meta["namespace"], grace_period_seconds=0)
        except errors.StatusError as err:
            if not errors.is_not_found(err):
                raise
    runtime = node.runtime()
    await eventually(lambda: _no_sandboxes(runtime), "the kubelet never removed the pods")

    async def volumes_unmounted() -> bool:
        return not mounts_under(node.root)

    try:
        await eventually(volumes_unmounted, "the kubelet left volumes mounted", seconds=10)
    finally:
        await node.stop()
        detach_all_under(node.root)  # whatever happened, pytest must be able to delete it
    await wait_all_gone(node.started)


async def _no_sandboxes(runtime: ProcessRuntime) -> bool:
    node_processes = runtime.processes()
    return not await runtime.list_pod_sandboxes() and not any(
        process_alive(pid, ticks) for pid, ticks in node_processes[1:]
    )


async def eventually(
    check: Callable[[], Awaitable[T]], message: str, *, seconds: float = 30.0
) -> T:
    """Poll ``check`` until it returns something true; fail with ``message`` after a while
    (the kubelet tests' spelling of the shared :func:`tests.support.waiting.eventually`)."""
    return await waiting.eventually(check, within=seconds, what=message)


def pod_body(
    name: str, node: str, containers: list[Obj], *, restart: str = "Always", **spec: Any
) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"nodeName": node, "restartPolicy": restart, "containers": containers, **spec},
    }


def container(name: str, script: str, **extra: Any) -> Obj:
    return {"name": name, "image": "python:3", "command": [PY, "-u", "-c", script], **extra}


async def get_pod(client: ApiClient, name: str) -> Obj:
    pod: Obj = await client.resource(PODS).get(name, namespace="default")
    return pod


def phase_is(client: ApiClient, name: str, phase: str) -> Callable[[], Awaitable[Obj | None]]:
    async def check() -> Obj | None:
        pod = await get_pod(client, name)
        return pod if pod["status"].get("phase") == phase else None

    return check


def condition(pod: Obj, kind: str) -> Obj:
    return next(c for c in pod["status"]["conditions"] if c["type"] == kind)


def container_status(pod: Obj, name: str, *, init: bool = False) -> Obj:
    key = "initContainerStatuses" if init else "containerStatuses"
    return next(s for s in pod["status"].get(key) or [] if s["name"] == name)


async def pod_events(client: ApiClient, name: str) -> list[Obj]:
    listed = await client.resource(EVENTS).list(
        namespace="default", field_selector=f"involvedObject.name={name}"
    )
    events: list[Obj] = listed["items"]
    return events


def log_lines(node: Node, pod: Obj, container_name: str, attempt: int = 0) -> list[str]:
    """The lines a container logged (none if its log does not exist, or no longer)."""
    meta = pod["metadata"]
    directory = node.root / "pod-logs" / f"default_{meta['name']}_{meta['uid']}"
    return _read_log(directory / container_name / f"{attempt}.log")


def _read_log(path: Path) -> list[str]:
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        return []
    return [parse_record(line).content.decode() for line in content.splitlines()]


async def logged(node: Node, pod: Obj, container_name: str, line: str) -> bool:
    """Whether the container has logged ``line`` (for :func:`eventually`)."""
    return line in log_lines(node, pod, container_name)


# -- the Node ---------------------------------------------------------------------------------


async def test_the_node_registers_reports_ready_and_renews_its_lease(
    node: Node, client: ApiClient, server: RunningServer
) -> None:
    await node.start()
    registered = await client.resource(NODES).get(node.name)
    labels = registered["metadata"]["labels"]
    assert labels["kubernetes.io/hostname"] == node.name
    assert labels["kubernetes.io/os"] == "linux"
    assert labels["kubernetes.io/arch"] in ("amd64", "arm64")
    status = registered["status"]
    assert status["capacity"]["pods"] == "110"
    assert set(status["capacity"]) >= {"cpu", "memory", "ephemeral-storage", "pods"}
    assert status["allocatable"]["memory"] != status["capacity"]["memory"]  # eviction reserve
    info = status["nodeInfo"]
    assert info["kubeletVersion"] == "v1.32.4+kubeling"
    assert info["containerRuntimeVersion"].startswith("process://")
    assert info["operatingSystem"] == "linux"
    assert info["kernelVersion"]
    assert [c["type"] for c in status["conditions"]] == [
        "MemoryPressure",
        "DiskPressure",
        "PIDPressure",
        "Ready",
    ]
    ready = status["conditions"][-1]
    assert (ready["status"], ready["reason"]) == ("True", "KubeletReady")
    assert {"type": "InternalIP", "address": "127.0.0.1"} in status["addresses"]

    leases = client.resource(LEASES)
    lease = await eventually(
        lambda: _lease(leases, node.name), "no Lease in kube-node-lease for the node"
    )
    assert lease["spec"]["holderIdentity"] == node.name
    assert lease["spec"]["leaseDurationSeconds"] == 40
    assert lease["metadata"]["ownerReferences"][0]["uid"] == registered["metadata"]["uid"]

    shown = server.kubectl("get", "node", node.name, "--no-headers").stdout.split()
    assert shown[:2] == [node.name, "Ready"]
    assert "v1.32.4+kubeling" in shown


async def _lease(leases: Any, name: str) -> Obj | None:
    try:
        lease: Obj = await leases.get(name, namespace="kube-node-lease")
    except errors.StatusError:
        return None
    return lease


async def test_the_kubelet_posts_its_status_again_when_the_api_says_otherwise(
    node: Node, client: ApiClient
) -> None:
    """As the node lifecycle controller does for a silent node: Ready turns Unknown."""
    await node.start()
    nodes = client.resource(NODES)
    current = await nodes.get(node.name)
    conditions = [
        {**c, "status": "Unknown", "reason": "NodeStatusUnknown"} if c["type"] == "Ready" else c
        for c in current["status"]["conditions"]
    ]
    await nodes.patch(node.name, {"status": {"conditions": conditions}}, subresource="status")

    async def ready_again() -> Obj | None:
        found: Obj = await nodes.get(node.name)
        ready = next(c for c in found["status"]["conditions"] if c["type"] == "Ready")
        return found if ready["status"] == "True" else None

    found = await eventually(ready_again, "the kubelet never reported Ready again")
    ready = next(c for c in found["status"]["conditions"] if c["type"] == "Ready")
    assert ready["reason"] == "KubeletReady"
    assert [c["type"] for c in found["status"]["conditions"]] == [
        "MemoryPressure",
        "DiskPressure",
        "PIDPressure",
        "Ready",
    ]


async def test_a_restarted_kubelet_adopts_its_node(node: Node, client: ApiClient) -> None:
    await node.start()
    first = await client.resource(NODES).get(node.name)
    await node.stop()
    await node.start()
    again = await client.resource(NODES).get(node.name)
    assert again["metadata"]["uid"] == first["metadata"]["uid"]


# -- running pods -----------------------------------------------------------------------------


async def test_a_pod_runs_and_becomes_ready(
    node: Node, client: ApiClient, server: RunningServer
) -> None:
    await node.start()
    script = "import time; print('serving', flush=True); time.sleep(600)"
    await client.resource(PODS).create(pod_body("web", node.name, [container("web", script)]))
    pod = await eventually(phase_is(client, "web", "Running"), "the pod never ran")
    pod = await eventually(lambda: _ready(client, "web"), "the pod never became Ready")
    status = container_status(pod, "web")
    assert status["ready"] is True
    assert status["started"] is True
    assert status["restartCount"] == 0
    assert status["containerID"].startswith("process://")
    assert status["image"] == "python:3"
    assert "startedAt" in status["state"]["running"]
    for kind in ("PodReadyToStartContainers", "Initialized", "ContainersReady", "PodScheduled"):
        assert condition(pod, kind)["status"] == "True", kind
    assert pod["status"]["podIP"] == "127.0.0.1"
    assert pod["status"]["hostIP"] == "127.0.0.1"
    assert pod["status"]["startTime"]
    await eventually(lambda: logged(node, pod, "web", "serving"), "no log line")
    assert log_lines(node, pod, "web") == ["serving"]
    reasons = [e["reason"] for e in await pod_events(client, "web")]
    assert reasons[:3] == ["Pulled", "Created", "Started"]
    events = {e["reason"]: e for e in await pod_events(client, "web")}
    assert events["Created"]["message"] == "Created container: web"
    assert events["Started"]["message"] == "Started container web"
    assert events["Created"]["involvedObject"]["fieldPath"] == "spec.containers{web}"
    assert events["Created"]["source"] == {"component": "kubelet", "host": node.name}
    shown = server.kubectl("get", "pod", "web", "--no-headers").stdout.split()
    assert shown[1:3] == ["1/1", "Running"]


async def _ready(client: ApiClient, name: str) -> Obj | None:
    pod = await get_pod(client, name)
    conditions = pod["status"].get("conditions") or []
    ready = next((c for c in conditions if c["type"] == "Ready"), None)
    return pod if ready and ready["status"] == "True" else None


async def test_a_pod_that_exits_zero_succeeds_and_one_that_fails_fails(
    node: Node, client: ApiClient, server: RunningServer
) -> None:
    await node.start()
    pods = client.resource(PODS)
    await pods.create(
        pod_body("ok", node.name, [container("main", "print('done')")], restart="Never")
    )
    await pods.create(
        pod_body("bad", node.name, [container("main", "raise SystemExit(3)")], restart="Never")
    )
    ok = await eventually(phase_is(client, "ok", "Succeeded"), "the pod never succeeded")
    terminated = container_status(ok, "main")["state"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (0, "Completed")
    assert terminated["containerID"] == container_status(ok, "main")["containerID"]
    ready = condition(ok, "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "PodCompleted")
    bad = await eventually(phase_is(client, "bad", "Failed"), "the pod never failed")
    terminated = container_status(bad, "main")["state"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (3, "Error")
    assert container_status(bad, "main")["restartCount"] == 0
    shown = server.kubectl("get", "pod", "ok", "bad", "--no-headers").stdout.splitlines()
    assert [line.split()[2] for line in shown] == ["Completed", "Error"]


async def test_a_crashing_container_backs_off_longer_and_longer(
    node: Node, client: ApiClient, server: RunningServer
) -> None:
    await node.start(backoff=Backoff(initial=1.0, maximum=4.0))
    script = "print('crash', flush=True); raise SystemExit(1)"
    await client.resource(PODS).create(pod_body("crash", node.name, [container("app", script)]))

    async def backing_off(count: int) -> Obj | None:
        pod = await get_pod(client, "crash")
        status = (pod["status"].get("containerStatuses") or [{}])[0]
        waiting = (status.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") == "CrashLoopBackOff" and status["restartCount"] >= count:
            return pod
        return None

    pod = await eventually(lambda: backing_off(1), "never in CrashLoopBackOff")
    first = container_status(pod, "app")
    assert first["lastState"]["terminated"]["exitCode"] == 1
    assert first["lastState"]["terminated"]["reason"] == "Error"
    assert first["ready"] is False
    assert pod["status"]["phase"] == "Running"
    pod = await eventually(lambda: backing_off(3), "the container was not restarted again")
    later = container_status(pod, "app")["state"]["waiting"]["message"]
    delays = [int(m.split()[1].rstrip("s")) for m in (first["state"]["waiting"]["message"], later)]
    assert delays[1] > delays[0]  # the back-off grew
    assert later.endswith(
        f"restarting failed container=app pod=crash_default({pod['metadata']['uid']})"
    )
    events = [e for e in await pod_events(client, "crash") if e["reason"] == "BackOff"]
    assert events
    assert events[0]["type"] == "Warning"
    assert events[0]["message"] == (
        f"Back-off restarting failed container app in pod crash_default({pod['metadata']['uid']})"
    )
    shown = server.kubectl("get", "pod", "crash", "--no-headers").stdout.split()
    assert shown[2] == "CrashLoopBackOff"


async def test_deletion_stops_containers_gracefully_then_removes_the_pod(
    node: Node, client: ApiClient
) -> None:
    await node.start()
    pods = client.resource(PODS)
    stubborn = (
        "import os, signal, time\n"
        "open('pid', 'w').write(str(os.getpid()))\n"
        "signal.signal(signal.SIGTERM, lambda *a: print('got SIGTERM', flush=True))\n"
        "print('ready', flush=True)\n"
        "time.sleep(600)\n"
    )
    polite = "import os, time; open('pid', 'w').write(str(os.getpid())); time.sleep(600)"
    await pods.create(
        pod_body(
            "stubborn", node.name, [container("main", stubborn)], terminationGracePeriodSeconds=3
        )
    )
    await pods.create(pod_body("polite", node.name, [container("main", polite)]))
    for name in ("stubborn", "polite"):
        await eventually(lambda name=name: _ready(client, name), f"{name} never became ready")
    stubborn_pod = await get_pod(client, "stubborn")
    await eventually(lambda: logged(node, stubborn_pod, "main", "ready"), "not ready")
    pids = {
        name: _container_pid(node, await get_pod(client, name)) for name in ("stubborn", "polite")
    }

    started = time.monotonic()
    await pods.delete("stubborn", namespace="default")
    await pods.delete("polite", namespace="default")
    await eventually(lambda: _gone(client, "polite"), "the polite pod was never removed")
    await eventually(lambda: _gone(client, "stubborn"), "the stubborn pod was never removed")
    assert time.monotonic() - started >= 3  # it ignored SIGTERM: killed after its grace period
    for name, (pid, ticks) in pids.items():
        assert not process_alive(pid, ticks), f"{name}'s process outlived its pod"
    killing = [e for e in await pod_events(client, "stubborn") if e["reason"] == "Killing"]
    assert killing[0]["message"] == "Stopping container main"


def _container_pid(node: Node, pod: Obj, name: str = "main") -> tuple[int, int]:
    """The (pid, start ticks) of a pod's container process, as its shim recorded them."""
    container_id = container_status(pod, name)["containerID"].removeprefix("process://")
    started = json.loads(
        (node.root / "runtime" / "containers" / container_id / "started.json").read_text()
    )
    return int(started["pid"]), int(started["startTicks"])


async def _gone(client: ApiClient, name: str) -> bool:
    try:
        await get_pod(client, name)
    except errors.StatusError as err:
        return errors.is_not_found(err)
    return False


async def test_sigterm_reaches_the_container_before_sigkill(node: Node, client: ApiClient) -> None:
    """Graceful deletion seen from inside: the container's SIGTERM handler runs, and the
    container exits on its own."""
    await node.start()
    # The handler writes outside the pod: the pod's log goes with the pod, possibly before
    # a reader sees its last line.
    marker = node.root / "sigterm-seen"
    script = (
        "import signal, sys, time\n"
        "def stop(*_):\n"
        f"    open({str(marker)!r}, 'w').write('stopping on SIGTERM')\n"
        "    sys.exit(0)\n"
        "signal.signal(signal.SIGTERM, stop)\n"
        "print('up', flush=True)\n"
        "time.sleep(600)\n"
    )
    pods = client.resource(PODS)
    await pods.create(pod_body("term", node.name, [container("main", script)]))
    pod = await eventually(lambda: _ready(client, "term"), "never ready")
    await eventually(lambda: logged(node, pod, "main", "up"), "not up")
    await pods.delete("term", namespace="default", grace_period_seconds=30)
    await eventually(lambda: _gone(client, "term"), "the pod was never removed")
    assert marker.read_text() == "stopping on SIGTERM"


# -- the environment --------------------------------------------------------------------------


async def test_environment_from_configmaps_secrets_fields_resources_and_services(
    node: Node, client: ApiClient
) -> None:
    await node.start()
    await client.resource(CONFIGMAPS).create(
        {
            "metadata": {"name": "settings", "namespace": "default"},
            "data": {"color": "blue", "size": "L"},
        }
    )
    secret = base64.b64encode(b"s3cr3t").decode()
    await client.resource(SECRETS).create(
        {"metadata": {"name": "creds", "namespace": "default"}, "data": {"password": secret}}
    )
    await client.resource(SERVICES).create(
        {
            "metadata": {"name": "my-db", "namespace": "default"},
            "spec": {"ports": [{"name": "sql", "port": 5432}]},
        }
    )
    service = await client.resource(SERVICES).get("my-db", namespace="default")
    # Services must reach the kubelet's cache before the pod starts.
    await asyncio.sleep(1)
    script = "import json, os; print(json.dumps(dict(os.environ)), flush=True)"
    spec = container(
        "main",
        script,
        env=[
            {"name": "GREETING", "value": "hello $(NAME) on $(MY_DB_SERVICE_HOST) $$(KEEP)"},
            {"name": "NAME", "value": "world"},
            {"name": "LATER", "value": "$(NAME)!"},
            {
                "name": "COLOR",
                "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "color"}},
            },
            {
                "name": "PASSWORD",
                "valueFrom": {"secretKeyRef": {"name": "creds", "key": "password"}},
            },
            {
                "name": "OPTIONAL",
                "valueFrom": {"configMapKeyRef": {"name": "nope", "key": "x", "optional": True}},
            },
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "POD_NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
            {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
            {
                "name": "MEM_MI",
                "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}},
            },
            {
                "name": "CPU_M",
                "valueFrom": {"resourceFieldRef": {"resource": "requests.cpu", "divisor": "1m"}},
            },
        ],
        envFrom=[{"configMapRef": {"name": "settings"}, "prefix": "CFG_"}],
        resources={"requests": {"cpu": "250m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
        args=["$(NAME)"],
    )
    body = pod_body("env", node.name, [spec], restart="Never")
    body["metadata"]["labels"] = {"app": "demo"}
    await client.resource(PODS).create(body)
    pod = await eventually(phase_is(client, "env", "Succeeded"), "the pod never completed")
    env = json.loads(log_lines(node, pod, "main")[0])
    ip = service["spec"]["clusterIP"]
    assert env["GREETING"] == f"hello $(NAME) on {ip} $(KEEP)"  # NAME is defined later
    assert env["LATER"] == "world!"
    assert (env["COLOR"], env["CFG_color"], env["CFG_size"]) == ("blue", "blue", "L")
    assert env["PASSWORD"] == "s3cr3t"
    assert "OPTIONAL" not in env
    assert (env["POD_NAME"], env["POD_NS"], env["NODE"]) == ("env", "default", node.name)
    assert (env["POD_IP"], env["APP"]) == ("127.0.0.1", "demo")
    assert (env["MEM_MI"], env["CPU_M"]) == ("128", "250")
    assert env["MY_DB_SERVICE_HOST"] == ip
    assert env["MY_DB_SERVICE_PORT"] == "5432"
    assert env["MY_DB_SERVICE_PORT_SQL"] == "5432"
    assert env["MY_DB_PORT_5432_TCP"] == f"tcp://{ip}:5432"
    assert env["KUBERNETES_SERVICE_HOST"]  # the default/kubernetes Service
    assert env["HOSTNAME"] == "env"


async def test_a_missing_configmap_is_a_create_container_config_error(
    node: Node, client: ApiClient
) -> None:
    await node.start()
    spec = container(
        "main",
        "import os, time; print(os.environ['VALUE'], flush=True); time.sleep(600)",
        env=[{"name": "VALUE", "valueFrom": {"configMapKeyRef": {"name": "later", "key": "v"}}}],
    )
    await client.resource(PODS).create(pod_body("needs-config", node.name, [spec]))

    async def config_error() -> Obj | None:
        pod = await get_pod(client, "needs-config")
        statuses = pod["status"].get("containerStatuses") or [{}]
        waiting = (statuses[0].get("state") or {}).get("waiting") or {}
        return pod if waiting.get("reason") == "CreateContainerConfigError" else None

    pod = await eventually(config_error, "no CreateContainerConfigError")
    waiting = container_status(pod, "main")["state"]["waiting"]
    assert waiting["message"] == 'configmap "later" not found'
    assert pod["status"]["phase"] == "Pending"
    failed = [e for e in await pod_events(client, "needs-config") if e["reason"] == "Failed"]
    assert failed[0]["message"] == 'Error: configmap "later" not found'
    assert failed[0]["type"] == "Warning"

    await client.resource(CONFIGMAPS).create(
        {"metadata": {"name": "later", "namespace": "default"}, "data": {"v": "now here"}}
    )
    pod = await eventually(phase_is(client, "needs-config", "Running"), "never ran", seconds=40)
    await eventually(lambda: logged(node, pod, "main", "now here"), "no output")
    assert log_lines(node, pod, "main") == ["now here"]


async def test_a_container_without_a_command_says_how_to_run_it(
    node: Node, client: ApiClient
) -> None:
    await node.start()
    body = pod_body("nginx", node.name, [{"name": "web", "image": "nginx"}])
    await client.resource(PODS).create(body)

    async def waiting_reason() -> Obj | None:
        pod = await get_pod(client, "nginx")
        statuses = pod["status"].get("containerStatuses") or [{}]
        waiting = (statuses[0].get("state") or {}).get("waiting") or {}
        return waiting if waiting.get("reason") == "CreateContainerError" else None

    waiting = await eventually(waiting_reason, "no CreateContainerError")
    assert "sets neither command nor args" in waiting["message"]
    assert "command:" in waiting["message"]


async def test_args_alone_are_the_command(node: Node, client: ApiClient) -> None:
    """``kubectl run x --image=busybox -- sleep 3600`` gives args only: they run."""
    await node.start()
    body = pod_body(
        "argsonly",
        node.name,
        [
            {
                "name": "main",
                "image": "busybox",
                "args": ["echo", "$(WHO)"],
                "env": [{"name": "WHO", "value": "args"}],
            }
        ],
        restart="Never",
    )
    await client.resource(PODS).create(body)
    pod = await eventually(phase_is(client, "argsonly", "Succeeded"), "never completed")
    assert log_lines(node, pod, "main") == ["args"]


# -- init containers and sidecars -------------------------------------------------------------


async def test_init_containers_run_in_order_then_sidecars_and_the_main_container(
    node: Node, client: ApiClient
) -> None:
    await node.start()
    write = "import sys; open('order', 'a').write(sys.argv[1] + '\\n')"
    sidecar_script = "import time; open('order', 'a').write('sidecar\\n'); time.sleep(600)"
    main_script = "import time; time.sleep(0.5); print(open('order').read().split(), flush=True)"
    init = [
        {"name": "first", "image": "x", "command": [PY, "-c", write, "first"]},
        {"name": "second", "image": "x", "command": [PY, "-c", write, "second"]},
        {
            "name": "helper",
            "image": "x",
            "command": [PY, "-c", sidecar_script],
            "restartPolicy": "Always",
        },
    ]
    body = pod_body(
        "ordered", node.name, [container("main", main_script)], restart="Never", initContainers=init
    )
    await client.resource(PODS).create(body)
    pod = await eventually(phase_is(client, "ordered", "Succeeded"), "the pod never completed")
    assert log_lines(node, pod, "main") == ["['first', 'second', 'sidecar']"]
    for name in ("first", "second"):
        status = container_status(pod, name, init=True)
        assert status["state"]["terminated"]["reason"] == "Completed"
        assert status["ready"] is True
    helper = container_status(pod, "helper", init=True)
    assert "terminated" in helper["state"]  # stopped once the main container was done
    assert condition(pod, "Initialized")["status"] == "True"


async def test_a_failing_init_container_with_restart_never_fails_the_pod(
    node: Node, client: ApiClient
) -> None:
    await node.start()
    init = [{"name": "check", "image": "x", "command": [PY, "-c", "raise SystemExit(2)"]}]
    body = pod_body(
        "initfail",
        node.name,
        [container("main", "print('never')")],
        restart="Never",
        initContainers=init,
    )
    await client.resource(PODS).create(body)
    pod = await eventually(phase_is(client, "initfail", "Failed"), "the pod never failed")
    assert container_status(pod, "check", init=True)["state"]["terminated"]["exitCode"] == 2
    main = container_status(pod, "main")
    assert "running" not in main["state"]
    assert condition(pod, "Initialized")["status"] == "False"


# -- restarts ---------------------------------------------------------------------------------


async def test_a_restarted_kubelet_does_not_restart_running_containers(
    node: Node, client: ApiClient
) -> None:
    await node.start()
    script = "import time; print('once', flush=True); time.sleep(600)"
    await client.resource(PODS).create(pod_body("steady", node.name, [container("app", script)]))
    before = await eventually(lambda: _ready(client, "steady"), "never ready")
    pid = _container_pid(node, before, "app")
    await node.stop()
    assert process_alive(*pid), "stopping the kubelet stopped the container"

    await node.start()
    after = await eventually(lambda: _ready(client, "steady"), "not ready after the restart")
    old, new = container_status(before, "app"), container_status(after, "app")
    assert new["containerID"] == old["containerID"]
    assert new["restartCount"] == 0
    assert new["state"]["running"]["startedAt"] == old["state"]["running"]["startedAt"]
    assert process_alive(*pid)
    assert log_lines(node, after, "app") == ["once"]
    started = [e for e in await pod_events(client, "steady") if e["reason"] == "Started"]
    assert len(started) == 1
    assert started[0].get("count", 1) == 1

    # And the new kubelet still supervises it: its exit is seen and it is restarted.
    os.kill(pid[0], signal.SIGKILL)

    async def restarted() -> Obj | None:
        pod = await get_pod(client, "steady")
        status = container_status(pod, "app")
        return pod if status["restartCount"] == 1 and "running" in status["state"] else None

    pod = await eventually(restarted, "the killed container was not restarted")
    assert container_status(pod, "app")["lastState"]["terminated"]["exitCode"] == 137
