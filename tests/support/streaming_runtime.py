"""A :class:`StreamingRuntime` over host processes and files, for the streaming server's tests.

It stands for the kubelet and its process runtime: pods are dicts the test registers (with the
status a kubelet would report), containers are host processes whose output is written to a CRI
log file (and to whoever is attached), exec runs a host process in the pod's directory (with a
pseudo-terminal for ``tty``), and port-forward connects to 127.0.0.1, pods sharing the host
network as with the process runtime.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import shutil
import signal
import struct
import termios
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubeling.kubelet.server import ContainerNotFound, StreamingError
from kubeling.kubelet.server.cri_log import LogTimestamp, format_line

__all__ = ["LocalStreamingRuntime", "cri_lines"]

Pod = Mapping[str, Any]


def cri_lines(*entries: tuple[str, str, str]) -> bytes:
    """CRI log lines from (RFC 3339 timestamp, stream, content) triples; content ending without
    a newline is written as a partial line."""
    out = b""
    for stamp, stream, content in entries:
        partial = not content.endswith("\n")
        out += format_line(
            LogTimestamp.parse(stamp.encode()), stream, content.encode(), partial=partial
        )
    return out


class _PipeStream:
    """An exec'd process with pipes (no TTY), as a ContainerStream."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process
        self.stdout = process.stdout
        self.stderr = process.stderr

    async def write_stdin(self, data: bytes) -> None:
        if self._process.stdin is None:
            return
        self._process.stdin.write(data)
        await self._process.stdin.drain()

    async def close_stdin(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()

    def resize(self, width: int, height: int) -> None:
        return None

    async def wait(self) -> int | None:
        return await self._process.wait()

    async def close(self) -> None:
        if self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()
            await self._process.wait()


def _set_size(fd: int, width: int, height: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))


class _TtyStream:
    """An exec'd process on a pseudo-terminal, as a ContainerStream (output on ``stdout``)."""

    def __init__(self, process: asyncio.subprocess.Process, master: int) -> None:
        self._process = process
        self._master = master
        self.stdout: asyncio.StreamReader | None = asyncio.StreamReader()
        self.stderr: asyncio.StreamReader | None = None
        os.set_blocking(master, False)
        asyncio.get_running_loop().add_reader(master, self._readable)

    def _readable(self) -> None:
        assert self.stdout is not None
        try:
            data = os.read(self._master, 65536)
        except BlockingIOError:
            return
        except OSError:  # EIO: every slave end closed, the process is gone
            data = b""
        if data:
            self.stdout.feed_data(data)
            return
        asyncio.get_running_loop().remove_reader(self._master)
        self.stdout.feed_eof()

    async def write_stdin(self, data: bytes) -> None:
        while data:
            try:
                written = os.write(self._master, data)
            except BlockingIOError:
                await asyncio.sleep(0.01)
                continue
            data = data[written:]

    async def close_stdin(self) -> None:
        await self.write_stdin(b"\x04")  # end of file, as a terminal says it

    def resize(self, width: int, height: int) -> None:
        _set_size(self._master, width, height)

    async def wait(self) -> int | None:
        return await self._process.wait()

    async def close(self) -> None:
        if self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()
            await self._process.wait()
        loop = asyncio.get_running_loop()
        loop.remove_reader(self._master)
        with contextlib.suppress(OSError):
            os.close(self._master)


@dataclass
class _Container:
    """A running container: its process, its log, and who is attached."""

    container_id: str
    process: asyncio.subprocess.Process
    log_path: Path
    attached: set[_AttachStream] = field(default_factory=set)
    pumps: list[asyncio.Task[None]] = field(default_factory=list)


class _AttachStream:
    """One client attached to a container: its copy of the output, the container's stdin."""

    def __init__(self, container: _Container, *, stdin: bool, stdout: bool, stderr: bool) -> None:
        self._container = container
        self._stdin = stdin
        self.stdout = asyncio.StreamReader() if stdout else None
        self.stderr = asyncio.StreamReader() if stderr else None
        self._detached = asyncio.Event()

    def deliver(self, stream: str, data: bytes) -> None:
        reader = self.stdout if stream == "stdout" else self.stderr
        if reader is not None and not reader.at_eof():
            reader.feed_data(data)

    def end(self) -> None:
        for reader in (self.stdout, self.stderr):
            if reader is not None and not reader.at_eof():
                reader.feed_eof()

    async def write_stdin(self, data: bytes) -> None:
        stdin = self._container.process.stdin
        if self._stdin and stdin is not None:
            stdin.write(data)
            await stdin.drain()

    async def close_stdin(self) -> None:
        return None  # stdinOnce is not modelled: the container keeps its stdin

    def resize(self, width: int, height: int) -> None:
        return None

    async def wait(self) -> int | None:
        waiter = asyncio.create_task(self._container.process.wait())
        detached = asyncio.create_task(self._detached.wait())
        await asyncio.wait({waiter, detached}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        detached.cancel()
        # Output written before the exit still reaches the client.
        await asyncio.gather(*self._container.pumps, return_exceptions=True)
        return None

    async def close(self) -> None:
        self._container.attached.discard(self)
        self.end()
        self._detached.set()


class LocalStreamingRuntime:
    """Pods, containers, logs and ports of one fake node, on the host."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.pods: dict[tuple[str, str], dict[str, Any]] = {}
        self.logs: dict[str, Path] = {}
        self.containers: dict[tuple[str, str, str], _Container] = {}
        self._execs: set[Any] = set()
        self._counter = 0

    # -- set up by tests --------------------------------------------------------------------

    def add_pod(self, pod: dict[str, Any]) -> None:
        """Register (or replace) a pod as the kubelet reports it."""
        meta = pod["metadata"]
        self.pods[(meta.get("namespace", "default"), meta["name"])] = pod
        (self.root / meta["name"]).mkdir(parents=True, exist_ok=True)

    def new_container_id(self) -> str:
        self._counter += 1
        return f"process://{self._counter:012x}"

    def write_log(self, container_id: str, data: bytes) -> Path:
        """Give a container (running or not) a log file holding ``data``."""
        path = self.root / "logs" / (container_id.split("://")[-1] + ".log")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.logs[container_id] = path
        return path

    async def start_container(
        self, namespace: str, pod: str, container: str, command: Sequence[str]
    ) -> str:
        """Run ``command`` as the pod's container (stdin open); its output goes to its CRI log."""
        container_id = self.new_container_id()
        log_path = self.write_log(container_id, b"")
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=self.root / pod,
            start_new_session=True,
        )
        running = _Container(container_id, process, log_path)
        for name, reader in (("stdout", process.stdout), ("stderr", process.stderr)):
            assert reader is not None
            running.pumps.append(asyncio.create_task(self._pump(running, name, reader)))
        self.containers[(namespace, pod, container)] = running
        return container_id

    async def _pump(self, container: _Container, stream: str, reader: asyncio.StreamReader) -> None:
        with container.log_path.open("ab") as log:
            while data := await reader.read(65536):
                for line in data.splitlines(keepends=True):
                    log.write(
                        format_line(
                            LogTimestamp.now(), stream, line, partial=not line.endswith(b"\n")
                        )
                    )
                log.flush()
                for attached in list(container.attached):
                    attached.deliver(stream, data)
        if all(task.done() or task is asyncio.current_task() for task in container.pumps):
            for attached in list(container.attached):
                attached.end()

    async def stop(self) -> None:
        """Kill every container and exec this runtime started."""
        for running in self.containers.values():
            if running.process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(running.process.pid, signal.SIGKILL)
                await running.process.wait()
            await asyncio.gather(*running.pumps, return_exceptions=True)
        for stream in list(self._execs):
            await stream.close()

    # -- StreamingRuntime ----------------------------------------------------------------------

    def get_pod(self, namespace: str, name: str) -> Pod | None:
        return self.pods.get((namespace, name))

    def log_path(self, container_id: str) -> Path | None:
        return self.logs.get(container_id)

    def is_running(self, container_id: str) -> bool:
        return any(
            c.container_id == container_id and c.process.returncode is None
            for c in self.containers.values()
        )

    def _running(self, pod: Pod, container: str) -> bool:
        for status in (pod.get("status") or {}).get("containerStatuses") or []:
            if status.get("name") == container:
                return (status.get("state") or {}).get("running") is not None
        return False

    async def exec(
        self,
        pod: Pod,
        container: str,
        command: Sequence[str],
        *,
        stdin: bool,
        stdout: bool,
        stderr: bool,
        tty: bool,
        size: tuple[int, int] | None = None,
    ) -> Any:
        if not self._running(pod, container):
            raise ContainerNotFound(container)
        if not command or shutil.which(command[0], path=os.environ.get("PATH")) is None:
            name = command[0] if command else ""
            raise StreamingError(f'exec: "{name}": executable file not found in $PATH')
        cwd = self.root / pod["metadata"]["name"]
        if tty:
            master, slave = os.openpty()
            _set_size(slave, *(size or (80, 24)))
            process = await asyncio.create_subprocess_exec(
                *command, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, start_new_session=True
            )
            os.close(slave)
            stream: Any = _TtyStream(process, master)
        else:
            pipe, devnull = asyncio.subprocess.PIPE, asyncio.subprocess.DEVNULL
            process = await asyncio.create_subprocess_exec(
                *command,
                stdin=pipe if stdin else devnull,
                stdout=pipe if stdout else devnull,
                stderr=pipe if stderr else devnull,
                cwd=cwd,
                start_new_session=True,
            )
            stream = _PipeStream(process)
        self._execs.add(stream)
        return stream

    async def attach(
        self, pod: Pod, container: str, *, stdin: bool, stdout: bool, stderr: bool, tty: bool
    ) -> Any:
        meta = pod["metadata"]
        running = self.containers.get((meta.get("namespace", "default"), meta["name"], container))
        if running is None or running.process.returncode is not None:
            raise ContainerNotFound(container)
        stream = _AttachStream(running, stdin=stdin, stdout=stdout, stderr=stderr)
        running.attached.add(stream)
        return stream

    async def port_forward(
        self, pod: Pod, port: int
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        try:
            return await asyncio.open_connection("127.0.0.1", port)
        except OSError as err:
            raise StreamingError(
                f"failed to connect to localhost:{port} inside the pod's network: "
                f"dial tcp4 127.0.0.1:{port}: connect: {os.strerror(err.errno or 0).lower()}"
            ) from err
