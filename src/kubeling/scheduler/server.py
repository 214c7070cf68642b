"""``kubeling scheduler``: the core connected to an API server, as kube-scheduler runs.

``run_scheduler`` builds a :class:`~kubeling.scheduler.Scheduler` over one
:class:`~kubeling.client.ApiClient` and then, in upstream's order:

1. starts the Event broadcaster and the shared informers of every kind the core reads
   (pods and nodes, plus claims, volumes, classes, budgets, Services, ReplicaSets,
   StatefulSets, ReplicationControllers and namespaces), whose handlers feed the core's
   ``on_*`` methods: the cache and the queue fill whether this replica leads or not, so
   that a stand-by takes over warm;
2. waits for every informer to sync (a pod is never placed on a half-listed cluster);
3. with ``leader_elect``, waits for the ``kube-system/kube-scheduler`` Lease; only the
   leader runs ``Scheduler.run()``. Losing the Lease cancels it and ``run_scheduler``
   raises :class:`LeadershipLostError`: the command exits with status 1, as
   kube-scheduler does rather than risk two schedulers binding the same pods.

The writes go through :class:`~kubeling.scheduler.api_effects.ApiSideEffects`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Final

from kubeling.client import (
    ApiClient,
    ClientConfig,
    DeletedFinalStateUnknown,
    EventBroadcaster,
    LeaderElectionConfig,
    LeaderElector,
    SharedInformerFactory,
    strip_managed_fields,
)
from kubeling.client.resources import (
    EVENTS,
    LEASES,
    NAMESPACES,
    NODES,
    PERSISTENTVOLUMECLAIMS,
    PERSISTENTVOLUMES,
    PODDISRUPTIONBUDGETS,
    PODS,
    REPLICASETS,
    REPLICATIONCONTROLLERS,
    SERVICES,
    STATEFULSETS,
    STORAGECLASSES,
    Resource,
)
from kubeling.scheduler.api_effects import ApiSideEffects
from kubeling.scheduler.framework.objects import ObjectKind
from kubeling.scheduler.framework.profile import DEFAULT_SCHEDULER_NAME, default_profile
from kubeling.scheduler.scheduler import Scheduler

__all__ = [
    "OBJECT_RESOURCES",
    "USER_AGENT",
    "LeadershipLostError",
    "SchedulerOptions",
    "connect_informers",
    "run_scheduler",
]

#: The default field manager is what precedes the first "/": ``kube-scheduler``.
USER_AGENT: Final = "kube-scheduler/v1.32.4+kubeling"

#: Bindings, status patches, deletions and lists in flight at once: more would not go
#: faster (the API server answers them in turn), only open more connections.
MAX_CONCURRENT_REQUESTS: Final = 128

#: The resource the core reads for each kind it is fed with ``on_object_*``.
OBJECT_RESOURCES: Final[dict[ObjectKind, Resource]] = {
    ObjectKind.PERSISTENT_VOLUME_CLAIMS: PERSISTENTVOLUMECLAIMS,
    ObjectKind.PERSISTENT_VOLUMES: PERSISTENTVOLUMES,
    ObjectKind.STORAGE_CLASSES: STORAGECLASSES,
    ObjectKind.POD_DISRUPTION_BUDGETS: PODDISRUPTIONBUDGETS,
    ObjectKind.SERVICES: SERVICES,
    ObjectKind.REPLICA_SETS: REPLICASETS,
    ObjectKind.STATEFUL_SETS: STATEFULSETS,
    ObjectKind.REPLICATION_CONTROLLERS: REPLICATIONCONTROLLERS,
    ObjectKind.NAMESPACES: NAMESPACES,
}


@dataclass(frozen=True, slots=True)
class SchedulerOptions:
    """What ``kubeling scheduler`` (and ``kubeling up``) configure."""

    leader_elect: bool = True
    lease_namespace: str = "kube-system"
    lease_name: str = "kube-scheduler"
    scheduler_name: str = DEFAULT_SCHEDULER_NAME
    #: The profile's ``percentageOfNodesToScore``; None is upstream's adaptive default.
    percentage_of_nodes_to_score: int | None = None


class LeadershipLostError(RuntimeError):
    """The Lease was lost: the scheduler stopped (kube-scheduler exits with status 1)."""


def _unwrap(obj: Any) -> Any:
    """The last known object behind a tombstone (a deletion the watch missed)."""
    return obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj


def _deleted(handler: Callable[[Any], None]) -> Callable[[Any], None]:
    return lambda obj: handler(_unwrap(obj))


def connect_informers(informers: SharedInformerFactory, scheduler: Scheduler) -> None:
    """Feed every change of every kind the core reads into ``scheduler``."""
    informers.informer_for(PODS).add_event_handler(
        on_add=scheduler.on_pod_add,
        on_update=scheduler.on_pod_update,
        on_delete=_deleted(scheduler.on_pod_delete),
    )
    informers.informer_for(NODES).add_event_handler(
        on_add=scheduler.on_node_add,
        on_update=scheduler.on_node_update,
        on_delete=_deleted(scheduler.on_node_delete),
    )
    for kind, resource in OBJECT_RESOURCES.items():
        informers.informer_for(resource).add_event_handler(
            on_add=partial(scheduler.on_object_add, kind),
            on_update=partial(scheduler.on_object_update, kind),
            on_delete=_deleted(partial(scheduler.on_object_delete, kind)),
        )


async def run_scheduler(
    config: ClientConfig,
    options: SchedulerOptions = SchedulerOptions(),
    *,
    identity: str | None = None,
) -> None:
    """Schedule until cancelled; raises :class:`LeadershipLostError` when the Lease is lost."""
    async with contextlib.AsyncExitStack() as stack:
        # Three clients, as kube-scheduler makes: bindings and the informers' lists share the
        # bounded one; Events and the Lease have their own, so that neither waits behind a
        # flood of bindings (a Lease not renewed in 10 s is leadership lost).
        client = await stack.enter_async_context(
            ApiClient(
                config.with_user_agent(USER_AGENT),
                max_concurrent_requests=MAX_CONCURRENT_REQUESTS,
            )
        )
        event_client = await stack.enter_async_context(
            ApiClient(config.with_user_agent(USER_AGENT))
        )
        election_client = await stack.enter_async_context(
            ApiClient(config.with_user_agent(f"{USER_AGENT}/leader-election"))
        )
        # Upstream strips managedFields too: the core never reads them, and they would
        # only be parsed, kept and walked by the garbage collector.
        informers = SharedInformerFactory(client, transform=strip_managed_fields)
        events = EventBroadcaster(event_client.resource(EVENTS))
        effects = ApiSideEffects(client, events.new_recorder(options.scheduler_name))
        scheduler = Scheduler(
            effects=effects.side_effects(),
            profile=default_profile(
                options.scheduler_name,
                percentage_of_nodes_to_score=options.percentage_of_nodes_to_score,
            ),
        )
        connect_informers(informers, scheduler)
        lost = False
        async with asyncio.TaskGroup() as group:
            broadcaster = group.create_task(events.run(), name="event-broadcaster")
            informers.start(group)
            try:
                await informers.wait_for_cache_sync()
                if not options.leader_elect:
                    await scheduler.run()
                    return
                elector = LeaderElector(
                    election_client.resource(LEASES),
                    LeaderElectionConfig(
                        namespace=options.lease_namespace,
                        name=options.lease_name,
                        identity=identity or f"{socket.gethostname()}_{uuid.uuid4()}",
                    ),
                    on_started_leading=scheduler.run,
                    recorder=events.new_recorder("kube-scheduler"),
                )
                await elector.run()
                lost = True
            finally:
                informers.shutdown()
                broadcaster.cancel()
        if lost:  # raised out here: inside the task group it would come out as a group
            raise LeadershipLostError("leader election lost")
