"""Container lifecycle hooks (postStart, preStop): the hook a handler runner plugs into.

:class:`LifecycleHooks` is what the kubelet calls; :class:`UnsupportedHooks` is a kubelet
without a runner: it raises :class:`HooksNotSupported`, and the kubelet records a Warning
Event saying the hook was not run (so that nobody believes it was) and carries on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

__all__ = ["HooksNotSupported", "LifecycleHooks", "UnsupportedHooks"]


class HooksNotSupported(Exception):
    """This kubelet cannot run lifecycle hooks."""

    def __init__(self) -> None:
        super().__init__("lifecycle hooks are not supported by this kubelet yet: not run")


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


class UnsupportedHooks:
    """No handler runner: every declared hook is reported as not run."""

    async def post_start(
        self, pod: Mapping[str, Any], container: Mapping[str, Any], container_id: str
    ) -> str:
        raise HooksNotSupported

    async def pre_stop(
        self,
        pod: Mapping[str, Any],
        container: Mapping[str, Any],
        container_id: str,
        grace_period: float,
    ) -> str:
        raise HooksNotSupported
