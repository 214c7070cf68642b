"""What the kubelet's streaming server needs from the kubelet and its container runtime.

The server parses requests, speaks the protocols and formats errors as Kubernetes does; the
kubelet (which knows its pods) and the runtime (which runs containers) answer through
:class:`StreamingRuntime`. These are the parts of Kubernetes' ``HostInterface`` and CRI
(``ContainerStatus.LogPath``, ``Exec``, ``Attach``, ``PortForward``) that streaming uses.

Pods are plain dicts as the API returns them, with the ``status`` *this kubelet* reports: the
server reads ``spec`` (container names), ``metadata.uid`` and
``status.containerStatuses[].containerID`` / ``state`` / ``lastState`` (which container's log
``kubectl logs`` and ``--previous`` mean, exactly as the kubelet decides).

Container ids are the runtime's (``status.containerStatuses[].containerID``, for instance
``process://<id>``); the server never parses them, only hands them back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from kubeling.api.goformat import go_quote

__all__ = [
    "ContainerNotFound",
    "ContainerStream",
    "Pod",
    "StreamingError",
    "StreamingRuntime",
]

#: A pod as the API returns it (spec, metadata, and the status this kubelet reports).
Pod = Mapping[str, Any]


class StreamingError(Exception):
    """The runtime cannot do what was asked; ``str(err)`` is what the client is told."""


class ContainerNotFound(StreamingError):
    """No running container of that name in the pod (the kubelet's ``findContainer`` failing).

    >>> str(ContainerNotFound("web"))
    'container not found ("web")'
    """

    def __init__(self, container: str) -> None:
        super().__init__(f"container not found ({go_quote(container)})")
        self.container = container


class ContainerStream(Protocol):
    """A command running in a container (exec), or the container's own streams (attach).

    ``stdout``/``stderr`` end (EOF) when the process closes them; with a TTY there is only
    ``stdout``, the terminal's output. Streams that were not asked for are None.
    """

    stdout: asyncio.StreamReader | None
    stderr: asyncio.StreamReader | None

    async def write_stdin(self, data: bytes) -> None:
        """Feed the process's standard input (or the terminal's)."""
        ...

    async def close_stdin(self) -> None:
        """End standard input (the client's stdin reached EOF)."""
        ...

    def resize(self, width: int, height: int) -> None:
        """Resize the terminal (only called with a TTY)."""
        ...

    async def wait(self) -> int | None:
        """Wait until it ends. Exec: the exit code (128+N for signal N). Attach: None."""
        ...

    async def close(self) -> None:
        """The client went away: exec kills the command; attach only detaches."""
        ...


class StreamingRuntime(Protocol):
    """The kubelet and runtime, as the streaming server sees them."""

    def get_pod(self, namespace: str, name: str) -> Pod | None:
        """The pod bound to this node (``GetPodByName``), or None."""
        ...

    def log_path(self, container_id: str) -> Path | None:
        """The CRI-format log file of a container, current or exited (None: gone)."""
        ...

    def is_running(self, container_id: str) -> bool:
        """Whether the container runs (``kubectl logs -f`` stops once it does not)."""
        ...

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
        """Start ``command`` in the running container (as the container's user, in its
        working directory, with its environment). Raises :class:`ContainerNotFound` when the
        container is not running, :class:`StreamingError` when the command cannot start.
        With ``tty``, the terminal is ``size`` (width, height) from the start when given."""
        ...

    async def attach(
        self, pod: Pod, container: str, *, stdin: bool, stdout: bool, stderr: bool, tty: bool
    ) -> ContainerStream:
        """Attach to the running container's streams (stdin only if its spec has ``stdin``).
        Raises :class:`ContainerNotFound` when it is not running."""
        ...

    async def port_forward(
        self, pod: Pod, port: int
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Connect to TCP ``port`` in the pod's network namespace (with the process runtime's
        host network: 127.0.0.1). Raises :class:`StreamingError` (or ``OSError``) with the reason
        on failure."""
        ...
