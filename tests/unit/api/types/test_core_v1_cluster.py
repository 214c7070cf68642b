"""core/v1 cluster types: references, realistic manifests and well-known numbers.

The helpers at the top (``undeclared``, ``external_refs``, ...) are shared by
the other type-declaration tests in this folder.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
import yaml

from kubeling.api import schema
from kubeling.api.core.v1 import cluster
from kubeling.api.schema import DEFINITIONS, Field, ListOf, MapOf, Object, Ref, Scalar, TypeSpec

META_V1 = "kubeling.api.meta.v1"
CORE_V1_POD = "kubeling.api.core.v1.pod"

_SCALAR_TYPES: dict[Scalar, tuple[type, ...]] = {
    schema.STRING: (str,),
    schema.INT32: (int,),
    schema.INT64: (int,),
    schema.BOOL: (bool,),
    schema.DOUBLE: (int, float),
    schema.BYTES: (str,),
    schema.TIME: (str,),
    schema.MICRO_TIME: (str,),
    schema.DURATION: (str,),
    schema.QUANTITY: (str, int, float),
    schema.INT_OR_STRING: (str, int),
}


# --- Helpers shared with the other type tests ---------------------------------


def load(text: str) -> dict[str, Any]:
    """A YAML manifest as JSON-shaped data."""
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def import_if_present(module: str) -> ModuleType | None:
    """The module, or None while its author has not written it yet."""
    if importlib.util.find_spec(module) is None:
        return None
    return importlib.import_module(module)


def declared_objects(module: ModuleType) -> list[Object]:
    return [value for value in vars(module).values() if isinstance(value, Object)]


def _refs_in(spec: TypeSpec) -> Iterator[Ref]:
    if isinstance(spec, Ref):
        yield spec
    elif isinstance(spec, ListOf):
        yield from _refs_in(spec.item)
    elif isinstance(spec, MapOf):
        yield from _refs_in(spec.value)


def external_refs(module: ModuleType) -> set[str]:
    """Definition names the module's types refer to but do not declare."""
    own = {obj.name for obj in declared_objects(module)}
    return {
        ref.name
        for obj in declared_objects(module)
        for f in obj.fields
        for ref in _refs_in(f.type)
        if ref.name not in own
    }


def undeclared(spec: TypeSpec, value: object, path: str = "") -> list[str]:
    """Every problem met descending ``value`` along ``spec``.

    Reports fields the declarations do not know, required fields that are
    missing and scalars of the wrong JSON type. Stops at Refs that do not
    resolve yet (their owners have not declared them).
    """
    if isinstance(spec, Ref):
        if spec.name not in DEFINITIONS:
            return []
        spec = spec.resolve()
    if isinstance(spec, Object):
        if not isinstance(value, dict):
            return [f"{path}: expected an object for {spec.name}"]
        problems = [
            f"{path}.{name}: required by {spec.name} but missing"
            for name in spec.required()
            if name not in value
        ]
        for key, item in value.items():
            declared = spec.get(key)
            if declared is None:
                if not spec.preserve_unknown:
                    problems.append(f"{path}.{key}: not declared in {spec.name}")
                continue
            problems += undeclared(declared.type, item, f"{path}.{key}")
        return problems
    if isinstance(spec, ListOf):
        if not isinstance(value, list):
            return [f"{path}: expected a list"]
        return [
            p for i, item in enumerate(value) for p in undeclared(spec.item, item, f"{path}[{i}]")
        ]
    if isinstance(spec, MapOf):
        if not isinstance(value, dict):
            return [f"{path}: expected a map"]
        return [
            p for k, item in value.items() for p in undeclared(spec.value, item, f"{path}[{k}]")
        ]
    allowed = _SCALAR_TYPES.get(spec)
    if allowed is None:  # RAW_EXTENSION, JSON, FIELDS_V1: any JSON value.
        return []
    if isinstance(value, bool) and bool not in allowed:
        return [f"{path}: {value!r} is not {spec!r}"]
    if not isinstance(value, allowed):
        return [f"{path}: {value!r} is not {spec!r}"]
    return []


def assert_manifest_declared(manifest: dict[str, Any]) -> None:
    """The manifest's kind is declared and every field in it is too."""
    kinds = [
        obj
        for obj in DEFINITIONS.values()
        if obj.gvk is not None
        and obj.gvk.api_version == manifest["apiVersion"]
        and obj.gvk.kind == manifest["kind"]
    ]
    assert len(kinds) == 1, f"{manifest['apiVersion']} {manifest['kind']} declared {len(kinds)}x"
    assert undeclared(kinds[0], manifest) == []


def assert_well_formed(module: ModuleType, *, inlined: frozenset[str] = frozenset()) -> None:
    """Structural rules every declaration in ``module`` keeps.

    Top-level kinds start with apiVersion and kind (protobuf 0, in the
    envelope), every other field has a protobuf number (except ``inlined``
    ``Definition.field`` names), list and map metadata sit on lists and maps,
    and each Object is the one registered under its name (no other module
    overwrote it).
    """
    for obj in declared_objects(module):
        assert DEFINITIONS[obj.name] is obj, f"{obj.name} is declared twice"
        fields = list(obj.fields)
        if obj.gvk is not None:
            assert [(f.json, f.proto) for f in fields[:2]] == [("apiVersion", 0), ("kind", 0)]
            assert obj.name.endswith("." + obj.gvk.kind)
            fields = fields[2:]
            if obj.gvk.kind.endswith("List") and obj.get("items") is not None:
                assert obj.field("metadata").type == Ref(
                    "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"
                )
                assert obj.field("items").required
        for f in fields:
            where = f"{obj.name}.{f.json}"
            assert f.proto > 0 or where in inlined, f"{where} has no protobuf number"
            assert f.doc, f"{where} has no doc"
            _assert_field_metadata(f, where)


def _assert_field_metadata(f: Field, where: str) -> None:
    resolved = f.type if not isinstance(f.type, Ref) else None
    if f.list_type is not None or f.list_map_keys:
        assert isinstance(resolved, ListOf), f"{where}: list metadata on a non-list"
        assert f.list_type in ("atomic", "set", "map"), where
        assert bool(f.list_map_keys) == (f.list_type == "map"), where
    if f.patch_merge_key is not None:
        assert isinstance(resolved, ListOf), where
        assert f.patch_strategy is not None, where
        assert "merge" in f.patch_strategy, where
    if f.map_type is not None:
        assert f.map_type in ("atomic", "granular"), where
        assert not isinstance(resolved, ListOf), where


# --- References to the other engineers' modules -------------------------------

META_REFS = {
    "io.k8s.apimachinery.pkg.apis.meta.v1.Condition",
    "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector",
    "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta",
    "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
    "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference",
}
POD_REFS = {
    "io.k8s.api.core.v1.AWSElasticBlockStoreVolumeSource",
    "io.k8s.api.core.v1.AzureDiskVolumeSource",
    "io.k8s.api.core.v1.FCVolumeSource",
    "io.k8s.api.core.v1.FlockerVolumeSource",
    "io.k8s.api.core.v1.GCEPersistentDiskVolumeSource",
    "io.k8s.api.core.v1.HostPathVolumeSource",
    "io.k8s.api.core.v1.LocalObjectReference",
    "io.k8s.api.core.v1.NFSVolumeSource",
    "io.k8s.api.core.v1.NodeSelector",
    "io.k8s.api.core.v1.ObjectReference",
    "io.k8s.api.core.v1.PhotonPersistentDiskVolumeSource",
    "io.k8s.api.core.v1.PodStatus",
    "io.k8s.api.core.v1.PodTemplateSpec",
    "io.k8s.api.core.v1.PortworxVolumeSource",
    "io.k8s.api.core.v1.QuobyteVolumeSource",
    "io.k8s.api.core.v1.TypedLocalObjectReference",
    "io.k8s.api.core.v1.VsphereVirtualDiskVolumeSource",
}
OWNERS = {META_V1: META_REFS, CORE_V1_POD: POD_REFS}

# The one inlined Go struct (PersistentVolumeSource, protobuf field 2 of the spec).
PV_INLINED = frozenset(
    f"io.k8s.api.core.v1.PersistentVolumeSpec.{name}"
    for embedded in cluster.PersistentVolumeSpec.embedded
    for name in embedded.json_names()
)


def test_external_refs_are_exactly_the_expected_ones() -> None:
    """cluster.py refers outside itself only to meta/v1 and the Pod closure, by these names."""
    assert external_refs(cluster) == META_REFS | POD_REFS


@pytest.mark.parametrize("owner", sorted(OWNERS))
def test_refs_resolve_once_their_owner_exists(owner: str) -> None:
    """Every name expected from an owner module is declared by it, once it is written."""
    if import_if_present(owner) is None:
        pytest.skip(f"{owner} is not written yet")
    missing = sorted(name for name in OWNERS[owner] if name not in DEFINITIONS)
    assert missing == []


def test_declarations_are_well_formed() -> None:
    """apiVersion/kind first, protobuf numbers everywhere, list/map metadata where it fits."""
    for owner in OWNERS:
        import_if_present(owner)
    assert_well_formed(cluster, inlined=PV_INLINED)


def test_persistent_volume_source_mirrors_the_inlined_spec_fields() -> None:
    """The flattened PV source fields and the embedded PersistentVolumeSource agree."""
    spec = cluster.PersistentVolumeSpec
    [embedded] = spec.embedded
    assert (embedded.number, embedded.type) == (2, cluster.PersistentVolumeSource)
    assert embedded.json_names() == {f.json for f in cluster.PersistentVolumeSource.fields}
    assert [obj.name for obj in declared_objects(cluster) if obj.embedded] == [spec.name]
    assert spec.get("persistentVolumeSource") is None
    for source in cluster.PersistentVolumeSource.fields:
        flat = spec.field(source.json)
        assert (flat.proto, flat.type) == (0, source.type)
    numbers = [f.proto for f in cluster.PersistentVolumeSource.fields]
    assert sorted(numbers) == list(range(1, 23))


# --- Well-known numbers and metadata --------------------------------------------


@pytest.mark.parametrize(
    ("obj", "field", "number"),
    [
        (cluster.Namespace, "metadata", 1),
        (cluster.Namespace, "spec", 2),
        (cluster.Namespace, "status", 3),
        (cluster.ConfigMap, "data", 2),
        (cluster.ConfigMap, "binaryData", 3),
        (cluster.ConfigMap, "immutable", 4),
        (cluster.Secret, "data", 2),
        (cluster.Secret, "type", 3),
        (cluster.Secret, "stringData", 4),
        (cluster.Secret, "immutable", 5),
        (cluster.ServiceSpec, "ports", 1),
        (cluster.ServiceSpec, "clusterIPs", 18),
        (cluster.ServiceSpec, "ipFamilyPolicy", 17),
        (cluster.ServiceSpec, "trafficDistribution", 23),
        (cluster.ServicePort, "appProtocol", 6),
        (cluster.ServicePort, "port", 3),
        (cluster.NodeSpec, "podCIDRs", 7),
        (cluster.NodeSpec, "externalID", 2),
        (cluster.NodeStatus, "features", 13),
        (cluster.NodeSystemInfo, "swap", 11),
        (cluster.EndpointAddress, "targetRef", 2),
        (cluster.EndpointAddress, "hostname", 3),
        (cluster.PersistentVolumeClaimSpec, "selector", 4),
        (cluster.PersistentVolumeClaimSpec, "resources", 2),
        (cluster.PersistentVolumeClaimStatus, "allocatedResourceStatuses", 7),
        (cluster.ISCSIPersistentVolumeSource, "chapAuthSession", 11),
        (cluster.ISCSIPersistentVolumeSource, "secretRef", 10),
        (cluster.Event, "eventTime", 10),
        (cluster.NamespaceCondition, "lastTransitionTime", 4),
    ],
)
def test_well_known_protobuf_numbers(obj: Object, field: str, number: int) -> None:
    """Numbers as in core/v1 generated.proto."""
    assert obj.field(field).proto == number


def test_service_ports_merge_on_port_and_protocol() -> None:
    """ServiceSpec.ports: strategic merge on port, server-side apply map on (port, protocol)."""
    ports = cluster.ServiceSpec.field("ports")
    assert (ports.patch_strategy, ports.patch_merge_key) == ("merge", "port")
    assert (ports.list_type, ports.list_map_keys) == ("map", ("port", "protocol"))
    assert cluster.ServicePort.field("port").required


def test_kinds_and_scalar_types() -> None:
    """GVKs, binary data as bytes, quantities and int-or-string where Go has them."""
    assert cluster.Namespace.gvk == schema.GroupVersionKind("", "v1", "Namespace")
    assert cluster.NamespaceList.field("items").type == ListOf(cluster.Namespace)
    assert cluster.ConfigMap.field("binaryData").type == MapOf(schema.BYTES)
    assert cluster.Secret.field("data").type == MapOf(schema.BYTES)
    assert cluster.NodeStatus.field("capacity").type == MapOf(schema.QUANTITY)
    assert cluster.ServicePort.field("targetPort").type is schema.INT_OR_STRING
    assert cluster.EventSeries.field("lastObservedTime").type is schema.MICRO_TIME
    assert cluster.NodeSpec.field("podCIDRs").patch_strategy == "merge"
    assert cluster.NodeStatus.field("addresses").patch_merge_key == "type"
    assert cluster.ServiceSpec.field("selector").map_type == "atomic"
    assert cluster.Event.field("involvedObject").required


# --- Realistic manifests ----------------------------------------------------

SERVICE_LOAD_BALANCER = """
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
  labels: {app: web}
  annotations:
    service.beta.kubernetes.io/aws-load-balancer-type: nlb
spec:
  type: LoadBalancer
  selector: {app: web}
  ports:
  - name: http
    protocol: TCP
    appProtocol: http
    port: 80
    targetPort: http
    nodePort: 31080
  - name: https
    protocol: TCP
    port: 443
    targetPort: 8443
    nodePort: 31443
  clusterIP: 10.96.12.34
  clusterIPs: [10.96.12.34]
  ipFamilies: [IPv4]
  ipFamilyPolicy: SingleStack
  sessionAffinity: ClientIP
  sessionAffinityConfig:
    clientIP: {timeoutSeconds: 10800}
  externalTrafficPolicy: Local
  healthCheckNodePort: 32123
  allocateLoadBalancerNodePorts: true
  internalTrafficPolicy: Cluster
  loadBalancerClass: example.com/lb
  loadBalancerSourceRanges: [203.0.113.0/24]
status:
  loadBalancer:
    ingress:
    - ip: 203.0.113.10
      ipMode: VIP
      ports:
      - {port: 80, protocol: TCP}
      - {port: 443, protocol: TCP, error: CertificatePending}
    - hostname: web.lb.example.com
  conditions:
  - type: LoadBalancerReady
    status: "True"
    reason: Provisioned
    message: ok
    lastTransitionTime: "2024-05-01T10:00:00Z"
"""

NODE_AS_KUBELET_REPORTS = """
apiVersion: v1
kind: Node
metadata:
  name: worker-1
  labels:
    kubernetes.io/hostname: worker-1
    kubernetes.io/os: linux
    node.kubernetes.io/instance-type: m5.xlarge
  annotations:
    node.alpha.kubernetes.io/ttl: "0"
    volumes.kubernetes.io/controller-managed-attach-detach: "true"
spec:
  podCIDR: 10.244.1.0/24
  podCIDRs: [10.244.1.0/24, fd00:10:244:1::/64]
  providerID: aws:///eu-west-1a/i-0123456789abcdef0
  taints:
  - key: node-role.kubernetes.io/infra
    effect: NoSchedule
  - key: node.kubernetes.io/unreachable
    effect: NoExecute
    timeAdded: "2024-05-01T10:00:00Z"
status:
  capacity:
    cpu: "4"
    ephemeral-storage: 102687672Ki
    hugepages-2Mi: "0"
    memory: 16318412Ki
    pods: "110"
  allocatable:
    cpu: 3800m
    ephemeral-storage: "94636477605"
    hugepages-2Mi: "0"
    memory: 15601612Ki
    pods: "110"
  conditions:
  - type: MemoryPressure
    status: "False"
    lastHeartbeatTime: "2024-05-01T10:05:00Z"
    lastTransitionTime: "2024-05-01T10:00:00Z"
    reason: KubeletHasSufficientMemory
    message: kubelet has sufficient memory available
  - type: Ready
    status: "True"
    lastHeartbeatTime: "2024-05-01T10:05:00Z"
    lastTransitionTime: "2024-05-01T10:00:10Z"
    reason: KubeletReady
    message: kubelet is posting ready status
  addresses:
  - {type: InternalIP, address: 10.0.1.17}
  - {type: InternalIP, address: "fd00::17"}
  - {type: Hostname, address: worker-1}
  daemonEndpoints:
    kubeletEndpoint: {Port: 10250}
  nodeInfo:
    machineID: ec2a3f0c2b9f4c0a8d3b1e2f4a5b6c7d
    systemUUID: ec2a3f0c-2b9f-4c0a-8d3b-1e2f4a5b6c7d
    bootID: 5d1c8a7e-3f2b-4e6d-9c0a-1b2c3d4e5f60
    kernelVersion: 6.1.0-18-amd64
    osImage: Debian GNU/Linux 12 (bookworm)
    containerRuntimeVersion: containerd://1.7.13
    kubeletVersion: v1.32.0
    kubeProxyVersion: ""
    operatingSystem: linux
    architecture: amd64
    swap: {capacity: 0}
  images:
  - names:
    - registry.k8s.io/pause@sha256:7031c1b283388d2c2e09b57badb803c05ebed362dc88d84b480cc47f72a21097
    - registry.k8s.io/pause:3.10
    sizeBytes: 320368
  volumesInUse: [kubernetes.io/csi/ebs.csi.aws.com^vol-0abc]
  volumesAttached:
  - name: kubernetes.io/csi/ebs.csi.aws.com^vol-0abc
    devicePath: ""
  runtimeHandlers:
  - name: ""
    features: {recursiveReadOnlyMounts: true, userNamespaces: true}
  - name: runc
    features: {recursiveReadOnlyMounts: true, userNamespaces: true}
  features: {supplementalGroupsPolicy: true}
"""

PERSISTENT_VOLUME_CSI = """
apiVersion: v1
kind: PersistentVolume
metadata:
  name: pvc-0f1e2d3c
  finalizers: [kubernetes.io/pv-protection]
spec:
  capacity: {storage: 10Gi}
  csi:
    driver: ebs.csi.aws.com
    volumeHandle: vol-0abc
    fsType: ext4
    volumeAttributes: {storage.kubernetes.io/csiProvisionerIdentity: 1714557600000-1-ebs}
    nodeStageSecretRef: {name: ebs-secret, namespace: kube-system}
  accessModes: [ReadWriteOnce]
  claimRef:
    apiVersion: v1
    kind: PersistentVolumeClaim
    name: data-db-0
    namespace: default
    uid: 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0
  persistentVolumeReclaimPolicy: Delete
  storageClassName: gp3
  volumeMode: Filesystem
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions:
        - {key: topology.ebs.csi.aws.com/zone, operator: In, values: [eu-west-1a]}
status:
  phase: Bound
  lastPhaseTransitionTime: "2024-05-01T10:00:00Z"
"""

PERSISTENT_VOLUME_CLAIM = """
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data-db-0, namespace: default}
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests: {storage: 10Gi}
  storageClassName: gp3
  volumeMode: Filesystem
  volumeName: pvc-0f1e2d3c
  dataSourceRef: {apiGroup: snapshot.storage.k8s.io, kind: VolumeSnapshot, name: nightly}
status:
  phase: Bound
  accessModes: [ReadWriteOnce]
  capacity: {storage: 10Gi}
  allocatedResources: {storage: 10Gi}
  allocatedResourceStatuses: {storage: NodeResizePending}
  conditions:
  - type: FileSystemResizePending
    status: "True"
    lastTransitionTime: "2024-05-01T10:00:00Z"
  modifyVolumeStatus: {targetVolumeAttributesClassName: fast, status: InProgress}
"""

OTHER_CLUSTER_OBJECTS = """
- apiVersion: v1
  kind: Namespace
  metadata: {name: team-a}
  spec: {finalizers: [kubernetes]}
  status:
    phase: Terminating
    conditions:
    - {type: NamespaceDeletionContentFailure, status: "False", reason: ContentDeleted}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: settings, namespace: team-a}
  data: {log.level: debug}
  binaryData: {logo.png: iVBORw0KGgo=}
  immutable: true
- apiVersion: v1
  kind: Secret
  metadata: {name: token, namespace: team-a}
  type: kubernetes.io/service-account-token
  data: {token: ZXlK}
  stringData: {ca.crt: "-----BEGIN CERTIFICATE-----"}
- apiVersion: v1
  kind: ServiceAccount
  metadata: {name: builder, namespace: team-a}
  secrets: [{name: builder-token}]
  imagePullSecrets: [{name: registry}]
  automountServiceAccountToken: false
- apiVersion: v1
  kind: Endpoints
  metadata: {name: web, namespace: team-a}
  subsets:
  - addresses:
    - ip: 10.244.1.5
      nodeName: worker-1
      targetRef: {kind: Pod, name: web-0, namespace: team-a}
    notReadyAddresses: [{ip: 10.244.2.6, hostname: web-1}]
    ports: [{name: http, port: 8080, protocol: TCP, appProtocol: http}]
- apiVersion: v1
  kind: Event
  metadata: {name: web-0.17c3a, namespace: team-a}
  involvedObject: {apiVersion: v1, kind: Pod, name: web-0, namespace: team-a}
  reason: Scheduled
  message: Successfully assigned team-a/web-0 to worker-1
  source: {component: default-scheduler}
  type: Normal
  count: 1
  firstTimestamp: "2024-05-01T10:00:00Z"
  lastTimestamp: "2024-05-01T10:00:00Z"
  eventTime: "2024-05-01T10:00:00.123456Z"
  series: {count: 2, lastObservedTime: "2024-05-01T10:01:00.000001Z"}
  reportingComponent: default-scheduler
  reportingInstance: default-scheduler-cp-1
  action: Binding
- apiVersion: v1
  kind: ResourceQuota
  metadata: {name: compute, namespace: team-a}
  spec:
    hard: {requests.cpu: "4", limits.memory: 8Gi, pods: "20"}
    scopeSelector:
      matchExpressions:
      - {scopeName: PriorityClass, operator: In, values: [high]}
  status:
    hard: {requests.cpu: "4"}
    used: {requests.cpu: 500m}
- apiVersion: v1
  kind: LimitRange
  metadata: {name: defaults, namespace: team-a}
  spec:
    limits:
    - type: Container
      default: {cpu: 500m, memory: 512Mi}
      defaultRequest: {cpu: 100m}
      max: {cpu: "2"}
      maxLimitRequestRatio: {cpu: "4"}
- apiVersion: v1
  kind: ReplicationController
  metadata: {name: legacy, namespace: team-a}
  spec:
    replicas: 2
    selector: {app: legacy}
    template:
      metadata: {labels: {app: legacy}}
      spec:
        containers: [{name: app, image: nginx:1.27}]
  status:
    replicas: 2
    readyReplicas: 2
    availableReplicas: 2
    fullyLabeledReplicas: 2
    observedGeneration: 1
- apiVersion: v1
  kind: ComponentStatus
  metadata: {name: etcd-0}
  conditions: [{type: Healthy, status: "True", message: ok}]
- apiVersion: v1
  kind: Binding
  metadata: {name: web-0, namespace: team-a}
  target: {apiVersion: v1, kind: Node, name: worker-1}
"""


@pytest.mark.parametrize(
    "text",
    [
        SERVICE_LOAD_BALANCER,
        NODE_AS_KUBELET_REPORTS,
        PERSISTENT_VOLUME_CSI,
        PERSISTENT_VOLUME_CLAIM,
    ],
    ids=["service-loadbalancer", "node", "persistentvolume-csi", "persistentvolumeclaim"],
)
def test_manifest_fields_are_declared(text: str) -> None:
    """Every field of a realistic manifest is declared, with the right JSON type."""
    for owner in OWNERS:
        import_if_present(owner)
    assert_manifest_declared(load(text))


def test_other_cluster_objects_are_declared() -> None:
    """Namespaces, ConfigMaps, Secrets, Events, quotas... as a cluster holds them."""
    for owner in OWNERS:
        import_if_present(owner)
    manifests = yaml.safe_load(OTHER_CLUSTER_OBJECTS)
    assert isinstance(manifests, list)
    for manifest in manifests:
        assert_manifest_declared(manifest)


def test_walker_reports_what_is_not_declared() -> None:
    """The walker itself: unknown fields, missing required fields, wrong scalar types."""
    service = load(SERVICE_LOAD_BALANCER)
    service["spec"]["portz"] = []
    service["spec"]["ports"][0]["port"] = "80"
    del service["spec"]["ports"][1]["port"]
    service["status"]["loadBalancer"]["ingress"][0]["ports"][0]["protocol"] = 6
    assert undeclared(cluster.Service, service) == [
        ".spec.ports[0].port: '80' is not INT32",
        ".spec.ports[1].port: required by io.k8s.api.core.v1.ServicePort but missing",
        ".spec.portz: not declared in io.k8s.api.core.v1.ServiceSpec",
        ".status.loadBalancer.ingress[0].ports[0].protocol: 6 is not STRING",
    ]
