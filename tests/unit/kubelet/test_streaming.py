"""The kubelet's StreamingRuntime over a runtime: which container a request means, and the
exec sessions it starts (real processes: ``sh``, ``cat``, ``stty``)."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from kubeling.kubelet.runtime.attach import (
    CLOSE,
    HELLO,
    STDERR,
    STDIN,
    STDOUT,
    FrameReader,
    encode_frame,
)
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


class AttachingRuntime(Runtime):
    """A runtime whose running containers have an attach socket: a fake shim that echoes
    stdin to stdout and says what it saw."""

    def __init__(self, address: str, **states: ContainerState) -> None:
        super().__init__(**states)
        self.address = address

    def attach_address(self, container_id: str) -> str:
        return self.address


async def fake_shim(address: str, seen: list[tuple[int, bytes]]) -> asyncio.Server:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        frames = FrameReader()
        try:
            while data := await reader.read(1024):
                for stream, payload in frames.feed(data):
                    seen.append((stream, payload))
                    if stream == STDIN:
                        writer.write(encode_frame(STDOUT, payload.upper()))
                    elif stream == CLOSE:
                        writer.write(encode_frame(STDERR, b"bye"))
                        return  # the container ended
        finally:
            writer.close()
            await writer.wait_closed()

    return await asyncio.start_unix_server(serve, path=address)


async def test_attach_joins_the_containers_streams() -> None:
    """Hello with the streams wanted; stdin only if the spec has it; EOF ends the attach."""
    address = f"\0kubeling-test-attach-{os.getpid()}"
    seen: list[tuple[int, bytes]] = []
    server = await fake_shim(address, seen)
    try:
        runtime = AttachingRuntime(address, a=ContainerState.RUNNING)
        s = KubeletStreaming(runtime, lambda ns, name: None)  # type: ignore[arg-type]
        with_stdin = pod("running")
        with_stdin["spec"]["containers"][0]["stdin"] = True
        flags = {"stdin": True, "stdout": True, "stderr": True, "tty": False}
        stream = await s.attach(with_stdin, "c", **flags)
        await stream.write_stdin(b"hello")
        assert stream.stdout is not None
        assert await stream.stdout.readexactly(5) == b"HELLO"
        await stream.close_stdin()
        assert stream.stderr is not None
        assert await stream.stderr.read() == b"bye"
        assert await stream.wait() is None
        assert json.loads(seen[0][1]) == {"stdin": True, "stdout": True, "stderr": True}

        # without stdin in the spec, the client's input is not passed on
        seen.clear()
        stream = await s.attach(pod("running"), "c", **flags)
        await stream.write_stdin(b"ignored")
        await stream.close()
        await asyncio.sleep(0.05)
        assert [stream for stream, _ in seen] == [HELLO]
    finally:
        server.close()
        await server.wait_closed()


async def test_attach_needs_a_running_container_and_a_socket() -> None:
    flags = {"stdin": False, "stdout": True, "stderr": True, "tty": False}
    runtime = AttachingRuntime(f"\0kubeling-nobody-{os.getpid()}", a=ContainerState.RUNNING)
    s = KubeletStreaming(runtime, lambda ns, name: None)  # type: ignore[arg-type]
    with pytest.raises(ContainerNotFound):
        await s.attach(pod("waiting"), "c", **flags)
    with pytest.raises(StreamingError, match="attaching to the container's streams"):
        await s.attach(pod("running"), "c", **flags)


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


async def test_exec_on_a_terminal_of_a_given_size() -> None:
    """The size the client sent first is the terminal's before the command runs."""
    s = streaming(a=ContainerState.RUNNING)
    flags = {"stdin": False, "stdout": True, "stderr": False, "tty": True}
    stream = await s.exec(pod("running"), "c", ["stty", "size"], **flags, size=(111, 33))
    assert stream.stdout is not None
    assert (await stream.stdout.read()).splitlines()[-1] == b"33 111"
    assert await stream.wait() == 0
    await stream.close()


async def test_close_ends_sessions_still_running() -> None:
    s = streaming(a=ContainerState.RUNNING)
    flags = {"stdin": False, "stdout": True, "stderr": False, "tty": False}
    stream = await s.exec(pod("running"), "c", ["sleep", "60"], **flags)
    await s.close()
    assert await stream.wait() == -9
