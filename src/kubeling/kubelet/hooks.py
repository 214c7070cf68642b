"""Container lifecycle hooks (postStart, preStop): what the kubelet's runtime manager calls.

:class:`~kubeling.kubelet.lifecycle_handlers.HandlerRunner` implements it; tests of the
runtime manager use fakes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

__all__ = ["LifecycleHooks"]


class LifecycleHooks(Protocol):
    async def post_start(
        self, pod: Mapping[str, Any], container: Mapping[str, Any], container_id: str
    ) -> str:
        """Run the container's postStart handler; "" on success, else the failure message
        (the kubelet then kills the container, as Kubernetes does)."""
        ...

    async def pre_stop(
        self,
        pod: Mapping[str, Any],
        container: Mapping[str, Any],
        container_id: str,
        grace_period: float,
    ) -> str:
        """Run the container's preStop handler within ``grace_period`` seconds; "" on
        success, else the failure message (the container is stopped either way)."""
        ...
