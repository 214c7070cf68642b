"""What the kubelet's streaming server asks of this kubelet: :class:`KubeletStreaming`.

The :class:`~kubeling.kubelet.server.interface.StreamingRuntime` of a real node, over the
kubelet's pods (the informer's cache, with the status this kubelet wrote last) and its container
runtime (Kubernetes' ``HostInterface`` and CRI streaming calls):

- a container's **log** is the CRI log file its runtime writes (``ContainerStatus.log_path``);
- **exec** runs the runtime's exec helper (:meth:`RuntimeService.exec_command`: the
  container's cgroups, working directory, environment and user) with pipes or a
  pseudo-terminal (:mod:`~kubeling.kubelet.exec_streams`);
- **attach** joins the running container's streams where its runtime serves them
  (:meth:`RuntimeService.attach_address`: the process runtime's shim,
  :mod:`~kubeling.kubelet.attach_stream`): its output from then on, and its stdin when its spec
  has ``stdin: true`` (else the client's input is dropped, as containerd drops it); with a TTY
  as the container's spec says, whatever the request says (the kubelet's ``GetAttach``);
- **port-forward** connects to ``127.0.0.1:<port>``: pods share the node's network.

Sessions still open when the kubelet stops are ended by :meth:`KubeletStreaming.close`.
"""

from __future__ import annotations

import asyncio
import errno
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from kubeling.kubelet.attach_stream import AttachStream, open_attach
from kubeling.kubelet.exec_streams import PipeStream, TtyStream, start_exec
from kubeling.kubelet.runtime.interface import ContainerState, RuntimeService, RuntimeServiceError
from kubeling.kubelet.server import ContainerNotFound, ContainerStream, StreamingError

__all__ = ["KubeletStreaming"]

Pod = Mapping[str, Any]
#: Finds the pod bound to this node by namespace and name, with the status this kubelet reports.
PodLookup = Callable[[str, str], Pod | None]


def _container_spec(pod: Pod, name: str) -> Mapping[str, Any]:
    spec = pod.get("spec") or {}
    for key in ("containers", "initContainers", "ephemeralContainers"):
        for container in spec.get(key) or ():
            if isinstance(container, Mapping) and container.get("name") == name:
                return container
    return {}


def _running_container(pod: Pod, container: str) -> str:
    """The containerID of the running container ``container`` of ``pod``, as reported."""
    status = pod.get("status") or {}
    for key in ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"):
        for entry in status.get(key) or ():
            if entry.get("name") != container:
                continue
            if (entry.get("state") or {}).get("running") is not None and entry.get("containerID"):
                return str(entry["containerID"])
    raise ContainerNotFound(container)


class KubeletStreaming:
    """The kubelet and its runtime as the streaming server sees them (module docstring)."""

    def __init__(self, runtime: RuntimeService, pods: PodLookup) -> None:
        self.runtime = runtime
        self._pods = pods
        self._sessions: set[PipeStream | TtyStream | AttachStream] = set()
        self._waiters: set[asyncio.Future[int | None]] = set()

    def _runtime_id(self, container_id: str) -> str | None:
        scheme, sep, runtime_id = container_id.partition("://")
        if not sep or scheme != self.runtime.name:
            return None
        return runtime_id

    def get_pod(self, namespace: str, name: str) -> Pod | None:
        return self._pods(namespace, name)

    def log_path(self, container_id: str) -> Path | None:
        runtime_id = self._runtime_id(container_id)
        status = self.runtime.known_container_status(runtime_id) if runtime_id else None
        if status is None or not status.log_path:
            return None
        return Path(status.log_path)

    def is_running(self, container_id: str) -> bool:
        runtime_id = self._runtime_id(container_id)
        status = self.runtime.known_container_status(runtime_id) if runtime_id else None
        return status is not None and status.state is ContainerState.RUNNING

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
    ) -> ContainerStream:
        container_id = _running_container(pod, container)
        runtime_id = self._runtime_id(container_id)
        if runtime_id is None or not self.is_running(container_id):
            raise ContainerNotFound(container)
        try:
            argv = self.runtime.exec_command(runtime_id, command)
        except RuntimeServiceError as err:
            raise StreamingError(str(err)) from err
        try:
            stream = await start_exec(
                argv, stdin=stdin, stdout=stdout, stderr=stderr, tty=tty, size=size
            )
        except OSError as err:
            raise StreamingError(f"starting the exec helper: {err}") from err
        self._track(stream)
        return stream

    def _track(self, stream: PipeStream | TtyStream | AttachStream) -> None:
        """Keep a session until it ends (the task too: asyncio holds tasks weakly)."""
        self._sessions.add(stream)
        waiter = asyncio.ensure_future(stream.wait())
        self._waiters.add(waiter)
        waiter.add_done_callback(lambda done: self._ended(stream, done))

    def _ended(
        self, stream: PipeStream | TtyStream | AttachStream, waiter: asyncio.Future[int | None]
    ) -> None:
        self._sessions.discard(stream)
        self._waiters.discard(waiter)

    async def attach(
        self, pod: Pod, container: str, *, stdin: bool, stdout: bool, stderr: bool, tty: bool
    ) -> ContainerStream:
        container_id = _running_container(pod, container)
        runtime_id = self._runtime_id(container_id)
        if runtime_id is None or not self.is_running(container_id):
            raise ContainerNotFound(container)
        try:
            address = self.runtime.attach_address(runtime_id)
        except RuntimeServiceError as err:
            raise StreamingError(str(err)) from err
        spec = _container_spec(pod, container)
        try:
            stream = await open_attach(
                address,
                stdin=stdin and bool(spec.get("stdin")),
                stdout=stdout,
                # a TTY has one output stream (as the container's spec says, not the request)
                stderr=stderr and not spec.get("tty"),
            )
        except OSError as err:
            raise StreamingError(f"attaching to the container's streams: {err}") from err
        self._track(stream)
        return stream

    async def port_forward(
        self, pod: Pod, port: int
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        try:
            return await asyncio.open_connection("127.0.0.1", port)
        except OSError as err:
            reason = os.strerror(err.errno or errno.ECONNREFUSED).lower()
            raise StreamingError(
                f"failed to connect to localhost:{port} inside the pod's network: "
                f"dial tcp4 127.0.0.1:{port}: connect: {reason}"
            ) from err

    async def close(self) -> None:
        """End every exec session still running and detach attached clients (the kubelet is
        stopping)."""
        sessions = list(self._sessions)
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
        self._sessions.clear()
