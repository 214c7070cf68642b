"""Cluster events: what changed in the cluster, in terms plugins can subscribe to.

A pod that failed stays in the unschedulable pool until something happens that one of
the plugins that rejected it declared could help (its ``events_to_register``); a
queueing hint, when the plugin gives one, then looks at the actual change and says
``QUEUE`` or ``SKIP`` (upstream's QueueingHint, on by default in 1.32).

Updates are split into the kinds of change the plugins care about, as upstream's
``NodeSchedulingPropertiesChange`` and ``PodSchedulingPropertiesChange`` do: a node
update may be an allocatable change, a label change, a taint change (a cordon counts
as one), a condition change, an annotation change; a pod update a label change, a
scale-down, a toleration change, the removal of its last scheduling gate, or
anything else.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubeling.scheduler.framework.resources import pod_requests

__all__ = [
    "ActionType",
    "ClusterEvent",
    "ClusterEventWithHint",
    "EventResource",
    "QueueingHint",
    "QueueingHintFn",
    "assigned_pod_may_matter",
    "node_update_events",
    "pod_update_events",
]

Obj = Mapping[str, Any]


class EventResource(enum.StrEnum):
    """The kind of object an event is about."""

    # Registered by plugins: matches assigned and unscheduled pods alike.
    POD = "Pod"
    # Emitted: a pod bound to a node, or one still waiting to be scheduled.
    ASSIGNED_POD = "AssignedPod"
    UNSCHEDULED_POD = "UnscheduledPod"
    NODE = "Node"
    PERSISTENT_VOLUME_CLAIM = "PersistentVolumeClaim"
    PERSISTENT_VOLUME = "PersistentVolume"
    STORAGE_CLASS = "storage.k8s.io/StorageClass"
    NAMESPACE = "Namespace"
    # Emitted on timers, not by the API: matches every pod.
    WILDCARD = "*"


class ActionType(enum.IntFlag):
    """What happened to the object; updates are split by what changed."""

    ADD = enum.auto()
    DELETE = enum.auto()
    UPDATE_NODE_ALLOCATABLE = enum.auto()
    UPDATE_NODE_LABEL = enum.auto()
    UPDATE_NODE_TAINT = enum.auto()
    UPDATE_NODE_CONDITION = enum.auto()
    UPDATE_NODE_ANNOTATION = enum.auto()
    UPDATE_POD_LABEL = enum.auto()
    UPDATE_POD_SCALE_DOWN = enum.auto()
    UPDATE_POD_TOLERATION = enum.auto()
    UPDATE_POD_SCHEDULING_GATES_ELIMINATED = enum.auto()
    # Any other update (and every update of a kind not split further).
    UPDATE_OTHER = enum.auto()
    UPDATE = (
        UPDATE_NODE_ALLOCATABLE
        | UPDATE_NODE_LABEL
        | UPDATE_NODE_TAINT
        | UPDATE_NODE_CONDITION
        | UPDATE_NODE_ANNOTATION
        | UPDATE_POD_LABEL
        | UPDATE_POD_SCALE_DOWN
        | UPDATE_POD_TOLERATION
        | UPDATE_POD_SCHEDULING_GATES_ELIMINATED
        | UPDATE_OTHER
    )
    ALL = ADD | DELETE | UPDATE


@dataclass(frozen=True, slots=True)
class ClusterEvent:
    """A (resource, action) pair, registered by plugins or emitted by the scheduler."""

    resource: EventResource
    action: ActionType
    label: str = ""

    def covers(self, emitted: ClusterEvent) -> bool:
        """Whether this registered event matches an emitted one.

        >>> ClusterEvent(EventResource.POD, ActionType.DELETE).covers(
        ...     ClusterEvent(EventResource.ASSIGNED_POD, ActionType.DELETE))
        True
        """
        if emitted.resource is EventResource.WILDCARD:
            return True
        if self.resource is EventResource.WILDCARD:
            resource_ok = True
        elif self.resource is EventResource.POD:
            resource_ok = emitted.resource in (
                EventResource.POD,
                EventResource.ASSIGNED_POD,
                EventResource.UNSCHEDULED_POD,
            )
        else:
            resource_ok = self.resource is emitted.resource
        return resource_ok and bool(self.action & emitted.action)


class QueueingHint(enum.Enum):
    """A plugin's verdict on whether an event may make a rejected pod schedulable."""

    SKIP = "Skip"
    QUEUE = "Queue"


# (pod waiting, old object or None, new object or None) -> verdict.
QueueingHintFn = Callable[[Obj, Obj | None, Obj | None], QueueingHint]


@dataclass(frozen=True, slots=True)
class ClusterEventWithHint:
    """A registered event and the optional hint that refines it."""

    event: ClusterEvent
    hint: QueueingHintFn | None = None


def _conditions(node: Obj) -> dict[str, str]:
    conditions: Sequence[Obj] = (node.get("status") or {}).get("conditions") or ()
    return {str(c.get("type")): str(c.get("status")) for c in conditions}


def node_update_events(old: Obj, new: Obj) -> list[ClusterEvent]:
    """The kinds of change between two versions of a node.

    >>> old = {"metadata": {"labels": {}}, "spec": {}}
    >>> new = {"metadata": {"labels": {"zone": "a"}}, "spec": {"unschedulable": True}}
    >>> [e.action.name for e in node_update_events(old, new)]
    ['UPDATE_NODE_TAINT', 'UPDATE_NODE_LABEL']
    """
    old_meta: Obj = old.get("metadata") or {}
    new_meta: Obj = new.get("metadata") or {}
    old_spec: Obj = old.get("spec") or {}
    new_spec: Obj = new.get("spec") or {}
    actions: list[ActionType] = []
    if bool(old_spec.get("unschedulable")) != bool(new_spec.get("unschedulable")):
        actions.append(ActionType.UPDATE_NODE_TAINT)
    old_alloc = (old.get("status") or {}).get("allocatable") or {}
    new_alloc = (new.get("status") or {}).get("allocatable") or {}
    if old_alloc != new_alloc:
        actions.append(ActionType.UPDATE_NODE_ALLOCATABLE)
    if (old_meta.get("labels") or {}) != (new_meta.get("labels") or {}):
        actions.append(ActionType.UPDATE_NODE_LABEL)
    taints_changed = (old_spec.get("taints") or []) != (new_spec.get("taints") or [])
    if taints_changed and ActionType.UPDATE_NODE_TAINT not in actions:
        actions.append(ActionType.UPDATE_NODE_TAINT)
    if _conditions(old) != _conditions(new):
        actions.append(ActionType.UPDATE_NODE_CONDITION)
    if (old_meta.get("annotations") or {}) != (new_meta.get("annotations") or {}):
        actions.append(ActionType.UPDATE_NODE_ANNOTATION)
    return [ClusterEvent(EventResource.NODE, action) for action in actions]


def _scaled_down(old: Obj, new: Obj) -> bool:
    before = pod_requests(old.get("spec") or {})
    after = pod_requests(new.get("spec") or {})
    return any(after.get(name, 0) < value for name, value in before.items())


def pod_update_events(old: Obj, new: Obj) -> list[ClusterEvent]:
    """The kinds of change between two versions of a pod (``UPDATE_OTHER`` if none).

    >>> old = {"metadata": {"labels": {"a": "1"}}, "spec": {"schedulingGates": [{"name": "g"}]}}
    >>> new = {"metadata": {"labels": {"a": "2"}}, "spec": {}}
    >>> [e.action.name for e in pod_update_events(old, new)]
    ['UPDATE_POD_LABEL', 'UPDATE_POD_SCHEDULING_GATES_ELIMINATED']
    """
    resource = (
        EventResource.ASSIGNED_POD
        if (new.get("spec") or {}).get("nodeName")
        else EventResource.UNSCHEDULED_POD
    )
    old_spec: Obj = old.get("spec") or {}
    new_spec: Obj = new.get("spec") or {}
    actions: list[ActionType] = []
    if ((old.get("metadata") or {}).get("labels") or {}) != (
        (new.get("metadata") or {}).get("labels") or {}
    ):
        actions.append(ActionType.UPDATE_POD_LABEL)
    if _scaled_down(old, new):
        actions.append(ActionType.UPDATE_POD_SCALE_DOWN)
    if old_spec.get("schedulingGates") and not new_spec.get("schedulingGates"):
        actions.append(ActionType.UPDATE_POD_SCHEDULING_GATES_ELIMINATED)
    if (old_spec.get("tolerations") or []) != (new_spec.get("tolerations") or []):
        actions.append(ActionType.UPDATE_POD_TOLERATION)
    if not actions:
        actions.append(ActionType.UPDATE_OTHER)
    return [ClusterEvent(resource, action) for action in actions]


def assigned_pod_may_matter(pod: Obj, old: Obj | None, new: Obj | None) -> QueueingHint:
    """A hint for plugins that count other pods by their labels (spreading, affinity).

    Only bound pods are counted, so a change to a pod still waiting (including the
    scheduler's own status updates) cannot help; neither can an update that leaves the
    labels alone (a pod's affinity and namespace are immutable). A bound pod appearing,
    leaving, or being relabelled may.

    >>> bound = {"metadata": {"labels": {"a": "1"}}, "spec": {"nodeName": "n"}}
    >>> hint = assigned_pod_may_matter
    >>> hint({}, bound, bound).name, hint({}, None, bound).name
    ('SKIP', 'QUEUE')
    """
    for changed in (old, new):
        if changed is not None and not (changed.get("spec") or {}).get("nodeName"):
            return QueueingHint.SKIP
    if old is not None and new is not None:
        old_labels = (old.get("metadata") or {}).get("labels") or {}
        if old_labels == ((new.get("metadata") or {}).get("labels") or {}):
            return QueueingHint.SKIP
    return QueueingHint.QUEUE
