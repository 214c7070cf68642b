"""The kubelet: registers its Node, keeps it alive, and runs the pods bound to it.

Everything goes through the API server with :mod:`kubeling.client`, as a kubelet on another
machine would. :meth:`Kubelet.run`, in order:

1. opens the container runtime (the process runtime by default; its state on disk means that a
   restarted kubelet finds its running containers again and does not restart them);
2. registers the Node (:mod:`~kubeling.kubelet.node_status`): created with its status, or, if
   it exists, its labels reconciled; then posts the status every 10 s when it changed (at least
   every 5 min) and renews the Lease in ``kube-node-lease`` every 10 s (:mod:`.lease`);
3. watches the pods bound to the node (``spec.nodeName=<node>``) and every Service (for the
   service environment variables), and once both caches are filled, gives each pod a worker
   (:mod:`.pod_workers`), woken by the pod's changes and by its containers' starts and exits;
4. removes what the runtime still has of pods the API no longer knows (at start, then every
   30 s), and forgets old back-off entries.

When it stops it leaves the containers running, unless ``stop_pods_on_exit`` (``kubeling up``):
then every container gets SIGTERM and, after its grace period (at most
``shutdown_grace_period``), SIGKILL. A kubelet that stopped may :meth:`Kubelet.run` again (a
restart: it finds its runtime's containers and adopts its Node).

Many kubelets in one process (``kubeling simulate``) share what would otherwise be one per
node (:class:`SharedParts`): one watch of the bound pods routed by node
(:class:`~kubeling.kubelet.pod_source.SharedPods`), one of the Services, one of the Nodes (a
status report compares with that cache instead of reading the Node every 10 s), and one Event
writer.
"""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import logging
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from kubeling.api import errors
from kubeling.api.timestamps import format_time
from kubeling.client import (
    ApiClient,
    ClientConfig,
    EventBroadcaster,
    PatchType,
    Resource,
    SharedInformer,
    TransportError,
    strip_managed_fields,
)
from kubeling.client.ratelimit import TokenBucket
from kubeling.client.resources import (
    CONFIGMAPS,
    EVENTS,
    LEASES,
    NODES,
    PERSISTENTVOLUMECLAIMS,
    PERSISTENTVOLUMES,
    PODS,
    SECRETS,
    SERVICEACCOUNTS,
    SERVICES,
)
from kubeling.kubelet.backoff import Backoff
from kubeling.kubelet.config import KubeletConfig, default_node_ip
from kubeling.kubelet.envvars import (
    ContainerConfigError,
    Getter,
    PodIPs,
    make_environment,
    service_environment,
)
from kubeling.kubelet.hooks import LifecycleHooks
from kubeling.kubelet.host import HostInfo, read_host_info
from kubeling.kubelet.lease import NodeLease
from kubeling.kubelet.lifecycle_handlers import HandlerRunner
from kubeling.kubelet.node_status import (
    KUBELET_VERSION,
    POD_ISOLATION_ANNOTATION,
    RUNTIME_LIMITS_ANNOTATION,
    VOLUME_MOUNTS_ANNOTATION,
    NodeStatusInputs,
    node_labels,
    node_object,
    node_status,
    status_changed,
)
from kubeling.kubelet.pod_lifecycle import PodLifecycle
from kubeling.kubelet.pod_network import PodNetwork
from kubeling.kubelet.pod_runtime import PodRuntimeManager
from kubeling.kubelet.pod_source import InformerNodePods, NodePods, SharedPods
from kubeling.kubelet.pod_workers import PodWorkers, wakes_worker
from kubeling.kubelet.podutil import grace_period_seconds, spec_of
from kubeling.kubelet.prober import ProbeManager
from kubeling.kubelet.probes import ProbeResults
from kubeling.kubelet.runtime import cgroups
from kubeling.kubelet.runtime.interface import ContainerEvent, RuntimeService
from kubeling.kubelet.runtime.process import ProcessRuntime
from kubeling.kubelet.runtime.simulated import SimulatedRuntime
from kubeling.kubelet.server import KubeletServer, KubeletServerConfig
from kubeling.kubelet.shared_reads import SharedReads
from kubeling.kubelet.simulated_node import SimulatedHooks, SimulatedProbes, simulated_host
from kubeling.kubelet.stats import StatsProvider
from kubeling.kubelet.status_manager import StatusManager
from kubeling.kubelet.streaming import KubeletStreaming
from kubeling.kubelet.volumes import VolumeError, VolumeHost, VolumeManager

__all__ = ["USER_AGENT", "Kubelet", "SharedParts", "run_kubelet"]

log = logging.getLogger(__name__)

USER_AGENT: Final = f"kubelet/{KUBELET_VERSION} (linux) kubernetes/kubeling"
HOUSEKEEPING_SECONDS: Final = 30.0
REGISTER_RETRY_MAX: Final = 7.0
#: Requests in flight at once: a burst of pods (status writes, Events) then reuses this many
#: connections instead of opening one, with a TLS handshake on both ends, per request.
MAX_REQUESTS_IN_FLIGHT: Final = 16
#: The kubelet's Events a second, and at once (KubeletConfiguration's ``eventRecordQPS`` and
#: ``eventBurst`` defaults): a burst of pods writes 100 at once, the rest after its pods run.
EVENT_RECORD_QPS: Final = 50.0
EVENT_BURST: Final = 100

Obj = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SharedParts:
    """What many kubelets in one process share (see the module docstring); whoever makes it
    runs the informers and the Event writer."""

    pods: SharedPods
    services: SharedInformer
    nodes: SharedInformer
    events: EventBroadcaster


class Kubelet:
    """One node's agent (see the module docstring)."""

    def __init__(
        self,
        config: KubeletConfig,
        client: ApiClient,
        *,
        runtime: RuntimeService | None = None,
        probes: ProbeResults | None = None,
        hooks: LifecycleHooks | None = None,
        backoff: Backoff | None = None,
        server: KubeletServerConfig | None = None,
        shared: SharedParts | None = None,
        heartbeat_client: ApiClient | None = None,
    ) -> None:
        self.config = config
        self.client = client
        #: The Lease and the Node's status go through a client of their own when given (the
        #: kubelet's heartbeat client): queued pod status writes must not delay a renewal.
        self.heartbeat_client = heartbeat_client or client
        self.simulated = config.runtime == "simulated"
        self.node_ip = config.node_ip or default_node_ip()
        self.hostname = config.node_name if self.simulated else socket.gethostname()
        self.limits_note = "none: not yet detected"
        if self.simulated:
            self.limits_note = "none (simulated node): containers run no process"
        self.runtime = runtime or self._default_runtime()
        #: Thousands of simulated nodes in one process log their comings and goings quietly.
        self._log_level = logging.DEBUG if self.simulated else logging.INFO
        self.shared = shared
        #: The informers this kubelet runs itself (shared ones are run by their owner).
        self._own_informers: list[SharedInformer] = []
        self._owns_events = shared is None
        self.events = (
            shared.events
            if shared
            else EventBroadcaster(
                client.resource(EVENTS), rate=TokenBucket(EVENT_RECORD_QPS, EVENT_BURST)
            )
        )
        self.recorder = self.events.new_recorder("kubelet", host=config.node_name)
        if self.simulated:
            probes = probes or SimulatedProbes()
            hooks = hooks or SimulatedHooks()
        self.probes = probes or ProbeManager(self.runtime, self.recorder)
        self.hooks = hooks or HandlerRunner(self.runtime, self.recorder)
        self.pods: NodePods
        if shared is not None:
            self.pods = shared.pods.for_node(config.node_name)
            self.services = shared.services
        else:
            informer = SharedInformer(
                client.resource(PODS),
                resource=PODS.group_resource,
                field_selector=f"spec.nodeName={config.node_name}",
                transform=strip_managed_fields,
            )
            self.pods = InformerNodePods(informer)
            self.services = SharedInformer(
                client.resource(SERVICES),
                resource=SERVICES.group_resource,
                transform=strip_managed_fields,
            )
            self._own_informers = [informer, self.services]
        self.statuses = StatusManager(client.resource(PODS))
        self._configmaps = self._getter(CONFIGMAPS)
        self._secrets = self._getter(SECRETS)
        # Containers that run no process read no volume: a simulated node sets none up.
        self.volumes = (
            None
            if self.simulated
            else VolumeManager(
                config.pods_dir,
                VolumeHost(
                    get_configmap=self._configmaps,
                    get_secret=self._secrets,
                    get_claim=self._getter(PERSISTENTVOLUMECLAIMS),
                    get_volume=self._getter(PERSISTENTVOLUMES),
                    request_token=self._request_token,
                    ips=lambda: PodIPs([self.node_ip], [self.node_ip]),
                    allocatable=lambda: self._allocatable,
                ),
                recorder=self.recorder,
            )
        )
        self.manager = PodRuntimeManager(
            self.runtime,
            recorder=self.recorder,
            environment=self._environment,
            probes=self.probes,
            hooks=self.hooks,
            pod_logs_dir=config.logs_dir,
            backoff=backoff,
            volumes=self.volumes,
            network=PodNetwork(
                config.pods_dir,
                cluster_dns=config.cluster_dns,
                cluster_domain=config.cluster_domain,
                resolv_conf=config.resolv_conf,
                node_ips=(self.node_ip,),
            ),
            pod_ips=(self.node_ip,),
            node_name=config.node_name,
        )
        self.lifecycle = PodLifecycle(
            self.manager, self.statuses, probes=self.probes, host_ips=[self.node_ip]
        )
        self.lease = NodeLease(
            self.heartbeat_client.resource(LEASES),
            config.node_name,
            node_uid=self._node_uid,
            duration_seconds=config.node_lease_duration_seconds,
        )
        self.streaming = KubeletStreaming(self.runtime, self._reported_pod)
        self.stats = StatsProvider(self.runtime, config.node_name, interval=config.stats_interval)
        self.server_config = server
        #: The HTTPS server (logs, exec, port-forward) while it runs.
        self.server: KubeletServer | None = None
        self.workers: PodWorkers | None = None
        self.node: Obj | None = None
        self._allocatable: dict[str, str] = {}
        self._reported_at = 0.0
        self._subscribed_to_runtime = False
        #: Set once the node is registered and every pod has a worker.
        self.ready = asyncio.Event()

    def _default_runtime(self) -> RuntimeService:
        if self.simulated:
            return SimulatedRuntime(self.config.simulation, pod_ip_prefix=self.config.pod_ip_prefix)
        return self._process_runtime()

    def _process_runtime(self) -> ProcessRuntime:
        manager: cgroups.CgroupManager | None = None
        if self.config.cgroups:
            found = cgroups.detect()
            if isinstance(found, cgroups.CgroupManager):
                manager = found
                self.limits_note = f"{found.describe()}: memory and CPU limits are enforced"
            else:
                self.limits_note = f"none ({found}): containers run without limits"
        else:
            self.limits_note = "none (disabled): containers run without limits"
        return ProcessRuntime(
            self.config.root_dir / "runtime",
            ips=(self.node_ip,),
            cgroups=manager,
            log_max_bytes=self.config.container_log_max_size,
            log_max_files=self.config.container_log_max_files,
            mount_namespaces=self.config.mount_namespaces,
        )

    # -- running -------------------------------------------------------------------------------

    async def run(self) -> None:
        """Run until cancelled (see the module docstring)."""
        self.ready.clear()
        if not self.simulated:
            await asyncio.to_thread(self.config.root_dir.mkdir, parents=True, exist_ok=True)
        await self.runtime.start()
        unsubscribe: Callable[[], None] | None = None
        try:
            await self._start_server()
            async with asyncio.TaskGroup() as group:
                if self._owns_events:
                    group.create_task(self.events.run(), name="kubelet-events")
                self.statuses.start(group, api_pod=self._api_pod)
                await self._register()
                group.create_task(self._report_status(), name="kubelet-node-status")
                group.create_task(self.lease.run(), name="kubelet-lease")
                for informer in self._own_informers:
                    group.create_task(informer.run(), name=f"kubelet-{informer.resource}")
                await self.pods.wait_for_sync()
                await self.services.wait_for_sync()
                workers = PodWorkers(
                    self.lifecycle, group, sync_frequency=self.config.sync_frequency
                )
                self.workers = workers
                if not self._subscribed_to_runtime:
                    self.runtime.subscribe(self._container_event)
                    self._subscribed_to_runtime = True
                if isinstance(self.probes, ProbeManager):
                    self.probes.start(group, on_change=workers.wake)
                unsubscribe = self.pods.subscribe(
                    on_update=workers.update, on_delete=workers.remove
                )
                await self._remove_orphans()
                group.create_task(self._housekeeping(), name="kubelet-housekeeping")
                if not self.simulated:  # nothing to sample: no process runs
                    group.create_task(self.stats.run(), name="kubelet-stats")
                log.log(
                    self._log_level,
                    "kubelet ready on node %s (%s); container limits: %s",
                    self.config.node_name,
                    self.node_ip,
                    self.limits_note,
                )
                self.ready.set()
        finally:
            if unsubscribe is not None:
                unsubscribe()
            self.workers = None
            await self._stop_server()
            if self.config.stop_pods_on_exit:
                await self._stop_all_containers()
            await self.runtime.close()

    def _api_pod(self, uid: str) -> Mapping[str, Any] | None:
        """The API's latest copy of a pod this kubelet runs (its worker's), if any."""
        worker = self.workers.workers.get(uid) if self.workers is not None else None
        return worker.pod if worker is not None else None

    def _container_event(self, event: ContainerEvent) -> None:
        """A container exited: its pod's worker looks at once (see ``wakes_worker``)."""
        if self.workers is not None and wakes_worker(event):
            self.workers.wake(event.pod_uid)

    async def _start_server(self) -> None:
        """Serve logs, exec and port-forward (before registering: the Node reports the port)."""
        if self.server_config is None:
            return
        server = KubeletServer(self.server_config, self.streaming, summary=self.stats.summary)
        try:
            await server.start()
        except OSError as err:
            await server.stop()
            if not (self.config.kubelet_port_fallback and err.errno == errno.EADDRINUSE):
                raise
            log.warning(
                "kubelet port %d is taken: serving on a free port instead",
                self.server_config.port,
            )
            server = KubeletServer(
                dataclasses.replace(self.server_config, port=0),
                self.streaming,
                summary=self.stats.summary,
            )
            await server.start()
        self.server = server

    async def _stop_server(self) -> None:
        """End open streams and exec sessions, then stop listening."""
        if self.server is not None:
            await self.server.stop()
            self.server = None
        await self.streaming.close()

    def _reported_pod(self, namespace: str, name: str) -> Obj | None:
        """A pod bound to this node, with the status this kubelet wrote last."""
        pod = self.pods.get(namespace, name)
        if pod is None:
            return None
        return {**pod, "status": self.statuses.previous(pod)}

    async def _stop_all_containers(self) -> None:
        """SIGTERM every container, SIGKILL after min(its pod's grace, the shutdown grace)."""
        pods = {p["metadata"]["uid"]: p for p in (self.workers.pods() if self.workers else [])}
        containers = await self.runtime.list_containers()
        sandboxes = {s.id: s for s in await self.runtime.list_pod_sandboxes()}
        stops = []
        for container in containers:
            sandbox = sandboxes.get(container.sandbox_id)
            pod = pods.get(sandbox.metadata.uid) if sandbox else None
            grace = self.config.shutdown_grace_period
            if pod is not None:
                grace = min(grace, grace_period_seconds(pod))
            stops.append(self.runtime.stop_container(container.id, grace))
        results = await asyncio.gather(*stops, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                log.warning("stopping a container at shutdown failed: %s", result)

    # -- the Node ------------------------------------------------------------------------------

    async def _host(self) -> HostInfo:
        """The machine's facts (a simulated node's from its configuration)."""
        if self.simulated:
            return simulated_host(
                self.config.node_name,
                cpus=self.config.simulated_cpus,
                memory_bytes=self.config.simulated_memory_bytes,
            )
        return await asyncio.to_thread(read_host_info, self.config.root_dir, self.hostname)

    def _status_inputs(self, host: HostInfo, previous: Mapping[str, Any]) -> NodeStatusInputs:
        return NodeStatusInputs(
            node_name=self.config.node_name,
            host=host,
            addresses=[self.node_ip],
            runtime_version=f"{self.runtime.name}://{self.runtime.version()}",
            now=format_time(),
            previous_conditions=previous.get("conditions") or [],
            kubelet_port=self.server.port if self.server else self.config.kubelet_port,
            max_pods=self.config.max_pods,
        )

    async def _node_uid(self) -> str:
        return str(((self.node or {}).get("metadata") or {}).get("uid") or "")

    async def _register(self) -> None:
        """Create the Node, or adopt the one that exists; retried until it works."""
        nodes = self.heartbeat_client.resource(NODES)
        delay = 0.2
        while True:
            host = await self._host()
            inputs = self._status_inputs(host, {})
            body = node_object(
                inputs,
                labels=self.config.node_labels,
                annotations={
                    RUNTIME_LIMITS_ANNOTATION: self.limits_note,
                    VOLUME_MOUNTS_ANNOTATION: self._volume_note(),
                    POD_ISOLATION_ANNOTATION: self._isolation_note(),
                },
            )
            try:
                try:
                    self.node = await nodes.create(body)
                    self._reported_at = time.monotonic()
                except errors.StatusError as err:
                    if not errors.is_already_exists(err):
                        raise
                    labels = node_labels(self.config.node_name, host, self.config.node_labels)
                    patch = {
                        "metadata": {
                            "labels": labels,
                            "annotations": body["metadata"]["annotations"],
                        }
                    }
                    self.node = await nodes.patch(
                        self.config.node_name, patch, patch_type=PatchType.MERGE
                    )
                self._allocatable = dict(body["status"]["allocatable"])
                log.log(self._log_level, "node %s registered", self.config.node_name)
                return
            except (errors.StatusError, TransportError) as err:
                log.warning("unable to register node %s: %s", self.config.node_name, err)
                await asyncio.sleep(delay)
                delay = min(delay * 2, REGISTER_RETRY_MAX)

    async def _report_status(self) -> None:
        """Post the Node's status when it differs from the API's (a controller may have marked
        it Unknown), or every report period."""
        nodes = self.heartbeat_client.resource(NODES)
        while True:
            try:
                current = await self._known_node(nodes)
                known: Obj = current.get("status") or {}
                host = await self._host()
                status = node_status(self._status_inputs(host, known))
                due = (
                    time.monotonic() - self._reported_at >= self.config.node_status_report_frequency
                )
                if due or status_changed(known, status):
                    self.node = await nodes.patch(
                        self.config.node_name,
                        {"status": status},
                        patch_type=PatchType.STRATEGIC,
                        subresource="status",
                    )
                    self._reported_at = time.monotonic()
                    self._allocatable = dict(status["allocatable"])
            except errors.StatusError as err:
                if errors.is_not_found(err):
                    log.warning("node %s is gone: registering it again", self.config.node_name)
                    await self._register()
                    continue
                log.warning(
                    "unable to update the status of node %s: %s", self.config.node_name, err
                )
            except TransportError as err:
                log.warning(
                    "unable to update the status of node %s: %s", self.config.node_name, err
                )
            await asyncio.sleep(self.config.node_status_update_frequency)

    async def _known_node(self, nodes: Any) -> Obj:
        """The Node as the API has it: from the shared cache of Nodes if there is one, else
        read (from the API server's cache, ``resourceVersion=0``, as the kubelet does)."""
        if self.shared is not None:
            cached = self.shared.nodes.indexer.get(self.config.node_name)
            if cached is not None:
                return cached
        found: Obj = await nodes.get(self.config.node_name, resource_version="0")
        return found

    # -- pods ----------------------------------------------------------------------------------

    async def _environment(
        self, pod: Mapping[str, Any], container: Mapping[str, Any]
    ) -> dict[str, str]:
        namespace = pod["metadata"]["namespace"]
        services = service_environment(
            self.services.indexer.list(),
            namespace,
            enable_service_links=spec_of(pod).get("enableServiceLinks") is not False,
        )
        return await make_environment(
            pod,
            container,
            services=services,
            get_configmap=self._configmaps,
            get_secret=self._secrets,
            ips=PodIPs([self.node_ip], [self.node_ip]),
            allocatable=self._allocatable,
        )

    def _volume_note(self) -> str:
        note = getattr(self.runtime, "volume_note", "")
        return str(note) or f"as the {self.runtime.name} runtime mounts them"

    def _isolation_note(self) -> str:
        note = getattr(self.runtime, "isolation_note", "")
        return str(note) or f"as the {self.runtime.name} runtime isolates pods"

    async def _request_token(self, namespace: str, account: str, spec: Obj) -> Obj:
        """A TokenRequest for a projected volume; its status (``token``,
        ``expirationTimestamp``)."""
        body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec}
        try:
            answer = await self.client.resource(SERVICEACCOUNTS).create(
                body, namespace=namespace, name=account, subresource="token"
            )
        except (errors.StatusError, TransportError) as err:
            raise VolumeError(
                f"failed to fetch token: {getattr(err, 'message', None) or err}"
            ) from None
        status: Obj = answer.get("status") or {}
        return status

    def _getter(self, resource: Resource) -> Getter:
        """Reads of ``resource`` for pods' volumes and environment (None: not found), those of
        one object under way at once shared (see :mod:`~kubeling.kubelet.shared_reads`)."""
        objects = self.client.resource(resource)

        async def get(namespace: str, name: str) -> Obj | None:
            try:
                found: Obj = await objects.get(name, namespace=namespace)
            except errors.StatusError as err:
                if errors.is_not_found(err):
                    return None
                raise ContainerConfigError(err.message) from None
            return found

        return SharedReads(get)

    async def _remove_orphans(self) -> None:
        """Remove the runtime's sandboxes of pods that are neither in the API nor worked on."""
        known = {p["metadata"]["uid"] for p in self.pods.list()}
        if self.workers is not None:
            known |= set(self.workers.workers)
        for sandbox in await self.runtime.list_pod_sandboxes():
            uid = sandbox.metadata.uid
            if uid in known:
                continue
            log.info(
                "removing orphaned pod %s/%s (%s)",
                sandbox.metadata.namespace,
                sandbox.metadata.name,
                uid,
            )
            await self.runtime.stop_pod_sandbox(sandbox.id)
            await self.manager.remove_pod(uid)
        if self.volumes is not None:
            await self.volumes.remove_orphans(known)

    async def _housekeeping(self) -> None:
        while True:
            await asyncio.sleep(HOUSEKEEPING_SECONDS)
            try:
                await self._remove_orphans()
            except Exception as err:  # the next round tries again
                log.warning("removing orphaned pods failed: %s", err)
            self.manager.backoff.gc()


async def run_kubelet(
    config: KubeletConfig, client_config: ClientConfig, server: KubeletServerConfig | None = None
) -> None:
    """Run a kubelet with its own client until cancelled (``kubeling kubelet``, ``up``), serving
    its HTTPS API if ``server`` says how."""
    async with ApiClient(
        client_config.with_user_agent(USER_AGENT), max_concurrent_requests=MAX_REQUESTS_IN_FLIGHT
    ) as client:
        await Kubelet(config, client, server=server).run()
