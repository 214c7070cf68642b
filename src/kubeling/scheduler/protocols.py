"""Everything the scheduler asks of the outside world, as small Protocols.

The scheduler core never talks to the API server itself: it decides, then asks one
of these to act. An adapter over ``kubeling.client`` implements them with real API
calls; tests implement them with fakes that record what was asked. All of them
receive plain values or the pod objects (JSON as the API returned it).

Failures: ``bind`` and ``pre-bind`` steps raise on failure (the pod is retried with
back-off). ``patch_pod_status`` and ``delete_pod`` treat a pod that no longer exists
as success; any other failure raises and is logged, as upstream does.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "Binder",
    "ClaimAnnotator",
    "Clock",
    "EventRecorder",
    "PodDeleter",
    "PodStatusPatcher",
    "SideEffects",
    "SystemClock",
]


class Binder(Protocol):
    """Binds a pod to a node: ``POST /api/v1/namespaces/{ns}/pods/{name}/binding``."""

    async def bind(self, *, namespace: str, name: str, uid: str, node_name: str) -> None:
        """Send ``{"kind": "Binding", "metadata": {name, uid}, "target": {"kind": "Node",
        "name": node_name}}``; raise if the API refuses it (e.g. 409, already bound)."""
        ...


class PodStatusPatcher(Protocol):
    """Patches a pod's status subresource (``PATCH .../pods/{name}/status``)."""

    async def patch_pod_status(
        self,
        *,
        namespace: str,
        name: str,
        condition: Mapping[str, Any] | None = None,
        nominated_node_name: str | None = None,
    ) -> None:
        """Apply a strategic-merge patch of ``status``.

        ``condition`` is a complete PodCondition (``type``, ``status``, ``reason``,
        ``message``, ``lastProbeTime``, ``lastTransitionTime``) that replaces the
        condition of the same type; ``nominated_node_name`` sets
        ``status.nominatedNodeName`` (``""`` clears it); None leaves either untouched.
        """
        ...


class EventRecorder(Protocol):
    """Records events from ``default-scheduler`` (fields as events.k8s.io/v1 names them); never
    blocks."""

    def record(
        self,
        regarding: Mapping[str, Any],
        *,
        event_type: str,
        reason: str,
        action: str,
        note: str,
        related: Mapping[str, Any] | None = None,
    ) -> None:
        """Queue an event about ``regarding`` (a pod object), e.g. ``Normal``,
        ``Scheduled``, ``Binding``, ``Successfully assigned default/web to node-1``."""
        ...


class PodDeleter(Protocol):
    """Deletes preemption victims (``DELETE .../pods/{name}`` with a UID precondition)."""

    async def delete_pod(self, *, namespace: str, name: str, uid: str) -> None:
        """Delete gracefully; a pod that is already gone is not an error."""
        ...


class ClaimAnnotator(Protocol):
    """Tells the volume controller where a WaitForFirstConsumer claim must be satisfied."""

    async def annotate_selected_node(self, *, namespace: str, name: str, node_name: str) -> None:
        """Set ``metadata.annotations["volume.kubernetes.io/selected-node"]`` on the claim."""
        ...


class Clock(Protocol):
    """Time, injected so that tests control it."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (back-off and queue timing)."""
        ...

    def now(self) -> datetime.datetime:
        """Wall-clock time in UTC (condition timestamps)."""
        ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        """``time.monotonic()``."""
        return time.monotonic()

    def now(self) -> datetime.datetime:
        """The current UTC time."""
        return datetime.datetime.now(datetime.UTC)


@dataclass(frozen=True, slots=True)
class SideEffects:
    """The outbound ports, bundled so plugins and the scheduler share one set."""

    binder: Binder
    status_patcher: PodStatusPatcher
    recorder: EventRecorder
    deleter: PodDeleter
    claim_annotator: ClaimAnnotator
