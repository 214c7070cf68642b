"""The simulated runtime: in-memory sandboxes and containers, and the kubelet's logic over it."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from kubeling.kubelet.backoff import Backoff
from kubeling.kubelet.pod_lifecycle import PodLifecycle
from kubeling.kubelet.pod_runtime import PodRuntimeManager
from kubeling.kubelet.runtime.interface import (
    ContainerConfig,
    ContainerEvent,
    ContainerState,
    NotFoundError,
    PodSandboxConfig,
    PodSandboxMetadata,
    RuntimeServiceError,
    SandboxState,
)
from kubeling.kubelet.runtime.simulated import (
    SimulatedRuntime,
    SimulationOptions,
    parse_duration,
)
from kubeling.kubelet.simulated_node import SimulatedHooks, SimulatedProbes, simulated_host
from kubeling.kubelet.simulator import failing_indices
from tests.unit.kubelet.builders import pod

Obj = dict[str, Any]


def sandbox_config(uid: str = "uid-1", annotations: Mapping[str, str] = {}) -> PodSandboxConfig:
    return PodSandboxConfig(
        metadata=PodSandboxMetadata("p", "ns", uid), annotations=dict(annotations)
    )


def container_config(name: str = "web", attempt: int = 0) -> ContainerConfig:
    return ContainerConfig(name=name, attempt=attempt, image="img")


async def started(
    runtime: SimulatedRuntime, annotations: Mapping[str, str] = {}
) -> tuple[str, str]:
    config = sandbox_config(annotations=annotations)
    sandbox = await runtime.run_pod_sandbox(config)
    container = await runtime.create_container(sandbox, container_config(), config)
    await runtime.start_container(container)
    return sandbox, container


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("0", 0.0), ("0.5", 0.5), ("2", 2.0), ("500ms", 0.5), ("1m30s", 90.0), ("1h", 3600.0)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "x", "-1", "-1s", "5 minutes", "nan"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("annotations", "expected"),
    [
        ({}, SimulationOptions()),
        (
            {"simulate.kubeling.io/start-delay": "2s", "simulate.kubeling.io/exit-code": "3"},
            SimulationOptions(start_delay=2.0, exit_code=3),
        ),
        ({"simulate.kubeling.io/exit-after": "1m"}, SimulationOptions(exit_after=60.0)),
        ({"simulate.kubeling.io/failure-rate": "1"}, SimulationOptions(failure_rate=1.0)),
        # What does not parse, or is out of range, leaves the defaults.
        ({"simulate.kubeling.io/exit-after": "soon"}, SimulationOptions()),
        ({"simulate.kubeling.io/failure-rate": "2"}, SimulationOptions()),
        ({"other/exit-code": "1"}, SimulationOptions()),
    ],
)
def test_options_for_a_pod(annotations: dict[str, str], expected: SimulationOptions) -> None:
    assert SimulationOptions().for_pod(annotations) == expected


def test_invalid_options_are_refused() -> None:
    with pytest.raises(ValueError, match="failure rate"):
        SimulationOptions(failure_rate=1.5)
    with pytest.raises(ValueError, match="negative"):
        SimulationOptions(start_delay=-1)


async def test_a_sandbox_gets_an_ip_of_the_node_until_it_stops() -> None:
    runtime = SimulatedRuntime(SimulationOptions(start_delay=0), pod_ip_prefix="10.128.3.")
    first = await runtime.run_pod_sandbox(sandbox_config("a"))
    second = await runtime.run_pod_sandbox(sandbox_config("b"))
    status = await runtime.pod_sandbox_status(first)
    assert status.state is SandboxState.READY
    assert status.ips == ("10.128.3.1",)
    assert (await runtime.pod_sandbox_status(second)).ips == ("10.128.3.2",)
    await runtime.stop_pod_sandbox(first)
    await runtime.stop_pod_sandbox(first)  # idempotent
    assert (await runtime.pod_sandbox_status(first)).state is SandboxState.NOTREADY
    assert [s.id for s in await runtime.list_pod_sandboxes(pod_uid="b")] == [second]
    await runtime.remove_pod_sandbox(first)
    await runtime.remove_pod_sandbox(first)  # idempotent
    with pytest.raises(NotFoundError):
        await runtime.pod_sandbox_status(first)
    assert len(await runtime.list_pod_sandboxes()) == 1


async def test_pod_ips_run_out_after_254_sandboxes_and_are_reused() -> None:
    runtime = SimulatedRuntime(pod_ip_prefix="10.128.0.")
    ids = [await runtime.run_pod_sandbox(sandbox_config(f"u{i}")) for i in range(254)]
    with pytest.raises(RuntimeServiceError, match="no free pod IP"):
        await runtime.run_pod_sandbox(sandbox_config("one-more"))
    await runtime.stop_pod_sandbox(ids[9])
    again = await runtime.run_pod_sandbox(sandbox_config("one-more"))
    assert (await runtime.pod_sandbox_status(again)).ips == ("10.128.0.10",)


async def test_a_container_starts_after_the_delay_and_runs_until_stopped() -> None:
    runtime = SimulatedRuntime(SimulationOptions(start_delay=0.05))
    events: list[ContainerEvent] = []
    runtime.subscribe(events.append)
    sandbox, container = await started(runtime)
    status = await runtime.container_status(container)
    assert status.state is ContainerState.RUNNING
    assert status.started_at - status.created_at >= 0.05
    assert [e.kind for e in events] == ["started"]
    assert events[0].pod_uid == "uid-1"
    with pytest.raises(RuntimeServiceError, match="running"):
        await runtime.remove_container(container)
    assert (await runtime.exec_sync(container, ["true"])).exit_code == 0
    await runtime.stop_container(container, 30)
    status = await runtime.container_status(container)
    assert (status.state, status.exit_code, status.reason) == (
        ContainerState.EXITED,
        0,
        "Completed",
    )
    assert [e.kind for e in events] == ["started", "exited"]
    await runtime.remove_container(container)
    assert await runtime.list_containers(sandbox_id=sandbox) == []
    assert runtime.known_container_status(container) is None


@pytest.mark.parametrize(
    ("options", "annotations", "code", "reason"),
    [
        (SimulationOptions(start_delay=0, exit_after=0.02), {}, 0, "Completed"),
        (SimulationOptions(start_delay=0, exit_after=0.02, exit_code=2), {}, 2, "Error"),
        (SimulationOptions(start_delay=0, failure_rate=1.0, failure_after=0.02), {}, 1, "Error"),
        (
            SimulationOptions(start_delay=0),
            {"simulate.kubeling.io/exit-after": "20ms", "simulate.kubeling.io/exit-code": "7"},
            7,
            "Error",
        ),
    ],
)
async def test_a_container_exits_by_itself(
    options: SimulationOptions, annotations: dict[str, str], code: int, reason: str
) -> None:
    runtime = SimulatedRuntime(options, rng=random.Random(1))
    exited = asyncio.Event()
    runtime.subscribe(lambda event: exited.set() if event.kind == "exited" else None)
    _, container = await started(runtime, annotations)
    async with asyncio.timeout(2):
        await exited.wait()
    status = await runtime.container_status(container)
    assert (status.state, status.exit_code, status.reason) == (ContainerState.EXITED, code, reason)
    assert status.finished_at > status.started_at


async def test_a_container_stopped_while_starting_never_runs() -> None:
    runtime = SimulatedRuntime(SimulationOptions(start_delay=0.2))
    config = sandbox_config()
    sandbox = await runtime.run_pod_sandbox(config)
    container = await runtime.create_container(sandbox, container_config(), config)
    starting = asyncio.create_task(runtime.start_container(container))
    await asyncio.sleep(0.01)
    await runtime.stop_pod_sandbox(sandbox)
    with pytest.raises(RuntimeServiceError, match="stopped while starting"):
        await starting
    assert (await runtime.container_status(container)).started_at == 0.0
    with pytest.raises(RuntimeServiceError, match="not ready"):
        await runtime.create_container(sandbox, container_config(attempt=1), config)


def test_failing_nodes_are_spread() -> None:
    assert failing_indices(20, 0.1) == [0, 10]
    assert failing_indices(5000, 0.1)[:3] == [0, 10, 20]
    assert len(failing_indices(5000, 0.1)) == 500
    assert failing_indices(4, 1.0) == [0, 1, 2, 3]


def test_a_simulated_host_has_what_it_is_told() -> None:
    host = simulated_host("sim-00001", cpus=32, memory_bytes=256 * 1024**3)
    assert (host.cpus, host.memory_bytes, host.hostname) == (32, 256 * 1024**3, "sim-00001")
    assert host.machine_id != simulated_host("sim-00002", cpus=1, memory_bytes=1).machine_id


# -- the kubelet's logic over the simulated runtime ----------------------------------------------


class Statuses:
    """The status manager's side that PodLifecycle uses: the statuses set, in order."""

    def __init__(self) -> None:
        self.set: list[Obj] = []

    def previous(self, body: Mapping[str, Any]) -> Obj:
        return self.set[-1] if self.set else dict(body.get("status") or {})

    def set_status(self, body: Mapping[str, Any], status: Obj) -> None:
        self.set.append(status)

    async def delete_pod(self, body: Mapping[str, Any]) -> None:
        return None

    def forget(self, uid: str) -> None:
        return None


class Recorder:
    def __init__(self) -> None:
        self.reasons: list[str] = []

    def event(self, obj: Mapping[str, Any], kind: str, reason: str, message: str, **_: Any) -> None:
        self.reasons.append(reason)


async def no_environment(body: Mapping[str, Any], container: Mapping[str, Any]) -> dict[str, str]:
    return {}


def lifecycle(runtime: SimulatedRuntime, recorder: Recorder, statuses: Statuses) -> PodLifecycle:
    probes = SimulatedProbes()
    manager = PodRuntimeManager(
        runtime,
        recorder=recorder,  # type: ignore[arg-type]
        environment=no_environment,
        probes=probes,
        hooks=SimulatedHooks(),
        pod_logs_dir=Path("/nonexistent"),
        backoff=Backoff(),
    )
    return PodLifecycle(manager, statuses, probes=probes, host_ips=["10.64.0.1"])  # type: ignore[arg-type]


async def test_the_kubelet_reports_a_simulated_pod_running_and_ready() -> None:
    runtime = SimulatedRuntime(SimulationOptions(start_delay=0), pod_ip_prefix="10.128.0.")
    recorder, statuses = Recorder(), Statuses()
    body = pod("web", "sidecar")
    result = await lifecycle(runtime, recorder, statuses).sync(body, {})
    assert not result.terminal
    status = statuses.set[-1]
    assert status["phase"] == "Running"
    assert status["podIP"] == "10.128.0.1"
    assert {c["type"]: c["status"] for c in status["conditions"]}["Ready"] == "True"
    assert [c["ready"] for c in status["containerStatuses"]] == [True, True]
    assert all("running" in c["state"] for c in status["containerStatuses"])
    assert recorder.reasons.count("Started") == 2


async def test_a_sync_that_starts_a_pod_computes_its_status_twice() -> None:
    """Pending before the actions, Running after them; actions that then change nothing and
    record no reason leave that last status as it is."""
    runtime = SimulatedRuntime(SimulationOptions(start_delay=0))
    recorder, statuses = Recorder(), Statuses()
    life = lifecycle(runtime, recorder, statuses)
    body = pod("web")
    await life.sync(body, {})
    assert [s["phase"] for s in statuses.set] == ["Pending", "Running"]
    await life.sync(body, {})  # nothing to do: the status is computed once more
    assert [s["phase"] for s in statuses.set] == ["Pending", "Running", "Running"]


async def test_unready_pods_and_crash_loops_go_through_the_kubelet_logic() -> None:
    runtime = SimulatedRuntime(SimulationOptions(start_delay=0, exit_after=0.01, exit_code=1))
    recorder, statuses = Recorder(), Statuses()
    body = pod("web")
    body["metadata"]["annotations"] = {"simulate.kubeling.io/ready": "false"}
    life = lifecycle(runtime, recorder, statuses)
    await life.sync(body, {})
    assert statuses.set[-1]["containerStatuses"][0]["ready"] is False
    reasons: dict[str, tuple[str, str]] = {}
    for _ in range(2):  # it exits, is restarted at once, exits again: back-off
        await asyncio.sleep(0.05)
        await life.sync(body, reasons)
    web = statuses.set[-1]["containerStatuses"][0]
    assert web["restartCount"] == 1
    assert web["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert web["lastState"]["terminated"]["exitCode"] == 1
    assert statuses.set[-1]["phase"] == "Running"
    assert "BackOff" in recorder.reasons


async def test_a_pod_that_completes_succeeds() -> None:
    runtime = SimulatedRuntime(SimulationOptions(start_delay=0, exit_after=0.01))
    statuses = Statuses()
    body = pod("job", restart="Never")
    life = lifecycle(runtime, Recorder(), statuses)
    await life.sync(body, {})
    await asyncio.sleep(0.05)
    result = await life.sync(body, {})
    assert result.terminal
    assert statuses.set[-1]["phase"] == "Succeeded"
