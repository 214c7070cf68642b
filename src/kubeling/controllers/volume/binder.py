"""The PersistentVolume controller (``persistentvolume-binder``): claims meet volumes.

Kubernetes' ``pkg/controller/volume/persistentvolume``, branch for branch. A
binding is two pointers, ``pv.spec.claimRef`` and ``pvc.spec.volumeName``,
written in four steps (volume, volume status, claim, claim status) with no
transaction; every sync looks at both ends and finishes or undoes what it
finds, so a crash or a conflict between any two steps heals on the next sync.

Claims (keys ``namespace/name``):

- *Pending, no volume named*: the best match (:mod:`.binding`) is bound. With
  none, a claim of a ``WaitForFirstConsumer`` class waits for the scheduler's
  ``volume.kubernetes.io/selected-node`` (``WaitForFirstConsumer`` or
  ``WaitForPodScheduled`` events); a claim of another class is handed to its
  provisioner; a claim naming no class gets the default class if one exists
  now (retroactive default StorageClass), else a ``FailedBinding`` event.
- *Pending, naming a volume*: bound to it if it satisfies the claim
  (``VolumeMismatch`` otherwise) and is not someone else's.
- *Bound* (``pv.kubernetes.io/bind-completed``): kept bound; ``Lost`` when its
  volume is gone or claims another claim.

Volumes (keys ``name``): ``Available`` when unclaimed or only pre-bound;
``Bound`` when the claim points back; ``Released`` when the claim is gone,
then the reclaim policy runs: ``Retain`` keeps it, ``Delete`` deletes it
(there are no in-tree volume plugins here, so a volume another provisioner
made is left to it, and any other volume is ``Failed``), ``Recycle`` (deprecated)
is ``Failed``: no recycler plugin exists.

Provisioning is always external: the claim gets the
``volume.kubernetes.io/storage-provisioner`` annotations and an
``ExternalProvisioning`` event, and the provisioner (for ``local-path``, the
``local-path-provisioner`` controller) creates a volume pre-bound to it, which
the next claim sync binds. A provisioner named ``kubernetes.io/...`` is an
in-tree plugin, and none exists: ``ProvisioningFailed``.

As upstream, the controller keeps the newest version it has seen of every
claim and volume, its own writes included, so that a sync running before the
informers caught up does not take its own writes for someone else's undoing;
one worker syncs, and everything is synced again every 15 s
(``--pvclaimbinder-sync-period``).
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Mapping
from typing import Any, ClassVar, Final

from kubeling.api import errors
from kubeling.api.storage.classes import claim_class, claim_has_class, default_class
from kubeling.client import NORMAL, WARNING, DeletedFinalStateUnknown, object_key
from kubeling.client.resources import (
    PERSISTENTVOLUMECLAIMS,
    PERSISTENTVOLUMES,
    PODS,
    STORAGECLASSES,
)
from kubeling.controllers.base import Controller, ControllerContext
from kubeling.controllers.volume.binding import (
    ANN_BETA_STORAGE_PROVISIONER,
    ANN_BIND_COMPLETED,
    ANN_BOUND_BY_CONTROLLER,
    ANN_DYNAMICALLY_PROVISIONED,
    ANN_SELECTED_NODE,
    ANN_STORAGE_PROVISIONER,
    bind_volume_to_claim,
    check_volume_satisfies_claim,
    claim_key,
    claim_ref_key,
    find_best_match,
    is_volume_bound_to_claim,
    volume_mode_mismatch,
)

__all__ = ["PersistentVolumeBinder", "pod_claim_keys"]

log = logging.getLogger(__name__)

Obj = dict[str, Any]

#: ``--pvclaimbinder-sync-period``: how often every claim and volume is synced again.
SYNC_PERIOD: Final = 15.0
#: Pods by the claims they use (``namespace/claim``).
CLAIMS_INDEX: Final = "persistentvolume-binder-claims"


def pod_claim_keys(pod: Obj) -> list[str]:
    """The claims a pod uses: its PVC volumes and its generic ephemeral volumes."""
    meta = pod.get("metadata") or {}
    namespace, name = meta.get("namespace", ""), meta.get("name", "")
    keys = []
    for volume in (pod.get("spec") or {}).get("volumes") or ():
        claim = volume.get("persistentVolumeClaim")
        if isinstance(claim, Mapping) and claim.get("claimName"):
            keys.append(f"{namespace}/{claim['claimName']}")
        elif volume.get("ephemeral") is not None:
            keys.append(f"{namespace}/{name}-{volume.get('name', '')}")
    return keys


def _is_pod_terminated(pod: Mapping[str, Any]) -> bool:
    """``util.IsPodTerminated``: finished, or deleted with nothing left running."""
    status = pod.get("status") or {}
    if status.get("phase") in ("Failed", "Succeeded"):
        return True
    if not (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    for field in ("initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses"):
        for container in status.get(field) or ():
            state = container.get("state") or {}
            if "terminated" not in state and "waiting" not in state:
                return False
    return True


def _annotations(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return (obj.get("metadata") or {}).get("annotations") or {}


def _phase(obj: Mapping[str, Any]) -> str:
    return str((obj.get("status") or {}).get("phase") or "")


def _resource_version(obj: Mapping[str, Any]) -> int:
    try:
        return int((obj.get("metadata") or {}).get("resourceVersion") or 0)
    except ValueError:
        return 0


class _Newest:
    """The newest version seen of each object, from the informer or our own writes."""

    def __init__(self) -> None:
        self._objects: dict[str, Obj] = {}

    def store(self, obj: Obj) -> None:
        key = object_key(obj)
        old = self._objects.get(key)
        if old is None or _resource_version(obj) >= _resource_version(old):
            self._objects[key] = obj

    def delete(self, key: str) -> None:
        self._objects.pop(key, None)

    def get(self, key: str) -> Obj | None:
        return self._objects.get(key)

    def values(self) -> list[Obj]:
        return list(self._objects.values())

    def keys(self) -> list[str]:
        return list(self._objects)


class PersistentVolumeBinder(Controller):
    name: ClassVar[str] = "persistentvolume-binder"
    component: ClassVar[str] = "persistentvolume-controller"
    # One worker, as upstream: two syncs at once could bind one volume twice.
    workers: ClassVar[int] = 1

    def __init__(self, ctx: ControllerContext, *, sync_period: float = SYNC_PERIOD) -> None:
        super().__init__(ctx)
        self.sync_period = sync_period
        self.volumes_api = self.client.resource(PERSISTENTVOLUMES)
        self.claims_api = self.client.resource(PERSISTENTVOLUMECLAIMS)
        self._volumes = _Newest()
        self._claims = _Newest()
        self._classes = self.informers.informer_for(STORAGECLASSES)
        self._pods = self.informers.informer_for(PODS, indexers={CLAIMS_INDEX: pod_claim_keys})
        self.informers.informer_for(PERSISTENTVOLUMES).add_event_handler(
            on_add=self._volume_seen,
            on_update=lambda _old, new: self._volume_seen(new),
            on_delete=self._volume_gone,
        )
        self.informers.informer_for(PERSISTENTVOLUMECLAIMS).add_event_handler(
            on_add=self._claim_seen,
            on_update=lambda _old, new: self._claim_seen(new),
            on_delete=self._claim_gone,
        )

    # -- handlers: remember the newest version, queue the key --------------------

    def _volume_seen(self, volume: Obj) -> None:
        self._volumes.store(volume)
        self.queue.add(object_key(volume))

    def _volume_gone(self, obj: Obj | DeletedFinalStateUnknown) -> None:
        volume = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        self._volumes.delete(object_key(obj))
        # The claim learns it lost its volume now rather than at the next resync.
        key = claim_ref_key(volume) if isinstance(volume, Mapping) else None
        if key is not None:
            self.queue.add(key)

    def _claim_seen(self, claim: Obj) -> None:
        self._claims.store(claim)
        self.queue.add(object_key(claim))

    def _claim_gone(self, obj: Obj | DeletedFinalStateUnknown) -> None:
        claim = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        self._claims.delete(object_key(obj))
        # Its volume is released now rather than at the next resync.
        volume_name = ((claim or {}).get("spec") or {}).get("volumeName")
        if volume_name:
            self.queue.add(str(volume_name))

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(super().run(), name=f"{self.name}-workers")
            while True:
                await asyncio.sleep(self.sync_period)
                for key in self._claims.keys() + self._volumes.keys():
                    self.queue.add(key)

    async def sync(self, key: str) -> None:
        # A claim's key has a namespace; a volume's name cannot contain "/".
        if "/" in key:
            claim = self._claims.get(key)
            if claim is not None:
                await self.sync_claim(claim)
        else:
            volume = self._volumes.get(key)
            if volume is not None:
                await self.sync_volume(volume)

    # -- claims ----------------------------------------------------------------------

    async def sync_claim(self, claim: Obj) -> None:
        if ANN_BIND_COMPLETED in _annotations(claim):
            await self._sync_bound_claim(claim)
        else:
            await self._sync_unbound_claim(claim)

    async def _sync_unbound_claim(self, claim: Obj) -> None:
        volume_name = (claim.get("spec") or {}).get("volumeName") or ""
        if not volume_name:
            await self._find_volume_for(claim)
            return
        volume = self._volumes.get(volume_name)
        if volume is None:
            # The user asked for a volume that does not exist (yet): wait.
            await self._update_claim_status(claim, "Pending", None)
            return
        if (volume.get("spec") or {}).get("claimRef") is None:
            problem = check_volume_satisfies_claim(volume, claim)
            if problem is not None:
                self.recorder.event(
                    claim,
                    WARNING,
                    "VolumeMismatch",
                    f'Cannot bind to requested volume "{volume_name}": {problem}',
                )
                await self._update_claim_status(claim, "Pending", None)
                return
            await self._bind(volume, claim)
            return
        if is_volume_bound_to_claim(volume, claim):
            await self._bind(volume, claim)  # finish a binding half done
            return
        message = f'volume "{volume_name}" already bound to a different claim.'
        self.recorder.event(claim, WARNING, "FailedBinding", message)
        if ANN_BOUND_BY_CONTROLLER not in _annotations(claim):
            await self._update_claim_status(claim, "Pending", None)
            return
        raise RuntimeError(
            f'invalid binding of claim "{claim_key(claim)}" to volume "{volume_name}": '
            f'volume already claimed by "{claim_ref_key(volume)}"'
        )

    async def _find_volume_for(self, claim: Obj) -> None:
        storage_class = self._storage_class(claim_class(claim))
        delay_binding = (
            storage_class is not None
            and storage_class.get("volumeBindingMode") == "WaitForFirstConsumer"
        )
        volume = find_best_match(claim, self._volumes.values(), delay_binding=delay_binding)
        if volume is not None:
            await self._bind(dict(volume), claim)
            return
        if await self._assign_default_class(claim):
            return  # the update brings the claim back with its class
        if delay_binding and ANN_SELECTED_NODE not in _annotations(claim):
            self._wait_for_first_consumer(claim)
        elif claim_class(claim):
            await self._provision(claim)
            return
        else:
            self.recorder.event(
                claim,
                NORMAL,
                "FailedBinding",
                "no persistent volumes available for this claim and no storage class is set",
            )
        await self._update_claim_status(claim, "Pending", None)

    def _wait_for_first_consumer(self, claim: Obj) -> None:
        pods = [
            pod
            for pod in self._pods.indexer.by_index(CLAIMS_INDEX, claim_key(claim))
            if not _is_pod_terminated(pod) and not (pod.get("spec") or {}).get("nodeName")
        ]
        names = sorted(str(pod["metadata"]["name"]) for pod in pods)
        if not names:
            reason, message = (
                "WaitForFirstConsumer",
                "waiting for first consumer to be created before binding",
            )
        elif len(names) == 1:
            reason, message = "WaitForPodScheduled", f"waiting for pod {names[0]} to be scheduled"
        else:
            reason, message = (
                "WaitForPodScheduled",
                f"waiting for pods {','.join(names)} to be scheduled",
            )
        self.recorder.event(claim, NORMAL, reason, message)

    async def _sync_bound_claim(self, claim: Obj) -> None:
        volume_name = (claim.get("spec") or {}).get("volumeName") or ""
        if not volume_name:
            await self._claim_lost(
                claim,
                "ClaimLost",
                "Bound claim has lost reference to PersistentVolume. Data on the volume is lost!",
            )
            return
        volume = self._volumes.get(volume_name)
        if volume is None:
            await self._claim_lost(
                claim,
                "ClaimLost",
                "Bound claim has lost its PersistentVolume. Data on the volume is lost!",
            )
            return
        ref = (volume.get("spec") or {}).get("claimRef")
        if ref is None or ref.get("uid") == claim["metadata"].get("uid"):
            # Unbound volume (or our write not seen yet), or all is well: bind
            # again, which writes only what is missing.
            await self._bind(volume, claim)
            return
        await self._claim_lost(
            claim,
            "ClaimMisbound",
            "Two claims are bound to the same volume, this one is bound incorrectly",
        )

    async def _claim_lost(self, claim: Obj, reason: str, message: str) -> None:
        if _phase(claim) == "Lost":
            return
        updated = await self._update_claim_status(claim, "Lost", None)
        self.recorder.event(updated, WARNING, reason, message)

    # -- volumes ---------------------------------------------------------------------

    async def sync_volume(self, volume: Obj) -> None:
        ref = (volume.get("spec") or {}).get("claimRef")
        if ref is None or not ref.get("uid"):
            # Unused, or only reserved for a claim whose sync will bind it.
            await self._update_volume_phase(volume, "Available", "")
            return
        key = claim_ref_key(volume) or ""
        claim = self._claims.get(key)
        if claim is None and _phase(volume) not in ("Released", "Failed"):
            # A volume made by a provisioner may name a claim our cache has not
            # seen yet: ask the API server before releasing anything.
            claim = await self._get_claim(key)
        if claim is not None and claim["metadata"].get("uid") != ref.get("uid"):
            # Maybe a newer claim of the same name; the API server has the truth.
            claim = await self._get_claim(key)
            if claim is not None and claim["metadata"].get("uid") != ref.get("uid"):
                claim = None
        if claim is None:
            await self._release(volume)
            return
        claim_volume = (claim.get("spec") or {}).get("volumeName") or ""
        if not claim_volume:
            if volume_mode_mismatch(claim, volume):
                name = claim["metadata"]["name"]
                volume_name = volume["metadata"]["name"]
                self.recorder.event(
                    volume,
                    WARNING,
                    "VolumeMismatch",
                    "Cannot bind PersistentVolume to requested PersistentVolumeClaim "
                    f'"{name}" due to incompatible volumeMode.',
                )
                self.recorder.event(
                    claim,
                    WARNING,
                    "VolumeMismatch",
                    f'Cannot bind PersistentVolume "{volume_name}" to requested '
                    "PersistentVolumeClaim due to incompatible volumeMode.",
                )
                return
            # Bound here, not yet there (or a volume made for the claim): the
            # claim's sync finishes it.
            self.queue.add(key)
            return
        if claim_volume == volume["metadata"]["name"]:
            await self._update_volume_phase(volume, "Bound", "")
            return
        # The claim is bound to another volume.
        annotations = _annotations(volume)
        policy = (volume.get("spec") or {}).get("persistentVolumeReclaimPolicy")
        if ANN_DYNAMICALLY_PROVISIONED in annotations and policy == "Delete":
            await self._release(volume)
            return
        # Ours: undo it; the user's pre-binding: only forget the claim's uid.
        await self._unbind_volume(volume)

    async def _release(self, volume: Obj) -> None:
        """The claim is gone: ``Released`` (unless already Failed), then the policy."""
        if _phase(volume) not in ("Released", "Failed"):
            volume = await self._update_volume_phase(volume, "Released", "")
        await self._reclaim(volume)

    async def _get_claim(self, key: str) -> Obj | None:
        namespace, _, name = key.partition("/")
        try:
            return await self.claims_api.get(name, namespace=namespace)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return None
            raise

    # -- reclaiming --------------------------------------------------------------------

    async def _reclaim(self, volume: Obj) -> None:
        policy = (volume.get("spec") or {}).get("persistentVolumeReclaimPolicy")
        if policy == "Retain":
            return
        if policy == "Recycle":
            await self._recycle(volume)
        elif policy == "Delete":
            await self._delete_volume(volume)
        else:
            await self._volume_failed(
                volume,
                "VolumeUnknownReclaimPolicy",
                "Volume has unrecognized PersistentVolumeReclaimPolicy",
            )

    async def _fresh_released(self, volume: Obj) -> Obj | None:
        """The volume as the API server has it now, if it still needs reclaiming."""
        try:
            fresh = await self.volumes_api.get(volume["metadata"]["name"])
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return None
            raise
        return fresh if self._is_released(fresh) else None

    def _is_released(self, volume: Obj) -> bool:
        """Bound to a claim that is gone, or that is now bound to another volume."""
        ref = (volume.get("spec") or {}).get("claimRef")
        if ref is None or not ref.get("uid"):
            return False
        claim = self._claims.get(claim_ref_key(volume) or "")
        if claim is not None and claim["metadata"].get("uid") == ref.get("uid"):
            claim_volume = (claim.get("spec") or {}).get("volumeName") or ""
            return bool(claim_volume) and claim_volume != volume["metadata"]["name"]
        return True

    async def _recycle(self, volume: Obj) -> None:
        fresh = await self._fresh_released(volume)
        if fresh is None:
            return
        users = sorted(
            f"{pod['metadata']['namespace']}/{pod['metadata']['name']}"
            for pod in self._pods.indexer.by_index(CLAIMS_INDEX, claim_ref_key(fresh) or "")
            if not _is_pod_terminated(pod)
        )
        if users and self._claims.get(claim_ref_key(fresh) or "") is None:
            self.recorder.event(
                fresh, NORMAL, "VolumeFailedRecycle", f"Volume is used by pods: {','.join(users)}"
            )
            return
        # The recycler plugins (a scrubber pod per volume) are not part of kubeling.
        await self._volume_failed(
            fresh, "VolumeFailedRecycle", "No recycler plugin found for the volume!"
        )

    async def _delete_volume(self, volume: Obj) -> None:
        fresh = await self._fresh_released(volume)
        if fresh is None:
            return
        annotations = _annotations(fresh)
        provisioner = str(annotations.get(ANN_DYNAMICALLY_PROVISIONED) or "")
        spec = fresh.get("spec") or {}
        if provisioner and not provisioner.startswith("kubernetes.io/"):
            return  # its external provisioner deletes it
        if not provisioner and (
            "pv.kubernetes.io/migrated-to" in annotations or spec.get("csi") is not None
        ):
            return  # a CSI driver's provisioner deletes it
        # No in-tree volume plugin exists to delete the storage itself.
        if provisioner:
            message = f"no volume plugin matched name: {provisioner}"
        else:
            name = fresh["metadata"]["name"]
            message = f'error getting deleter volume plugin for volume "{name}": ' + (
                "no volume plugin matched"
            )
        await self._volume_failed(fresh, "VolumeFailedDelete", message)

    async def _volume_failed(self, volume: Obj, reason: str, message: str) -> None:
        if _phase(volume) == "Failed":
            return
        updated = await self._update_volume_phase(volume, "Failed", message)
        self.recorder.event(updated, WARNING, reason, message)

    # -- provisioning ----------------------------------------------------------------

    def _storage_class(self, name: str) -> Obj | None:
        if not name:
            return None
        try:
            return self._classes.lister.get(name)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return None
            raise

    async def _assign_default_class(self, claim: Obj) -> bool:
        """The retroactive default StorageClass: a claim created with no class gets
        the default one once it exists. True when the claim was updated."""
        if claim_has_class(claim):
            return False
        chosen = default_class(self._classes.lister.list())
        if chosen is None:
            return False
        updated = copy.deepcopy(claim)
        updated.setdefault("spec", {})["storageClassName"] = chosen["metadata"]["name"]
        self._claims.store(await self.claims_api.update(updated))
        return True

    async def _provision(self, claim: Obj) -> None:
        class_name = claim_class(claim)
        storage_class = self._storage_class(class_name)
        if storage_class is None:
            self.recorder.event(
                claim,
                WARNING,
                "ProvisioningFailed",
                f'storageclass.storage.k8s.io "{class_name}" not found',
            )
            return
        provisioner = str(storage_class.get("provisioner") or "")
        if provisioner.startswith("kubernetes.io/"):
            self.recorder.event(
                claim,
                WARNING,
                "ProvisioningFailed",
                f"no volume plugin matched name: {provisioner}",
            )
            return
        if _annotations(claim).get(ANN_STORAGE_PROVISIONER) != provisioner:
            updated = copy.deepcopy(claim)
            annotations = updated["metadata"].setdefault("annotations", {})
            annotations[ANN_BETA_STORAGE_PROVISIONER] = provisioner
            annotations[ANN_STORAGE_PROVISIONER] = provisioner
            claim = await self.claims_api.update(updated)
            self._claims.store(claim)
        self.recorder.event(
            claim,
            NORMAL,
            "ExternalProvisioning",
            f"Waiting for a volume to be created either by the external provisioner "
            f"'{provisioner}' or manually by the system administrator. If volume creation is "
            "delayed, please verify that the provisioner is running and correctly registered.",
        )

    # -- writes ----------------------------------------------------------------------

    async def _bind(self, volume: Obj, claim: Obj) -> None:
        """Both pointers, then both phases; the volume first. Each write only if needed."""
        bound, dirty = bind_volume_to_claim(volume, claim)
        if dirty:
            volume = await self.volumes_api.update(bound)
            self._volumes.store(volume)
        volume = await self._update_volume_phase(volume, "Bound", "")
        claim = await self._bind_claim_to_volume(claim, volume)
        await self._update_claim_status(claim, "Bound", volume)

    async def _bind_claim_to_volume(self, claim: Obj, volume: Obj) -> Obj:
        updated = copy.deepcopy(claim)
        annotations = updated.setdefault("metadata", {}).setdefault("annotations", {})
        spec = updated.setdefault("spec", {})
        dirty = False
        if spec.get("volumeName") != volume["metadata"]["name"]:
            spec["volumeName"] = volume["metadata"]["name"]
            annotations.setdefault(ANN_BOUND_BY_CONTROLLER, "yes")
            dirty = True
        if ANN_BIND_COMPLETED not in annotations:
            annotations[ANN_BIND_COMPLETED] = "yes"
            dirty = True
        if not dirty:
            return claim
        saved = await self.claims_api.update(updated)
        self._claims.store(saved)
        return saved

    async def _unbind_volume(self, volume: Obj) -> None:
        """Undo a binding: ours entirely, a user's pre-binding down to the claim's uid."""
        updated = copy.deepcopy(volume)
        annotations = updated.setdefault("metadata", {}).get("annotations") or {}
        if ANN_BOUND_BY_CONTROLLER in annotations:
            updated["spec"].pop("claimRef", None)
            annotations.pop(ANN_BOUND_BY_CONTROLLER)
            if not annotations:
                updated["metadata"].pop("annotations", None)
        else:
            updated["spec"]["claimRef"].pop("uid", None)
        saved = await self.volumes_api.update(updated)
        self._volumes.store(saved)
        await self._update_volume_phase(saved, "Available", "")

    async def _update_claim_status(self, claim: Obj, phase: str, volume: Obj | None) -> Obj:
        status = dict(claim.get("status") or {})
        old_phase = status.get("phase")
        status["phase"] = phase
        if volume is None:
            status.pop("accessModes", None)
            status.pop("capacity", None)
        else:
            volume_spec = volume.get("spec") or {}
            status["accessModes"] = list(volume_spec.get("accessModes") or [])
            # Capacity is set as the claim becomes Bound, not afterwards: a
            # difference may be intended (a filesystem smaller than its device).
            if old_phase != phase:
                status["capacity"] = dict(volume_spec.get("capacity") or {})
        if status == (claim.get("status") or {}):
            return claim
        updated = {**claim, "status": status}
        saved = await self.claims_api.update_status(updated)
        self._claims.store(saved)
        return saved

    async def _update_volume_phase(self, volume: Obj, phase: str, message: str) -> Obj:
        if _phase(volume) == phase:
            return volume
        status = dict(volume.get("status") or {})
        status["phase"] = phase
        if message:
            status["message"] = message
        else:
            status.pop("message", None)
        saved = await self.volumes_api.update_status({**volume, "status": status})
        self._volumes.store(saved)
        return saved
