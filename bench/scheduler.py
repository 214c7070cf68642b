"""Scheduler benchmark: pods/s bound on 1,000 and 5,000 nodes, through a real API server.

For each stage (a number of nodes) the benchmark starts a fresh ``kubeling server``
(sqlite datastore in a temporary directory, HTTPS, client certificates), creates the
nodes through the API (4 CPUs, 32Gi, 110 pods each, as Kubernetes' scheduler_perf
``node-default.yaml``; nodes only, there is no kubelet), and runs the real scheduler as
``kubeling scheduler --leader-elect false`` in its own process, with the default
profile. Pods have one container asking 100m CPU and 500Mi, as scheduler_perf's
``pod-default.yaml`` (no owner, so nothing spreads them). A watch on the pods, opened
first, notes when each pod is seen bound. Two measurements per stage:

1. **created to bound**: a first pod, bound before the clock starts, shows that the
   scheduler's informers have synced; then 50 concurrent clients create the pods while
   it runs; the figure is pods / (last pod seen bound - first create sent). Creating the
   pods is part of it, as in a cluster.
2. **backlog**: the scheduler is stopped, as many pods are created, and a new scheduler
   starts (it lists every node and pod); the figure is (pods - 1) / (last binding - first
   binding): the scheduler's own rate, without its start-up or the creates, as
   Kubernetes' scheduler_perf measures ``SchedulingThroughput``.

With ``--owned`` the pods are those of ReplicaSets, as a Deployment's are: groups of
``--replicas`` (30) pods carry a ReplicaSet's labels (``app`` and ``pod-template-hash``)
and its controller reference, the nodes carry ``topology.kubernetes.io/zone`` labels (10
zones), and ``--existing`` (10,000) such pods are already bound, spread over the nodes,
before the scheduler starts. The scheduler then spreads each pod with the system default
topology spread constraints over counts it must compute, as in ``bench/scale.py``. The
summary lines then also say ``owned=<replicas> existing=<n>``.

Server, scheduler and this process share the machine's cores, as they would in
``kubeling up``. One summary line per measurement:
``scheduler: nodes=<n> pods=<p> mode=created-to-bound pods_per_s=<x> creates_per_s=<x>
bound_p50_s=<x> bound_p99_s=<x> cpu_ms_per_pod=server:<x>,scheduler:<x>,bench:<x>
scheduled_events=<n>`` and ``... mode=backlog pods_per_s=<x> cpu_ms_per_pod=...``
(CPU time of each process during the measurement, per pod; how many ``Scheduled``
Events were written by the time the last pod was bound: the scheduler drops Events while
1,000 wait to be written, as client-go does). The process ids are printed first, so that
a profiler can attach (``py-spy record --pid <pid>``).

    .venv/bin/python bench/scheduler.py [--nodes 1000,5000] [--pods 10000] [--clients 50]
        [--owned [--replicas 30] [--existing 10000]]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.cluster import RunningServer, running_server
from tests.support.process_stats import cpu_seconds

from kubeling.client import ApiClient, load_client_config
from kubeling.client.resources import EVENTS, NAMESPACES, NODES, PODS, REPLICASETS

NS = "bench"
ZONE = "topology.kubernetes.io/zone"
ZONES = 10


def _node(name: str, zone: str | None = None) -> dict[str, Any]:
    capacity = {"cpu": "4", "memory": "32Gi", "pods": "110"}
    labels = {"kubernetes.io/hostname": name}
    if zone is not None:
        labels[ZONE] = zone
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "status": {
            "capacity": capacity,
            "allocatable": capacity,
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }


def _pod(name: str) -> dict[str, Any]:
    amounts = {"cpu": "100m", "memory": "500Mi"}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "containers": [
                {
                    "name": "pause",
                    "image": "registry.k8s.io/pause:3.10",
                    "resources": {"requests": amounts, "limits": amounts},
                }
            ]
        },
    }


def _replica_set_labels(group: int) -> dict[str, str]:
    return {"app": f"web-{group:05d}", "pod-template-hash": f"{group:010x}"}


def _replica_set(group: int, replicas: int) -> dict[str, Any]:
    """A Deployment's ReplicaSet (no controller runs here: it only selects its pods)."""
    labels = _replica_set_labels(group)
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": f"web-{group:05d}", "namespace": NS, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": _pod("template")["spec"]},
        },
    }


class _Workload:
    """What the benchmark's pods look like: bare (the default) or, with ``--owned``, the
    pods of ReplicaSets of ``replicas`` pods each, made as the pods are asked for."""

    def __init__(self, client: ApiClient, owned: bool, replicas: int) -> None:
        self.client = client
        self.owned = owned
        self.replicas = replicas
        self._owners: list[dict[str, Any]] = []  # one controller reference per group
        self._made = 0  # pods made so far, all calls together

    async def pods(self, names: list[str], clients: int) -> list[dict[str, Any]]:
        """The bodies of pods ``names``; with owners, the next ``replicas`` share one."""
        if not self.owned:
            return [_pod(name) for name in names]
        groups = (self._made + len(names) + self.replicas - 1) // self.replicas
        wanted = [_replica_set(g, self.replicas) for g in range(len(self._owners), groups)]
        created = await _create_all(self.client, REPLICASETS, wanted, clients, namespace=NS)
        for replica_set in sorted(created, key=lambda rs: str(rs["metadata"]["name"])):
            metadata = replica_set["metadata"]
            self._owners.append(
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": metadata["name"],
                    "uid": metadata["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            )
        bodies = []
        for name in names:
            group = self._made // self.replicas
            body = _pod(name)
            body["metadata"]["labels"] = _replica_set_labels(group)
            body["metadata"]["ownerReferences"] = [self._owners[group]]
            bodies.append(body)
            self._made += 1
        return bodies


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _create_all(
    client: ApiClient,
    resource: Any,
    bodies: list[dict[str, Any]],
    clients: int,
    namespace: str = "",
) -> list[dict[str, Any]]:
    """Create every body with ``clients`` concurrent workers; the created objects."""
    pending = list(reversed(bodies))
    verbs = client.resource(resource)
    created: list[dict[str, Any]] = []

    async def worker() -> None:
        while pending:
            created.append(await verbs.create(pending.pop(), namespace=namespace))

    await asyncio.gather(*(worker() for _ in range(clients)))
    return created


async def _create_existing(
    client: ApiClient, workload: _Workload, nodes: int, count: int, clients: int
) -> None:
    """``count`` pods already bound (``spec.nodeName``), spread over the nodes."""
    names = [f"existing-{i:05d}" for i in range(count)]
    bodies = await workload.pods(names, clients)
    for index, body in enumerate(bodies):
        # 7919 is prime: a group's pods land on scattered nodes, every node gets some.
        body["spec"]["nodeName"] = f"node-{index * 7919 % nodes:05d}"
    await _create_all(client, PODS, bodies, clients, namespace=NS)


@contextlib.asynccontextmanager
async def _scheduler_process(server: RunningServer, log: Path) -> AsyncIterator[int]:
    with log.open("w") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "kubeling",
            "scheduler",
            "--kubeconfig",
            str(server.kubeconfig),
            "--leader-elect",
            "false",
            "--log-level",
            "warning",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        yield process.pid
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _wait_bound(client: ApiClient, name: str, within: float = 120) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        pod = await client.resource(PODS).get(name, namespace=NS)
        if pod["spec"].get("nodeName"):
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"pod {name} was not bound within {within} s")


class _Bindings:
    """A watch on the benchmark's pods noting when each of ``names`` is first seen bound."""

    def __init__(self, client: ApiClient, names: list[str], pids: dict[str, int]) -> None:
        self.client = client
        self.names = set(names)
        self.pids = pids
        self.bound_at: dict[str, float] = {}
        self.cpu_at_first: dict[str, float] = {}
        self.all_bound = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> _Bindings:
        listed = await self.client.resource(PODS).list(namespace=NS, limit=1)
        self._task = asyncio.create_task(self._watch(listed["metadata"]["resourceVersion"]))
        await asyncio.sleep(0.5)  # the watch is open before anything is bound
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _watch(self, resource_version: str) -> None:
        events = self.client.resource(PODS).watch(
            namespace=NS, resource_version=resource_version, timeout_seconds=3600
        )
        async with contextlib.aclosing(events):
            async for event in events:
                obj = event.object
                name = obj["metadata"].get("name", "")
                if name in self.names and name not in self.bound_at and obj["spec"].get("nodeName"):
                    if not self.bound_at:
                        self.cpu_at_first = {n: cpu_seconds(p) for n, p in self.pids.items()}
                    self.bound_at[name] = time.perf_counter()
                    if len(self.bound_at) == len(self.names):
                        self.all_bound.set()
                        return

    async def wait(self) -> None:
        await asyncio.wait_for(self.all_bound.wait(), 900)


async def _create_pods(
    client: ApiClient, bodies: list[dict[str, Any]], clients: int
) -> dict[str, float]:
    """Create the pods with ``clients`` concurrent workers; when each create was sent."""
    created_at: dict[str, float] = {}
    pending = list(reversed(bodies))
    verbs = client.resource(PODS)

    async def creator() -> None:
        while pending:
            body = pending.pop()
            created_at[body["metadata"]["name"]] = time.perf_counter()
            await verbs.create(body, namespace=NS)

    await asyncio.gather(*(creator() for _ in range(clients)))
    return created_at


def _cpu_per_pod(before: dict[str, float], pids: dict[str, int], pods: int) -> dict[str, float]:
    return {
        f"{name}_cpu_ms": 1000 * (cpu_seconds(pid) - before[name]) / pods
        for name, pid in pids.items()
    }


async def _created_to_bound(
    client: ApiClient, workload: _Workload, pods: int, clients: int, pids: dict[str, int]
) -> dict[str, float]:
    """Create pods while the scheduler runs: from the first create to the last binding."""
    names = [f"pod-{i:05d}" for i in range(pods)]
    bodies = await workload.pods(names, clients)
    async with _Bindings(client, names, pids) as bindings:
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        started = time.perf_counter()
        created_at = await _create_pods(client, bodies, clients)
        created = time.perf_counter()
        await bindings.wait()
    finished = max(bindings.bound_at.values())
    latencies = [bindings.bound_at[name] - created_at[name] for name in names]
    return {
        **_cpu_per_pod(cpu_before, pids, pods),
        "pods_per_s": pods / (finished - started),
        "creates_per_s": pods / (created - started),
        "bound_p50_s": statistics.median(latencies),
        "bound_p99_s": _percentile(latencies, 0.99),
    }


async def _backlog(
    client: ApiClient,
    workload: _Workload,
    server: RunningServer,
    pods: int,
    clients: int,
    log: Path,
) -> dict[str, float]:
    """Pods created while no scheduler runs, then one is started: from its first binding
    to its last (its start-up, listing every node and pod, is left out)."""
    names = [f"backlog-{i:05d}" for i in range(pods)]
    bodies = await workload.pods(names, clients)
    started = time.perf_counter()
    await _create_pods(client, bodies, clients)
    creates_per_s = pods / (time.perf_counter() - started)
    pids = {"server": server.process.pid, "bench": os.getpid()}
    bindings = _Bindings(client, names, pids)
    async with bindings, _scheduler_process(server, log) as pid:
        pids["scheduler"] = pid
        await bindings.wait()
        cpu = _cpu_per_pod(bindings.cpu_at_first, pids, pods - 1)  # before it stops
    times = sorted(bindings.bound_at.values())
    return {
        **cpu,
        "pods_per_s": (pods - 1) / (times[-1] - times[0]),
        "creates_per_s": creates_per_s,
    }


def _report_log(log: Path) -> None:
    # client-go drops Events when 1,000 wait to be written; so does kubeling's.
    lines = [line for line in log.read_text().splitlines() if "event dropped" not in line]
    if lines:
        print(f"  {log.name} (last lines):", *lines[-20:], sep="\n", flush=True)


def _cpu_text(result: dict[str, float]) -> str:
    parts = [f"{name}:{result[f'{name}_cpu_ms']:.2f}" for name in ("server", "scheduler", "bench")]
    return "cpu_ms_per_pod=" + ",".join(parts)


async def _stage(nodes: int, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="kubeling-bench-scheduler-") as tmp:
        root = Path(tmp)
        with running_server(root) as server:
            config = load_client_config(server.kubeconfig).with_user_agent("bench/0")
            async with ApiClient(config) as client:
                await client.resource(NAMESPACES).create({"metadata": {"name": NS}})
                workload = _Workload(client, args.owned, args.replicas)
                zones = [f"zone-{i % ZONES}" if args.owned else None for i in range(nodes)]
                started = time.perf_counter()
                bodies = [_node(f"node-{i:05d}", zones[i]) for i in range(nodes)]
                await _create_all(client, NODES, bodies, args.clients)
                rate = nodes / (time.perf_counter() - started)
                print(f"  {nodes} nodes created ({rate:.0f}/s)", flush=True)
                shape = ""
                if args.owned:
                    await _create_existing(client, workload, nodes, args.existing, args.clients)
                    print(f"  {args.existing} bound ReplicaSet pods created", flush=True)
                    shape = f" owned={args.replicas} existing={args.existing}"
                async with _scheduler_process(server, root / "scheduler.log") as pid:
                    print(f"  scheduler pid {pid}, server pid {server.process.pid}", flush=True)
                    await client.resource(PODS).create(_pod("warm-up"), namespace=NS)
                    await _wait_bound(client, "warm-up")
                    pids = {"server": server.process.pid, "scheduler": pid, "bench": os.getpid()}
                    steady = await _created_to_bound(
                        client, workload, args.pods, args.clients, pids
                    )
                    events = await client.resource(EVENTS).list(
                        namespace=NS, field_selector="reason=Scheduled"
                    )
                _report_log(root / "scheduler.log")
                print(
                    f"scheduler: nodes={nodes} pods={args.pods}{shape} mode=created-to-bound "
                    f"pods_per_s={steady['pods_per_s']:.0f} "
                    f"creates_per_s={steady['creates_per_s']:.0f} "
                    f"bound_p50_s={steady['bound_p50_s']:.2f} "
                    f"bound_p99_s={steady['bound_p99_s']:.2f} {_cpu_text(steady)} "
                    f"scheduled_events={len(events['items'])}",
                    flush=True,
                )
                backlog = await _backlog(
                    client,
                    workload,
                    server,
                    args.pods,
                    args.clients,
                    root / "scheduler-backlog.log",
                )
                _report_log(root / "scheduler-backlog.log")
                print(
                    f"scheduler: nodes={nodes} pods={args.pods}{shape} mode=backlog "
                    f"pods_per_s={backlog['pods_per_s']:.0f} {_cpu_text(backlog)}",
                    flush=True,
                )


async def run(args: argparse.Namespace) -> None:
    print(f"command: {' '.join([os.path.basename(sys.executable), *sys.argv])}", flush=True)
    for nodes in (int(n) for n in args.nodes.split(",")):
        await _stage(nodes, args)


def main() -> None:
    gc.disable()  # this process's collector pauses would delay the watch, not the scheduler
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", default="1000,5000", help="comma-separated node counts")
    parser.add_argument("--pods", type=int, default=10000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument(
        "--owned",
        action="store_true",
        help="pods of ReplicaSets on zoned nodes, with bound pods already there",
    )
    parser.add_argument("--replicas", type=int, default=30, help="pods per ReplicaSet (--owned)")
    parser.add_argument(
        "--existing", type=int, default=10000, help="pods bound before the run (--owned)"
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
