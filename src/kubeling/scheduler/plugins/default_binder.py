"""DefaultBinder: bind the pod with the ``pods/binding`` subresource.

Bind asks the ``Binder`` port to ``POST .../pods/{name}/binding``; a failure (the pod
was deleted, or is already bound) is an error and the scheduler retries the pod with
back-off unless it is gone or bound.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from kubeling.scheduler.framework.cycle_state import CycleState
from kubeling.scheduler.framework.interfaces import Handle, Plugin
from kubeling.scheduler.framework.status import Status, success
from kubeling.scheduler.framework.types import PodInfo

__all__ = ["NAME", "DefaultBinder", "new"]

NAME: Final = "DefaultBinder"


class DefaultBinder:
    """Binds through the API."""

    name = NAME

    def __init__(self, handle: Handle) -> None:
        """Bind through ``handle.effects.binder``."""
        self._handle = handle

    async def bind(self, state: CycleState, pod: PodInfo, node_name: str) -> Status:
        """Post the binding; an exception is turned into an error status by the framework."""
        await self._handle.effects.binder.bind(
            namespace=pod.namespace, name=pod.name, uid=pod.uid, node_name=node_name
        )
        return success()


def new(args: Mapping[str, Any], handle: Handle) -> Plugin:
    """The factory registered under ``NAME``."""
    return DefaultBinder(handle)
