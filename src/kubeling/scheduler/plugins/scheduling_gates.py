"""SchedulingGates: a pod with ``spec.schedulingGates`` waits outside the active queue.

PreEnqueue only. The gates can only be removed, never added, so the one event that
can release the pod is an update of the pod itself that removes the last gate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from kubeling.scheduler.framework.events import (
    ActionType,
    ClusterEvent,
    ClusterEventWithHint,
    EventResource,
    QueueingHint,
)
from kubeling.scheduler.framework.interfaces import Handle, Plugin
from kubeling.scheduler.framework.status import Status, success
from kubeling.scheduler.framework.types import Obj, PodInfo, pod_key

__all__ = ["NAME", "SchedulingGates", "new"]

NAME: Final = "SchedulingGates"


class SchedulingGates:
    """Holds gated pods back."""

    name = NAME

    def pre_enqueue(self, pod: PodInfo) -> Status:
        """Reject while any gate remains, naming them as upstream does."""
        if not pod.scheduling_gates:
            return success()
        names = " ".join(str(gate.get("name", "")) for gate in pod.scheduling_gates)
        return Status.unresolvable(f"waiting for scheduling gates: [{names}]")

    def events_to_register(self) -> Sequence[ClusterEventWithHint]:
        """Only the pod's own update that removes its last gate."""
        event = ClusterEvent(
            EventResource.UNSCHEDULED_POD, ActionType.UPDATE_POD_SCHEDULING_GATES_ELIMINATED
        )
        return [ClusterEventWithHint(event, _is_this_pod)]


def _is_this_pod(pod: Obj, old: Obj | None, new: Obj | None) -> QueueingHint:
    if new is not None and pod_key(new) == pod_key(pod):
        return QueueingHint.QUEUE
    return QueueingHint.SKIP


def new(args: Mapping[str, Any], handle: Handle) -> Plugin:
    """The factory registered under ``NAME``."""
    return SchedulingGates()
