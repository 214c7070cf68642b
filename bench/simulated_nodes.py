"""The simulated nodes' own cost: memory per node and per pod, CPU per pod started and synced.

In one process, with no API server: ``kubeling simulate``'s :class:`NodeSimulator` builds its
kubelets (their client points nowhere and is never used), each kubelet's status writes are
replaced by a counter, and pods bound to the nodes are handed straight to the kubelets' pod
workers, which take them through the kubelet's logic on the simulated runtime (start delay 0)
until every container runs. Then every pod is synced once more without news, as each is every
``--sync-frequency``. What is left is what ``kubeling simulate`` itself costs at that size,
apart from the HTTP traffic and the pods' copies in the shared informer's cache (the workers
hold the same objects).

    .venv/bin/python bench/simulated_nodes.py [--nodes 5000] [--pods 20000]

Last line: ``simulated_nodes: nodes=<n> pods=<n> kb_per_node=<x> kb_per_pod=<x>
cpu_ms_per_pod=<x> idle_sync_us=<x> rss_mb=<x>``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.process_stats import rss_bytes

from kubeling.client import ApiClient, ClientConfig
from kubeling.kubelet.pod_workers import PodWorkers
from kubeling.kubelet.runtime.interface import ContainerEvent
from kubeling.kubelet.runtime.simulated import SimulatedRuntime, SimulationOptions
from kubeling.kubelet.simulator import NodeSimulator, SimulatorOptions


def _rss_mb() -> float:
    return rss_bytes(os.getpid()) / 2**20


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _pod(index: int, node: str) -> dict[str, Any]:
    """A pod as a Deployment makes it and the API server returns it (managedFields dropped)."""
    toleration = {"operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"app-{index // 30:05d}-5bdf44448d-{index:06d}",
            "generateName": f"app-{index // 30:05d}-5bdf44448d-",
            "namespace": f"scale-{index // 3000:03d}",
            "uid": f"00000000-0000-0000-0000-{index:012d}",
            "resourceVersion": str(1000 + index),
            "creationTimestamp": "2026-11-27T10:00:00Z",
            "labels": {"app": f"app-{index // 30:05d}", "pod-template-hash": "5bdf44448d"},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": f"app-{index // 30:05d}-5bdf44448d",
                    "uid": "11111111-1111-1111-1111-111111111111",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "nodeName": node,
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "schedulerName": "default-scheduler",
            "serviceAccountName": "default",
            "enableServiceLinks": False,
            "tolerations": [
                {"key": "node.kubernetes.io/not-ready", **toleration},
                {"key": "node.kubernetes.io/unreachable", **toleration},
            ],
            "containers": [
                {
                    "name": "app",
                    "image": "registry.k8s.io/pause:3.10",
                    "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                    "imagePullPolicy": "IfNotPresent",
                }
            ],
        },
        "status": {
            "phase": "Pending",
            "qosClass": "Burstable",
            "conditions": [
                {
                    "type": "PodScheduled",
                    "status": "True",
                    "lastProbeTime": None,
                    "lastTransitionTime": "2026-11-27T10:00:00Z",
                }
            ],
        },
    }


def _running(simulator: NodeSimulator) -> int:
    return sum(
        k.runtime.statistics()["running"]
        for k in simulator.kubelets
        if isinstance(k.runtime, SimulatedRuntime)
    )


async def run(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.ERROR)  # the Event writer, pointing nowhere, complains
    gc.collect()
    before = _rss_mb()
    client = ApiClient(ClientConfig(server="https://127.0.0.1:1"))
    options = SimulatorOptions(nodes=args.nodes, simulation=SimulationOptions(start_delay=0))
    simulator = NodeSimulator(client, options)
    gc.collect()
    with_nodes = _rss_mb()
    starts = 0
    all_running = asyncio.Event()

    def count_start(event: ContainerEvent) -> None:
        nonlocal starts
        starts += event.kind == "started"
        if starts >= args.pods:
            all_running.set()

    async with asyncio.TaskGroup() as group:
        for kubelet in simulator.kubelets:
            statuses = kubelet.statuses
            statuses.start(group)

            async def written(pod: Any, status: Any, statuses: Any = statuses) -> None:
                statuses.writes += 1

            statuses._patch = written  # type: ignore[method-assign]
            kubelet.workers = PodWorkers(kubelet.lifecycle, group, sync_frequency=300)
            kubelet.runtime.subscribe(kubelet._container_event)
            kubelet.runtime.subscribe(count_start)
        cpu = _cpu_seconds()
        started = time.perf_counter()
        for index in range(args.pods):
            kubelet = simulator.kubelets[index % args.nodes]
            assert kubelet.workers is not None
            kubelet.workers.update(_pod(index, kubelet.config.node_name))
            if index % 1000 == 0:
                await asyncio.sleep(0)
        await all_running.wait()
        await asyncio.sleep(1.0)  # the last statuses are set
        assert _running(simulator) == args.pods
        took = time.perf_counter() - started
        cpu_per_pod = (_cpu_seconds() - cpu) / args.pods
        gc.collect()
        with_pods = _rss_mb()
        synced, cpu = 0, _cpu_seconds()
        for kubelet in simulator.kubelets:
            assert kubelet.workers is not None
            for worker in list(kubelet.workers.workers.values()):
                await kubelet.lifecycle.sync(worker.pod, worker.reasons)
                synced += 1
        idle_sync = (_cpu_seconds() - cpu) / synced
        writes = sum(k.statuses.writes for k in simulator.kubelets)
        print(
            f"  {args.pods} pods running in {took:.1f} s; {writes} statuses written",
            flush=True,
        )
        print(
            f"simulated_nodes: nodes={args.nodes} pods={args.pods} "
            f"kb_per_node={(with_nodes - before) * 1024 / args.nodes:.1f} "
            f"kb_per_pod={(with_pods - with_nodes) * 1024 / args.pods:.1f} "
            f"cpu_ms_per_pod={cpu_per_pod * 1000:.2f} idle_sync_us={idle_sync * 1e6:.0f} "
            f"rss_mb={with_pods:.0f}",
            flush=True,
        )
        raise SystemExit(0)  # ends the task group: the workers and the Event writer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--pods", type=int, default=20000)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
