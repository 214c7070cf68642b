"""Printers of ``storage.k8s.io``: storage classes, volume attachments, CSI drivers,
CSI nodes, CSI storage capacities and volume attributes classes.

A storage class annotated ``storageclass.kubernetes.io/is-default-class: "true"``
(or the beta annotation) prints as ``name (default)``; an unset reclaim policy
is ``Delete`` and an unset binding mode ``Immediate``, as upstream shows them.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Final

from kubeling.apiserver.printers._helpers import (
    NONE,
    UNSET,
    creation_timestamp,
    has,
    mapping,
    maps,
    name,
    quantity_string,
    text,
)
from kubeling.apiserver.printers.age import translate_timestamp_since
from kubeling.apiserver.printers.interface import Cell, Column, Printer, age_column, name_column

__all__ = ["PRINTERS"]

_DEFAULT_CLASS_ANNOTATIONS: Final = (
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
)
_DEFAULT_VAC_ANNOTATION: Final = "volumeattributesclass.alpha.kubernetes.io/is-default-class"


def _flag(obj: Mapping[str, Any], key: str, *, default: bool) -> bool:
    value = obj.get(key)
    return value if isinstance(value, bool) else default


def _storage_class_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    annotations = mapping(obj, "metadata", "annotations")
    display = name(obj)
    if any(annotations.get(key) == "true" for key in _DEFAULT_CLASS_ANNOTATIONS):
        display += " (default)"
    return [
        display,
        text(obj, "provisioner"),
        text(obj, "reclaimPolicy") if has(obj, "reclaimPolicy") else "Delete",
        text(obj, "volumeBindingMode") if has(obj, "volumeBindingMode") else "Immediate",
        _flag(obj, "allowVolumeExpansion", default=False),
        translate_timestamp_since(creation_timestamp(obj), now),
    ]


STORAGE_CLASS: Final = Printer(
    (
        name_column(),
        Column("Provisioner", "string", "provisioner indicates the type of the provisioner."),
        Column(
            "ReclaimPolicy",
            "string",
            "reclaimPolicy controls the reclaimPolicy for "
            "dynamically provisioned PersistentVolumes of this storage class.",
        ),
        Column(
            "VolumeBindingMode",
            "string",
            "volumeBindingMode indicates how "
            "PersistentVolumeClaims should be provisioned and bound.",
        ),
        Column(
            "AllowVolumeExpansion",
            "string",
            "allowVolumeExpansion shows whether the storage class allow volume expand.",
        ),
        age_column(),
    ),
    _storage_class_row,
)


def _volume_attributes_class_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    display = name(obj)
    if mapping(obj, "metadata", "annotations").get(_DEFAULT_VAC_ANNOTATION) == "true":
        display += " (default)"
    return [
        display,
        text(obj, "driverName"),
        translate_timestamp_since(creation_timestamp(obj), now),
    ]


VOLUME_ATTRIBUTES_CLASS: Final = Printer(
    (
        name_column(),
        Column("DriverName", "string", "Name of the CSI driver"),
        age_column(),
    ),
    _volume_attributes_class_row,
)


def _volume_attachment_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    spec = mapping(obj, "spec")
    return [
        name(obj),
        text(spec, "attacher"),
        text(mapping(spec, "source"), "persistentVolumeName"),
        text(spec, "nodeName"),
        _flag(mapping(obj, "status"), "attached", default=False),
        translate_timestamp_since(creation_timestamp(obj), now),
    ]


VOLUME_ATTACHMENT: Final = Printer(
    (
        name_column(),
        Column(
            "Attacher",
            "string",
            "attacher indicates the name of the volume driver that MUST handle this request.",
            format="name",
        ),
        Column(
            "PV",
            "string",
            "persistentVolumeName represents the name of the persistent volume to attach.",
        ),
        Column(
            "Node", "string", "nodeName represents the node that the volume should be attached to."
        ),
        Column("Attached", "boolean", "attached indicates the volume is successfully attached."),
        age_column(),
    ),
    _volume_attachment_row,
)


def _csi_driver_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    spec = mapping(obj, "spec")
    modes = ",".join(str(mode) for mode in spec.get("volumeLifecycleModes") or []) or NONE
    token_requests = UNSET
    if spec.get("tokenRequests") is not None:
        token_requests = ",".join(text(t, "audience") for t in maps(spec, "tokenRequests"))
    return [
        name(obj),
        _flag(spec, "attachRequired", default=True),
        _flag(spec, "podInfoOnMount", default=False),
        _flag(spec, "storageCapacity", default=False),
        token_requests,
        _flag(spec, "requiresRepublish", default=False),
        modes,
        translate_timestamp_since(creation_timestamp(obj), now),
    ]


CSI_DRIVER: Final = Printer(
    (
        name_column(),
        Column(
            "AttachRequired",
            "boolean",
            "attachRequired indicates this CSI volume driver requires an attach operation.",
        ),
        Column(
            "PodInfoOnMount",
            "boolean",
            "podInfoOnMount indicates this CSI volume driver "
            "requires additional pod information during mount operations.",
        ),
        Column(
            "StorageCapacity",
            "boolean",
            "storageCapacity indicates that the CSI volume "
            "driver wants pod scheduling to consider the storage capacity.",
        ),
        Column(
            "TokenRequests",
            "string",
            "tokenRequests indicates the CSI driver needs pods' "
            "service account tokens it is mounting volume for to do necessary "
            "authentication.",
        ),
        Column(
            "RequiresRepublish",
            "boolean",
            "requiresRepublish indicates the CSI driver "
            "wants `NodePublishVolume` being periodically called.",
        ),
        Column(
            "Modes",
            "string",
            "volumeLifecycleModes defines what kind of volumes this CSI volume driver supports.",
        ),
        age_column(),
    ),
    _csi_driver_row,
)


def _csi_node_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    return [
        name(obj),
        len(maps(mapping(obj, "spec"), "drivers")),
        translate_timestamp_since(creation_timestamp(obj), now),
    ]


CSI_NODE: Final = Printer(
    (
        name_column(),
        Column(
            "Drivers",
            "integer",
            "Drivers indicates the number of CSI drivers registered on the node",
        ),
        age_column(),
    ),
    _csi_node_row,
)


def _csi_storage_capacity_row(obj: Mapping[str, Any], now: datetime.datetime) -> list[Cell]:
    capacity = quantity_string(obj.get("capacity")) if has(obj, "capacity") else UNSET
    return [name(obj), text(obj, "storageClassName"), capacity]


CSI_STORAGE_CAPACITY: Final = Printer(
    (
        name_column(),
        Column(
            "StorageClassName",
            "string",
            "storageClassName represents the name of the "
            "StorageClass that the reported capacity applies to.",
        ),
        Column(
            "Capacity",
            "string",
            "capacity is the value reported by the CSI driver in its "
            "GetCapacityResponse for a GetCapacityRequest with topology and parameters that "
            "match the previous fields.",
        ),
    ),
    _csi_storage_capacity_row,
)

PRINTERS: Final[Mapping[str, Printer]] = {
    "storageclasses": STORAGE_CLASS,
    "volumeattributesclasses": VOLUME_ATTRIBUTES_CLASS,
    "volumeattachments": VOLUME_ATTACHMENT,
    "csidrivers": CSI_DRIVER,
    "csinodes": CSI_NODE,
    "csistoragecapacities": CSI_STORAGE_CAPACITY,
}
"""``storage.k8s.io`` printers by resource plural."""
