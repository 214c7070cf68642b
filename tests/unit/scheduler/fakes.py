"""Builders for pod and node objects, a fake clock, and an in-memory API for the scheduler.

``FakeCluster`` implements every port of ``kubeling.scheduler.protocols`` the way the
API server and informers would behave, synchronously: a binding sets
``spec.nodeName`` and feeds the update back to the scheduler, a status patch merges
the condition by type, a delete removes the pod and reports it. It records every call
so that tests can assert on them.
"""

from __future__ import annotations

import copy
import datetime
import random
from collections.abc import Iterable, Mapping
from typing import Any

from kubeling.scheduler.framework.cycle_state import CycleState
from kubeling.scheduler.framework.interfaces import (
    BatchFilterPlugin,
    BatchScorePlugin,
    FilterPlugin,
    PreFilterPlugin,
    PreScorePlugin,
    ScoreNormalizer,
    ScorePlugin,
)
from kubeling.scheduler.framework.objects import ObjectKind
from kubeling.scheduler.framework.profile import Profile
from kubeling.scheduler.framework.status import Status
from kubeling.scheduler.framework.types import PodInfo
from kubeling.scheduler.protocols import SideEffects
from kubeling.scheduler.scheduler import Scheduler

Obj = dict[str, Any]

ZONE = "topology.kubernetes.io/zone"
HOSTNAME = "kubernetes.io/hostname"


def make_node(
    name: str,
    *,
    cpu: str = "4",
    memory: str = "8Gi",
    pods: str = "110",
    labels: Mapping[str, str] | None = None,
    taints: Iterable[Obj] = (),
    unschedulable: bool = False,
    extra: Mapping[str, str] | None = None,
) -> Obj:
    """A Ready node with ``allocatable`` cpu/memory/pods and a hostname label."""
    allocatable = {"cpu": cpu, "memory": memory, "pods": pods, **(extra or {})}
    node: Obj = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "uid": f"uid-node-{name}", "labels": {HOSTNAME: name}},
        "spec": {},
        "status": {
            "allocatable": allocatable,
            "capacity": dict(allocatable),
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }
    node["metadata"]["labels"].update(labels or {})
    if taints:
        node["spec"]["taints"] = list(taints)
    if unschedulable:
        node["spec"]["unschedulable"] = True
    return node


def make_pod(
    name: str,
    *,
    namespace: str = "default",
    cpu: str | None = None,
    memory: str | None = None,
    requests: Mapping[str, str] | None = None,
    priority: int | None = None,
    labels: Mapping[str, str] | None = None,
    node_name: str | None = None,
    scheduler_name: str = "default-scheduler",
    spec: Mapping[str, Any] | None = None,
    status: Mapping[str, Any] | None = None,
    owner: Mapping[str, Any] | None = None,
    host_port: int | None = None,
) -> Obj:
    """A pod with one container; ``spec`` entries are merged into the spec."""
    container_requests = dict(requests or {})
    if cpu is not None:
        container_requests["cpu"] = cpu
    if memory is not None:
        container_requests["memory"] = memory
    container: Obj = {"name": "c", "image": "busybox"}
    if container_requests:
        container["resources"] = {"requests": container_requests}
    if host_port is not None:
        container["ports"] = [{"containerPort": 80, "hostPort": host_port, "protocol": "TCP"}]
    pod: Obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": f"uid-{namespace}-{name}",
            "labels": dict(labels or {}),
        },
        "spec": {"containers": [container], "schedulerName": scheduler_name},
        "status": {"phase": "Pending", **(status or {})},
    }
    if priority is not None:
        pod["spec"]["priority"] = priority
    if node_name is not None:
        pod["spec"]["nodeName"] = node_name
    if owner is not None:
        pod["metadata"]["ownerReferences"] = [dict(owner)]
    pod["spec"].update(spec or {})
    return pod


def taint(key: str, value: str = "", effect: str = "NoSchedule") -> Obj:
    """A taint object."""
    result: Obj = {"key": key, "effect": effect}
    if value:
        result["value"] = value
    return result


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.t = 1000.0

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime.datetime:
        return datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(
            seconds=self.t
        )

    def advance(self, seconds: float) -> None:
        self.t += seconds


def _key(namespace: str, name: str) -> str:
    return f"{namespace}/{name}"


class FakeCluster:
    """An in-memory API server and informer feeding one scheduler (see module docstring)."""

    def __init__(self) -> None:
        self.pods: dict[str, Obj] = {}
        self.binds: list[tuple[str, str]] = []
        self.patches: list[tuple[str, Obj | None, str | None]] = []
        self.deletes: list[str] = []
        self.events: list[tuple[str, str, str, str]] = []
        self.annotations: list[tuple[str, str]] = []
        self.fail_binds: set[str] = set()
        self.scheduler: Scheduler | None = None

    def effects(self) -> SideEffects:
        """Every port served by this cluster."""
        return SideEffects(
            binder=self,
            status_patcher=self,
            recorder=self,
            deleter=self,
            claim_annotator=self,
        )

    def _sched(self) -> Scheduler:
        assert self.scheduler is not None
        return self.scheduler

    # --- feeding the scheduler --------------------------------------------------------

    def add_node(self, node: Obj) -> None:
        self._sched().on_node_add(node)

    def add_pod(self, pod: Obj) -> None:
        self.pods[_key(pod["metadata"]["namespace"], pod["metadata"]["name"])] = pod
        self._sched().on_pod_add(pod)

    def pod(self, name: str, namespace: str = "default") -> Obj:
        return self.pods[_key(namespace, name)]

    def node_of(self, name: str, namespace: str = "default") -> str | None:
        node: str | None = self.pod(name, namespace)["spec"].get("nodeName")
        return node

    def condition(self, name: str, namespace: str = "default") -> Obj | None:
        for condition in self.pod(name, namespace)["status"].get("conditions") or ():
            if condition["type"] == "PodScheduled":
                return dict(condition)
        return None

    def notes(self, reason: str) -> list[str]:
        return [note for r, _, _, note in self.events if r == reason]

    # --- the ports ----------------------------------------------------------------

    async def bind(self, *, namespace: str, name: str, uid: str, node_name: str) -> None:
        key = _key(namespace, name)
        if name in self.fail_binds:
            raise RuntimeError(f'pods "{name}" is forbidden: injected bind failure')
        old = self.pods[key]
        if old["spec"].get("nodeName"):
            raise RuntimeError(f"pod {name} is already assigned to node {old['spec']['nodeName']}")
        new = copy.deepcopy(old)
        new["spec"]["nodeName"] = node_name
        self.pods[key] = new
        self.binds.append((name, node_name))
        self._sched().on_pod_update(old, new)

    async def patch_pod_status(
        self,
        *,
        namespace: str,
        name: str,
        condition: Mapping[str, Any] | None = None,
        nominated_node_name: str | None = None,
    ) -> None:
        key = _key(namespace, name)
        self.patches.append((name, dict(condition) if condition else None, nominated_node_name))
        old = self.pods.get(key)
        if old is None:
            return
        new = copy.deepcopy(old)
        if condition is not None:
            conditions = [
                c for c in new["status"].get("conditions") or () if c["type"] != condition["type"]
            ]
            new["status"]["conditions"] = [*conditions, dict(condition)]
        if nominated_node_name is not None:
            if nominated_node_name:
                new["status"]["nominatedNodeName"] = nominated_node_name
            else:
                new["status"].pop("nominatedNodeName", None)
        self.pods[key] = new
        self._sched().on_pod_update(old, new)

    async def delete_pod(self, *, namespace: str, name: str, uid: str) -> None:
        old = self.pods.pop(_key(namespace, name), None)
        self.deletes.append(name)
        if old is not None:
            self._sched().on_pod_delete(old)

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
        self.events.append((reason, event_type, regarding["metadata"]["name"], note))

    async def annotate_selected_node(self, *, namespace: str, name: str, node_name: str) -> None:
        self.annotations.append((name, node_name))


def new_scheduler(
    cluster: FakeCluster | None = None,
    *,
    profile: Profile | None = None,
    clock: FakeClock | None = None,
    seed: int = 0,
) -> tuple[Scheduler, FakeCluster, FakeClock]:
    """A scheduler wired to a fake cluster and clock."""
    cluster = cluster or FakeCluster()
    clock = clock or FakeClock()
    scheduler = Scheduler(
        effects=cluster.effects(), profile=profile, clock=clock, rng=random.Random(seed)
    )
    cluster.scheduler = scheduler
    return scheduler, cluster, clock


class Harness:
    """One plugin of the default profile run against a small cluster, for table tests."""

    def __init__(
        self,
        nodes: Iterable[Obj] = (),
        pods: Iterable[Obj] = (),
        objects: Iterable[tuple[ObjectKind, Obj]] = (),
        profile: Profile | None = None,
    ) -> None:
        self.scheduler, self.cluster, self.clock = new_scheduler(profile=profile)
        for node in nodes:
            self.scheduler.on_node_add(node)
        for pod in pods:
            self.scheduler.on_pod_add(pod)
        for kind, obj in objects:
            self.scheduler.on_object_add(kind, obj)
        self.scheduler.cache.update_snapshot(self.scheduler.snapshot)

    def plugin(self, name: str) -> object:
        return self.scheduler.framework.plugins[name]

    def filter(self, name: str, pod: Obj) -> dict[str, Status]:
        """PreFilter then Filter on every node; ``{"PreFilter": status}`` if it stops early."""
        plugin = self.plugin(name)
        info = PodInfo(pod)
        state = CycleState()
        if isinstance(plugin, PreFilterPlugin):
            _, status = plugin.pre_filter(state, info)
            if status.is_skip():
                return {node.name: Status() for node in self.scheduler.snapshot.list()}
            if not status.is_success():
                return {"PreFilter": status}
        assert isinstance(plugin, FilterPlugin)
        nodes = self.scheduler.snapshot.list()
        statuses = {node.name: plugin.filter(state, info, node) for node in nodes}
        if isinstance(plugin, BatchFilterPlugin):
            # The fast path rejects the very same nodes for the very same reasons.
            rejected = {nodes[i].name: s for i, s in plugin.filter_nodes(state, info, nodes)}
            assert rejected == {n: s for n, s in statuses.items() if not s.is_success()}
        return statuses

    def reasons(self, name: str, pod: Obj) -> dict[str, tuple[str, ...]]:
        """Each node's rejection reasons (empty when it fits)."""
        return {node: status.reasons for node, status in self.filter(name, pod).items()}

    def score(self, name: str, pod: Obj) -> dict[str, int]:
        """PreScore, Score and normalize over every node; ``{}`` when PreScore skips."""
        plugin = self.plugin(name)
        info = PodInfo(pod)
        state = CycleState()
        nodes = self.scheduler.snapshot.list()
        if isinstance(plugin, PreScorePlugin):
            status = plugin.pre_score(state, info, nodes)
            if status.is_skip():
                return {}
            assert status.is_success(), status
        assert isinstance(plugin, ScorePlugin)
        scores = []
        for node in nodes:
            value, status = plugin.score(state, info, node)
            assert status.is_success(), status
            scores.append(value)
        if isinstance(plugin, BatchScorePlugin):
            # The fast path gives the very same raw scores.
            assert plugin.score_nodes(state, info, nodes) == scores
        if isinstance(plugin, ScoreNormalizer):
            assert plugin.normalize_score(state, info, nodes, scores).is_success()
        return {node.name: score for node, score in zip(nodes, scores, strict=True)}
