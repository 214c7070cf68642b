"""A pod's API status from the runtime's view: container states, phase, conditions."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.kubelet.runtime.interface import SandboxState
from kubeling.kubelet.status import (
    StatusInputs,
    generate_pod_status,
    get_phase,
    terminate_pod_status,
)
from tests.unit.kubelet.builders import (
    CREATED,
    EXITED,
    RUNNING,
    UNKNOWN,
    container,
    pod,
    runtime,
    sandbox,
)

Obj = dict[str, Any]
NOW = "2024-05-01T10:00:00Z"
EARLIER = "2024-05-01T09:00:00Z"


def inputs(**extra: Any) -> StatusInputs:
    base: dict[str, Any] = {"previous": {}, "now": NOW, "host_ips": ["10.0.0.1"]}
    return StatusInputs(**{**base, **extra})


def conditions(status: Obj) -> dict[str, Obj]:
    return {c["type"]: c for c in status["conditions"]}


def short(condition: Obj) -> tuple[str, ...]:
    return tuple(condition.get(k, "") for k in ("status", "reason", "message"))


# -- phase --------------------------------------------------------------------------------------


def running(name: str, started: bool = True) -> Obj:
    return {"name": name, "state": {"running": {}}, "started": started}


def terminated(name: str, code: int = 0) -> Obj:
    return {"name": name, "state": {"terminated": {"exitCode": code}}}


def waiting(name: str, last_code: int | None = None) -> Obj:
    status: Obj = {"name": name, "state": {"waiting": {}}}
    if last_code is not None:
        status["lastState"] = {"terminated": {"exitCode": last_code}}
    return status


@pytest.mark.parametrize(
    ("restart", "statuses", "terminal", "phase"),
    [
        ("Always", [], False, "Pending"),
        ("Always", [running("a"), running("b")], False, "Running"),
        ("Always", [running("a"), waiting("b")], False, "Pending"),
        ("Always", [running("a"), waiting("b", 1)], False, "Running"),
        ("Always", [terminated("a"), terminated("b")], False, "Running"),
        ("OnFailure", [terminated("a"), terminated("b")], False, "Succeeded"),
        ("Never", [terminated("a"), terminated("b")], False, "Succeeded"),
        ("Never", [terminated("a"), terminated("b", 1)], False, "Failed"),
        ("OnFailure", [terminated("a"), terminated("b", 1)], False, "Running"),
        ("Always", [terminated("a"), waiting("b", 2)], False, "Running"),
        ("Always", [terminated("a"), terminated("b", 143)], True, "Failed"),
        ("Always", [terminated("a"), terminated("b")], True, "Succeeded"),
        ("Never", [running("a"), terminated("b")], False, "Running"),
    ],
)
def test_phase_of_regular_containers(
    restart: str, statuses: list[Obj], terminal: bool, phase: str
) -> None:
    body = pod("a", "b", restart=restart)
    got = get_phase(body, statuses, pod_is_terminal=terminal, pod_has_initialized=True)
    assert got == phase


@pytest.mark.parametrize(
    ("restart", "statuses", "initialized", "phase"),
    [
        ("Always", [running("init")], False, "Pending"),
        ("Never", [terminated("init", 1)], False, "Failed"),
        ("OnFailure", [waiting("init", 1), waiting("a")], False, "Pending"),
        ("Never", [terminated("init"), running("side", started=False)], False, "Pending"),
        ("Never", [terminated("init"), running("side"), running("a")], True, "Running"),
        # a sidecar restarting after initialization does not make the pod Pending again
        (
            "Always",
            [terminated("init"), running("side", started=False), running("a")],
            True,
            "Running",
        ),
        # ended sidecars do not count: the regular container decides
        (
            "Never",
            [terminated("init"), terminated("side", 143), terminated("a")],
            True,
            "Succeeded",
        ),
    ],
)
def test_phase_with_init_containers_and_sidecars(
    restart: str, statuses: list[Obj], initialized: bool, phase: str
) -> None:
    body = pod("a", init=("init",), sidecars=("side",), restart=restart)
    got = get_phase(body, statuses, pod_is_terminal=False, pod_has_initialized=initialized)
    assert got == phase


# -- container statuses ---------------------------------------------------------------------------


def test_a_pod_not_started_yet() -> None:
    status = generate_pod_status(pod("web"), runtime(sandboxes=()), inputs())
    assert status["phase"] == "Pending"
    assert status["containerStatuses"] == [
        {
            "name": "web",
            "state": {"waiting": {"reason": "ContainerCreating"}},
            "lastState": {},
            "ready": False,
            "restartCount": 0,
            "image": "img",
            "imageID": "",
            "started": False,
        }
    ]
    got = conditions(status)
    assert list(got) == [
        "PodReadyToStartContainers",
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
    ]
    assert short(got["PodReadyToStartContainers"]) == ("False", "", "")
    assert short(got["Initialized"]) == ("True", "", "")
    assert short(got["Ready"]) == (
        "False",
        "ContainersNotReady",
        "containers with unready status: [web]",
    )
    assert short(got["ContainersReady"]) == short(got["Ready"])
    assert short(got["PodScheduled"]) == ("True", "", "")
    assert all(c["lastTransitionTime"] == NOW and c["lastProbeTime"] is None for c in got.values())
    assert (status["hostIP"], status["hostIPs"]) == ("10.0.0.1", [{"ip": "10.0.0.1"}])
    assert "podIP" not in status
    assert status["startTime"] == NOW
    assert status["qosClass"] == "BestEffort"


def test_init_containers_wait_with_pod_initializing() -> None:
    body = pod("web", init=("setup",))
    status = generate_pod_status(body, runtime(container("setup", RUNNING)), inputs())
    assert status["containerStatuses"][0]["state"] == {"waiting": {"reason": "PodInitializing"}}
    init = status["initContainerStatuses"][0]
    assert (init["started"], init["ready"]) == (True, False)
    assert short(conditions(status)["Initialized"]) == (
        "False",
        "ContainersNotInitialized",
        "containers with incomplete status: [setup]",
    )


def test_a_running_pod() -> None:
    body = pod("web")
    status = generate_pod_status(body, runtime(container("web", RUNNING)), inputs())
    assert status["phase"] == "Running"
    web = status["containerStatuses"][0]
    assert web["state"] == {"running": {"startedAt": "1970-01-01T00:16:41Z"}}
    assert (web["ready"], web["started"], web["restartCount"]) == (True, True, 0)
    assert web["containerID"] == "process://web-0"
    assert all(c["status"] == "True" for c in status["conditions"])
    assert (status["podIP"], status["podIPs"]) == ("10.0.0.5", [{"ip": "10.0.0.5"}])


def test_a_restart_shows_the_previous_end_as_last_state() -> None:
    body = pod("web")
    status = generate_pod_status(
        body,
        runtime(
            container("web", RUNNING, attempt=2),
            container("web", EXITED, attempt=1, exit_code=1),
            container("web", EXITED, attempt=0, exit_code=1),
        ),
        inputs(),
    )
    web = status["containerStatuses"][0]
    assert web["restartCount"] == 2
    assert "running" in web["state"]
    assert web["lastState"] == {
        "terminated": {
            "exitCode": 1,
            "reason": "Error",
            "startedAt": "1970-01-01T00:16:51Z",
            "finishedAt": "1970-01-01T00:16:55Z",
            "containerID": "process://web-1",
        }
    }


def test_a_delayed_restart_waits_with_its_reason() -> None:
    body = pod("web")
    reasons = {"web": ("CrashLoopBackOff", "back-off 10s restarting failed container=web pod=x")}
    status = generate_pod_status(
        body, runtime(container("web", EXITED, attempt=3, exit_code=2)), inputs(reasons=reasons)
    )
    web = status["containerStatuses"][0]
    assert web["state"] == {
        "waiting": {
            "reason": "CrashLoopBackOff",
            "message": "back-off 10s restarting failed container=web pod=x",
        }
    }
    assert web["lastState"]["terminated"]["exitCode"] == 2
    assert (web["restartCount"], web["ready"], web["started"]) == (3, False, False)
    assert status["phase"] == "Running"


def test_a_container_that_will_not_restart_shows_how_it_ended() -> None:
    body = pod("web", restart="Never")
    reasons = {"web": ("CrashLoopBackOff", "ignored: it is not restarted")}
    status = generate_pod_status(
        body, runtime(container("web", EXITED, exit_code=0)), inputs(reasons=reasons)
    )
    web = status["containerStatuses"][0]
    assert web["state"]["terminated"]["reason"] == "Completed"
    assert status["phase"] == "Succeeded"
    got = conditions(status)
    assert short(got["Ready"]) == ("False", "PodCompleted", "")
    assert short(got["Initialized"]) == ("True", "PodCompleted", "")


def test_a_configuration_error_keeps_the_pod_pending() -> None:
    body = pod("web")
    reasons = {"web": ("CreateContainerConfigError", 'configmap "x" not found')}
    status = generate_pod_status(body, runtime(), inputs(reasons=reasons))
    assert status["containerStatuses"][0]["state"] == {
        "waiting": {"reason": "CreateContainerConfigError", "message": 'configmap "x" not found'}
    }
    assert status["phase"] == "Pending"


def test_created_but_not_started_is_waiting() -> None:
    status = generate_pod_status(pod("web"), runtime(container("web", CREATED)), inputs())
    assert status["containerStatuses"][0]["state"] == {"waiting": {}}


def test_a_container_lost_after_running_is_reported_ended() -> None:
    body = pod("web")
    previous = {
        "phase": "Running",
        "containerStatuses": [
            {"name": "web", "state": {"running": {"startedAt": EARLIER}}, "restartCount": 4}
        ],
    }
    lost = generate_pod_status(body, runtime(container("web", UNKNOWN)), inputs(previous=previous))
    web = lost["containerStatuses"][0]
    assert web["state"]["terminated"]["reason"] == "ContainerStatusUnknown"
    assert web["restartCount"] == 5
    gone = generate_pod_status(body, runtime(), inputs(previous=previous))
    web = gone["containerStatuses"][0]
    assert web["lastState"]["terminated"]["exitCode"] == 137
    assert web["lastState"]["terminated"]["reason"] == "ContainerStatusUnknown"
    assert web["restartCount"] == 5


# -- conditions and phases over time ------------------------------------------------------------


def test_transition_times_change_only_with_the_status() -> None:
    body = pod("web")
    first = generate_pod_status(body, runtime(container("web", RUNNING)), inputs(now=EARLIER))
    again = generate_pod_status(
        body, runtime(container("web", RUNNING)), inputs(previous=first, now=NOW)
    )
    assert {c["lastTransitionTime"] for c in again["conditions"]} == {EARLIER}
    assert again["startTime"] == EARLIER
    crashed = generate_pod_status(
        body, runtime(container("web", EXITED, exit_code=1)), inputs(previous=again, now=NOW)
    )
    times = {c["type"]: c["lastTransitionTime"] for c in crashed["conditions"]}
    assert times["Ready"] == NOW
    assert times["PodScheduled"] == EARLIER


def test_conditions_the_kubelet_does_not_own_are_kept_and_gates_are_checked() -> None:
    gate = {"type": "example.com/ready", "status": "False", "lastTransitionTime": EARLIER}
    body = pod("web", readinessGates=[{"conditionType": "example.com/ready"}])
    body["status"]["conditions"] = [gate]
    status = generate_pod_status(body, runtime(container("web", RUNNING)), inputs())
    got = conditions(status)
    assert status["conditions"][0] == gate
    assert short(got["ContainersReady"]) == ("True", "", "")
    assert short(got["Ready"]) == (
        "False",
        "ReadinessGatesNotReady",
        'the status of pod readiness gate "example.com/ready" is not "True", but False',
    )
    del body["status"]["conditions"]
    missing = conditions(generate_pod_status(body, runtime(container("web", RUNNING)), inputs()))
    assert missing["Ready"]["message"] == (
        'corresponding condition of pod readiness gate "example.com/ready" does not exist.'
    )


def test_a_terminal_phase_is_never_left() -> None:
    body = pod("web", status={"phase": "Succeeded"})
    status = generate_pod_status(body, runtime(container("web", RUNNING)), inputs())
    assert status["phase"] == "Succeeded"


def test_the_sandbox_readiness_condition() -> None:
    body = pod("web")
    stale = runtime(
        container("web", EXITED, exit_code=137),
        sandboxes=(sandbox(SandboxState.NOTREADY),),
    )
    assert (
        conditions(generate_pod_status(body, stale, inputs()))["PodReadyToStartContainers"][
            "status"
        ]
        == "False"
    )


def test_terminating_reports_every_container_ended() -> None:
    body = pod("web", "side-car")
    status = generate_pod_status(
        body,
        runtime(container("web", EXITED, exit_code=143), container("side-car", RUNNING)),
        inputs(),
    )
    final = terminate_pod_status(body, status)
    assert final["phase"] == "Failed"
    states = {c["name"]: c["state"] for c in final["containerStatuses"]}
    assert states["web"]["terminated"]["exitCode"] == 143
    assert states["side-car"]["terminated"]["reason"] == "ContainerStatusUnknown"
    assert (
        "running"
        in next(c for c in status["containerStatuses"] if c["name"] == "side-car")["state"]
    )  # the status given was not changed


def test_status_fields_set_by_others_are_kept() -> None:
    body = pod(
        "web", status={"phase": "Pending", "nominatedNodeName": "n2", "qosClass": "Burstable"}
    )
    status = generate_pod_status(body, runtime(container("web", RUNNING)), inputs())
    assert (status["nominatedNodeName"], status["qosClass"]) == ("n2", "Burstable")
