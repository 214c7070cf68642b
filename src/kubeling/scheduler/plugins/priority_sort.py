"""PrioritySort: the active queue's order (the one QueueSort plugin).

Higher ``spec.priority`` first (the admission controller copies it from the pod's
PriorityClass; absent means 0); among equals, the pod that entered the queue first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from kubeling.scheduler.framework.interfaces import Handle, Plugin
from kubeling.scheduler.framework.types import QueuedPodInfo

__all__ = ["NAME", "PrioritySort", "new"]

NAME: Final = "PrioritySort"


class PrioritySort:
    """Orders pods by priority, then by queue timestamp."""

    name = NAME

    def less(self, a: QueuedPodInfo, b: QueuedPodInfo) -> bool:
        """Whether ``a`` goes before ``b``."""
        pa, pb = a.pod_info.priority, b.pod_info.priority
        return pa > pb or (pa == pb and a.timestamp < b.timestamp)


def new(args: Mapping[str, Any], handle: Handle) -> Plugin:
    """The factory registered under ``NAME``."""
    return PrioritySort()
