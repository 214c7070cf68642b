"""Node health decisions of the node lifecycle controller, without IO.

A node proves it is alive two ways: its kubelet renews the node's Lease in
``kube-node-lease`` (every 10 s) and rewrites the ``lastHeartbeatTime`` of its
``Ready`` condition. The controller keeps, per node, the local time it last saw
either change (the *probe timestamp*: its own clock, never the kubelet's).
When that is older than the grace period (``--node-monitor-grace-period``, 50 s
in Kubernetes 1.32; ``--node-startup-grace-period``, 60 s, for a node that never
posted a Ready condition), the kubelet-owned conditions ``Ready``,
``MemoryPressure``, ``DiskPressure`` and ``PIDPressure`` become ``Unknown``
(reason ``NodeStatusUnknown``, "Kubelet stopped posting node status."; or
``NodeStatusNeverUpdated`` for one never posted).

The rest of this module maps conditions to taints (``NoSchedule`` ones for
scheduling, the ``NoExecute`` ``not-ready``/``unreachable`` ones that evict),
and judges zones: a zone with no ready node is fully disrupted, one with more
than two and at least ``unhealthy_zone_threshold`` of its nodes not ready is
partially disrupted; that picks the rate at which nodes are tainted.
"""

from __future__ import annotations

import copy
import dataclasses
import enum
from collections.abc import Mapping, Sequence
from typing import Any, Final

from kubeling.api.taints import (
    NO_EXECUTE,
    NO_SCHEDULE,
    TAINT_NODE_DISK_PRESSURE,
    TAINT_NODE_MEMORY_PRESSURE,
    TAINT_NODE_NETWORK_UNAVAILABLE,
    TAINT_NODE_NOT_READY,
    TAINT_NODE_PID_PRESSURE,
    TAINT_NODE_UNREACHABLE,
    TAINT_NODE_UNSCHEDULABLE,
    same_taint,
)
from kubeling.controllers.pods import parse_time

__all__ = [
    "KUBELET_CONDITIONS",
    "NOT_READY_TAINT",
    "UNREACHABLE_TAINT",
    "HealthObservation",
    "NodeHealth",
    "ZoneState",
    "compute_zone_state",
    "excluded_from_disruption",
    "find_condition",
    "no_schedule_taint_changes",
    "observe_node_health",
    "reduced_qps",
    "zone_key",
]

Obj = dict[str, Any]

#: The taint that evicts from a node whose Ready condition is Unknown.
UNREACHABLE_TAINT: Final[Mapping[str, str]] = {"key": TAINT_NODE_UNREACHABLE, "effect": NO_EXECUTE}
#: The taint that evicts from a node whose Ready condition is False.
NOT_READY_TAINT: Final[Mapping[str, str]] = {"key": TAINT_NODE_NOT_READY, "effect": NO_EXECUTE}

#: The conditions the kubelet owns; NetworkUnavailable belongs to the network plugin.
KUBELET_CONDITIONS: Final = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")

#: condition type -> condition status -> the NoSchedule taint key it stands for.
_CONDITION_TAINTS: Final[Mapping[str, Mapping[str, str]]] = {
    "Ready": {"False": TAINT_NODE_NOT_READY, "Unknown": TAINT_NODE_UNREACHABLE},
    "MemoryPressure": {"True": TAINT_NODE_MEMORY_PRESSURE},
    "DiskPressure": {"True": TAINT_NODE_DISK_PRESSURE},
    "NetworkUnavailable": {"True": TAINT_NODE_NETWORK_UNAVAILABLE},
    "PIDPressure": {"True": TAINT_NODE_PID_PRESSURE},
}
_CONDITION_TAINT_KEYS: Final = frozenset(
    key for statuses in _CONDITION_TAINTS.values() for key in statuses.values()
)

_LABEL_ZONE: Final = "topology.kubernetes.io/zone"
_LABEL_REGION: Final = "topology.kubernetes.io/region"
_LABEL_BETA_ZONE: Final = "failure-domain.beta.kubernetes.io/zone"
_LABEL_BETA_REGION: Final = "failure-domain.beta.kubernetes.io/region"
#: A node with this label never counts towards its zone's health.
LABEL_EXCLUDE_DISRUPTION: Final = "node.kubernetes.io/exclude-disruption"


def find_condition(
    conditions: Sequence[Mapping[str, Any]] | None, condition_type: str
) -> Mapping[str, Any] | None:
    """The condition of ``condition_type`` in a status' conditions, if any."""
    for condition in conditions or ():
        if isinstance(condition, Mapping) and condition.get("type") == condition_type:
            return condition
    return None


def _epoch(value: object) -> float | None:
    moment = parse_time(value) if isinstance(value, str) else None
    return None if moment is None else moment.timestamp()


# -- node health ---------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class NodeHealth:
    """What the controller last saw of a node, and when (its own clock, epoch seconds)."""

    probe_timestamp: float
    ready_transition_timestamp: float
    #: The node's Ready condition when last seen (None: it had none).
    ready: Mapping[str, Any] | None
    #: The node's Lease when last seen renewed (None: not seen since the last reset).
    lease: Mapping[str, Any] | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class HealthObservation:
    """The outcome of looking at one node (``tryUpdateNodeHealth``)."""

    health: NodeHealth
    #: The Ready condition as the node carried it (a fake Unknown one if it had none).
    observed_ready: Mapping[str, Any]
    #: The Ready condition as it is now, after any change below (None: still none).
    current_ready: Mapping[str, Any] | None
    #: The status conditions to write, when the node went silent; None: nothing to write.
    conditions_to_write: list[Obj] | None
    #: What :attr:`health` becomes once those conditions are written.
    health_after_write: NodeHealth | None
    grace_period: float


def _renewed_after(saved: Mapping[str, Any], observed: Mapping[str, Any]) -> bool:
    """``saved.spec.renewTime.Before(observed.spec.renewTime)``: False if either is unset."""
    before = _epoch((saved.get("spec") or {}).get("renewTime"))
    after = _epoch((observed.get("spec") or {}).get("renewTime"))
    return before is not None and after is not None and before < after


def observe_node_health(
    node: Mapping[str, Any],
    saved: NodeHealth | None,
    lease: Mapping[str, Any] | None,
    *,
    now: float,
    now_text: str,
    grace_period: float,
    startup_grace_period: float,
) -> HealthObservation:
    """Update what is known of ``node`` and decide whether its conditions go Unknown.

    ``now`` is the controller's clock (epoch seconds) and ``now_text`` the same
    moment as a metav1.Time, for the conditions written.
    """
    meta = node.get("metadata") or {}
    created_text = meta.get("creationTimestamp")
    created = _epoch(created_text)
    if created is None:
        created = now
    conditions = list((node.get("status") or {}).get("conditions") or [])
    current_ready = find_condition(conditions, "Ready")
    if current_ready is None:
        # Never posted: judge it from its creation, with the startup grace period.
        observed_ready: Mapping[str, Any] = {
            "type": "Ready",
            "status": "Unknown",
            "lastHeartbeatTime": created_text,
            "lastTransitionTime": created_text,
        }
        period = startup_grace_period
        if saved is not None:
            saved = dataclasses.replace(saved, ready=None)
        else:
            saved = NodeHealth(
                probe_timestamp=created, ready_transition_timestamp=created, ready=None
            )
    else:
        observed_ready = copy.deepcopy(dict(current_ready))
        period = grace_period

    saved_ready = saved.ready if saved is not None else None
    saved_lease = saved.lease if saved is not None else None
    if saved is None or (saved_ready is None) != (current_ready is None):
        # first sight, a restarted controller, or a Ready condition removed
        health = NodeHealth(
            probe_timestamp=now, ready_transition_timestamp=now, ready=current_ready
        )
    elif (
        saved_ready is not None
        and current_ready is not None
        and saved_ready.get("lastHeartbeatTime") != current_ready.get("lastHeartbeatTime")
    ):
        transitioned = saved_ready.get("lastTransitionTime") != current_ready.get(
            "lastTransitionTime"
        )
        health = NodeHealth(
            probe_timestamp=now,
            ready_transition_timestamp=now if transitioned else saved.ready_transition_timestamp,
            ready=current_ready,
        )
    else:
        health = saved
    # A renewed Lease is always a sign of life, with or without status updates.
    if lease is not None and (saved_lease is None or _renewed_after(saved_lease, lease)):
        health = dataclasses.replace(health, lease=lease, probe_timestamp=now)

    if now <= health.probe_timestamp + period:
        return HealthObservation(health, observed_ready, current_ready, None, None, period)

    written = [dict(c) for c in conditions if isinstance(c, Mapping)]
    for condition_type in KUBELET_CONDITIONS:
        condition = next((c for c in written if c.get("type") == condition_type), None)
        if condition is None:
            written.append(
                {
                    "type": condition_type,
                    "status": "Unknown",
                    "lastHeartbeatTime": created_text,
                    "lastTransitionTime": now_text,
                    "reason": "NodeStatusNeverUpdated",
                    "message": "Kubelet never posted node status.",
                }
            )
        elif condition.get("status") != "Unknown":
            condition.update(
                status="Unknown",
                reason="NodeStatusUnknown",
                message="Kubelet stopped posting node status.",
                lastTransitionTime=now_text,
            )
    new_ready = find_condition(written, "Ready")
    if new_ready == observed_ready:
        return HealthObservation(health, observed_ready, new_ready, None, None, period)
    after = NodeHealth(
        probe_timestamp=health.probe_timestamp,
        ready_transition_timestamp=now,
        ready=new_ready,
        lease=lease,
    )
    return HealthObservation(health, observed_ready, new_ready, written, after, period)


# -- taints -------------------------------------------------------------------------


def _desired_no_schedule_taints(node: Mapping[str, Any]) -> list[Obj]:
    taints: list[Obj] = []
    for condition in (node.get("status") or {}).get("conditions") or ():
        if not isinstance(condition, Mapping):
            continue
        key = _CONDITION_TAINTS.get(str(condition.get("type")), {}).get(
            str(condition.get("status"))
        )
        if key:
            taints.append({"key": key, "effect": NO_SCHEDULE})
    if (node.get("spec") or {}).get("unschedulable") is True:
        taints.append({"key": TAINT_NODE_UNSCHEDULABLE, "effect": NO_SCHEDULE})
    return taints


def no_schedule_taint_changes(node: Mapping[str, Any]) -> tuple[list[Obj], list[Obj]]:
    """The NoSchedule taints to add and to remove so that the node's taints follow its
    conditions and ``spec.unschedulable`` (``doNoScheduleTaintingPass``).

    Only the taints this controller owns are considered: the condition taints
    and ``node.kubernetes.io/unschedulable``, with effect NoSchedule.
    """
    desired = _desired_no_schedule_taints(node)
    present = [
        taint
        for taint in (node.get("spec") or {}).get("taints") or ()
        if isinstance(taint, Mapping)
        and taint.get("effect") == NO_SCHEDULE
        and (
            taint.get("key") == TAINT_NODE_UNSCHEDULABLE
            or taint.get("key") in _CONDITION_TAINT_KEYS
        )
    ]
    to_add = [t for t in desired if not any(same_taint(t, p) for p in present)]
    to_remove = [dict(p) for p in present if not any(same_taint(p, t) for t in desired)]
    return to_add, to_remove


# -- zones ---------------------------------------------------------------------------


class ZoneState(enum.StrEnum):
    INITIAL = "Initial"
    NORMAL = "Normal"
    FULL_DISRUPTION = "FullDisruption"
    PARTIAL_DISRUPTION = "PartialDisruption"


def zone_key(node: Mapping[str, Any]) -> str:
    """The node's zone: region and zone labels (the beta ones as a fallback), "" without.

    >>> zone_key({"metadata": {"labels": {"topology.kubernetes.io/zone": "a"}}})
    ':\\x00:a'
    """
    node_labels = (node.get("metadata") or {}).get("labels") or {}
    zone = node_labels.get(_LABEL_ZONE, node_labels.get(_LABEL_BETA_ZONE, ""))
    region = node_labels.get(_LABEL_REGION, node_labels.get(_LABEL_BETA_REGION, ""))
    if not region and not zone:
        return ""
    # the NUL keeps "a:b" + "c" apart from "a" + "b:c", as upstream's key does
    return f"{region}:\x00:{zone}"


def excluded_from_disruption(node: Mapping[str, Any]) -> bool:
    """Nodes labelled ``node.kubernetes.io/exclude-disruption`` do not count in zone health."""
    return LABEL_EXCLUDE_DISRUPTION in ((node.get("metadata") or {}).get("labels") or {})


def compute_zone_state(
    ready_conditions: Sequence[Mapping[str, Any] | None], unhealthy_threshold: float
) -> tuple[int, ZoneState]:
    """(not-ready nodes, state) of one zone from its nodes' Ready conditions.

    >>> compute_zone_state([{"status": "False"}], 0.55)
    (1, <ZoneState.FULL_DISRUPTION: 'FullDisruption'>)
    """
    ready = sum(1 for c in ready_conditions if c is not None and c.get("status") == "True")
    not_ready = len(ready_conditions) - ready
    if ready == 0 and not_ready > 0:
        return not_ready, ZoneState.FULL_DISRUPTION
    if not_ready > 2 and not_ready / (not_ready + ready) >= unhealthy_threshold:
        return not_ready, ZoneState.PARTIAL_DISRUPTION
    return not_ready, ZoneState.NORMAL


def reduced_qps(zone_size: int, *, large_cluster_threshold: int, secondary_qps: float) -> float:
    """The tainting rate of a partially disrupted zone: the secondary rate in a large
    zone, none at all in a small one (``ReducedQPSFunc``)."""
    return secondary_qps if zone_size > large_cluster_threshold else 0.0
