"""core/v1 types outside the Pod closure: the cluster's own objects.

Namespaces, Nodes, Services and Endpoints, ConfigMaps and Secrets,
ServiceAccounts, Events, PersistentVolumes and their claims, LimitRanges,
ResourceQuotas, ReplicationControllers, ComponentStatuses, the query-option
kinds of the pod, node and service subresources (PodLogOptions, ...) and the
odd internal types (RangeAllocation, SerializedReference, List).

The Pod and everything a PodSpec embeds (containers, volume sources,
affinity, tolerations, ``ObjectReference``, ``LocalObjectReference``...), and
PodTemplate, PodList and Binding, live in ``core.v1.pod`` and are named here by
``Ref``; so are the meta/v1 types. Ownership runs the other way for the claim
spec: ``PersistentVolumeClaimSpec``, ``VolumeResourceRequirements`` and
``TypedObjectReference`` are declared here and a Pod's ephemeral volume
template refers to them.

Field numbers are those of Kubernetes' ``core/v1/generated.proto``; the field
set is that of release 1.32 (fields added by later releases are left out).

Inlined Go structs: ``PersistentVolumeSpec`` embeds ``PersistentVolumeSource``
with ``json:",inline"``, so in JSON its volume-source fields sit directly in
the spec while protobuf nests them in message field 2. As in ``core.v1.pod``,
they are declared flat on the spec with protobuf number 0 (right for OpenAPI,
pruning and patches), ``PersistentVolumeSource`` is declared with its own
numbers, and the spec names it with ``schema.Embedded`` so that the protobuf
codec nests them.
"""

from __future__ import annotations

from kubeling.api.schema import (
    BOOL,
    BYTES,
    INT32,
    INT64,
    INT_OR_STRING,
    MICRO_TIME,
    QUANTITY,
    RAW_EXTENSION,
    STRING,
    TIME,
    Embedded,
    Field,
    Kinds,
    ListOf,
    MapOf,
    Object,
    Ref,
    TypeSpec,
    conditions,
    inlined,
    list_kind,
)

__all__ = [
    "AttachedVolume",
    "AvoidPods",
    "AzureFilePersistentVolumeSource",
    "CSIPersistentVolumeSource",
    "CephFSPersistentVolumeSource",
    "CinderPersistentVolumeSource",
    "ClientIPConfig",
    "ComponentCondition",
    "ComponentStatus",
    "ComponentStatusList",
    "ConfigMap",
    "ConfigMapList",
    "ConfigMapNodeConfigSource",
    "ContainerImage",
    "DaemonEndpoint",
    "EndpointAddress",
    "EndpointPort",
    "EndpointSubset",
    "Endpoints",
    "EndpointsList",
    "Event",
    "EventList",
    "EventSeries",
    "EventSource",
    "FlexPersistentVolumeSource",
    "GlusterfsPersistentVolumeSource",
    "ISCSIPersistentVolumeSource",
    "LimitRange",
    "LimitRangeItem",
    "LimitRangeList",
    "LimitRangeSpec",
    "List",
    "LoadBalancerIngress",
    "LoadBalancerStatus",
    "LocalVolumeSource",
    "ModifyVolumeStatus",
    "Namespace",
    "NamespaceCondition",
    "NamespaceList",
    "NamespaceSpec",
    "NamespaceStatus",
    "Node",
    "NodeAddress",
    "NodeCondition",
    "NodeConfigSource",
    "NodeConfigStatus",
    "NodeDaemonEndpoints",
    "NodeFeatures",
    "NodeList",
    "NodeProxyOptions",
    "NodeRuntimeHandler",
    "NodeRuntimeHandlerFeatures",
    "NodeSpec",
    "NodeStatus",
    "NodeSwapStatus",
    "NodeSystemInfo",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "PersistentVolumeClaimCondition",
    "PersistentVolumeClaimList",
    "PersistentVolumeClaimSpec",
    "PersistentVolumeClaimStatus",
    "PersistentVolumeList",
    "PersistentVolumeSource",
    "PersistentVolumeSpec",
    "PersistentVolumeStatus",
    "PodAttachOptions",
    "PodExecOptions",
    "PodLogOptions",
    "PodPortForwardOptions",
    "PodProxyOptions",
    "PodSignature",
    "PodStatusResult",
    "PortStatus",
    "PreferAvoidPodsEntry",
    "RBDPersistentVolumeSource",
    "RangeAllocation",
    "ReplicationController",
    "ReplicationControllerCondition",
    "ReplicationControllerList",
    "ReplicationControllerSpec",
    "ReplicationControllerStatus",
    "ResourceQuota",
    "ResourceQuotaList",
    "ResourceQuotaSpec",
    "ResourceQuotaStatus",
    "ScaleIOPersistentVolumeSource",
    "ScopeSelector",
    "ScopedResourceSelectorRequirement",
    "Secret",
    "SecretList",
    "SecretReference",
    "SerializedReference",
    "Service",
    "ServiceAccount",
    "ServiceAccountList",
    "ServiceList",
    "ServicePort",
    "ServiceProxyOptions",
    "ServiceSpec",
    "ServiceStatus",
    "SessionAffinityConfig",
    "StorageOSPersistentVolumeSource",
    "Taint",
    "TopologySelectorLabelRequirement",
    "TopologySelectorTerm",
    "TypedObjectReference",
    "VolumeNodeAffinity",
    "VolumeResourceRequirements",
]

_CORE = "io.k8s.api.core.v1."
_KINDS = Kinds(_CORE, "", "v1")
_META = "io.k8s.apimachinery.pkg.apis.meta.v1."

# meta/v1 (kubeling.api.meta.v1).
_OBJECT_META = Ref(_META + "ObjectMeta")
_LIST_META = Ref(_META + "ListMeta")
_LABEL_SELECTOR = Ref(_META + "LabelSelector")
_CONDITION = Ref(_META + "Condition")
_OWNER_REFERENCE = Ref(_META + "OwnerReference")

# The Pod closure (kubeling.api.core.v1.pod).
_OBJECT_REFERENCE = Ref(_CORE + "ObjectReference")
_LOCAL_OBJECT_REFERENCE = Ref(_CORE + "LocalObjectReference")
_TYPED_LOCAL_OBJECT_REFERENCE = Ref(_CORE + "TypedLocalObjectReference")
_NODE_SELECTOR = Ref(_CORE + "NodeSelector")
_POD_TEMPLATE_SPEC = Ref(_CORE + "PodTemplateSpec")
_POD_STATUS = Ref(_CORE + "PodStatus")

_QUANTITIES = MapOf(QUANTITY)
_STRINGS = ListOf(STRING)
_PROTOCOLS = ("SCTP", "TCP", "UDP")


def _metadata(*, required: bool = False) -> Field:
    return Field("metadata", 1, _OBJECT_META, "Standard object's metadata.", required=required)


# --- Shared references ------------------------------------------------------

SecretReference = Object(
    _CORE + "SecretReference",
    "A reference to a Secret in any namespace.",
    [
        Field("name", 1, STRING, "Name of the referenced secret."),
        Field("namespace", 2, STRING, "Namespace in which the secret name is unique."),
    ],
    atomic=True,
)

TypedObjectReference = Object(
    _CORE + "TypedObjectReference",
    "Enough information to locate a typed object, possibly in another namespace.",
    [
        Field("apiGroup", 1, STRING, "The API group of the referenced resource; empty for core."),
        Field("kind", 2, STRING, "The kind of the referenced resource.", required=True),
        Field("name", 3, STRING, "The name of the referenced resource.", required=True),
        Field("namespace", 4, STRING, "The namespace of the referenced resource."),
    ],
)

# --- Namespace --------------------------------------------------------------

NamespaceSpec = Object(
    _CORE + "NamespaceSpec",
    "The attributes of a Namespace.",
    [
        Field(
            "finalizers",
            1,
            _STRINGS,
            "Opaque values that must be empty before the namespace is removed from storage.",
            list_type="atomic",
        ),
    ],
)

NamespaceCondition = Object(
    _CORE + "NamespaceCondition",
    "The state of a namespace at a point in time.",
    [
        Field("type", 1, STRING, "Type of namespace controller condition.", required=True),
        Field(
            "status", 2, STRING, "Status of the condition: True, False or Unknown.", required=True
        ),
        Field("lastTransitionTime", 4, TIME, "Last time the condition changed status."),
        Field("reason", 5, STRING, "One-word CamelCase reason for the last transition."),
        Field("message", 6, STRING, "Human-readable details about the last transition."),
    ],
)

NamespaceStatus = Object(
    _CORE + "NamespaceStatus",
    "The current status of a Namespace.",
    [
        Field(
            "phase",
            1,
            STRING,
            "The current lifecycle phase of the namespace.",
            enum=("Active", "Terminating"),
        ),
        conditions(NamespaceCondition, 2, "The latest observations of the namespace's state."),
    ],
)

Namespace = _KINDS.kind(
    "Namespace",
    "A scope for names.",
    [
        _metadata(),
        Field("spec", 2, NamespaceSpec, "The behavior of the Namespace."),
        Field("status", 3, NamespaceStatus, "The current status of the Namespace."),
    ],
)

NamespaceList = list_kind(Namespace, "A list of Namespaces.", "The Namespaces.")

# --- Node -------------------------------------------------------------------

Taint = Object(
    _CORE + "Taint",
    "A taint on a node, repelling pods that do not tolerate it.",
    [
        Field("key", 1, STRING, "The taint key.", required=True),
        Field("value", 2, STRING, "The taint value for the key."),
        Field(
            "effect",
            3,
            STRING,
            "The effect of the taint on pods that do not tolerate it.",
            required=True,
            enum=("NoExecute", "NoSchedule", "PreferNoSchedule"),
        ),
        Field("timeAdded", 4, TIME, "When the taint was added (NoExecute taints only)."),
    ],
)

ConfigMapNodeConfigSource = Object(
    _CORE + "ConfigMapNodeConfigSource",
    "A ConfigMap used as a node's configuration source (deprecated).",
    [
        Field("namespace", 1, STRING, "Namespace of the ConfigMap.", required=True),
        Field("name", 2, STRING, "Name of the ConfigMap.", required=True),
        Field("uid", 3, STRING, "UID of the ConfigMap."),
        Field("resourceVersion", 4, STRING, "ResourceVersion of the ConfigMap."),
        Field(
            "kubeletConfigKey",
            5,
            STRING,
            "The ConfigMap key holding the KubeletConfiguration.",
            required=True,
        ),
    ],
)

NodeConfigSource = Object(
    _CORE + "NodeConfigSource",
    "A source of node configuration (deprecated).",
    [Field("configMap", 2, ConfigMapNodeConfigSource, "A ConfigMap as the configuration source.")],
)

NodeSpec = Object(
    _CORE + "NodeSpec",
    "The attributes a node is created with.",
    [
        Field("podCIDR", 1, STRING, "The pod IP range assigned to the node."),
        Field(
            "podCIDRs",
            7,
            _STRINGS,
            "The pod IP ranges assigned to the node, at most one per IP family.",
            patch_strategy="merge",
            list_type="set",
        ),
        Field("providerID", 3, STRING, "The cloud provider's ID of the node."),
        Field("unschedulable", 4, BOOL, "Whether new pods may not be scheduled to the node."),
        Field("taints", 5, ListOf(Taint), "The node's taints.", list_type="atomic"),
        Field(
            "configSource", 6, NodeConfigSource, "Deprecated: the dynamic kubelet config source."
        ),
        Field("externalID", 2, STRING, "Deprecated and unused."),
    ],
)

NodeAddress = Object(
    _CORE + "NodeAddress",
    "One address of a node.",
    [
        Field(
            "type", 1, STRING, "Address type: Hostname, ExternalIP or InternalIP.", required=True
        ),
        Field("address", 2, STRING, "The address.", required=True),
    ],
)

NodeCondition = Object(
    _CORE + "NodeCondition",
    "A condition of a node.",
    [
        Field("type", 1, STRING, "Type of node condition.", required=True),
        Field(
            "status", 2, STRING, "Status of the condition: True, False or Unknown.", required=True
        ),
        Field("lastHeartbeatTime", 3, TIME, "Last time the condition was updated."),
        Field("lastTransitionTime", 4, TIME, "Last time the condition changed status."),
        Field("reason", 5, STRING, "Brief reason for the last transition."),
        Field("message", 6, STRING, "Human-readable details about the last transition."),
    ],
)

DaemonEndpoint = Object(
    _CORE + "DaemonEndpoint",
    "One endpoint of a daemon on the node.",
    [Field("Port", 1, INT32, "Port number of the endpoint.", required=True)],
)

NodeDaemonEndpoints = Object(
    _CORE + "NodeDaemonEndpoints",
    "Ports opened by daemons running on the node.",
    [Field("kubeletEndpoint", 1, DaemonEndpoint, "The endpoint the kubelet listens on.")],
)

NodeSwapStatus = Object(
    _CORE + "NodeSwapStatus",
    "Swap memory information of a node.",
    [Field("capacity", 1, INT64, "Total swap memory in bytes.")],
)

NodeSystemInfo = Object(
    _CORE + "NodeSystemInfo",
    "IDs and versions that identify a node.",
    [
        Field("machineID", 1, STRING, "The node's machine-id.", required=True),
        Field("systemUUID", 2, STRING, "The node's system UUID.", required=True),
        Field("bootID", 3, STRING, "The node's boot ID.", required=True),
        Field("kernelVersion", 4, STRING, "Kernel version from 'uname -r'.", required=True),
        Field("osImage", 5, STRING, "OS image from /etc/os-release.", required=True),
        Field(
            "containerRuntimeVersion",
            6,
            STRING,
            "Container runtime version (e.g. containerd://1.7.2).",
            required=True,
        ),
        Field("kubeletVersion", 7, STRING, "Kubelet version.", required=True),
        Field("kubeProxyVersion", 8, STRING, "Deprecated: kube-proxy version.", required=True),
        Field("operatingSystem", 9, STRING, "The operating system.", required=True),
        Field("architecture", 10, STRING, "The CPU architecture.", required=True),
        Field("swap", 11, NodeSwapStatus, "Swap information."),
    ],
)

ContainerImage = Object(
    _CORE + "ContainerImage",
    "A container image present on a node.",
    [
        Field("names", 1, _STRINGS, "Names by which the image is known.", list_type="atomic"),
        Field("sizeBytes", 2, INT64, "Size of the image in bytes."),
    ],
)

AttachedVolume = Object(
    _CORE + "AttachedVolume",
    "A volume attached to a node.",
    [
        Field("name", 1, STRING, "Name of the attached volume.", required=True),
        Field("devicePath", 2, STRING, "Device path where the volume is available.", required=True),
    ],
)

NodeConfigStatus = Object(
    _CORE + "NodeConfigStatus",
    "Status of the config assigned by Node.Spec.ConfigSource (deprecated).",
    [
        Field("assigned", 1, NodeConfigSource, "The config the node will try to use."),
        Field("active", 2, NodeConfigSource, "The config the node is using."),
        Field("lastKnownGood", 3, NodeConfigSource, "The config the node falls back to."),
        Field("error", 4, STRING, "Problems reconciling the assigned config."),
    ],
)

NodeRuntimeHandlerFeatures = Object(
    _CORE + "NodeRuntimeHandlerFeatures",
    "Features a runtime handler implements.",
    [
        Field(
            "recursiveReadOnlyMounts",
            1,
            BOOL,
            "Whether the handler supports recursive read-only mounts.",
        ),
        Field("userNamespaces", 2, BOOL, "Whether the handler supports user namespaces."),
    ],
)

NodeRuntimeHandler = Object(
    _CORE + "NodeRuntimeHandler",
    "A runtime handler available on a node.",
    [
        Field("name", 1, STRING, "Handler name; empty for the default handler."),
        Field("features", 2, NodeRuntimeHandlerFeatures, "Features the handler supports."),
    ],
)

NodeFeatures = Object(
    _CORE + "NodeFeatures",
    "Features implemented by the node's CRI implementation.",
    [
        Field(
            "supplementalGroupsPolicy",
            1,
            BOOL,
            "Whether the runtime supports SupplementalGroupsPolicy and ContainerUser.",
        ),
    ],
)

NodeStatus = Object(
    _CORE + "NodeStatus",
    "The current status of a node.",
    [
        Field("capacity", 1, _QUANTITIES, "Total resources of the node."),
        Field("allocatable", 2, _QUANTITIES, "Resources of the node available for scheduling."),
        Field(
            "phase",
            3,
            STRING,
            "Deprecated lifecycle phase, never populated.",
            enum=("Pending", "Running", "Terminated"),
        ),
        conditions(NodeCondition, 4, "Current observed node conditions."),
        Field(
            "addresses",
            5,
            ListOf(NodeAddress),
            "Addresses reachable to the node.",
            patch_strategy="merge",
            patch_merge_key="type",
            list_type="map",
            list_map_keys=("type",),
        ),
        Field("daemonEndpoints", 6, NodeDaemonEndpoints, "Endpoints of daemons on the node."),
        Field("nodeInfo", 7, NodeSystemInfo, "IDs and versions identifying the node."),
        Field(
            "images", 8, ListOf(ContainerImage), "Container images on the node.", list_type="atomic"
        ),
        Field(
            "volumesInUse",
            9,
            _STRINGS,
            "Attachable volumes in use (mounted) by the node.",
            list_type="atomic",
        ),
        Field(
            "volumesAttached",
            10,
            ListOf(AttachedVolume),
            "Volumes attached to the node.",
            list_type="atomic",
        ),
        Field("config", 11, NodeConfigStatus, "Status of the dynamic kubelet config."),
        Field(
            "runtimeHandlers",
            12,
            ListOf(NodeRuntimeHandler),
            "The available runtime handlers.",
            list_type="atomic",
        ),
        Field("features", 13, NodeFeatures, "Features implemented by the CRI implementation."),
    ],
)

Node = _KINDS.kind(
    "Node",
    "A worker node.",
    [
        _metadata(),
        Field("spec", 2, NodeSpec, "The behavior of the node."),
        Field("status", 3, NodeStatus, "The most recently observed status of the node."),
    ],
)

NodeList = list_kind(Node, "A list of Nodes.", "The nodes.")

PodSignature = Object(
    _CORE + "PodSignature",
    "The class of pods that should avoid a node.",
    [
        Field(
            "podController", 1, _OWNER_REFERENCE, "The controller whose pods should avoid the node."
        )
    ],
)

PreferAvoidPodsEntry = Object(
    _CORE + "PreferAvoidPodsEntry",
    "A class of pods that should avoid a node.",
    [
        Field("podSignature", 1, PodSignature, "The class of pods.", required=True),
        Field("evictionTime", 2, TIME, "When the entry was added."),
        Field("reason", 3, STRING, "Brief reason the entry was added."),
        Field("message", 4, STRING, "Human-readable reason the entry was added."),
    ],
)

AvoidPods = Object(
    _CORE + "AvoidPods",
    "Pods that should avoid a node (the preferAvoidPods annotation).",
    [
        Field(
            "preferAvoidPods",
            1,
            ListOf(PreferAvoidPodsEntry),
            "Signatures of pods that should avoid the node.",
            list_type="atomic",
        ),
    ],
)

# --- Service and Endpoints --------------------------------------------------

ServicePort = Object(
    _CORE + "ServicePort",
    "A port of a service.",
    [
        Field("name", 1, STRING, "Name of the port, unique within the service."),
        Field(
            "protocol",
            2,
            STRING,
            "IP protocol of the port; TCP by default.",
            enum=_PROTOCOLS,
            default="TCP",
        ),
        Field("appProtocol", 6, STRING, "Application protocol of the port."),
        Field("port", 3, INT32, "The port exposed by the service.", required=True),
        Field("targetPort", 4, INT_OR_STRING, "Number or name of the port on the pods."),
        Field("nodePort", 5, INT32, "Port on each node for NodePort and LoadBalancer services."),
    ],
)

ClientIPConfig = Object(
    _CORE + "ClientIPConfig",
    "Configuration of ClientIP session affinity.",
    [Field("timeoutSeconds", 1, INT32, "Seconds of ClientIP session stickiness.")],
)

SessionAffinityConfig = Object(
    _CORE + "SessionAffinityConfig",
    "Configuration of session affinity.",
    [Field("clientIP", 1, ClientIPConfig, "Configuration of ClientIP session affinity.")],
)

ServiceSpec = Object(
    _CORE + "ServiceSpec",
    "The attributes a user creates on a service.",
    [
        Field(
            "ports",
            1,
            ListOf(ServicePort),
            "The ports exposed by the service.",
            patch_strategy="merge",
            patch_merge_key="port",
            list_type="map",
            list_map_keys=("port", "protocol"),
        ),
        Field(
            "selector",
            2,
            MapOf(STRING),
            "Route traffic to pods whose labels match this selector.",
            map_type="atomic",
        ),
        Field("clusterIP", 3, STRING, "The service's virtual IP, or None for a headless service."),
        Field(
            "clusterIPs",
            18,
            _STRINGS,
            "The service's virtual IPs, at most one per IP family.",
            list_type="atomic",
        ),
        Field(
            "type",
            4,
            STRING,
            "How the service is exposed; ClusterIP by default.",
            enum=("ClusterIP", "ExternalName", "LoadBalancer", "NodePort"),
        ),
        Field(
            "externalIPs",
            5,
            _STRINGS,
            "IPs for which nodes also accept traffic for the service.",
            list_type="atomic",
        ),
        Field(
            "sessionAffinity",
            7,
            STRING,
            "Session affinity: ClientIP or None.",
            enum=("ClientIP", "None"),
        ),
        Field("loadBalancerIP", 8, STRING, "Deprecated: the requested load-balancer IP."),
        Field(
            "loadBalancerSourceRanges",
            9,
            _STRINGS,
            "Client IP ranges allowed through the cloud load-balancer.",
            list_type="atomic",
        ),
        Field("externalName", 10, STRING, "The DNS name an ExternalName service aliases."),
        Field(
            "externalTrafficPolicy",
            11,
            STRING,
            "How nodes route traffic received on external addresses.",
            enum=("Cluster", "Local"),
        ),
        Field("healthCheckNodePort", 12, INT32, "The health-check node port of the service."),
        Field(
            "publishNotReadyAddresses",
            13,
            BOOL,
            "Whether endpoints include addresses that are not ready.",
        ),
        Field("sessionAffinityConfig", 14, SessionAffinityConfig, "Session affinity settings."),
        Field(
            "ipFamilies",
            19,
            _STRINGS,
            "The IP families (IPv4, IPv6) assigned to the service.",
            list_type="atomic",
        ),
        Field(
            "ipFamilyPolicy",
            17,
            STRING,
            "The dual-stack-ness requested or required by the service.",
            enum=("PreferDualStack", "RequireDualStack", "SingleStack"),
        ),
        Field(
            "allocateLoadBalancerNodePorts",
            20,
            BOOL,
            "Whether node ports are allocated for a LoadBalancer service.",
        ),
        Field("loadBalancerClass", 21, STRING, "The class of the load-balancer implementation."),
        Field(
            "internalTrafficPolicy",
            22,
            STRING,
            "How nodes route traffic received on the cluster IP.",
            enum=("Cluster", "Local"),
        ),
        Field(
            "trafficDistribution",
            23,
            STRING,
            "A preference for how traffic is distributed to endpoints.",
        ),
    ],
)

PortStatus = Object(
    _CORE + "PortStatus",
    "The error condition of a service port.",
    [
        Field("port", 1, INT32, "The service port number.", required=True),
        Field("protocol", 2, STRING, "The service port protocol.", required=True, enum=_PROTOCOLS),
        Field("error", 3, STRING, "The problem with the port, if any."),
    ],
)

LoadBalancerIngress = Object(
    _CORE + "LoadBalancerIngress",
    "An ingress point of a load-balancer.",
    [
        Field("ip", 1, STRING, "IP of an IP-based ingress point."),
        Field("hostname", 2, STRING, "Hostname of a DNS-based ingress point."),
        Field("ipMode", 3, STRING, "How the load-balancer IP behaves: VIP or Proxy."),
        Field("ports", 4, ListOf(PortStatus), "Records of the service ports.", list_type="atomic"),
    ],
)

LoadBalancerStatus = Object(
    _CORE + "LoadBalancerStatus",
    "The status of a load-balancer.",
    [
        Field(
            "ingress",
            1,
            ListOf(LoadBalancerIngress),
            "The load-balancer's ingress points.",
            list_type="atomic",
        ),
    ],
)

ServiceStatus = Object(
    _CORE + "ServiceStatus",
    "The current status of a service.",
    [
        Field("loadBalancer", 1, LoadBalancerStatus, "Status of the load-balancer, if any."),
        conditions(_CONDITION, 2, "Current service state."),
    ],
)

Service = _KINDS.kind(
    "Service",
    "A named abstraction of a software service: ports and a selector over pods.",
    [
        _metadata(),
        Field("spec", 2, ServiceSpec, "The behavior of the service."),
        Field("status", 3, ServiceStatus, "The most recently observed status of the service."),
    ],
)

ServiceList = list_kind(Service, "A list of Services.", "The services.")

EndpointAddress = Object(
    _CORE + "EndpointAddress",
    "One IP address of an endpoint.",
    [
        Field("ip", 1, STRING, "The IP of the endpoint.", required=True),
        Field("hostname", 3, STRING, "The hostname of the endpoint."),
        Field("nodeName", 4, STRING, "The node hosting the endpoint."),
        Field("targetRef", 2, _OBJECT_REFERENCE, "The object providing the endpoint."),
    ],
    atomic=True,
)

EndpointPort = Object(
    _CORE + "EndpointPort",
    "One port of an endpoint.",
    [
        Field("name", 1, STRING, "Name of the port, matching the ServicePort name."),
        Field("port", 2, INT32, "The port number.", required=True),
        Field("protocol", 3, STRING, "IP protocol of the port; TCP by default.", enum=_PROTOCOLS),
        Field("appProtocol", 4, STRING, "Application protocol of the port."),
    ],
    atomic=True,
)

EndpointSubset = Object(
    _CORE + "EndpointSubset",
    "A group of addresses sharing a set of ports.",
    [
        Field(
            "addresses",
            1,
            ListOf(EndpointAddress),
            "Addresses that are ready.",
            list_type="atomic",
        ),
        Field(
            "notReadyAddresses",
            2,
            ListOf(EndpointAddress),
            "Addresses that are not ready yet.",
            list_type="atomic",
        ),
        Field(
            "ports",
            3,
            ListOf(EndpointPort),
            "Ports available on the addresses.",
            list_type="atomic",
        ),
    ],
)

Endpoints = _KINDS.kind(
    "Endpoints",
    "The endpoints that implement a service.",
    [
        _metadata(),
        Field(
            "subsets",
            2,
            ListOf(EndpointSubset),
            "Sets of addresses and ports that comprise the service.",
            list_type="atomic",
        ),
    ],
)

EndpointsList = list_kind(Endpoints, "A list of Endpoints.", "The endpoints.")

# --- ConfigMap, Secret, ServiceAccount ---------------------------------------

ConfigMap = _KINDS.kind(
    "ConfigMap",
    "Configuration data for pods to consume.",
    [
        _metadata(),
        Field("immutable", 4, BOOL, "Whether the data can no longer be updated."),
        Field("data", 2, MapOf(STRING), "The UTF-8 configuration data."),
        Field("binaryData", 3, MapOf(BYTES), "The binary configuration data."),
    ],
)

ConfigMapList = list_kind(ConfigMap, "A list of ConfigMaps.", "The ConfigMaps.")

Secret = _KINDS.kind(
    "Secret",
    "Secret data of a certain type.",
    [
        _metadata(),
        Field("immutable", 5, BOOL, "Whether the data can no longer be updated."),
        Field("data", 2, MapOf(BYTES), "The secret data, base64-encoded in JSON."),
        Field("stringData", 4, MapOf(STRING), "Write-only secret data in string form."),
        Field("type", 3, STRING, "The secret type, for programmatic handling."),
    ],
)

SecretList = list_kind(Secret, "A list of Secrets.", "The secrets.")

ServiceAccount = _KINDS.kind(
    "ServiceAccount",
    "An identity for processes in pods, with the secrets it may use.",
    [
        _metadata(),
        Field(
            "secrets",
            2,
            ListOf(_OBJECT_REFERENCE),
            "Secrets that pods running as this service account may use.",
            patch_strategy="merge",
            patch_merge_key="name",
            list_type="map",
            list_map_keys=("name",),
        ),
        Field(
            "imagePullSecrets",
            3,
            ListOf(_LOCAL_OBJECT_REFERENCE),
            "Secrets used to pull images for pods of this service account.",
            list_type="atomic",
        ),
        Field(
            "automountServiceAccountToken",
            4,
            BOOL,
            "Whether pods running as this account get an API token mounted.",
        ),
    ],
)

ServiceAccountList = list_kind(
    ServiceAccount, "A list of ServiceAccounts.", "The service accounts."
)

# --- Event ------------------------------------------------------------------

EventSource = Object(
    _CORE + "EventSource",
    "The component an event comes from.",
    [
        Field("component", 1, STRING, "The component that generated the event."),
        Field("host", 2, STRING, "The node on which the event was generated."),
    ],
)

EventSeries = Object(
    _CORE + "EventSeries",
    "A series of events that happened repeatedly.",
    [
        Field("count", 1, INT32, "Number of occurrences up to the last heartbeat."),
        Field("lastObservedTime", 2, MICRO_TIME, "Time of the last observed occurrence."),
    ],
)

Event = _KINDS.kind(
    "Event",
    "A report of an event somewhere in the cluster.",
    [
        _metadata(required=True),
        Field(
            "involvedObject",
            2,
            _OBJECT_REFERENCE,
            "The object this event is about.",
            required=True,
        ),
        Field("reason", 3, STRING, "Short machine-understandable reason for the transition."),
        Field("message", 4, STRING, "Human-readable description of the event."),
        Field("source", 5, EventSource, "The component reporting the event."),
        Field("firstTimestamp", 6, TIME, "When the event was first recorded."),
        Field("lastTimestamp", 7, TIME, "When the most recent occurrence was recorded."),
        Field("count", 8, INT32, "The number of times the event has occurred."),
        Field("type", 9, STRING, "Type of the event: Normal or Warning."),
        Field("eventTime", 10, MICRO_TIME, "When the event was first observed."),
        Field("series", 11, EventSeries, "The series this event belongs to, if any."),
        Field("action", 12, STRING, "What action was taken or failed."),
        Field("related", 13, _OBJECT_REFERENCE, "An optional secondary object."),
        Field("reportingComponent", 14, STRING, "The controller that emitted the event."),
        Field("reportingInstance", 15, STRING, "The controller instance that emitted the event."),
    ],
)

EventList = list_kind(Event, "A list of Events.", "The events.")

# --- PersistentVolume and PersistentVolumeClaim -------------------------------

VolumeResourceRequirements = Object(
    _CORE + "VolumeResourceRequirements",
    "The storage resource requirements of a volume.",
    [
        Field("limits", 1, _QUANTITIES, "The maximum amount of resources allowed."),
        Field("requests", 2, _QUANTITIES, "The minimum amount of resources required."),
    ],
)

PersistentVolumeClaimSpec = Object(
    _CORE + "PersistentVolumeClaimSpec",
    "The desired characteristics of a volume requested by a pod author.",
    [
        Field(
            "accessModes",
            1,
            _STRINGS,
            "The desired access modes of the volume.",
            list_type="atomic",
        ),
        Field(
            "selector", 4, _LABEL_SELECTOR, "A label query over volumes to consider for binding."
        ),
        Field("resources", 2, VolumeResourceRequirements, "The minimum resources of the volume."),
        Field("volumeName", 3, STRING, "The PersistentVolume bound to this claim."),
        Field("storageClassName", 5, STRING, "The StorageClass the claim requires."),
        Field(
            "volumeMode",
            6,
            STRING,
            "Whether a filesystem or a raw block volume is required.",
            enum=("Block", "Filesystem"),
        ),
        Field(
            "dataSource",
            7,
            _TYPED_LOCAL_OBJECT_REFERENCE,
            "An existing snapshot or claim to populate the volume from.",
        ),
        Field(
            "dataSourceRef",
            8,
            TypedObjectReference,
            "The object to populate the volume from, if a non-empty volume is desired.",
        ),
        Field(
            "volumeAttributesClassName",
            9,
            STRING,
            "The VolumeAttributesClass used by this claim.",
        ),
    ],
)

PersistentVolumeClaimCondition = Object(
    _CORE + "PersistentVolumeClaimCondition",
    "A condition of a persistent volume claim.",
    [
        Field("type", 1, STRING, "The type of the condition.", required=True),
        Field(
            "status", 2, STRING, "Status of the condition: True, False or Unknown.", required=True
        ),
        Field("lastProbeTime", 3, TIME, "Last time the condition was probed."),
        Field("lastTransitionTime", 4, TIME, "Last time the condition changed status."),
        Field("reason", 5, STRING, "Short machine-understandable reason for the transition."),
        Field("message", 6, STRING, "Human-readable details about the last transition."),
    ],
)

ModifyVolumeStatus = Object(
    _CORE + "ModifyVolumeStatus",
    "The status of a ControllerModifyVolume operation.",
    [
        Field(
            "targetVolumeAttributesClassName",
            1,
            STRING,
            "The VolumeAttributesClass being reconciled.",
        ),
        Field(
            "status",
            2,
            STRING,
            "Status of the operation: Pending, InProgress or Infeasible.",
            required=True,
            enum=("InProgress", "Infeasible", "Pending"),
        ),
    ],
)

PersistentVolumeClaimStatus = Object(
    _CORE + "PersistentVolumeClaimStatus",
    "The current status of a persistent volume claim.",
    [
        Field(
            "phase",
            1,
            STRING,
            "The current phase of the claim.",
            enum=("Bound", "Lost", "Pending"),
        ),
        Field(
            "accessModes",
            2,
            _STRINGS,
            "The actual access modes of the backing volume.",
            list_type="atomic",
        ),
        Field("capacity", 3, _QUANTITIES, "The actual resources of the backing volume."),
        conditions(PersistentVolumeClaimCondition, 4, "Current conditions of the claim."),
        Field("allocatedResources", 5, _QUANTITIES, "The resources allocated to the claim."),
        Field(
            "allocatedResourceStatuses",
            7,
            MapOf(STRING),
            "The resize status of each resource of the claim.",
            map_type="granular",
        ),
        Field(
            "currentVolumeAttributesClassName",
            8,
            STRING,
            "The VolumeAttributesClass the claim currently uses.",
        ),
        Field(
            "modifyVolumeStatus",
            9,
            ModifyVolumeStatus,
            "The status of a ControllerModifyVolume operation, if any.",
        ),
    ],
)

PersistentVolumeClaim = _KINDS.kind(
    "PersistentVolumeClaim",
    "A user's request for and claim to a persistent volume.",
    [
        _metadata(),
        Field("spec", 2, PersistentVolumeClaimSpec, "The desired characteristics of the volume."),
        Field("status", 3, PersistentVolumeClaimStatus, "The current status of the claim."),
    ],
)

PersistentVolumeClaimList = list_kind(
    PersistentVolumeClaim, "A list of PersistentVolumeClaims.", "The persistent volume claims."
)

GlusterfsPersistentVolumeSource = Object(
    _CORE + "GlusterfsPersistentVolumeSource",
    "A Glusterfs mount (deprecated).",
    [
        Field(
            "endpoints",
            1,
            STRING,
            "The endpoint name describing the Glusterfs topology.",
            required=True,
        ),
        Field("path", 2, STRING, "The Glusterfs volume path.", required=True),
        Field("readOnly", 3, BOOL, "Whether to mount the volume read-only."),
        Field("endpointsNamespace", 4, STRING, "The namespace of the Glusterfs endpoints."),
    ],
)

RBDPersistentVolumeSource = Object(
    _CORE + "RBDPersistentVolumeSource",
    "A Rados Block Device mount (deprecated).",
    [
        Field("monitors", 1, _STRINGS, "The Ceph monitors.", required=True, list_type="atomic"),
        Field("image", 2, STRING, "The rados image name.", required=True),
        Field("fsType", 3, STRING, "Filesystem type of the volume."),
        Field("pool", 4, STRING, "The rados pool name; rbd by default."),
        Field("user", 5, STRING, "The rados user name; admin by default."),
        Field("keyring", 6, STRING, "Path to the key ring for the user."),
        Field("secretRef", 7, SecretReference, "The authentication secret for the user."),
        Field("readOnly", 8, BOOL, "Whether to mount the volume read-only."),
    ],
)

ISCSIPersistentVolumeSource = Object(
    _CORE + "ISCSIPersistentVolumeSource",
    "An iSCSI disk.",
    [
        Field("targetPortal", 1, STRING, "The iSCSI target portal.", required=True),
        Field("iqn", 2, STRING, "The target iSCSI qualified name.", required=True),
        Field("lun", 3, INT32, "The iSCSI target LUN number.", required=True),
        Field("iscsiInterface", 4, STRING, "The iSCSI transport interface name."),
        Field("fsType", 5, STRING, "Filesystem type of the volume."),
        Field("readOnly", 6, BOOL, "Whether to mount the volume read-only."),
        Field("portals", 7, _STRINGS, "The iSCSI target portal list.", list_type="atomic"),
        Field("chapAuthDiscovery", 8, BOOL, "Whether iSCSI discovery CHAP authentication is used."),
        Field("chapAuthSession", 11, BOOL, "Whether iSCSI session CHAP authentication is used."),
        Field("secretRef", 10, SecretReference, "The CHAP secret."),
        Field("initiatorName", 12, STRING, "A custom iSCSI initiator name."),
    ],
)

CinderPersistentVolumeSource = Object(
    _CORE + "CinderPersistentVolumeSource",
    "An OpenStack Cinder volume (deprecated).",
    [
        Field("volumeID", 1, STRING, "The Cinder volume ID.", required=True),
        Field("fsType", 2, STRING, "Filesystem type of the volume."),
        Field("readOnly", 3, BOOL, "Whether to mount the volume read-only."),
        Field("secretRef", 4, SecretReference, "Secret with parameters to connect to OpenStack."),
    ],
)

CephFSPersistentVolumeSource = Object(
    _CORE + "CephFSPersistentVolumeSource",
    "A Ceph filesystem mount (deprecated).",
    [
        Field("monitors", 1, _STRINGS, "The Ceph monitors.", required=True, list_type="atomic"),
        Field("path", 2, STRING, "The mounted root within the Ceph tree; / by default."),
        Field("user", 3, STRING, "The rados user name; admin by default."),
        Field("secretFile", 4, STRING, "Path to the key ring for the user."),
        Field("secretRef", 5, SecretReference, "The authentication secret for the user."),
        Field("readOnly", 6, BOOL, "Whether to mount the volume read-only."),
    ],
)

FlexPersistentVolumeSource = Object(
    _CORE + "FlexPersistentVolumeSource",
    "A volume provisioned by an exec-based plugin (deprecated).",
    [
        Field("driver", 1, STRING, "The name of the driver.", required=True),
        Field("fsType", 2, STRING, "Filesystem type of the volume."),
        Field("secretRef", 3, SecretReference, "Secret passed to the plugin scripts."),
        Field("readOnly", 4, BOOL, "Whether to mount the volume read-only."),
        Field("options", 5, MapOf(STRING), "Extra command options."),
    ],
)

AzureFilePersistentVolumeSource = Object(
    _CORE + "AzureFilePersistentVolumeSource",
    "An Azure File Service mount (deprecated).",
    [
        Field(
            "secretName", 1, STRING, "Secret with the storage account name and key.", required=True
        ),
        Field("shareName", 2, STRING, "The Azure share name.", required=True),
        Field("readOnly", 3, BOOL, "Whether to mount the volume read-only."),
        Field("secretNamespace", 4, STRING, "Namespace of the secret; the pod's by default."),
    ],
)

ScaleIOPersistentVolumeSource = Object(
    _CORE + "ScaleIOPersistentVolumeSource",
    "A ScaleIO persistent volume (deprecated).",
    [
        Field("gateway", 1, STRING, "Host address of the ScaleIO API gateway.", required=True),
        Field("system", 2, STRING, "Name of the ScaleIO storage system.", required=True),
        Field("secretRef", 3, SecretReference, "Secret for the ScaleIO user.", required=True),
        Field("sslEnabled", 4, BOOL, "Whether SSL is used with the gateway."),
        Field("protectionDomain", 5, STRING, "The ScaleIO protection domain."),
        Field("storagePool", 6, STRING, "The ScaleIO storage pool."),
        Field("storageMode", 7, STRING, "ThickProvisioned or ThinProvisioned."),
        Field("volumeName", 8, STRING, "Name of an existing ScaleIO volume."),
        Field("fsType", 9, STRING, "Filesystem type of the volume; xfs by default."),
        Field("readOnly", 10, BOOL, "Whether to mount the volume read-only."),
    ],
)

LocalVolumeSource = Object(
    _CORE + "LocalVolumeSource",
    "Directly-attached storage with node affinity.",
    [
        Field(
            "path",
            1,
            STRING,
            "Full path to the directory or block device on the node.",
            required=True,
        ),
        Field("fsType", 2, STRING, "Filesystem type, for a block device."),
    ],
)

StorageOSPersistentVolumeSource = Object(
    _CORE + "StorageOSPersistentVolumeSource",
    "A StorageOS persistent volume (deprecated).",
    [
        Field("volumeName", 1, STRING, "Name of the StorageOS volume."),
        Field("volumeNamespace", 2, STRING, "Scope of the volume within StorageOS."),
        Field("fsType", 3, STRING, "Filesystem type of the volume."),
        Field("readOnly", 4, BOOL, "Whether to mount the volume read-only."),
        Field("secretRef", 5, _OBJECT_REFERENCE, "Secret with the StorageOS API credentials."),
    ],
)

CSIPersistentVolumeSource = Object(
    _CORE + "CSIPersistentVolumeSource",
    "Storage managed by an external CSI volume driver.",
    [
        Field("driver", 1, STRING, "Name of the CSI driver.", required=True),
        Field(
            "volumeHandle", 2, STRING, "Unique volume name returned by CreateVolume.", required=True
        ),
        Field("readOnly", 3, BOOL, "Value passed to ControllerPublishVolumeRequest."),
        Field("fsType", 4, STRING, "Filesystem type to mount."),
        Field("volumeAttributes", 5, MapOf(STRING), "Attributes of the volume to publish."),
        Field(
            "controllerPublishSecretRef",
            6,
            SecretReference,
            "Secret for ControllerPublishVolume and ControllerUnpublishVolume.",
        ),
        Field(
            "nodeStageSecretRef",
            7,
            SecretReference,
            "Secret for NodeStageVolume and NodeUnstageVolume.",
        ),
        Field(
            "nodePublishSecretRef",
            8,
            SecretReference,
            "Secret for NodePublishVolume and NodeUnpublishVolume.",
        ),
        Field(
            "controllerExpandSecretRef",
            9,
            SecretReference,
            "Secret for ControllerExpandVolume.",
        ),
        Field("nodeExpandSecretRef", 10, SecretReference, "Secret for NodeExpandVolume."),
    ],
)

VolumeNodeAffinity = Object(
    _CORE + "VolumeNodeAffinity",
    "Constraints on the nodes a volume can be accessed from.",
    [Field("required", 1, _NODE_SELECTOR, "Hard node constraints that must be met.")],
)

# The volume sources of a PersistentVolume, by JSON name: (protobuf number in
# PersistentVolumeSource, type, doc). Sources shared with pod volumes are the
# Pod closure's declarations.
_PV_SOURCES: tuple[tuple[str, int, TypeSpec, str], ...] = (
    ("gcePersistentDisk", 1, Ref(_CORE + "GCEPersistentDiskVolumeSource"), "A GCE disk."),
    ("awsElasticBlockStore", 2, Ref(_CORE + "AWSElasticBlockStoreVolumeSource"), "An AWS disk."),
    ("hostPath", 3, Ref(_CORE + "HostPathVolumeSource"), "A directory on the host."),
    ("glusterfs", 4, GlusterfsPersistentVolumeSource, "A Glusterfs volume (deprecated)."),
    ("nfs", 5, Ref(_CORE + "NFSVolumeSource"), "An NFS mount on the host."),
    ("rbd", 6, RBDPersistentVolumeSource, "A Rados Block Device (deprecated)."),
    ("iscsi", 7, ISCSIPersistentVolumeSource, "An iSCSI disk."),
    ("cinder", 8, CinderPersistentVolumeSource, "A Cinder volume (deprecated)."),
    ("cephfs", 9, CephFSPersistentVolumeSource, "A CephFS mount (deprecated)."),
    ("fc", 10, Ref(_CORE + "FCVolumeSource"), "A Fibre Channel volume."),
    ("flocker", 11, Ref(_CORE + "FlockerVolumeSource"), "A Flocker volume (deprecated)."),
    ("flexVolume", 12, FlexPersistentVolumeSource, "An exec-based plugin volume (deprecated)."),
    ("azureFile", 13, AzureFilePersistentVolumeSource, "An Azure File share (deprecated)."),
    ("vsphereVolume", 14, Ref(_CORE + "VsphereVirtualDiskVolumeSource"), "A vSphere volume."),
    ("quobyte", 15, Ref(_CORE + "QuobyteVolumeSource"), "A Quobyte mount (deprecated)."),
    ("azureDisk", 16, Ref(_CORE + "AzureDiskVolumeSource"), "An Azure data disk (deprecated)."),
    (
        "photonPersistentDisk",
        17,
        Ref(_CORE + "PhotonPersistentDiskVolumeSource"),
        "A Photon Controller disk (deprecated).",
    ),
    ("portworxVolume", 18, Ref(_CORE + "PortworxVolumeSource"), "A Portworx volume."),
    ("scaleIO", 19, ScaleIOPersistentVolumeSource, "A ScaleIO volume (deprecated)."),
    ("local", 20, LocalVolumeSource, "Directly-attached storage with node affinity."),
    ("storageos", 21, StorageOSPersistentVolumeSource, "A StorageOS volume (deprecated)."),
    ("csi", 22, CSIPersistentVolumeSource, "Storage handled by an external CSI driver."),
)

PersistentVolumeSource = Object(
    _CORE + "PersistentVolumeSource",
    "The volume behind a PersistentVolume: exactly one member is set.",
    [Field(name, proto, type_, doc) for name, proto, type_, doc in _PV_SOURCES],
)

PersistentVolumeSpec = Object(
    _CORE + "PersistentVolumeSpec",
    "The specification of a persistent volume.",
    [
        Field("capacity", 1, _QUANTITIES, "The volume's resources and capacity."),
        # PersistentVolumeSource, inlined (protobuf field 2): see ``embedded``.
        *inlined(PersistentVolumeSource),
        Field(
            "accessModes", 3, _STRINGS, "All ways the volume can be mounted.", list_type="atomic"
        ),
        Field(
            "claimRef",
            4,
            _OBJECT_REFERENCE,
            "The claim bound to this volume.",
            map_type="granular",  # +structType=granular, unlike ObjectReference itself
        ),
        Field(
            "persistentVolumeReclaimPolicy",
            5,
            STRING,
            "What happens to the volume when released from its claim.",
            enum=("Delete", "Recycle", "Retain"),
        ),
        Field("storageClassName", 6, STRING, "The StorageClass this volume belongs to."),
        Field("mountOptions", 7, _STRINGS, "Mount options, e.g. ro or soft.", list_type="atomic"),
        Field(
            "volumeMode",
            8,
            STRING,
            "Whether the volume is a formatted filesystem or a raw block device.",
            enum=("Block", "Filesystem"),
        ),
        Field(
            "nodeAffinity",
            9,
            VolumeNodeAffinity,
            "Constraints on the nodes this volume can be accessed from.",
        ),
        Field(
            "volumeAttributesClassName",
            10,
            STRING,
            "The VolumeAttributesClass this volume belongs to.",
        ),
    ],
    embedded=[Embedded(2, PersistentVolumeSource, "persistentVolumeSource")],
)

PersistentVolumeStatus = Object(
    _CORE + "PersistentVolumeStatus",
    "The current status of a persistent volume.",
    [
        Field(
            "phase",
            1,
            STRING,
            "Whether the volume is available, bound or released.",
            enum=("Available", "Bound", "Failed", "Pending", "Released"),
        ),
        Field("message", 2, STRING, "Human-readable reason for the volume's state."),
        Field("reason", 3, STRING, "Brief CamelCase reason for a failure."),
        Field("lastPhaseTransitionTime", 4, TIME, "When the phase last changed."),
    ],
)

PersistentVolume = _KINDS.kind(
    "PersistentVolume",
    "A storage resource provisioned by an administrator.",
    [
        _metadata(),
        Field("spec", 2, PersistentVolumeSpec, "The specification of the volume."),
        Field("status", 3, PersistentVolumeStatus, "The current status of the volume."),
    ],
)

PersistentVolumeList = list_kind(
    PersistentVolume, "A list of PersistentVolumes.", "The persistent volumes."
)

# --- LimitRange and ResourceQuota --------------------------------------------

LimitRangeItem = Object(
    _CORE + "LimitRangeItem",
    "Min/max usage limits for one kind of resource.",
    [
        Field("type", 1, STRING, "The kind of resource the limit applies to.", required=True),
        Field("max", 2, _QUANTITIES, "Maximum usage by resource name."),
        Field("min", 3, _QUANTITIES, "Minimum usage by resource name."),
        Field("default", 4, _QUANTITIES, "Default limits when a limit is omitted."),
        Field("defaultRequest", 5, _QUANTITIES, "Default requests when a request is omitted."),
        Field(
            "maxLimitRequestRatio",
            6,
            _QUANTITIES,
            "Maximum limit-to-request ratio by resource name.",
        ),
    ],
)

LimitRangeSpec = Object(
    _CORE + "LimitRangeSpec",
    "Min/max usage limits for resources that match on kind.",
    [
        Field(
            "limits",
            1,
            ListOf(LimitRangeItem),
            "The enforced limits.",
            required=True,
            list_type="atomic",
        ),
    ],
)

LimitRange = _KINDS.kind(
    "LimitRange",
    "Resource usage limits for each kind of resource in a namespace.",
    [_metadata(), Field("spec", 2, LimitRangeSpec, "The limits enforced.")],
)

LimitRangeList = list_kind(LimitRange, "A list of LimitRanges.", "The LimitRanges.")

ScopedResourceSelectorRequirement = Object(
    _CORE + "ScopedResourceSelectorRequirement",
    "A requirement relating a quota scope to a set of values.",
    [
        Field(
            "scopeName",
            1,
            STRING,
            "The scope the requirement applies to.",
            required=True,
            enum=(
                "BestEffort",
                "CrossNamespacePodAffinity",
                "NotBestEffort",
                "NotTerminating",
                "PriorityClass",
                "Terminating",
            ),
        ),
        Field(
            "operator",
            2,
            STRING,
            "The relationship of the scope to the values.",
            required=True,
            enum=("DoesNotExist", "Exists", "In", "NotIn"),
        ),
        Field("values", 3, _STRINGS, "The values, for In and NotIn.", list_type="atomic"),
    ],
)

ScopeSelector = Object(
    _CORE + "ScopeSelector",
    "The AND of scoped-resource selector requirements.",
    [
        Field(
            "matchExpressions",
            1,
            ListOf(ScopedResourceSelectorRequirement),
            "Scope selector requirements.",
            list_type="atomic",
        ),
    ],
    atomic=True,
)

ResourceQuotaSpec = Object(
    _CORE + "ResourceQuotaSpec",
    "The desired hard limits of a quota.",
    [
        Field("hard", 1, _QUANTITIES, "Desired hard limits by resource name."),
        Field(
            "scopes", 2, _STRINGS, "Filters every tracked object must match.", list_type="atomic"
        ),
        Field("scopeSelector", 3, ScopeSelector, "Scope filters expressed with operators."),
    ],
)

ResourceQuotaStatus = Object(
    _CORE + "ResourceQuotaStatus",
    "The enforced hard limits and observed use of a quota.",
    [
        Field("hard", 1, _QUANTITIES, "Enforced hard limits by resource name."),
        Field("used", 2, _QUANTITIES, "Current observed usage in the namespace."),
    ],
)

ResourceQuota = _KINDS.kind(
    "ResourceQuota",
    "Aggregate quota restrictions enforced per namespace.",
    [
        _metadata(),
        Field("spec", 2, ResourceQuotaSpec, "The desired quota."),
        Field("status", 3, ResourceQuotaStatus, "The enforced quota and its current usage."),
    ],
)

ResourceQuotaList = list_kind(ResourceQuota, "A list of ResourceQuotas.", "The ResourceQuotas.")

# --- ReplicationController -------------------------------------

ReplicationControllerSpec = Object(
    _CORE + "ReplicationControllerSpec",
    "The specification of a replication controller.",
    [
        Field("replicas", 1, INT32, "The number of desired replicas; 1 by default."),
        Field(
            "minReadySeconds",
            4,
            INT32,
            "Seconds a new pod must be ready to count as available.",
        ),
        Field(
            "selector",
            2,
            MapOf(STRING),
            "Labels of the pods counted as replicas.",
            map_type="atomic",
        ),
        Field("template", 3, _POD_TEMPLATE_SPEC, "The pod created when replicas are missing."),
    ],
)

ReplicationControllerCondition = Object(
    _CORE + "ReplicationControllerCondition",
    "The state of a replication controller at a point in time.",
    [
        Field("type", 1, STRING, "Type of the condition.", required=True),
        Field(
            "status", 2, STRING, "Status of the condition: True, False or Unknown.", required=True
        ),
        Field("lastTransitionTime", 3, TIME, "Last time the condition changed status."),
        Field("reason", 4, STRING, "The reason for the last transition."),
        Field("message", 5, STRING, "Human-readable details about the transition."),
    ],
)

ReplicationControllerStatus = Object(
    _CORE + "ReplicationControllerStatus",
    "The current status of a replication controller.",
    [
        Field(
            "replicas", 1, INT32, "The most recently observed number of replicas.", required=True
        ),
        Field(
            "fullyLabeledReplicas",
            2,
            INT32,
            "Pods whose labels match the template's labels.",
        ),
        Field("readyReplicas", 4, INT32, "Ready replicas."),
        Field("availableReplicas", 5, INT32, "Replicas ready for at least minReadySeconds."),
        Field("observedGeneration", 3, INT64, "The most recently observed generation."),
        conditions(ReplicationControllerCondition, 6, "The latest observations of the state."),
    ],
)

ReplicationController = _KINDS.kind(
    "ReplicationController",
    "The configuration of a replication controller.",
    [
        _metadata(),
        Field("spec", 2, ReplicationControllerSpec, "The desired behavior."),
        Field("status", 3, ReplicationControllerStatus, "The most recently observed status."),
    ],
)

ReplicationControllerList = list_kind(
    ReplicationController, "A list of ReplicationControllers.", "The replication controllers."
)

# --- ComponentStatus --------------------------------------------------------

ComponentCondition = Object(
    _CORE + "ComponentCondition",
    "The condition of a component.",
    [
        Field("type", 1, STRING, "Type of condition: Healthy.", required=True),
        Field(
            "status", 2, STRING, "Status of the condition: True, False or Unknown.", required=True
        ),
        Field("message", 3, STRING, "Message about the condition, e.g. a health check result."),
        Field("error", 4, STRING, "Error code of the condition."),
    ],
)

ComponentStatus = _KINDS.kind(
    "ComponentStatus",
    "Cluster validation info (deprecated).",
    [_metadata(), conditions(ComponentCondition, 2, "The observed component conditions.")],
)

ComponentStatusList = list_kind(
    ComponentStatus, "A list of ComponentStatuses (deprecated).", "The ComponentStatus objects."
)

# --- Topology (StorageClass.allowedTopologies) ------------------------------

TopologySelectorLabelRequirement = Object(
    _CORE + "TopologySelectorLabelRequirement",
    "A selector matching a label against values.",
    [
        Field("key", 1, STRING, "The label key.", required=True),
        Field(
            "values",
            2,
            _STRINGS,
            "Values, one of which must match the label.",
            required=True,
            list_type="atomic",
        ),
    ],
)

TopologySelectorTerm = Object(
    _CORE + "TopologySelectorTerm",
    "The AND of topology label requirements.",
    [
        Field(
            "matchLabelExpressions",
            1,
            ListOf(TopologySelectorLabelRequirement),
            "Topology selector requirements by labels.",
            list_type="atomic",
        ),
    ],
    atomic=True,
)

# --- Subresource bodies, query options and internal kinds --------------------

PodStatusResult = _KINDS.kind(
    "PodStatusResult",
    "A PodStatus wrapper returned by the kubelet.",
    [_metadata(), Field("status", 2, _POD_STATUS, "The most recently observed status of the pod.")],
)

PodLogOptions = _KINDS.kind(
    "PodLogOptions",
    "Query options of a pod's log request.",
    [
        Field("container", 1, STRING, "The container to stream logs of."),
        Field("follow", 2, BOOL, "Whether to follow the log stream."),
        Field("previous", 3, BOOL, "Whether to return the previous terminated container's logs."),
        Field("sinceSeconds", 4, INT64, "Show logs from this many seconds ago."),
        Field("sinceTime", 5, TIME, "Show logs from this time."),
        Field("timestamps", 6, BOOL, "Whether to prefix every line with its timestamp."),
        Field("tailLines", 7, INT64, "Number of lines from the end of the log to show."),
        Field("limitBytes", 8, INT64, "Number of bytes to read before stopping."),
        Field(
            "insecureSkipTLSVerifyBackend",
            9,
            BOOL,
            "Whether to skip verifying the kubelet's serving certificate.",
        ),
        Field("stream", 10, STRING, "Which stream to return: All, Stdout or Stderr."),
    ],
)

PodAttachOptions = _KINDS.kind(
    "PodAttachOptions",
    "Query options of a pod's attach request.",
    [
        Field("stdin", 1, BOOL, "Whether to redirect standard input."),
        Field("stdout", 2, BOOL, "Whether to redirect standard output."),
        Field("stderr", 3, BOOL, "Whether to redirect standard error."),
        Field("tty", 4, BOOL, "Whether to allocate a TTY."),
        Field("container", 5, STRING, "The container to attach to."),
    ],
)

PodExecOptions = _KINDS.kind(
    "PodExecOptions",
    "Query options of a pod's exec request.",
    [
        Field("stdin", 1, BOOL, "Whether to redirect standard input."),
        Field("stdout", 2, BOOL, "Whether to redirect standard output."),
        Field("stderr", 3, BOOL, "Whether to redirect standard error."),
        Field("tty", 4, BOOL, "Whether to allocate a TTY."),
        Field("container", 5, STRING, "The container to execute the command in."),
        Field(
            "command", 6, _STRINGS, "The command to execute, as an argv array.", list_type="atomic"
        ),
    ],
)

PodPortForwardOptions = _KINDS.kind(
    "PodPortForwardOptions",
    "Query options of a pod's port-forward request over WebSockets.",
    [Field("ports", 1, ListOf(INT32), "The ports to forward.", list_type="atomic")],
)

PodProxyOptions = _KINDS.kind(
    "PodProxyOptions",
    "Query options of a proxy request to a pod.",
    [Field("path", 1, STRING, "The URL path of the proxy request.")],
)

NodeProxyOptions = _KINDS.kind(
    "NodeProxyOptions",
    "Query options of a proxy request to a node.",
    [Field("path", 1, STRING, "The URL path of the proxy request.")],
)

ServiceProxyOptions = _KINDS.kind(
    "ServiceProxyOptions",
    "Query options of a proxy request to a service.",
    [Field("path", 1, STRING, "The URL path of the proxy request.")],
)

RangeAllocation = _KINDS.kind(
    "RangeAllocation",
    "An allocation bitmap over a range (internal).",
    [
        _metadata(),
        Field("range", 2, STRING, "The range represented by data.", required=True),
        Field("data", 3, BYTES, "A bit array of the allocated addresses.", required=True),
    ],
)

SerializedReference = _KINDS.kind(
    "SerializedReference",
    "A serialized reference to an object.",
    [Field("reference", 1, _OBJECT_REFERENCE, "The reference to an object.")],
)

List = _KINDS.kind(
    "List",
    "A list of objects of any kind.",
    [
        Field("metadata", 1, _LIST_META, "Standard list metadata."),
        Field("items", 2, ListOf(RAW_EXTENSION), "The objects.", required=True),
    ],
)
