"""Many simulated nodes in one process: ``kubeling simulate``.

Each node is a real :class:`~kubeling.kubelet.kubelet.Kubelet` on the ``simulated`` runtime
(:mod:`~kubeling.kubelet.runtime.simulated`): it registers its Node (labels, capacity,
allocatable, addresses, conditions), renews its Lease in ``kube-node-lease`` every 10 s, posts
its status when it changes, and takes the pods bound to it through the kubelet's pod workers,
actions, back-off and status logic. What makes thousands of them fit in one event loop:

- **one watch per resource** for all nodes (:class:`~kubeling.kubelet.kubelet.SharedParts`):
  the bound pods (``spec.nodeName!=``, routed to each node's kubelet by node name), the
  Services, and the simulated Nodes (a status report compares with that cache instead of
  reading its Node every 10 s);
- **one HTTP client** with a bounded number of requests in flight (``max_requests_in_flight``)
  on reused connections; pod status writes are already coalesced per pod (only the latest is
  sent), so under load intermediate statuses are skipped rather than queued; one Event writer,
  which drops Events when 1,000 wait, as client-go does; and, as the kubelet's heartbeat
  client, a second one for the Leases and Node statuses, so that thousands of pod status
  writes waiting for the first never hold up a renewal (and the nodes' Leases never expire
  because the pods are busy);
- **staggered starts**: node *i* starts ``i / nodes`` of the way into one lease renewal
  interval (at most 500 nodes a second), so that 5,000 Leases are renewed about 500 a second
  rather than all at once;
- per pod, a pod worker waiting on a timer handle and a few small records.

**Node failures**: :meth:`NodeSimulator.fail` stops the kubelets of a fraction of the nodes (as
if their machines died: no Lease renewal, no status, no pod handled; their containers keep
"running"), :meth:`NodeSimulator.recover` starts them again (a kubelet restart: it finds its
containers, adopts its Node, renews its Lease). ``kubeling simulate`` triggers them on a
schedule (``--fail-nodes 10% --fail-after 60s --recover-after 300s``) and on signals (SIGUSR1
fails, SIGUSR2 recovers).

Nodes are named ``<prefix><index>`` (``sim-00000``), labelled ``kubeling.io/simulated=true``
(and ``topology.kubernetes.io/zone=zone-<z>`` when there are zones: the nodes in contiguous
blocks, one per zone), with the
address ``10.64.x.y`` and pod IPs from ``10.(128 + i // 256).(i % 256).0/24``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from kubeling.api.naming import is_dns1123_subdomain
from kubeling.client import ApiClient, EventBroadcaster, SharedInformer, strip_managed_fields
from kubeling.client.resources import EVENTS, NODES, PODS, SERVICES
from kubeling.kubelet.config import GIB, KubeletConfig
from kubeling.kubelet.kubelet import Kubelet, SharedParts
from kubeling.kubelet.pod_source import SharedPods
from kubeling.kubelet.runtime.simulated import SimulatedRuntime, SimulationOptions

__all__ = [
    "MAX_NODES",
    "SIMULATED_LABEL",
    "NodeSimulator",
    "SimulatorOptions",
    "failing_indices",
]

log = logging.getLogger(__name__)

SIMULATED_LABEL: Final = "kubeling.io/simulated"
ZONE_LABEL: Final = "topology.kubernetes.io/zone"
#: Pod IP ranges are one /24 per node in 10.128.0.0/9.
MAX_NODES: Final = 32768
#: Registrations started per second at most.
START_RATE: Final = 500.0
STATS_SECONDS: Final = 60.0


@dataclass(frozen=True, slots=True)
class SimulatorOptions:
    nodes: int
    name_prefix: str = "sim-"
    simulation: SimulationOptions = field(default_factory=SimulationOptions)
    cpus: int = 32
    memory_bytes: int = 256 * GIB
    max_pods: int = 110
    node_labels: Mapping[str, str] = field(default_factory=dict)
    #: Spread nodes over this many zones (label ``topology.kubernetes.io/zone``); 0: none.
    zones: int = 0
    #: How often each pod is synced without news (the kubelet's is 1 min; with 150,000 pods
    #: that alone would be 2,500 syncs a second).
    sync_frequency: float = 300.0
    node_status_update_frequency: float = 10.0
    lease_duration_seconds: int = 40
    #: The fraction of nodes :meth:`NodeSimulator.fail` stops.
    fail_fraction: float = 0.1

    def __post_init__(self) -> None:
        if not 0 < self.nodes <= MAX_NODES:
            raise ValueError(f"--nodes must be between 1 and {MAX_NODES}: {self.nodes}")
        problems = is_dns1123_subdomain(self.node_name(self.nodes - 1))
        if problems:
            raise ValueError(f"invalid --name-prefix {self.name_prefix!r}: {'; '.join(problems)}")
        if not 0.0 <= self.fail_fraction <= 1.0:
            raise ValueError(
                f"the fraction of nodes to fail is not within 0-100%: {self.fail_fraction}"
            )

    def node_name(self, index: int) -> str:
        return f"{self.name_prefix}{index:05d}"


def failing_indices(nodes: int, fraction: float) -> list[int]:
    """Which nodes a failure of ``fraction`` of them stops: evenly spread over the indices.

    >>> failing_indices(20, 0.1), failing_indices(10, 0.5), failing_indices(3, 0)
    ([0, 10], [0, 2, 4, 6, 8], [])
    """
    count = round(nodes * fraction)
    return [int(j * nodes / count) for j in range(count)] if count else []


class NodeSimulator:
    """Runs ``options.nodes`` simulated kubelets over one client (see the module docstring)."""

    def __init__(
        self,
        client: ApiClient,
        options: SimulatorOptions,
        *,
        heartbeat_client: ApiClient | None = None,
    ) -> None:
        self.client = client
        self.heartbeat_client = heartbeat_client
        self.options = options
        self.shared = SharedParts(
            pods=SharedPods(
                SharedInformer(
                    client.resource(PODS),
                    resource=PODS.group_resource,
                    field_selector="spec.nodeName!=",
                    transform=strip_managed_fields,
                )
            ),
            services=SharedInformer(
                client.resource(SERVICES),
                resource=SERVICES.group_resource,
                transform=strip_managed_fields,
            ),
            nodes=SharedInformer(
                client.resource(NODES),
                resource=NODES.group_resource,
                label_selector=f"{SIMULATED_LABEL}=true",
                transform=strip_managed_fields,
            ),
            events=EventBroadcaster(client.resource(EVENTS)),
        )
        self.kubelets = [self._kubelet(i) for i in range(options.nodes)]
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self.failed: set[int] = set()
        self._group: asyncio.TaskGroup | None = None
        #: Set once every node not failed is registered and running its pods.
        self.ready = asyncio.Event()

    def _kubelet(self, index: int) -> Kubelet:
        options = self.options
        name = options.node_name(index)
        labels = {SIMULATED_LABEL: "true", **options.node_labels}
        if options.zones:
            # Contiguous blocks, so that a failure (spread evenly over the indices) hits every
            # zone alike, as the node lifecycle controller's per-zone eviction rates assume.
            labels[ZONE_LABEL] = f"zone-{index * options.zones // options.nodes}"
        config = KubeletConfig(
            node_name=name,
            root_dir=Path("/nonexistent/kubeling-simulated") / name,  # never touched
            node_ip=f"10.{64 + index // 65536}.{index // 256 % 256}.{index % 256}",
            node_labels=labels,
            node_status_update_frequency=options.node_status_update_frequency,
            node_lease_duration_seconds=options.lease_duration_seconds,
            sync_frequency=options.sync_frequency,
            runtime="simulated",
            simulation=options.simulation,
            simulated_cpus=options.cpus,
            simulated_memory_bytes=options.memory_bytes,
            pod_ip_prefix=f"10.{128 + index // 256}.{index % 256}.",
            max_pods=options.max_pods,
            # as `kubeling agent`'s default: pods get the cluster DNS of `kubeling up` (a
            # kubelet without one warns, MissingClusterDNS, for every pod it starts)
            cluster_dns=("127.96.0.10",),
        )
        runtime = SimulatedRuntime(options.simulation, pod_ip_prefix=config.pod_ip_prefix)
        return Kubelet(
            config,
            self.client,
            runtime=runtime,
            shared=self.shared,
            heartbeat_client=self.heartbeat_client,
        )

    async def run(self) -> None:
        """Run every node until cancelled."""
        shared = self.shared
        async with asyncio.TaskGroup() as group:
            self._group = group
            group.create_task(shared.events.run(), name="simulate-events")
            for informer in (shared.pods.informer, shared.services, shared.nodes):
                group.create_task(informer.run(), name=f"simulate-{informer.resource}")
            for informer in (shared.pods.informer, shared.services, shared.nodes):
                await informer.wait_for_sync()
            group.create_task(self._start_all(), name="simulate-start")
            group.create_task(self._log_statistics(), name="simulate-statistics")

    async def _start_all(self) -> None:
        count = self.options.nodes
        interval = self.options.lease_duration_seconds / 4
        spread = min(interval, count / START_RATE)
        loop = asyncio.get_running_loop()
        began = loop.time()
        for index in range(count):
            delay = began + spread * index / count - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if index not in self.failed:
                self._start(index)
        await self.wait_running()
        log.info("%d simulated nodes running", count - len(self.failed))
        self.ready.set()

    def _start(self, index: int) -> None:
        assert self._group is not None
        running = self._tasks.get(index)
        if running is not None and not running.done():
            return  # recovered before its staggered start came: one kubelet per node
        kubelet = self.kubelets[index]
        self._tasks[index] = self._group.create_task(
            kubelet.run(), name=f"simulated-node-{kubelet.config.node_name}"
        )

    async def wait_running(self) -> None:
        """Until every node that is not failed is registered and runs its pods."""
        for index, kubelet in enumerate(self.kubelets):
            if index not in self.failed:
                await kubelet.ready.wait()

    def fail(self, fraction: float | None = None) -> list[str]:
        """Stop the kubelets of ``fraction`` (default: the options') of the nodes; the names
        of the nodes newly failed."""
        indices = failing_indices(
            self.options.nodes, self.options.fail_fraction if fraction is None else fraction
        )
        names = []
        for index in indices:
            if index in self.failed:
                continue
            self.failed.add(index)
            task = self._tasks.pop(index, None)
            if task is not None:
                task.cancel()
            names.append(self.options.node_name(index))
        log.warning("%d simulated nodes failed (their kubelets stopped)", len(names))
        return names

    def recover(self) -> list[str]:
        """Start the failed nodes' kubelets again; their names."""
        names = []
        for index in sorted(self.failed):
            self.failed.discard(index)
            if self._group is not None and index not in self._tasks:
                self._start(index)
            names.append(self.options.node_name(index))
        log.warning("%d simulated nodes recovered", len(names))
        return names

    def statistics(self) -> dict[str, int]:
        """Nodes, failed nodes, pods bound to them, containers running, statuses written,
        Events dropped."""
        running = sum(
            k.runtime.statistics()["running"]
            for k in self.kubelets
            if isinstance(k.runtime, SimulatedRuntime)
        )
        return {
            "nodes": self.options.nodes,
            "failed": len(self.failed),
            "pods": sum(len(k.workers.workers) for k in self.kubelets if k.workers),
            "running_containers": running,
            "status_writes": sum(k.statuses.writes for k in self.kubelets),
            "events_dropped": self.shared.events.dropped,
        }

    async def _log_statistics(self) -> None:
        while True:
            await asyncio.sleep(STATS_SECONDS)
            stats = self.statistics()
            log.info("simulate: %s", " ".join(f"{k}={v}" for k, v in stats.items()))
