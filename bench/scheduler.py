"""Scheduler benchmark: pods/s from created to bound, on 1,000 and 5,000 nodes.

For each stage (a number of nodes) the benchmark starts a fresh ``kubeling server``
(sqlite datastore in a temporary directory, HTTPS, client certificates), creates the
nodes through the API (4 CPUs, 32Gi, 110 pods each, as Kubernetes' scheduler_perf
``node-default.yaml``; nodes only, there is no kubelet), and starts the real scheduler as
``kubeling scheduler --leader-elect false`` in its own process, with the default profile.
A first pod, bound before the clock starts, shows that the scheduler's informers have
synced. Then the measured run:

1. a watch on pods, opened before the first create, notes when each pod is seen bound;
2. 50 concurrent clients create the pods (one container asking 100m CPU and 500Mi, as
   scheduler_perf's ``pod-default.yaml``; no owner, so nothing spreads them);
3. the figure is pods / (last pod seen bound - first create sent): created to bound.

Server, scheduler and this process share the machine's cores, as they would in
``kubeling up``. One summary line per stage:
``scheduler: nodes=<n> pods=<p> pods_per_s=<x> creates_per_s=<x> bound_p50_s=<x>
bound_p99_s=<x> cpu_ms_per_pod=server:<x>,scheduler:<x>,bench:<x> scheduled_events=<n>``
(CPU time of each process during the run, per pod; how many ``Scheduled`` Events were
written by the time the last pod was bound: the scheduler drops Events while 1,000 wait
to be written, as client-go does). The process ids are printed first, so that a profiler
can attach (``py-spy record --pid <pid>``).

    .venv/bin/python bench/scheduler.py [--nodes 1000,5000] [--pods 10000] [--clients 50]
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

from kubeling.client import ApiClient, load_client_config
from kubeling.client.resources import EVENTS, NAMESPACES, NODES, PODS

NS = "bench"


def _node(name: str) -> dict[str, Any]:
    capacity = {"cpu": "4", "memory": "32Gi", "pods": "110"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
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


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _create_all(
    client: ApiClient, resource: Any, bodies: list[dict[str, Any]], clients: int
) -> float:
    """Create every body with ``clients`` concurrent workers; the rate per second."""
    pending = list(reversed(bodies))
    verbs = client.resource(resource)

    async def worker() -> None:
        while pending:
            await verbs.create(pending.pop())

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return len(bodies) / (time.perf_counter() - started)


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


async def _measure(
    client: ApiClient, pods: int, clients: int, pids: dict[str, int]
) -> dict[str, float]:
    """Create ``pods`` pods and watch them get bound; CPU per pod of each process."""
    names = [f"pod-{i:05d}" for i in range(pods)]
    listed = await client.resource(PODS).list(namespace=NS, limit=1)
    bound_at: dict[str, float] = {}
    created_at: dict[str, float] = {}
    all_bound = asyncio.Event()

    async def watch() -> None:
        events = client.resource(PODS).watch(
            namespace=NS,
            resource_version=listed["metadata"]["resourceVersion"],
            timeout_seconds=3600,
        )
        async with contextlib.aclosing(events):
            async for event in events:
                obj = event.object
                name = obj["metadata"].get("name", "")
                if name in created_at and name not in bound_at and obj["spec"].get("nodeName"):
                    bound_at[name] = time.perf_counter()
                    if len(bound_at) == pods:
                        all_bound.set()
                        return

    watcher = asyncio.create_task(watch())
    await asyncio.sleep(0.5)  # the watch is open before the first create
    pending = list(reversed(names))
    verbs = client.resource(PODS)

    async def creator() -> None:
        while pending:
            name = pending.pop()
            created_at[name] = time.perf_counter()
            await verbs.create(_pod(name), namespace=NS)

    cpu_before = {name: _cpu_seconds(pid) for name, pid in pids.items()}
    started = time.perf_counter()
    await asyncio.gather(*(creator() for _ in range(clients)))
    created = time.perf_counter()
    try:
        await asyncio.wait_for(all_bound.wait(), 600)
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    finished = max(bound_at.values())
    cpu = {name: _cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
    latencies = [bound_at[name] - created_at[name] for name in names]
    return {
        **{f"{name}_cpu_ms": 1000 * seconds / pods for name, seconds in cpu.items()},
        "pods_per_s": pods / (finished - started),
        "creates_per_s": pods / (created - started),
        "bound_p50_s": statistics.median(latencies),
        "bound_p99_s": _percentile(latencies, 0.99),
    }


async def _stage(nodes: int, args: argparse.Namespace) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="kubeling-bench-scheduler-") as tmp:
        root = Path(tmp)
        with running_server(root) as server:
            config = load_client_config(server.kubeconfig).with_user_agent("bench/0")
            async with ApiClient(config) as client:
                await client.resource(NAMESPACES).create({"metadata": {"name": NS}})
                rate = await _create_all(
                    client, NODES, [_node(f"node-{i:05d}") for i in range(nodes)], args.clients
                )
                print(f"  {nodes} nodes created ({rate:.0f}/s)", flush=True)
                async with _scheduler_process(server, root / "scheduler.log") as pid:
                    print(f"  scheduler pid {pid}, server pid {server.process.pid}", flush=True)
                    await client.resource(PODS).create(_pod("warm-up"), namespace=NS)
                    await _wait_bound(client, "warm-up")
                    pids = {"server": server.process.pid, "scheduler": pid, "bench": os.getpid()}
                    result = await _measure(client, args.pods, args.clients, pids)
                    events = await client.resource(EVENTS).list(
                        namespace=NS, field_selector="reason=Scheduled"
                    )
                    result["events"] = len(events["items"])
                log = (root / "scheduler.log").read_text().splitlines()
                # client-go drops Events when 1,000 wait to be written; so does kubeling's.
                others = [line for line in log if "event dropped" not in line]
                if others:
                    print("  scheduler log (last lines):", *others[-20:], sep="\n", flush=True)
    print(
        f"scheduler: nodes={nodes} pods={args.pods} pods_per_s={result['pods_per_s']:.0f} "
        f"creates_per_s={result['creates_per_s']:.0f} "
        f"bound_p50_s={result['bound_p50_s']:.2f} bound_p99_s={result['bound_p99_s']:.2f} "
        f"cpu_ms_per_pod=server:{result['server_cpu_ms']:.2f},"
        f"scheduler:{result['scheduler_cpu_ms']:.2f},bench:{result['bench_cpu_ms']:.2f} "
        f"scheduled_events={result['events']:.0f}",
        flush=True,
    )
    return result


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
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
