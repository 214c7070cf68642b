"""The extension points, one Protocol each, and the handle plugins receive.

A plugin is a class with a ``name`` that implements any subset of these Protocols;
the framework discovers which by ``isinstance`` when the profile is built. The
extension points, in the order a pod meets them (upstream ``framework/interface.go``):

* **QueueSort** orders the active queue (exactly one plugin).
* **PreEnqueue** may hold a pod out of the active queue (scheduling gates).
* **PreFilter** runs once per cycle; it may pre-compute state, restrict the nodes
  (``PreFilterResult``), reject the pod outright, or return ``Skip`` to opt out of
  Filter. Its optional extensions ``add_pod``/``remove_pod`` update that state when
  preemption simulates adding or removing a pod on a node.
* **Filter** runs per node; the first plugin that rejects decides the node's status.
  A plugin may also offer ``filter_nodes`` (and ``score_nodes`` for Score) to check a
  whole batch of nodes in one call: Python pays per call, and a cycle looks at hundreds
  of nodes, so the framework uses these fast paths when a plugin has them.
* **PostFilter** runs when no node fits: preemption.
* **PreScore** / **Score** (+ ``normalize_score``) rank the feasible nodes; each
  plugin's normalized score (0-100) is multiplied by its weight and summed.
* **Reserve** / **Unreserve** update plugin state when a node is chosen / given up.
* **Permit** may approve, deny or hold (``Wait``) the pod before binding.
* **PreBind**, **Bind**, **PostBind** run in the binding cycle; only these can do I/O,
  so PreBind and Bind are coroutines.

Plugins return a ``Status`` for every expected outcome; the framework turns an
exception escaping a plugin into an ``ERROR`` status.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from kubeling.scheduler.framework.cycle_state import CycleState
from kubeling.scheduler.framework.diagnosis import NodeToStatus
from kubeling.scheduler.framework.events import ClusterEventWithHint
from kubeling.scheduler.framework.nominator import PodNominator
from kubeling.scheduler.framework.objects import ClusterObjects
from kubeling.scheduler.framework.snapshot import Snapshot
from kubeling.scheduler.framework.status import Status
from kubeling.scheduler.framework.types import (
    NodeInfo,
    PodInfo,
    PostFilterResult,
    PreFilterResult,
    QueuedPodInfo,
)

if TYPE_CHECKING:
    from kubeling.scheduler.protocols import Clock, SideEffects

__all__ = [
    "BatchFilterPlugin",
    "BatchScorePlugin",
    "BindPlugin",
    "EnqueueExtensions",
    "FilterPlugin",
    "Handle",
    "NodeLocalPlugin",
    "PermitPlugin",
    "Plugin",
    "PluginFactory",
    "PostBindPlugin",
    "PostFilterPlugin",
    "PreBindPlugin",
    "PreEnqueuePlugin",
    "PreFilterExtensions",
    "PreFilterPlugin",
    "PreScorePlugin",
    "QueueSortPlugin",
    "ReservePlugin",
    "ScoreNormalizer",
    "ScorePlugin",
]


@runtime_checkable
class Plugin(Protocol):
    """Anything with a name."""

    name: str


@runtime_checkable
class QueueSortPlugin(Protocol):
    """Orders the active queue."""

    def less(self, a: QueuedPodInfo, b: QueuedPodInfo) -> bool:
        """Whether ``a`` should be scheduled before ``b``."""
        ...


@runtime_checkable
class PreEnqueuePlugin(Protocol):
    """Decides whether a pod may enter the active queue at all."""

    def pre_enqueue(self, pod: PodInfo) -> Status:
        """Success to admit the pod; a rejection keeps it parked until an event."""
        ...


@runtime_checkable
class PreFilterPlugin(Protocol):
    """Runs once per scheduling cycle before Filter."""

    def pre_filter(self, state: CycleState, pod: PodInfo) -> tuple[PreFilterResult | None, Status]:
        """Pre-compute, restrict nodes, reject, or Skip."""
        ...


@runtime_checkable
class PreFilterExtensions(Protocol):
    """Keeps a PreFilter's state right while preemption adds or removes pods."""

    def add_pod(
        self, state: CycleState, pod: PodInfo, pod_to_add: PodInfo, node: NodeInfo
    ) -> Status:
        """``pod_to_add`` is now assumed to run on ``node``."""
        ...

    def remove_pod(
        self, state: CycleState, pod: PodInfo, pod_to_remove: PodInfo, node: NodeInfo
    ) -> Status:
        """``pod_to_remove`` is now assumed gone from ``node``."""
        ...


@runtime_checkable
class FilterPlugin(Protocol):
    """Decides whether the pod can run on one node."""

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status:
        """Success, or a rejection with the reasons that go into the failure message."""
        ...


@runtime_checkable
class BatchFilterPlugin(Protocol):
    """A Filter plugin that also checks many nodes in one call.

    A fast path only: the answers must be exactly those of ``filter`` on each node
    (which stays the reference), so a cycle may use either.
    """

    def filter_nodes(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]
    ) -> list[tuple[int, Status]]:
        """``(index, status)`` for every node of ``nodes`` that ``filter`` rejects."""
        ...


@runtime_checkable
class NodeLocalPlugin(Protocol):
    """A Filter/Score plugin whose verdict and raw score on a node depend only on that
    node's ``NodeInfo`` and on the fields of the pod its signature names (not on the
    cycle state, not on other nodes): the framework then remembers them per node until
    the node changes (see ``framework.memo``)."""

    def node_signature(self, pod: PodInfo) -> Hashable | None:
        """The fields of ``pod`` the answers depend on; None: do not remember them."""
        ...


@runtime_checkable
class PostFilterPlugin(Protocol):
    """Runs when no node passed Filter (preemption)."""

    def post_filter(
        self, state: CycleState, pod: PodInfo, statuses: NodeToStatus
    ) -> tuple[PostFilterResult | None, Status]:
        """Try to make the pod schedulable in a later cycle."""
        ...


@runtime_checkable
class PreScorePlugin(Protocol):
    """Runs once before Score with the feasible nodes."""

    def pre_score(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]) -> Status:
        """Pre-compute, or Skip to opt out of Score."""
        ...


@runtime_checkable
class ScorePlugin(Protocol):
    """Ranks feasible nodes."""

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> tuple[int, Status]:
        """A raw score for one node."""
        ...


@runtime_checkable
class BatchScorePlugin(Protocol):
    """A Score plugin that also scores many nodes in one call (the same answers as
    ``score`` on each node, faster)."""

    def score_nodes(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]) -> list[int]:
        """The raw score of each node of ``nodes``, in order."""
        ...


@runtime_checkable
class ScoreNormalizer(Protocol):
    """Maps a Score plugin's raw scores into [0, MAX_NODE_SCORE]."""

    def normalize_score(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo], scores: list[int]
    ) -> Status:
        """Rewrite ``scores`` (the raw score of each of ``nodes``) in place."""
        ...


@runtime_checkable
class ReservePlugin(Protocol):
    """Holds plugin state for the chosen node until binding ends."""

    def reserve(self, state: CycleState, pod: PodInfo, node_name: str) -> Status:
        """The pod is assumed on ``node_name``."""
        ...

    def unreserve(self, state: CycleState, pod: PodInfo, node_name: str) -> None:
        """The pod will not go to ``node_name`` after all; release what was reserved."""
        ...


@runtime_checkable
class PermitPlugin(Protocol):
    """Approves, denies, or holds the pod before binding."""

    def permit(self, state: CycleState, pod: PodInfo, node_name: str) -> tuple[Status, float]:
        """A status and, with ``Wait``, the seconds to wait at most."""
        ...


@runtime_checkable
class PreBindPlugin(Protocol):
    """Prepares the binding (e.g. volumes)."""

    async def pre_bind(self, state: CycleState, pod: PodInfo, node_name: str) -> Status:
        """Do the work; a failure sends the pod back to the queue."""
        ...


@runtime_checkable
class BindPlugin(Protocol):
    """Binds the pod; the first plugin that does not Skip decides."""

    async def bind(self, state: CycleState, pod: PodInfo, node_name: str) -> Status:
        """Bind, or Skip to let the next bind plugin do it."""
        ...


@runtime_checkable
class PostBindPlugin(Protocol):
    """Informational, after a successful bind."""

    def post_bind(self, state: CycleState, pod: PodInfo, node_name: str) -> None:
        """Clean up after binding."""
        ...


@runtime_checkable
class EnqueueExtensions(Protocol):
    """Declares which cluster events may make a pod this plugin rejected schedulable."""

    def events_to_register(self) -> Sequence[ClusterEventWithHint]:
        """The events, each with an optional queueing hint."""
        ...


class Handle(Protocol):
    """What the framework lends its plugins (upstream ``framework.Handle``)."""

    @property
    def snapshot(self) -> Snapshot:
        """The current cycle's snapshot."""
        ...

    @property
    def objects(self) -> ClusterObjects:
        """Claims, volumes, classes, budgets and owners, as last seen."""
        ...

    @property
    def nominator(self) -> PodNominator:
        """Nominated pods per node."""
        ...

    @property
    def effects(self) -> SideEffects:
        """The outbound ports (binder, status patcher, ...)."""
        ...

    @property
    def clock(self) -> Clock:
        """The scheduler's clock."""
        ...

    @property
    def scheduler_name(self) -> str:
        """The profile's scheduler name."""
        ...

    def latest_pod(self, pod: PodInfo) -> PodInfo | None:
        """The most recent version of a pending pod, or None if it is gone."""
        ...

    def run_filter_plugins_with_nominated_pods(
        self, state: CycleState, pod: PodInfo, node: NodeInfo
    ) -> Status:
        """Filter one node as if higher-or-equal priority nominated pods ran there."""
        ...

    def run_pre_filter_extension_add_pod(
        self, state: CycleState, pod: PodInfo, pod_to_add: PodInfo, node: NodeInfo
    ) -> Status:
        """Tell every PreFilter extension that ``pod_to_add`` now runs on ``node``."""
        ...

    def run_pre_filter_extension_remove_pod(
        self, state: CycleState, pod: PodInfo, pod_to_remove: PodInfo, node: NodeInfo
    ) -> Status:
        """Tell every PreFilter extension that ``pod_to_remove`` left ``node``."""
        ...


class PluginFactory(Protocol):
    """Builds a plugin from its arguments (``pluginConfig[].args``) and the handle."""

    def __call__(self, args: Mapping[str, Any], handle: Handle) -> Plugin:
        """A new plugin instance."""
        ...
