"""What the runtime says about one pod: its sandboxes and every container it still has.

The kubelet's ``kubecontainer.PodStatus``: sandboxes and containers newest first, so that the
first container of a name is its latest attempt and the second its previous one (``lastState``).
"""

from __future__ import annotations

from dataclasses import dataclass

from kubeling.kubelet.runtime.interface import (
    ContainerState,
    ContainerStatus,
    PodSandboxStatus,
    SandboxState,
)

__all__ = ["HASH_ANNOTATION", "PodRuntimeStatus"]

#: The annotation a container carries with its spec's digest (see ``podutil.container_hash``).
HASH_ANNOTATION = "io.kubernetes.container.hash"


@dataclass(frozen=True, slots=True)
class PodRuntimeStatus:
    uid: str
    sandboxes: tuple[PodSandboxStatus, ...]
    containers: tuple[ContainerStatus, ...]

    @classmethod
    def of(
        cls, uid: str, sandboxes: list[PodSandboxStatus], containers: list[ContainerStatus]
    ) -> PodRuntimeStatus:
        return cls(
            uid,
            tuple(sorted(sandboxes, key=lambda s: s.created_at, reverse=True)),
            tuple(sorted(containers, key=lambda c: c.created_at, reverse=True)),
        )

    @property
    def ips(self) -> tuple[str, ...]:
        """The IPs of the newest sandbox."""
        return self.sandboxes[0].ips if self.sandboxes else ()

    @property
    def ready_sandbox(self) -> PodSandboxStatus | None:
        """The newest sandbox if it is ready and the only ready one (else a new one is due)."""
        ready = [s for s in self.sandboxes if s.state is SandboxState.READY]
        if len(ready) != 1 or self.sandboxes[0] is not ready[0]:
            return None
        return ready[0]

    def find(self, name: str) -> ContainerStatus | None:
        """The latest container called ``name``."""
        for container in self.containers:
            if container.name == name:
                return container
        return None

    def attempts(self, name: str) -> list[ContainerStatus]:
        """Every container called ``name``, newest first."""
        return [c for c in self.containers if c.name == name]

    def running(self) -> list[ContainerStatus]:
        return [c for c in self.containers if c.state is ContainerState.RUNNING]
