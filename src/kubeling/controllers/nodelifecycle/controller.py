"""The node lifecycle controller (``nodelifecycle``; ``node-lifecycle-controller``).

Three loops, as in Kubernetes 1.32 (``pkg/controller/nodelifecycle``):

- **Health monitor** (every ``node_monitor_period``, 5 s): for each node,
  :func:`~.health.observe_node_health` from its Lease and Ready heartbeat; a
  silent node's kubelet conditions are written ``Unknown``. The first time a
  node is seen it gets a ``RegisteredNode`` event (``RemovingNode`` when it
  goes); when its Ready condition leaves True it gets ``NodeNotReady`` and its
  pods' Ready condition is set False (``NodeNotReady`` event on each pod). A
  node whose Ready is False or Unknown is queued in its zone to be tainted; one
  Ready again loses both NoExecute taints. Then the zones are judged and their
  tainting rates set (:meth:`_handle_disruption`).
- **NoExecute tainting** (every 100 ms): each zone's
  :class:`~.ratelimited.RateLimitedTimedQueue` hands out nodes at the zone's
  rate (0.1/s, burst 1); each gets ``node.kubernetes.io/not-ready`` (Ready
  False) or ``node.kubernetes.io/unreachable`` (Unknown), NoExecute, with
  ``timeAdded``, and loses the other. Evicting the pods is the taint eviction
  controller's job (``tainteviction.py``).
- **Node updates** (the work queue, ``sync(node)``): NoSchedule taints follow
  the conditions and ``spec.unschedulable`` (``kubectl cordon``), and the beta
  OS/arch labels follow the stable ones.

Pods newly bound to a node that is not Ready are marked not ready at once
(the pod queue).
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, ClassVar, Final

from kubeling.api import errors
from kubeling.api.podconditions import update_pod_condition
from kubeling.api.taints import taint_exists
from kubeling.api.timestamps import format_time
from kubeling.client import (
    NORMAL,
    WARNING,
    PatchType,
    ShutDown,
    TransportError,
    WorkQueue,
    object_key,
    split_key,
)
from kubeling.client.ratelimit import default_controller_rate_limiter
from kubeling.client.resources import LEASES, NODES, PODS
from kubeling.controllers.base import Controller, ControllerContext
from kubeling.controllers.nodelifecycle.health import (
    NOT_READY_TAINT,
    UNREACHABLE_TAINT,
    HealthObservation,
    NodeHealth,
    ZoneState,
    compute_zone_state,
    excluded_from_disruption,
    find_condition,
    no_schedule_taint_changes,
    observe_node_health,
    reduced_qps,
    zone_key,
)
from kubeling.controllers.nodelifecycle.nodetaints import update_node_taints
from kubeling.controllers.nodelifecycle.ratelimited import RateLimitedTimedQueue, TimedValue
from kubeling.controllers.pods import NODE_NAME_INDEX, node_name_index

__all__ = ["NodeLifecycleController", "NodeLifecycleOptions"]

log = logging.getLogger(__name__)

Obj = dict[str, Any]

NODE_LEASE_NAMESPACE: Final = "kube-node-lease"
#: How often the zones' tainting queues are tried (``NodeEvictionPeriod``).
NODE_EVICTION_PERIOD: Final = 0.1
#: Tries of one node's health update before giving up this round (``NodeHealthUpdateRetry``).
NODE_HEALTH_UPDATE_RETRY: Final = 5
#: Nodes whose health is updated at once (``nodeUpdateWorkerSize``).
NODE_UPDATE_WORKERS: Final = 8
POD_UPDATE_WORKERS: Final = 4
#: beta label -> stable label it must equal (``labelReconcileInfo``).
_RECONCILED_LABELS: Final = (
    ("kubernetes.io/os", "beta.kubernetes.io/os"),
    ("kubernetes.io/arch", "beta.kubernetes.io/arch"),
)


@dataclasses.dataclass(frozen=True, slots=True)
class NodeLifecycleOptions:
    """kube-controller-manager's node lifecycle flags, with their 1.32 defaults."""

    #: ``--node-monitor-period``.
    node_monitor_period: float = 5.0
    #: ``--node-monitor-grace-period`` (40 s before Kubernetes 1.32).
    node_monitor_grace_period: float = 50.0
    #: ``--node-startup-grace-period``.
    node_startup_grace_period: float = 60.0
    #: ``--node-eviction-rate``: nodes tainted per second in a healthy zone.
    node_eviction_rate: float = 0.1
    #: ``--secondary-node-eviction-rate``: in a partially disrupted large zone.
    secondary_node_eviction_rate: float = 0.01
    #: ``--large-cluster-size-threshold``.
    large_cluster_size_threshold: int = 50
    #: ``--unhealthy-zone-threshold``.
    unhealthy_zone_threshold: float = 0.55


def _name(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


def _node_ref(node: Mapping[str, Any]) -> Obj:
    """What a node Event is about (``RecordNodeEvent``'s ObjectReference)."""
    meta = node.get("metadata") or {}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": meta.get("name", ""), "uid": meta.get("uid", "")},
    }


async def _every(period: float, step: Callable[[], Awaitable[None]], what: str) -> None:
    """Run ``step`` every ``period`` seconds (``wait.Until``); a failure is logged."""
    while True:
        try:
            await step()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("node lifecycle controller: %s failed", what)
        await asyncio.sleep(period)


class NodeLifecycleController(Controller):
    name: ClassVar[str] = "nodelifecycle"
    component: ClassVar[str] = "node-controller"
    workers: ClassVar[int] = NODE_UPDATE_WORKERS

    def __init__(
        self,
        ctx: ControllerContext,
        options: NodeLifecycleOptions = NodeLifecycleOptions(),
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(ctx)
        self.options = options
        self._clock = clock
        self.nodes_client = self.client.resource(NODES)
        self.pods_client = self.client.resource(PODS)
        self.nodes = self.informers.informer_for(NODES)
        self.leases = self.informers.informer_for(LEASES)
        self.pods = self.informers.informer_for(PODS, indexers={NODE_NAME_INDEX: node_name_index})
        self.nodes.add_event_handler(
            on_add=self.enqueue, on_update=lambda _old, new: self.enqueue(new)
        )
        self.pods.add_event_handler(
            on_add=lambda pod: self._pod_updated(None, pod), on_update=self._pod_updated
        )
        self.pod_queue: WorkQueue[str] = WorkQueue(
            rate_limiter=default_controller_rate_limiter(), name="node_lifecycle_controller_pods"
        )
        self._health: dict[str, NodeHealth] = {}
        self._known: dict[str, Mapping[str, Any]] = {}
        self._zone_states: dict[str, ZoneState] = {}
        self._zone_tainters: dict[str, RateLimitedTimedQueue] = {}
        self._nodes_to_retry: set[str] = set()

    def _now(self) -> tuple[float, str]:
        now = self._clock()
        return now, format_time(now)

    async def run(self) -> None:
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(super().run(), name="nodelifecycle-node-workers")
                for n in range(POD_UPDATE_WORKERS):
                    group.create_task(self._pod_worker(), name=f"nodelifecycle-pod-worker-{n}")
                group.create_task(
                    _every(NODE_EVICTION_PERIOD, self.no_execute_tainting_pass, "tainting"),
                    name="nodelifecycle-tainting",
                )
                group.create_task(
                    _every(
                        self.options.node_monitor_period, self.monitor_node_health, "monitoring"
                    ),
                    name="nodelifecycle-monitor",
                )
        finally:
            self.pod_queue.shutdown()

    # -- node updates: NoSchedule taints and labels -----------------------------------

    async def sync(self, key: str) -> None:
        """Make the node's NoSchedule taints follow its conditions and unschedulable flag."""
        try:
            node = self.nodes.lister.get(key)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return
            raise
        to_add, to_remove = no_schedule_taint_changes(node)
        if to_add or to_remove:
            await update_node_taints(
                self.nodes_client, node, add=to_add, remove=to_remove, now_text=self._now()[1]
            )
        await self._reconcile_labels(node)

    async def _reconcile_labels(self, node: Mapping[str, Any]) -> None:
        node_labels = (node.get("metadata") or {}).get("labels") or {}
        wanted = {
            beta: node_labels[stable]
            for stable, beta in _RECONCILED_LABELS
            if stable in node_labels and node_labels.get(beta) != node_labels[stable]
        }
        if wanted:
            await self.nodes_client.patch(
                _name(node), {"metadata": {"labels": wanted}}, patch_type=PatchType.MERGE
            )

    # -- pods bound to a node that is not ready ---------------------------------------

    def _pod_updated(self, old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> None:
        node = (new.get("spec") or {}).get("nodeName")
        if node and (old is None or (old.get("spec") or {}).get("nodeName") != node):
            self.pod_queue.add(object_key(new))

    async def _pod_worker(self) -> None:
        while True:
            try:
                key = await self.pod_queue.get()
            except ShutDown:
                return
            try:
                await self._process_pod(key)
            except asyncio.CancelledError:
                raise
            except Exception as err:
                log.info("nodelifecycle: marking pod %s not ready failed: %s", key, err)
                self.pod_queue.add_rate_limited(key)
            finally:
                self.pod_queue.done(key)

    async def _process_pod(self, key: str) -> None:
        namespace, name = split_key(key)
        try:
            pod = self.pods.lister.get(name, namespace=namespace)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return
            raise
        node_name = str((pod.get("spec") or {}).get("nodeName") or "")
        health = self._health.get(node_name)
        if health is None:
            return  # not looked at yet, or removed: the next pass handles it
        self.nodes.lister.get(node_name)  # gone meanwhile: retried
        if health.ready is None or health.ready.get("status") == "True":
            return
        await self._mark_pods_not_ready([pod], node_name)

    async def _mark_pods_not_ready(self, pods: Sequence[Mapping[str, Any]], node_name: str) -> None:
        """Set Ready False on the pods (``MarkPodsNotReady``); the first failure is raised."""
        failures: list[errors.StatusError] = []
        now_text = self._now()[1]
        for pod in pods:
            if (pod.get("spec") or {}).get("nodeName") != node_name:
                continue
            ready = find_condition((pod.get("status") or {}).get("conditions"), "Ready")
            if ready is None:
                continue
            updated = copy.deepcopy(dict(pod))
            status = updated.setdefault("status", {})
            if not update_pod_condition(status, {**ready, "status": "False"}, now=now_text):
                continue
            try:
                await self.pods_client.update_status(updated)
            except errors.StatusError as err:
                if errors.is_not_found(err):
                    continue
                failures.append(err)
            self.recorder.event(updated, WARNING, "NodeNotReady", "Node is not ready")
        if failures:
            raise failures[0]

    # -- the health monitor -------------------------------------------------------------

    def _lease(self, node_name: str) -> Mapping[str, Any] | None:
        try:
            return self.leases.lister.get(node_name, namespace=NODE_LEASE_NAMESPACE)
        except errors.StatusError:
            return None

    def _add_zone(self, node: Mapping[str, Any]) -> None:
        zone = zone_key(node)
        if zone not in self._zone_states:
            self._zone_states[zone] = ZoneState.INITIAL
            self._zone_tainters[zone] = RateLimitedTimedQueue(self.options.node_eviction_rate)

    def _classify(
        self, nodes: Sequence[Mapping[str, Any]]
    ) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]], list[Mapping[str, Any]]]:
        """(new nodes, vanished nodes, known nodes of a zone not yet tracked)."""
        added, new_zones = [], []
        for node in nodes:
            if _name(node) not in self._known:
                added.append(node)
            elif zone_key(node) not in self._zone_states:
                new_zones.append(node)
        present = {_name(node) for node in nodes}
        deleted = [node for name, node in self._known.items() if name not in present]
        return added, deleted, new_zones

    async def monitor_node_health(self) -> None:
        """One pass over every node (``monitorNodeHealth``)."""
        nodes = self.nodes.lister.list()
        added, deleted, new_zones = self._classify(nodes)
        for node in new_zones:
            self._add_zone(node)
        for node in added:
            name = _name(node)
            self.recorder.event(
                _node_ref(node),
                NORMAL,
                "RegisteredNode",
                f"Node {name} event: Registered Node {name} in Controller",
            )
            self._known[name] = node
            self._add_zone(node)
            await self._mark_reachable_logged(node)
        for node in deleted:
            name = _name(node)
            self.recorder.event(
                _node_ref(node),
                NORMAL,
                "RemovingNode",
                f"Node {name} event: Removing Node {name} from Controller",
            )
            del self._known[name]
            self._health.pop(name, None)

        zone_conditions: dict[str, list[Mapping[str, Any] | None]] = {}
        limit = asyncio.Semaphore(NODE_UPDATE_WORKERS)

        async def one(node: Mapping[str, Any]) -> None:
            async with limit:
                await self._monitor_one(node, zone_conditions)

        # bounded concurrency, as upstream's ParallelizeUntil: most time is spent on IO
        async with asyncio.TaskGroup() as group:
            for node in nodes:
                group.create_task(one(node))
        await self._handle_disruption(zone_conditions, nodes)

    async def _try_update_health(self, node: Mapping[str, Any]) -> HealthObservation:
        name = _name(node)
        now, now_text = self._now()
        observation = observe_node_health(
            node,
            self._health.get(name),
            self._lease(name),
            now=now,
            now_text=now_text,
            grace_period=self.options.node_monitor_grace_period,
            startup_grace_period=self.options.node_startup_grace_period,
        )
        self._health[name] = observation.health
        if observation.conditions_to_write is not None:
            updated = copy.deepcopy(dict(node))
            updated.setdefault("status", {})["conditions"] = observation.conditions_to_write
            await self.nodes_client.update_status(updated)
            assert observation.health_after_write is not None
            self._health[name] = observation.health_after_write
        return observation

    async def _monitor_one(
        self,
        node: Mapping[str, Any],
        zone_conditions: dict[str, list[Mapping[str, Any] | None]],
    ) -> None:
        name = _name(node)
        observation: HealthObservation | None = None
        for _ in range(NODE_HEALTH_UPDATE_RETRY):
            try:
                observation = await self._try_update_health(node)
                break
            except (errors.StatusError, TransportError) as err:
                log.info("nodelifecycle: updating the health of node %s failed: %s", name, err)
                try:
                    node = await self.nodes_client.get(name)
                except (errors.StatusError, TransportError):
                    log.info("nodelifecycle: node %s is gone or unreadable; skipping it", name)
                    return
        if observation is None:
            log.warning("nodelifecycle: health of node %s not updated; no pods evicted", name)
            return
        if not excluded_from_disruption(node):
            zone_conditions.setdefault(zone_key(node), []).append(observation.current_ready)
        current, observed = observation.current_ready, observation.observed_ready
        if current is not None:
            pods = self.pods.indexer.by_index(NODE_NAME_INDEX, name)
            await self._process_taint_based_eviction(node, observed)
            needs_retry = name in self._nodes_to_retry
            went_down = current.get("status") != "True" and observed.get("status") == "True"
            if went_down:
                # reported once, when the status changes
                self.recorder.event(
                    _node_ref(node),
                    NORMAL,
                    "NodeNotReady",
                    f"Node {name} status is now: NodeNotReady",
                )
            if went_down or (needs_retry and observed.get("status") != "True"):
                try:
                    await self._mark_pods_not_ready(pods, name)
                except (errors.StatusError, TransportError) as err:
                    log.info("nodelifecycle: pods of %s not all marked not ready: %s", name, err)
                    self._nodes_to_retry.add(name)
                    return
        self._nodes_to_retry.discard(name)

    async def _process_taint_based_eviction(
        self, node: Mapping[str, Any], observed_ready: Mapping[str, Any]
    ) -> None:
        status = observed_ready.get("status")
        taints = (node.get("spec") or {}).get("taints") or []
        if status in ("False", "Unknown"):
            wanted, opposite = (
                (NOT_READY_TAINT, UNREACHABLE_TAINT)
                if status == "False"
                else (UNREACHABLE_TAINT, NOT_READY_TAINT)
            )
            if taint_exists(taints, opposite):
                # already tainted the other way: swap at once, without the rate limit
                await self._swap_taints_logged(node, add=[wanted], remove=[opposite])
            else:
                self._mark_for_tainting(node, wanted)
        elif status == "True":
            await self._mark_reachable_logged(node)

    def _mark_for_tainting(self, node: Mapping[str, Any], taint: Mapping[str, Any]) -> bool:
        self._add_zone(node)
        queue = self._zone_tainters[zone_key(node)]
        name = _name(node)
        if not taint_exists((node.get("spec") or {}).get("taints") or [], taint):
            queue.remove(name)  # so that it is queued again below
        return queue.add(name, str((node.get("metadata") or {}).get("uid", "")))

    async def _mark_reachable(self, node: Mapping[str, Any]) -> bool:
        """Remove both NoExecute taints and forget any tainting queued for the node."""
        await update_node_taints(
            self.nodes_client,
            node,
            remove=[UNREACHABLE_TAINT, NOT_READY_TAINT],
            now_text=self._now()[1],
        )
        queue = self._zone_tainters.get(zone_key(node))
        return queue.remove(_name(node)) if queue is not None else False

    async def _mark_reachable_logged(self, node: Mapping[str, Any]) -> None:
        try:
            await self._mark_reachable(node)
        except (errors.StatusError, TransportError) as err:
            log.info("nodelifecycle: removing taints from %s failed: %s", _name(node), err)

    async def _swap_taints_logged(
        self,
        node: Mapping[str, Any],
        *,
        add: Sequence[Mapping[str, Any]],
        remove: Sequence[Mapping[str, Any]],
    ) -> bool:
        try:
            await update_node_taints(
                self.nodes_client, node, add=add, remove=remove, now_text=self._now()[1]
            )
        except (errors.StatusError, TransportError) as err:
            log.info("nodelifecycle: tainting %s failed, retrying: %s", _name(node), err)
            return False
        return True

    # -- NoExecute tainting, rate limited per zone ------------------------------------

    async def no_execute_tainting_pass(self) -> None:
        """Taint the nodes each zone's queue hands out (``doNoExecuteTaintingPass``)."""
        for queue in list(self._zone_tainters.values()):
            await queue.try_process(self._taint_one)

    async def _taint_one(self, value: TimedValue) -> tuple[bool, float]:
        try:
            node = self.nodes.lister.get(value.value)
        except errors.StatusError:
            return True, 0.0  # gone
        ready = find_condition((node.get("status") or {}).get("conditions"), "Ready")
        if ready is None:
            return False, 0.05
        # "unreachable" and "not ready" mimic Ready Unknown/False: mutually exclusive
        if ready.get("status") == "False":
            add, remove = NOT_READY_TAINT, UNREACHABLE_TAINT
        elif ready.get("status") == "Unknown":
            add, remove = UNREACHABLE_TAINT, NOT_READY_TAINT
        else:
            return True, 0.0  # ready again: nothing to taint
        return await self._swap_taints_logged(node, add=[add], remove=[remove]), 0.0

    # -- zones ----------------------------------------------------------------------------

    def _set_limiter(self, zone: str, size: int, state: ZoneState | None) -> None:
        queue = self._zone_tainters.get(zone)
        if queue is None:
            return
        if state in (ZoneState.NORMAL, ZoneState.FULL_DISRUPTION):
            # a fully disrupted zone among healthy ones is evicted at the normal rate
            queue.swap_limiter(self.options.node_eviction_rate)
        elif state == ZoneState.PARTIAL_DISRUPTION:
            queue.swap_limiter(
                reduced_qps(
                    size,
                    large_cluster_threshold=self.options.large_cluster_size_threshold,
                    secondary_qps=self.options.secondary_node_eviction_rate,
                )
            )

    async def _handle_disruption(
        self,
        zone_conditions: Mapping[str, list[Mapping[str, Any] | None]],
        nodes: Sequence[Mapping[str, Any]],
    ) -> None:
        """Set each zone's tainting rate from its health (``handleDisruption``)."""
        new_states: dict[str, ZoneState] = {}
        all_are_fully_disrupted = True
        for zone, conditions in zone_conditions.items():
            _, state = compute_zone_state(conditions, self.options.unhealthy_zone_threshold)
            if state != ZoneState.FULL_DISRUPTION:
                all_are_fully_disrupted = False
            new_states[zone] = state
            self._zone_states.setdefault(zone, ZoneState.INITIAL)
        all_were_fully_disrupted = True
        for zone, state in list(self._zone_states.items()):
            if zone not in zone_conditions:
                del self._zone_states[zone]
                continue
            if state != ZoneState.FULL_DISRUPTION:
                all_were_fully_disrupted = False
                break
        if all_are_fully_disrupted and all_were_fully_disrupted:
            return
        if all_are_fully_disrupted:
            # No node answers anywhere: more likely the control plane's network than
            # every node at once. Evict nothing, and take back the NoExecute taints.
            log.info("nodelifecycle: all nodes are not ready; entering master disruption mode")
            for node in nodes:
                await self._mark_reachable_logged(node)
            for zone in self._zone_states:
                self._zone_tainters[zone].swap_limiter(0)
                self._zone_states[zone] = ZoneState.FULL_DISRUPTION
            return
        if all_were_fully_disrupted:
            log.info("nodelifecycle: some nodes are ready; exiting master disruption mode")
            now = self._clock()
            for node in nodes:
                health = self._health.get(_name(node))
                if health is not None:
                    self._health[_name(node)] = dataclasses.replace(
                        health, probe_timestamp=now, ready_transition_timestamp=now
                    )
            for zone in self._zone_states:
                entered = new_states.get(zone)
                self._set_limiter(zone, len(zone_conditions.get(zone, ())), entered)
                if entered is not None:
                    self._zone_states[zone] = entered
            return
        for zone, state in list(self._zone_states.items()):
            new = new_states.get(zone)
            if new is None or new == state:
                continue
            log.info("nodelifecycle: zone %r is now %s", zone, new)
            self._set_limiter(zone, len(zone_conditions.get(zone, ())), new)
            self._zone_states[zone] = new
