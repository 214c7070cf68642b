"""The kubelet's StreamingRuntime over a runtime: which container a request means, and the
exec sessions it starts (real processes: ``sh``, ``cat``, ``stty``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from kubeling.kubelet.runtime.interface import ContainerState, ContainerStatus
from kubeling.kubelet.server import ContainerNotFound, StreamingError
from kubeling.kubelet.streaming import KubeletStreaming


class Runtime:
    """Just what KubeletStreaming asks of a runtime: container statuses and exec argv."""

    name = "process"

    def __init__(self, **states: ContainerState) -> None:
        self.statuses = {
            cid: ContainerStatus(
                id=cid,
                sandbox_id="s",
                name="c",
                attempt=0,
                state=state,
                created_at=0,
                log_path=f"/logs/{cid}.log",
            )
            for cid, state in states.items()
        }

    def known_container_status(self, container_id: str) -> ContainerStatus | None:
        return self.statuses.get(container_id)

    def exec_command(self, container_id: str, cmd: Sequence[str]) -> list[str]:
        return list(cmd)


def pod(state: str, container_id: str = "process://a") -> dict[str, Any]:
    return {
        "metadata": {"name": "p", "namespace": "default", "uid": "u"},
        "spec": {"containers": [{"name": "c"}]},
        "status": {
            "containerStatuses": [{"name": "c", "containerID": container_id, "state": {state: {}}}]
        },
    }


def streaming(**states: ContainerState) -> KubeletStreaming:
    return KubeletStreaming(Runtime(**states), lambda ns, name: None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("container_id", "log_path", "running"),
    [
        ("process://a", Path("/logs/a.log"), True),
        ("process://b", Path("/logs/b.log"), False),  # exited: its log is still there
        ("process://gone", None, False),
        ("containerd://a", None, False),  # another runtime's id
        ("a", None, False),
    ],
)
def test_log_path_and_running(container_id: str, log_path: Path | None, running: bool) -> None:
    s = streaming(a=ContainerState.RUNNING, b=ContainerState.EXITED)
    assert s.log_path(container_id) == log_path
    assert s.is_running(container_id) is running


async def test_exec_needs_a_running_container() -> None:
    s = streaming(a=ContainerState.RUNNING, b=ContainerState.EXITED)
    flags = {"stdin": False, "stdout": True, "stderr": True, "tty": False}
    with pytest.raises(ContainerNotFound):
        await s.exec(pod("terminated"), "c", ["true"], **flags)
    with pytest.raises(ContainerNotFound):
        await s.exec(pod("running"), "other", ["true"], **flags)
    with pytest.raises(ContainerNotFound):  # the pod's status is behind the runtime
        await s.exec(pod("running", "process://b"), "c", ["true"], **flags)


async def test_attach_is_refused_with_the_reason() -> None:
    s = streaming(a=ContainerState.RUNNING)
    flags = {"stdin": False, "stdout": True, "stderr": True, "tty": False}
    with pytest.raises(StreamingError, match=r"cannot attach.*kubectl logs -f"):
        await s.attach(pod("running"), "c", **flags)
    with pytest.raises(ContainerNotFound):
        await s.attach(pod("waiting"), "c", **flags)


async def test_exec_with_pipes_and_exit_code() -> None:
    s = streaming(a=ContainerState.RUNNING)
    flags = {"stdin": True, "stdout": True, "stderr": True, "tty": False}
    stream = await s.exec(pod("running"), "c", ["sh", "-c", "cat; echo err >&2; exit 4"], **flags)
    await stream.write_stdin(b"in\n")
    await stream.close_stdin()
    assert stream.stdout is not None
    assert stream.stderr is not None
    assert await stream.stdout.read() == b"in\n"
    assert await stream.stderr.read() == b"err\n"
    assert await stream.wait() == 4


async def test_exec_on_a_terminal_is_resized() -> None:
    s = streaming(a=ContainerState.RUNNING)
    flags = {"stdin": True, "stdout": True, "stderr": False, "tty": True}
    stream = await s.exec(pod("running"), "c", ["sh", "-c", "read x; stty size"], **flags)
    stream.resize(100, 30)
    await stream.write_stdin(b"go\n")
    assert stream.stdout is not None
    output = await stream.stdout.read()
    assert output.splitlines()[-1] == b"30 100"
    assert await stream.wait() == 0
    await stream.close()


async def test_close_ends_sessions_still_running() -> None:
    s = streaming(a=ContainerState.RUNNING)
    flags = {"stdin": False, "stdout": True, "stderr": False, "tty": False}
    stream = await s.exec(pod("running"), "c", ["sleep", "60"], **flags)
    await s.close()
    assert await stream.wait() == -9
