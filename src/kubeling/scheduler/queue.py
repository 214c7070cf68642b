"""The scheduling queue: which pending pod is tried next, and when a failed one returns.

Three places hold a pending pod (upstream ``PriorityQueue``, with queueing hints on, as
in 1.32):

* **activeQ**, a heap ordered by the queue-sort plugin (PrioritySort: higher priority
  first, then the earlier ``timestamp``); ``pop`` takes its head.
* **backoffQ**, pods waiting out their back-off: 1 s after the first failed attempt,
  doubling per attempt up to 10 s. ``flush_backoff_completed`` (every second) moves
  the ones whose time is up to activeQ.
* **unschedulable pods**, pods that failed and wait for a cluster event that one of
  the plugins that rejected them declared could help. ``move_all`` offers each such
  pod an event; when a registered event matches and the plugin's queueing hint (if
  any) says QUEUE, the pod goes to backoffQ if still backing off, else to activeQ.
  ``flush_unschedulable_leftover`` (every 30 s) moves pods that waited longer than
  5 minutes anyway. A pod whose failure named no plugin (an error) goes straight to
  backoffQ.

A popped pod is *in flight* until its attempt ends. Events that arrive meanwhile are
kept, and when the pod comes back unschedulable they are replayed against it, so an
event that would have helped is not lost (upstream ``inFlightEvents``).

PreEnqueue plugins (scheduling gates) run before a pod enters activeQ; a gated pod
waits among the unschedulable pods until an update of the pod itself lifts the gate.

The queue is a pure state machine: time comes from the injected clock, and nothing
here blocks. The scheduler's loop calls the flushes and ``pop``.
"""

from __future__ import annotations

import heapq
import itertools
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kubeling.scheduler.framework.events import (
    ActionType,
    ClusterEvent,
    ClusterEventWithHint,
    EventResource,
    QueueingHint,
    pod_update_events,
)
from kubeling.scheduler.framework.nominator import PodNominator
from kubeling.scheduler.framework.status import Status
from kubeling.scheduler.framework.types import PodInfo, QueuedPodInfo
from kubeling.scheduler.protocols import Clock

__all__ = [
    "ASSIGNED_POD_ADD",
    "ASSIGNED_POD_DELETE",
    "BACKOFF_COMPLETE",
    "FORCE_ACTIVATE",
    "UNSCHEDULABLE_TIMEOUT",
    "SchedulingQueue",
]

_log = logging.getLogger(__name__)

DEFAULT_INITIAL_BACKOFF: Final = 1.0
DEFAULT_MAX_BACKOFF: Final = 10.0
# A pod stays among the unschedulable pods at most this long (upstream 5 minutes).
DEFAULT_MAX_IN_UNSCHEDULABLE: Final = 300.0

ASSIGNED_POD_ADD: Final = ClusterEvent(EventResource.ASSIGNED_POD, ActionType.ADD, "AssignedPodAdd")
ASSIGNED_POD_DELETE: Final = ClusterEvent(
    EventResource.ASSIGNED_POD, ActionType.DELETE, "AssignedPodDelete"
)
UNSCHEDULABLE_TIMEOUT: Final = ClusterEvent(
    EventResource.WILDCARD, ActionType.ALL, "UnschedulableTimeout"
)
FORCE_ACTIVATE: Final = ClusterEvent(EventResource.WILDCARD, ActionType.ALL, "ForceActivate")
BACKOFF_COMPLETE: Final = ClusterEvent(EventResource.WILDCARD, ActionType.ALL, "BackoffComplete")
_SCHEDULING_GATES: Final = "SchedulingGates"

Obj = Mapping[str, Any]
Less = Callable[[QueuedPodInfo, QueuedPodInfo], bool]


class _Queued:
    """A heap entry ordered by the queue-sort plugin."""

    __slots__ = ("less", "removed", "value")

    def __init__(self, value: QueuedPodInfo, less: Less) -> None:
        self.value = value
        self.less = less
        self.removed = False

    def __lt__(self, other: _Queued) -> bool:
        return self.less(self.value, other.value)


@dataclass(frozen=True, slots=True)
class _RecordedEvent:
    event: ClusterEvent
    old: Obj | None
    new: Obj | None


class _Strategy:
    SKIP = 0
    AFTER_BACKOFF = 1


class SchedulingQueue:
    """activeQ, backoffQ, unschedulable pods, in-flight tracking and nominations."""

    def __init__(
        self,
        *,
        less: Less,
        pre_enqueue: Callable[[PodInfo], Status],
        events: Mapping[str, Sequence[ClusterEventWithHint]],
        clock: Clock,
        nominator: PodNominator | None = None,
        initial_backoff: float = DEFAULT_INITIAL_BACKOFF,
        max_backoff: float = DEFAULT_MAX_BACKOFF,
        max_in_unschedulable: float = DEFAULT_MAX_IN_UNSCHEDULABLE,
    ) -> None:
        """A queue using the profile's ordering, PreEnqueue and registered events."""
        self._less = less
        self._pre_enqueue = pre_enqueue
        self._events = {name: list(registered) for name, registered in events.items()}
        self._clock = clock
        self.nominator = nominator or PodNominator()
        self._initial_backoff = initial_backoff
        self._max_backoff = max_backoff
        self._max_in_unschedulable = max_in_unschedulable
        self._active_heap: list[_Queued] = []
        self._active: dict[str, _Queued] = {}
        self._backoff_heap: list[tuple[float, int, str]] = []
        self._backoff: dict[str, QueuedPodInfo] = {}
        self._unschedulable: dict[str, QueuedPodInfo] = {}
        self._in_flight: dict[str, int] = {}
        self._in_flight_pods: dict[str, QueuedPodInfo] = {}
        self._recorded: list[_RecordedEvent] = []
        self._recorded_base = 0
        self._sequence = itertools.count()
        self.scheduling_cycle = 0

    # --- sizes (for callers and tests) ----------------------------------------------

    def active_keys(self) -> list[str]:
        """Keys in activeQ, in no particular order."""
        return list(self._active)

    def backoff_keys(self) -> list[str]:
        """Keys in backoffQ."""
        return list(self._backoff)

    def unschedulable_keys(self) -> list[str]:
        """Keys among the unschedulable pods."""
        return list(self._unschedulable)

    def __contains__(self, key: object) -> bool:
        return key in self._active or key in self._backoff or key in self._unschedulable

    def queued(self, key: str) -> QueuedPodInfo | None:
        """The queued entry of a pod wherever it waits (not in flight)."""
        entry = self._active.get(key)
        if entry is not None:
            return entry.value
        return self._backoff.get(key) or self._unschedulable.get(key)

    # --- placement helpers ----------------------------------------------------------

    def _backoff_duration(self, qpi: QueuedPodInfo) -> float:
        if qpi.attempts == 0:
            return 0.0
        duration = self._initial_backoff
        for _ in range(1, qpi.attempts):
            duration *= 2
            if duration >= self._max_backoff:
                return self._max_backoff
        return min(duration, self._max_backoff)

    def backoff_expiry(self, qpi: QueuedPodInfo) -> float:
        """When the pod's back-off ends."""
        return qpi.timestamp + self._backoff_duration(qpi)

    def _backing_off(self, qpi: QueuedPodInfo) -> bool:
        if qpi.gated:
            return False
        return self.backoff_expiry(qpi) > self._clock.monotonic()

    def _push_active(self, qpi: QueuedPodInfo) -> bool:
        """Run PreEnqueue; admit to activeQ, or park the pod as gated."""
        status = self._pre_enqueue(qpi.pod_info)
        if not status.is_success():
            qpi.gated = True
            qpi.gating_plugin = status.plugin
            qpi.unschedulable_plugins = {status.plugin} if status.plugin else set()
            self._unschedulable[qpi.pod_info.key] = qpi
            return False
        qpi.gated = False
        entry = _Queued(qpi, self._less)
        self._active[qpi.pod_info.key] = entry
        heapq.heappush(self._active_heap, entry)
        return True

    def _push_backoff(self, qpi: QueuedPodInfo) -> None:
        key = qpi.pod_info.key
        self._backoff[key] = qpi
        heapq.heappush(self._backoff_heap, (self.backoff_expiry(qpi), next(self._sequence), key))

    def _take(self, key: str) -> QueuedPodInfo | None:
        """Remove a pod from whichever queue holds it."""
        entry = self._active.pop(key, None)
        if entry is not None:
            entry.removed = True
            return entry.value
        qpi = self._backoff.pop(key, None)
        if qpi is not None:
            return qpi
        return self._unschedulable.pop(key, None)

    def _record(self, event: ClusterEvent, old: Obj | None, new: Obj | None) -> None:
        if self._in_flight:
            self._recorded.append(_RecordedEvent(event, old, new))

    # --- adding, updating, deleting pending pods ----------------------------------

    def add(self, pod: PodInfo) -> None:
        """A new pending pod."""
        if pod.key in self or pod.key in self._in_flight:
            self.update(None, pod)
            return
        qpi = QueuedPodInfo(pod, self._clock.monotonic())
        self._push_active(qpi)
        self.nominator.add(pod)

    def update(self, old: PodInfo | None, new: PodInfo) -> None:
        """A pending pod changed."""
        key = new.key
        events = pod_update_events(old.pod, new.pod) if old is not None else []
        if key in self._in_flight:
            # Replayed against the pod if this attempt fails.
            self._in_flight_pods[key].pod_info = new
            for event in events:
                self._recorded.append(_RecordedEvent(event, old.pod if old else None, new.pod))
            return
        entry = self._active.get(key)
        if entry is not None:
            self.nominator.update(entry.value.pod_info, new)
            entry.value.pod_info = new
            return
        qpi = self._backoff.get(key)
        if qpi is not None:
            self.nominator.update(qpi.pod_info, new)
            qpi.pod_info = new
            return
        qpi = self._unschedulable.get(key)
        if qpi is not None:
            self.nominator.update(qpi.pod_info, new)
            qpi.pod_info = new
            for event in events:
                strategy = self._worth_requeuing(qpi, event, old.pod if old else None, new.pod)
                if strategy != _Strategy.SKIP:
                    del self._unschedulable[key]
                    self._requeue(qpi)
                    break
            return
        self.add(new)

    def delete(self, pod: PodInfo) -> None:
        """A pending pod was deleted (or got bound elsewhere)."""
        self._take(pod.key)
        self.nominator.delete(pod.key)

    # --- popping and finishing attempts ---------------------------------------------

    def pop(self) -> QueuedPodInfo | None:
        """The next pod to schedule, now in flight; None when activeQ is empty."""
        while self._active_heap:
            entry = heapq.heappop(self._active_heap)
            if entry.removed:
                continue
            qpi = entry.value
            del self._active[qpi.pod_info.key]
            qpi.attempts += 1
            if qpi.initial_attempt_timestamp is None:
                qpi.initial_attempt_timestamp = self._clock.monotonic()
            qpi.unschedulable_plugins = set()
            self.scheduling_cycle += 1
            self._in_flight[qpi.pod_info.key] = self._recorded_base + len(self._recorded)
            self._in_flight_pods[qpi.pod_info.key] = qpi
            return qpi
        return None

    def _events_since_pop(self, key: str) -> list[_RecordedEvent]:
        start = self._in_flight.get(key)
        if start is None:
            return []
        return self._recorded[start - self._recorded_base :]

    def done(self, key: str) -> None:
        """The attempt of an in-flight pod ended (bound, or handed back)."""
        if self._in_flight.pop(key, None) is None:
            return
        self._in_flight_pods.pop(key, None)
        if not self._in_flight:
            self._recorded_base += len(self._recorded)
            self._recorded.clear()
            return
        oldest = min(self._in_flight.values())
        drop = oldest - self._recorded_base
        if drop > 0:
            del self._recorded[:drop]
            self._recorded_base = oldest

    def add_unschedulable(self, qpi: QueuedPodInfo) -> None:
        """An in-flight pod failed: replay the events it missed, then park or requeue it."""
        key = qpi.pod_info.key
        if key in self:
            self.done(key)
            return
        missed = self._events_since_pop(key)
        self.done(key)
        qpi.timestamp = self._clock.monotonic()
        strategy = _Strategy.SKIP
        if not qpi.unschedulable_plugins:
            strategy = _Strategy.AFTER_BACKOFF
        else:
            for recorded in missed:
                strategy = self._worth_requeuing(qpi, recorded.event, recorded.old, recorded.new)
                if strategy != _Strategy.SKIP:
                    break
        if strategy == _Strategy.SKIP:
            self._unschedulable[key] = qpi
        else:
            self._requeue(qpi)
        self.nominator.add(qpi.pod_info)

    def _requeue(self, qpi: QueuedPodInfo) -> bool:
        """Move a pod worth retrying to backoffQ or activeQ; True when it is active."""
        if self._backing_off(qpi):
            self._push_backoff(qpi)
            return False
        return self._push_active(qpi)

    # --- events -------------------------------------------------------------------

    def _worth_requeuing(
        self, qpi: QueuedPodInfo, event: ClusterEvent, old: Obj | None, new: Obj | None
    ) -> int:
        rejectors = qpi.unschedulable_plugins
        if not rejectors:
            return _Strategy.AFTER_BACKOFF
        if event.resource is EventResource.WILDCARD:
            return _Strategy.AFTER_BACKOFF
        for plugin in rejectors:
            registered = self._events.get(plugin)
            if registered is None:
                # A plugin that declares no events is interested in all of them.
                return _Strategy.AFTER_BACKOFF
            for item in registered:
                if not item.event.covers(event):
                    continue
                if item.hint is None:
                    return _Strategy.AFTER_BACKOFF
                try:
                    hint = item.hint(qpi.pod, old, new)
                except Exception:  # A failing hint must not strand the pod: queue it.
                    _log.exception("queueing hint of %s failed for %s", plugin, qpi.pod_info)
                    hint = QueueingHint.QUEUE
                if hint is QueueingHint.QUEUE:
                    return _Strategy.AFTER_BACKOFF
        return _Strategy.SKIP

    def _move(
        self,
        candidates: Iterable[QueuedPodInfo],
        event: ClusterEvent,
        old: Obj | None,
        new: Obj | None,
    ) -> None:
        for qpi in list(candidates):
            if qpi.gated and _SCHEDULING_GATES in qpi.unschedulable_plugins:
                # Only an update of the pod itself can lift a scheduling gate.
                continue
            if self._worth_requeuing(qpi, event, old, new) == _Strategy.SKIP:
                continue
            del self._unschedulable[qpi.pod_info.key]
            self._requeue(qpi)
        self._record(event, old, new)

    def move_all(self, event: ClusterEvent, old: Obj | None = None, new: Obj | None = None) -> None:
        """Offer ``event`` to every unschedulable pod (``MoveAllToActiveOrBackoffQueue``)."""
        self._move(self._unschedulable.values(), event, old, new)

    def assigned_pod_added(self, pod: PodInfo) -> None:
        """A pod was bound: only pods with affinity to it, or spread-rejected, may now fit."""
        self._move(self._cross_topology(pod), ASSIGNED_POD_ADD, None, pod.pod)

    def assigned_pod_updated(self, old: PodInfo, new: PodInfo) -> None:
        """A bound pod changed."""
        for event in pod_update_events(old.pod, new.pod):
            if event.action & ActionType.UPDATE_POD_SCALE_DOWN:
                self._move(self._unschedulable.values(), event, old.pod, new.pod)
            else:
                self._move(self._cross_topology(new), event, old.pod, new.pod)

    def _cross_topology(self, pod: PodInfo) -> list[QueuedPodInfo]:
        """Unschedulable pods an assigned pod's arrival may help (upstream
        ``getUnschedulablePodsWithCrossTopologyTerm``)."""
        chosen: list[QueuedPodInfo] = []
        for qpi in self._unschedulable.values():
            if "PodTopologySpread" in qpi.unschedulable_plugins:
                chosen.append(qpi)
                continue
            waiting = qpi.pod_info
            for term in waiting.required_affinity_terms:
                if term.matches(pod.namespace, pod.labels, None):
                    chosen.append(qpi)
                    break
        return chosen

    def activate(self, keys: Iterable[str]) -> None:
        """Move the given pods straight to activeQ (upstream ``Activate``)."""
        for key in keys:
            qpi = self._unschedulable.pop(key, None) or self._backoff.pop(key, None)
            if qpi is not None:
                self._push_active(qpi)
        self._record(FORCE_ACTIVATE, None, None)

    # --- periodic flushes ------------------------------------------------------------

    def flush_backoff_completed(self) -> None:
        """Move pods whose back-off ended to activeQ (upstream: every second)."""
        now = self._clock.monotonic()
        while self._backoff_heap and self._backoff_heap[0][0] <= now:
            expiry, _, key = heapq.heappop(self._backoff_heap)
            qpi = self._backoff.get(key)
            if qpi is None or self.backoff_expiry(qpi) != expiry:
                # Stale entry: the pod left backoffQ, or came back with a later expiry.
                continue
            del self._backoff[key]
            self._push_active(qpi)

    def flush_unschedulable_leftover(self) -> None:
        """Move pods parked for too long (upstream: checked every 30 s, 5 minutes)."""
        now = self._clock.monotonic()
        stale = [
            qpi
            for qpi in self._unschedulable.values()
            if now - qpi.timestamp > self._max_in_unschedulable
        ]
        self._move(stale, UNSCHEDULABLE_TIMEOUT, None, None)

    def next_backoff_expiry(self) -> float | None:
        """When the earliest back-off ends (for the loop's sleep), or None."""
        while self._backoff_heap:
            expiry, _, key = self._backoff_heap[0]
            qpi = self._backoff.get(key)
            if qpi is not None and self.backoff_expiry(qpi) == expiry:
                return expiry
            heapq.heappop(self._backoff_heap)
        return None
