"""The kubelet's summary stats: ``/stats/summary`` (``stats/v1alpha1`` ``Summary``).

As the kubelet's CRI stats provider over cAdvisor's housekeeping, :class:`StatsProvider`
samples the node (``/proc``, :mod:`~kubeling.kubelet.runtime.procstats`) and the runtime's
running containers (:meth:`RuntimeService.list_container_stats`) every ``interval`` seconds
(10 s by default, cAdvisor's housekeeping interval) and keeps the last two samples of each: the
CPU rate ``usageNanoCores`` is the difference of their cumulative ``usageCoreNanoSeconds`` over
the time between them, and is left out until there are two. A request for the summary is
answered from the samples (:func:`build_summary`, pure), never by reading ``/proc`` again, so
``kubectl top`` costs nothing on the node.

Pods are those the runtime has running containers for (their sandboxes give ``podRef`` and
``startTime``); a pod's CPU and memory are the sums over its containers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kubeling.api.timestamps import format_time
from kubeling.kubelet.runtime import procstats
from kubeling.kubelet.runtime.interface import (
    ContainerStats,
    ContainerStatus,
    PodSandboxStatus,
    RuntimeService,
)

__all__ = [
    "DEFAULT_INTERVAL",
    "CpuSample",
    "Sampled",
    "StatsProvider",
    "build_summary",
    "usage_nano_cores",
]

log = logging.getLogger(__name__)

#: cAdvisor's housekeeping interval.
DEFAULT_INTERVAL: Final = 10.0

Obj = dict[str, Any]


@dataclass(frozen=True, slots=True)
class CpuSample:
    """Cumulative CPU time at a moment (Unix seconds)."""

    timestamp: float
    core_nanoseconds: int


def usage_nano_cores(previous: CpuSample | None, current: CpuSample) -> int | None:
    """The CPU rate between two samples in nanocores (billionths of a core); None without
    an earlier sample. A counter that went down (a process of the group ended) reads as 0.

    >>> usage_nano_cores(CpuSample(10.0, 1_000_000_000), CpuSample(12.0, 2_000_000_000))
    500000000
    >>> usage_nano_cores(None, CpuSample(12.0, 5)) is None
    True
    """
    if previous is None or current.timestamp <= previous.timestamp:
        return None
    used = max(0, current.core_nanoseconds - previous.core_nanoseconds)
    return int(used / (current.timestamp - previous.timestamp))


@dataclass(frozen=True, slots=True)
class Sampled:
    """Everything one summary is made of: the last node and container samples, with the one
    before each (for rates), and the sandboxes and container statuses of the last round."""

    node_name: str
    node: procstats.NodeUsage
    node_time: float
    node_previous: CpuSample | None
    containers: Sequence[ContainerStats]
    containers_previous: Mapping[str, CpuSample]
    sandboxes: Sequence[PodSandboxStatus]
    statuses: Sequence[ContainerStatus]


def _cpu(timestamp: float, cumulative: int, previous: CpuSample | None) -> Obj:
    cpu: Obj = {"time": format_time(timestamp)}
    rate = usage_nano_cores(previous, CpuSample(timestamp, cumulative))
    if rate is not None:
        cpu["usageNanoCores"] = rate
    cpu["usageCoreNanoSeconds"] = cumulative
    return cpu


def _sum_cpu(parts: Sequence[Obj], timestamp: float) -> Obj:
    cpu: Obj = {"time": format_time(timestamp)}
    rates = [p["usageNanoCores"] for p in parts if "usageNanoCores" in p]
    if rates:
        cpu["usageNanoCores"] = sum(rates)
    cpu["usageCoreNanoSeconds"] = sum(int(p["usageCoreNanoSeconds"]) for p in parts)
    return cpu


def _sum_memory(parts: Sequence[Obj], timestamp: float) -> Obj:
    memory: Obj = {"time": format_time(timestamp)}
    for key in ("usageBytes", "workingSetBytes", "rssBytes"):
        memory[key] = sum(int(p[key]) for p in parts)
    return memory


def build_summary(sampled: Sampled) -> Obj:
    """The ``Summary`` of one round of samples (see the module docstring)."""
    node = sampled.node
    summary_node: Obj = {
        "nodeName": sampled.node_name,
        "cpu": _cpu(sampled.node_time, node.cpu_nanoseconds, sampled.node_previous),
        "memory": {
            "time": format_time(sampled.node_time),
            "availableBytes": node.memory_available_bytes,
            "usageBytes": node.memory_usage_bytes,
            "workingSetBytes": node.memory_working_set_bytes,
            "rssBytes": node.memory_rss_bytes,
            "pageFaults": node.page_faults,
            "majorPageFaults": node.major_page_faults,
        },
    }
    if node.boot_time:
        summary_node["startTime"] = format_time(node.boot_time)
    sandboxes = {s.id: s for s in sampled.sandboxes}
    started = {s.id: s.started_at for s in sampled.statuses}
    by_sandbox: dict[str, list[Obj]] = {}
    for stats in sorted(sampled.containers, key=lambda s: s.name):
        if stats.sandbox_id not in sandboxes:
            continue
        container: Obj = {"name": stats.name}
        if started.get(stats.container_id):
            container["startTime"] = format_time(started[stats.container_id])
        container["cpu"] = _cpu(
            stats.timestamp,
            stats.cpu_usage_core_nanoseconds,
            sampled.containers_previous.get(stats.container_id),
        )
        container["memory"] = {
            "time": format_time(stats.timestamp),
            "usageBytes": stats.memory_usage_bytes,
            "workingSetBytes": stats.memory_working_set_bytes,
            "rssBytes": stats.memory_rss_bytes,
        }
        by_sandbox.setdefault(stats.sandbox_id, []).append(container)
    pods: list[Obj] = []
    for sandbox_id, containers in by_sandbox.items():
        sandbox = sandboxes[sandbox_id]
        latest = max(
            (s.timestamp for s in sampled.containers if s.sandbox_id == sandbox_id),
            default=sampled.node_time,
        )
        pods.append(
            {
                "podRef": {
                    "name": sandbox.metadata.name,
                    "namespace": sandbox.metadata.namespace,
                    "uid": sandbox.metadata.uid,
                },
                "startTime": format_time(sandbox.created_at),
                "containers": containers,
                "cpu": _sum_cpu([c["cpu"] for c in containers], latest),
                "memory": _sum_memory([c["memory"] for c in containers], latest),
            }
        )
    pods.sort(key=lambda p: (p["podRef"]["namespace"], p["podRef"]["name"]))
    return {"node": summary_node, "pods": pods}


class StatsProvider:
    """Samples the node and its containers periodically; answers summaries from the samples."""

    def __init__(
        self,
        runtime: RuntimeService,
        node_name: str,
        *,
        interval: float = DEFAULT_INTERVAL,
        read_node: Callable[[], procstats.NodeUsage] = procstats.node_usage,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._runtime = runtime
        self._node_name = node_name
        self.interval = interval
        self._read_node = read_node
        self._clock = clock
        self._sampled: Sampled | None = None

    async def run(self) -> None:
        """Sample every ``interval`` seconds until cancelled."""
        while True:
            try:
                await self.sample()
            except Exception as err:  # the next round tries again
                log.warning("sampling resource usage failed: %s", err)
            await asyncio.sleep(self.interval)

    async def sample(self) -> None:
        """Take one round of samples, keeping the previous one for rates."""
        node = await asyncio.to_thread(self._read_node)
        node_time = self._clock()
        containers = await self._runtime.list_container_stats()
        sandboxes = await self._runtime.list_pod_sandboxes()
        statuses = await self._runtime.list_containers()
        last = self._sampled
        node_previous = None
        previous: dict[str, CpuSample] = {}
        if last is not None:
            node_previous = CpuSample(last.node_time, last.node.cpu_nanoseconds)
            previous = {
                s.container_id: CpuSample(s.timestamp, s.cpu_usage_core_nanoseconds)
                for s in last.containers
            }
        self._sampled = Sampled(
            node_name=self._node_name,
            node=node,
            node_time=node_time,
            node_previous=node_previous,
            containers=containers,
            containers_previous=previous,
            sandboxes=sandboxes,
            statuses=statuses,
        )

    async def summary(self) -> Obj:
        """The summary of the last samples (sampling once first if there are none yet)."""
        if self._sampled is None:
            await self.sample()
        assert self._sampled is not None
        return build_summary(self._sampled)
