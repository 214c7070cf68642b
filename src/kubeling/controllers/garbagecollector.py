"""The garbage collector: dependents follow their owners, as ``ownerReferences`` say.

As Kubernetes' garbage collector, it watches every resource that can be
listed, watched and deleted (events excepted), keeps a graph of owners and
dependents by uid, and acts on three situations:

- a dependent whose owners are all gone is deleted (background cascading:
  ``kubectl delete deployment web`` removes its ReplicaSets, then their pods);
- an owner deleted with ``propagationPolicy: Foreground`` carries the
  ``foregroundDeletion`` finalizer: its dependents are deleted first (those
  with ``blockOwnerDeletion`` in the foreground too, so the cascade waits at
  every level), then the finalizer is removed and the owner goes;
- an owner deleted with ``propagationPolicy: Orphan`` carries the ``orphan``
  finalizer: its references are removed from its dependents, then the
  finalizer, and the dependents live on.

An owner missing from the graph is looked up in the API before a dependent
is judged orphaned (the graph may not have seen it yet), and a reference
whose uid does not match the live owner counts as gone. New resources
(CRDs) are discovered every 30 seconds.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from kubeling.api import errors
from kubeling.client import DeletedFinalStateUnknown, PatchType
from kubeling.client.discovery import APIResource, server_preferred_resources
from kubeling.client.resources import Resource
from kubeling.controllers.base import Controller, ControllerContext

__all__ = ["GarbageCollector"]

log = logging.getLogger(__name__)

FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"
REDISCOVERY_PERIOD = 30.0
#: Resources the collector never watches (as Kubernetes' ignoredResources).
IGNORED = frozenset({("", "events"), ("events.k8s.io", "events")})

Obj = dict[str, Any]


@dataclass(slots=True)
class _Node:
    """One object in the graph."""

    resource: Resource
    namespace: str
    name: str
    uid: str
    owners: list[Mapping[str, Any]]
    finalizers: tuple[str, ...]
    deleting: bool
    dependents: set[str] = field(default_factory=set)


class GarbageCollector(Controller):
    name: ClassVar[str] = "garbage-collector"
    component: ClassVar[str] = "garbage-collector-controller"
    workers: ClassVar[int] = 20
    max_retries: ClassVar[int | None] = None

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self._nodes: dict[str, _Node] = {}
        #: dependents seen before their owner: owner uid -> dependent uids
        self._waiting_owner: dict[str, set[str]] = {}
        self._by_kind: dict[tuple[str, str], Resource] = {}
        self._monitored: set[Resource] = set()

    # -- watching everything ---------------------------------------------------

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            await self._discover(group)
            group.create_task(super().run(), name="garbage-collector-workers")
            while True:
                await asyncio.sleep(REDISCOVERY_PERIOD)
                try:
                    await self._discover(group)
                except (errors.StatusError, OSError) as err:
                    log.info("garbage collector: discovery failed, retrying: %s", err)

    async def _discover(self, group: asyncio.TaskGroup) -> None:
        found = await server_preferred_resources(self.client)
        for item in found.resources:
            resource = item.resource
            self._by_kind[(resource.api_version, resource.kind)] = resource
            if self._monitorable(item) and resource not in self._monitored:
                self._monitor(resource)
        self.informers.start(group)
        await self.informers.wait_for_cache_sync()

    @staticmethod
    def _monitorable(item: APIResource) -> bool:
        resource = item.resource
        if (resource.group, resource.plural) in IGNORED:
            return False
        return {"list", "watch", "delete", "get"} <= item.verbs

    def _monitor(self, resource: Resource) -> None:
        self._monitored.add(resource)
        informer = self.informers.informer_for(resource)

        def upsert(obj: Mapping[str, Any]) -> None:
            self._observe(resource, obj)

        informer.add_event_handler(
            on_add=upsert,
            on_update=lambda _old, new: upsert(new),
            on_delete=self._forget,
        )

    def _observe(self, resource: Resource, obj: Mapping[str, Any]) -> None:
        meta = obj.get("metadata") or {}
        uid = str(meta.get("uid") or "")
        if not uid:
            return
        old = self._nodes.get(uid)
        node = _Node(
            resource=resource,
            namespace=str(meta.get("namespace") or ""),
            name=str(meta.get("name") or ""),
            uid=uid,
            owners=[r for r in meta.get("ownerReferences") or () if isinstance(r, Mapping)],
            finalizers=tuple(meta.get("finalizers") or ()),
            deleting=bool(meta.get("deletionTimestamp")),
            dependents=old.dependents if old is not None else set(),
        )
        node.dependents |= self._waiting_owner.pop(uid, set())
        if old is not None:
            for owner_uid in {str(r.get("uid")) for r in old.owners} - _owner_uids(node):
                self._unlink(owner_uid, uid)
        for owner_uid in _owner_uids(node):
            owner = self._nodes.get(owner_uid)
            if owner is not None:
                owner.dependents.add(uid)
            else:
                self._waiting_owner.setdefault(owner_uid, set()).add(uid)
        self._nodes[uid] = node
        if not self._worth_a_look(old, node):
            return
        if node.owners or (node.deleting and {FOREGROUND, ORPHAN} & set(node.finalizers)):
            self.queue.add(uid)

    def _worth_a_look(self, old: _Node | None, node: _Node) -> bool:
        """Whether an observed object may need deciding on: new, its references, finalizers
        or deletion changed, or an owner the graph has not seen. Not a status update of a
        pod whose owners are all known (nor a Lease renewal): as upstream's graph builder,
        which queues a node when its references change, not at every event."""
        if old is None:
            return True
        if (old.owners, old.finalizers, old.deleting) != (
            node.owners,
            node.finalizers,
            node.deleting,
        ):
            return True
        # an owner the graph lacks was only looked up in the API: look again
        return any(owner not in self._nodes for owner in _owner_uids(node))

    def _forget(self, obj: Mapping[str, Any] | DeletedFinalStateUnknown) -> None:
        if isinstance(obj, DeletedFinalStateUnknown):
            obj = obj.obj
        uid = str((obj.get("metadata") or {}).get("uid") or "")
        node = self._nodes.pop(uid, None)
        if node is None:
            return
        for owner_uid in _owner_uids(node):
            self._unlink(owner_uid, uid)
            owner = self._nodes.get(owner_uid)
            if owner is not None and owner.deleting:
                self.queue.add(owner_uid)  # it may be waiting for this dependent
        for dependent in node.dependents:
            self.queue.add(dependent)  # its owner is gone
            self._waiting_owner.setdefault(uid, set()).add(dependent)

    def _unlink(self, owner_uid: str, dependent_uid: str) -> None:
        owner = self._nodes.get(owner_uid)
        if owner is not None:
            owner.dependents.discard(dependent_uid)
        waiting = self._waiting_owner.get(owner_uid)
        if waiting is not None:
            waiting.discard(dependent_uid)
            if not waiting:
                del self._waiting_owner[owner_uid]

    # -- deciding ------------------------------------------------------------

    async def sync(self, key: str) -> None:
        node = self._nodes.get(key)
        if node is None:
            return
        if node.deleting and ORPHAN in node.finalizers:
            await self._orphan_dependents(node)
        elif node.deleting and FOREGROUND in node.finalizers:
            await self._delete_dependents_first(node)
        elif node.owners and not node.deleting:
            await self._check_owners(node)

    async def _check_owners(self, node: _Node) -> None:
        """Delete ``node`` when none of its owners is left; drop references to gone ones."""
        by_state: dict[str, list[Mapping[str, Any]]] = {"solid": [], "dangling": [], "waiting": []}
        for ref in node.owners:
            by_state[await self._owner_state(node, ref)].append(ref)
        solid, dangling, waiting = by_state["solid"], by_state["dangling"], by_state["waiting"]
        if solid:
            gone = [*dangling, *waiting]
            if gone:
                await self._remove_references(node, {str(r.get("uid")) for r in gone})
            return
        blocking = any(r.get("blockOwnerDeletion") for r in waiting)
        policy = "Foreground" if blocking else "Background"
        if node.finalizers and {ORPHAN, FOREGROUND} & set(node.finalizers):
            policy = "Orphan" if ORPHAN in node.finalizers else "Foreground"
        await self._delete(node, policy)

    async def _owner_state(self, node: _Node, ref: Mapping[str, Any]) -> str:
        uid = str(ref.get("uid") or "")
        owner = self._nodes.get(uid)
        if owner is None:
            if not await self._owner_exists(node, ref):
                return "dangling"
            return "solid"
        if owner.deleting and FOREGROUND in owner.finalizers:
            return "waiting"
        return "solid"

    async def _owner_exists(self, node: _Node, ref: Mapping[str, Any]) -> bool:
        """Ask the API: the graph may simply not have seen the owner yet."""
        resource = self._by_kind.get((str(ref.get("apiVersion")), str(ref.get("kind"))))
        if resource is None:
            # an unknown kind: Kubernetes leaves the reference (and the dependent) alone
            return True
        namespace = node.namespace if resource.namespaced else ""
        if resource.namespaced and not namespace:
            return False  # a cluster-scoped object cannot be owned by a namespaced one
        try:
            live = await self.client.resource(resource).get(
                str(ref.get("name", "")), namespace=namespace
            )
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return False
            raise
        return str((live.get("metadata") or {}).get("uid")) == str(ref.get("uid"))

    async def _delete_dependents_first(self, node: _Node) -> None:
        """Foreground deletion: dependents go first, then the finalizer."""
        blocking = False
        for uid in list(node.dependents):
            dependent = self._nodes.get(uid)
            if dependent is None:
                continue
            ref = next((r for r in dependent.owners if r.get("uid") == node.uid), {})
            if ref.get("blockOwnerDeletion"):
                blocking = True
            if not dependent.deleting:
                policy = "Foreground" if ref.get("blockOwnerDeletion") else "Background"
                await self._delete(dependent, policy)
        if not blocking:
            await self._remove_finalizer(node, FOREGROUND)

    async def _orphan_dependents(self, node: _Node) -> None:
        """Orphan deletion: the dependents lose their reference, then the owner its finalizer."""
        for uid in list(node.dependents):
            dependent = self._nodes.get(uid)
            if dependent is not None:
                await self._remove_references(dependent, {node.uid})
        await self._remove_finalizer(node, ORPHAN)

    # -- writing -------------------------------------------------------------

    async def _delete(self, node: _Node, policy: str) -> None:
        log.info(
            "garbage collector: deleting %s %s/%s (%s)",
            node.resource.kind,
            node.namespace,
            node.name,
            policy,
        )
        try:
            await self.client.resource(node.resource).delete(
                node.name,
                namespace=node.namespace,
                propagation_policy=policy,
                precondition_uid=node.uid,
            )
        except errors.StatusError as err:
            if not (errors.is_not_found(err) or errors.is_conflict(err)):
                raise

    async def _remove_references(self, node: _Node, owner_uids: set[str]) -> None:
        patch = {
            "metadata": {
                "ownerReferences": [{"$patch": "delete", "uid": uid} for uid in sorted(owner_uids)],
                "uid": node.uid,
            }
        }
        await self._patch(node, patch, PatchType.STRATEGIC)

    async def _remove_finalizer(self, node: _Node, finalizer: str) -> None:
        patch = {
            "metadata": {
                "$deleteFromPrimitiveList/finalizers": [finalizer],
                "uid": node.uid,
            }
        }
        await self._patch(node, patch, PatchType.STRATEGIC)

    async def _patch(self, node: _Node, patch: Obj, patch_type: PatchType) -> None:
        try:
            await self.client.resource(node.resource).patch(
                node.name,
                json.dumps(patch).encode(),
                namespace=node.namespace,
                patch_type=patch_type,
            )
        except errors.StatusError as err:
            if not (errors.is_not_found(err) or err.code in (409, 422)):
                raise


def _owner_uids(node: _Node) -> set[str]:
    return {str(r.get("uid")) for r in node.owners if r.get("uid")}
