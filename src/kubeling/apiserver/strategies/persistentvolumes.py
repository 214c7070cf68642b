"""PersistentVolumes: Retain and Filesystem by default, ``Pending`` on create.

Since ``PersistentVolumeLastPhaseTransitionTime`` went GA (1.31) a new PV's
status is ``Pending`` with ``lastPhaseTransitionTime`` set to the creation
time; the PV controller moves it to ``Available``. A write to ``/status`` that
changes the phase gets a new ``lastPhaseTransitionTime`` unless the writer set
a different one itself; one that keeps the phase keeps the old time.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Any, Final

from kubeling.api.field import FieldError, FieldPath, forbidden, not_supported, required
from kubeling.apiserver.rest.strategy import Strategy
from kubeling.apiserver.strategies._checks import as_list, as_map, one_volume_source_errors

__all__ = ["ACCESS_MODES", "PersistentVolumeStrategy", "validate_access_modes"]

Obj = dict[str, Any]

ACCESS_MODES: Final = ("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")
RECLAIM_POLICIES: Final = ("Delete", "Recycle", "Retain")
VOLUME_MODES: Final = ("Block", "Filesystem")

_PV_SOURCES: Final = (
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "hostPath",
    "glusterfs",
    "nfs",
    "rbd",
    "iscsi",
    "cinder",
    "cephfs",
    "fc",
    "flocker",
    "flexVolume",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "local",
    "storageos",
    "csi",
)


def validate_access_modes(modes: list[Any], path: FieldPath) -> list[FieldError]:
    """At least one mode, each known; ReadWriteOncePod stands alone."""
    if not modes:
        return [required(path, "at least 1 access mode is required")]
    errs = [not_supported(path, mode, ACCESS_MODES) for mode in modes if mode not in ACCESS_MODES]
    if "ReadWriteOncePod" in modes and len(modes) > 1:
        errs.append(forbidden(path, "may not use ReadWriteOncePod with other access modes"))
    return errs


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class PersistentVolumeStrategy(Strategy):
    """``persistentvolumes`` (cluster-scoped)."""

    has_status_subresource = True

    def __init__(self, *, clock: Callable[[], str] = _now) -> None:
        self._clock = clock

    def default(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if isinstance(spec, dict):
            if not spec.get("persistentVolumeReclaimPolicy"):
                spec["persistentVolumeReclaimPolicy"] = "Retain"
            if not spec.get("volumeMode"):
                spec["volumeMode"] = "Filesystem"

    def prepare_for_create(self, obj: Obj) -> None:
        super().prepare_for_create(obj)
        obj["status"] = {"phase": "Pending", "lastPhaseTransitionTime": self._clock()}

    def prepare_for_status_update(self, new: Obj, old: Obj) -> None:
        new_status, old_status = new.get("status"), as_map(old.get("status"))
        if not isinstance(new_status, dict):
            return
        old_time = old_status.get("lastPhaseTransitionTime")
        new_time = new_status.get("lastPhaseTransitionTime")
        if new_status.get("phase") == old_status.get("phase"):
            if new_time is None and old_time is not None:
                new_status["lastPhaseTransitionTime"] = old_time
        elif new_time is None or new_time == old_time:
            new_status["lastPhaseTransitionTime"] = self._clock()

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = self.validate_metadata(obj, namespaced=namespaced)
        spec = as_map(obj.get("spec"))
        path = FieldPath("spec")
        errs.extend(
            validate_access_modes(as_list(spec.get("accessModes")), path.child("accessModes"))
        )
        if not as_map(spec.get("capacity")):
            errs.append(required(path.child("capacity"), ""))
        elif "storage" not in as_map(spec.get("capacity")):
            errs.append(required(path.child("capacity").key("storage"), ""))
        errs.extend(one_volume_source_errors(spec, _PV_SOURCES, path))
        policy = spec.get("persistentVolumeReclaimPolicy")
        if policy and policy not in RECLAIM_POLICIES:
            errs.append(
                not_supported(path.child("persistentVolumeReclaimPolicy"), policy, RECLAIM_POLICIES)
            )
        mode = spec.get("volumeMode")
        if mode and mode not in VOLUME_MODES:
            errs.append(not_supported(path.child("volumeMode"), mode, VOLUME_MODES))
        return errs
