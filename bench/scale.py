"""Scale benchmark: Kubernetes' largest supported cluster (5,000 nodes, 150,000 pods) on one
machine, with simulated nodes.

Each stage starts, in a temporary directory, a real ``kubeling server`` (sqlite, HTTPS, client
certificates), ``kubeling controller-manager``, ``kubeling scheduler`` and ``kubeling simulate
--nodes N`` (the simulated kubelets, one process), each as its own process. Once every node is
registered and Ready, it creates the pods through Deployments (``--pods-per-deployment``, 30 by
default, over one namespace per 3,000 pods), which the controllers turn into ReplicaSets and
pods, the scheduler binds, and the simulated kubelets report Running. Each is a client of its
own: the controller manager and the scheduler with the kubeconfigs the server writes for them,
``simulate`` and the probe below as users bound to ``cluster-admin`` outside ``system:masters``
(so they wait for the server's seats, each in its own line, as kubelets and users do); the
Deployments are created by the admin, as clusterloader2 does. Measured meanwhile:

- **API call latency**, p50/p99 per kind of call, from a client probe running alongside (one
  call at a time, about one round a second): *mutating* (PATCH, create and delete of a
  ConfigMap), *get* (a pod), *list per namespace* (every pod of one workload namespace,
  unpaged), *list cluster-wide* (pods in all namespaces, first page of 500, as informers and
  kubectl page; and every Node, unpaged). Kubernetes' SLOs: p99 ≤ 1 s for single objects,
  ≤ 30 s for lists.
- **pod start-up latency**: from the pod's first appearance on a watch of every pod (opened
  before the Deployments; it appears when the ReplicaSet controller creates it) to the watch
  showing it ``Running``, p50/p99 (Kubernetes' SLO: p99 ≤ 5 s, from its creationTimestamp,
  which has a resolution of one second). Measured twice, as clusterloader2's density test
  does: for the *saturation* pods (every Deployment created at once, as fast as 8 clients
  can: the pods queue behind the controllers and the scheduler, so this measures throughput
  more than latency), and, once those all run, for the *latency* pods: ``--latency-pods``
  Deployments of one replica (default: as many as nodes, at least 500, as clusterloader2)
  created at ``--latency-qps`` (5 a second, clusterloader2's ``Uniform5qps``) into the full
  cluster. The SLO figure of the last line is the latency pods'.
- **scheduler pods/s**: (pods bound - 1) / (last binding seen - first binding seen).
- **watch event delivery lag**: from the probe's PATCH response to its event arriving on a
  watch of the probe's ConfigMaps, p50/p99 (0 when the event came first).
- **resident memory** of every process, sampled every 2 s, the peak of each;
  ``rss_mb`` sums the kubeling processes (server, controller manager, scheduler, simulate).
- **CPU seconds** each process used from the first create until every pod ran (steadier than
  the latencies on a shared machine);
- **store size**: the sqlite files (database and WAL) and the objects stored
  (``apiserver_storage_objects`` from the server's ``/metrics``).

``--fail 10%`` then stops the kubelets of 10% of the nodes (``kubeling simulate`` on SIGUSR1):
the node lifecycle controller marks them NotReady after its grace period, taints them, the taint
eviction controller deletes their pods (after the pods' ``tolerationSeconds``: 300 s unless
``--toleration-seconds``), and the ReplicaSets replace them on the other nodes. The time from
the failure until every Deployment is back to full strength (as many Running, Ready pods, not
being deleted, on nodes that did not fail, as replicas) is measured.

Stages: ``tiny`` (50 nodes, 1,000 pods: a quick check), ``small`` (1,000 / 30,000), ``full``
(5,000 / 150,000). The last line of each stage:
``scale: nodes=<n> pods=<n> api_p99_ms=<x> list_p99_ms=<x> startup_p99_s=<x> rss_mb=<x>``.
The process ids are printed first, so that a profiler can attach (``py-spy record --pid``).

    .venv/bin/python bench/scale.py [--stage tiny|small|full|tiny,small] [--fail 10%]
        [--pods-per-deployment 30] [--toleration-seconds 300] [--start-delay 0.5s]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.cluster import RunningServer, running_server
from tests.support.components import running_component, wait_for_line
from tests.support.process_stats import cpu_seconds, rss_bytes

from kubeling.cli.component_identities import Component, write_component_kubeconfig
from kubeling.cli.simulate import parse_fraction
from kubeling.client import ApiClient, ClientConfig, PatchType, load_client_config
from kubeling.client.resources import (
    CLUSTERROLEBINDINGS,
    CONFIGMAPS,
    DEPLOYMENTS,
    NAMESPACES,
    NODES,
    PODS,
)
from kubeling.pki import Identity, Pki

STAGES = {"tiny": (50, 1_000), "small": (1_000, 30_000), "full": (5_000, 150_000)}
PODS_PER_NAMESPACE = 3_000
PROBE_NS = "scale-probe"
LABEL = "scale.kubeling.io/bench"
LATENCY_LABEL = "scale.kubeling.io/latency"


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _deployment(
    name: str, replicas: int, toleration_seconds: int | None, *, latency: bool = False
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "containers": [
            {
                "name": "app",
                "image": "registry.k8s.io/pause:3.10",
                "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
            }
        ]
    }
    if toleration_seconds is not None:
        spec["tolerations"] = [
            {
                "key": f"node.kubernetes.io/{taint}",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": toleration_seconds,
            }
            for taint in ("not-ready", "unreachable")
        ]
    labels = {"app": name, LABEL: "true"}
    if latency:
        labels[LATENCY_LABEL] = "true"
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": labels}, "spec": spec},
        },
    }


@dataclass
class PodState:
    first_seen: float
    name: str = ""  # namespace/name, for reports
    latency: bool = False
    node: str = ""
    bound_at: float = 0.0
    running_at: float = 0.0
    ready: bool = False
    deleting: bool = False


@dataclass
class Observed:
    """What the watch of every benchmark pod saw."""

    pods: dict[str, PodState] = field(default_factory=dict)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    #: Nodes whose Ready condition is not True now, the most at once, and how often one
    #: turned so (a node whose Lease lags its grace period turns Unknown and its pods unready).
    unready_nodes: set[str] = field(default_factory=set)
    most_unready_nodes: int = 0
    node_unready_transitions: int = 0

    def node_event(self, kind: str, node: dict[str, Any]) -> None:
        name = node["metadata"]["name"]
        conditions = (node.get("status") or {}).get("conditions") or []
        ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
        if kind == "DELETED" or ready:
            self.unready_nodes.discard(name)
        elif name not in self.unready_nodes:
            self.unready_nodes.add(name)
            self.node_unready_transitions += 1
            self.most_unready_nodes = max(self.most_unready_nodes, len(self.unready_nodes))

    def readiness(self) -> str:
        """What stands between the pods and full strength, for a report."""
        live = [p for p in self.pods.values() if not p.deleting]
        unready = [p for p in live if not p.ready]
        return (
            f"pods={len(live)} unready={len(unready)} "
            f"on_nodes={len({p.node for p in unready})} unbound={sum(not p.node for p in live)}; "
            f"nodes not Ready now={len(self.unready_nodes)} most={self.most_unready_nodes} "
            f"transitions={self.node_unready_transitions}"
        )

    def healthy(self, failed_nodes: set[str]) -> int:
        return sum(
            1
            for p in self.pods.values()
            if p.ready and not p.deleting and p.node and p.node not in failed_nodes
        )

    def running(self) -> int:
        return sum(1 for p in self.pods.values() if p.running_at)

    def stragglers(self, most: int = 3) -> str:
        """A few pods not yet Running and their nodes, when only a few are left: which pods
        to look at when a wait does not end."""
        waiting = [p for p in self.pods.values() if not p.running_at and not p.deleting]
        if not waiting or len(waiting) > 10 * most:
            return ""
        named = ", ".join(f"{p.name} on {p.node or '(unbound)'}" for p in waiting[:most])
        return f"; not Running: {named}"


async def _watch_forever(
    client: ApiClient,
    resource: Any,
    on_event: Callable[[str, dict[str, Any]], None],
    *,
    namespace: str = "",
    label_selector: str = "",
) -> None:
    """Watch from now on (resuming after each end) until cancelled."""
    verbs = client.resource(resource)
    listed = await verbs.list(namespace=namespace, label_selector=label_selector, limit=1)
    version = listed["metadata"]["resourceVersion"]
    while True:
        events = verbs.watch(
            namespace=namespace,
            label_selector=label_selector,
            resource_version=version,
            timeout_seconds=3600,
        )
        async with contextlib.aclosing(events):
            async for event in events:
                version = event.object.get("metadata", {}).get("resourceVersion") or version
                if event.type != "BOOKMARK":
                    on_event(event.type, event.object)


def _pod_event(observed: Observed) -> Callable[[str, dict[str, Any]], None]:
    def handle(kind: str, pod: dict[str, Any]) -> None:
        now = time.perf_counter()
        uid = pod["metadata"]["uid"]
        state = observed.pods.get(uid)
        if state is None:
            if kind == "DELETED":
                return
            latency = LATENCY_LABEL in (pod["metadata"].get("labels") or {})
            name = f"{pod['metadata'].get('namespace')}/{pod['metadata'].get('name')}"
            state = observed.pods[uid] = PodState(first_seen=now, name=name, latency=latency)
        if kind == "DELETED":
            state.deleting = True
            state.ready = False
            observed.changed.set()
            return
        node = (pod.get("spec") or {}).get("nodeName") or ""
        if node and not state.bound_at:
            state.bound_at = now
        state.node = node
        status = pod.get("status") or {}
        if status.get("phase") == "Running" and not state.running_at:
            state.running_at = now
        conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
        state.ready = conditions.get("Ready") == "True"
        state.deleting = bool(pod["metadata"].get("deletionTimestamp"))
        observed.changed.set()

    return handle


class ApiProbe:
    """One call at a time, round after round, timing each kind of call (see the docstring)."""

    def __init__(self, client: ApiClient, namespaces: list[str], observed: Observed) -> None:
        self.client = client
        self.namespaces = namespaces
        self.observed = observed
        self.latencies: dict[str, list[float]] = {
            "mutating": [],
            "get": [],
            "list_namespace": [],
            "list_cluster": [],
        }
        self.watch_lag: list[float] = []
        self._patched_at: dict[str, float] = {}

    async def _timed(self, kind: str, call: Awaitable[Any]) -> Any:
        started = time.perf_counter()
        result = await call
        self.latencies[kind].append(time.perf_counter() - started)
        return result

    def _configmap_event(self, kind: str, obj: dict[str, Any]) -> None:
        value = (obj.get("data") or {}).get("n")
        sent = self._patched_at.pop(value, None) if value else None
        if sent is not None:
            self.watch_lag.append(max(0.0, time.perf_counter() - sent))
        elif value:
            self._patched_at[value] = -1.0  # the event came before the response: lag 0

    async def run(self) -> None:
        configmaps = self.client.resource(CONFIGMAPS)
        pods = self.client.resource(PODS)
        await configmaps.create(
            {"metadata": {"name": "probe"}, "data": {"n": "0"}}, namespace=PROBE_NS
        )
        async with asyncio.TaskGroup() as group:
            group.create_task(
                _watch_forever(self.client, CONFIGMAPS, self._configmap_event, namespace=PROBE_NS)
            )
            await asyncio.sleep(0.5)  # the watch is open
            for round_number in range(1, 10**9):
                value = str(round_number)
                await self._timed(
                    "mutating",
                    configmaps.patch(
                        "probe",
                        {"data": {"n": value}},
                        patch_type=PatchType.MERGE,
                        namespace=PROBE_NS,
                    ),
                )
                if self._patched_at.pop(value, None) == -1.0:
                    self.watch_lag.append(0.0)
                else:
                    self._patched_at[value] = time.perf_counter()
                name = f"probe-{round_number}"
                body = {"metadata": {"name": name}, "data": {"k": "v"}}
                await self._timed("mutating", configmaps.create(body, namespace=PROBE_NS))
                await self._timed("mutating", configmaps.delete(name, namespace=PROBE_NS))
                known = [uid for uid, p in self.observed.pods.items() if not p.deleting]
                namespace = random.choice(self.namespaces)
                if known:
                    listed = await self._timed("list_namespace", pods.list(namespace=namespace))
                    items = listed.get("items") or []
                    if items:
                        pod = random.choice(items)["metadata"]
                        await self._timed("get", pods.get(pod["name"], namespace=pod["namespace"]))
                if round_number % 5 == 0:
                    await self._timed("list_cluster", pods.list(limit=500))
                    await self._timed("list_cluster", self.client.resource(NODES).list())
                await asyncio.sleep(1.0)


class RssSampler:
    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.peak: dict[str, float] = dict.fromkeys(pids, 0.0)

    def sample(self) -> None:
        for name, pid in self.pids.items():
            self.peak[name] = max(self.peak[name], rss_bytes(pid) / 2**20)

    async def run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(2.0)


def _store_bytes(server: RunningServer) -> int:
    return sum(p.stat().st_size for p in server.data_dir.glob("state.db*") if p.is_file())


async def _stored_objects(config: ClientConfig) -> int:
    """The sum of ``apiserver_storage_objects`` on the server's ``/metrics``."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{config.server}/metrics", ssl=config.ssl_context() or False) as response,
    ):
        text = await response.text()
    total = 0
    for line in text.splitlines():
        if line.startswith("apiserver_storage_objects{"):
            total += int(float(line.rsplit(" ", 1)[1]))
    return total


async def _create_deployments(
    client: ApiClient, pods: int, per: int, namespaces: list[str], toleration: int | None
) -> int:
    bodies = []
    remaining, index = pods, 0
    while remaining > 0:
        replicas = min(per, remaining)
        namespace = namespaces[index % len(namespaces)]
        bodies.append((namespace, _deployment(f"app-{index:05d}", replicas, toleration)))
        remaining -= replicas
        index += 1
    verbs = client.resource(DEPLOYMENTS)
    pending = list(reversed(bodies))

    async def creator() -> None:
        while pending:
            namespace, body = pending.pop()
            await verbs.create(body, namespace=namespace)

    await asyncio.gather(*(creator() for _ in range(8)))
    return len(bodies)


async def _wait_or_report(
    observed: Observed, condition: Callable[[], bool], *, within: float, what: str
) -> None:
    """As ``_wait_until``, but a miss is reported and the stage goes on measuring."""
    try:
        await _wait_until(observed, condition, within=within, what=what)
    except RuntimeError as missed:
        print(f"  MISSED {missed}: {observed.readiness()}", flush=True)


async def _create_latency_pods(
    client: ApiClient, count: int, qps: float, namespaces: list[str], toleration: int | None
) -> None:
    """clusterloader2's latency pods: Deployments of one replica, created at a steady rate."""
    verbs = client.resource(DEPLOYMENTS)
    began = time.perf_counter()
    creates = []
    for index in range(count):
        delay = began + index / qps - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        body = _deployment(f"latency-{index:05d}", 1, toleration, latency=True)
        namespace = namespaces[index % len(namespaces)]
        creates.append(asyncio.ensure_future(verbs.create(body, namespace=namespace)))
    await asyncio.gather(*creates)


#: How often a wait checks its condition, and how often a long wait reports where it is. The
#: condition counts every pod (about 5 ms at 150,000): checked on every wake-up of the watch,
#: it could take the benchmark's whole core, and its watch and probe would fall behind.
CHECK_EVERY_S = 0.5
REPORT_EVERY_S = 120.0


async def _wait_until(
    observed: Observed, condition: Callable[[], bool], *, within: float, what: str
) -> float:
    """Until ``condition`` holds (checked as the watch changes); the time it did (to half a
    second)."""
    began = time.perf_counter()
    deadline = began + within
    reported = began
    while not condition():
        observed.changed.clear()
        now = time.perf_counter()
        if now >= deadline:
            raise RuntimeError(f"{what}: not within {within:.0f} s")
        if now - reported >= REPORT_EVERY_S:
            reported = now
            print(
                f"  waiting for {what}, {now - began:.0f} s: running={observed.running()} "
                f"{observed.readiness()}{observed.stragglers()}",
                flush=True,
            )
        await asyncio.sleep(CHECK_EVERY_S)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(observed.changed.wait(), min(deadline - now, 5.0))
    return time.perf_counter()


def _ms(values: list[float], q: float) -> str:
    return f"{1000 * _percentile(values, q):.1f}"


@contextlib.asynccontextmanager
async def _background(*coroutines: Awaitable[None]) -> AsyncIterator[None]:
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                print(f"  background task failed: {result!r}", flush=True)


async def _measure(
    server: RunningServer,
    simulate: subprocess.Popen[str],
    pids: dict[str, int],
    nodes: int,
    pods: int,
    args: argparse.Namespace,
) -> None:
    config = load_client_config(server.kubeconfig).with_user_agent("bench-scale/0")
    probe_config = load_client_config(_own_identity(server, PROBE_USER))
    namespaces = [f"scale-{i:03d}" for i in range(max(1, pods // PODS_PER_NAMESPACE))]
    async with (
        ApiClient(config, max_concurrent_requests=32) as client,
        ApiClient(probe_config.with_user_agent("bench-scale/0")) as probe_client,
    ):
        for name in [PROBE_NS, *namespaces]:
            await client.resource(NAMESPACES).create({"metadata": {"name": name}})
        observed = Observed()
        probe = ApiProbe(probe_client, namespaces, observed)
        rss = RssSampler(pids)
        watch = _watch_forever(client, PODS, _pod_event(observed), label_selector=f"{LABEL}=true")
        node_watch = _watch_forever(client, NODES, observed.node_event)
        async with _background(watch, node_watch, probe.run(), rss.run()):
            await asyncio.sleep(1.0)
            cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            started = time.perf_counter()
            count = await _create_deployments(
                client, pods, args.pods_per_deployment, namespaces, args.toleration_seconds
            )
            created = time.perf_counter()
            print(
                f"  {count} Deployments created in {created - started:.1f} s "
                f"over {len(namespaces)} namespaces",
                flush=True,
            )
            finished = await _wait_until(
                observed,
                lambda: observed.running() >= pods,
                within=600 + pods / 20,
                what=f"{pods} pods Running",
            )
            cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
            print(
                f"  {pods} pods Running {finished - started:.1f} s after the first create; "
                "CPU seconds meanwhile: " + " ".join(f"{n}={v:.1f}" for n, v in cpu.items()),
                flush=True,
            )
            await _wait_or_report(
                observed,
                lambda: observed.healthy(set()) >= pods,
                within=300 + pods / 500,
                what=f"{pods} pods Ready",
            )
            states = list(observed.pods.values())
            saturation = [p.running_at - p.first_seen for p in states if p.running_at]
            bound = sorted(p.bound_at for p in states if p.bound_at)
            scheduler_rate = (len(bound) - 1) / (bound[-1] - bound[0]) if len(bound) > 1 else 0
            latency_pods = args.latency_pods if args.latency_pods >= 0 else max(500, nodes)
            print(
                f"  saturation pod start-up: p50_s={_percentile(saturation, 0.5):.2f} "
                f"p99_s={_percentile(saturation, 0.99):.2f}; creating {latency_pods} latency "
                f"pods at {args.latency_qps:g}/s",
                flush=True,
            )
            await _create_latency_pods(
                client, latency_pods, args.latency_qps, namespaces, args.toleration_seconds
            )
            total = pods + latency_pods
            await _wait_or_report(
                observed,
                lambda: observed.healthy(set()) >= total,
                within=300,
                what=f"{latency_pods} latency pods Ready",
            )
            latency = [p.running_at - p.first_seen for p in observed.pods.values() if p.latency]
            startup = latency or saturation
            await asyncio.sleep(args.steady)  # the probe keeps measuring at full size
            rss.sample()
            objects = await _stored_objects(config)
            fail_text = ""
            if args.fail:
                fail_text = await _fail_nodes(simulate, observed, nodes, total, args)
            latencies = probe.latencies
        single = latencies["mutating"] + latencies["get"]
        lists = latencies["list_namespace"] + latencies["list_cluster"]
        for kind, values in latencies.items():
            print(
                f"  api {kind}: calls={len(values)} p50_ms={_ms(values, 0.5)} "
                f"p99_ms={_ms(values, 0.99)}",
                flush=True,
            )
        print(
            f"  pod start-up (latency pods): p50_s={_percentile(startup, 0.5):.2f} "
            f"p99_s={_percentile(startup, 0.99):.2f}; "
            f"saturation scheduler pods_per_s={scheduler_rate:.0f}; "
            f"watch lag p50_ms={_ms(probe.watch_lag, 0.5)} p99_ms={_ms(probe.watch_lag, 0.99)}",
            flush=True,
        )
        print(
            "  rss_mb peak: " + " ".join(f"{n}={v:.0f}" for n, v in rss.peak.items()),
            flush=True,
        )
        print(
            f"  store: bytes={_store_bytes(server)} objects={objects}",
            flush=True,
        )
        print(f"  readiness at the end: {observed.readiness()}", flush=True)
        if fail_text:
            print(fail_text, flush=True)
        kubeling_rss = sum(v for n, v in rss.peak.items() if n != "bench")
        print(
            f"scale: nodes={nodes} pods={pods} api_p99_ms={_ms(single, 0.99)} "
            f"list_p99_ms={_ms(lists, 0.99)} "
            f"startup_p99_s={_percentile(startup, 0.99):.2f} rss_mb={kubeling_rss:.0f}",
            flush=True,
        )


async def _fail_nodes(
    simulate: subprocess.Popen[str],
    observed: Observed,
    nodes: int,
    pods: int,
    args: argparse.Namespace,
) -> str:
    from kubeling.kubelet.simulator import failing_indices

    fraction = parse_fraction(args.fail)
    failed = {f"sim-{i:05d}" for i in failing_indices(nodes, fraction)}
    on_failed = sum(1 for p in observed.pods.values() if p.node in failed and not p.deleting)
    print(f"  failing {len(failed)} nodes ({on_failed} pods on them)", flush=True)
    started = time.perf_counter()
    simulate.send_signal(signal.SIGUSR1)
    back = await _wait_until(
        observed,
        lambda: observed.healthy(failed) >= pods,
        within=args.fail_timeout,
        what="every Deployment back to full strength",
    )
    return (
        f"fail: nodes={len(failed)} pods_on_failed_nodes={on_failed} "
        f"back_to_full_s={back - started:.1f}"
    )


def stage_size(name: str) -> tuple[int, int] | None:
    """Nodes and pods of a named stage, or of one written ``<nodes>x<pods>``; None if neither.

    >>> stage_size("small"), stage_size("200x6000"), stage_size("big")
    ((1000, 30000), (200, 6000), None)
    """
    if name in STAGES:
        return STAGES[name]
    nodes, x, pods = name.partition("x")
    if x and nodes.isdigit() and pods.isdigit() and int(nodes) > 0:
        return int(nodes), int(pods)
    return None


#: Users of their own for ``kubeling simulate`` and the probe: bound to ``cluster-admin`` but
#: not in ``system:masters``, whose requests the API server never makes wait for a seat. So
#: they wait as a kubelet's and a user's requests do, each in its own line; the controller
#: manager and the scheduler use the kubeconfigs the server writes for them.
SIMULATE_USER = "kubeling-simulate"
PROBE_USER = "bench-probe"


def _own_identity(server: RunningServer, user: str) -> Path:
    """A kubeconfig for ``user`` (no groups), with a client certificate of the server's CA."""
    return write_component_kubeconfig(
        Component(user, Identity(user, ())),
        pki=Pki.at(server.data_dir / "pki"),
        data_dir=server.data_dir,
        server_url=load_client_config(server.kubeconfig).server,
    )


async def _bind_cluster_admin(server: RunningServer, users: list[str]) -> None:
    async with ApiClient(load_client_config(server.kubeconfig)) as client:
        await client.resource(CLUSTERROLEBINDINGS).create(
            {
                "metadata": {"name": "bench-scale"},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": "cluster-admin",
                },
                "subjects": [
                    {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}
                    for user in users
                ],
            }
        )


def _stage(name: str, nodes: int, pods: int, args: argparse.Namespace) -> None:
    print(f"stage {name}: {nodes} nodes, {pods} pods", flush=True)
    with tempfile.TemporaryDirectory(prefix=f"kubeling-bench-scale-{name}-") as tmp:
        root = Path(tmp)
        manager_flags = ["--node-eviction-rate", str(args.node_eviction_rate)]
        simulate_flags = ["--nodes", str(nodes), "--zones", str(args.zones)]
        simulate_flags += ["--start-delay", args.start_delay, "--fail-nodes", args.fail or "10%"]
        simulate_flags += ["--log-level", "warning"]
        with running_server(root, extra=["--log-level", "warning"]) as server:
            simulate_log = root / "simulate.log"
            asyncio.run(_bind_cluster_admin(server, [SIMULATE_USER, PROBE_USER]))
            with (
                running_component(
                    server,
                    ["controller-manager", "--leader-elect", "false", *manager_flags],
                    log_path=root / "controller-manager.log",
                    kubeconfig=server.data_dir / "controller-manager.kubeconfig",
                ) as manager,
                running_component(
                    server,
                    ["scheduler", "--leader-elect", "false", "--log-level", "warning"],
                    log_path=root / "scheduler.log",
                    kubeconfig=server.data_dir / "scheduler.kubeconfig",
                ) as scheduler,
                running_component(
                    server,
                    ["simulate", *simulate_flags],
                    log_path=simulate_log,
                    kubeconfig=_own_identity(server, SIMULATE_USER),
                ) as simulate,
            ):
                pids = {
                    "server": server.process.pid,
                    "controller-manager": manager.pid,
                    "scheduler": scheduler.pid,
                    "simulate": simulate.pid,
                    "bench": os.getpid(),
                }
                print("  pids: " + " ".join(f"{n}={p}" for n, p in pids.items()), flush=True)
                began = time.perf_counter()
                wait_for_line(
                    simulate,
                    rf"simulate: ready nodes={nodes}\b",
                    log_path=simulate_log,
                    timeout=120 + nodes / 10,
                )
                took = time.perf_counter() - began
                print(f"  {nodes} nodes registered and running in {took:.1f} s", flush=True)
                try:
                    asyncio.run(_measure(server, simulate, pids, nodes, pods, args))
                finally:
                    _report_logs(root, args.log_dir)


def _report_logs(root: Path, keep_in: str) -> None:
    """The last errors of each component; every log copied to ``keep_in`` if given."""
    for log in ("controller-manager.log", "scheduler.log", "simulate.log"):
        lines = (root / log).read_text().splitlines()
        interesting = [line for line in lines if re.search(r"ERROR|Traceback", line)]
        interesting = [line for line in interesting if "event dropped" not in line]
        if interesting:
            print(f"  {log} (errors, last 10):", *interesting[-10:], sep="\n    ")
    if keep_in:
        target = Path(keep_in)
        target.mkdir(parents=True, exist_ok=True)
        for path in root.glob("*.log"):
            shutil.copy(path, target / path.name)
        print(f"  logs kept in {target}", flush=True)


def main() -> None:
    gc.disable()  # this process's collector pauses would show up as API latency
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--stage",
        default="tiny",
        help="tiny, small, full, <nodes>x<pods> (200x6000), or several: tiny,small",
    )
    parser.add_argument("--pods-per-deployment", type=int, default=30)
    parser.add_argument("--start-delay", default="0.5s", help="simulated container start-up")
    parser.add_argument("--zones", type=int, default=10, help="zones the nodes are spread over")
    parser.add_argument("--fail", default="", help="then fail this fraction of nodes: 10%%")
    parser.add_argument(
        "--toleration-seconds",
        type=int,
        default=None,
        help="the pods' tolerationSeconds for not-ready/unreachable (default: 300, admission's)",
    )
    parser.add_argument(
        "--node-eviction-rate", type=float, default=0.1, help="controller manager's flag"
    )
    parser.add_argument(
        "--steady", type=float, default=30.0, help="seconds probed at full size before the end"
    )
    parser.add_argument("--fail-timeout", type=float, default=3600.0)
    parser.add_argument(
        "--latency-pods",
        type=int,
        default=-1,
        help="one-replica Deployments measured after saturation (default: nodes, at least 500)",
    )
    parser.add_argument("--latency-qps", type=float, default=5.0, help="their creation rate")
    parser.add_argument("--log-dir", default="", help="copy the components' logs here at the end")
    args = parser.parse_args()
    print(f"command: {' '.join([os.path.basename(sys.executable), *sys.argv])}", flush=True)
    stages = []
    for name in args.stage.split(","):
        size = stage_size(name)
        if size is None:
            parser.error(f"unknown stage {name!r}: one of {', '.join(STAGES)}, or <nodes>x<pods>")
        stages.append((name, *size))
    # SIGTERM unwinds as Ctrl-C does, so that the components are stopped and the logs kept.
    # Started in the background of a shell, this process inherits SIGINT ignored (and
    # asyncio.run then leaves it so): Ctrl-C's handler is put back first.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    for name, nodes, pods in stages:
        _stage(name, nodes, pods, args)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    signal.raise_signal(signal.SIGINT)  # asyncio.run cancels its task cleanly on SIGINT


if __name__ == "__main__":
    main()
