"""The kubelet's side of the runtime over a fake runtime: starts, back-off, errors, kills."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from kubeling.kubelet.backoff import Backoff
from kubeling.kubelet.envvars import ContainerConfigError
from kubeling.kubelet.pod_network import PodNetwork
from kubeling.kubelet.pod_runtime import (
    PodRuntimeManager,
    container_user,
    linux_resources,
)
from kubeling.kubelet.probes import NoProbes
from kubeling.kubelet.runtime.interface import (
    ContainerConfig,
    ContainerEvent,
    ContainerState,
    ContainerStatus,
    DNSConfig,
    ExecResult,
    LinuxResources,
    Mount,
    PodSandboxConfig,
    PodSandboxStatus,
    RuntimeServiceError,
    SandboxState,
    UserConfig,
)
from kubeling.kubelet.runtimestatus import HASH_ANNOTATION, PodRuntimeStatus
from tests.unit.kubelet.builders import pod

Obj = dict[str, Any]


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, str, str]] = []

    def event(
        self, obj: Mapping[str, Any], kind: str, reason: str, message: str, *, field_path: str = ""
    ) -> None:
        self.events.append((kind, reason, message, field_path))

    def reasons(self) -> list[str]:
        return [e[1] for e in self.events]


class FakeRuntime:
    """An in-memory runtime: containers run until stopped; ``fail`` makes a step raise."""

    name = "process"

    def __init__(self) -> None:
        self.sandboxes: dict[str, PodSandboxStatus] = {}
        self.containers: dict[str, ContainerStatus] = {}
        self.configs: dict[str, ContainerConfig] = {}
        self.fail: dict[str, str] = {}  # "create:web" / "start:web" → message
        self.stopped: list[tuple[str, float]] = []
        self.removed: list[str] = []
        self.clock = 1000.0

    def version(self) -> str:
        return "test"

    async def start(self) -> None: ...
    async def close(self) -> None: ...

    def subscribe(self, listener: Callable[[ContainerEvent], None]) -> None: ...

    async def run_pod_sandbox(self, config: PodSandboxConfig) -> str:
        sandbox_id = f"sb-{len(self.sandboxes)}"
        self.sandboxes[sandbox_id] = PodSandboxStatus(
            sandbox_id, config.metadata, SandboxState.READY, self._tick(), ("10.0.0.9",)
        )
        return sandbox_id

    async def stop_pod_sandbox(self, sandbox_id: str) -> None:
        sandbox = self.sandboxes[sandbox_id]
        self.sandboxes[sandbox_id] = PodSandboxStatus(
            sandbox.id, sandbox.metadata, SandboxState.NOTREADY, sandbox.created_at
        )

    async def remove_pod_sandbox(self, sandbox_id: str) -> None:
        self.sandboxes.pop(sandbox_id, None)

    async def pod_sandbox_status(self, sandbox_id: str) -> PodSandboxStatus:
        return self.sandboxes[sandbox_id]

    async def list_pod_sandboxes(self, *, pod_uid: str = "") -> list[PodSandboxStatus]:
        return list(self.sandboxes.values())

    async def create_container(
        self, sandbox_id: str, config: ContainerConfig, sandbox_config: PodSandboxConfig
    ) -> str:
        if f"create:{config.name}" in self.fail:
            raise RuntimeServiceError(self.fail[f"create:{config.name}"])
        container_id = f"{config.name}-{config.attempt}"
        self.configs[container_id] = config
        self.containers[container_id] = ContainerStatus(
            container_id,
            sandbox_id,
            config.name,
            config.attempt,
            ContainerState.CREATED,
            self._tick(),
            annotations=dict(config.annotations),
            log_path="",
        )
        return container_id

    async def start_container(self, container_id: str) -> None:
        status = self.containers[container_id]
        if f"start:{status.name}" in self.fail:
            self._set(container_id, ContainerState.EXITED, exit_code=128, reason="StartError")
            raise RuntimeServiceError(self.fail[f"start:{status.name}"])
        self._set(container_id, ContainerState.RUNNING, started_at=self._tick())

    async def stop_container(self, container_id: str, grace_period: float) -> None:
        self.stopped.append((container_id, grace_period))
        if self.containers[container_id].state is ContainerState.RUNNING:
            self.exit(container_id, 143)

    async def remove_container(self, container_id: str) -> None:
        self.removed.append(container_id)
        self.containers.pop(container_id, None)

    async def container_status(self, container_id: str) -> ContainerStatus:
        return self.containers[container_id]

    def known_container_status(self, container_id: str) -> ContainerStatus | None:
        return self.containers.get(container_id)

    async def list_containers(
        self, *, sandbox_id: str = "", pod_uid: str = ""
    ) -> list[ContainerStatus]:
        return list(self.containers.values())

    async def exec_sync(
        self, container_id: str, cmd: Sequence[str], *, timeout_seconds: float = 0
    ) -> ExecResult:
        return ExecResult(0, b"", b"")

    def exec_command(self, container_id: str, cmd: Sequence[str]) -> list[str]:
        return list(cmd)

    def exit(self, container_id: str, code: int) -> None:
        self._set(
            container_id,
            ContainerState.EXITED,
            exit_code=code,
            finished_at=time.time(),
            reason="Completed" if code == 0 else "Error",
        )

    def _tick(self) -> float:
        self.clock += 1
        return self.clock

    def _set(self, container_id: str, state: ContainerState, **changes: Any) -> None:
        from dataclasses import replace

        self.containers[container_id] = replace(
            self.containers[container_id], state=state, **changes
        )


class FakeHooks:
    """Lifecycle hooks that answer as told and record their calls (with what the runtime had
    stopped by then)."""

    def __init__(self, runtime: FakeRuntime) -> None:
        self.runtime = runtime
        self.post_start_failure = ""
        self.pre_stop_failure = ""
        self.pre_stop_seconds = 0.0
        self.calls: list[tuple[str, str, int]] = []

    async def post_start(
        self, pod: Mapping[str, Any], container: Mapping[str, Any], container_id: str
    ) -> str:
        self.calls.append(("postStart", container_id, len(self.runtime.stopped)))
        return self.post_start_failure

    async def pre_stop(
        self,
        pod: Mapping[str, Any],
        container: Mapping[str, Any],
        container_id: str,
        grace_period: float,
    ) -> str:
        self.calls.append(("preStop", container_id, len(self.runtime.stopped)))
        if self.pre_stop_seconds:
            await asyncio.sleep(self.pre_stop_seconds)
        return self.pre_stop_failure


class Env:
    def __init__(self) -> None:
        self.error: str = ""

    async def __call__(
        self, pod: Mapping[str, Any], container: Mapping[str, Any]
    ) -> dict[str, str]:
        if self.error:
            raise ContainerConfigError(self.error)
        return {"NAME": "world"}


@pytest.fixture
def fake() -> FakeRuntime:
    return FakeRuntime()


@pytest.fixture
def env() -> Env:
    return Env()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def hooks(fake: FakeRuntime) -> FakeHooks:
    return FakeHooks(fake)


@pytest.fixture
def manager(
    fake: FakeRuntime, recorder: Recorder, env: Env, hooks: FakeHooks, tmp_path: Path
) -> PodRuntimeManager:
    return PodRuntimeManager(
        fake,  # type: ignore[arg-type]
        recorder=recorder,  # type: ignore[arg-type]
        environment=env,
        probes=NoProbes(),
        hooks=hooks,
        pod_logs_dir=tmp_path,
        backoff=Backoff(),
    )


async def sync(manager: PodRuntimeManager, body: Obj, reasons: dict[str, tuple[str, str]]) -> Any:
    status = await manager.pod_status(body)
    return await manager.sync_pod(body, status, reasons)


async def test_starting_a_container(
    manager: PodRuntimeManager, fake: FakeRuntime, recorder: Recorder
) -> None:
    body = pod("web")
    body["spec"]["containers"][0].update(
        command=["echo", "$(NAME)"],
        args=["--who=$(NAME)", "$$(NAME)"],
        resources={"limits": {"cpu": "500m", "memory": "64Mi"}, "requests": {"cpu": "100m"}},
        image="nginx:1.27",
    )
    reasons: dict[str, tuple[str, str]] = {}
    outcome = await sync(manager, body, reasons)
    assert outcome.changed
    assert recorder.events == [
        (
            "Normal",
            "Pulled",
            'Container image "nginx:1.27" already present on machine',
            "spec.containers{web}",
        ),
        ("Normal", "Created", "Created container: web", "spec.containers{web}"),
        ("Normal", "Started", "Started container web", "spec.containers{web}"),
    ]
    config = fake.configs["web-0"]
    assert (list(config.command), list(config.args)) == (
        ["echo", "world"],
        ["--who=world", "$(NAME)"],
    )
    assert config.envs == {"NAME": "world"}
    assert config.log_path == "web/0.log"
    assert config.image == "nginx:1.27"
    assert config.resources == LinuxResources(
        cpu_period=100000, cpu_quota=50000, cpu_shares=102, memory_limit_in_bytes=64 << 20
    )
    assert config.labels["io.kubernetes.pod.uid"] == "uid-1"
    assert config.annotations[HASH_ANNOTATION]
    sandbox = next(iter(fake.sandboxes.values()))
    assert sandbox.metadata.name == "p"
    assert reasons == {}
    assert (await sync(manager, body, reasons)).changed is False  # nothing more to do


async def test_a_crashing_container_is_restarted_at_once_then_backs_off(
    manager: PodRuntimeManager, fake: FakeRuntime, recorder: Recorder
) -> None:
    body = pod("web")
    reasons: dict[str, tuple[str, str]] = {}
    await sync(manager, body, reasons)
    fake.exit("web-0", 1)
    outcome = await sync(manager, body, reasons)  # the first restart is immediate
    assert outcome.changed
    assert fake.containers["web-1"].state is ContainerState.RUNNING
    fake.exit("web-1", 1)
    recorder.events.clear()
    outcome = await sync(manager, body, reasons)
    assert not outcome.changed
    assert outcome.retry_after == pytest.approx(10, abs=1)
    assert reasons["web"] == (
        "CrashLoopBackOff",
        "back-off 10s restarting failed container=web pod=p_ns(uid-1)",
    )
    assert recorder.events == [
        (
            "Warning",
            "BackOff",
            "Back-off restarting failed container web in pod p_ns(uid-1)",
            "spec.containers{web}",
        )
    ]
    assert fake.removed == []  # the previous attempt is kept for lastState


async def test_old_dead_containers_are_removed_keeping_the_previous_one(
    manager: PodRuntimeManager, fake: FakeRuntime
) -> None:
    body = pod("web")
    manager.backoff = Backoff(initial=0.0, maximum=0.0)
    reasons: dict[str, tuple[str, str]] = {}
    await sync(manager, body, reasons)
    for attempt in range(3):
        fake.exit(f"web-{attempt}", 1)
        await sync(manager, body, reasons)
    assert sorted(fake.containers) == ["web-2", "web-3"]
    assert fake.removed == ["web-0", "web-1"]


@pytest.mark.parametrize(
    ("failure", "reason", "retry"),
    [
        ("config", "CreateContainerConfigError", 10.0),
        ("create", "CreateContainerError", 10.0),
        ("start", "RunContainerError", None),  # it exited: the back-off decides
    ],
)
async def test_start_failures(
    manager: PodRuntimeManager,
    fake: FakeRuntime,
    env: Env,
    recorder: Recorder,
    failure: str,
    reason: str,
    retry: float | None,
) -> None:
    if failure == "config":
        env.error = 'configmap "x" not found'
    else:
        fake.fail[f"{failure}:web"] = 'exec: "nope": executable file not found in $PATH'
    reasons: dict[str, tuple[str, str]] = {}
    outcome = await sync(manager, pod("web"), reasons)
    message = env.error or fake.fail[f"{failure}:web"]
    assert reasons["web"] == (reason, message)
    assert ("Warning", "Failed", f"Error: {message}", "spec.containers{web}") in recorder.events
    assert outcome.retry_after == retry


async def test_a_regular_init_container_that_cannot_start_stops_the_sync(
    manager: PodRuntimeManager, env: Env
) -> None:
    env.error = "no"
    reasons: dict[str, tuple[str, str]] = {}
    await sync(manager, pod("web", init=("setup",)), reasons)
    assert list(reasons) == ["setup"]


async def test_killing_uses_the_grace_period_and_says_so(
    manager: PodRuntimeManager, fake: FakeRuntime, recorder: Recorder
) -> None:
    body = pod("web", terminationGracePeriodSeconds=0)
    await sync(manager, body, {})
    recorder.events.clear()
    await manager.kill_container(body, "web-0", "web")
    assert fake.stopped == [("web-0", 2)]  # never less than 2 s
    assert recorder.events == [
        ("Normal", "Killing", "Stopping container web", "spec.containers{web}")
    ]
    body = pod("web")
    body["metadata"]["deletionGracePeriodSeconds"] = 7
    await manager.kill_container(body, "web-0", "web", "Container web failed liveness probe")
    assert fake.stopped[-1] == ("web-0", 7)
    assert recorder.events[-1][2] == "Container web failed liveness probe"


async def test_a_pod_is_killed_regular_containers_first_then_sidecars_in_reverse(
    manager: PodRuntimeManager, fake: FakeRuntime
) -> None:
    body = pod("a", "b", sidecars=("s1", "s2"))
    for name in ("s1", "s2", "a", "b"):
        await manager.runtime.create_container("sb", _config(name), _sandbox())
        await manager.runtime.start_container(f"{name}-0")
    fake.sandboxes["sb"] = PodSandboxStatus("sb", _sandbox().metadata, SandboxState.READY, 1.0)
    status = await manager.pod_status(body)
    assert await manager.kill_pod(body, status)
    order = [container_id for container_id, _ in fake.stopped]
    assert set(order[:2]) == {"a-0", "b-0"}
    assert order[2:] == ["s2-0", "s1-0"]
    assert fake.sandboxes["sb"].state is SandboxState.NOTREADY


async def test_a_failed_post_start_hook_kills_the_container(
    manager: PodRuntimeManager, fake: FakeRuntime, recorder: Recorder, hooks: FakeHooks
) -> None:
    body = pod("web")
    body["spec"]["containers"][0]["lifecycle"] = {"postStart": {"exec": {"command": ["x"]}}}
    hooks.post_start_failure = "Exec lifecycle hook ([x]) ... failed"
    reasons: dict[str, tuple[str, str]] = {}
    await sync(manager, body, reasons)
    assert hooks.calls == [("postStart", "process://web-0", 0)]
    assert fake.containers["web-0"].state is ContainerState.EXITED
    assert ("Warning", "FailedPostStartHook", hooks.post_start_failure) in [
        e[:3] for e in recorder.events
    ]
    assert ("Normal", "Killing", "FailedPostStartHook") in [e[:3] for e in recorder.events]
    assert reasons["web"] == ("PostStartHookError", hooks.post_start_failure)


async def test_a_successful_post_start_hook_leaves_the_container_running(
    manager: PodRuntimeManager, fake: FakeRuntime, hooks: FakeHooks
) -> None:
    body = pod("web")
    body["spec"]["containers"][0]["lifecycle"] = {"postStart": {"sleep": {"seconds": 1}}}
    await sync(manager, body, {})
    assert hooks.calls == [("postStart", "process://web-0", 0)]
    assert fake.containers["web-0"].state is ContainerState.RUNNING


async def test_pre_stop_runs_before_the_stop_within_the_grace_period(
    manager: PodRuntimeManager, fake: FakeRuntime, recorder: Recorder, hooks: FakeHooks
) -> None:
    """The hook runs before SIGTERM; a failure is a Warning without its message (which may
    hold Secrets); a hook that outlasts the grace period is cut short, and the container
    still gets the minimum grace."""
    body = pod("web", terminationGracePeriodSeconds=1)
    body["spec"]["containers"][0]["lifecycle"] = {"preStop": {"exec": {"command": ["x"]}}}
    await sync(manager, body, {})
    hooks.pre_stop_failure = "secret output"
    await manager.kill_container(body, "web-0", "web")
    assert hooks.calls[-1] == ("preStop", "process://web-0", 0)
    assert fake.stopped == [("web-0", 2)]
    assert recorder.events[-1][:3] == ("Warning", "FailedPreStopHook", "PreStopHook failed")
    hooks.pre_stop_failure, hooks.pre_stop_seconds = "", 30
    await manager.kill_container(body, "web-0", "web")
    assert fake.stopped[-1] == ("web-0", 2)
    assert recorder.events[-1][1] == "Killing"  # a timeout is not an Event


async def test_no_pre_stop_without_grace(
    manager: PodRuntimeManager, fake: FakeRuntime, hooks: FakeHooks
) -> None:
    body = pod("web")
    body["spec"]["containers"][0]["lifecycle"] = {"preStop": {"exec": {"command": ["x"]}}}
    await sync(manager, body, {})
    await manager.kill_container(body, "web-0", "web", grace_override=0)
    assert hooks.calls == []
    assert fake.stopped == [("web-0", 2)]


def _config(name: str) -> ContainerConfig:
    return ContainerConfig(name=name, attempt=0, image="i", command=["x"])


def _sandbox() -> PodSandboxConfig:
    from kubeling.kubelet.runtime.interface import PodSandboxMetadata

    return PodSandboxConfig(PodSandboxMetadata("p", "ns", "uid-1"))


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ({}, LinuxResources(cpu_shares=2)),
        ({"requests": {"cpu": "1"}}, LinuxResources(cpu_shares=1024)),
        ({"limits": {"cpu": "2"}}, LinuxResources(100000, 200000, 2048, 0)),
        ({"limits": {"cpu": "1m"}}, LinuxResources(100000, 1000, 2, 0)),
        (
            {"limits": {"memory": "1Gi"}},
            LinuxResources(cpu_shares=2, memory_limit_in_bytes=1 << 30),
        ),
    ],
)
def test_linux_resources(resources: Obj, expected: LinuxResources) -> None:
    assert linux_resources({"resources": resources}) == expected


def test_users_and_hostnames() -> None:
    body = pod(
        "web", securityContext={"runAsUser": 1000, "runAsGroup": 3000, "supplementalGroups": [4]}
    )
    assert container_user(body, body["spec"]["containers"][0]) == UserConfig(1000, 3000, (4,))
    assert container_user(
        body, {"securityContext": {"runAsUser": 0, "runAsGroup": 0}}
    ) == UserConfig(0, 0, (4,))
    assert container_user(pod("web"), {}) is None


def test_pod_runtime_status_orders_newest_first() -> None:
    old = ContainerStatus("1", "s", "c", 0, ContainerState.EXITED, 1.0)
    new = ContainerStatus("2", "s", "c", 1, ContainerState.RUNNING, 2.0)
    status = PodRuntimeStatus.of("u", [], [old, new])
    assert status.find("c") is new
    assert status.attempts("c") == [new, old]


async def test_fallback_to_logs_on_error_takes_the_end_of_the_log(
    manager: PodRuntimeManager, fake: FakeRuntime, tmp_path: Path
) -> None:
    from dataclasses import replace

    from kubeling.kubelet.runtime.crilog import RotatingLogWriter

    log = tmp_path / "web.log"
    writer = RotatingLogWriter(log, max_bytes=0)
    for n in range(100):
        writer.write("stdout", "F", f"line {n}".encode())
    writer.write("stderr", "P", b"panic: ")
    writer.write("stderr", "F", b"boom")
    writer.close()
    body = pod("web", "other")
    body["spec"]["containers"][0]["terminationMessagePolicy"] = "FallbackToLogsOnError"
    for name in ("web", "other"):
        await fake.create_container("sb", _config(name), _sandbox())
        fake.containers[f"{name}-0"] = replace(
            fake.containers[f"{name}-0"],
            state=ContainerState.EXITED,
            exit_code=2,
            log_path=str(log),
        )
    status = await manager.pod_status(body)
    message = status.find("web").message  # type: ignore[union-attr]
    assert message.endswith("line 99\npanic: boom\n")
    assert message.startswith("line 21\n")  # the last 80 lines
    assert status.find("other").message == ""  # type: ignore[union-attr]  # policy File


def _read(path: str) -> str:
    return Path(path).read_text()


def _network_manager(
    fake: FakeRuntime, recorder: Recorder, env: Env, hooks: FakeHooks, tmp_path: Path, **dns: Any
) -> PodRuntimeManager:
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 192.0.2.53\nsearch corp\n")
    return PodRuntimeManager(
        fake,  # type: ignore[arg-type]
        recorder=recorder,  # type: ignore[arg-type]
        environment=env,
        probes=NoProbes(),
        hooks=hooks,
        pod_logs_dir=tmp_path / "logs",
        network=PodNetwork(tmp_path / "pods", resolv_conf=str(resolv), **dns),
        pod_ips=("10.0.0.9",),
        node_name="node-1",
    )


async def test_the_sandbox_gets_its_hostname_and_resolver_and_containers_the_hosts_file(
    fake: FakeRuntime, recorder: Recorder, env: Env, hooks: FakeHooks, tmp_path: Path
) -> None:
    configs: list[PodSandboxConfig] = []
    run = fake.run_pod_sandbox

    async def recording(config: PodSandboxConfig) -> str:
        configs.append(config)
        return await run(config)

    fake.run_pod_sandbox = recording  # type: ignore[method-assign]
    manager = _network_manager(
        fake, recorder, env, hooks, tmp_path, cluster_dns=("10.96.0.10",), cluster_domain="c.l"
    )
    body = pod("web", hostname="h", subdomain="s", setHostnameAsFQDN=True)
    await sync(manager, body, {})
    assert configs[0].hostname == "h.s.ns.svc.c.l"
    assert configs[0].dns_config == DNSConfig(
        ("10.96.0.10",), ("ns.svc.c.l", "svc.c.l", "c.l", "corp"), ("ndots:5",)
    )
    assert not configs[0].host_network
    hosts = Mount("/etc/hosts", str(tmp_path / "pods" / "uid-1" / "etc-hosts"))
    assert list(fake.configs["web-0"].mounts) == [hosts]
    assert _read(hosts.host_path).endswith("10.0.0.9\th.s.ns.svc.c.l\th\n")
    assert recorder.reasons() == ["Pulled", "Created", "Started"]


async def test_without_cluster_dns_the_pod_and_the_node_are_warned(
    fake: FakeRuntime, tmp_path: Path, env: Env, hooks: FakeHooks
) -> None:
    subjects: list[tuple[str, str]] = []

    class NamingRecorder(Recorder):
        def event(
            self,
            obj: Mapping[str, Any],
            kind: str,
            reason: str,
            message: str,
            *,
            field_path: str = "",
        ) -> None:
            subjects.append((obj["kind"], reason))
            super().event(obj, kind, reason, message, field_path=field_path)

    recorder = NamingRecorder()
    manager = _network_manager(fake, recorder, env, hooks, tmp_path)
    await sync(manager, pod("web"), {})
    assert subjects[:2] == [("Node", "MissingClusterDNS"), ("Pod", "MissingClusterDNS")]


async def test_an_unreadable_resolv_conf_fails_the_sandbox(
    fake: FakeRuntime, recorder: Recorder, env: Env, hooks: FakeHooks, tmp_path: Path
) -> None:
    manager = _network_manager(fake, recorder, env, hooks, tmp_path)
    assert manager.network is not None
    (tmp_path / "resolv.conf").unlink()
    outcome = await sync(manager, pod("web", dnsPolicy="Default"), {})
    assert not fake.sandboxes
    assert outcome.retry_after is not None
    assert recorder.events == [
        (
            "Warning",
            "FailedCreatePodSandBox",
            f"Failed to create pod sandbox: open {tmp_path}/resolv.conf: no such file or directory",
            "",
        )
    ]
