"""What the kubelet's streaming server asks of this kubelet: :class:`KubeletStreaming`.

The :class:`~kubeling.kubelet.server.interface.StreamingRuntime` of a real node, over the
kubelet's pods (the informer's cache, with the status this kubelet wrote last) and its container
runtime (Kubernetes' ``HostInterface`` and CRI streaming calls):

- a container's **log** is the CRI log file its runtime writes (``ContainerStatus.log_path``);
- **exec** runs the runtime's exec helper (:meth:`RuntimeService.exec_command`: the
  container's cgroups, working directory, environment and user) with pipes or a
  pseudo-terminal (:mod:`~kubeling.kubelet.exec_streams`);
- **attach** needs a runtime that keeps a container's stdin and output open to clients; the
  process runtime does not (stdin is ``/dev/null``, output goes to the log), so it is refused
  with a message that says so;
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

from kubeling.kubelet.exec_streams import PipeStream, TtyStream, start_exec
from kubeling.kubelet.runtime.interface import ContainerState, RuntimeService, RuntimeServiceError
from kubeling.kubelet.server import ContainerNotFound, ContainerStream, StreamingError

__all__ = ["KubeletStreaming", "attach_unsupported_message"]

Pod = Mapping[str, Any]
#: Finds the pod bound to this node by namespace and name, with the status this kubelet reports.
PodLookup = Callable[[str, str], Pod | None]


def attach_unsupported_message(runtime: str) -> str:
    """Why ``kubectl attach`` cannot work with a runtime that keeps no streams open."""
    return (
        f"the {runtime} runtime cannot attach to a running container: its stdin is /dev/null "
        "and its output goes to its log; use kubectl logs -f to follow the output, or "
        "kubectl exec to run a command in the container"
    )


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
        self._sessions: set[PipeStream | TtyStream] = set()
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
            stream = await start_exec(argv, stdin=stdin, stdout=stdout, stderr=stderr, tty=tty)
        except OSError as err:
            raise StreamingError(f"starting the exec helper: {err}") from err
        self._sessions.add(stream)
        # Forget the session once it ends (the task is kept until then: asyncio holds weakly).
        waiter = asyncio.ensure_future(stream.wait())
        self._waiters.add(waiter)
        waiter.add_done_callback(lambda done: self._ended(stream, done))
        return stream

    def _ended(self, stream: PipeStream | TtyStream, waiter: asyncio.Future[int | None]) -> None:
        self._sessions.discard(stream)
        self._waiters.discard(waiter)

    async def attach(
        self, pod: Pod, container: str, *, stdin: bool, stdout: bool, stderr: bool, tty: bool
    ) -> ContainerStream:
        _running_container(pod, container)
        raise StreamingError(attach_unsupported_message(self.runtime.name))

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
        """End every exec session still running (the kubelet is stopping)."""
        sessions = list(self._sessions)
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
        self._sessions.clear()
