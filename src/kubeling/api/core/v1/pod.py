"""core/v1 Pod and every type it embeds, PodTemplate, PodList and Binding.

Declared from Kubernetes 1.32: field sets, required lists and the ``x-kubernetes-*``
extensions follow the 1.32 OpenAPI document, protobuf field numbers follow
``staging/src/k8s.io/api/core/v1/generated.proto``. The rest of core/v1 (Namespace,
Service, Node, PersistentVolume(Claim), ConfigMap, Secret, Event ...) lives in
``cluster``; the one type of it reachable from a Pod, PersistentVolumeClaimSpec (through
an ephemeral volume's claim template), is referred to by name. cluster in turn refers to
the types declared here that it shares (ObjectReference, LocalObjectReference,
TypedLocalObjectReference, NodeSelector, the volume sources that a PersistentVolume also
uses, PodTemplateSpec, PodStatus); TypedObjectReference, used only by the claim spec, is
declared there.

Embedded Go structs. Where Go inlines a struct (``json:",inline"``), its fields appear
flat in JSON, and so in these declarations and the OpenAPI document, but protobuf nests
them in one message field of the parent: a Probe's ``exec``/``httpGet``/``tcpSocket``/
``grpc`` travel inside ``handler`` (field 1, a ProbeHandler), a Volume's sources inside
``volumeSource`` (field 2), an EphemeralContainer's container fields inside
``ephemeralContainerCommon`` (field 1), and the ``name`` of the ConfigMap and Secret key
selectors, env sources and projections inside ``localObjectReference`` (field 1). The
parent declares the flat fields with proto 0 and names the nesting message with
``schema.Embedded``, from which the protobuf codec nests and un-nests them.
ProbeHandler, VolumeSource and EphemeralContainerCommon are declared for that purpose
only: no field refers to them, so no OpenAPI document describes them.

``enum`` lists the allowed values of the well-known string enums only.
"""

from __future__ import annotations

from dataclasses import replace

from kubeling.api.meta.v1 import LabelSelector, ObjectMeta
from kubeling.api.schema import (
    BOOL,
    INT32,
    INT64,
    INT_OR_STRING,
    QUANTITY,
    STRING,
    TIME,
    TYPE_META_GO,
    Embedded,
    Field,
    Kinds,
    ListOf,
    MapOf,
    Object,
    Ref,
    conditions,
    inlined,
    list_kind,
)

__all__ = [
    "AWSElasticBlockStoreVolumeSource",
    "Affinity",
    "AppArmorProfile",
    "AzureDiskVolumeSource",
    "AzureFileVolumeSource",
    "Binding",
    "CSIVolumeSource",
    "Capabilities",
    "CephFSVolumeSource",
    "CinderVolumeSource",
    "ClusterTrustBundleProjection",
    "ConfigMapEnvSource",
    "ConfigMapKeySelector",
    "ConfigMapProjection",
    "ConfigMapVolumeSource",
    "Container",
    "ContainerPort",
    "ContainerResizePolicy",
    "ContainerState",
    "ContainerStateRunning",
    "ContainerStateTerminated",
    "ContainerStateWaiting",
    "ContainerStatus",
    "ContainerUser",
    "DownwardAPIProjection",
    "DownwardAPIVolumeFile",
    "DownwardAPIVolumeSource",
    "EmptyDirVolumeSource",
    "EnvFromSource",
    "EnvVar",
    "EnvVarSource",
    "EphemeralContainer",
    "EphemeralContainerCommon",
    "EphemeralVolumeSource",
    "ExecAction",
    "FCVolumeSource",
    "FlexVolumeSource",
    "FlockerVolumeSource",
    "GCEPersistentDiskVolumeSource",
    "GRPCAction",
    "GitRepoVolumeSource",
    "GlusterfsVolumeSource",
    "HTTPGetAction",
    "HTTPHeader",
    "HostAlias",
    "HostIP",
    "HostPathVolumeSource",
    "ISCSIVolumeSource",
    "ImageVolumeSource",
    "KeyToPath",
    "Lifecycle",
    "LifecycleHandler",
    "LinuxContainerUser",
    "LocalObjectReference",
    "NFSVolumeSource",
    "NodeAffinity",
    "NodeSelector",
    "NodeSelectorRequirement",
    "NodeSelectorTerm",
    "ObjectFieldSelector",
    "ObjectReference",
    "PersistentVolumeClaimTemplate",
    "PersistentVolumeClaimVolumeSource",
    "PhotonPersistentDiskVolumeSource",
    "Pod",
    "PodAffinity",
    "PodAffinityTerm",
    "PodAntiAffinity",
    "PodCondition",
    "PodDNSConfig",
    "PodDNSConfigOption",
    "PodIP",
    "PodList",
    "PodOS",
    "PodReadinessGate",
    "PodResourceClaim",
    "PodResourceClaimStatus",
    "PodSchedulingGate",
    "PodSecurityContext",
    "PodSpec",
    "PodStatus",
    "PodTemplate",
    "PodTemplateList",
    "PodTemplateSpec",
    "PortworxVolumeSource",
    "PreferredSchedulingTerm",
    "Probe",
    "ProbeHandler",
    "ProjectedVolumeSource",
    "QuobyteVolumeSource",
    "RBDVolumeSource",
    "ResourceClaim",
    "ResourceFieldSelector",
    "ResourceHealth",
    "ResourceRequirements",
    "ResourceStatus",
    "SELinuxOptions",
    "ScaleIOVolumeSource",
    "SeccompProfile",
    "SecretEnvSource",
    "SecretKeySelector",
    "SecretProjection",
    "SecretVolumeSource",
    "SecurityContext",
    "ServiceAccountTokenProjection",
    "SleepAction",
    "StorageOSVolumeSource",
    "Sysctl",
    "TCPSocketAction",
    "Toleration",
    "TopologySpreadConstraint",
    "TypedLocalObjectReference",
    "Volume",
    "VolumeDevice",
    "VolumeMount",
    "VolumeMountStatus",
    "VolumeProjection",
    "VolumeSource",
    "VsphereVirtualDiskVolumeSource",
    "WeightedPodAffinityTerm",
    "WindowsSecurityContextOptions",
]


_KINDS = Kinds("io.k8s.api.core.v1.", "", "v1", TYPE_META_GO)


# -- References and selectors ---------------------------------------------------

ObjectReference = Object(
    "io.k8s.api.core.v1.ObjectReference",
    "ObjectReference contains enough information to let you inspect or modify the referred object.",
    [
        Field("kind", 1, STRING, "Kind of the referent."),
        Field("namespace", 2, STRING, "Namespace of the referent."),
        Field("name", 3, STRING, "Name of the referent."),
        Field("uid", 4, STRING, "UID of the referent."),
        Field("apiVersion", 5, STRING, "API version of the referent."),
        Field(
            "resourceVersion",
            6,
            STRING,
            "Specific resourceVersion to which this reference is made, if any.",
        ),
        Field(
            "fieldPath",
            7,
            STRING,
            "If referring to a piece of an object instead of an entire object, this string should "
            "contain a valid JSON/Go field access statement.",
        ),
    ],
    atomic=True,
)

LocalObjectReference = Object(
    "io.k8s.api.core.v1.LocalObjectReference",
    "LocalObjectReference contains enough information to let you locate the referenced object "
    "inside the same namespace.",
    [
        Field("name", 1, STRING, "Name of the referent."),
    ],
    atomic=True,
)

TypedLocalObjectReference = Object(
    "io.k8s.api.core.v1.TypedLocalObjectReference",
    "TypedLocalObjectReference contains enough information to let you locate the typed referenced "
    "object inside the same namespace.",
    [
        Field("apiGroup", 1, STRING, "APIGroup is the group for the resource being referenced."),
        Field("kind", 2, STRING, "Kind is the type of resource being referenced.", required=True),
        Field("name", 3, STRING, "Name is the name of resource being referenced.", required=True),
    ],
    atomic=True,
)

ObjectFieldSelector = Object(
    "io.k8s.api.core.v1.ObjectFieldSelector",
    "ObjectFieldSelector selects an APIVersioned field of an object.",
    [
        Field(
            "apiVersion",
            1,
            STRING,
            'Version of the schema the FieldPath is written in terms of, defaults to "v1".',
        ),
        Field(
            "fieldPath",
            2,
            STRING,
            "Path of the field to select in the specified API version.",
            required=True,
        ),
    ],
    atomic=True,
)

ResourceFieldSelector = Object(
    "io.k8s.api.core.v1.ResourceFieldSelector",
    "ResourceFieldSelector represents container resources (cpu, memory) and their output format.",
    [
        Field(
            "containerName",
            1,
            STRING,
            "Container name: required for volumes, optional for env vars.",
        ),
        Field("resource", 2, STRING, "Required: resource to select.", required=True),
        Field(
            "divisor",
            3,
            QUANTITY,
            'Specifies the output format of the exposed resources, defaults to "1".',
        ),
    ],
    atomic=True,
)

ConfigMapKeySelector = Object(
    "io.k8s.api.core.v1.ConfigMapKeySelector",
    "Selects a key from a ConfigMap.",
    [
        Field("name", 0, STRING, "Name of the referent."),
        Field("key", 2, STRING, "The key to select.", required=True),
        Field("optional", 3, BOOL, "Specify whether the ConfigMap or its key must be defined."),
    ],
    embedded=[Embedded(1, LocalObjectReference, "localObjectReference")],
    atomic=True,
)

SecretKeySelector = Object(
    "io.k8s.api.core.v1.SecretKeySelector",
    "SecretKeySelector selects a key of a Secret.",
    [
        Field("name", 0, STRING, "Name of the referent."),
        Field("key", 2, STRING, "The key of the secret to select from.", required=True),
        Field("optional", 3, BOOL, "Specify whether the Secret or its key must be defined."),
    ],
    embedded=[Embedded(1, LocalObjectReference, "localObjectReference")],
    atomic=True,
)

# -- Volumes: every VolumeSource and what they embed ----------------------------

KeyToPath = Object(
    "io.k8s.api.core.v1.KeyToPath",
    "Maps a string key to a path within a volume.",
    [
        Field("key", 1, STRING, "Key is the key to project.", required=True),
        Field(
            "path",
            2,
            STRING,
            "Path is the relative path of the file to map the key to.",
            required=True,
        ),
        Field(
            "mode", 3, INT32, "Mode is Optional: mode bits used to set permissions on this file."
        ),
    ],
)

AWSElasticBlockStoreVolumeSource = Object(
    "io.k8s.api.core.v1.AWSElasticBlockStoreVolumeSource",
    "Represents a Persistent Disk resource in AWS.",
    [
        Field(
            "volumeID",
            1,
            STRING,
            "VolumeID is unique ID of the persistent disk resource in AWS (Amazon EBS volume).",
            required=True,
        ),
        Field(
            "fsType",
            2,
            STRING,
            "FsType is the filesystem type of the volume that you want to mount.",
        ),
        Field(
            "partition",
            3,
            INT32,
            "Partition is the partition in the volume that you want to mount.",
        ),
        Field(
            "readOnly",
            4,
            BOOL,
            "ReadOnly value true will force the readOnly setting in VolumeMounts.",
        ),
    ],
)

AzureDiskVolumeSource = Object(
    "io.k8s.api.core.v1.AzureDiskVolumeSource",
    "AzureDisk represents an Azure Data Disk mount on the host and bind mount to the pod.",
    [
        Field(
            "diskName",
            1,
            STRING,
            "DiskName is the Name of the data disk in the blob storage.",
            required=True,
        ),
        Field(
            "diskURI",
            2,
            STRING,
            "DiskURI is the URI of data disk in the blob storage.",
            required=True,
        ),
        Field(
            "cachingMode",
            3,
            STRING,
            "CachingMode is the Host Caching mode: None, Read Only, Read Write.",
        ),
        Field("fsType", 4, STRING, "FsType is Filesystem type to mount."),
        Field("readOnly", 5, BOOL, "ReadOnly Defaults to false (read/write)."),
        Field(
            "kind",
            6,
            STRING,
            "Kind is Shared (blob disks per storage account), Dedicated (one per storage account) "
            "or Managed; defaults to Shared.",
        ),
    ],
)

AzureFileVolumeSource = Object(
    "io.k8s.api.core.v1.AzureFileVolumeSource",
    "AzureFile represents an Azure File Service mount on the host and bind mount to the pod.",
    [
        Field(
            "secretName",
            1,
            STRING,
            "SecretName is the name of secret that contains Azure Storage Account Name and Key.",
            required=True,
        ),
        Field("shareName", 2, STRING, "ShareName is the azure share Name.", required=True),
        Field("readOnly", 3, BOOL, "ReadOnly defaults to false (read/write)."),
    ],
)

CephFSVolumeSource = Object(
    "io.k8s.api.core.v1.CephFSVolumeSource",
    "Represents a Ceph Filesystem mount that lasts the lifetime of a pod.",
    [
        Field(
            "monitors",
            1,
            ListOf(STRING),
            "Monitors is a collection of Ceph monitors.",
            required=True,
            list_type="atomic",
        ),
        Field(
            "path",
            2,
            STRING,
            "Path is used as the mounted root, rather than the full Ceph tree; default is /.",
        ),
        Field(
            "user", 3, STRING, "User is optional: User is the rados user name, default is admin."
        ),
        Field(
            "secretFile",
            4,
            STRING,
            "SecretFile is Optional: SecretFile is the path to key ring for User, default is "
            "/etc/ceph/user.secret.",
        ),
        Field(
            "secretRef",
            5,
            LocalObjectReference,
            "SecretRef is Optional: SecretRef is reference to the authentication secret for User, "
            "default is empty.",
        ),
        Field("readOnly", 6, BOOL, "ReadOnly is Optional: Defaults to false (read/write)."),
    ],
)

CinderVolumeSource = Object(
    "io.k8s.api.core.v1.CinderVolumeSource",
    "Represents a cinder volume resource in Openstack.",
    [
        Field(
            "volumeID", 1, STRING, "VolumeID used to identify the volume in cinder.", required=True
        ),
        Field("fsType", 2, STRING, "FsType is the filesystem type to mount."),
        Field("readOnly", 3, BOOL, "ReadOnly defaults to false (read/write)."),
        Field(
            "secretRef",
            4,
            LocalObjectReference,
            "SecretRef is optional: points to a secret object containing parameters used to "
            "connect to OpenStack.",
        ),
    ],
)

ConfigMapVolumeSource = Object(
    "io.k8s.api.core.v1.ConfigMapVolumeSource",
    "Adapts a ConfigMap into a volume.",
    [
        Field("name", 0, STRING, "Name of the referent."),
        Field(
            "items",
            2,
            ListOf(KeyToPath),
            "Items maps keys of the ConfigMap to paths; if unspecified, every key is projected as "
            "a file named after it.",
            list_type="atomic",
        ),
        Field(
            "defaultMode",
            3,
            INT32,
            "DefaultMode is optional: mode bits used to set permissions on created files by "
            "default.",
        ),
        Field(
            "optional",
            4,
            BOOL,
            "Optional specify whether the ConfigMap or its keys must be defined.",
        ),
    ],
    embedded=[Embedded(1, LocalObjectReference, "localObjectReference")],
)

CSIVolumeSource = Object(
    "io.k8s.api.core.v1.CSIVolumeSource",
    "Represents a source location of a volume to mount, managed by an external CSI driver.",
    [
        Field(
            "driver",
            1,
            STRING,
            "Driver is the name of the CSI driver that handles this volume.",
            required=True,
        ),
        Field("readOnly", 2, BOOL, "ReadOnly specifies a read-only configuration for the volume."),
        Field("fsType", 3, STRING, "FsType to mount."),
        Field(
            "volumeAttributes",
            4,
            MapOf(STRING),
            "VolumeAttributes stores driver-specific properties that are passed to the CSI driver.",
        ),
        Field(
            "nodePublishSecretRef",
            5,
            LocalObjectReference,
            "NodePublishSecretRef is a reference to the secret passed to the CSI "
            "NodePublishVolume and NodeUnpublishVolume calls.",
        ),
    ],
)

DownwardAPIVolumeFile = Object(
    "io.k8s.api.core.v1.DownwardAPIVolumeFile",
    "DownwardAPIVolumeFile represents information to create the file containing the pod field.",
    [
        Field(
            "path",
            1,
            STRING,
            "Required: Path is the relative path name of the file to be created.",
            required=True,
        ),
        Field(
            "fieldRef",
            2,
            ObjectFieldSelector,
            "Required: Selects a field of the pod: only annotations, labels, name, namespace and "
            "uid are supported.",
        ),
        Field(
            "resourceFieldRef",
            3,
            ResourceFieldSelector,
            "Selects a resource of the container: only resources limits and requests (limits.cpu, "
            "limits.memory.",
        ),
        Field(
            "mode",
            4,
            INT32,
            "Optional: mode bits used to set permissions on this file, must be an octal value "
            "between 0000 and 0777 or a decimal value between 0 and 511.",
        ),
    ],
)

DownwardAPIVolumeSource = Object(
    "io.k8s.api.core.v1.DownwardAPIVolumeSource",
    "DownwardAPIVolumeSource represents a volume containing downward API info.",
    [
        Field(
            "items",
            1,
            ListOf(DownwardAPIVolumeFile),
            "Items is a list of downward API volume file.",
            list_type="atomic",
        ),
        Field("defaultMode", 2, INT32, "Optional: mode bits to use on created files by default."),
    ],
)

EmptyDirVolumeSource = Object(
    "io.k8s.api.core.v1.EmptyDirVolumeSource",
    "Represents an empty directory for a pod.",
    [
        Field(
            "medium",
            1,
            STRING,
            "Medium represents what type of storage medium should back this directory.",
        ),
        Field(
            "sizeLimit",
            2,
            QUANTITY,
            "SizeLimit is the total amount of local storage required for this EmptyDir volume.",
        ),
    ],
)

PersistentVolumeClaimTemplate = Object(
    "io.k8s.api.core.v1.PersistentVolumeClaimTemplate",
    "PersistentVolumeClaimTemplate is used to produce PersistentVolumeClaim objects as part of an "
    "EphemeralVolumeSource.",
    [
        Field(
            "metadata",
            1,
            ObjectMeta,
            "May contain labels and annotations that will be copied into the PVC when creating it.",
        ),
        Field(
            "spec",
            2,
            Ref("io.k8s.api.core.v1.PersistentVolumeClaimSpec"),
            "The specification for the PersistentVolumeClaim.",
            required=True,
        ),
    ],
)

EphemeralVolumeSource = Object(
    "io.k8s.api.core.v1.EphemeralVolumeSource",
    "Represents an ephemeral volume that is handled by a normal storage driver.",
    [
        Field(
            "volumeClaimTemplate",
            1,
            PersistentVolumeClaimTemplate,
            "Will be used to create a stand-alone PVC to provision the volume.",
        ),
    ],
)

FCVolumeSource = Object(
    "io.k8s.api.core.v1.FCVolumeSource",
    "Represents a Fibre Channel volume.",
    [
        Field(
            "targetWWNs",
            1,
            ListOf(STRING),
            "TargetWWNs is Optional: FC target worldwide names (WWNs).",
            list_type="atomic",
        ),
        Field("lun", 2, INT32, "Lun is Optional: FC target lun number."),
        Field("fsType", 3, STRING, "FsType is the filesystem type to mount."),
        Field("readOnly", 4, BOOL, "ReadOnly is Optional: Defaults to false (read/write)."),
        Field(
            "wwids",
            5,
            ListOf(STRING),
            "Wwids are the FC volume world wide identifiers; set either wwids or targetWWNs and "
            "lun, not both.",
            list_type="atomic",
        ),
    ],
)

FlexVolumeSource = Object(
    "io.k8s.api.core.v1.FlexVolumeSource",
    "FlexVolume represents a generic volume resource that is provisioned/attached using an exec "
    "based plugin.",
    [
        Field(
            "driver",
            1,
            STRING,
            "Driver is the name of the driver to use for this volume.",
            required=True,
        ),
        Field("fsType", 2, STRING, "FsType is the filesystem type to mount."),
        Field(
            "secretRef",
            3,
            LocalObjectReference,
            "SecretRef is a reference to the secret object containing sensitive information to "
            "pass to the plugin scripts.",
        ),
        Field("readOnly", 4, BOOL, "ReadOnly is Optional: defaults to false (read/write)."),
        Field(
            "options",
            5,
            MapOf(STRING),
            "Options is Optional: this field holds extra command options if any.",
        ),
    ],
)

FlockerVolumeSource = Object(
    "io.k8s.api.core.v1.FlockerVolumeSource",
    "Represents a Flocker volume mounted by the Flocker agent.",
    [
        Field(
            "datasetName",
            1,
            STRING,
            "DatasetName is the name of the dataset stored as metadata on the dataset for Flocker "
            "(deprecated).",
        ),
        Field("datasetUUID", 2, STRING, "DatasetUUID is the UUID of the dataset."),
    ],
)

GCEPersistentDiskVolumeSource = Object(
    "io.k8s.api.core.v1.GCEPersistentDiskVolumeSource",
    "Represents a Persistent Disk resource in Google Compute Engine.",
    [
        Field(
            "pdName", 1, STRING, "PdName is unique name of the PD resource in GCE.", required=True
        ),
        Field(
            "fsType", 2, STRING, "FsType is filesystem type of the volume that you want to mount."
        ),
        Field(
            "partition",
            3,
            INT32,
            "Partition is the partition in the volume that you want to mount.",
        ),
        Field(
            "readOnly", 4, BOOL, "ReadOnly here will force the ReadOnly setting in VolumeMounts."
        ),
    ],
)

GitRepoVolumeSource = Object(
    "io.k8s.api.core.v1.GitRepoVolumeSource",
    "Represents a volume that is populated with the contents of a git repository.",
    [
        Field("repository", 1, STRING, "Repository is the URL.", required=True),
        Field("revision", 2, STRING, "Revision is the commit hash for the specified revision."),
        Field("directory", 3, STRING, "Directory is the target directory name."),
    ],
)

GlusterfsVolumeSource = Object(
    "io.k8s.api.core.v1.GlusterfsVolumeSource",
    "Represents a Glusterfs mount that lasts the lifetime of a pod.",
    [
        Field(
            "endpoints",
            1,
            STRING,
            "Endpoints is the endpoint name that details Glusterfs topology.",
            required=True,
        ),
        Field("path", 2, STRING, "Path is the Glusterfs volume path.", required=True),
        Field(
            "readOnly",
            3,
            BOOL,
            "ReadOnly here will force the Glusterfs volume to be mounted with read-only "
            "permissions.",
        ),
    ],
)

HostPathVolumeSource = Object(
    "io.k8s.api.core.v1.HostPathVolumeSource",
    "Represents a host path mapped into a pod.",
    [
        Field("path", 1, STRING, "Path of the directory on the host.", required=True),
        Field(
            "type",
            2,
            STRING,
            'Type for HostPath Volume; defaults to "".',
            enum=(
                "",
                "BlockDevice",
                "CharDevice",
                "Directory",
                "DirectoryOrCreate",
                "File",
                "FileOrCreate",
                "Socket",
            ),
        ),
    ],
)

ImageVolumeSource = Object(
    "io.k8s.api.core.v1.ImageVolumeSource",
    "ImageVolumeSource represents a image volume resource.",
    [
        Field("reference", 1, STRING, "Required: Image or artifact reference to be used."),
        Field("pullPolicy", 2, STRING, "Policy for pulling OCI objects."),
    ],
)

ISCSIVolumeSource = Object(
    "io.k8s.api.core.v1.ISCSIVolumeSource",
    "Represents an ISCSI disk.",
    [
        Field("targetPortal", 1, STRING, "TargetPortal is iSCSI Target Portal.", required=True),
        Field("iqn", 2, STRING, "Iqn is the target iSCSI Qualified Name.", required=True),
        Field("lun", 3, INT32, "Lun represents iSCSI Target Lun number.", required=True),
        Field(
            "iscsiInterface",
            4,
            STRING,
            "IscsiInterface is the interface Name that uses an iSCSI transport.",
        ),
        Field(
            "fsType",
            5,
            STRING,
            "FsType is the filesystem type of the volume that you want to mount.",
        ),
        Field(
            "readOnly", 6, BOOL, "ReadOnly here will force the ReadOnly setting in VolumeMounts."
        ),
        Field(
            "portals",
            7,
            ListOf(STRING),
            "Portals is the iSCSI Target Portal List.",
            list_type="atomic",
        ),
        Field(
            "chapAuthDiscovery",
            8,
            BOOL,
            "ChapAuthDiscovery defines whether support iSCSI Discovery CHAP authentication.",
        ),
        Field(
            "chapAuthSession",
            11,
            BOOL,
            "ChapAuthSession defines whether support iSCSI Session CHAP authentication.",
        ),
        Field(
            "secretRef",
            10,
            LocalObjectReference,
            "SecretRef is the CHAP Secret for iSCSI target and initiator authentication.",
        ),
        Field("initiatorName", 12, STRING, "InitiatorName is the custom iSCSI Initiator Name."),
    ],
)

NFSVolumeSource = Object(
    "io.k8s.api.core.v1.NFSVolumeSource",
    "Represents an NFS mount that lasts the lifetime of a pod.",
    [
        Field(
            "server",
            1,
            STRING,
            "Server is the hostname or IP address of the NFS server.",
            required=True,
        ),
        Field("path", 2, STRING, "Path that is exported by the NFS server.", required=True),
        Field(
            "readOnly",
            3,
            BOOL,
            "ReadOnly here will force the NFS export to be mounted with read-only permissions.",
        ),
    ],
)

PersistentVolumeClaimVolumeSource = Object(
    "io.k8s.api.core.v1.PersistentVolumeClaimVolumeSource",
    "PersistentVolumeClaimVolumeSource references the user's PVC in the same namespace.",
    [
        Field(
            "claimName",
            1,
            STRING,
            "ClaimName is the name of a PersistentVolumeClaim in the same namespace as the pod "
            "using this volume.",
            required=True,
        ),
        Field("readOnly", 2, BOOL, "ReadOnly Will force the ReadOnly setting in VolumeMounts."),
    ],
)

PhotonPersistentDiskVolumeSource = Object(
    "io.k8s.api.core.v1.PhotonPersistentDiskVolumeSource",
    "Represents a Photon Controller persistent disk resource.",
    [
        Field(
            "pdID",
            1,
            STRING,
            "PdID is the ID that identifies Photon Controller persistent disk.",
            required=True,
        ),
        Field("fsType", 2, STRING, "FsType is the filesystem type to mount."),
    ],
)

PortworxVolumeSource = Object(
    "io.k8s.api.core.v1.PortworxVolumeSource",
    "PortworxVolumeSource represents a Portworx volume resource.",
    [
        Field(
            "volumeID", 1, STRING, "VolumeID uniquely identifies a Portworx volume.", required=True
        ),
        Field("fsType", 2, STRING, "FSType represents the filesystem type to mount."),
        Field("readOnly", 3, BOOL, "ReadOnly defaults to false (read/write)."),
    ],
)

ClusterTrustBundleProjection = Object(
    "io.k8s.api.core.v1.ClusterTrustBundleProjection",
    "ClusterTrustBundleProjection describes how to select a set of ClusterTrustBundle objects and "
    "project their contents into the pod filesystem.",
    [
        Field("name", 1, STRING, "Select a single ClusterTrustBundle by object name."),
        Field(
            "signerName", 2, STRING, "Select all ClusterTrustBundles that match this signer name."
        ),
        Field(
            "labelSelector",
            3,
            LabelSelector,
            "Select all ClusterTrustBundles that match this label selector.",
        ),
        Field(
            "optional",
            5,
            BOOL,
            "If true, don't block pod startup if the referenced ClusterTrustBundle(s) aren't "
            "available.",
        ),
        Field(
            "path",
            4,
            STRING,
            "Relative path from the volume root to write the bundle.",
            required=True,
        ),
    ],
)

ConfigMapProjection = Object(
    "io.k8s.api.core.v1.ConfigMapProjection",
    "Adapts a ConfigMap into a projected volume.",
    [
        Field("name", 0, STRING, "Name of the referent."),
        Field(
            "items",
            2,
            ListOf(KeyToPath),
            "Items maps keys of the ConfigMap to paths; if unspecified, every key is projected as "
            "a file named after it.",
            list_type="atomic",
        ),
        Field(
            "optional",
            4,
            BOOL,
            "Optional specify whether the ConfigMap or its keys must be defined.",
        ),
    ],
    embedded=[Embedded(1, LocalObjectReference, "localObjectReference")],
)

DownwardAPIProjection = Object(
    "io.k8s.api.core.v1.DownwardAPIProjection",
    "Represents downward API info for projecting into a projected volume.",
    [
        Field(
            "items",
            1,
            ListOf(DownwardAPIVolumeFile),
            "Items is a list of DownwardAPIVolume file.",
            list_type="atomic",
        ),
    ],
)

SecretProjection = Object(
    "io.k8s.api.core.v1.SecretProjection",
    "Adapts a secret into a projected volume.",
    [
        Field("name", 0, STRING, "Name of the referent."),
        Field(
            "items",
            2,
            ListOf(KeyToPath),
            "Items maps keys of the Secret to paths; if unspecified, every key is projected as a "
            "file named after it.",
            list_type="atomic",
        ),
        Field(
            "optional",
            4,
            BOOL,
            "Optional field specify whether the Secret or its key must be defined.",
        ),
    ],
    embedded=[Embedded(1, LocalObjectReference, "localObjectReference")],
)

ServiceAccountTokenProjection = Object(
    "io.k8s.api.core.v1.ServiceAccountTokenProjection",
    "ServiceAccountTokenProjection represents a projected service account token volume.",
    [
        Field("audience", 1, STRING, "Audience is the intended audience of the token."),
        Field(
            "expirationSeconds",
            2,
            INT64,
            "ExpirationSeconds is the requested duration of validity of the service account token.",
        ),
        Field(
            "path",
            3,
            STRING,
            "Path is the path relative to the mount point of the file to project the token into.",
            required=True,
        ),
    ],
)

VolumeProjection = Object(
    "io.k8s.api.core.v1.VolumeProjection",
    "Projection that may be projected along with other supported volume types.",
    [
        Field(
            "secret", 1, SecretProjection, "Secret information about the secret data to project."
        ),
        Field(
            "downwardAPI",
            2,
            DownwardAPIProjection,
            "DownwardAPI information about the downwardAPI data to project.",
        ),
        Field(
            "configMap",
            3,
            ConfigMapProjection,
            "ConfigMap information about the configMap data to project.",
        ),
        Field(
            "serviceAccountToken",
            4,
            ServiceAccountTokenProjection,
            "ServiceAccountToken is information about the serviceAccountToken data to project.",
        ),
        Field(
            "clusterTrustBundle",
            5,
            ClusterTrustBundleProjection,
            "ClusterTrustBundle allows a pod to access the `.spec.trustBundle` field of "
            "ClusterTrustBundle objects in an auto-updating file.",
        ),
    ],
)

ProjectedVolumeSource = Object(
    "io.k8s.api.core.v1.ProjectedVolumeSource",
    "Represents a projected volume source.",
    [
        Field(
            "sources",
            1,
            ListOf(VolumeProjection),
            "Sources is the list of volume projections.",
            list_type="atomic",
        ),
        Field(
            "defaultMode",
            2,
            INT32,
            "DefaultMode are the mode bits used to set permissions on created files by default.",
        ),
    ],
)

QuobyteVolumeSource = Object(
    "io.k8s.api.core.v1.QuobyteVolumeSource",
    "Represents a Quobyte mount that lasts the lifetime of a pod.",
    [
        Field(
            "registry",
            1,
            STRING,
            "Registry represents a single or multiple Quobyte Registry services specified as a "
            "string as host:port pair.",
            required=True,
        ),
        Field(
            "volume",
            2,
            STRING,
            "Volume is a string that references an already created Quobyte volume by name.",
            required=True,
        ),
        Field(
            "readOnly",
            3,
            BOOL,
            "ReadOnly here will force the Quobyte volume to be mounted with read-only permissions.",
        ),
        Field(
            "user", 4, STRING, "User to map volume access to; defaults to the serviceaccount user."
        ),
        Field("group", 5, STRING, "Group to map volume access to; default is no group."),
        Field("tenant", 6, STRING, "Tenant owning the given Quobyte volume in the Backend."),
    ],
)

RBDVolumeSource = Object(
    "io.k8s.api.core.v1.RBDVolumeSource",
    "Represents a Rados Block Device mount that lasts the lifetime of a pod.",
    [
        Field(
            "monitors",
            1,
            ListOf(STRING),
            "Monitors is a collection of Ceph monitors.",
            required=True,
            list_type="atomic",
        ),
        Field("image", 2, STRING, "Image is the rados image name.", required=True),
        Field(
            "fsType",
            3,
            STRING,
            "FsType is the filesystem type of the volume that you want to mount.",
        ),
        Field("pool", 4, STRING, "Pool is the rados pool name."),
        Field("user", 5, STRING, "User is the rados user name."),
        Field("keyring", 6, STRING, "Keyring is the path to key ring for RBDUser."),
        Field(
            "secretRef",
            7,
            LocalObjectReference,
            "SecretRef is name of the authentication secret for RBDUser.",
        ),
        Field(
            "readOnly", 8, BOOL, "ReadOnly here will force the ReadOnly setting in VolumeMounts."
        ),
    ],
)

ScaleIOVolumeSource = Object(
    "io.k8s.api.core.v1.ScaleIOVolumeSource",
    "ScaleIOVolumeSource represents a persistent ScaleIO volume.",
    [
        Field(
            "gateway",
            1,
            STRING,
            "Gateway is the host address of the ScaleIO API Gateway.",
            required=True,
        ),
        Field(
            "system",
            2,
            STRING,
            "System is the name of the storage system as configured in ScaleIO.",
            required=True,
        ),
        Field(
            "secretRef",
            3,
            LocalObjectReference,
            "SecretRef references to the secret for ScaleIO user and other sensitive information.",
            required=True,
        ),
        Field(
            "sslEnabled",
            4,
            BOOL,
            "SslEnabled Flag enable/disable SSL communication with Gateway, default false.",
        ),
        Field(
            "protectionDomain",
            5,
            STRING,
            "ProtectionDomain is the name of the ScaleIO Protection Domain for the configured "
            "storage.",
        ),
        Field(
            "storagePool",
            6,
            STRING,
            "StoragePool is the ScaleIO Storage Pool associated with the protection domain.",
        ),
        Field(
            "storageMode",
            7,
            STRING,
            "StorageMode indicates whether the storage for a volume should be ThickProvisioned or "
            "ThinProvisioned.",
        ),
        Field(
            "volumeName",
            8,
            STRING,
            "VolumeName is the name of a volume already created in the ScaleIO system that is "
            "associated with this volume source.",
        ),
        Field("fsType", 9, STRING, "FsType is the filesystem type to mount."),
        Field("readOnly", 10, BOOL, "ReadOnly Defaults to false (read/write)."),
    ],
)

SecretVolumeSource = Object(
    "io.k8s.api.core.v1.SecretVolumeSource",
    "Adapts a Secret into a volume.",
    [
        Field(
            "secretName",
            1,
            STRING,
            "SecretName is the name of the secret in the pod's namespace to use.",
        ),
        Field(
            "items",
            2,
            ListOf(KeyToPath),
            "Items maps keys of the Secret to paths; if unspecified, every key is projected as a "
            "file named after it.",
            list_type="atomic",
        ),
        Field(
            "defaultMode",
            3,
            INT32,
            "DefaultMode is Optional: mode bits used to set permissions on created files by "
            "default.",
        ),
        Field(
            "optional",
            4,
            BOOL,
            "Optional field specify whether the Secret or its keys must be defined.",
        ),
    ],
)

StorageOSVolumeSource = Object(
    "io.k8s.api.core.v1.StorageOSVolumeSource",
    "Represents a StorageOS persistent volume resource.",
    [
        Field(
            "volumeName",
            1,
            STRING,
            "VolumeName is the human-readable name of the StorageOS volume.",
        ),
        Field(
            "volumeNamespace",
            2,
            STRING,
            "VolumeNamespace specifies the scope of the volume within StorageOS.",
        ),
        Field("fsType", 3, STRING, "FsType is the filesystem type to mount."),
        Field("readOnly", 4, BOOL, "ReadOnly defaults to false (read/write)."),
        Field(
            "secretRef",
            5,
            LocalObjectReference,
            "SecretRef specifies the secret to use for obtaining the StorageOS API credentials.",
        ),
    ],
)

VsphereVirtualDiskVolumeSource = Object(
    "io.k8s.api.core.v1.VsphereVirtualDiskVolumeSource",
    "Represents a vSphere volume resource.",
    [
        Field(
            "volumePath",
            1,
            STRING,
            "VolumePath is the path that identifies vSphere volume vmdk.",
            required=True,
        ),
        Field("fsType", 2, STRING, "FsType is filesystem type to mount."),
        Field(
            "storagePolicyName",
            3,
            STRING,
            "StoragePolicyName is the storage Policy Based Management (SPBM) profile name.",
        ),
        Field(
            "storagePolicyID",
            4,
            STRING,
            "StoragePolicyID is the storage Policy Based Management (SPBM) profile ID associated "
            "with the StoragePolicyName.",
        ),
    ],
)

VolumeSource = Object(
    "io.k8s.api.core.v1.VolumeSource",
    "Represents the source of a volume to mount.",
    [
        Field(
            "hostPath",
            1,
            HostPathVolumeSource,
            "HostPath represents a pre-existing file or directory on the host machine that is "
            "directly exposed to the container.",
        ),
        Field(
            "emptyDir",
            2,
            EmptyDirVolumeSource,
            "EmptyDir represents a temporary directory that shares a pod's lifetime.",
        ),
        Field(
            "gcePersistentDisk",
            3,
            GCEPersistentDiskVolumeSource,
            "GcePersistentDisk represents a GCE Disk resource that is attached to a kubelet's "
            "host machine and then exposed to the pod.",
        ),
        Field(
            "awsElasticBlockStore",
            4,
            AWSElasticBlockStoreVolumeSource,
            "AwsElasticBlockStore represents an AWS Disk resource that is attached to a kubelet's "
            "host machine and then exposed to the pod.",
        ),
        Field(
            "gitRepo",
            5,
            GitRepoVolumeSource,
            "GitRepo represents a git repository at a particular revision.",
        ),
        Field(
            "secret",
            6,
            SecretVolumeSource,
            "Secret represents a secret that should populate this volume.",
        ),
        Field(
            "nfs",
            7,
            NFSVolumeSource,
            "Nfs represents an NFS mount on the host that shares a pod's lifetime.",
        ),
        Field(
            "iscsi",
            8,
            ISCSIVolumeSource,
            "Iscsi represents an ISCSI Disk resource that is attached to a kubelet's host machine "
            "and then exposed to the pod.",
        ),
        Field(
            "glusterfs",
            9,
            GlusterfsVolumeSource,
            "Glusterfs represents a Glusterfs mount on the host that shares a pod's lifetime.",
        ),
        Field(
            "persistentVolumeClaim",
            10,
            PersistentVolumeClaimVolumeSource,
            "PersistentVolumeClaimVolumeSource represents a reference to a PersistentVolumeClaim "
            "in the same namespace.",
        ),
        Field(
            "rbd",
            11,
            RBDVolumeSource,
            "Rbd represents a Rados Block Device mount on the host that shares a pod's lifetime.",
        ),
        Field(
            "flexVolume",
            12,
            FlexVolumeSource,
            "FlexVolume represents a generic volume resource that is provisioned/attached using "
            "an exec based plugin.",
        ),
        Field(
            "cinder",
            13,
            CinderVolumeSource,
            "Cinder represents a cinder volume attached and mounted on kubelets host machine.",
        ),
        Field(
            "cephfs",
            14,
            CephFSVolumeSource,
            "CephFS represents a Ceph FS mount on the host that shares a pod's lifetime.",
        ),
        Field(
            "flocker",
            15,
            FlockerVolumeSource,
            "Flocker represents a Flocker volume attached to a kubelet's host machine.",
        ),
        Field(
            "downwardAPI",
            16,
            DownwardAPIVolumeSource,
            "DownwardAPI represents downward API about the pod that should populate this volume.",
        ),
        Field(
            "fc",
            17,
            FCVolumeSource,
            "Fc represents a Fibre Channel resource that is attached to a kubelet's host machine "
            "and then exposed to the pod.",
        ),
        Field(
            "azureFile",
            18,
            AzureFileVolumeSource,
            "AzureFile represents an Azure File Service mount on the host and bind mount to the "
            "pod.",
        ),
        Field(
            "configMap",
            19,
            ConfigMapVolumeSource,
            "ConfigMap represents a configMap that should populate this volume.",
        ),
        Field(
            "vsphereVolume",
            20,
            VsphereVirtualDiskVolumeSource,
            "VsphereVolume represents a vSphere volume attached and mounted on kubelets host "
            "machine.",
        ),
        Field(
            "quobyte",
            21,
            QuobyteVolumeSource,
            "Quobyte represents a Quobyte mount on the host that shares a pod's lifetime.",
        ),
        Field(
            "azureDisk",
            22,
            AzureDiskVolumeSource,
            "AzureDisk represents an Azure Data Disk mount on the host and bind mount to the pod.",
        ),
        Field(
            "photonPersistentDisk",
            23,
            PhotonPersistentDiskVolumeSource,
            "PhotonPersistentDisk represents a PhotonController persistent disk attached and "
            "mounted on kubelets host machine.",
        ),
        Field(
            "projected",
            26,
            ProjectedVolumeSource,
            "Projected items for all in one resources secrets, configmaps, and downward API.",
        ),
        Field(
            "portworxVolume",
            24,
            PortworxVolumeSource,
            "PortworxVolume represents a portworx volume attached and mounted on kubelets host "
            "machine.",
        ),
        Field(
            "scaleIO",
            25,
            ScaleIOVolumeSource,
            "ScaleIO represents a ScaleIO persistent volume attached and mounted on Kubernetes "
            "nodes.",
        ),
        Field(
            "storageos",
            27,
            StorageOSVolumeSource,
            "StorageOS represents a StorageOS volume attached and mounted on Kubernetes nodes.",
        ),
        Field(
            "csi",
            28,
            CSIVolumeSource,
            "Csi (Container Storage Interface) represents ephemeral storage that is handled by "
            "certain external CSI drivers.",
        ),
        Field(
            "ephemeral",
            29,
            EphemeralVolumeSource,
            "Ephemeral represents a volume that is handled by a cluster storage driver.",
        ),
        Field(
            "image",
            30,
            ImageVolumeSource,
            "Image represents an OCI object (a container image or artifact) pulled and mounted on "
            "the kubelet's host machine.",
        ),
    ],
)

Volume = Object(
    "io.k8s.api.core.v1.Volume",
    "Volume represents a named volume in a pod that may be accessed by any container in the pod.",
    [
        Field("name", 1, STRING, "Name of the volume.", required=True),
        *inlined(VolumeSource),
    ],
    embedded=[Embedded(2, VolumeSource, "volumeSource")],
)

# -- Containers: environment, probes, lifecycle hooks, resources, security ------

EnvVarSource = Object(
    "io.k8s.api.core.v1.EnvVarSource",
    "EnvVarSource represents a source for the value of an EnvVar.",
    [
        Field(
            "fieldRef",
            1,
            ObjectFieldSelector,
            "Selects a field of the pod, such as metadata.name, spec.nodeName or status.podIP.",
        ),
        Field(
            "resourceFieldRef",
            2,
            ResourceFieldSelector,
            "Selects a resource of the container: only resources limits and requests are "
            "currently supported.",
        ),
        Field("configMapKeyRef", 3, ConfigMapKeySelector, "Selects a key of a ConfigMap."),
        Field(
            "secretKeyRef",
            4,
            SecretKeySelector,
            "Selects a key of a secret in the pod's namespace.",
        ),
    ],
)

EnvVar = Object(
    "io.k8s.api.core.v1.EnvVar",
    "EnvVar represents an environment variable present in a Container.",
    [
        Field("name", 1, STRING, "Name of the environment variable.", required=True),
        Field(
            "value",
            2,
            STRING,
            "Value of the variable; $(VAR_NAME) references are expanded using previously defined "
            "variables.",
        ),
        Field("valueFrom", 3, EnvVarSource, "Source for the environment variable's value."),
    ],
)

ConfigMapEnvSource = Object(
    "io.k8s.api.core.v1.ConfigMapEnvSource",
    "ConfigMapEnvSource selects a ConfigMap to populate the environment variables with.",
    [
        Field("name", 0, STRING, "Name of the referent."),
        Field("optional", 2, BOOL, "Specify whether the ConfigMap must be defined."),
    ],
    embedded=[Embedded(1, LocalObjectReference, "localObjectReference")],
)

SecretEnvSource = Object(
    "io.k8s.api.core.v1.SecretEnvSource",
    "SecretEnvSource selects a Secret to populate the environment variables with.",
    [
        Field("name", 0, STRING, "Name of the referent."),
        Field("optional", 2, BOOL, "Specify whether the Secret must be defined."),
    ],
    embedded=[Embedded(1, LocalObjectReference, "localObjectReference")],
)

EnvFromSource = Object(
    "io.k8s.api.core.v1.EnvFromSource",
    "EnvFromSource represents the source of a set of ConfigMaps or Secrets.",
    [
        Field(
            "prefix", 1, STRING, "An optional identifier to prepend to each key in the ConfigMap."
        ),
        Field("configMapRef", 2, ConfigMapEnvSource, "The ConfigMap to select from."),
        Field("secretRef", 3, SecretEnvSource, "The Secret to select from."),
    ],
)

ExecAction = Object(
    "io.k8s.api.core.v1.ExecAction",
    'ExecAction describes a "run in container" action.',
    [
        Field(
            "command",
            1,
            ListOf(STRING),
            "Command is the command line to execute inside the container, the working directory "
            "for the command is root ('/') in the container's filesystem.",
            list_type="atomic",
        ),
    ],
)

HTTPHeader = Object(
    "io.k8s.api.core.v1.HTTPHeader",
    "HTTPHeader describes a custom header to be used in HTTP probes.",
    [
        Field("name", 1, STRING, "The header field name.", required=True),
        Field("value", 2, STRING, "The header field value.", required=True),
    ],
)

HTTPGetAction = Object(
    "io.k8s.api.core.v1.HTTPGetAction",
    "HTTPGetAction describes an action based on HTTP Get requests.",
    [
        Field("path", 1, STRING, "Path to access on the HTTP server."),
        Field(
            "port",
            2,
            INT_OR_STRING,
            "Name or number of the port to access on the container.",
            required=True,
        ),
        Field("host", 3, STRING, "Host name to connect to, defaults to the pod IP."),
        Field(
            "scheme", 4, STRING, "Scheme to use for connecting to the host.", enum=("HTTP", "HTTPS")
        ),
        Field(
            "httpHeaders",
            5,
            ListOf(HTTPHeader),
            "Custom headers to set in the request.",
            list_type="atomic",
        ),
    ],
)

SleepAction = Object(
    "io.k8s.api.core.v1.SleepAction",
    'SleepAction describes a "sleep" action.',
    [
        Field("seconds", 1, INT64, "Seconds is the number of seconds to sleep.", required=True),
    ],
)

TCPSocketAction = Object(
    "io.k8s.api.core.v1.TCPSocketAction",
    "TCPSocketAction describes an action based on opening a socket.",
    [
        Field(
            "port",
            1,
            INT_OR_STRING,
            "Number or name of the port to access on the container.",
            required=True,
        ),
        Field("host", 2, STRING, "Optional: Host name to connect to, defaults to the pod IP."),
    ],
)

LifecycleHandler = Object(
    "io.k8s.api.core.v1.LifecycleHandler",
    "LifecycleHandler defines a specific action that should be taken in a lifecycle hook.",
    [
        Field("exec", 1, ExecAction, "Exec specifies a command to execute in the container."),
        Field("httpGet", 2, HTTPGetAction, "HTTPGet specifies an HTTP GET request to perform."),
        Field(
            "tcpSocket",
            3,
            TCPSocketAction,
            "Deprecated: TCPSocket is not supported as a LifecycleHandler and kept for backward "
            "compatibility.",
        ),
        Field(
            "sleep", 4, SleepAction, "Sleep represents a duration that the container should sleep."
        ),
    ],
)

Lifecycle = Object(
    "io.k8s.api.core.v1.Lifecycle",
    "Lifecycle describes actions that the management system should take in response to container "
    "lifecycle events.",
    [
        Field(
            "postStart",
            1,
            LifecycleHandler,
            "PostStart is called immediately after a container is created.",
        ),
        Field(
            "preStop",
            2,
            LifecycleHandler,
            "PreStop is called immediately before a container is terminated due to an API request "
            "or management event such as liveness/startup probe failure.",
        ),
    ],
)

GRPCAction = Object(
    "io.k8s.api.core.v1.GRPCAction",
    "GRPCAction specifies an action involving a GRPC service.",
    [
        Field("port", 1, INT32, "Port number of the gRPC service.", required=True),
        Field(
            "service",
            2,
            STRING,
            "Service is the name of the service to place in the gRPC HealthCheckRequest.",
        ),
    ],
)

ProbeHandler = Object(
    "io.k8s.api.core.v1.ProbeHandler",
    "ProbeHandler defines a specific action that should be taken in a probe.",
    [
        Field("exec", 1, ExecAction, "Exec specifies a command to execute in the container."),
        Field("httpGet", 2, HTTPGetAction, "HTTPGet specifies an HTTP GET request to perform."),
        Field("tcpSocket", 3, TCPSocketAction, "TCPSocket specifies a connection to a TCP port."),
        Field("grpc", 4, GRPCAction, "GRPC specifies a GRPC HealthCheckRequest."),
    ],
)

Probe = Object(
    "io.k8s.api.core.v1.Probe",
    "Probe describes a health check to be performed against a container to determine whether it "
    "is alive or ready to receive traffic.",
    [
        *inlined(ProbeHandler),
        Field(
            "initialDelaySeconds",
            2,
            INT32,
            "Number of seconds after the container has started before liveness probes are "
            "initiated.",
        ),
        Field("timeoutSeconds", 3, INT32, "Number of seconds after which the probe times out."),
        Field("periodSeconds", 4, INT32, "How often (in seconds) to perform the probe."),
        Field(
            "successThreshold",
            5,
            INT32,
            "Minimum consecutive successes for the probe to be considered successful after having "
            "failed.",
        ),
        Field(
            "failureThreshold",
            6,
            INT32,
            "Minimum consecutive failures for the probe to be considered failed after having "
            "succeeded.",
        ),
        Field(
            "terminationGracePeriodSeconds",
            7,
            INT64,
            "Optional duration in seconds the pod needs to terminate gracefully upon probe "
            "failure.",
        ),
    ],
    embedded=[Embedded(1, ProbeHandler, "handler")],
)

ContainerPort = Object(
    "io.k8s.api.core.v1.ContainerPort",
    "ContainerPort represents a network port in a single container.",
    [
        Field(
            "name",
            1,
            STRING,
            "If specified, this must be an IANA_SVC_NAME and unique within the pod.",
        ),
        Field("hostPort", 2, INT32, "Number of port to expose on the host."),
        Field(
            "containerPort",
            3,
            INT32,
            "Number of port to expose on the pod's IP address.",
            required=True,
        ),
        Field(
            "protocol",
            4,
            STRING,
            "Protocol for port. Defaults to TCP.",
            enum=("SCTP", "TCP", "UDP"),
            default="TCP",
        ),
        Field("hostIP", 5, STRING, "What host IP to bind the external port to."),
    ],
)

ContainerResizePolicy = Object(
    "io.k8s.api.core.v1.ContainerResizePolicy",
    "ContainerResizePolicy represents resource resize policy for the container.",
    [
        Field(
            "resourceName",
            1,
            STRING,
            "Name of the resource to which this resource resize policy applies.",
            required=True,
        ),
        Field(
            "restartPolicy",
            2,
            STRING,
            "Restart policy to apply when specified resource is resized.",
            required=True,
            enum=("NotRequired", "RestartContainer"),
        ),
    ],
)

ResourceClaim = Object(
    "io.k8s.api.core.v1.ResourceClaim",
    "ResourceClaim references one entry in PodSpec.ResourceClaims.",
    [
        Field(
            "name",
            1,
            STRING,
            "Name must match the name of one entry in pod.spec.resourceClaims of the Pod where "
            "this field is used.",
            required=True,
        ),
        Field(
            "request",
            2,
            STRING,
            "Request is the name chosen for a request in the referenced claim.",
        ),
    ],
)

ResourceRequirements = Object(
    "io.k8s.api.core.v1.ResourceRequirements",
    "ResourceRequirements describes the compute resource requirements.",
    [
        Field(
            "limits",
            1,
            MapOf(QUANTITY),
            "Limits describes the maximum amount of compute resources allowed.",
        ),
        Field(
            "requests",
            2,
            MapOf(QUANTITY),
            "Requests describes the minimum amount of compute resources required.",
        ),
        Field(
            "claims",
            3,
            ListOf(ResourceClaim),
            "Claims lists the names of resources, defined in spec.resourceClaims, that are used "
            "by this container.",
            list_type="map",
            list_map_keys=("name",),
        ),
    ],
)

AppArmorProfile = Object(
    "io.k8s.api.core.v1.AppArmorProfile",
    "AppArmorProfile defines a pod or container's AppArmor settings.",
    [
        Field(
            "type",
            1,
            STRING,
            "Type indicates which kind of AppArmor profile will be applied.",
            required=True,
            enum=("Localhost", "RuntimeDefault", "Unconfined"),
        ),
        Field(
            "localhostProfile",
            2,
            STRING,
            "LocalhostProfile indicates a profile loaded on the node that should be used.",
        ),
    ],
)

Capabilities = Object(
    "io.k8s.api.core.v1.Capabilities",
    "Adds and removes POSIX capabilities from running containers.",
    [
        Field("add", 1, ListOf(STRING), "Added capabilities.", list_type="atomic"),
        Field("drop", 2, ListOf(STRING), "Removed capabilities.", list_type="atomic"),
    ],
)

SELinuxOptions = Object(
    "io.k8s.api.core.v1.SELinuxOptions",
    "SELinuxOptions are the labels to be applied to the container.",
    [
        Field("user", 1, STRING, "User is a SELinux user label that applies to the container."),
        Field("role", 2, STRING, "Role is a SELinux role label that applies to the container."),
        Field("type", 3, STRING, "Type is a SELinux type label that applies to the container."),
        Field("level", 4, STRING, "Level is SELinux level label that applies to the container."),
    ],
)

SeccompProfile = Object(
    "io.k8s.api.core.v1.SeccompProfile",
    "SeccompProfile defines a pod/container's seccomp profile settings.",
    [
        Field(
            "type",
            1,
            STRING,
            "Type indicates which kind of seccomp profile will be applied.",
            required=True,
            enum=("Localhost", "RuntimeDefault", "Unconfined"),
        ),
        Field(
            "localhostProfile",
            2,
            STRING,
            "LocalhostProfile indicates a profile defined in a file on the node should be used.",
        ),
    ],
)

WindowsSecurityContextOptions = Object(
    "io.k8s.api.core.v1.WindowsSecurityContextOptions",
    "WindowsSecurityContextOptions contain Windows-specific options and credentials.",
    [
        Field(
            "gmsaCredentialSpecName",
            1,
            STRING,
            "GMSACredentialSpecName is the name of the GMSA credential spec to use.",
        ),
        Field(
            "gmsaCredentialSpec",
            2,
            STRING,
            "GMSACredentialSpec is where the GMSA admission webhook inlines the contents of the "
            "GMSA credential spec.",
        ),
        Field(
            "runAsUserName",
            3,
            STRING,
            "The UserName in Windows to run the entrypoint of the container process.",
        ),
        Field(
            "hostProcess",
            4,
            BOOL,
            "HostProcess determines if a container should be run as a 'Host Process' container.",
        ),
    ],
)

SecurityContext = Object(
    "io.k8s.api.core.v1.SecurityContext",
    "SecurityContext holds security configuration that will be applied to a container.",
    [
        Field(
            "capabilities", 1, Capabilities, "The capabilities to add/drop when running containers."
        ),
        Field("privileged", 2, BOOL, "Run container in privileged mode."),
        Field(
            "seLinuxOptions",
            3,
            SELinuxOptions,
            "The SELinux context to be applied to the container.",
        ),
        Field(
            "windowsOptions",
            10,
            WindowsSecurityContextOptions,
            "The Windows specific settings applied to all containers.",
        ),
        Field("runAsUser", 4, INT64, "The UID to run the entrypoint of the container process."),
        Field("runAsGroup", 8, INT64, "The GID to run the entrypoint of the container process."),
        Field("runAsNonRoot", 5, BOOL, "Indicates that the container must run as a non-root user."),
        Field(
            "readOnlyRootFilesystem",
            6,
            BOOL,
            "Whether this container has a read-only root filesystem.",
        ),
        Field(
            "allowPrivilegeEscalation",
            7,
            BOOL,
            "AllowPrivilegeEscalation controls whether a process can gain more privileges than "
            "its parent process.",
        ),
        Field(
            "procMount",
            9,
            STRING,
            "ProcMount denotes the type of proc mount to use for the containers.",
            enum=("Default", "Unmasked"),
        ),
        Field(
            "seccompProfile", 11, SeccompProfile, "The seccomp options to use by this container."
        ),
        Field(
            "appArmorProfile",
            12,
            AppArmorProfile,
            "AppArmorProfile is the AppArmor options to use by this container.",
        ),
    ],
)

VolumeDevice = Object(
    "io.k8s.api.core.v1.VolumeDevice",
    "VolumeDevice describes a mapping of a raw block device within a container.",
    [
        Field(
            "name",
            1,
            STRING,
            "Name must match the name of a persistentVolumeClaim in the pod.",
            required=True,
        ),
        Field(
            "devicePath",
            2,
            STRING,
            "DevicePath is the path inside of the container that the device will be mapped to.",
            required=True,
        ),
    ],
)

VolumeMount = Object(
    "io.k8s.api.core.v1.VolumeMount",
    "VolumeMount describes a mounting of a Volume within a container.",
    [
        Field("name", 1, STRING, "This must match the Name of a Volume.", required=True),
        Field(
            "readOnly",
            2,
            BOOL,
            "Mounted read-only if true, read-write otherwise (false or unspecified).",
        ),
        Field(
            "recursiveReadOnly",
            7,
            STRING,
            "RecursiveReadOnly specifies whether read-only mounts should be handled recursively.",
        ),
        Field(
            "mountPath",
            3,
            STRING,
            "Path within the container at which the volume should be mounted.",
            required=True,
        ),
        Field(
            "subPath",
            4,
            STRING,
            "Path within the volume from which the container's volume should be mounted.",
        ),
        Field(
            "mountPropagation",
            5,
            STRING,
            "MountPropagation determines how mounts are propagated from the host to container and "
            "the other way around.",
            enum=("Bidirectional", "HostToContainer", "None"),
        ),
        Field(
            "subPathExpr",
            6,
            STRING,
            "Expanded path within the volume from which the container's volume should be mounted.",
        ),
    ],
)

Container = Object(
    "io.k8s.api.core.v1.Container",
    "A single application container that you want to run within a pod.",
    [
        Field("name", 1, STRING, "Name of the container specified as a DNS_LABEL.", required=True),
        Field("image", 2, STRING, "Container image name."),
        Field("command", 3, ListOf(STRING), "Entrypoint array.", list_type="atomic"),
        Field("args", 4, ListOf(STRING), "Arguments to the entrypoint.", list_type="atomic"),
        Field("workingDir", 5, STRING, "Container's working directory."),
        Field(
            "ports",
            6,
            ListOf(ContainerPort),
            "List of ports to expose from the container.",
            patch_strategy="merge",
            patch_merge_key="containerPort",
            list_type="map",
            list_map_keys=("containerPort", "protocol"),
        ),
        Field(
            "envFrom",
            19,
            ListOf(EnvFromSource),
            "List of sources to populate environment variables in the container.",
            list_type="atomic",
        ),
        Field(
            "env",
            7,
            ListOf(EnvVar),
            "List of environment variables to set in the container.",
            patch_strategy="merge",
            patch_merge_key="name",
            list_type="map",
            list_map_keys=("name",),
        ),
        Field(
            "resources", 8, ResourceRequirements, "Compute Resources required by this container."
        ),
        Field(
            "resizePolicy",
            23,
            ListOf(ContainerResizePolicy),
            "Resources resize policy for the container.",
            list_type="atomic",
        ),
        Field(
            "restartPolicy",
            24,
            STRING,
            "RestartPolicy defines the restart behavior of individual containers in a pod.",
        ),
        Field(
            "volumeMounts",
            9,
            ListOf(VolumeMount),
            "Pod volumes to mount into the container's filesystem.",
            patch_strategy="merge",
            patch_merge_key="mountPath",
            list_type="map",
            list_map_keys=("mountPath",),
        ),
        Field(
            "volumeDevices",
            21,
            ListOf(VolumeDevice),
            "VolumeDevices is the list of block devices to be used by the container.",
            patch_strategy="merge",
            patch_merge_key="devicePath",
            list_type="map",
            list_map_keys=("devicePath",),
        ),
        Field("livenessProbe", 10, Probe, "Periodic probe of container liveness."),
        Field("readinessProbe", 11, Probe, "Periodic probe of container service readiness."),
        Field(
            "startupProbe",
            22,
            Probe,
            "StartupProbe indicates that the Pod has successfully initialized.",
        ),
        Field(
            "lifecycle",
            12,
            Lifecycle,
            "Actions that the management system should take in response to container lifecycle "
            "events.",
        ),
        Field(
            "terminationMessagePath",
            13,
            STRING,
            "Optional: Path at which the file to which the container's termination message will "
            "be written is mounted into the container's filesystem.",
        ),
        Field(
            "terminationMessagePolicy",
            20,
            STRING,
            "Indicate how the termination message should be populated.",
            enum=("FallbackToLogsOnError", "File"),
        ),
        Field(
            "imagePullPolicy",
            14,
            STRING,
            "Image pull policy.",
            enum=("Always", "IfNotPresent", "Never"),
        ),
        Field(
            "securityContext",
            15,
            SecurityContext,
            "SecurityContext defines the security options the container should be run with.",
        ),
        Field(
            "stdin",
            16,
            BOOL,
            "Whether this container should allocate a buffer for stdin in the container runtime.",
        ),
        Field(
            "stdinOnce",
            17,
            BOOL,
            "Whether the container runtime should close the stdin channel after it has been "
            "opened by a single attach.",
        ),
        Field(
            "tty",
            18,
            BOOL,
            "Whether this container should allocate a TTY for itself, also requires 'stdin' to be "
            "true.",
        ),
    ],
)

# Go's EphemeralContainerCommon is a copy of Container's fields, described for
# ephemeral containers where they differ.
_EPHEMERAL_DOCS = {
    "name": "Name of the ephemeral container specified as a DNS_LABEL.",
    "ports": "Ports are not allowed for ephemeral containers.",
    "resources": "Resources are not allowed for ephemeral containers.",
    "restartPolicy": "Restart policy for the container to manage the restart behavior of each "
    "container within a pod.",
    "livenessProbe": "Probes are not allowed for ephemeral containers.",
    "readinessProbe": "Probes are not allowed for ephemeral containers.",
    "startupProbe": "Probes are not allowed for ephemeral containers.",
    "lifecycle": "Lifecycle is not allowed for ephemeral containers.",
    "securityContext": "Optional: SecurityContext defines the security options the ephemeral "
    "container should be run with.",
}

EphemeralContainerCommon = Object(
    "io.k8s.api.core.v1.EphemeralContainerCommon",
    "The fields of Container that EphemeralContainer inlines.",
    [replace(f, doc=_EPHEMERAL_DOCS.get(f.json, f.doc)) for f in Container.fields],
)

EphemeralContainer = Object(
    "io.k8s.api.core.v1.EphemeralContainer",
    "An EphemeralContainer is a temporary container that you may add to an existing Pod for "
    "user-initiated activities such as debugging.",
    [
        *inlined(EphemeralContainerCommon),
        Field(
            "targetContainerName",
            2,
            STRING,
            "If set, the name of the container from PodSpec that this ephemeral container targets.",
        ),
    ],
    embedded=[Embedded(1, EphemeralContainerCommon, "ephemeralContainerCommon")],
)

# -- Scheduling: node and pod affinity, tolerations, topology spread ------------

NodeSelectorRequirement = Object(
    "io.k8s.api.core.v1.NodeSelectorRequirement",
    "A node selector requirement is a selector that contains values, a key, and an operator that "
    "relates the key and values.",
    [
        Field("key", 1, STRING, "The label key that the selector applies to.", required=True),
        Field(
            "operator",
            2,
            STRING,
            "Represents a key's relationship to a set of values.",
            required=True,
            enum=("DoesNotExist", "Exists", "Gt", "In", "Lt", "NotIn"),
        ),
        Field("values", 3, ListOf(STRING), "An array of string values.", list_type="atomic"),
    ],
)

NodeSelectorTerm = Object(
    "io.k8s.api.core.v1.NodeSelectorTerm",
    "A null or empty node selector term matches no objects.",
    [
        Field(
            "matchExpressions",
            1,
            ListOf(NodeSelectorRequirement),
            "A list of node selector requirements by node's labels.",
            list_type="atomic",
        ),
        Field(
            "matchFields",
            2,
            ListOf(NodeSelectorRequirement),
            "A list of node selector requirements by node's fields.",
            list_type="atomic",
        ),
    ],
    atomic=True,
)

PreferredSchedulingTerm = Object(
    "io.k8s.api.core.v1.PreferredSchedulingTerm",
    "An empty preferred scheduling term matches all objects with implicit weight 0 (i.e. it's a "
    "no-op).",
    [
        Field(
            "weight",
            1,
            INT32,
            "Weight associated with matching the corresponding nodeSelectorTerm, in the range "
            "1-100.",
            required=True,
        ),
        Field(
            "preference",
            2,
            NodeSelectorTerm,
            "A node selector term, associated with the corresponding weight.",
            required=True,
        ),
    ],
)

NodeSelector = Object(
    "io.k8s.api.core.v1.NodeSelector",
    "A node selector represents the union of the results of one or more label queries over a set "
    "of nodes.",
    [
        Field(
            "nodeSelectorTerms",
            1,
            ListOf(NodeSelectorTerm),
            "A list of node selector terms; the terms are ORed.",
            required=True,
            list_type="atomic",
        ),
    ],
    atomic=True,
)

NodeAffinity = Object(
    "io.k8s.api.core.v1.NodeAffinity",
    "Node affinity is a group of node affinity scheduling rules.",
    [
        Field(
            "requiredDuringSchedulingIgnoredDuringExecution",
            1,
            NodeSelector,
            "If the affinity requirements specified by this field are not met at scheduling time, "
            "the pod will not be scheduled onto the node.",
        ),
        Field(
            "preferredDuringSchedulingIgnoredDuringExecution",
            2,
            ListOf(PreferredSchedulingTerm),
            "The scheduler will prefer to schedule pods to nodes that satisfy the affinity "
            "expressions specified by this field.",
            list_type="atomic",
        ),
    ],
)

PodAffinityTerm = Object(
    "io.k8s.api.core.v1.PodAffinityTerm",
    "Defines a set of pods that this pod should be co-located (affinity) or not co-located "
    "(anti-affinity) with.",
    [
        Field(
            "labelSelector",
            1,
            LabelSelector,
            "A label query over a set of resources, in this case pods.",
        ),
        Field(
            "namespaces",
            2,
            ListOf(STRING),
            "Namespaces specifies a static list of namespace names that the term applies to.",
            list_type="atomic",
        ),
        Field(
            "topologyKey",
            3,
            STRING,
            "This pod should be co-located (affinity) or not co-located (anti-affinity) with the "
            "pods matching the labelSelector in the specified namespaces.",
            required=True,
        ),
        Field(
            "namespaceSelector",
            4,
            LabelSelector,
            "A label query over the set of namespaces that the term applies to.",
        ),
        Field(
            "matchLabelKeys",
            5,
            ListOf(STRING),
            "MatchLabelKeys is a set of pod label keys to select which pods will be taken into "
            "consideration.",
            list_type="atomic",
        ),
        Field(
            "mismatchLabelKeys",
            6,
            ListOf(STRING),
            "MismatchLabelKeys is a set of pod label keys to select which pods will be taken into "
            "consideration.",
            list_type="atomic",
        ),
    ],
)

WeightedPodAffinityTerm = Object(
    "io.k8s.api.core.v1.WeightedPodAffinityTerm",
    "The weights of all of the matched WeightedPodAffinityTerm fields are added per-node to find "
    "the most preferred node(s).",
    [
        Field(
            "weight",
            1,
            INT32,
            "Weight associated with matching the corresponding podAffinityTerm, in the range "
            "1-100.",
            required=True,
        ),
        Field(
            "podAffinityTerm",
            2,
            PodAffinityTerm,
            "A pod affinity term, associated with the corresponding weight.",
            required=True,
        ),
    ],
)

PodAffinity = Object(
    "io.k8s.api.core.v1.PodAffinity",
    "Pod affinity is a group of inter pod affinity scheduling rules.",
    [
        Field(
            "requiredDuringSchedulingIgnoredDuringExecution",
            1,
            ListOf(PodAffinityTerm),
            "If the affinity requirements specified by this field are not met at scheduling time, "
            "the pod will not be scheduled onto the node.",
            list_type="atomic",
        ),
        Field(
            "preferredDuringSchedulingIgnoredDuringExecution",
            2,
            ListOf(WeightedPodAffinityTerm),
            "The scheduler will prefer to schedule pods to nodes that satisfy the affinity "
            "expressions specified by this field.",
            list_type="atomic",
        ),
    ],
)

PodAntiAffinity = Object(
    "io.k8s.api.core.v1.PodAntiAffinity",
    "Pod anti affinity is a group of inter pod anti affinity scheduling rules.",
    [
        Field(
            "requiredDuringSchedulingIgnoredDuringExecution",
            1,
            ListOf(PodAffinityTerm),
            "If the anti-affinity requirements specified by this field are not met at scheduling "
            "time, the pod will not be scheduled onto the node.",
            list_type="atomic",
        ),
        Field(
            "preferredDuringSchedulingIgnoredDuringExecution",
            2,
            ListOf(WeightedPodAffinityTerm),
            "The scheduler will prefer to schedule pods to nodes that satisfy the anti-affinity "
            "expressions specified by this field.",
            list_type="atomic",
        ),
    ],
)

Affinity = Object(
    "io.k8s.api.core.v1.Affinity",
    "Affinity is a group of affinity scheduling rules.",
    [
        Field(
            "nodeAffinity", 1, NodeAffinity, "Describes node affinity scheduling rules for the pod."
        ),
        Field(
            "podAffinity",
            2,
            PodAffinity,
            "Describes pod affinity scheduling rules (e.g. co-locate this pod in the same node, "
            "zone, etc.",
        ),
        Field(
            "podAntiAffinity",
            3,
            PodAntiAffinity,
            "Describes pod anti-affinity scheduling rules (e.g. avoid putting this pod in the "
            "same node, zone, etc.",
        ),
    ],
)

Toleration = Object(
    "io.k8s.api.core.v1.Toleration",
    "The pod this Toleration is attached to tolerates any taint that matches the triple "
    "<key,value,effect> using the matching operator <operator>.",
    [
        Field("key", 1, STRING, "Key is the taint key that the toleration applies to."),
        Field(
            "operator",
            2,
            STRING,
            "Operator represents a key's relationship to the value.",
            enum=("Equal", "Exists"),
        ),
        Field("value", 3, STRING, "Value is the taint value the toleration matches to."),
        Field(
            "effect",
            4,
            STRING,
            "Effect indicates the taint effect to match.",
            enum=("NoExecute", "NoSchedule", "PreferNoSchedule"),
        ),
        Field(
            "tolerationSeconds",
            5,
            INT64,
            "TolerationSeconds represents the period of time the toleration (which must be of "
            "effect NoExecute.",
        ),
    ],
)

TopologySpreadConstraint = Object(
    "io.k8s.api.core.v1.TopologySpreadConstraint",
    "TopologySpreadConstraint specifies how to spread matching pods among the given topology.",
    [
        Field(
            "maxSkew",
            1,
            INT32,
            "MaxSkew describes the degree to which pods may be unevenly distributed.",
            required=True,
        ),
        Field("topologyKey", 2, STRING, "TopologyKey is the key of node labels.", required=True),
        Field(
            "whenUnsatisfiable",
            3,
            STRING,
            "WhenUnsatisfiable indicates how to deal with a pod if it doesn't satisfy the spread "
            "constraint.",
            required=True,
            enum=("DoNotSchedule", "ScheduleAnyway"),
        ),
        Field("labelSelector", 4, LabelSelector, "LabelSelector is used to find matching pods."),
        Field("minDomains", 5, INT32, "MinDomains indicates a minimum number of eligible domains."),
        Field(
            "nodeAffinityPolicy",
            6,
            STRING,
            "NodeAffinityPolicy indicates how we will treat Pod's nodeAffinity/nodeSelector when "
            "calculating pod topology spread skew.",
            enum=("Honor", "Ignore"),
        ),
        Field(
            "nodeTaintsPolicy",
            7,
            STRING,
            "NodeTaintsPolicy indicates how we will treat node taints when calculating pod "
            "topology spread skew.",
            enum=("Honor", "Ignore"),
        ),
        Field(
            "matchLabelKeys",
            8,
            ListOf(STRING),
            "MatchLabelKeys is a set of pod label keys to select the pods over which spreading "
            "will be calculated.",
            list_type="atomic",
        ),
    ],
)

# -- The rest of PodSpec --------------------------------------------------------

PodDNSConfigOption = Object(
    "io.k8s.api.core.v1.PodDNSConfigOption",
    "PodDNSConfigOption defines DNS resolver options of a pod.",
    [
        Field("name", 1, STRING, "Name is this DNS resolver option's name."),
        Field("value", 2, STRING, "Value is this DNS resolver option's value."),
    ],
)

PodDNSConfig = Object(
    "io.k8s.api.core.v1.PodDNSConfig",
    "PodDNSConfig defines the DNS parameters of a pod in addition to those generated from "
    "DNSPolicy.",
    [
        Field(
            "nameservers",
            1,
            ListOf(STRING),
            "A list of DNS name server IP addresses.",
            list_type="atomic",
        ),
        Field(
            "searches",
            2,
            ListOf(STRING),
            "A list of DNS search domains for host-name lookup.",
            list_type="atomic",
        ),
        Field(
            "options",
            3,
            ListOf(PodDNSConfigOption),
            "A list of DNS resolver options.",
            list_type="atomic",
        ),
    ],
)

HostAlias = Object(
    "io.k8s.api.core.v1.HostAlias",
    "HostAlias holds the mapping between IP and hostnames that will be injected as an entry in "
    "the pod's hosts file.",
    [
        Field("ip", 1, STRING, "IP address of the host file entry.", required=True),
        Field(
            "hostnames",
            2,
            ListOf(STRING),
            "Hostnames for the above IP address.",
            list_type="atomic",
        ),
    ],
)

PodOS = Object(
    "io.k8s.api.core.v1.PodOS",
    "PodOS defines the OS parameters of a pod.",
    [
        Field("name", 1, STRING, "Name is the name of the operating system.", required=True),
    ],
)

PodReadinessGate = Object(
    "io.k8s.api.core.v1.PodReadinessGate",
    "PodReadinessGate contains the reference to a pod condition.",
    [
        Field(
            "conditionType",
            1,
            STRING,
            "ConditionType refers to a condition in the pod's condition list with matching type.",
            required=True,
        ),
    ],
)

PodResourceClaim = Object(
    "io.k8s.api.core.v1.PodResourceClaim",
    "PodResourceClaim references exactly one ResourceClaim, either directly or by naming a "
    "ResourceClaimTemplate which is then turned into a ResourceClaim.",
    [
        Field(
            "name",
            1,
            STRING,
            "Name uniquely identifies this resource claim inside the pod.",
            required=True,
        ),
        Field(
            "resourceClaimName",
            3,
            STRING,
            "ResourceClaimName is the name of a ResourceClaim object in the same namespace as "
            "this pod.",
        ),
        Field(
            "resourceClaimTemplateName",
            4,
            STRING,
            "ResourceClaimTemplateName is the name of a ResourceClaimTemplate object in the same "
            "namespace as this pod.",
        ),
    ],
)

PodSchedulingGate = Object(
    "io.k8s.api.core.v1.PodSchedulingGate",
    "PodSchedulingGate is associated to a Pod to guard its scheduling.",
    [
        Field("name", 1, STRING, "Name of the scheduling gate.", required=True),
    ],
)

Sysctl = Object(
    "io.k8s.api.core.v1.Sysctl",
    "Sysctl defines a kernel parameter to be set.",
    [
        Field("name", 1, STRING, "Name of a property to set.", required=True),
        Field("value", 2, STRING, "Value of a property to set.", required=True),
    ],
)

PodSecurityContext = Object(
    "io.k8s.api.core.v1.PodSecurityContext",
    "PodSecurityContext holds pod-level security attributes and common container settings.",
    [
        Field(
            "seLinuxOptions",
            1,
            SELinuxOptions,
            "The SELinux context to be applied to all containers.",
        ),
        Field(
            "windowsOptions",
            8,
            WindowsSecurityContextOptions,
            "The Windows specific settings applied to all containers.",
        ),
        Field("runAsUser", 2, INT64, "The UID to run the entrypoint of the container process."),
        Field("runAsGroup", 6, INT64, "The GID to run the entrypoint of the container process."),
        Field("runAsNonRoot", 3, BOOL, "Indicates that the container must run as a non-root user."),
        Field(
            "supplementalGroups",
            4,
            ListOf(INT64),
            "A list of groups applied to the first process run in each container, in addition to "
            "the container's primary GID and fsGroup (if specified).",
            list_type="atomic",
        ),
        Field(
            "supplementalGroupsPolicy",
            12,
            STRING,
            "Defines how supplemental groups of the first container processes are calculated.",
            enum=("Merge", "Strict"),
        ),
        Field(
            "fsGroup",
            5,
            INT64,
            "A special supplemental group that applies to all containers in a pod.",
        ),
        Field(
            "sysctls",
            7,
            ListOf(Sysctl),
            "Sysctls hold a list of namespaced sysctls used for the pod.",
            list_type="atomic",
        ),
        Field(
            "fsGroupChangePolicy",
            9,
            STRING,
            "FsGroupChangePolicy defines behavior of changing ownership and permission of the "
            "volume before being exposed inside Pod.",
            enum=("Always", "OnRootMismatch"),
        ),
        Field(
            "seccompProfile",
            10,
            SeccompProfile,
            "The seccomp options to use by the containers in this pod.",
        ),
        Field(
            "appArmorProfile",
            11,
            AppArmorProfile,
            "AppArmorProfile is the AppArmor options to use by the containers in this pod.",
        ),
        Field(
            "seLinuxChangePolicy",
            13,
            STRING,
            "SeLinuxChangePolicy defines how the container's SELinux label is applied to all "
            "volumes used by the Pod.",
        ),
    ],
)

PodSpec = Object(
    "io.k8s.api.core.v1.PodSpec",
    "PodSpec is a description of a pod.",
    [
        Field(
            "volumes",
            1,
            ListOf(Volume),
            "List of volumes that can be mounted by containers belonging to the pod.",
            patch_strategy="merge,retainKeys",
            patch_merge_key="name",
            list_type="map",
            list_map_keys=("name",),
        ),
        Field(
            "initContainers",
            20,
            ListOf(Container),
            "List of initialization containers belonging to the pod.",
            patch_strategy="merge",
            patch_merge_key="name",
            list_type="map",
            list_map_keys=("name",),
        ),
        Field(
            "containers",
            2,
            ListOf(Container),
            "List of containers belonging to the pod.",
            required=True,
            patch_strategy="merge",
            patch_merge_key="name",
            list_type="map",
            list_map_keys=("name",),
        ),
        Field(
            "ephemeralContainers",
            34,
            ListOf(EphemeralContainer),
            "List of ephemeral containers run in this pod.",
            patch_strategy="merge",
            patch_merge_key="name",
            list_type="map",
            list_map_keys=("name",),
        ),
        Field(
            "restartPolicy",
            3,
            STRING,
            "Restart policy for all containers within the pod.",
            enum=("Always", "Never", "OnFailure"),
        ),
        Field(
            "terminationGracePeriodSeconds",
            4,
            INT64,
            "Optional duration in seconds the pod needs to terminate gracefully.",
        ),
        Field(
            "activeDeadlineSeconds",
            5,
            INT64,
            "Optional duration in seconds the pod may be active on the node relative to StartTime "
            "before it is marked failed.",
        ),
        Field(
            "dnsPolicy",
            6,
            STRING,
            "Set DNS policy for the pod.",
            enum=("ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"),
        ),
        Field(
            "nodeSelector",
            7,
            MapOf(STRING),
            "NodeSelector is a selector which must be true for the pod to fit on a node.",
            map_type="atomic",
        ),
        Field(
            "serviceAccountName",
            8,
            STRING,
            "ServiceAccountName is the name of the ServiceAccount to use to run this pod.",
        ),
        Field(
            "serviceAccount",
            9,
            STRING,
            "DeprecatedServiceAccount is a deprecated alias for ServiceAccountName.",
        ),
        Field(
            "automountServiceAccountToken",
            21,
            BOOL,
            "AutomountServiceAccountToken indicates whether a service account token should be "
            "automatically mounted.",
        ),
        Field("nodeName", 10, STRING, "NodeName indicates in which node this pod is scheduled."),
        Field("hostNetwork", 11, BOOL, "Host networking requested for this pod."),
        Field("hostPID", 12, BOOL, "Use the host's pid namespace."),
        Field("hostIPC", 13, BOOL, "Use the host's ipc namespace."),
        Field(
            "shareProcessNamespace",
            27,
            BOOL,
            "Share a single process namespace between all of the containers in a pod.",
        ),
        Field(
            "securityContext",
            14,
            PodSecurityContext,
            "SecurityContext holds pod-level security attributes and common container settings.",
        ),
        Field(
            "imagePullSecrets",
            15,
            ListOf(LocalObjectReference),
            "ImagePullSecrets is an optional list of references to secrets in the same namespace "
            "to use for pulling any of the images used by this PodSpec.",
            patch_strategy="merge",
            patch_merge_key="name",
            list_type="map",
            list_map_keys=("name",),
        ),
        Field(
            "hostname",
            16,
            STRING,
            "Specifies the hostname of the Pod; if not specified, it is set to a system-defined "
            "value.",
        ),
        Field(
            "subdomain",
            17,
            STRING,
            'If specified, the fully qualified Pod hostname will be "<hostname>.<subdomain>.<pod '
            'namespace>.svc.<cluster domain>".',
        ),
        Field("affinity", 18, Affinity, "If specified, the pod's scheduling constraints."),
        Field(
            "schedulerName",
            19,
            STRING,
            "If specified, the pod will be dispatched by specified scheduler.",
        ),
        Field(
            "tolerations",
            22,
            ListOf(Toleration),
            "If specified, the pod's tolerations.",
            list_type="atomic",
        ),
        Field(
            "hostAliases",
            23,
            ListOf(HostAlias),
            "HostAliases is an optional list of hosts and IPs that will be injected into the "
            "pod's hosts file if specified.",
            patch_strategy="merge",
            patch_merge_key="ip",
            list_type="map",
            list_map_keys=("ip",),
        ),
        Field("priorityClassName", 24, STRING, "If specified, indicates the pod's priority."),
        Field("priority", 25, INT32, "The priority value."),
        Field("dnsConfig", 26, PodDNSConfig, "Specifies the DNS parameters of a pod."),
        Field(
            "readinessGates",
            28,
            ListOf(PodReadinessGate),
            "If specified, all readiness gates will be evaluated for pod readiness.",
            list_type="atomic",
        ),
        Field(
            "runtimeClassName",
            29,
            STRING,
            "RuntimeClassName refers to a RuntimeClass object in the node.k8s.io group, which "
            "should be used to run this pod.",
        ),
        Field(
            "enableServiceLinks",
            30,
            BOOL,
            "EnableServiceLinks indicates whether information about services should be injected "
            "into pod's environment variables.",
        ),
        Field(
            "preemptionPolicy",
            31,
            STRING,
            "PreemptionPolicy is the Policy for preempting pods with lower priority.",
            enum=("Never", "PreemptLowerPriority"),
        ),
        Field(
            "overhead",
            32,
            MapOf(QUANTITY),
            "Overhead represents the resource overhead associated with running a pod for a given "
            "RuntimeClass.",
        ),
        Field(
            "topologySpreadConstraints",
            33,
            ListOf(TopologySpreadConstraint),
            "TopologySpreadConstraints describes how a group of pods ought to spread across "
            "topology domains.",
            patch_strategy="merge",
            patch_merge_key="topologyKey",
            list_type="map",
            list_map_keys=("topologyKey", "whenUnsatisfiable"),
        ),
        Field(
            "setHostnameAsFQDN",
            35,
            BOOL,
            "If true the pod's hostname will be configured as the pod's FQDN, rather than the "
            "leaf name (the default).",
        ),
        Field("os", 36, PodOS, "Specifies the OS of the containers in the pod."),
        Field("hostUsers", 37, BOOL, "Use the host's user namespace."),
        Field(
            "schedulingGates",
            38,
            ListOf(PodSchedulingGate),
            "SchedulingGates is an opaque list of values that if specified will block scheduling "
            "the pod.",
            patch_strategy="merge",
            patch_merge_key="name",
            list_type="map",
            list_map_keys=("name",),
        ),
        Field(
            "resourceClaims",
            39,
            ListOf(PodResourceClaim),
            "ResourceClaims defines which ResourceClaims must be allocated and reserved before "
            "the Pod is allowed to start.",
            patch_strategy="merge,retainKeys",
            patch_merge_key="name",
            list_type="map",
            list_map_keys=("name",),
        ),
        Field(
            "resources",
            40,
            ResourceRequirements,
            "Resources is the total amount of CPU and Memory resources required by all containers "
            "in the pod.",
        ),
    ],
)

# -- PodStatus ------------------------------------------------------------------

PodCondition = Object(
    "io.k8s.api.core.v1.PodCondition",
    "PodCondition contains details for the current condition of this pod.",
    [
        Field("type", 1, STRING, "Type is the type of the condition.", required=True),
        Field("status", 2, STRING, "Status is the status of the condition.", required=True),
        Field("lastProbeTime", 3, TIME, "Last time we probed the condition."),
        Field(
            "lastTransitionTime",
            4,
            TIME,
            "Last time the condition transitioned from one status to another.",
        ),
        Field(
            "reason",
            5,
            STRING,
            "Unique, one-word, CamelCase reason for the condition's last transition.",
        ),
        Field(
            "message", 6, STRING, "Human-readable message indicating details about last transition."
        ),
    ],
)

ResourceHealth = Object(
    "io.k8s.api.core.v1.ResourceHealth",
    "ResourceHealth represents the health of a resource.",
    [
        Field(
            "resourceID",
            1,
            STRING,
            "ResourceID is the unique identifier of the resource.",
            required=True,
        ),
        Field("health", 2, STRING, "Health of the resource."),
    ],
)

ResourceStatus = Object(
    "io.k8s.api.core.v1.ResourceStatus",
    "ResourceStatus represents the status of a single resource allocated to a Pod.",
    [
        Field("name", 1, STRING, "Name of the resource.", required=True),
        Field(
            "resources",
            2,
            ListOf(ResourceHealth),
            "List of unique resources health.",
            list_type="map",
            list_map_keys=("resourceID",),
        ),
    ],
)

ContainerStateRunning = Object(
    "io.k8s.api.core.v1.ContainerStateRunning",
    "ContainerStateRunning is a running state of a container.",
    [
        Field("startedAt", 1, TIME, "Time at which the container was last (re-)started."),
    ],
)

ContainerStateTerminated = Object(
    "io.k8s.api.core.v1.ContainerStateTerminated",
    "ContainerStateTerminated is a terminated state of a container.",
    [
        Field(
            "exitCode",
            1,
            INT32,
            "Exit status from the last termination of the container.",
            required=True,
        ),
        Field("signal", 2, INT32, "Signal from the last termination of the container."),
        Field("reason", 3, STRING, "(brief) reason from the last termination of the container."),
        Field("message", 4, STRING, "Message regarding the last termination of the container."),
        Field("startedAt", 5, TIME, "Time at which previous execution of the container started."),
        Field("finishedAt", 6, TIME, "Time at which the container last terminated."),
        Field("containerID", 7, STRING, "Container's ID in the format '<type>://<container_id>'."),
    ],
)

ContainerStateWaiting = Object(
    "io.k8s.api.core.v1.ContainerStateWaiting",
    "ContainerStateWaiting is a waiting state of a container.",
    [
        Field("reason", 1, STRING, "(brief) reason the container is not yet running."),
        Field("message", 2, STRING, "Message regarding why the container is not yet running."),
    ],
)

ContainerState = Object(
    "io.k8s.api.core.v1.ContainerState",
    "ContainerState holds a possible state of container.",
    [
        Field("waiting", 1, ContainerStateWaiting, "Details about a waiting container."),
        Field("running", 2, ContainerStateRunning, "Details about a running container."),
        Field("terminated", 3, ContainerStateTerminated, "Details about a terminated container."),
    ],
)

LinuxContainerUser = Object(
    "io.k8s.api.core.v1.LinuxContainerUser",
    "LinuxContainerUser represents user identity information in Linux containers.",
    [
        Field(
            "uid",
            1,
            INT64,
            "UID is the primary uid initially attached to the first process in the container.",
            required=True,
        ),
        Field(
            "gid",
            2,
            INT64,
            "GID is the primary gid initially attached to the first process in the container.",
            required=True,
        ),
        Field(
            "supplementalGroups",
            3,
            ListOf(INT64),
            "SupplementalGroups are the supplemental groups initially attached to the first "
            "process in the container.",
            list_type="atomic",
        ),
    ],
)

ContainerUser = Object(
    "io.k8s.api.core.v1.ContainerUser",
    "ContainerUser represents user identity information.",
    [
        Field(
            "linux",
            1,
            LinuxContainerUser,
            "Linux holds user identity information initially attached to the first process of the "
            "containers in Linux.",
        ),
    ],
)

VolumeMountStatus = Object(
    "io.k8s.api.core.v1.VolumeMountStatus",
    "VolumeMountStatus shows status of volume mounts.",
    [
        Field(
            "name",
            1,
            STRING,
            "Name corresponds to the name of the original VolumeMount.",
            required=True,
        ),
        Field(
            "mountPath",
            2,
            STRING,
            "MountPath corresponds to the original VolumeMount.",
            required=True,
        ),
        Field("readOnly", 3, BOOL, "ReadOnly corresponds to the original VolumeMount."),
        Field(
            "recursiveReadOnly",
            4,
            STRING,
            "RecursiveReadOnly must be set to Disabled, Enabled, or unspecified (for non-readonly "
            "mounts).",
        ),
    ],
)

ContainerStatus = Object(
    "io.k8s.api.core.v1.ContainerStatus",
    "ContainerStatus contains details for the current status of this container.",
    [
        Field(
            "name",
            1,
            STRING,
            "Name is a DNS_LABEL representing the unique name of the container.",
            required=True,
        ),
        Field(
            "state",
            2,
            ContainerState,
            "State holds details about the container's current condition.",
        ),
        Field(
            "lastState",
            3,
            ContainerState,
            "LastTerminationState holds the last termination state of the container to help debug "
            "container crashes and restarts.",
        ),
        Field(
            "ready",
            4,
            BOOL,
            "Ready specifies whether the container is currently passing its readiness check.",
            required=True,
        ),
        Field(
            "restartCount",
            5,
            INT32,
            "RestartCount holds the number of times the container has been restarted.",
            required=True,
        ),
        Field(
            "image",
            6,
            STRING,
            "Image is the name of container image that the container is running.",
            required=True,
        ),
        Field(
            "imageID", 7, STRING, "ImageID is the image ID of the container's image.", required=True
        ),
        Field(
            "containerID",
            8,
            STRING,
            "ContainerID is the ID of the container in the format '<type>://<container_id>'.",
        ),
        Field(
            "started",
            9,
            BOOL,
            "Started indicates whether the container has finished its postStart lifecycle hook "
            "and passed its startup probe.",
        ),
        Field(
            "allocatedResources",
            10,
            MapOf(QUANTITY),
            "AllocatedResources represents the compute resources allocated for this container by "
            "the node.",
        ),
        Field(
            "resources",
            11,
            ResourceRequirements,
            "Resources represents the compute resource requests and limits enacted on the running "
            "container.",
        ),
        Field(
            "volumeMounts",
            12,
            ListOf(VolumeMountStatus),
            "Status of volume mounts.",
            patch_strategy="merge",
            patch_merge_key="mountPath",
            list_type="map",
            list_map_keys=("mountPath",),
        ),
        Field(
            "user",
            13,
            ContainerUser,
            "User represents user identity information initially attached to the first process of "
            "the container.",
        ),
        Field(
            "allocatedResourcesStatus",
            14,
            ListOf(ResourceStatus),
            "AllocatedResourcesStatus represents the status of various resources allocated for "
            "this Pod.",
            patch_strategy="merge",
            patch_merge_key="name",
            list_type="map",
            list_map_keys=("name",),
        ),
    ],
)

HostIP = Object(
    "io.k8s.api.core.v1.HostIP",
    "HostIP represents a single IP address allocated to the host.",
    [
        Field("ip", 1, STRING, "IP is the IP address assigned to the host.", required=True),
    ],
)

PodIP = Object(
    "io.k8s.api.core.v1.PodIP",
    "PodIP represents a single IP address allocated to the pod.",
    [
        Field("ip", 1, STRING, "IP is the IP address assigned to the pod.", required=True),
    ],
)

PodResourceClaimStatus = Object(
    "io.k8s.api.core.v1.PodResourceClaimStatus",
    "PodResourceClaimStatus is stored in the PodStatus for each PodResourceClaim which references "
    "a ResourceClaimTemplate.",
    [
        Field(
            "name",
            1,
            STRING,
            "Name uniquely identifies this resource claim inside the pod.",
            required=True,
        ),
        Field(
            "resourceClaimName",
            2,
            STRING,
            "ResourceClaimName is the name of the ResourceClaim that was generated for the Pod in "
            "the namespace of the Pod.",
        ),
    ],
)

PodStatus = Object(
    "io.k8s.api.core.v1.PodStatus",
    "PodStatus represents information about the status of a pod.",
    [
        Field(
            "phase",
            1,
            STRING,
            "The phase of a Pod is a simple, high-level summary of where the Pod is in its "
            "lifecycle.",
            enum=("Failed", "Pending", "Running", "Succeeded", "Unknown"),
        ),
        conditions(PodCondition, 2, "Current service state of pod."),
        Field(
            "message",
            3,
            STRING,
            "A human readable message indicating details about why the pod is in this condition.",
        ),
        Field(
            "reason",
            4,
            STRING,
            "A brief CamelCase message indicating details about why the pod is in this state.",
        ),
        Field(
            "nominatedNodeName",
            11,
            STRING,
            "NominatedNodeName is set only when this pod preempts other pods on the node.",
        ),
        Field(
            "hostIP",
            5,
            STRING,
            "HostIP holds the IP address of the host to which the pod is assigned.",
        ),
        Field(
            "hostIPs",
            16,
            ListOf(HostIP),
            "HostIPs holds the IP addresses allocated to the host.",
            patch_strategy="merge",
            patch_merge_key="ip",
            list_type="atomic",
        ),
        Field("podIP", 6, STRING, "PodIP address allocated to the pod."),
        Field(
            "podIPs",
            12,
            ListOf(PodIP),
            "PodIPs holds the IP addresses allocated to the pod.",
            patch_strategy="merge",
            patch_merge_key="ip",
            list_type="map",
            list_map_keys=("ip",),
        ),
        Field(
            "startTime",
            7,
            TIME,
            "RFC 3339 date and time at which the object was acknowledged by the Kubelet.",
        ),
        Field(
            "initContainerStatuses",
            10,
            ListOf(ContainerStatus),
            "Statuses of init containers in this pod.",
            list_type="atomic",
        ),
        Field(
            "containerStatuses",
            8,
            ListOf(ContainerStatus),
            "Statuses of containers in this pod.",
            list_type="atomic",
        ),
        Field(
            "qosClass",
            9,
            STRING,
            "The Quality of Service (QOS) classification assigned to the pod based on resource "
            "requirements.",
            enum=("BestEffort", "Burstable", "Guaranteed"),
        ),
        Field(
            "ephemeralContainerStatuses",
            13,
            ListOf(ContainerStatus),
            "Statuses for any ephemeral containers that have run in this pod.",
            list_type="atomic",
        ),
        Field(
            "resize",
            14,
            STRING,
            "Status of resources resize desired for pod's containers.",
            enum=("Deferred", "InProgress", "Infeasible", "Proposed"),
        ),
        Field(
            "resourceClaimStatuses",
            15,
            ListOf(PodResourceClaimStatus),
            "Status of resource claims.",
            patch_strategy="merge,retainKeys",
            patch_merge_key="name",
            list_type="map",
            list_map_keys=("name",),
        ),
    ],
)

# -- The kinds ------------------------------------------------------------------

Pod = _KINDS.kind(
    "Pod",
    "Pod is a collection of containers that can run on a host.",
    [
        Field("metadata", 1, ObjectMeta, "Standard object's metadata."),
        Field("spec", 2, PodSpec, "Specification of the desired behavior of the pod."),
        Field("status", 3, PodStatus, "Most recently observed status of the pod."),
    ],
)

PodList = list_kind(Pod, "PodList is a list of Pods.", "List of pods.")

PodTemplateSpec = Object(
    "io.k8s.api.core.v1.PodTemplateSpec",
    "PodTemplateSpec describes the data a pod should have when created from a template.",
    [
        Field("metadata", 1, ObjectMeta, "Standard object's metadata."),
        Field("spec", 2, PodSpec, "Specification of the desired behavior of the pod."),
    ],
)

PodTemplate = _KINDS.kind(
    "PodTemplate",
    "PodTemplate describes a template for creating copies of a predefined pod.",
    [
        Field("metadata", 1, ObjectMeta, "Standard object's metadata."),
        Field(
            "template",
            2,
            PodTemplateSpec,
            "Template defines the pods that will be created from this pod template.",
        ),
    ],
)

PodTemplateList = list_kind(
    PodTemplate, "PodTemplateList is a list of PodTemplates.", "List of pod templates."
)

Binding = _KINDS.kind(
    "Binding",
    "Binding ties one object to another; for example, a pod is bound to a node by a scheduler.",
    [
        Field("metadata", 1, ObjectMeta, "Standard object's metadata."),
        Field(
            "target",
            2,
            ObjectReference,
            "The target object that you want to bind to the standard object.",
            required=True,
        ),
    ],
)
