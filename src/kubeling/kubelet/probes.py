"""What the kubelet asks of probes: the interface the probe manager implements.

The kubelet consults a :class:`ProbeResults` when it computes container statuses (``started``,
``ready``) and when it decides what to restart (a failed liveness or startup probe kills the
container), and tells it each pod's latest status (so that probes follow the containers) and
when a pod terminates. :class:`~kubeling.kubelet.prober.ProbeManager` is the real one;
:class:`NoProbes` (for tests of other parts) behaves as if no container had probes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

__all__ = ["NoProbes", "ProbeResults"]


class ProbeResults(Protocol):
    """Probe results of running containers; ``container_id`` is ``<runtime>://<id>``."""

    def started(self, pod: Mapping[str, Any], container: str, container_id: str) -> bool:
        """False while the container has a startup probe that has not yet succeeded."""
        ...

    def ready(self, pod: Mapping[str, Any], container: str, container_id: str) -> bool:
        """False while the container has a readiness probe that does not succeed."""
        ...

    def failed(self, pod: Mapping[str, Any], container: str, container_id: str) -> str:
        """``"liveness"`` or ``"startup"`` when that probe failed (the container must be
        restarted), else ``""``."""
        ...

    def update_pod(self, pod: Mapping[str, Any], status: Mapping[str, Any]) -> None:
        """The pod's latest status as the kubelet computed it (probes start, follow the
        containers' IDs, and stop with the pod)."""
        ...

    def stop_liveness_and_startup(self, pod: Mapping[str, Any]) -> None:
        """The pod is terminating: no container is restarted by a probe any more."""
        ...

    def remove_pod(self, pod: Mapping[str, Any]) -> None:
        """The pod's containers are stopped: stop every probe of it and forget it."""
        ...


class NoProbes:
    """No probe manager: running containers are started and ready, and never fail a probe."""

    def started(self, pod: Mapping[str, Any], container: str, container_id: str) -> bool:
        return True

    def ready(self, pod: Mapping[str, Any], container: str, container_id: str) -> bool:
        return True

    def failed(self, pod: Mapping[str, Any], container: str, container_id: str) -> str:
        return ""

    def update_pod(self, pod: Mapping[str, Any], status: Mapping[str, Any]) -> None:
        return None

    def stop_liveness_and_startup(self, pod: Mapping[str, Any]) -> None:
        return None

    def remove_pod(self, pod: Mapping[str, Any]) -> None:
        return None
