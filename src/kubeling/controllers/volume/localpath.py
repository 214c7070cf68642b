"""The local-path provisioner: a directory on the consumer's node for every claim.

As k3s ships Rancher's ``local-path-provisioner``, kubeling builds it in (the
``local-path-provisioner`` controller). At start it creates, if absent, the
StorageClass ``local-path`` (provisioner ``rancher.io/local-path``,
``volumeBindingMode: WaitForFirstConsumer``, ``reclaimPolicy: Delete``), marked
as the cluster's default, so a claim that names no class gets it.

It behaves as an external provisioner (``sig-storage-lib-external-provisioner``)
next to the PV controller:

1. The PV controller waits until the scheduler has put
   ``volume.kubernetes.io/selected-node`` on the claim, then annotates it with
   ``volume.kubernetes.io/storage-provisioner: rancher.io/local-path``.
2. This controller sees the claim, records ``Provisioning``, and creates the
   PersistentVolume ``pvc-<claim uid>``: a ``hostPath`` of type
   ``DirectoryOrCreate`` at ``<base>/pvc-<uid>_<namespace>_<claim>`` with a
   required node affinity to that node (its ``kubernetes.io/hostname`` label),
   pre-bound to the claim (``claimRef``) and annotated
   ``pv.kubernetes.io/provisioned-by: rancher.io/local-path``; then
   ``ProvisioningSucceeded``. The PV controller binds the two.
3. When the claim is deleted the PV controller marks the volume ``Released``;
   with ``reclaimPolicy: Delete`` this controller deletes the volume's
   directory, when it is on this machine, and then the PersistentVolume.

The directory belongs to the node. Rancher's provisioner runs a helper pod on
the node to create and remove it; here nothing on the node exists yet, so this
controller only writes API objects when provisioning: the kubelet creates the
directory when it mounts the volume (``DirectoryOrCreate``). Removal happens
here, for directories this machine holds: a path under the configured base
whose last part is the volume's own ``pvc-<uid>_...`` name, so nothing else is
ever removed.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import os
import shutil
import socket
import uuid
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any, ClassVar, Final

from kubeling.api import errors
from kubeling.api.storage.classes import IS_DEFAULT_CLASS_ANNOTATION, claim_class
from kubeling.client import NORMAL, WARNING, SharedInformer
from kubeling.client.resources import (
    NODES,
    PERSISTENTVOLUMECLAIMS,
    PERSISTENTVOLUMES,
    STORAGECLASSES,
)
from kubeling.controllers.base import Controller, ControllerContext
from kubeling.controllers.volume.binding import (
    ANN_BETA_STORAGE_PROVISIONER,
    ANN_DYNAMICALLY_PROVISIONED,
    ANN_SELECTED_NODE,
    ANN_STORAGE_PROVISIONER,
    claim_key,
    claim_reference,
)

__all__ = [
    "PROVISIONER",
    "STORAGE_CLASS",
    "LocalPathProvisioner",
    "local_path_storage_class",
    "local_path_volume",
    "removable_directory",
]

log = logging.getLogger(__name__)

Obj = dict[str, Any]

PROVISIONER: Final = "rancher.io/local-path"
STORAGE_CLASS: Final = "local-path"
#: The node label the volume's affinity names, as upstream's provisioner.
HOSTNAME_LABEL: Final = "kubernetes.io/hostname"
#: Seconds between attempts to create the StorageClass while the API refuses.
_CLASS_RETRY: Final = (1.0, 30.0)


class ProvisioningError(Exception):
    """Why a volume cannot be provisioned for a claim (the event's detail)."""


def local_path_storage_class() -> Obj:
    """The default StorageClass ``local-path``, as k3s installs it."""
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": STORAGE_CLASS, "annotations": {IS_DEFAULT_CLASS_ANNOTATION: "true"}},
        "provisioner": PROVISIONER,
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "WaitForFirstConsumer",
    }


def volume_name(claim: Mapping[str, Any]) -> str:
    """``pvc-<claim uid>``: one volume per claim, whoever provisions it."""
    return f"pvc-{claim['metadata']['uid']}"


def local_path_volume(
    claim: Mapping[str, Any],
    node: Mapping[str, Any] | None,
    storage_class: Mapping[str, Any],
    base_path: str,
) -> Obj:
    """The PersistentVolume for ``claim`` on ``node``, or ProvisioningError."""
    spec = claim.get("spec") or {}
    if spec.get("selector") is not None:
        raise ProvisioningError("claim.Spec.Selector is not supported")
    for mode in spec.get("accessModes") or ():
        if mode not in ("ReadWriteOnce", "ReadWriteOncePod"):
            raise ProvisioningError(
                "NodePath only supports ReadWriteOnce and ReadWriteOncePod (1.22+) access modes"
            )
    if node is None:
        raise ProvisioningError("configuration error, no node was specified")
    meta = claim["metadata"]
    name = volume_name(claim)
    folder = "_".join((name, str(meta["namespace"]), str(meta["name"])))
    path = str(PurePosixPath(base_path) / folder)
    node_meta = node.get("metadata") or {}
    hostname = (node_meta.get("labels") or {}).get(HOSTNAME_LABEL) or node_meta.get("name")
    requests = (spec.get("resources") or {}).get("requests") or {}
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": name, "annotations": {ANN_DYNAMICALLY_PROVISIONED: PROVISIONER}},
        "spec": {
            "persistentVolumeReclaimPolicy": storage_class.get("reclaimPolicy") or "Delete",
            "accessModes": list(spec.get("accessModes") or ()),
            "volumeMode": "Filesystem",
            "capacity": {"storage": requests.get("storage")},
            "hostPath": {"path": path, "type": "DirectoryOrCreate"},
            "nodeAffinity": {
                "required": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {"key": HOSTNAME_LABEL, "operator": "In", "values": [hostname]}
                            ]
                        }
                    ]
                }
            },
            "claimRef": claim_reference(claim),
            "storageClassName": claim_class(claim),
        },
    }


def removable_directory(volume: Mapping[str, Any], base_path: str) -> str | None:
    """The volume's directory if it is ours to remove: directly under ``base_path``
    and named after the volume (``pvc-<uid>_<namespace>_<claim>``); else None."""
    host_path = ((volume.get("spec") or {}).get("hostPath") or {}).get("path")
    if not isinstance(host_path, str) or not host_path:
        return None
    path = PurePosixPath(os.path.normpath(host_path))
    base = PurePosixPath(os.path.normpath(base_path))
    name = str((volume.get("metadata") or {}).get("name") or "")
    if not name or path.parent != base or not path.name.startswith(f"{name}_"):
        return None
    return str(path)


def _remove_directory(path: str) -> None:
    # Only a real directory: never follow a symlink out of the base.
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)


class LocalPathProvisioner(Controller):
    name: ClassVar[str] = "local-path-provisioner"
    component: ClassVar[str] = PROVISIONER
    workers: ClassVar[int] = 2

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.base_path = ctx.local_storage_path
        # Upstream's events come from "<provisioner>_<identity>".
        identity = f"{socket.gethostname()}_{uuid.uuid4()}"
        self.recorder = ctx.recorder(f"{PROVISIONER}_{identity}")
        self.volumes_api = self.client.resource(PERSISTENTVOLUMES)
        self.claims_api = self.client.resource(PERSISTENTVOLUMECLAIMS)
        self.classes_api = self.client.resource(STORAGECLASSES)
        self._classes = self.informers.informer_for(STORAGECLASSES)
        self._nodes = self.informers.informer_for(NODES)
        self._claims = self.informers.informer_for(PERSISTENTVOLUMECLAIMS)
        self._volumes = self.informers.informer_for(PERSISTENTVOLUMES)
        for informer in (self._claims, self._volumes):
            informer.add_event_handler(
                on_add=self.enqueue, on_update=lambda _old, new: self.enqueue(new)
            )

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(super().run(), name=f"{self.name}-workers")
            await self.ensure_storage_class()

    async def ensure_storage_class(self) -> None:
        """Create the ``local-path`` StorageClass unless it exists; retry until done."""
        delay, longest = _CLASS_RETRY
        while True:
            try:
                await self.classes_api.create(local_path_storage_class())
                log.info("created the default StorageClass %s", STORAGE_CLASS)
                return
            except errors.StatusError as err:
                if errors.is_already_exists(err):
                    return
                log.warning("cannot create StorageClass %s yet: %s", STORAGE_CLASS, err)
            except OSError as err:
                log.warning("cannot create StorageClass %s yet: %s", STORAGE_CLASS, err)
            await asyncio.sleep(delay)
            delay = min(delay * 2, longest)

    async def sync(self, key: str) -> None:
        # A claim's key has a namespace; a volume's name cannot contain "/".
        if "/" in key:
            await self._sync_claim(key)
        else:
            await self._sync_volume(key)

    # -- provisioning ----------------------------------------------------------------

    @staticmethod
    def _get(informer: SharedInformer, name: str, namespace: str = "") -> Obj | None:
        try:
            found: Obj = informer.lister.get(name, namespace=namespace)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return None
            raise
        return found

    def _should_provision(self, claim: Obj) -> Obj | None:
        """The claim's StorageClass when this provisioner is to act on it now."""
        if (claim.get("spec") or {}).get("volumeName"):
            return None
        annotations = claim["metadata"].get("annotations") or {}
        asked = annotations.get(
            ANN_STORAGE_PROVISIONER, annotations.get(ANN_BETA_STORAGE_PROVISIONER)
        )
        if asked != PROVISIONER:
            return None
        storage_class = self._get(self._classes, claim_class(claim))
        if storage_class is None or storage_class.get("provisioner") != PROVISIONER:
            return None
        if storage_class.get("volumeBindingMode") == "WaitForFirstConsumer" and not (
            annotations.get(ANN_SELECTED_NODE)
        ):
            return None
        return storage_class

    async def _sync_claim(self, key: str) -> None:
        namespace, _, name = key.partition("/")
        claim = self._get(self._claims, name, namespace)
        if claim is None or claim["metadata"].get("deletionTimestamp"):
            return
        storage_class = self._should_provision(claim)
        if storage_class is None:
            return
        pv_name = volume_name(claim)
        if self._get(self._volumes, pv_name) is not None:
            return  # provisioned already; the PV controller binds it
        node_name = (claim["metadata"].get("annotations") or {}).get(ANN_SELECTED_NODE)
        node = self._get(self._nodes, node_name) if node_name else None
        if node_name and node is None:
            # The node went away: let the scheduler choose again.
            self.recorder.event(
                claim, WARNING, "ProvisioningFailed", f'nodes "{node_name}" not found'
            )
            updated = copy.deepcopy(claim)
            updated["metadata"]["annotations"].pop(ANN_SELECTED_NODE, None)
            await self.claims_api.update(updated)
            return
        self.recorder.event(
            claim,
            NORMAL,
            "Provisioning",
            f'External provisioner is provisioning volume for claim "{claim_key(claim)}"',
        )
        try:
            volume = local_path_volume(claim, node, storage_class, self.base_path)
        except ProvisioningError as err:
            message = f'failed to provision volume with StorageClass "{claim_class(claim)}": {err}'
            self.recorder.event(claim, WARNING, "ProvisioningFailed", message)
            raise
        try:
            await self.volumes_api.create(volume)
        except errors.StatusError as err:
            if not errors.is_already_exists(err):
                raise
        self.recorder.event(
            claim, NORMAL, "ProvisioningSucceeded", f"Successfully provisioned volume {pv_name}"
        )

    # -- deleting --------------------------------------------------------------------

    async def _sync_volume(self, name: str) -> None:
        volume = self._get(self._volumes, name)
        if volume is None or not self._should_delete(volume):
            return
        path = removable_directory(volume, self.base_path)
        if path is not None:
            try:
                await asyncio.to_thread(_remove_directory, path)
            except OSError as err:
                message = f"failed to delete volume {name}: {err}"
                self.recorder.event(volume, WARNING, "VolumeFailedDelete", message)
                raise
        try:
            await self.volumes_api.delete(name, precondition_uid=volume["metadata"]["uid"])
        except errors.StatusError as err:
            if not (errors.is_not_found(err) or errors.is_conflict(err)):
                raise
        log.info("deleted volume %s", name)

    @staticmethod
    def _should_delete(volume: Obj) -> bool:
        meta = volume.get("metadata") or {}
        return (
            (meta.get("annotations") or {}).get(ANN_DYNAMICALLY_PROVISIONED) == PROVISIONER
            and (volume.get("status") or {}).get("phase") == "Released"
            and (volume.get("spec") or {}).get("persistentVolumeReclaimPolicy") == "Delete"
            and not meta.get("deletionTimestamp")
        )
