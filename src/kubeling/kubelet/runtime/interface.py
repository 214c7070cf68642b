"""The container runtime interface: Kubernetes' CRI ``RuntimeService``, in Python.

The kubelet drives pods through this interface only, as it drives containerd or CRI-O through
CRI's gRPC service; :class:`~kubeling.kubelet.runtime.process.ProcessRuntime` is the first
implementation and a CRI client for containerd can be another. The shapes follow CRI v1
(``k8s.io/cri-api/pkg/apis/runtime/v1/api.proto``) with three simplifications: times are Unix
seconds as floats, environment and labels are mappings, and there is no image service (the
process runtime runs the container's command; a CRI runtime would add one).

Semantics, as in CRI:

- A **pod sandbox** is the environment a pod's containers share (here: a working directory, the
  node's network, a hostname). ``run_pod_sandbox`` makes one READY; ``stop_pod_sandbox`` stops
  its containers and makes it NOTREADY (idempotent); ``remove_pod_sandbox`` removes it and its
  containers (idempotent, a missing sandbox is no error).
- A **container** is created (``CREATED``), started once (``RUNNING``), and ends ``EXITED`` with
  an exit code, a reason (``Completed``, ``Error``, ``OOMKilled``, ``StartError``) and its start
  and finish times. It is never started twice: a restart is a new container with the next
  ``attempt``. ``stop_container(id, grace_period)`` sends SIGTERM, then SIGKILL after
  ``grace_period`` seconds, and returns once the container has exited; stopping an exited
  container is a no-op. ``remove_container`` refuses a running one.
- Every container's output goes to ``log_path`` (under its sandbox's ``log_directory``) in the
  CRI log format (:mod:`~kubeling.kubelet.runtime.crilog`).
- State survives the kubelet: a runtime opened again on the same directory lists the same
  sandboxes and containers, running ones still running.
- :meth:`RuntimeService.subscribe` reports container starts and exits as they happen (the
  kubelet's "PLEG").

Failures raise :class:`RuntimeServiceError` (its message is what the kubelet shows users) or
:class:`NotFoundError`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

__all__ = [
    "ContainerConfig",
    "ContainerEvent",
    "ContainerState",
    "ContainerStats",
    "ContainerStatus",
    "DNSConfig",
    "ExecResult",
    "ExecTimeoutError",
    "LinuxResources",
    "Mount",
    "NotFoundError",
    "PodSandboxConfig",
    "PodSandboxMetadata",
    "PodSandboxStatus",
    "RuntimeService",
    "RuntimeServiceError",
    "SandboxState",
    "UserConfig",
]


class RuntimeServiceError(Exception):
    """A runtime operation failed; the message is meant for users (events, statuses)."""


class NotFoundError(RuntimeServiceError):
    """No sandbox or container with that id."""


class ExecTimeoutError(RuntimeServiceError):
    """A command run in a container did not end in time (it was killed)."""


class SandboxState(enum.StrEnum):
    READY = "SANDBOX_READY"
    NOTREADY = "SANDBOX_NOTREADY"


class ContainerState(enum.StrEnum):
    CREATED = "CONTAINER_CREATED"
    RUNNING = "CONTAINER_RUNNING"
    EXITED = "CONTAINER_EXITED"
    UNKNOWN = "CONTAINER_UNKNOWN"


@dataclass(frozen=True, slots=True)
class PodSandboxMetadata:
    """Which pod a sandbox is for; ``attempt`` counts sandboxes of the same pod."""

    name: str
    namespace: str
    uid: str
    attempt: int = 0


@dataclass(frozen=True, slots=True)
class DNSConfig:
    """The pod's resolver (CRI ``DNSConfig``): the runtime gives its containers an
    ``/etc/resolv.conf`` with these ``nameserver``, ``search`` and ``options`` lines."""

    servers: tuple[str, ...] = ()
    searches: tuple[str, ...] = ()
    options: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PodSandboxConfig:
    metadata: PodSandboxMetadata
    #: The containers' hostname ("" with ``host_network``: the node's).
    hostname: str = ""
    #: None: the runtime's own default (the node's resolver).
    dns_config: DNSConfig | None = None
    #: The pod shares the node's network and hostname (CRI ``NamespaceMode.NODE``).
    host_network: bool = False
    #: Where the containers' logs go (``<pod-logs-dir>/<ns>_<name>_<uid>``).
    log_directory: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PodSandboxStatus:
    id: str
    metadata: PodSandboxMetadata
    state: SandboxState
    created_at: float
    #: The pod's IP addresses (the node's, for a runtime that shares the node's network).
    ips: tuple[str, ...] = ()
    #: The directory the pod's containers run in (process runtime) or "".
    work_dir: str = ""
    log_directory: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Mount:
    """A host path seen at ``container_path`` (the volumes hook)."""

    container_path: str
    host_path: str
    readonly: bool = False


@dataclass(frozen=True, slots=True)
class LinuxResources:
    """cgroup settings (0: unset), as CRI's ``LinuxContainerResources``."""

    cpu_period: int = 0
    cpu_quota: int = 0
    cpu_shares: int = 0
    memory_limit_in_bytes: int = 0


@dataclass(frozen=True, slots=True)
class UserConfig:
    uid: int
    gid: int
    supplemental_groups: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class ContainerConfig:
    name: str
    attempt: int
    image: str
    command: Sequence[str] = ()
    args: Sequence[str] = ()
    working_dir: str = ""
    envs: Mapping[str, str] = field(default_factory=dict)
    mounts: Sequence[Mount] = ()
    #: Relative to the sandbox's ``log_directory``: ``<container>/<attempt>.log``.
    log_path: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    resources: LinuxResources = LinuxResources()
    user: UserConfig | None = None
    tty: bool = False
    stdin: bool = False
    #: Close the container's stdin once the first attached client with stdin leaves.
    stdin_once: bool = False


@dataclass(frozen=True, slots=True)
class ContainerStatus:
    id: str
    sandbox_id: str
    name: str
    attempt: int
    state: ContainerState
    created_at: float
    started_at: float = 0.0
    finished_at: float = 0.0
    exit_code: int = 0
    reason: str = ""
    message: str = ""
    image: str = ""
    image_ref: str = ""
    log_path: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ContainerEvent:
    """A container started or exited (``kind`` is ``started`` or ``exited``)."""

    container_id: str
    sandbox_id: str
    pod_uid: str
    kind: str


@dataclass(frozen=True, slots=True)
class ContainerStats:
    """A running container's use now (CRI ``ContainerStats``): cumulative CPU time and the
    memory it holds, sampled at ``timestamp`` (Unix seconds)."""

    container_id: str
    sandbox_id: str
    name: str
    timestamp: float
    cpu_usage_core_nanoseconds: int
    memory_working_set_bytes: int
    memory_usage_bytes: int
    memory_rss_bytes: int


@dataclass(frozen=True, slots=True)
class ExecResult:
    exit_code: int
    stdout: bytes
    stderr: bytes


class RuntimeService(Protocol):
    """What the kubelet needs from a container runtime (see the module docstring)."""

    #: The runtime's name, the scheme of container IDs (``process://<id>``).
    name: str

    def version(self) -> str:
        """The runtime's version (the node's ``containerRuntimeVersion`` is
        ``<name>://<version>``)."""
        ...

    async def start(self) -> None:
        """Connect (or load what is on disk) before any other call."""
        ...

    async def close(self) -> None:
        """Let go; running containers keep running."""
        ...

    async def run_pod_sandbox(self, config: PodSandboxConfig) -> str: ...
    async def stop_pod_sandbox(self, sandbox_id: str) -> None: ...
    async def remove_pod_sandbox(self, sandbox_id: str) -> None: ...
    async def pod_sandbox_status(self, sandbox_id: str) -> PodSandboxStatus: ...
    async def list_pod_sandboxes(self, *, pod_uid: str = "") -> list[PodSandboxStatus]: ...

    async def create_container(
        self, sandbox_id: str, config: ContainerConfig, sandbox_config: PodSandboxConfig
    ) -> str: ...
    async def start_container(self, container_id: str) -> None: ...
    async def stop_container(self, container_id: str, grace_period: float) -> None: ...
    async def remove_container(self, container_id: str) -> None: ...
    async def container_status(self, container_id: str) -> ContainerStatus: ...
    async def list_containers(
        self, *, sandbox_id: str = "", pod_uid: str = ""
    ) -> list[ContainerStatus]: ...

    async def list_container_stats(self) -> list[ContainerStats]:
        """The use of every running container (CRI ``ListContainerStats``)."""
        ...

    def known_container_status(self, container_id: str) -> ContainerStatus | None:
        """The container's status as the runtime knows it now, without waiting (None: no such
        container): for the streaming server's synchronous questions (log file, running)."""
        ...

    async def exec_sync(
        self, container_id: str, cmd: Sequence[str], *, timeout_seconds: float = 0
    ) -> ExecResult:
        """Run ``cmd`` in the container and collect its output (exec probes, hooks); after
        ``timeout_seconds`` (0: none) the command is killed and :class:`ExecTimeoutError`
        raised, as it is when the caller is cancelled."""
        ...

    def exec_command(self, container_id: str, cmd: Sequence[str]) -> list[str]:
        """The argv of a process that runs ``cmd`` inside the container in the foreground,
        for a caller that wires its stdio itself (``kubectl exec``, attach)."""
        ...

    def attach_address(self, container_id: str) -> str:
        """Where to attach to a running container's streams (CRI ``Attach``): an abstract
        Unix socket speaking :mod:`~kubeling.kubelet.runtime.attach`'s frames. Raises
        :class:`RuntimeServiceError` if the container is not running."""
        ...

    def subscribe(self, listener: Callable[[ContainerEvent], None]) -> None:
        """Call ``listener`` for every container start and exit from now on."""
        ...
