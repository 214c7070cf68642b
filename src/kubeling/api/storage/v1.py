"""storage.k8s.io/v1: StorageClass, CSIDriver, CSINode, VolumeAttachment, CSIStorageCapacity.

Field numbers come from ``k8s.io/api/storage/v1/generated.proto``; the field
set is the one of 1.32 (the CSIDriver, CSINode and VolumeError fields added
in 1.33 and later are left out). ``CSINodeSpec.drivers`` is the one list with
merge semantics: a map keyed by ``name`` that strategic merge patches merge by
that key. ``storage.k8s.io/v1 TokenRequest`` (a CSIDriver token audience) is
not authentication's TokenRequest; the two have different definition names.
VolumeAttributesClass is beta in 1.32 and is not declared here.
"""

from __future__ import annotations

from kubeling.api.schema import (
    BOOL,
    INT32,
    INT64,
    QUANTITY,
    STRING,
    TIME,
    TYPE_META_TERSE,
    Field,
    Kinds,
    ListOf,
    MapOf,
    Object,
    Ref,
    list_kind,
)

__all__ = [
    "CSIDriver",
    "CSIDriverList",
    "CSIDriverSpec",
    "CSINode",
    "CSINodeDriver",
    "CSINodeList",
    "CSINodeSpec",
    "CSIStorageCapacity",
    "CSIStorageCapacityList",
    "StorageClass",
    "StorageClassList",
    "TokenRequest",
    "VolumeAttachment",
    "VolumeAttachmentList",
    "VolumeAttachmentSource",
    "VolumeAttachmentSpec",
    "VolumeAttachmentStatus",
    "VolumeError",
    "VolumeNodeResources",
]

GROUP = "storage.k8s.io"
VERSION = "v1"

_KINDS = Kinds("io.k8s.api.storage.v1.", GROUP, VERSION, TYPE_META_TERSE)
_OBJECT_META = Ref("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")


# --- StorageClass ------------------------------------------------------------

StorageClass = _KINDS.kind(
    "StorageClass",
    "Parameters for a class of dynamically provisioned storage.",
    [
        Field("metadata", 1, _OBJECT_META, "Standard object's metadata."),
        Field("provisioner", 2, STRING, "Type of the provisioner; immutable.", required=True),
        Field("parameters", 3, MapOf(STRING), "Parameters for the provisioner; immutable."),
        Field(
            "reclaimPolicy",
            4,
            STRING,
            "Reclaim policy of provisioned PersistentVolumes; defaults to Delete.",
            enum=("Delete", "Recycle", "Retain"),
        ),
        Field(
            "mountOptions",
            5,
            ListOf(STRING),
            "Mount options of provisioned PersistentVolumes, not validated.",
            list_type="atomic",
        ),
        Field("allowVolumeExpansion", 6, BOOL, "Whether volumes of this class can be expanded."),
        Field(
            "volumeBindingMode",
            7,
            STRING,
            "When claims are provisioned and bound; defaults to Immediate.",
            enum=("Immediate", "WaitForFirstConsumer"),
        ),
        Field(
            "allowedTopologies",
            8,
            ListOf(Ref("io.k8s.api.core.v1.TopologySelectorTerm")),
            "Node topologies where volumes may be provisioned; empty: anywhere.",
            list_type="atomic",
        ),
    ],
)

StorageClassList = list_kind(StorageClass, "A list of StorageClasses.", "The StorageClasses.")

# --- CSIDriver ---------------------------------------------------------------

TokenRequest = Object(
    "io.k8s.api.storage.v1.TokenRequest",
    "A service account token a CSI driver asks the kubelet for.",
    [
        Field(
            "audience",
            1,
            STRING,
            "Intended audience of the token; defaults to the apiserver's.",
            required=True,
        ),
        Field("expirationSeconds", 2, INT64, "Validity of the token in seconds."),
    ],
)

CSIDriverSpec = Object(
    "io.k8s.api.storage.v1.CSIDriverSpec",
    "The specification of a CSIDriver.",
    [
        Field(
            "attachRequired", 1, BOOL, "Whether the driver needs an attach operation; immutable."
        ),
        Field("podInfoOnMount", 2, BOOL, "Whether pod information is passed on mount."),
        Field(
            "volumeLifecycleModes",
            3,
            ListOf(STRING),
            "Volume kinds the driver supports: Persistent and/or Ephemeral.",
            list_type="set",
        ),
        Field(
            "storageCapacity",
            4,
            BOOL,
            "Whether scheduling considers the capacity the driver reports.",
        ),
        Field(
            "fsGroupPolicy",
            5,
            STRING,
            "Whether the volume supports fsGroup ownership changes.",
            enum=("File", "None", "ReadWriteOnceWithFSType"),
        ),
        Field(
            "tokenRequests",
            6,
            ListOf(TokenRequest),
            "Service account tokens the kubelet passes on NodePublishVolume.",
            list_type="atomic",
        ),
        Field(
            "requiresRepublish",
            7,
            BOOL,
            "Whether NodePublishVolume is called periodically.",
        ),
        Field(
            "seLinuxMount", 8, BOOL, "Whether the driver supports the '-o context' mount option."
        ),
    ],
)

CSIDriver = _KINDS.kind(
    "CSIDriver",
    "A CSI volume driver deployed on the cluster.",
    [
        Field("metadata", 1, _OBJECT_META, "Standard object's metadata; name is the driver's."),
        Field("spec", 2, CSIDriverSpec, "The specification of the CSI driver.", required=True),
    ],
)

CSIDriverList = list_kind(CSIDriver, "A list of CSIDrivers.", "The CSIDrivers.")

# --- CSINode -----------------------------------------------------------------

VolumeNodeResources = Object(
    "io.k8s.api.storage.v1.VolumeNodeResources",
    "Limits for scheduling volumes on a node.",
    [Field("count", 1, INT32, "Maximum number of unique volumes of the driver on a node.")],
)

CSINodeDriver = Object(
    "io.k8s.api.storage.v1.CSINodeDriver",
    "One CSI driver installed on a node.",
    [
        Field("name", 1, STRING, "Name of the CSI driver.", required=True),
        Field(
            "nodeID", 2, STRING, "ID of the node from the driver's point of view.", required=True
        ),
        Field(
            "topologyKeys",
            3,
            ListOf(STRING),
            "Topology keys the driver supports.",
            list_type="atomic",
        ),
        Field(
            "allocatable",
            4,
            VolumeNodeResources,
            "Volume resources of the node available for scheduling.",
        ),
    ],
)

CSINodeSpec = Object(
    "io.k8s.api.storage.v1.CSINodeSpec",
    "The CSI drivers installed on a node.",
    [
        Field(
            "drivers",
            1,
            ListOf(CSINodeDriver),
            "All CSI drivers on the node.",
            required=True,
            patch_strategy="merge",
            patch_merge_key="name",
            list_type="map",
            list_map_keys=("name",),
        ),
    ],
)

CSINode = _KINDS.kind(
    "CSINode",
    "All CSI drivers installed on a node; named after the node.",
    [
        Field("metadata", 1, _OBJECT_META, "Standard object's metadata; name is the node's."),
        Field("spec", 2, CSINodeSpec, "The specification of the CSINode.", required=True),
    ],
)

CSINodeList = list_kind(CSINode, "A list of CSINodes.", "The CSINodes.")

# --- VolumeAttachment --------------------------------------------------------

VolumeAttachmentSource = Object(
    "io.k8s.api.storage.v1.VolumeAttachmentSource",
    "The volume to attach; exactly one member is set.",
    [
        Field("persistentVolumeName", 1, STRING, "Name of the PersistentVolume to attach."),
        Field(
            "inlineVolumeSpec",
            2,
            Ref("io.k8s.api.core.v1.PersistentVolumeSpec"),
            "A pod's inline volume translated for CSI migration.",
        ),
    ],
)

VolumeAttachmentSpec = Object(
    "io.k8s.api.storage.v1.VolumeAttachmentSpec",
    "The specification of a VolumeAttachment request.",
    [
        Field(
            "attacher", 1, STRING, "Name of the volume driver handling the request.", required=True
        ),
        Field("source", 2, VolumeAttachmentSource, "The volume to attach.", required=True),
        Field("nodeName", 3, STRING, "The node to attach the volume to.", required=True),
    ],
)

VolumeError = Object(
    "io.k8s.api.storage.v1.VolumeError",
    "An error encountered during a volume operation.",
    [
        Field("time", 1, TIME, "When the error was encountered."),
        Field("message", 2, STRING, "The error; may be logged, so holds no secrets."),
    ],
)

VolumeAttachmentStatus = Object(
    "io.k8s.api.storage.v1.VolumeAttachmentStatus",
    "The status of a VolumeAttachment request.",
    [
        Field("attached", 1, BOOL, "Whether the volume is attached.", required=True),
        Field(
            "attachmentMetadata",
            2,
            MapOf(STRING),
            "Information from a successful attach, passed on to mount.",
        ),
        Field("attachError", 3, VolumeError, "Last error of the attach operation."),
        Field("detachError", 4, VolumeError, "Last error of the detach operation."),
    ],
)

VolumeAttachment = _KINDS.kind(
    "VolumeAttachment",
    "The intent to attach a volume to, or detach it from, a node.",
    [
        Field("metadata", 1, _OBJECT_META, "Standard object's metadata."),
        Field(
            "spec",
            2,
            VolumeAttachmentSpec,
            "Desired attach/detach behavior.",
            required=True,
        ),
        Field("status", 3, VolumeAttachmentStatus, "Status of the request."),
    ],
)

VolumeAttachmentList = list_kind(
    VolumeAttachment, "A list of VolumeAttachments.", "The VolumeAttachments."
)

# --- CSIStorageCapacity ------------------------------------------------------

CSIStorageCapacity = _KINDS.kind(
    "CSIStorageCapacity",
    "The result of one CSI GetCapacity call for a storage class and topology.",
    [
        Field("metadata", 1, _OBJECT_META, "Standard object's metadata."),
        Field(
            "nodeTopology",
            2,
            Ref("io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"),
            "Nodes that can access the storage; immutable.",
        ),
        Field(
            "storageClassName",
            3,
            STRING,
            "StorageClass the capacity applies to; immutable.",
            required=True,
        ),
        Field("capacity", 4, QUANTITY, "Available capacity reported by the driver."),
        Field("maximumVolumeSize", 5, QUANTITY, "Largest volume that can be created."),
    ],
)

CSIStorageCapacityList = list_kind(
    CSIStorageCapacity, "A list of CSIStorageCapacities.", "The CSIStorageCapacities."
)
