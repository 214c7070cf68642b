"""The scheduler: watch events in, scheduling decisions out through the ports.

The adapter (over ``kubeling.client`` informers) feeds every change in with the
``on_*`` methods: pods and nodes (the JSON the API returned), and the other kinds some
plugins read (claims, volumes, classes, budgets, Services and owners, namespaces)
through ``on_object_*``. These only update the cache and the queue; they never block.
``run()`` then schedules until cancelled; tests call ``schedule_one()`` instead, with a
fake clock, and the flushes by hand.

One attempt (upstream ``ScheduleOne``):

1. **Scheduling cycle** (synchronous, one pod at a time): pop the queue's head;
   refresh the snapshot; PreFilter; Filter the nodes from a rotating start index until
   enough feasible ones are found (``num_feasible_nodes_to_find``), the pod's
   nominated node first; PreScore/Score the feasible nodes and pick the best (ties at
   random); assume the pod on it in the cache; Reserve; Permit.
2. **Binding cycle** (asynchronous: ``run()`` starts it and moves on to the next pod):
   wait for Permit, PreBind, Bind, then the ``Scheduled`` event.
3. **Failure**: no node fits → PostFilter (preemption), whose victims are then evicted;
   the pod goes back to the queue with the plugins that rejected it, a
   ``FailedScheduling`` event is recorded, and its ``PodScheduled`` condition becomes
   ``False``/``Unschedulable`` with the failure message (``SchedulerError`` for
   errors), together with any ``nominatedNodeName`` change.

The scheduler only handles pods whose ``spec.schedulerName`` is its profile's and that
have no ``spec.nodeName``; bound pods of every scheduler count in the cache. Pods in
phase Succeeded or Failed are ignored, as the upstream scheduler's informer filters
them out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from kubeling.scheduler.cache import Cache
from kubeling.scheduler.framework.cycle_state import CycleState
from kubeling.scheduler.framework.diagnosis import Diagnosis, FitError
from kubeling.scheduler.framework.events import (
    ActionType,
    ClusterEvent,
    EventResource,
    node_update_events,
)
from kubeling.scheduler.framework.interfaces import PluginFactory
from kubeling.scheduler.framework.nominator import PodNominator
from kubeling.scheduler.framework.objects import ClusterObjects, ObjectKind
from kubeling.scheduler.framework.profile import Profile, default_profile
from kubeling.scheduler.framework.runtime import Framework
from kubeling.scheduler.framework.snapshot import Snapshot
from kubeling.scheduler.framework.status import Code, Status, success
from kubeling.scheduler.framework.types import NodeInfo, Obj, PodInfo, QueuedPodInfo, pod_key
from kubeling.scheduler.protocols import Clock, SideEffects, SystemClock
from kubeling.scheduler.queue import ASSIGNED_POD_DELETE, SchedulingQueue
from kubeling.scheduler.registry import IN_TREE

__all__ = ["NO_NODES_AVAILABLE", "Scheduler", "num_feasible_nodes_to_find"]

_log = logging.getLogger(__name__)

NO_NODES_AVAILABLE: Final = "no nodes available to schedule pods"
# Upstream's floor on how many nodes a cycle looks at, and on the percentage.
MIN_FEASIBLE_NODES_TO_FIND: Final = 100
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND: Final = 5
# The fewest nodes filtered in one batch (a batch is what is still wanted, at least this).
FILTER_BATCH: Final = 64
# Event notes longer than this are cut (upstream validation.NoteLengthLimit).
NOTE_LENGTH_LIMIT: Final = 1024
BACKOFF_FLUSH_PERIOD: Final = 1.0
UNSCHEDULABLE_FLUSH_PERIOD: Final = 30.0
_TERMINAL_PHASES: Final = frozenset({"Succeeded", "Failed"})
_NODE_ADD: Final = ClusterEvent(EventResource.NODE, ActionType.ADD, "NodeAdd")
_NODE_DELETE: Final = ClusterEvent(EventResource.NODE, ActionType.DELETE, "NodeDelete")
_OBJECT_RESOURCES: Final = {
    ObjectKind.PERSISTENT_VOLUME_CLAIMS: EventResource.PERSISTENT_VOLUME_CLAIM,
    ObjectKind.PERSISTENT_VOLUMES: EventResource.PERSISTENT_VOLUME,
    ObjectKind.STORAGE_CLASSES: EventResource.STORAGE_CLASS,
    ObjectKind.NAMESPACES: EventResource.NAMESPACE,
}


def num_feasible_nodes_to_find(num_all_nodes: int, percentage: int | None) -> int:
    """How many feasible nodes a cycle looks for before it stops filtering.

    Below 100 nodes, all of them. Otherwise ``percentage`` of them (the profile's
    ``percentageOfNodesToScore``; unset or 0 means adaptive: ``50 - nodes/125``
    percent, at least 5), and never fewer than 100 (upstream ``numFeasibleNodesToFind``).

    >>> [num_feasible_nodes_to_find(n, None) for n in (50, 500, 1000, 5000, 10000)]
    [50, 230, 420, 500, 500]
    """
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND:
        return num_all_nodes
    if not percentage:
        percentage = max(50 - num_all_nodes // 125, MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND)
    return max(num_all_nodes * percentage // 100, MIN_FEASIBLE_NODES_TO_FIND)


def _truncate(message: str) -> str:
    if len(message) <= NOTE_LENGTH_LIMIT:
        return message
    return message[: NOTE_LENGTH_LIMIT - 4] + " ..."


def _rfc3339(clock: Clock) -> str:
    return clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")


def _window(nodes: list[NodeInfo], start: int, size: int) -> list[NodeInfo]:
    """``size`` nodes from ``start``, wrapping around the end of the list."""
    end = start + size
    if end <= len(nodes):
        return nodes[start:end]
    return nodes[start:] + nodes[: end - len(nodes)]


def _is_terminal(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") in _TERMINAL_PHASES


@dataclass(slots=True)
class _Attempt:
    """What the synchronous scheduling cycle decided for one pod."""

    qpi: QueuedPodInfo
    state: CycleState
    # Success: the node the pod is assumed on, and its assumed PodInfo.
    node_name: str = ""
    assumed: PodInfo | None = None
    # Failure: the status, the fit error (if no node fit) and what preemption decided.
    status: Status = field(default_factory=success)
    fit_error: FitError | None = None
    nominated_node_name: str | None = None
    victims: tuple[PodInfo, ...] = ()
    skipped: bool = False


class Scheduler:
    """One profile's scheduler over an in-memory view of the cluster."""

    def __init__(
        self,
        *,
        effects: SideEffects,
        profile: Profile | None = None,
        registry: Mapping[str, PluginFactory] = IN_TREE,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        initial_backoff: float = 1.0,
        max_backoff: float = 10.0,
    ) -> None:
        """Build the framework for ``profile`` (the default profile when None)."""
        self.profile = profile or default_profile()
        self.effects = effects
        self.clock: Clock = clock or SystemClock()
        self._rng = rng or random.Random()
        self.objects = ClusterObjects()
        self.cache = Cache()
        self.snapshot = Snapshot()
        self.nominator = PodNominator()
        # The latest version of every pending pod of this profile (the informer's view).
        self._pending: dict[str, PodInfo] = {}
        self.framework = Framework(
            self.profile,
            registry,
            snapshot=lambda: self.snapshot,
            objects=self.objects,
            nominator=self.nominator,
            effects=effects,
            clock=self.clock,
            latest_pod=lambda pod: self._pending.get(pod.key),
        )
        self.queue = SchedulingQueue(
            less=self.framework.less,
            pre_enqueue=self.framework.run_pre_enqueue_plugins,
            events=self.framework.events_to_register(),
            clock=self.clock,
            nominator=self.nominator,
            initial_backoff=initial_backoff,
            max_backoff=max_backoff,
        )
        self._next_start_node_index = 0
        self._work: asyncio.Event | None = None

    @property
    def scheduler_name(self) -> str:
        """The ``spec.schedulerName`` this scheduler handles."""
        return self.profile.scheduler_name

    def responsible_for(self, pod: Obj) -> bool:
        """Whether the pod names this scheduler."""
        name = (pod.get("spec") or {}).get("schedulerName") or "default-scheduler"
        return bool(name == self.profile.scheduler_name)

    def _notify(self) -> None:
        if self._work is not None:
            self._work.set()

    # --- event handlers -------------------------------------------------------------

    def on_pod_add(self, pod: Obj) -> None:
        """A pod appeared (listed or watched)."""
        if _is_terminal(pod):
            return
        info = PodInfo(pod)
        if info.node_name:
            self._add_assigned(info)
        elif self.responsible_for(pod):
            self._pending[info.key] = info
            if not self.cache.is_assumed(info.key):
                self.queue.add(info)
        self._notify()

    def on_pod_update(self, old: Obj, new: Obj) -> None:
        """A pod changed."""
        if _is_terminal(new):
            self.on_pod_delete(old)
            return
        info = PodInfo(new)
        old_info = self._known(old)
        if info.node_name:
            if old_info.node_name and self.cache.get_pod(info.key) is not None:
                self.cache.update_pod(info)
                self.queue.assigned_pod_updated(old_info, info)
            else:
                # Bound just now (by us or by someone else).
                self._add_assigned(info)
        elif self.responsible_for(new):
            self._pending[info.key] = info
            if not self.cache.is_assumed(info.key):
                self.queue.update(old_info, info)
        self._notify()

    def _known(self, pod: Obj) -> PodInfo:
        """The PodInfo already made of this very object (parsing a pod is not free)."""
        key = pod_key(pod)
        known = self._pending.get(key) or self.cache.get_pod(key)
        return known if known is not None and known.pod is pod else PodInfo(pod)

    def _add_assigned(self, info: PodInfo) -> None:
        if self._pending.pop(info.key, None) is not None:
            self.queue.delete(info)
        self.cache.add_pod(info)
        self.queue.assigned_pod_added(info)

    def on_pod_delete(self, pod: Obj) -> None:
        """A pod went away (or finished)."""
        key = pod_key(pod)
        pending = self._pending.pop(key, None)
        if pending is not None:
            self.queue.delete(pending)
        if self.cache.get_pod(key) is not None:
            # A bound pod leaving may make room; so does an assumed one being forgotten.
            if self.cache.is_assumed(key):
                self.cache.forget_pod(key)
            else:
                self.cache.remove_pod(key)
            self.queue.move_all(ASSIGNED_POD_DELETE, pod, None)
        self._notify()

    def on_node_add(self, node: Obj) -> None:
        """A node appeared."""
        self.cache.add_node(node)
        self.queue.move_all(_NODE_ADD, None, node)
        self._notify()

    def on_node_update(self, old: Obj, new: Obj) -> None:
        """A node changed."""
        self.cache.update_node(old, new)
        for event in node_update_events(old, new):
            self.queue.move_all(event, old, new)
        self._notify()

    def on_node_delete(self, node: Obj) -> None:
        """A node went away."""
        self.cache.remove_node(node)
        self.queue.move_all(_NODE_DELETE, node, None)
        self._notify()

    def on_object_add(self, kind: ObjectKind | str, obj: Obj) -> None:
        """A claim, volume, class, budget, Service, owner or namespace appeared."""
        kind = ObjectKind(kind)
        self.objects.put(kind, obj)
        self._object_event(kind, ActionType.ADD, None, obj)

    def on_object_update(self, kind: ObjectKind | str, old: Obj, new: Obj) -> None:
        """One of those objects changed."""
        kind = ObjectKind(kind)
        self.objects.put(kind, new)
        self._object_event(kind, ActionType.UPDATE_OTHER, old, new)

    def on_object_delete(self, kind: ObjectKind | str, obj: Obj) -> None:
        """One of those objects went away."""
        kind = ObjectKind(kind)
        self.objects.remove(kind, obj)
        self._object_event(kind, ActionType.DELETE, obj, None)

    def _object_event(
        self, kind: ObjectKind, action: ActionType, old: Obj | None, new: Obj | None
    ) -> None:
        resource = _OBJECT_RESOURCES.get(kind)
        if resource is not None:
            self.queue.move_all(ClusterEvent(resource, action), old, new)
            self._notify()

    # --- queue flushes ----------------------------------------------------------------

    def flush_backoff(self) -> None:
        """Move pods whose back-off is over to the active queue."""
        self.queue.flush_backoff_completed()

    def flush_unschedulable_leftover(self) -> None:
        """Retry pods that waited too long for a helpful event."""
        self.queue.flush_unschedulable_leftover()

    # --- the scheduling cycle ----------------------------------------------------------

    def scheduling_cycle(self) -> _Attempt | None:
        """Pop one pod and decide (synchronously); None when the active queue is empty."""
        qpi = self.queue.pop()
        if qpi is None:
            return None
        pod = qpi.pod_info
        state = CycleState()
        attempt = _Attempt(qpi, state)
        if pod.deleting or self.cache.is_assumed(pod.key):
            if pod.deleting:
                self.effects.recorder.record(
                    pod.pod,
                    event_type="Warning",
                    reason="FailedScheduling",
                    action="Scheduling",
                    note=f"skip schedule deleting pod: {pod.namespace}/{pod.name}",
                )
            self.queue.done(pod.key)
            attempt.skipped = True
            return attempt
        self.cache.update_snapshot(self.snapshot)
        if self.snapshot.num_nodes() == 0:
            attempt.status = Status(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, (NO_NODES_AVAILABLE,))
            attempt.nominated_node_name = ""
            return attempt
        outcome = self._schedule_pod(state, pod)
        if isinstance(outcome, FitError):
            self._post_filter(attempt, outcome)
            return attempt
        if isinstance(outcome, Status):
            attempt.status, attempt.nominated_node_name = outcome, ""
            return attempt
        self._assume_and_reserve(attempt, outcome)
        return attempt

    def _schedule_pod(self, state: CycleState, pod: PodInfo) -> str | FitError | Status:
        feasible = self._find_nodes_that_fit(state, pod)
        if isinstance(feasible, Status):
            return feasible
        nodes, diagnosis = feasible
        if not nodes:
            return FitError(self.snapshot.num_nodes(), diagnosis)
        if len(nodes) == 1:
            return nodes[0].name
        return self._prioritize(state, pod, nodes)

    def _find_nodes_that_fit(
        self, state: CycleState, pod: PodInfo
    ) -> tuple[list[NodeInfo], Diagnosis] | Status:
        framework = self.framework
        diagnosis = Diagnosis()
        all_nodes = self.snapshot.list()
        result, status, restricting = framework.run_pre_filter_plugins(state, pod)
        diagnosis.unschedulable_plugins = set(restricting)
        if not status.is_success():
            if not status.is_rejected():
                return status
            diagnosis.node_to_status.set_absent(status)
            diagnosis.pre_filter_message = status.message()
            diagnosis.add_plugin_status(status)
            return [], diagnosis
        if pod.nominated_node_name:
            nominated = self.snapshot.get(pod.nominated_node_name)
            if nominated is not None:
                found = self._pass_filters(state, pod, diagnosis, [nominated])
                if isinstance(found, Status):
                    _log.warning("evaluating nominated node of %s failed: %s", pod, found.message())
                elif found:
                    return found, diagnosis
        nodes = all_nodes
        if result is not None and result.node_names is not None:
            nodes = [node for node in all_nodes if node.name in result.node_names]
            names = " ".join(sorted(restricting))
            diagnosis.node_to_status.set_absent(
                Status.unresolvable(f"node(s) didn't satisfy plugin(s) [{names}]")
            )
        found = self._pass_filters(state, pod, diagnosis, nodes)
        processed = (len(found) if not isinstance(found, Status) else 0) + len(
            diagnosis.node_to_status
        )
        self._next_start_node_index = (self._next_start_node_index + processed) % len(all_nodes)
        if isinstance(found, Status):
            return found
        return found, diagnosis

    def _pass_filters(
        self, state: CycleState, pod: PodInfo, diagnosis: Diagnosis, nodes: list[NodeInfo]
    ) -> list[NodeInfo] | Status:
        """The first feasible nodes from the rotating start, as many as wanted.

        Node by node in effect, in batches for speed: each batch is what is still wanted
        (at least ``FILTER_BATCH``), and the walk over its verdicts stops where a
        node-by-node walk would have, so a node evaluated past that point (wasted work)
        leaves no trace in the diagnosis.
        """
        if not nodes:
            return []
        framework = self.framework
        wanted = num_feasible_nodes_to_find(len(nodes), self.profile.percentage_of_nodes_to_score)
        if not framework.score_plugins:
            wanted = 1
        count = len(nodes)
        start = self._next_start_node_index % count
        if not framework.filter_plugins:
            return _window(nodes, start, wanted)
        feasible: list[NodeInfo] = []
        done = 0
        while done < count and len(feasible) < wanted:
            size = min(max(wanted - len(feasible), FILTER_BATCH), count - done)
            batch = _window(nodes, (start + done) % count, size)
            done += size
            verdicts = framework.filter_nodes_with_nominated_pods(state, pod, batch)
            for node, verdict in zip(batch, verdicts, strict=True):
                if verdict is None:
                    feasible.append(node)
                    if len(feasible) >= wanted:
                        break
                elif verdict.code is Code.ERROR:
                    return verdict
                else:
                    diagnosis.node_to_status.set(node.name, verdict)
                    diagnosis.add_plugin_status(verdict)
        return feasible

    def _prioritize(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> str | Status:
        framework = self.framework
        if not framework.score_plugins:
            return self._rng.choice(nodes).name
        status = framework.run_pre_score_plugins(state, pod, nodes)
        if not status.is_success():
            return status
        totals, status = framework.run_score_plugins(state, pod, nodes)
        if not status.is_success():
            return status
        best = max(totals)
        winners = [index for index, total in enumerate(totals) if total == best]
        return nodes[self._rng.choice(winners)].name

    def _post_filter(self, attempt: _Attempt, fit_error: FitError) -> None:
        attempt.fit_error = fit_error
        attempt.status = Status(Code.UNSCHEDULABLE)
        attempt.nominated_node_name = ""
        if not self.framework.post_filter:
            return
        pod = attempt.qpi.pod_info
        result, status = self.framework.run_post_filter_plugins(
            attempt.state, pod, fit_error.diagnosis.node_to_status
        )
        fit_error.diagnosis.post_filter_message = status.message()
        if status.code is Code.ERROR:
            _log.error("PostFilter for %s failed: %s", pod, status.message())
        attempt.nominated_node_name = None
        if result is not None:
            attempt.nominated_node_name = result.nominated_node_name
            attempt.victims = result.victims

    def _assume_and_reserve(self, attempt: _Attempt, node_name: str) -> None:
        pod = attempt.qpi.pod_info
        assumed = pod.bound_to(node_name)
        self.cache.assume_pod(assumed, node_name)
        self.nominator.delete(pod.key)
        framework = self.framework
        status = framework.run_reserve_plugins_reserve(attempt.state, assumed, node_name)
        if status.is_success():
            status = framework.run_permit_plugins(attempt.state, assumed, node_name)
            if status.is_success() or status.is_wait():
                attempt.node_name, attempt.assumed = node_name, assumed
                return
        framework.run_reserve_plugins_unreserve(attempt.state, assumed, node_name)
        self.cache.forget_pod(pod.key)
        attempt.status, attempt.nominated_node_name = status, ""
        if status.is_rejected():
            attempt.fit_error = self._single_node_fit_error(node_name, status)

    @staticmethod
    def _single_node_fit_error(node_name: str, status: Status) -> FitError:
        diagnosis = Diagnosis()
        diagnosis.node_to_status.set(node_name, status)
        diagnosis.add_plugin_status(status)
        return FitError(1, diagnosis)

    # --- the binding cycle and failures -------------------------------------------------

    async def finish(self, attempt: _Attempt) -> None:
        """Run the binding cycle of a successful attempt, or handle a failed one."""
        if attempt.skipped:
            return
        if attempt.assumed is not None:
            await self._binding_cycle(attempt)
        else:
            await self._handle_failure(attempt)

    async def _binding_cycle(self, attempt: _Attempt) -> None:
        assert attempt.assumed is not None
        framework, assumed, node_name = self.framework, attempt.assumed, attempt.node_name
        status = await framework.wait_on_permit(assumed)
        if not status.is_success():
            if status.is_rejected():
                attempt.fit_error = self._single_node_fit_error(node_name, status)
            await self._binding_failed(attempt, status)
            return
        # Only failures up to Permit make a pod "unschedulable"; from here on it is an error.
        self.queue.done(assumed.key)
        status = await framework.run_pre_bind_plugins(attempt.state, assumed, node_name)
        if status.is_success():
            status = await framework.run_bind_plugins(attempt.state, assumed, node_name)
        if not status.is_success():
            await self._binding_failed(attempt, status)
            return
        self.effects.recorder.record(
            assumed.pod,
            event_type="Normal",
            reason="Scheduled",
            action="Binding",
            note=f"Successfully assigned {assumed.namespace}/{assumed.name} to {node_name}",
        )
        framework.run_post_bind_plugins(attempt.state, assumed, node_name)

    async def _binding_failed(self, attempt: _Attempt, status: Status) -> None:
        assert attempt.assumed is not None
        self.framework.run_reserve_plugins_unreserve(
            attempt.state, attempt.assumed, attempt.node_name
        )
        if self.cache.is_assumed(attempt.assumed.key):
            self.cache.forget_pod(attempt.assumed.key)
            # The room the pod held is free again, which may help others.
            self.queue.move_all(ASSIGNED_POD_DELETE, attempt.assumed.pod, None)
        attempt.status, attempt.nominated_node_name = status, ""
        await self._handle_failure(attempt)

    async def _handle_failure(self, attempt: _Attempt) -> None:
        qpi, status = attempt.qpi, attempt.status
        key = qpi.pod_info.key
        if attempt.victims and attempt.nominated_node_name:
            await self._evict(qpi.pod_info, attempt.nominated_node_name, attempt.victims)
        reason = "Unschedulable" if status.is_rejected() else "SchedulerError"
        if attempt.fit_error is not None:
            message = attempt.fit_error.message()
            qpi.unschedulable_plugins = set(attempt.fit_error.diagnosis.unschedulable_plugins)
        else:
            message = status.message()
            qpi.unschedulable_plugins = set()
            if status.is_rejected() and status.plugin:
                qpi.unschedulable_plugins = {status.plugin}
        latest = self._pending.get(key)
        if latest is None or latest.node_name:
            # Deleted, or bound meanwhile: nothing to retry.
            self.queue.done(key)
        else:
            qpi.pod_info = latest
            self.queue.add_unschedulable(qpi)
        pod = latest or qpi.pod_info
        if attempt.nominated_node_name is not None and latest is not None:
            self.nominator.add(latest, attempt.nominated_node_name)
        self._notify()
        self.effects.recorder.record(
            pod.pod,
            event_type="Warning",
            reason="FailedScheduling",
            action="Scheduling",
            note=_truncate(message),
        )
        if latest is not None:
            await self._update_pod_status(latest, reason, message, attempt.nominated_node_name)

    async def _update_pod_status(
        self, pod: PodInfo, reason: str, message: str, nominated: str | None
    ) -> None:
        condition = self._condition_update(pod, reason, message)
        if nominated is not None and nominated == pod.nominated_node_name:
            nominated = None
        if condition is None and nominated is None:
            return
        try:
            await self.effects.status_patcher.patch_pod_status(
                namespace=pod.namespace,
                name=pod.name,
                condition=condition,
                nominated_node_name=nominated,
            )
        except Exception:  # A failed status update is logged, as upstream; the pod retries.
            _log.exception("updating the status of pod %s failed", pod)

    def _condition_update(self, pod: PodInfo, reason: str, message: str) -> dict[str, Any] | None:
        """The PodScheduled condition to write, or None when it would not change."""
        current: Obj | None = None
        for condition in (pod.pod.get("status") or {}).get("conditions") or ():
            if condition.get("type") == "PodScheduled":
                current = condition
        transition = _rfc3339(self.clock)
        if current is not None:
            if (current.get("status"), current.get("reason"), current.get("message")) == (
                "False",
                reason,
                message,
            ) and current.get("lastProbeTime") is None:
                return None
            if current.get("status") == "False" and current.get("lastTransitionTime"):
                transition = str(current["lastTransitionTime"])
        return {
            "type": "PodScheduled",
            "status": "False",
            "reason": reason,
            "message": message,
            "lastProbeTime": None,
            "lastTransitionTime": transition,
        }

    async def _evict(
        self, preemptor: PodInfo, node_name: str, victims: tuple[PodInfo, ...]
    ) -> None:
        """Carry out a preemption: mark, delete and report each victim; free nominations."""
        effects = self.effects
        condition_message = (
            f"{self.scheduler_name}: preempting to accommodate a higher priority pod"
        )
        for victim in victims:
            if victim.deleting:
                continue
            try:
                await effects.status_patcher.patch_pod_status(
                    namespace=victim.namespace,
                    name=victim.name,
                    condition={
                        "type": "DisruptionTarget",
                        "status": "True",
                        "reason": "PreemptionByScheduler",
                        "message": condition_message,
                        "lastProbeTime": None,
                        "lastTransitionTime": _rfc3339(self.clock),
                    },
                )
                await effects.deleter.delete_pod(
                    namespace=victim.namespace, name=victim.name, uid=victim.uid
                )
            except Exception:  # The next attempt will preempt again if still needed.
                _log.exception("preempting %s for %s failed", victim, preemptor)
                return
            effects.recorder.record(
                victim.pod,
                event_type="Normal",
                reason="Preempted",
                action="Preempting",
                note=f"Preempted by pod {preemptor.uid} on node {node_name}",
                related=preemptor.pod,
            )
        # Lower-priority pods nominated there may no longer fit: let them look elsewhere.
        for other in self.nominator.pods_for_node(node_name):
            if other.priority >= preemptor.priority:
                continue
            self.nominator.delete(other.key)
            try:
                await effects.status_patcher.patch_pod_status(
                    namespace=other.namespace, name=other.name, nominated_node_name=""
                )
            except Exception:  # Not critical, as upstream: the nomination is re-evaluated.
                _log.exception("clearing the nominated node of %s failed", other)

    # --- driving -------------------------------------------------------------------

    async def schedule_one(self) -> bool:
        """One whole attempt, binding included; False when no pod was ready."""
        attempt = self.scheduling_cycle()
        if attempt is None:
            return False
        await self.finish(attempt)
        return True

    async def schedule_pending(self) -> int:
        """Attempt every pod ready now (and those that become ready meanwhile)."""
        attempts = 0
        while await self.schedule_one():
            attempts += 1
        return attempts

    async def run(self) -> None:
        """Schedule until cancelled: binding cycles run concurrently with the next pods."""
        self._work = asyncio.Event()
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._flush_forever())
            while True:
                attempt = self.scheduling_cycle()
                if attempt is None:
                    self._work.clear()
                    # Woken by an event, or by the periodic flush at the latest.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._work.wait(), BACKOFF_FLUSH_PERIOD)
                    continue
                if attempt.assumed is not None:
                    tasks.create_task(self.finish(attempt))
                else:
                    await self.finish(attempt)
                # Let watch events and binding tasks in between pods.
                await asyncio.sleep(0)

    async def _flush_forever(self) -> None:
        since_leftover = 0.0
        while True:
            await asyncio.sleep(BACKOFF_FLUSH_PERIOD)
            self.flush_backoff()
            since_leftover += BACKOFF_FLUSH_PERIOD
            if since_leftover >= UNSCHEDULABLE_FLUSH_PERIOD:
                since_leftover = 0.0
                self.flush_unschedulable_leftover()
            self._notify()
