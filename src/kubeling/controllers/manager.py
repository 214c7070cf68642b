"""The controller manager: every controller, over one client, while it leads.

``kubeling controller-manager`` (and ``kubeling up``, in the same process as
the API server) builds the selected controllers over one :class:`ApiClient`,
one shared informer factory and one event broadcaster, then waits for the
``kube-system/kube-controller-manager`` Lease: only the leader runs the
loops, so several control planes can run side by side. Informers start and
sync before any worker runs, as in Kubernetes, so a sync never acts on an
empty cache.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from kubeling.client import (
    ApiClient,
    ClientConfig,
    EventBroadcaster,
    LeaderElectionConfig,
    LeaderElector,
    SharedInformerFactory,
    strip_managed_fields,
)
from kubeling.client.resources import EVENTS, LEASES
from kubeling.controllers.base import DEFAULT_LOCAL_STORAGE_PATH, Controller, ControllerContext
from kubeling.controllers.cronjob import CronJobController
from kubeling.controllers.daemonset import DaemonSetController
from kubeling.controllers.deployment import DeploymentController
from kubeling.controllers.disruption import DisruptionController
from kubeling.controllers.endpoints import EndpointsController
from kubeling.controllers.endpointslice import EndpointSliceController
from kubeling.controllers.endpointslicemirroring import EndpointSliceMirroringController
from kubeling.controllers.garbagecollector import GarbageCollector
from kubeling.controllers.job import JobController
from kubeling.controllers.namespace import NamespaceController
from kubeling.controllers.nodelifecycle import NodeLifecycleController, NodeLifecycleOptions
from kubeling.controllers.podautoscaler import HorizontalPodAutoscalerController
from kubeling.controllers.podgc import PodGCController
from kubeling.controllers.replicaset import ReplicaSetController, ReplicationManager
from kubeling.controllers.resourcequota import FULL_RESYNC_PERIOD, ResourceQuotaController
from kubeling.controllers.rootcacertpublisher import RootCACertPublisher
from kubeling.controllers.serviceaccount import ServiceAccountsController
from kubeling.controllers.servicelb import ServiceLBController
from kubeling.controllers.statefulset import StatefulSetController
from kubeling.controllers.tainteviction import TaintEvictionController
from kubeling.controllers.ttlafterfinished import TTLAfterFinishedController
from kubeling.controllers.volume import LocalPathProvisioner, PersistentVolumeBinder

__all__ = [
    "CONTROLLERS",
    "ControllerManagerOptions",
    "informer_factory",
    "run_controller_manager",
    "selected",
]

log = logging.getLogger(__name__)

USER_AGENT = "kube-controller-manager/v1.32.4+kubeling"

#: Every controller by its ``--controllers`` name, in start order.
CONTROLLERS: dict[str, Callable[[ControllerContext], Controller]] = {
    "garbage-collector": GarbageCollector,
    "replicaset": ReplicaSetController,
    "replicationcontroller": ReplicationManager,
    "job": JobController,
    "cronjob": CronJobController,
    "ttl-after-finished": TTLAfterFinishedController,
    "podgc": PodGCController,
    "endpoints": EndpointsController,
    "endpointslice": EndpointSliceController,
    "endpointslicemirroring": EndpointSliceMirroringController,
    "namespace": NamespaceController,
    "serviceaccount": ServiceAccountsController,
    "root-ca-cert-publisher": RootCACertPublisher,
    "deployment": DeploymentController,
    "persistentvolume-binder": PersistentVolumeBinder,
    "local-path-provisioner": LocalPathProvisioner,
    "resourcequota": ResourceQuotaController,
    "daemonset": DaemonSetController,
    "statefulset": StatefulSetController,
    "disruption": DisruptionController,
    "horizontalpodautoscaling": HorizontalPodAutoscalerController,
    "nodelifecycle": NodeLifecycleController,
    "taint-eviction-controller": TaintEvictionController,
    "service-lb-controller": ServiceLBController,
}


@dataclass(frozen=True, slots=True)
class ControllerManagerOptions:
    #: Kubernetes' ``--controllers``: ``*`` for all, ``name`` to add, ``-name`` to leave out.
    controllers: Sequence[str] = ("*",)
    leader_elect: bool = True
    lease_namespace: str = "kube-system"
    lease_name: str = "kube-controller-manager"
    #: Informer resync (0: none; changes arrive by watch).
    resync_period: float = 0.0
    #: Where the local-path provisioner puts volumes on each node.
    local_storage_path: str = DEFAULT_LOCAL_STORAGE_PATH
    #: ``--resource-quota-sync-period``: how often every quota is recounted in full.
    resource_quota_sync_period: float = FULL_RESYNC_PERIOD
    #: The node lifecycle controller's flags (``--node-monitor-grace-period``...).
    node_lifecycle: NodeLifecycleOptions = field(default_factory=NodeLifecycleOptions)


def selected(spec: Sequence[str]) -> list[str]:
    """The controllers ``--controllers`` names, in :data:`CONTROLLERS` order;
    ValueError for a name that is not a controller."""
    wanted = set(spec)
    unknown = {s.lstrip("-") for s in wanted} - set(CONTROLLERS) - {"*"}
    if unknown:
        raise ValueError(f"unknown controllers: {', '.join(sorted(unknown))}")
    return [
        name
        for name in CONTROLLERS
        if f"-{name}" not in wanted and ("*" in wanted or name in wanted)
    ]


def informer_factory(client: ApiClient, options: ControllerManagerOptions) -> SharedInformerFactory:
    """The informers every controller shares. As kube-controller-manager's, they drop
    ``managedFields``: no controller reads them, every cached object would carry them,
    and an update sent without them keeps the stored ones."""
    return SharedInformerFactory(
        client, resync_period=options.resync_period, transform=strip_managed_fields
    )


async def run_controller_manager(
    config: ClientConfig,
    options: ControllerManagerOptions = ControllerManagerOptions(),
    *,
    identity: str | None = None,
) -> None:
    """Run the selected controllers until cancelled (or until leadership is lost)."""
    names = selected(options.controllers)
    async with ApiClient(config.with_user_agent(USER_AGENT)) as client:
        informers = informer_factory(client, options)
        events = EventBroadcaster(client.resource(EVENTS))
        ctx = ControllerContext(
            client=client,
            informers=informers,
            events=events,
            local_storage_path=options.local_storage_path,
        )

        # Built before the informers start: each registers the informers it reads.
        def node_lifecycle(ctx: ControllerContext) -> Controller:
            return NodeLifecycleController(ctx, options.node_lifecycle)

        def resource_quota(ctx: ControllerContext) -> Controller:
            return ResourceQuotaController(
                ctx, full_resync_period=options.resource_quota_sync_period
            )

        factories = {
            **CONTROLLERS,
            "nodelifecycle": node_lifecycle,
            "resourcequota": resource_quota,
        }
        controllers = [factories[name](ctx) for name in names]

        async def lead() -> None:
            log.info("controller manager leading; running %s", ", ".join(names) or "nothing")
            async with asyncio.TaskGroup() as group:
                group.create_task(events.run(), name="event-broadcaster")
                informers.start(group)
                await informers.wait_for_cache_sync()
                for controller in controllers:
                    group.create_task(controller.run(), name=f"controller-{controller.name}")

        try:
            if not options.leader_elect:
                await lead()
                return
            elector = LeaderElector(
                client.resource(LEASES),
                LeaderElectionConfig(
                    namespace=options.lease_namespace,
                    name=options.lease_name,
                    identity=identity or f"{socket.gethostname()}_{uuid.uuid4()}",
                ),
                on_started_leading=lead,
                recorder=events.new_recorder("kube-controller-manager"),
            )
            await elector.run()
        finally:
            informers.shutdown()
