"""The finalizing controller: a deleted CRD takes its custom resources with it.

Kubernetes' ``CRDFinalizer``. Deleting a CRD only marks it: it gets a
``deletionTimestamp``, the ``customresourcecleanup.apiextensions.k8s.io``
finalizer and ``Terminating=True`` (``InstanceDeletionPending``). This
controller then, for every such CRD:

1. sets ``Terminating=True, InstanceDeletionInProgress``;
2. if the CRD was ever established, deletes every object of it straight in
   storage (so the objects' own finalizers are honoured: an object with
   finalizers only gets its ``deletionTimestamp`` and stays until whoever owns
   them removes them), then waits until none is left, checking every second
   (Kubernetes polls every 5 s). After a minute of waiting it records
   ``InstanceDeletionCheck`` ("could not confirm zero CustomResources
   remaining: timed out waiting for the condition") and starts over, as
   Kubernetes does when its poll times out; the CRD stays until the last
   object is gone;
3. sets ``Terminating=False`` (``InstanceDeletionCompleted``, or
   ``NeverEstablished``) and removes the finalizer, which deletes the CRD.

Meanwhile the CRD is still served (``registrar``): its objects can be read,
patched and deleted, and creating new ones is a 405. Everything here is read
back from the store, so a CRD left terminating by a stopped server is
finished after a restart.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any, Final

from kubeling.api import errors
from kubeling.apiserver.customresources import conditions
from kubeling.apiserver.customresources.controller import CrdController, Obj
from kubeling.apiserver.customresources.registrar import storage_prefix, storage_resource
from kubeling.apiserver.rest.options import DeleteOptions, ListOptions
from kubeling.apiserver.rest.resource_store import ResourceStore
from kubeling.storage import Store

__all__ = ["FinalizingController"]

POLL_SECONDS: Final = 1.0
#: How long one attempt waits for the objects to go (Kubernetes: a minute).
ATTEMPT_SECONDS: Final = 60.0


def _terminating(reason: str, message: str, *, done: bool = False) -> Obj:
    return conditions.condition(
        conditions.TERMINATING, "False" if done else "True", reason, message
    )


class FinalizingController(CrdController):
    """Deletes the objects of deleted CRDs, then lets the CRDs go."""

    name = "crd-finalizer"

    def __init__(
        self,
        crds: ResourceStore,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        instance_store: Callable[[str, str], Store] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(crds, **kwargs)
        self._monotonic = monotonic
        #: The store of a custom resource's objects, by (group, plural): the registry's,
        #: which applies encryption at rest; without one, the CRDs' own store.
        self._instance_store = instance_store or (lambda group, plural: crds.store)
        # CRD name -> (its uid, when the current attempt began waiting for its objects)
        self._waiting: dict[str, tuple[str, float]] = {}

    async def sync(self, key: str) -> None:
        crd = await self.get(key)
        meta = (crd or {}).get("metadata") or {}
        if (
            crd is None
            or not meta.get("deletionTimestamp")
            or conditions.CLEANUP_FINALIZER not in (meta.get("finalizers") or [])
        ):
            self._waiting.pop(key, None)
            return
        # This cleanup may take a while: say so first.
        crd = await self._set_terminating(
            crd,
            _terminating("InstanceDeletionInProgress", "CustomResource deletion is in progress"),
        )
        if crd is None:
            return
        if conditions.is_true(crd, conditions.ESTABLISHED):
            outcome = await self._delete_instances(key, crd)
            if outcome is None:
                return  # still waiting: enqueued again
        else:
            outcome = _terminating("NeverEstablished", "resource was never established", done=True)
        released = copy.deepcopy(crd)
        conditions.set_condition(released, outcome, now=self.now())
        released["metadata"]["finalizers"] = [
            f
            for f in released["metadata"].get("finalizers") or []
            if f != conditions.CLEANUP_FINALIZER
        ]
        await self.write(released)

    async def _set_terminating(self, crd: Obj, condition: Obj) -> Obj | None:
        updated = copy.deepcopy(crd)
        conditions.set_condition(updated, condition, now=self.now())
        if updated == crd:
            return crd
        return await self.write(updated)

    async def _delete_instances(self, key: str, crd: Obj) -> Obj | None:
        """Delete every object of ``crd``: the final Terminating condition, or
        None while objects remain (the key is then enqueued again)."""
        uid = str(crd["metadata"].get("uid", ""))
        resource = storage_resource(crd)
        if resource is None:  # validation keeps this from happening
            return _terminating("InstanceDeletionCompleted", "removed all instances", done=True)
        instances = ResourceStore(
            resource,
            self._instance_store(resource.storage_gvk.group, resource.plural),
            storage_prefix=storage_prefix(crd),
        )
        try:
            listed = (await instances.list("", ListOptions()))["items"]
        except errors.StatusError as err:
            await self._fail(crd, "InstanceDeletionFailed", f"could not list instances: {err}")
            raise
        failures: list[str] = []
        for item in listed:
            item_meta = item.get("metadata") or {}
            if item_meta.get("deletionTimestamp"):
                continue  # already deleted, held by its finalizers
            try:
                await instances.delete(
                    str(item_meta.get("namespace", "")), str(item_meta["name"]), DeleteOptions()
                )
            except errors.StatusError as err:
                if err.code != 404:
                    failures.append(str(err))
        if failures:
            message = failures[0] if len(failures) == 1 else "[" + ", ".join(failures) + "]"
            await self._fail(
                crd, "InstanceDeletionFailed", f"could not issue all deletes: {message}"
            )
            raise RuntimeError(f"deleting the objects of {key}: {message}")
        remaining = (await instances.list("", ListOptions()))["items"]
        if not remaining:
            self._waiting.pop(key, None)
            return _terminating("InstanceDeletionCompleted", "removed all instances", done=True)
        waiting_uid, started = self._waiting.get(key, ("", 0.0))
        if waiting_uid != uid:
            started = self._monotonic()
            self._waiting[key] = (uid, started)
        if self._monotonic() - started >= ATTEMPT_SECONDS:
            # As Kubernetes does when its minute of polling runs out.
            self._waiting.pop(key, None)
            await self._fail(
                crd,
                "InstanceDeletionCheck",
                "could not confirm zero CustomResources remaining: timed out waiting for the "
                "condition",
            )
        self.enqueue_after(key, POLL_SECONDS)
        return None

    async def _fail(self, crd: Obj, reason: str, message: str) -> None:
        await self._set_terminating(crd, _terminating(reason, message))
