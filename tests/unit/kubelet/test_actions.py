"""What the kubelet does next for a pod (``computePodActions``), as tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from kubeling.kubelet.actions import compute_pod_actions
from kubeling.kubelet.probes import NoProbes
from kubeling.kubelet.runtime.interface import SandboxState
from tests.unit.kubelet.builders import (
    EXITED,
    RUNNING,
    UNKNOWN,
    container,
    pod,
    runtime,
    sandbox,
)


class Probes(NoProbes):
    """A probe manager with results for some containers."""

    def __init__(self, *, failed: Mapping[str, str] = {}, not_started: tuple[str, ...] = ()):
        self.failures = dict(failed)
        self.not_started = not_started

    def started(self, pod: Mapping[str, Any], container: str, container_id: str) -> bool:
        return container not in self.not_started

    def failed(self, pod: Mapping[str, Any], container: str, container_id: str) -> str:
        return self.failures.get(container, "")


def test_a_new_pod_gets_a_sandbox_and_all_its_containers() -> None:
    actions = compute_pod_actions(pod("a", "b"), runtime(sandboxes=()), NoProbes())
    assert (actions.create_sandbox, actions.kill_pod, actions.attempt) == (True, True, 0)
    assert actions.containers_to_start == [0, 1]
    assert actions.init_containers_to_start == []


def test_a_new_pod_with_init_containers_starts_the_first_one_only() -> None:
    actions = compute_pod_actions(pod("a", init=("i1", "i2")), runtime(sandboxes=()), NoProbes())
    assert actions.init_containers_to_start == [0]
    assert actions.containers_to_start == []


def test_a_sandbox_that_is_not_ready_is_replaced() -> None:
    body = pod("a")
    status = runtime(
        container("a", EXITED, exit_code=137), sandboxes=(sandbox(SandboxState.NOTREADY),)
    )
    actions = compute_pod_actions(body, status, NoProbes())
    assert (actions.create_sandbox, actions.attempt, actions.sandbox_id) == (True, 1, "sb-0")
    assert actions.containers_to_start == [0]


def test_a_pod_that_ran_and_must_not_run_again_gets_no_new_sandbox() -> None:
    body = pod("a", restart="Never")
    status = runtime(container("a", EXITED), sandboxes=(sandbox(SandboxState.NOTREADY),))
    actions = compute_pod_actions(body, status, NoProbes())
    assert (actions.create_sandbox, actions.kill_pod) == (False, True)


@pytest.mark.parametrize(
    ("restart", "exit_code", "start", "kill_pod"),
    [
        ("Always", 0, [0], False),
        ("Always", 1, [0], False),
        ("OnFailure", 0, [], True),
        ("OnFailure", 1, [0], False),
        ("Never", 0, [], True),
        ("Never", 1, [], True),
    ],
)
def test_restart_policies(restart: str, exit_code: int, start: list[int], kill_pod: bool) -> None:
    body = pod("a", restart=restart)
    actions = compute_pod_actions(
        body, runtime(container("a", EXITED, exit_code=exit_code)), NoProbes()
    )
    assert (actions.containers_to_start, actions.kill_pod) == (start, kill_pod)


def test_running_containers_are_kept() -> None:
    body = pod("a", "b")
    status = runtime(container("a", RUNNING, of=body), container("b", RUNNING, of=body))
    assert compute_pod_actions(body, status, NoProbes()).empty


def test_only_what_is_missing_is_started() -> None:
    body = pod("a", "b", restart="Never")
    status = runtime(container("a", RUNNING, of=body))
    actions = compute_pod_actions(body, status, NoProbes())
    assert (actions.containers_to_start, actions.kill_pod) == ([1], False)


def test_a_changed_spec_restarts_the_container_whatever_the_policy() -> None:
    body = pod("a", restart="Never")
    old = pod("a")
    old["spec"]["containers"][0]["image"] = "img:old"
    actions = compute_pod_actions(body, runtime(container("a", RUNNING, of=old)), NoProbes())
    kill = actions.containers_to_kill["a-0"]
    assert kill.message == "Container a definition changed, will be restarted"
    assert actions.containers_to_start == [0]


@pytest.mark.parametrize(
    ("restart", "probe", "message", "start"),
    [
        ("Always", "liveness", "Container a failed liveness probe, will be restarted", [0]),
        ("Never", "liveness", "Container a failed liveness probe", []),
        ("OnFailure", "startup", "Container a failed startup probe, will be restarted", [0]),
    ],
)
def test_failed_probes_kill_the_container(
    restart: str, probe: str, message: str, start: list[int]
) -> None:
    body = pod("a", restart=restart)
    actions = compute_pod_actions(
        body, runtime(container("a", RUNNING, of=body)), Probes(failed={"a": probe})
    )
    kill = actions.containers_to_kill["a-0"]
    assert (kill.message, kill.reason) == (message, probe)
    assert actions.containers_to_start == start


def test_a_container_in_unknown_state_is_killed_before_its_restart() -> None:
    body = pod("a")
    actions = compute_pod_actions(body, runtime(container("a", UNKNOWN)), NoProbes())
    assert actions.containers_to_start == [0]
    message = actions.containers_to_kill["a-0"].message
    assert message == 'Container is in "unknown" state, try killing it before restart'


def test_a_pod_being_deleted_restarts_nothing() -> None:
    body = pod("a", deleting=True)
    actions = compute_pod_actions(body, runtime(container("a", EXITED, exit_code=1)), NoProbes())
    assert (actions.containers_to_start, actions.kill_pod) == ([], True)


# -- init containers and sidecars ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("containers", "restart", "init_start", "start", "kill_pod"),
    [
        # nothing ran yet (sandbox ready): the first init container
        ([], "Always", [0], [], False),
        # the first is running: wait
        ([("i1", RUNNING, 0)], "Always", [], [], False),
        # the first succeeded: the second
        ([("i1", EXITED, 0)], "Always", [1], [], False),
        # both succeeded: the regular containers
        ([("i1", EXITED, 0), ("i2", EXITED, 0)], "Always", [], [0], False),
        # the second failed: again (with back-off, when started)
        ([("i1", EXITED, 0), ("i2", EXITED, 1)], "OnFailure", [1], [], False),
        # ... unless the pod never restarts: it fails
        ([("i1", EXITED, 0), ("i2", EXITED, 1)], "Never", [], [], True),
        # an OOM-killed init container failed
        ([("i1", EXITED, 137, "OOMKilled")], "Always", [0], [], False),
        # once a regular container runs, init containers are not run again
        ([("a", RUNNING, 0)], "Always", [], [], False),
    ],
)
def test_init_containers_run_in_order(
    containers: list[tuple[Any, ...]],
    restart: str,
    init_start: list[int],
    start: list[int],
    kill_pod: bool,
) -> None:
    body = pod("a", init=("i1", "i2"), restart=restart)
    statuses = [
        container(c[0], c[1], exit_code=c[2], reason=c[3] if len(c) > 3 else "", of=body)
        for c in containers
    ]
    actions = compute_pod_actions(body, runtime(*statuses), NoProbes())
    assert actions.init_containers_to_start == init_start
    assert actions.containers_to_start == start
    assert actions.kill_pod == kill_pod


def test_a_started_sidecar_lets_the_next_init_container_start() -> None:
    body = pod("a", init=("i1",), sidecars=("side",))
    body["spec"]["initContainers"].reverse()  # side, then i1
    status = runtime(container("side", RUNNING, of=body))
    actions = compute_pod_actions(body, status, NoProbes())
    assert actions.init_containers_to_start == [1]
    waiting = compute_pod_actions(body, status, Probes(not_started=("side",)))
    assert waiting.init_containers_to_start == []


def test_sidecars_are_restarted_and_kept_after_initialization() -> None:
    body = pod("a", sidecars=("side",))
    status = runtime(
        container("side", EXITED, exit_code=1, of=body), container("a", RUNNING, of=body)
    )
    actions = compute_pod_actions(body, status, NoProbes())
    assert actions.init_containers_to_start == [0]
    assert not actions.kill_pod


def test_sidecars_are_killed_once_the_regular_containers_are_done() -> None:
    body = pod("a", sidecars=("side",), restart="Never")
    status = runtime(container("side", RUNNING, of=body), container("a", EXITED, of=body))
    actions = compute_pod_actions(body, status, NoProbes())
    assert actions.kill_pod
    assert actions.init_containers_to_start == []
