"""The framework: one profile's plugins, run extension point by extension point.

``Framework`` builds the profile's plugins from the registry (each factory receives
its arguments and the framework itself as the ``Handle``), sorts them into the
extension points they implement, and runs each point with upstream's rules
(``framework/runtime/framework.go``):

* PreFilter: a ``Skip`` disables that plugin's Filter for the cycle; an
  ``UnschedulableAndUnresolvable`` stops at once; an ``Unschedulable`` is remembered
  but the remaining PreFilters still run (preemption will need their state); node
  restrictions from several plugins intersect, and an empty intersection rejects the
  pod with ``node(s) didn't satisfy plugin(s) [A B] simultaneously``.
* Filter: the first rejecting plugin decides, tagged with its name. ``filter_nodes``
  runs the same rules over a batch of nodes, plugin by plugin (each plugin sees only
  the nodes every earlier plugin passed), through the plugins' batch fast paths.
* PostFilter: the first success wins; otherwise the reasons of all are combined.
* Node-local plugins' Filter verdicts and score sums are remembered per node until the
  node changes (``framework.memo``).
* Score: raw scores (a plugin's ``score_nodes`` when it has one), then
  ``normalize_score``, then a range check (0-100) and the weight; the node's total is
  the sum.
* Permit: a ``Wait`` parks the pod until every waiting plugin allows it, one rejects
  it, or its timeout passes.

Any exception escaping a plugin becomes an ``ERROR`` status naming the plugin.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TYPE_CHECKING

from kubeling.scheduler.framework.cycle_state import CycleState
from kubeling.scheduler.framework.diagnosis import NodeToStatus
from kubeling.scheduler.framework.events import ClusterEventWithHint
from kubeling.scheduler.framework.interfaces import (
    BatchFilterPlugin,
    BatchScorePlugin,
    BindPlugin,
    EnqueueExtensions,
    FilterPlugin,
    NodeLocalPlugin,
    PermitPlugin,
    Plugin,
    PluginFactory,
    PostBindPlugin,
    PostFilterPlugin,
    PreBindPlugin,
    PreEnqueuePlugin,
    PreFilterExtensions,
    PreFilterPlugin,
    PreScorePlugin,
    QueueSortPlugin,
    ReservePlugin,
    ScoreNormalizer,
    ScorePlugin,
)
from kubeling.scheduler.framework.memo import NodeMemo
from kubeling.scheduler.framework.nominator import PodNominator
from kubeling.scheduler.framework.objects import ClusterObjects
from kubeling.scheduler.framework.profile import Profile
from kubeling.scheduler.framework.snapshot import Snapshot
from kubeling.scheduler.framework.status import Code, Status, success
from kubeling.scheduler.framework.types import (
    MAX_NODE_SCORE,
    NodeInfo,
    PodInfo,
    PostFilterResult,
    PreFilterResult,
    QueuedPodInfo,
)

if TYPE_CHECKING:
    from kubeling.scheduler.protocols import Clock, SideEffects

__all__ = ["Framework", "FrameworkError", "WaitingPod"]


class FrameworkError(ValueError):
    """The profile cannot be built (unknown plugin, no queue sort, duplicates)."""


class WaitingPod:
    """A pod a Permit plugin holds; allowed, rejected or timed out."""

    def __init__(self, pod: PodInfo, pending: Mapping[str, float]) -> None:
        """Wait on every plugin in ``pending`` (plugin name → timeout seconds)."""
        self.pod = pod
        self._pending = set(pending)
        self.timeout = min(pending.values()) if pending else 0.0
        self._plugin_for_timeout = min(pending, key=lambda name: pending[name]) if pending else ""
        self._done: asyncio.Future[Status] = asyncio.get_running_loop().create_future()

    def allow(self, plugin: str) -> None:
        """``plugin`` lets the pod go; it binds once no plugin is still pending."""
        self._pending.discard(plugin)
        if not self._pending and not self._done.done():
            self._done.set_result(success())

    def reject(self, plugin: str, message: str) -> None:
        """``plugin`` refuses the pod."""
        if not self._done.done():
            self._done.set_result(Status.unschedulable(message).with_plugin(plugin))

    async def wait(self) -> Status:
        """The verdict, or a rejection when the shortest timeout passes."""
        try:
            return await asyncio.wait_for(asyncio.shield(self._done), self.timeout)
        except TimeoutError:
            message = (
                f"rejected due to timeout after waiting {self.timeout}s "
                f"at plugin {self._plugin_for_timeout}"
            )
            return Status.unschedulable(message).with_plugin(self._plugin_for_timeout)


_log = logging.getLogger(__name__)
# Bound on the shared tagged rejections (reasons may name claims or taints).
_MAX_TAGGED = 4096


class Framework:
    """One profile's plugins and the code that runs them (the plugins' ``Handle``)."""

    def __init__(
        self,
        profile: Profile,
        registry: Mapping[str, PluginFactory],
        *,
        snapshot: Callable[[], Snapshot],
        objects: ClusterObjects,
        nominator: PodNominator,
        effects: SideEffects,
        clock: Clock,
        latest_pod: Callable[[PodInfo], PodInfo | None],
    ) -> None:
        """Build every plugin of ``profile``; raises ``FrameworkError`` on a bad profile."""
        self.profile = profile
        self._snapshot = snapshot
        self._objects = objects
        self._nominator = nominator
        self._effects = effects
        self._clock = clock
        self._latest_pod = latest_pod
        self.plugins: dict[str, Plugin] = {}
        self.weights: dict[str, int] = {}
        for spec in profile.plugins:
            if spec.name in self.plugins:
                raise FrameworkError(f"plugin {spec.name!r} already registered")
            factory = registry.get(spec.name)
            if factory is None:
                raise FrameworkError(f"{spec.name!r} does not exist")
            args = profile.plugin_args.get(spec.name, {})
            self.plugins[spec.name] = factory(args, self)
            self.weights[spec.name] = spec.weight or 1
        self.queue_sort: list[tuple[str, QueueSortPlugin]] = [
            (n, p) for n, p in self.plugins.items() if isinstance(p, QueueSortPlugin)
        ]
        if len(self.queue_sort) != 1:
            raise FrameworkError("exactly one queue sort plugin must be enabled")
        self.pre_enqueue: list[tuple[str, PreEnqueuePlugin]] = [
            (n, p) for n, p in self.plugins.items() if isinstance(p, PreEnqueuePlugin)
        ]
        self.pre_filter: list[tuple[str, PreFilterPlugin]] = [
            (n, p) for n, p in self.plugins.items() if isinstance(p, PreFilterPlugin)
        ]
        self.filter_plugins: list[tuple[str, FilterPlugin]] = [
            (n, p) for n, p in self.plugins.items() if isinstance(p, FilterPlugin)
        ]
        self.post_filter: list[tuple[str, PostFilterPlugin]] = [
            (n, p) for n, p in self.plugins.items() if isinstance(p, PostFilterPlugin)
        ]
        self.pre_score: list[tuple[str, PreScorePlugin]] = [
            (n, p) for n, p in self.plugins.items() if isinstance(p, PreScorePlugin)
        ]
        self.score_plugins: list[tuple[str, ScorePlugin]] = [
            (n, p) for n, p in self.plugins.items() if isinstance(p, ScorePlugin)
        ]
        self.reserve: list[tuple[str, ReservePlugin]] = [
            (n, p) for n, p in self.plugins.items() if isinstance(p, ReservePlugin)
        ]
        self.permit: list[tuple[str, PermitPlugin]] = [
            (n, p) for n, p in self.plugins.items() if isinstance(p, PermitPlugin)
        ]
        self.pre_bind: list[tuple[str, PreBindPlugin]] = [
            (n, p) for n, p in self.plugins.items() if isinstance(p, PreBindPlugin)
        ]
        self.bind_plugins: list[tuple[str, BindPlugin]] = [
            (n, p) for n, p in self.plugins.items() if isinstance(p, BindPlugin)
        ]
        self.post_bind: list[tuple[str, PostBindPlugin]] = [
            (n, p) for n, p in self.plugins.items() if isinstance(p, PostBindPlugin)
        ]
        # The fast paths, and the normalizers, found once (isinstance on a Protocol is slow).
        self._batch_filters: dict[str, BatchFilterPlugin] = {
            n: p for n, p in self.filter_plugins if isinstance(p, BatchFilterPlugin)
        }
        self._batch_scores: dict[str, BatchScorePlugin] = {
            n: p for n, p in self.score_plugins if isinstance(p, BatchScorePlugin)
        }
        self._normalizers: dict[str, ScoreNormalizer] = {
            n: p for n, p in self.score_plugins if isinstance(p, ScoreNormalizer)
        }
        self._node_local: dict[str, NodeLocalPlugin] = {
            n: p for n, p in self.plugins.items() if isinstance(p, NodeLocalPlugin)
        }
        # Filter verdicts and node-local score sums, per node (``framework.memo``).
        self._verdicts: NodeMemo[Status | None] = NodeMemo()
        self._local_scores: NodeMemo[int] = NodeMemo()
        self._extensions: list[tuple[str, PreFilterExtensions]] = [
            (n, p) for n, p in self.pre_filter if isinstance(p, PreFilterExtensions)
        ]
        # Rejections tagged with their plugin, shared: a cycle may reject thousands of nodes
        # for the same few reasons.
        self._tagged: dict[tuple[Status, str], Status] = {}
        self._waiting: dict[str, WaitingPod] = {}

    # --- Handle -----------------------------------------------------------------

    @property
    def snapshot(self) -> Snapshot:
        """The current cycle's snapshot."""
        return self._snapshot()

    @property
    def objects(self) -> ClusterObjects:
        """Other objects, as last seen."""
        return self._objects

    @property
    def nominator(self) -> PodNominator:
        """Nominated pods per node."""
        return self._nominator

    @property
    def effects(self) -> SideEffects:
        """The outbound ports."""
        return self._effects

    @property
    def clock(self) -> Clock:
        """The scheduler's clock."""
        return self._clock

    @property
    def scheduler_name(self) -> str:
        """The profile's scheduler name."""
        return self.profile.scheduler_name

    def latest_pod(self, pod: PodInfo) -> PodInfo | None:
        """The most recent version of a pending pod, or None when it is gone."""
        return self._latest_pod(pod)

    # --- queue ------------------------------------------------------------------

    def less(self, a: QueuedPodInfo, b: QueuedPodInfo) -> bool:
        """The queue-sort plugin's order."""
        return self.queue_sort[0][1].less(a, b)

    def events_to_register(self) -> dict[str, list[ClusterEventWithHint]]:
        """Each plugin's declared events, by plugin name."""
        events: dict[str, list[ClusterEventWithHint]] = {}
        for name, plugin in self.plugins.items():
            if isinstance(plugin, EnqueueExtensions):
                events[name] = list(plugin.events_to_register())
        return events

    def run_pre_enqueue_plugins(self, pod: PodInfo) -> Status:
        """The first PreEnqueue rejection, or success."""
        for name, plugin in self.pre_enqueue:
            try:
                status = plugin.pre_enqueue(pod)
            except Exception as err:  # a plugin bug must not take the scheduler down
                status = Status.as_error(err)
            if not status.is_success():
                return status.with_plugin(name)
        return success()

    # --- filtering ----------------------------------------------------------------

    def run_pre_filter_plugins(
        self, state: CycleState, pod: PodInfo
    ) -> tuple[PreFilterResult | None, Status, set[str]]:
        """Run PreFilter; returns the node restriction, the status, and the restricting plugins."""
        result: PreFilterResult | None = None
        restricting: list[str] = []
        skipped: set[str] = set()
        returned = success()
        for name, plugin in self.pre_filter:
            try:
                plugin_result, status = plugin.pre_filter(state, pod)
            except Exception as err:  # a plugin bug must not take the scheduler down
                plugin_result, status = None, Status.as_error(err)
            if status.is_skip():
                skipped.add(name)
                continue
            if not status.is_success():
                status = status.with_plugin(name)
                if status.code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE:
                    return None, status, set()
                if status.code is Code.UNSCHEDULABLE:
                    # Keep going: preemption needs every PreFilter's state.
                    returned = status
                    continue
                message = f'running PreFilter plugin "{name}": {status.message()}'
                return None, Status(Code.ERROR, (message,), name), set()
            if plugin_result is not None and not plugin_result.all_nodes():
                restricting.append(name)
            result = plugin_result if result is None else result.merge(plugin_result)
            if result is not None and result.node_names is not None and not result.node_names:
                names = sorted(restricting)
                if len(names) == 1:
                    message = f"node(s) didn't satisfy plugin {names[0]}"
                else:
                    message = f"node(s) didn't satisfy plugin(s) [{' '.join(names)}] simultaneously"
                return result, Status.unresolvable(message), set(names)
        state.skip_filter_plugins = frozenset(skipped)
        return result, returned, set(restricting)

    def run_filter_plugins(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status:
        """The first rejection (tagged with its plugin), an error, or success."""
        skipped = state.skip_filter_plugins
        for name, plugin in self.filter_plugins:
            if name in skipped:
                continue
            try:
                status = plugin.filter(state, pod, node)
            except Exception as err:  # a plugin bug must not take the scheduler down
                status = Status.as_error(err, name)
            if not status.is_success():
                return self._filter_verdict(name, status)
        return success()

    def _filter_verdict(self, name: str, status: Status) -> Status:
        """A plugin's rejection tagged with its name, or its error wrapped."""
        if not status.is_rejected():
            message = f'running "{name}" filter plugin: {status.message()}'
            return Status(Code.ERROR, (message,), name)
        if status.error is not None:
            return status.with_plugin(name)
        key = (status, name)
        tagged = self._tagged.get(key)
        if tagged is None:
            if len(self._tagged) > _MAX_TAGGED:
                self._tagged.clear()
            tagged = self._tagged[key] = status.with_plugin(name)
        return tagged

    def filter_nodes(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]
    ) -> list[Status | None]:
        """``run_filter_plugins`` for each of ``nodes``: its verdict, None where all pass.

        When every plugin that runs is node-local, a node's verdict for pods like this one
        is remembered until the node changes (``framework.memo``).
        """
        signature = self._local_signature(state.skip_filter_plugins, self.filter_plugins, pod)
        if signature is None:
            return self._filter_plugin_by_plugin(state, pod, nodes)
        table = self._verdicts.table(signature, len(self.snapshot.node_info_map))
        verdicts: list[Status | None] = [None] * len(nodes)
        misses: list[int] = []
        for index, node in enumerate(nodes):
            known = table.get(node)
            if known is None or known[0] != node.generation:
                misses.append(index)
            else:
                verdicts[index] = known[1]
        if misses:
            found = self._filter_plugin_by_plugin(state, pod, [nodes[i] for i in misses])
            for index, verdict in zip(misses, found, strict=True):
                verdicts[index] = verdict
                if verdict is None or verdict.code is not Code.ERROR:  # errors are not answers
                    node = nodes[index]
                    table[node] = (node.generation, verdict)
        return verdicts

    def _local_signature(
        self, skipped: frozenset[str], plugins: Sequence[tuple[str, object]], pod: PodInfo
    ) -> Hashable | None:
        """The signatures of the plugins that run, if all of them are node-local."""
        parts: list[tuple[str, Hashable]] = []
        for name, _ in plugins:
            if name in skipped:
                continue
            local = self._node_local.get(name)
            signature = local.node_signature(pod) if local is not None else None
            if signature is None:
                return None
            parts.append((name, signature))
        return tuple(parts)

    def _filter_plugin_by_plugin(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]
    ) -> list[Status | None]:
        """Each plugin sees the nodes every earlier plugin let through, so a node's verdict
        is its first rejection, as node by node."""
        verdicts: list[Status | None] = [None] * len(nodes)
        remaining = list(range(len(nodes)))
        skipped = state.skip_filter_plugins
        for name, plugin in self.filter_plugins:
            if not remaining:
                break
            if name in skipped:
                continue
            subset = [nodes[i] for i in remaining] if len(remaining) < len(nodes) else nodes
            rejected = self._filter_batch(name, plugin, state, pod, subset)
            if not rejected:
                continue
            for index, status in rejected:
                verdicts[remaining[index]] = self._filter_verdict(name, status)
            remaining = [i for i in remaining if verdicts[i] is None]
        return verdicts

    def _filter_batch(
        self,
        name: str,
        plugin: FilterPlugin,
        state: CycleState,
        pod: PodInfo,
        nodes: Sequence[NodeInfo],
    ) -> list[tuple[int, Status]]:
        batch = self._batch_filters.get(name)
        if batch is not None:
            try:
                return batch.filter_nodes(state, pod, nodes)
            except Exception:  # a plugin bug: node by node, so each node gets its error
                _log.debug("filter_nodes of %s failed; filtering node by node", name)
        rejected: list[tuple[int, Status]] = []
        for index, node in enumerate(nodes):
            try:
                status = plugin.filter(state, pod, node)
            except Exception as err:  # a plugin bug must not take the scheduler down
                status = Status.as_error(err, name)
            if not status.is_success():
                rejected.append((index, status))
        return rejected

    def nodes_with_nominated_pods(self, pod: PodInfo) -> frozenset[str]:
        """The nodes where pods of at least ``pod``'s priority are nominated."""
        return self._nominator.nodes_with_pods(min_priority=pod.priority, other_than=pod.key)

    def filter_nodes_with_nominated_pods(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]
    ) -> list[Status | None]:
        """``run_filter_plugins_with_nominated_pods`` for each of ``nodes`` (None: fits)."""
        nominated = self.nodes_with_nominated_pods(pod)
        if not nominated:
            return self.filter_nodes(state, pod, nodes)
        plain = [i for i, node in enumerate(nodes) if node.name not in nominated]
        verdicts: list[Status | None] = [None] * len(nodes)
        plain_verdicts = self.filter_nodes(state, pod, [nodes[i] for i in plain])
        for i, verdict in zip(plain, plain_verdicts, strict=True):
            verdicts[i] = verdict
        for i, node in enumerate(nodes):
            if node.name in nominated:
                status = self.run_filter_plugins_with_nominated_pods(state, pod, node)
                verdicts[i] = None if status.is_success() else status
        return verdicts

    def run_filter_plugins_with_nominated_pods(
        self, state: CycleState, pod: PodInfo, node: NodeInfo
    ) -> Status:
        """Filter ``node`` with equal-or-higher priority nominated pods added, then without.

        The second pass (without them) only runs when the first passed: a pod that
        fits only thanks to an absent nominated pod's anti-affinity must not pass.
        """
        added_state, added_node = self._with_nominated_pods(state, pod, node)
        if added_node is None:
            return self.run_filter_plugins(state, pod, node)
        if isinstance(added_state, Status):
            return added_state
        status = self.run_filter_plugins(added_state, pod, added_node)
        if not status.is_success():
            return status
        return self.run_filter_plugins(state, pod, node)

    def _with_nominated_pods(
        self, state: CycleState, pod: PodInfo, node: NodeInfo
    ) -> tuple[CycleState | Status, NodeInfo | None]:
        nominated = [
            other
            for other in self._nominator.pods_for_node(node.name)
            if other.priority >= pod.priority and other.key != pod.key
        ]
        if not nominated:
            return state, None
        node_copy = node.clone()
        state_copy = state.clone()
        for other in nominated:
            node_copy.add_pod(other)
            status = self.run_pre_filter_extension_add_pod(state_copy, pod, other, node_copy)
            if not status.is_success():
                return status, node_copy
        return state_copy, node_copy

    def _run_extension(
        self,
        state: CycleState,
        call: Callable[[PreFilterExtensions], Status],
        verb: str,
    ) -> Status:
        for name, plugin in self._extensions:
            if name in state.skip_filter_plugins:
                continue
            try:
                status = call(plugin)
            except Exception as err:  # a plugin bug must not take the scheduler down
                status = Status.as_error(err, name)
            if not status.is_success():
                message = f'running {verb} on PreFilter plugin "{name}": {status.message()}'
                return Status(Code.ERROR, (message,), name)
        return success()

    def run_pre_filter_extension_add_pod(
        self, state: CycleState, pod: PodInfo, pod_to_add: PodInfo, node: NodeInfo
    ) -> Status:
        """Every PreFilter extension's ``add_pod``."""
        return self._run_extension(
            state, lambda p: p.add_pod(state, pod, pod_to_add, node), "AddPod"
        )

    def run_pre_filter_extension_remove_pod(
        self, state: CycleState, pod: PodInfo, pod_to_remove: PodInfo, node: NodeInfo
    ) -> Status:
        """Every PreFilter extension's ``remove_pod``."""
        return self._run_extension(
            state, lambda p: p.remove_pod(state, pod, pod_to_remove, node), "RemovePod"
        )

    def run_post_filter_plugins(
        self, state: CycleState, pod: PodInfo, statuses: NodeToStatus
    ) -> tuple[PostFilterResult | None, Status]:
        """The first successful PostFilter's result, or the combined rejection."""
        reasons: list[str] = []
        rejector = ""
        result: PostFilterResult | None = None
        for name, plugin in self.post_filter:
            try:
                outcome, status = plugin.post_filter(state, pod, statuses)
            except Exception as err:  # a plugin bug must not take the scheduler down
                outcome, status = None, Status.as_error(err)
            if status.is_success():
                return outcome, status
            if status.code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE:
                return outcome, status.with_plugin(name)
            if not status.is_rejected():
                return None, Status(Code.ERROR, status.all_reasons(), name)
            if outcome is not None:
                result = outcome
            reasons.extend(status.all_reasons())
            rejector = rejector or name
        return result, Status(Code.UNSCHEDULABLE, tuple(reasons), rejector)

    # --- scoring ------------------------------------------------------------------

    def run_pre_score_plugins(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]
    ) -> Status:
        """Run PreScore; a Skip disables that plugin's Score for the cycle."""
        skipped: set[str] = set()
        for name, plugin in self.pre_score:
            try:
                status = plugin.pre_score(state, pod, nodes)
            except Exception as err:  # a plugin bug must not take the scheduler down
                status = Status.as_error(err)
            if status.is_skip():
                skipped.add(name)
            elif not status.is_success():
                message = f'running PreScore plugin "{name}": {status.message()}'
                return Status(Code.ERROR, (message,), name)
        state.skip_score_plugins = frozenset(skipped)
        return success()

    def run_score_plugins(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]
    ) -> tuple[list[int], Status]:
        """Each node's weighted total over the Score plugins not skipped.

        The node-local plugins without normalization (NodeResourcesFit, BalancedAllocation)
        add up to a part of each node's total that only the node and the pod decide: it is
        remembered per node until the node changes (``framework.memo``).
        """
        skipped = state.skip_score_plugins
        local = [
            (name, plugin)
            for name, plugin in self.score_plugins
            if name not in skipped and name in self._node_local and name not in self._normalizers
        ]
        signature = self._local_signature(skipped, local, pod) if local else None
        if signature is None:
            local = []
            totals = [0] * len(nodes)
        else:
            totals, status = self._local_totals(state, pod, nodes, local, signature)
            if not status.is_success():
                return [], status
        done = {name for name, _ in local}
        for name, plugin in self.score_plugins:
            if name in skipped or name in done:
                continue
            scores, status = self._weighted_scores(name, plugin, state, pod, nodes)
            if not status.is_success():
                return [], status
            totals = [total + score for total, score in zip(totals, scores, strict=True)]
        return totals, success()

    def _local_totals(
        self,
        state: CycleState,
        pod: PodInfo,
        nodes: Sequence[NodeInfo],
        plugins: Sequence[tuple[str, ScorePlugin]],
        signature: Hashable,
    ) -> tuple[list[int], Status]:
        """The weighted sum of ``plugins``' scores per node, remembered per node."""
        table = self._local_scores.table(signature, len(self.snapshot.node_info_map))
        totals = [0] * len(nodes)
        misses: list[int] = []
        for index, node in enumerate(nodes):
            known = table.get(node)
            if known is None or known[0] != node.generation:
                misses.append(index)
            else:
                totals[index] = known[1]
        if not misses:
            return totals, success()
        unknown = [nodes[i] for i in misses]
        found = [0] * len(unknown)
        for name, plugin in plugins:
            scores, status = self._weighted_scores(name, plugin, state, pod, unknown)
            if not status.is_success():
                return [], status
            found = [total + score for total, score in zip(found, scores, strict=True)]
        for index, total in zip(misses, found, strict=True):
            totals[index] = total
            node = nodes[index]
            table[node] = (node.generation, total)
        return totals, success()

    def _weighted_scores(
        self,
        name: str,
        plugin: ScorePlugin,
        state: CycleState,
        pod: PodInfo,
        nodes: Sequence[NodeInfo],
    ) -> tuple[list[int], Status]:
        """One plugin's scores: raw, normalized, checked to be in range, weighted."""
        scores, status = self._raw_scores(name, plugin, state, pod, nodes)
        if not status.is_success():
            return [], status
        normalizer = self._normalizers.get(name)
        if normalizer is not None:
            try:
                status = normalizer.normalize_score(state, pod, nodes, scores)
            except Exception as err:  # a plugin bug must not take the scheduler down
                status = Status.as_error(err)
            if not status.is_success():
                message = f"running Normalize on Score plugins: {status.message()}"
                return [], Status(Code.ERROR, (message,), name)
        if scores and (min(scores) < 0 or max(scores) > MAX_NODE_SCORE):
            bad = next(s for s in scores if not 0 <= s <= MAX_NODE_SCORE)
            message = (
                f'plugin "{name}" returns an invalid score {bad}, '
                f"it should in the range of [0, {MAX_NODE_SCORE}] after normalizing"
            )
            return [], Status(Code.ERROR, (message,), name)
        weight = self.weights[name]
        if weight != 1:
            scores = [score * weight for score in scores]
        return scores, success()

    def _raw_scores(
        self,
        name: str,
        plugin: ScorePlugin,
        state: CycleState,
        pod: PodInfo,
        nodes: Sequence[NodeInfo],
    ) -> tuple[list[int], Status]:
        batch = self._batch_scores.get(name)
        if batch is not None:
            try:
                return batch.score_nodes(state, pod, nodes), success()
            except Exception:  # a plugin bug: node by node, to report it as upstream does
                _log.debug("score_nodes of %s failed; scoring node by node", name)
        scores: list[int] = []
        for node in nodes:
            try:
                value, status = plugin.score(state, pod, node)
            except Exception as err:  # a plugin bug must not take the scheduler down
                status, value = Status.as_error(err, name), 0
            if not status.is_success():
                message = f'plugin "{name}" failed with: {status.message()}'
                return [], Status(Code.ERROR, (message,), name)
            scores.append(value)
        return scores, success()

    # --- reserve, permit, bind ------------------------------------------------------

    def run_reserve_plugins_reserve(
        self, state: CycleState, pod: PodInfo, node_name: str
    ) -> Status:
        """Reserve on every plugin; the first failure stops."""
        for name, plugin in self.reserve:
            try:
                status = plugin.reserve(state, pod, node_name)
            except Exception as err:  # a plugin bug must not take the scheduler down
                status = Status.as_error(err)
            if not status.is_success():
                if status.is_rejected():
                    return status.with_plugin(name)
                message = f'running Reserve plugin "{name}": {status.message()}'
                return Status(Code.ERROR, (message,), name)
        return success()

    def run_reserve_plugins_unreserve(
        self, state: CycleState, pod: PodInfo, node_name: str
    ) -> None:
        """Unreserve on every plugin, in reverse order, ignoring failures."""
        for name, plugin in reversed(self.reserve):
            try:
                plugin.unreserve(state, pod, node_name)
            except Exception:  # Unreserve cannot fail the pod (upstream ignores it too).
                _log.exception("Unreserve of plugin %s failed for pod %s", name, pod)

    def run_permit_plugins(self, state: CycleState, pod: PodInfo, node_name: str) -> Status:
        """Permit on every plugin: a rejection, ``Wait`` (pod parked), or success."""
        pending: dict[str, float] = {}
        for name, plugin in self.permit:
            try:
                status, timeout = plugin.permit(state, pod, node_name)
            except Exception as err:  # a plugin bug must not take the scheduler down
                status, timeout = Status.as_error(err), 0.0
            if status.is_wait():
                pending[name] = timeout
            elif not status.is_success():
                if status.is_rejected():
                    return status.with_plugin(name)
                message = f'running Permit plugin "{name}": {status.message()}'
                return Status(Code.ERROR, (message,), name)
        if pending:
            self._waiting[pod.key] = WaitingPod(pod, pending)
            return Status(Code.WAIT)
        return success()

    def waiting_pod(self, key: str) -> WaitingPod | None:
        """The parked pod with ``key`` (for Permit plugins to allow or reject)."""
        return self._waiting.get(key)

    async def wait_on_permit(self, pod: PodInfo) -> Status:
        """Wait for a parked pod's verdict (success right away when not parked)."""
        waiting = self._waiting.get(pod.key)
        if waiting is None:
            return success()
        try:
            return await waiting.wait()
        finally:
            self._waiting.pop(pod.key, None)

    async def run_pre_bind_plugins(self, state: CycleState, pod: PodInfo, node_name: str) -> Status:
        """PreBind on every plugin; the first failure stops."""
        for name, plugin in self.pre_bind:
            try:
                status = await plugin.pre_bind(state, pod, node_name)
            except Exception as err:  # an API failure is a retriable error
                status = Status.as_error(err, name)
            if not status.is_success():
                message = f'running PreBind plugin "{name}": {status.message()}'
                return Status(status.code if status.is_rejected() else Code.ERROR, (message,), name)
        return success()

    async def run_bind_plugins(self, state: CycleState, pod: PodInfo, node_name: str) -> Status:
        """The first bind plugin that does not Skip binds the pod."""
        status = Status.skip()
        for name, plugin in self.bind_plugins:
            try:
                status = await plugin.bind(state, pod, node_name)
            except Exception as err:  # an API failure is a retriable error
                status = Status.as_error(err, name)
            if status.is_skip():
                continue
            if not status.is_success():
                message = f'running Bind plugin "{name}": {status.message()}'
                return Status(status.code if status.is_rejected() else Code.ERROR, (message,), name)
            return status
        return status

    def run_post_bind_plugins(self, state: CycleState, pod: PodInfo, node_name: str) -> None:
        """PostBind on every plugin, ignoring failures."""
        for name, plugin in self.post_bind:
            try:
                plugin.post_bind(state, pod, node_name)
            except Exception:  # PostBind is informational (upstream ignores failures too).
                _log.exception("PostBind of plugin %s failed for pod %s", name, pod)
