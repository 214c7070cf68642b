"""The prober's pure parts: ports, requests, gRPC messages, workers' decisions, results."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

from kubeling.kubelet.prober import ProbeError, ProbeManager, ProbeResult
from kubeling.kubelet.prober.grpcprobe import decode_status, encode_request
from kubeling.kubelet.prober.httpget import http_get_request, resolve_port
from kubeling.kubelet.prober.prober import probe_settings
from kubeling.kubelet.prober.worker import ProbeWorker
from tests.unit.kubelet.builders import pod

Obj = dict[str, Any]
CONTAINER = {"name": "web", "ports": [{"name": "http", "containerPort": 8080}]}


@pytest.mark.parametrize(
    ("port", "expected"),
    [
        (80, 80),
        ("http", 8080),
        ("9090", 9090),
        ("web", 'strconv.Atoi: parsing "web": invalid syntax'),
        (0, "invalid port number: 0"),
        (70000, "invalid port number: 70000"),
        (None, "intOrString had no kind: None"),
    ],
)
def test_resolve_port(port: object, expected: int | str) -> None:
    """A port is a number, a named container port, or a number in a string."""
    if isinstance(expected, int):
        assert resolve_port(port, CONTAINER) == expected
    else:
        with pytest.raises(ProbeError) as err:
            resolve_port(port, CONTAINER)
        assert str(err.value) == expected


@pytest.mark.parametrize(
    ("action", "url", "headers"),
    [
        (
            {"port": "http", "path": "/healthz"},
            "http://10.0.0.5:8080/healthz",
            [("User-Agent", "kube-probe/1.32"), ("Accept", "*/*")],
        ),
        (
            {"port": 443, "scheme": "HTTPS", "host": "::1", "path": "ready?x=1"},
            "https://[::1]:443/ready?x=1",
            [("User-Agent", "kube-probe/1.32"), ("Accept", "*/*")],
        ),
        (
            {
                "port": 80,
                "httpHeaders": [
                    {"name": "Host", "value": "example.com"},
                    {"name": "user-agent", "value": "mine"},
                    {"name": "Accept", "value": ""},
                    {"name": "X-A", "value": "1"},
                    {"name": "X-A", "value": "2"},
                ],
            },
            "http://10.0.0.5:80",
            [("Host", "example.com"), ("user-agent", "mine"), ("X-A", "1"), ("X-A", "2")],
        ),
    ],
)
def test_http_get_request(action: Obj, url: str, headers: list[tuple[str, str]]) -> None:
    """URL from scheme, host (else the pod IP), port and path; default and given headers."""
    request = http_get_request(action, CONTAINER, "10.0.0.5", "probe")
    assert request.url == url
    assert list(request.headers) == headers


def test_lifecycle_requests_say_so() -> None:
    request = http_get_request({"port": 80}, CONTAINER, "10.0.0.5", "lifecycle")
    assert ("User-Agent", "kube-lifecycle/1.32") in request.headers


def test_grpc_messages() -> None:
    """The health request and response, encoded by hand."""
    assert encode_request("") == b""
    assert encode_request("x" * 200) == b"\x0a\xc8\x01" + b"x" * 200
    assert decode_status(b"\x08\x02") == 2
    # unknown fields are skipped: a string field 2, then the status
    assert decode_status(b"\x12\x03abc\x08\x01") == 1


def test_probe_settings_defaults() -> None:
    assert probe_settings({}) == (10.0, 1.0, 0, 1, 3)
    assert probe_settings(
        {
            "periodSeconds": 2,
            "timeoutSeconds": 5,
            "initialDelaySeconds": 7,
            "successThreshold": 2,
            "failureThreshold": 1,
        }
    ) == (2.0, 5.0, 7, 2, 1)


# -- workers and results ----------------------------------------------------------------------


class ScriptedProber:
    """Answers probes from a list of results (a ProbeError entry raises)."""

    def __init__(self) -> None:
        self.answers: list[ProbeResult | ProbeError] = []
        self.calls: list[tuple[str, str, str]] = []

    async def probe(
        self,
        kind: str,
        pod: Mapping[str, Any],
        pod_ip: str,
        container: Mapping[str, Any],
        container_id: str,
    ) -> ProbeResult:
        self.calls.append((kind, pod_ip, container_id))
        answer = self.answers.pop(0)
        if isinstance(answer, ProbeError):
            raise answer
        return answer


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_100.0

    def __call__(self) -> float:
        return self.now


STARTED_AT = "2023-11-14T22:13:20Z"  # 1_700_000_000


def probed_pod(kind: str, **probe: Any) -> Obj:
    body = pod("web")
    body["spec"]["containers"][0][f"{kind}Probe"] = {"exec": {"command": ["true"]}, **probe}
    return body


def status_of(
    cid: str = "process://a", *, state: str = "running", started: bool = True, **extra: Any
) -> Obj:
    states: dict[str, Obj] = {
        "running": {"running": {"startedAt": STARTED_AT}},
        "terminated": {"terminated": {"exitCode": 1}},
        "waiting": {"waiting": {"reason": "CrashLoopBackOff"}},
    }
    return {
        "phase": "Running",
        "podIP": "10.0.0.5",
        "containerStatuses": [
            {"name": "web", "containerID": cid, "state": states[state], "started": started}
        ],
        **extra,
    }


class Harness:
    def __init__(self, kind: str, **probe: Any) -> None:
        self.clock = Clock()
        self.prober = ScriptedProber()
        self.woken: list[str] = []
        self.manager = ProbeManager(None, None, clock=self.clock, prober=self.prober)  # type: ignore[arg-type]
        self.manager._on_change = self.woken.append
        self.pod = probed_pod(kind, **probe)
        self.worker = ProbeWorker(
            self.manager, "uid-1", self.pod["spec"]["containers"][0], kind, clock=self.clock
        )
        self.manager.workers[self.worker.key] = self.worker

    def report(self, status: Obj, **meta: Any) -> None:
        body = {**self.pod, "metadata": {**self.pod["metadata"], **meta}}
        self.manager._pods["uid-1"] = (body, status)

    async def step(self, *answers: ProbeResult | ProbeError) -> bool:
        self.prober.answers.extend(answers)
        return await self.worker.do_probe()


async def test_readiness_needs_success_threshold_and_failure_threshold() -> None:
    """Readiness starts failed; it turns after successThreshold successes in a row and back
    after failureThreshold failures in a row; each change wakes the pod."""
    h = Harness("readiness", successThreshold=2, failureThreshold=2)
    body = h.pod
    h.report(status_of())
    assert await h.step(ProbeResult.SUCCESS)
    assert not h.manager.ready(body, "web", "process://a")
    assert await h.step(ProbeResult.SUCCESS)
    assert h.manager.ready(body, "web", "process://a")
    assert await h.step(ProbeResult.FAILURE)
    assert h.manager.ready(body, "web", "process://a")
    assert await h.step(ProbeResult.FAILURE)
    assert not h.manager.ready(body, "web", "process://a")
    assert h.woken == ["uid-1", "uid-1", "uid-1"]  # initial failure, success, failure
    assert h.prober.calls[0] == ("readiness", "10.0.0.5", "process://a")


async def test_liveness_failure_holds_until_the_container_is_replaced() -> None:
    h = Harness("liveness", failureThreshold=2)
    h.report(status_of())
    await h.step(ProbeResult.FAILURE)
    assert h.manager.failed(h.pod, "web", "process://a") == ""
    await h.step(ProbeResult.FAILURE)
    assert h.manager.failed(h.pod, "web", "process://a") == "liveness"
    await h.step()  # on hold: no probe
    assert len(h.prober.calls) == 2
    h.report(status_of("process://b"))
    await h.step(ProbeResult.SUCCESS)
    assert h.manager.failed(h.pod, "web", "process://b") == ""
    assert ("liveness", "process://a") not in h.manager._results


async def test_startup_gates_the_other_probes() -> None:
    """Without startup success a container is not started; liveness waits for it; the
    startup probe stops probing once started."""
    h = Harness("startup", failureThreshold=1)
    h.report(status_of(started=False))
    assert not h.manager.started(h.pod, "web", "process://a")
    await h.step(ProbeResult.SUCCESS)
    assert h.manager.started(h.pod, "web", "process://a")
    h.report(status_of(started=True))
    await h.step()
    assert len(h.prober.calls) == 1

    live = Harness("liveness")
    live.report(status_of(started=False))
    await live.step()
    assert live.prober.calls == []


async def test_startup_failure_fails_the_container() -> None:
    h = Harness("startup", failureThreshold=1)
    h.report(status_of(started=False))
    await h.step(ProbeResult.FAILURE)
    assert h.manager.failed(h.pod, "web", "process://a") == "startup"


async def test_initial_delay() -> None:
    h = Harness("liveness", initialDelaySeconds=200)  # started 100 s ago
    h.report(status_of())
    await h.step()
    assert h.prober.calls == []
    h.clock.now += 100
    await h.step(ProbeResult.SUCCESS)
    assert len(h.prober.calls) == 1


async def test_errors_are_thrown_away() -> None:
    h = Harness("liveness", failureThreshold=1)
    h.report(status_of())
    assert await h.step(ProbeError("no such port"))
    assert h.manager.failed(h.pod, "web", "process://a") == ""


@pytest.mark.parametrize(
    ("status", "meta", "restart", "keep", "result"),
    [
        # no status yet, no container ID yet: wait
        (None, {}, "Always", True, None),
        ({"phase": "Pending", "containerStatuses": []}, {}, "Always", True, None),
        # a terminal pod: stop
        (status_of(phase="Succeeded"), {}, "Always", False, ProbeResult.SUCCESS),
        # not running: failure; stop only if it ended for good
        (status_of(state="terminated"), {}, "Always", True, ProbeResult.FAILURE),
        (status_of(state="terminated"), {}, "Never", False, ProbeResult.FAILURE),
        (status_of(state="waiting"), {}, "Never", True, ProbeResult.FAILURE),
        # being deleted: liveness says success and stops
        (status_of(), {"deletionTimestamp": "x"}, "Always", False, ProbeResult.SUCCESS),
    ],
)
async def test_worker_states(
    status: Obj | None, meta: Obj, restart: str, keep: bool, result: ProbeResult | None
) -> None:
    """What a liveness worker does with each pod state, without probing."""
    h = Harness("liveness")
    h.pod["spec"]["restartPolicy"] = restart
    if status is not None:
        h.report(status, **meta)
    if status is not None and status.get("phase") == "Succeeded":
        h.worker.container_id = "process://a"
        h.manager.set_result("liveness", "process://a", ProbeResult.SUCCESS, "uid-1")
    assert await h.step() is keep
    assert h.manager._results.get(("liveness", "process://a")) is result
    assert h.prober.calls == []


async def settle() -> None:
    """Let stopped workers wind down (a few turns of the loop, no time passes)."""
    for _ in range(10):
        await asyncio.sleep(0)


async def test_manager_lifecycle() -> None:
    """Workers start with the pod's first status, stop when it terminates; without workers a
    container counts as started and ready."""
    h = Harness("readiness")
    manager = h.manager
    manager.workers.clear()
    body = probed_pod("readiness", periodSeconds=3600)
    body["spec"]["containers"][0]["livenessProbe"] = {"tcpSocket": {"port": 80}}
    async with asyncio.TaskGroup() as group:
        manager.start(group, on_change=h.woken.append)
        manager.update_pod(body, {"phase": "Pending"})
        assert set(manager.workers) == {
            ("uid-1", "web", "readiness"),
            ("uid-1", "web", "liveness"),
        }
        assert not manager.ready(body, "web", "process://a")
        readiness = manager.workers[("uid-1", "web", "readiness")]
        assert readiness._trigger.is_set()  # a container it never probed: probe it now
        manager.stop_liveness_and_startup(body)
        await settle()
        assert set(manager.workers) == {("uid-1", "web", "readiness")}
        manager.remove_pod(body)
        await settle()
        assert manager.workers == {}
        assert manager.ready(body, "web", "process://a")
        assert manager.started(body, "web", "process://a")
        # a terminal status after removal starts nothing again
        manager.update_pod(body, status_of(phase="Failed"))
        assert manager.workers == {}
