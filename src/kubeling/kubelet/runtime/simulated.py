"""The ``simulated`` runtime: containers that run no process, for nodes by the thousand.

It implements :class:`~kubeling.kubelet.runtime.interface.RuntimeService` entirely in memory,
so that the kubelet's real logic (pod workers, actions, back-off, status, phases, conditions,
restart counts) drives pods on nodes that have no containers to run (``kubeling simulate``,
``kubeling kubelet --runtime simulated``). What a container does is decided by
:class:`SimulationOptions`, overridable per pod by annotations:

- it **starts** ``start_delay`` seconds after the kubelet asks (``start_container`` takes that
  long, as pulling and starting a real container does) — annotation
  ``simulate.kubeling.io/start-delay``;
- it **runs** until it is stopped, or, when ``exit_after`` > 0, exits by itself after running
  that long with ``exit_code`` (0: ``Completed``, else ``Error``) — annotations
  ``simulate.kubeling.io/exit-after`` and ``simulate.kubeling.io/exit-code``;
- with probability ``failure_rate`` a run **crashes** instead: exit code ``failure_exit_code``
  (``Error``) ``failure_after`` seconds after it started — annotation
  ``simulate.kubeling.io/failure-rate``;
- **stopping** it is immediate: it exits with 0 (``Completed``), as an application that
  handles SIGTERM does.

Durations are seconds (``0.5``) or Go-style durations (``500ms``, ``2s``, ``1m``). Pod
sandboxes get IPs of their own from the node's ``pod_ip_prefix`` (``10.128.0.`` gives
``10.128.0.1`` to ``10.128.0.254``). ``exec_sync`` (exec probes, hooks) succeeds with no
output; there are no logs and nothing to attach to. State lives as long as the runtime object:
a kubelet restarted on the same object (a simulated node that comes back) finds its containers
again, still running.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kubeling import __version__
from kubeling.api.protobuf import parse_go_duration
from kubeling.kubelet.runtime.interface import (
    ContainerConfig,
    ContainerEvent,
    ContainerState,
    ContainerStats,
    ContainerStatus,
    ExecResult,
    NotFoundError,
    PodSandboxConfig,
    PodSandboxMetadata,
    PodSandboxStatus,
    RuntimeServiceError,
    SandboxState,
)

__all__ = [
    "ANNOTATION_PREFIX",
    "SimulatedRuntime",
    "SimulationOptions",
    "parse_duration",
]

#: Pod annotations that override :class:`SimulationOptions` for one pod.
ANNOTATION_PREFIX: Final = "simulate.kubeling.io/"


def parse_duration(text: str) -> float:
    """Seconds of ``2.5`` or of a Go duration (``500ms``, ``1m30s``); ValueError otherwise.

    >>> parse_duration("0.5"), parse_duration("500ms"), parse_duration("1m30s")
    (0.5, 0.5, 90.0)
    """
    text = text.strip()
    try:
        seconds = float(text)
    except ValueError:
        seconds = parse_go_duration(text) / 1e9
    if not seconds >= 0:
        raise ValueError(f"invalid duration {text!r}: must not be negative")
    return seconds


@dataclass(frozen=True, slots=True)
class SimulationOptions:
    """What simulated containers do (see the module docstring)."""

    start_delay: float = 0.5
    #: Seconds a container runs before it exits by itself; 0: until it is stopped.
    exit_after: float = 0.0
    exit_code: int = 0
    #: The probability that a container's run crashes.
    failure_rate: float = 0.0
    failure_exit_code: int = 1
    #: Seconds a crashing container runs before it exits.
    failure_after: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.failure_rate <= 1.0:
            raise ValueError(f"failure rate {self.failure_rate} is not between 0 and 1")
        if min(self.start_delay, self.exit_after, self.failure_after) < 0:
            raise ValueError("durations must not be negative")

    def for_pod(self, annotations: Mapping[str, str]) -> SimulationOptions:
        """These options with a pod's ``simulate.kubeling.io/*`` annotations applied; an
        annotation that does not parse is ignored (the pod runs with the defaults)."""
        values: dict[str, Any] = {}
        for key, field_name, parse in _OVERRIDES:
            text = annotations.get(ANNOTATION_PREFIX + key)
            if text is None:
                continue
            try:
                values[field_name] = parse(text)
            except ValueError:
                continue
        if not values:
            return self
        try:
            return dataclasses.replace(self, **values)
        except ValueError:
            return self


_OVERRIDES: Final[tuple[tuple[str, str, Callable[[str], float | int]], ...]] = (
    ("start-delay", "start_delay", parse_duration),
    ("exit-after", "exit_after", parse_duration),
    ("exit-code", "exit_code", int),
    ("failure-rate", "failure_rate", float),
)


class _Sandbox:
    __slots__ = ("annotations", "container_ids", "created_at", "id", "ip", "metadata", "state")

    def __init__(
        self, sandbox_id: str, metadata: PodSandboxMetadata, created_at: float, ip: str
    ) -> None:
        self.id = sandbox_id
        self.metadata = metadata
        self.created_at = created_at
        self.ip = ip
        self.state = SandboxState.READY
        self.container_ids: list[str] = []
        self.annotations: Mapping[str, str] = {}


class _Container:
    __slots__ = (
        "annotations",
        "attempt",
        "created_at",
        "exit_code",
        "finished_at",
        "id",
        "image",
        "labels",
        "name",
        "reason",
        "sandbox",
        "started_at",
        "state",
        "timer",
    )

    def __init__(self, container_id: str, sandbox: _Sandbox, config: ContainerConfig) -> None:
        self.id = container_id
        self.sandbox = sandbox
        self.name = config.name
        self.attempt = config.attempt
        self.image = config.image
        self.labels = config.labels
        self.annotations = config.annotations
        self.state = ContainerState.CREATED
        self.created_at = 0.0
        self.started_at = 0.0
        self.finished_at = 0.0
        self.exit_code = 0
        self.reason = ""
        self.timer: asyncio.TimerHandle | None = None

    def status(self) -> ContainerStatus:
        return ContainerStatus(
            id=self.id,
            sandbox_id=self.sandbox.id,
            name=self.name,
            attempt=self.attempt,
            state=self.state,
            created_at=self.created_at,
            started_at=self.started_at,
            finished_at=self.finished_at,
            exit_code=self.exit_code,
            reason=self.reason,
            image=self.image,
            image_ref=self.image,
            labels=self.labels,
            annotations=self.annotations,
        )


class SimulatedRuntime:
    """An in-memory :class:`RuntimeService` (see the module docstring)."""

    name = "simulated"

    def __init__(
        self,
        options: SimulationOptions = SimulationOptions(),
        *,
        pod_ip_prefix: str = "10.128.0.",
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.options = options
        self.pod_ip_prefix = pod_ip_prefix
        self._clock = clock
        self._last_time = 0.0
        self._rng = rng or random.Random()
        self._ids = itertools.count(1)
        self._sandboxes: dict[str, _Sandbox] = {}
        self._containers: dict[str, _Container] = {}
        #: pod uid → its sandboxes, oldest first.
        self._by_pod: dict[str, list[_Sandbox]] = {}
        self._ips_in_use: set[int] = set()
        self._next_ip = 1
        self._listeners: list[Callable[[ContainerEvent], None]] = []

    def version(self) -> str:
        return __version__

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        """Nothing to let go of: containers keep "running" in this object."""
        return None

    def subscribe(self, listener: Callable[[ContainerEvent], None]) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[ContainerEvent], None]) -> None:
        """Stop calling ``listener`` (a kubelet that stops while the runtime lives on)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    # -- time, ids, addresses ------------------------------------------------------------------

    def _now(self) -> float:
        # Strictly increasing: the kubelet orders sandboxes and containers by creation time.
        self._last_time = max(self._clock(), self._last_time + 1e-6)
        return self._last_time

    def _new_id(self) -> str:
        return f"{next(self._ids):016x}"

    def _allocate_ip(self) -> str:
        for _ in range(254):
            host, self._next_ip = self._next_ip, self._next_ip % 254 + 1
            if host not in self._ips_in_use:
                self._ips_in_use.add(host)
                return f"{self.pod_ip_prefix}{host}"
        raise RuntimeServiceError(f"no free pod IP left in {self.pod_ip_prefix}0/24")

    def _release_ip(self, ip: str) -> None:
        if ip.startswith(self.pod_ip_prefix):
            self._ips_in_use.discard(int(ip[len(self.pod_ip_prefix) :]))

    # -- sandboxes -----------------------------------------------------------------------------

    async def run_pod_sandbox(self, config: PodSandboxConfig) -> str:
        sandbox = _Sandbox(self._new_id(), config.metadata, self._now(), self._allocate_ip())
        sandbox.annotations = config.annotations
        self._sandboxes[sandbox.id] = sandbox
        self._by_pod.setdefault(config.metadata.uid, []).append(sandbox)
        return sandbox.id

    def _sandbox(self, sandbox_id: str) -> _Sandbox:
        sandbox = self._sandboxes.get(sandbox_id)
        if sandbox is None:
            raise NotFoundError(f"pod sandbox {sandbox_id} not found")
        return sandbox

    async def stop_pod_sandbox(self, sandbox_id: str) -> None:
        sandbox = self._sandboxes.get(sandbox_id)
        if sandbox is None:
            return
        for container_id in sandbox.container_ids:
            self._stop(self._containers[container_id])
        if sandbox.state is SandboxState.READY:
            sandbox.state = SandboxState.NOTREADY
            self._release_ip(sandbox.ip)

    async def remove_pod_sandbox(self, sandbox_id: str) -> None:
        sandbox = self._sandboxes.pop(sandbox_id, None)
        if sandbox is None:
            return
        for container_id in sandbox.container_ids:
            container = self._containers.pop(container_id)
            self._stop(container)
        if sandbox.state is SandboxState.READY:
            self._release_ip(sandbox.ip)
        siblings = self._by_pod.get(sandbox.metadata.uid, [])
        if sandbox in siblings:
            siblings.remove(sandbox)
        if not siblings:
            self._by_pod.pop(sandbox.metadata.uid, None)

    def _sandbox_status(self, sandbox: _Sandbox) -> PodSandboxStatus:
        return PodSandboxStatus(
            id=sandbox.id,
            metadata=sandbox.metadata,
            state=sandbox.state,
            created_at=sandbox.created_at,
            ips=(sandbox.ip,),
            annotations=sandbox.annotations,
        )

    async def pod_sandbox_status(self, sandbox_id: str) -> PodSandboxStatus:
        return self._sandbox_status(self._sandbox(sandbox_id))

    async def list_pod_sandboxes(self, *, pod_uid: str = "") -> list[PodSandboxStatus]:
        sandboxes = self._by_pod.get(pod_uid, []) if pod_uid else self._sandboxes.values()
        return [self._sandbox_status(s) for s in sandboxes]

    # -- containers ----------------------------------------------------------------------------

    async def create_container(
        self, sandbox_id: str, config: ContainerConfig, sandbox_config: PodSandboxConfig
    ) -> str:
        sandbox = self._sandbox(sandbox_id)
        if sandbox.state is not SandboxState.READY:
            raise RuntimeServiceError(f"pod sandbox {sandbox_id} is not ready")
        container = _Container(self._new_id(), sandbox, config)
        container.created_at = self._now()
        self._containers[container.id] = container
        sandbox.container_ids.append(container.id)
        return container.id

    def _container(self, container_id: str) -> _Container:
        container = self._containers.get(container_id)
        if container is None:
            raise NotFoundError(f"container {container_id} not found")
        return container

    async def start_container(self, container_id: str) -> None:
        """Start the container, which takes ``start_delay``; then schedule its exit, if any."""
        container = self._container(container_id)
        if container.state is not ContainerState.CREATED:
            raise RuntimeServiceError(f"container {container_id} is not in the created state")
        options = self.options.for_pod(container.sandbox.annotations)
        if options.start_delay > 0:
            await asyncio.sleep(options.start_delay)
        if container.state is not ContainerState.CREATED:
            # Stopped or removed while it was starting: it never ran.
            raise RuntimeServiceError(f"container {container_id} was stopped while starting")
        container.state = ContainerState.RUNNING
        container.started_at = self._now()
        crashes = options.failure_rate > 0 and self._rng.random() < options.failure_rate
        if crashes:
            self._exit_later(container, options.failure_after, options.failure_exit_code)
        elif options.exit_after > 0:
            self._exit_later(container, options.exit_after, options.exit_code)
        self._notify(container, "started")

    def _exit_later(self, container: _Container, seconds: float, code: int) -> None:
        loop = asyncio.get_running_loop()
        container.timer = loop.call_later(seconds, self._exit, container, code)

    def _exit(self, container: _Container, code: int) -> None:
        """The container's process ends with ``code``."""
        container.timer = None
        if container.state is not ContainerState.RUNNING:
            return
        container.state = ContainerState.EXITED
        container.finished_at = self._now()
        container.exit_code = code
        container.reason = "Completed" if code == 0 else "Error"
        self._notify(container, "exited")

    def _stop(self, container: _Container) -> None:
        if container.timer is not None:
            container.timer.cancel()
            container.timer = None
        if container.state is ContainerState.CREATED:
            container.state = ContainerState.EXITED
            container.finished_at = self._now()
            container.exit_code = 0
            container.reason = "Completed"
        elif container.state is ContainerState.RUNNING:
            self._exit(container, 0)

    async def stop_container(self, container_id: str, grace_period: float) -> None:
        """Exit now with 0: a simulated application stops as soon as it is asked."""
        self._stop(self._container(container_id))

    async def remove_container(self, container_id: str) -> None:
        container = self._containers.get(container_id)
        if container is None:
            return
        if container.state is ContainerState.RUNNING:
            raise RuntimeServiceError(f"container {container_id} is running: stop it first")
        del self._containers[container_id]
        ids = container.sandbox.container_ids
        if container_id in ids:
            ids.remove(container_id)

    async def container_status(self, container_id: str) -> ContainerStatus:
        return self._container(container_id).status()

    async def list_containers(
        self, *, sandbox_id: str = "", pod_uid: str = ""
    ) -> list[ContainerStatus]:
        if sandbox_id:
            sandboxes = [self._sandboxes[sandbox_id]] if sandbox_id in self._sandboxes else []
        elif pod_uid:
            sandboxes = self._by_pod.get(pod_uid, [])
        else:
            return [c.status() for c in self._containers.values()]
        return [self._containers[i].status() for s in sandboxes for i in s.container_ids]

    def known_container_status(self, container_id: str) -> ContainerStatus | None:
        container = self._containers.get(container_id)
        return None if container is None else container.status()

    async def exec_sync(
        self, container_id: str, cmd: Sequence[str], *, timeout_seconds: float = 0
    ) -> ExecResult:
        """Every command succeeds, with no output (exec probes and hooks pass)."""
        container = self._container(container_id)
        if container.state is not ContainerState.RUNNING:
            raise RuntimeServiceError(f"container {container_id} is not running")
        return ExecResult(0, b"", b"")

    def exec_command(self, container_id: str, cmd: Sequence[str]) -> list[str]:
        raise RuntimeServiceError("the simulated runtime runs no processes: nothing to exec into")

    def attach_address(self, container_id: str) -> str:
        raise RuntimeServiceError("the simulated runtime runs no processes: nothing to attach to")

    async def list_container_stats(self) -> list[ContainerStats]:
        """Running containers use nothing: no process runs."""
        now = self._now()
        return [
            ContainerStats(
                container_id=container_id,
                sandbox_id=container.sandbox.id,
                name=container.name,
                timestamp=now,
                cpu_usage_core_nanoseconds=0,
                memory_working_set_bytes=0,
                memory_usage_bytes=0,
                memory_rss_bytes=0,
            )
            for container_id, container in self._containers.items()
            if container.state is ContainerState.RUNNING
        ]

    def _notify(self, container: _Container, kind: str) -> None:
        event = ContainerEvent(
            container.id, container.sandbox.id, container.sandbox.metadata.uid, kind
        )
        for listener in list(self._listeners):
            listener(event)

    def statistics(self) -> dict[str, int]:
        """How many sandboxes and containers (running ones apart) the runtime holds."""
        running = sum(1 for c in self._containers.values() if c.state is ContainerState.RUNNING)
        return {
            "sandboxes": len(self._sandboxes),
            "containers": len(self._containers),
            "running": running,
        }
