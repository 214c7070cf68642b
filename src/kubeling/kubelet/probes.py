"""What the kubelet asks of probes: the hook a probe manager plugs into.

The kubelet consults a :class:`ProbeResults` when it computes container statuses (``started``,
``ready``) and when it decides what to restart (a failed liveness or startup probe kills the
container). :class:`NoProbes` is a kubelet without a probe manager: a running container is
started and ready, and is never killed by a probe.
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


class NoProbes:
    """No probe manager: running containers are started and ready, and never fail a probe."""

    def started(self, pod: Mapping[str, Any], container: str, container_id: str) -> bool:
        return True

    def ready(self, pod: Mapping[str, Any], container: str, container_id: str) -> bool:
        return True

    def failed(self, pod: Mapping[str, Any], container: str, container_id: str) -> str:
        return ""
