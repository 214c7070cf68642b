"""The ResourceQuota controller (``resourcequota``): ``status.hard`` and ``status.used``.

Kubernetes' ``pkg/controller/resourcequota``. For every quota, ``status.hard``
is ``spec.hard`` and ``status.used`` what the namespace uses of each hard
resource (:mod:`kubeling.api.quota.usage`), written only when it changed.

What it watches, as the quota monitor does:

- ResourceQuotas: a new quota, a quota whose ``spec.hard`` changed, a deleted
  one (a status write of its own does not bring it back);
- every namespaced resource that can be created, listed, watched and deleted
  (Events excepted, in both their API groups), found by discovery and again
  every 30 s so that custom resources can be counted too
  (``count/widgets.example.com``). A deleted
  object, a pod that finished, a service whose type changed (to or from
  NodePort/LoadBalancer) and a claim whose allocated size changed queue the
  quotas of its namespace that count its resource. So does a new object: the
  ResourceQuota admission plugin charged it as it was created, and the
  recalculation settles what admission charged for writes that then failed;
- a full recalculation of every quota every 5 minutes
  (``--resource-quota-sync-period``).

Usage is computed only from resources whose informer has synced, so a quota
never shows a partial count.
"""

from __future__ import annotations

import asyncio
import copy
import datetime
import logging
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Final

from kubeling.api import errors
from kubeling.api.groupversion import GroupResource
from kubeling.api.quota.resources import parse_resource_list, quantities_equal
from kubeling.api.quota.usage import (
    Evaluator,
    allocated_storage,
    calculate_usage,
    evaluator_for,
    service_quota_type,
)
from kubeling.client import DeletedFinalStateUnknown, SharedInformer
from kubeling.client.discovery import APIResource, server_preferred_resources
from kubeling.client.resources import RESOURCEQUOTAS, Resource
from kubeling.controllers.base import Controller, ControllerContext

__all__ = ["FULL_RESYNC_PERIOD", "ResourceQuotaController"]

log = logging.getLogger(__name__)

Obj = dict[str, Any]

#: ``--resource-quota-sync-period``: every quota is recalculated this often.
FULL_RESYNC_PERIOD: Final = 300.0
#: How often new resources (CRDs) are looked for.
DISCOVERY_PERIOD: Final = 30.0
#: Resources never counted: upstream ignores core Events; their events.k8s.io
#: view is the same objects, and watching every Event twice is not worth it.
IGNORED: Final = frozenset({GroupResource("", "events"), GroupResource("events.k8s.io", "events")})


def _quotable(item: APIResource) -> bool:
    resource = item.resource
    return (
        resource.namespaced
        and resource.group_resource not in IGNORED
        and {"create", "list", "watch", "delete"} <= item.verbs
    )


def _replenishes(group_resource: GroupResource, old: Obj, new: Obj) -> bool:
    """Whether an update can change usage (upstream's update filter)."""
    if group_resource == GroupResource("", "pods"):
        phase = (new.get("status") or {}).get("phase")
        old_phase = (old.get("status") or {}).get("phase")
        finished = ("Succeeded", "Failed")
        return phase in finished and old_phase not in finished
    if group_resource == GroupResource("", "services"):
        return service_quota_type(old) != service_quota_type(new)
    if group_resource == GroupResource("", "persistentvolumeclaims"):
        return allocated_storage(old) != allocated_storage(new)
    return False


class ResourceQuotaController(Controller):
    name: ClassVar[str] = "resourcequota"
    component: ClassVar[str] = "resourcequota-controller"

    def __init__(
        self,
        ctx: ControllerContext,
        *,
        full_resync_period: float = FULL_RESYNC_PERIOD,
        discovery_period: float = DISCOVERY_PERIOD,
        now: Callable[[], datetime.datetime] | None = None,
    ) -> None:
        super().__init__(ctx)
        self.full_resync_period = full_resync_period
        self.discovery_period = discovery_period
        self._now = now
        self.quotas_api = self.client.resource(RESOURCEQUOTAS)
        self._quotas = self.informers.informer_for(RESOURCEQUOTAS)
        self._quotas.add_event_handler(
            on_add=self.enqueue, on_update=self._quota_updated, on_delete=self.enqueue
        )
        #: Resources watched for usage, and those whose caches are complete.
        self._monitored: dict[GroupResource, SharedInformer] = {}
        self._evaluators: dict[GroupResource, Evaluator] = {}

    def _quota_updated(self, old: Obj, new: Obj) -> None:
        # Status writes (ours) do not matter; a new intent does.
        old_hard = parse_resource_list((old.get("spec") or {}).get("hard"))
        new_hard = parse_resource_list((new.get("spec") or {}).get("hard"))
        if not quantities_equal(old_hard, new_hard):
            self.enqueue(new)

    # -- monitoring every quotable resource ------------------------------------------

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            # Usage is only computed once every quotable resource is watched.
            delay = 1.0
            while not await self._try_discover(group):
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.discovery_period)
            group.create_task(super().run(), name=f"{self.name}-workers")
            group.create_task(self._resync_forever(), name=f"{self.name}-resync")
            while True:
                await asyncio.sleep(self.discovery_period)
                await self._try_discover(group)

    async def _try_discover(self, group: asyncio.TaskGroup) -> bool:
        try:
            await self._discover(group)
        except (errors.StatusError, OSError) as err:
            log.info("resource quota: discovery failed, retrying: %s", err)
            return False
        return True

    async def _discover(self, group: asyncio.TaskGroup) -> None:
        found = {
            item.resource.group_resource: item.resource
            for item in (await server_preferred_resources(self.client)).resources
            if _quotable(item)
        }
        new = [resource for gr, resource in found.items() if gr not in self._monitored]
        for resource in new:
            self._monitor(resource)
        self.informers.start(group)
        await self.informers.wait_for_cache_sync()
        for resource in new:
            self._evaluators[resource.group_resource] = evaluator_for(
                resource.group_resource, now=self._now
            )
        for gone in set(self._evaluators) - set(found):
            del self._evaluators[gone]
        if new:
            self._enqueue_all()

    def _monitor(self, resource: Resource) -> None:
        group_resource = resource.group_resource
        informer = self.informers.informer_for(resource)
        self._monitored[group_resource] = informer

        def changed(obj: Obj | DeletedFinalStateUnknown) -> None:
            found = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
            if isinstance(found, Mapping):
                self._replenish(group_resource, (found.get("metadata") or {}).get("namespace"))

        def updated(old: Obj, new: Obj) -> None:
            if _replenishes(group_resource, old, new):
                changed(new)

        # As upstream's quota monitor: only what can free usage (deletes, pods finishing,
        # service type and claim size changes). A create is charged by admission; recounting
        # on it from a cache that lags the store would take back charges just made.
        informer.add_event_handler(on_update=updated, on_delete=changed)

    def _replenish(self, group_resource: GroupResource, namespace: object) -> None:
        """Queue the namespace's quotas that count ``group_resource``."""
        evaluator = self._evaluators.get(group_resource)
        if evaluator is None or not isinstance(namespace, str) or not namespace:
            return
        for quota in self._quotas.lister.list(namespace=namespace):
            names = set((quota.get("spec") or {}).get("hard") or {})
            names |= set((quota.get("status") or {}).get("hard") or {})
            if evaluator.matching_resources(names):
                self.enqueue(quota)

    async def _resync_forever(self) -> None:
        while True:
            await asyncio.sleep(self.full_resync_period)
            self._enqueue_all()

    def _enqueue_all(self) -> None:
        for quota in self._quotas.lister.list():
            self.enqueue(quota)

    # -- sync ------------------------------------------------------------------------

    async def sync(self, key: str) -> None:
        namespace, _, name = key.partition("/")
        try:
            quota = self._quotas.lister.get(name, namespace=namespace)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return
            raise
        spec, status = quota.get("spec") or {}, quota.get("status") or {}
        hard = parse_resource_list(spec.get("hard"))
        old_hard = parse_resource_list(status.get("hard"))
        old_used = parse_resource_list(status.get("used"))
        # A resource nobody counts keeps the usage last reported for it.
        used = dict(old_used)
        used.update(
            calculate_usage(
                hard_names=hard,
                scopes=list(spec.get("scopes") or ()),
                scope_selector=spec.get("scopeSelector"),
                evaluators=self._evaluators.values(),
                objects_of=lambda gr: self._monitored[gr].lister.list(namespace=namespace),
            )
        )
        used = {name: amount for name, amount in used.items() if name in hard}
        dirty = (
            "hard" not in status
            or "used" not in status
            or not quantities_equal(hard, old_hard)
            or not quantities_equal(used, old_used)
        )
        if not dirty:
            return
        updated = copy.deepcopy(quota)
        updated["status"] = {
            "hard": {name: str(amount) for name, amount in hard.items()},
            "used": {name: str(amount) for name, amount in used.items()},
        }
        try:
            await self.quotas_api.update_status(updated)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return
            raise
