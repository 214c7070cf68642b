"""core/v1 Pod closure: references, a realistic Pod, well-known numbers and metadata."""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

import pytest
import yaml

from kubeling.api import protobuf, schema
from kubeling.api.core.v1 import pod
from kubeling.api.meta import v1 as meta
from kubeling.api.schema import DEFINITIONS, ListOf, Object, Ref
from tests.unit.api.types.test_meta_v1 import objects_in, unresolved_refs, walk

CLUSTER = "kubeling.api.core.v1.cluster"

# Declared by core/v1/cluster.py (another engineer): reachable from a Pod through an
# ephemeral volume's claim template. Checked to resolve once cluster.py exists.
CLUSTER_REFS = frozenset({"io.k8s.api.core.v1.PersistentVolumeClaimSpec"})

POD_OBJECTS: list[Object] = [
    obj for name in pod.__all__ if isinstance(obj := getattr(pod, name), Object)
]


def cluster_present() -> bool:
    if importlib.util.find_spec(CLUSTER) is None:
        return False
    importlib.import_module(CLUSTER)
    return True


def test_refs_resolve_except_the_cluster_ones() -> None:
    """Only the claim spec is declared elsewhere; it resolves once cluster.py is there.

    The lists name their ListMeta by Ref too (``schema.list_kind``); meta/v1 declares it.
    """
    expected = set() if cluster_present() else set(CLUSTER_REFS)
    assert unresolved_refs(POD_OBJECTS) == expected
    direct = {r.name for obj in POD_OBJECTS for f in obj.fields for r in _refs(f.type)}
    assert direct == {*CLUSTER_REFS, meta.ListMeta.name}


def _refs(spec: schema.TypeSpec) -> list[Ref]:
    if isinstance(spec, Ref):
        return [spec]
    if isinstance(spec, ListOf):
        return _refs(spec.item)
    if isinstance(spec, schema.MapOf):
        return _refs(spec.value)
    return []


def test_declarations_are_registered_and_numbered() -> None:
    """Each Object is the registered one; every field but TypeMeta and inlined ones is numbered."""
    assert len(POD_OBJECTS) == 121
    inlined = {
        (obj.name, name)
        for obj in POD_OBJECTS
        for embedded in obj.embedded
        for name in embedded.json_names()
    }
    for obj in POD_OBJECTS:
        assert obj.name.startswith("io.k8s.api.core.v1.")
        assert obj.doc, obj.name
        if obj.gvk is not None:
            assert [(f.json, f.proto) for f in obj.fields[:2]] == [("apiVersion", 0), ("kind", 0)]
        for f in obj.fields:
            if f.json in ("apiVersion", "kind") and obj.gvk is not None:
                continue
            assert f.doc, f"{obj.name}.{f.json}"
            assert (f.proto == 0) == ((obj.name, f.json) in inlined), f"{obj.name}.{f.json}"


def test_the_pod_module_owns_its_names() -> None:
    """No other module re-declared a Pod-closure type under the same name."""
    others = {n for n in DEFINITIONS if n.startswith("io.k8s.api.core.v1.")}
    for obj in POD_OBJECTS:
        assert obj.name in others
        if DEFINITIONS[obj.name] is not obj:
            pytest.fail(f"{obj.name} is declared twice")


def test_embedded_messages_match_their_inlined_fields() -> None:
    """Each inlined struct's fields sit flat in its parent, same type, proto 0."""
    parents = {obj.name: obj for obj in POD_OBJECTS if obj.embedded}
    for parent in parents.values():
        for embedded in parent.embedded:
            assert all(f.proto for f in embedded.type.fields), embedded.type.name
            for f in embedded.type.fields:
                flat = parent.field(f.json)
                assert (flat.proto, flat.type) == (0, f.type), f"{parent.name}.{f.json}"
            assert embedded.number not in {f.proto for f in parent.fields}, parent.name
        flat_names = {f.json for f in parent.fields if f.proto == 0} - {"apiVersion", "kind"}
        carried = {name for embedded in parent.embedded for name in embedded.json_names()}
        assert flat_names == carried, parent.name
    local_ref = (1, pod.LocalObjectReference)
    assert {name: [(e.number, e.type) for e in obj.embedded] for name, obj in parents.items()} == {
        pod.Probe.name: [(1, pod.ProbeHandler)],
        pod.Volume.name: [(2, pod.VolumeSource)],
        pod.EphemeralContainer.name: [(1, pod.EphemeralContainerCommon)],
        pod.ConfigMapKeySelector.name: [local_ref],
        pod.SecretKeySelector.name: [local_ref],
        pod.ConfigMapEnvSource.name: [local_ref],
        pod.SecretEnvSource.name: [local_ref],
        pod.ConfigMapVolumeSource.name: [local_ref],
        pod.ConfigMapProjection.name: [local_ref],
        pod.SecretProjection.name: [local_ref],
    }
    common = {f.json: (f.proto, f.type) for f in pod.EphemeralContainerCommon.fields}
    assert common == {f.json: (f.proto, f.type) for f in pod.Container.fields}


def test_embedded_helper_types_are_not_openapi_definitions() -> None:
    """ProbeHandler and friends exist for protobuf only: OpenAPI never describes them."""
    from kubeling.apiserver.openapi import build_v3
    from kubeling.apiserver.registry.builtin import builtin_resources

    importlib.import_module("kubeling.api.admissionregistration.v1")  # not served yet
    resources = builtin_resources()  # imports every served group's declarations
    builtins = [obj for name, obj in DEFINITIONS.items() if name.startswith("io.k8s.api.")]
    embedded = {e.type.name for obj in builtins for e in obj.embedded}
    referred = {
        target.name for obj in builtins for f in obj.fields for target in objects_in(f.type)
    }
    helpers = embedded - referred
    assert helpers == {
        pod.ProbeHandler.name,
        pod.VolumeSource.name,
        pod.EphemeralContainerCommon.name,
        "io.k8s.api.core.v1.PersistentVolumeSource",
        "io.k8s.api.networking.v1.IngressRuleValue",
        "io.k8s.api.admissionregistration.v1.Rule",
    }
    described = {
        name
        for document in build_v3(resources).values()
        for name in document.document["components"]["schemas"]
    }
    assert pod.Probe.name in described
    assert pod.LocalObjectReference.name in described
    assert not described & helpers


# --- A realistic Pod -------------------------------------------------------------

POD_YAML = """
apiVersion: v1
kind: Pod
metadata:
  name: web-7d4b9c6f5d-x2x9k
  generateName: web-7d4b9c6f5d-
  namespace: shop
  uid: 0b6c2f4e-4b1a-4c55-9e39-6d1f0b0f7a11
  resourceVersion: "4211"
  creationTimestamp: "2025-01-10T09:00:00Z"
  labels: {app: web, pod-template-hash: 7d4b9c6f5d}
  annotations: {prometheus.io/scrape: "true"}
  ownerReferences:
  - {apiVersion: apps/v1, kind: ReplicaSet, name: web-7d4b9c6f5d,
     uid: a1b2c3d4-0000-4000-8000-000000000001, controller: true, blockOwnerDeletion: true}
  finalizers: [example.com/protect]
  managedFields:
  - manager: kube-controller-manager
    operation: Update
    apiVersion: v1
    time: "2025-01-10T09:00:00Z"
    fieldsType: FieldsV1
    fieldsV1: {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}}
spec:
  initContainers:
  - name: migrate
    image: registry.example/shop/migrate:1.4
    command: [/bin/migrate]
    args: [--to, latest]
    env:
    - name: DB_URL
      valueFrom: {secretKeyRef: {name: db, key: url, optional: false}}
    resources: {limits: {cpu: 500m, memory: 256Mi}, requests: {cpu: 100m, memory: 128Mi}}
    volumeMounts: [{name: scratch, mountPath: /scratch}]
  - name: proxy
    image: registry.example/envoy:1.31
    restartPolicy: Always
    ports: [{name: admin, containerPort: 9901, protocol: TCP}]
    startupProbe:
      tcpSocket: {port: 9901}
      failureThreshold: 30
      periodSeconds: 2
  containers:
  - name: app
    image: registry.example/shop/web:2.7.1
    imagePullPolicy: IfNotPresent
    workingDir: /srv
    ports:
    - {name: http, containerPort: 8080, protocol: TCP}
    - {containerPort: 8443, hostPort: 443, hostIP: 0.0.0.0, protocol: TCP}
    envFrom:
    - configMapRef: {name: web-config}
      prefix: CFG_
    - secretRef: {name: web-secrets, optional: true}
    env:
    - {name: LOG_LEVEL, value: info}
    - name: FEATURE_FLAGS
      valueFrom: {configMapKeyRef: {name: flags, key: web}}
    - name: POD_NAME
      valueFrom: {fieldRef: {apiVersion: v1, fieldPath: metadata.name}}
    - name: MEM_LIMIT
      valueFrom: {resourceFieldRef: {containerName: app, resource: limits.memory, divisor: 1Mi}}
    resources:
      limits: {cpu: "2", memory: 1Gi, ephemeral-storage: 2Gi}
      requests: {cpu: 250m, memory: 512Mi}
      claims: [{name: gpu, request: one}]
    resizePolicy: [{resourceName: cpu, restartPolicy: NotRequired}]
    volumeMounts:
    - {name: config, mountPath: /etc/web, readOnly: true}
    - {name: data, mountPath: /var/lib/web, subPathExpr: $(POD_NAME), mountPropagation: None}
    - {name: tokens, mountPath: /var/run/tokens, readOnly: true, recursiveReadOnly: IfPossible}
    volumeDevices: [{name: raw, devicePath: /dev/xvdb}]
    livenessProbe:
      httpGet:
        path: /healthz
        port: http
        scheme: HTTP
        httpHeaders: [{name: X-Probe, value: liveness}]
      initialDelaySeconds: 10
      timeoutSeconds: 2
      periodSeconds: 10
      successThreshold: 1
      failureThreshold: 3
      terminationGracePeriodSeconds: 15
    readinessProbe:
      exec: {command: [/bin/ready, --quick]}
    startupProbe:
      grpc: {port: 9090, service: health}
    lifecycle:
      postStart: {exec: {command: [/bin/warm]}}
      preStop: {sleep: {seconds: 5}}
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: FallbackToLogsOnError
    securityContext:
      runAsUser: 1000
      runAsGroup: 1000
      runAsNonRoot: true
      readOnlyRootFilesystem: true
      allowPrivilegeEscalation: false
      privileged: false
      capabilities: {add: [NET_BIND_SERVICE], drop: [ALL]}
      seccompProfile: {type: RuntimeDefault}
      appArmorProfile: {type: Localhost, localhostProfile: web}
      seLinuxOptions: {level: "s0:c123,c456"}
      procMount: Default
    stdin: false
    stdinOnce: false
    tty: false
  ephemeralContainers:
  - name: debugger
    image: busybox:1.36
    targetContainerName: app
    stdin: true
    tty: true
  volumes:
  - name: scratch
    emptyDir: {medium: Memory, sizeLimit: 64Mi}
  - name: config
    configMap:
      name: web-config
      defaultMode: 420
      items: [{key: app.yaml, path: app.yaml, mode: 256}]
      optional: false
  - name: certs
    secret: {secretName: web-tls, defaultMode: 256}
  - name: tokens
    projected:
      defaultMode: 420
      sources:
      - serviceAccountToken: {audience: vault, expirationSeconds: 3600, path: vault-token}
      - configMap: {name: kube-root-ca.crt, items: [{key: ca.crt, path: ca.crt}]}
      - secret: {name: extra, optional: true}
      - downwardAPI:
          items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]
      - clusterTrustBundle: {signerName: example.com/signer, labelSelector: {matchLabels: {a: b}},
                             path: bundle.pem, optional: true}
  - name: podinfo
    downwardAPI:
      items:
      - {path: cpu, resourceFieldRef: {containerName: app, resource: requests.cpu, divisor: 1m}}
  - name: data
    persistentVolumeClaim: {claimName: web-data, readOnly: false}
  - name: logs
    hostPath: {path: /var/log/web, type: DirectoryOrCreate}
  - name: shared
    nfs: {server: nfs.example, path: /exports/shop, readOnly: true}
  - name: inline-csi
    csi: {driver: secrets-store.csi.k8s.io, readOnly: true,
          volumeAttributes: {secretProviderClass: vault}, nodePublishSecretRef: {name: creds}}
  - name: models
    image: {reference: registry.example/models:v3, pullPolicy: IfNotPresent}
  - name: raw
    ephemeral:
      volumeClaimTemplate:
        metadata: {labels: {type: scratch}}
        spec:
          accessModes: [ReadWriteOnce]
          volumeMode: Block
          storageClassName: fast
          resources: {requests: {storage: 10Gi}}
  - name: legacy
    iscsi: {targetPortal: "10.0.0.5:3260", iqn: "iqn.2001-04.com.example:storage", lun: 0,
            fsType: ext4, readOnly: true, secretRef: {name: chap}}
  restartPolicy: Always
  terminationGracePeriodSeconds: 30
  activeDeadlineSeconds: 86400
  dnsPolicy: None
  dnsConfig:
    nameservers: [10.96.0.10]
    searches: [shop.svc.cluster.local]
    options: [{name: ndots, value: "2"}, {name: edns0}]
  nodeSelector: {kubernetes.io/os: linux}
  serviceAccountName: web
  serviceAccount: web
  automountServiceAccountToken: false
  nodeName: node-1
  hostNetwork: false
  hostPID: false
  hostIPC: false
  shareProcessNamespace: true
  securityContext:
    runAsUser: 1000
    runAsNonRoot: true
    fsGroup: 2000
    fsGroupChangePolicy: OnRootMismatch
    supplementalGroups: [3000]
    supplementalGroupsPolicy: Merge
    sysctls: [{name: net.ipv4.ip_local_port_range, value: "1024 65535"}]
    seccompProfile: {type: RuntimeDefault}
    seLinuxChangePolicy: MountOption
  imagePullSecrets: [{name: regcred}]
  hostname: web-0
  subdomain: web
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [a, b]}]
          matchFields: [{key: metadata.name, operator: NotIn, values: [node-9]}]
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 50
        preference: {matchExpressions: [{key: disk, operator: Exists}]}
    podAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
      - labelSelector: {matchLabels: {app: cache}}
        topologyKey: kubernetes.io/hostname
        namespaces: [shop]
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          labelSelector:
            matchExpressions: [{key: app, operator: In, values: [web]}]
          namespaceSelector: {}
          topologyKey: kubernetes.io/hostname
          matchLabelKeys: [pod-template-hash]
  schedulerName: default-scheduler
  tolerations:
  - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 300}
  - {key: dedicated, operator: Equal, value: shop, effect: NoSchedule}
  hostAliases: [{ip: 10.0.0.20, hostnames: [db.internal]}]
  priorityClassName: high
  priority: 1000
  preemptionPolicy: PreemptLowerPriority
  readinessGates: [{conditionType: example.com/lb-ready}]
  runtimeClassName: gvisor
  enableServiceLinks: false
  overhead: {cpu: 10m}
  topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: DoNotSchedule
    labelSelector: {matchLabels: {app: web}}
    minDomains: 2
    nodeAffinityPolicy: Honor
    nodeTaintsPolicy: Ignore
    matchLabelKeys: [pod-template-hash]
  setHostnameAsFQDN: false
  os: {name: linux}
  hostUsers: false
  schedulingGates: [{name: example.com/quota}]
  resourceClaims: [{name: gpu, resourceClaimTemplateName: one-gpu}]
status:
  phase: Running
  conditions:
  - {type: PodScheduled, status: "True", lastTransitionTime: "2025-01-10T09:00:01Z"}
  - type: Ready
    status: "False"
    reason: ContainersNotReady
    message: "containers with unready status: [app]"
    lastTransitionTime: "2025-01-10T09:00:05Z"
  message: ""
  reason: ""
  nominatedNodeName: node-2
  hostIP: 10.0.0.11
  hostIPs: [{ip: 10.0.0.11}, {ip: "fd00::11"}]
  podIP: 10.244.1.7
  podIPs: [{ip: 10.244.1.7}, {ip: "fd00:10:244:1::7"}]
  startTime: "2025-01-10T09:00:01Z"
  qosClass: Burstable
  resize: InProgress
  resourceClaimStatuses: [{name: gpu, resourceClaimName: web-7d4b9c6f5d-x2x9k-gpu-abcde}]
  initContainerStatuses:
  - name: migrate
    image: registry.example/shop/migrate:1.4
    imageID: registry.example/shop/migrate@sha256:0123
    containerID: containerd://aaa
    ready: false
    restartCount: 0
    started: false
    state:
      terminated: {exitCode: 0, reason: Completed, startedAt: "2025-01-10T09:00:02Z",
                   finishedAt: "2025-01-10T09:00:03Z", containerID: containerd://aaa}
  containerStatuses:
  - name: app
    image: registry.example/shop/web:2.7.1
    imageID: registry.example/shop/web@sha256:4567
    containerID: containerd://bbb
    ready: false
    started: true
    restartCount: 2
    state: {running: {startedAt: "2025-01-10T09:00:04Z"}}
    lastState:
      terminated: {exitCode: 137, signal: 9, reason: OOMKilled, message: killed,
                   startedAt: "2025-01-10T08:59:00Z", finishedAt: "2025-01-10T09:00:00Z"}
    allocatedResources: {cpu: 250m, memory: 512Mi}
    resources: {limits: {cpu: "2", memory: 1Gi}, requests: {cpu: 250m, memory: 512Mi}}
    volumeMounts:
    - {name: config, mountPath: /etc/web, readOnly: true, recursiveReadOnly: Disabled}
    user: {linux: {uid: 1000, gid: 1000, supplementalGroups: [2000, 3000]}}
    allocatedResourcesStatus:
    - name: claim:gpu/one
      resources: [{resourceID: gpu-0, health: Healthy}]
  ephemeralContainerStatuses:
  - name: debugger
    image: busybox:1.36
    imageID: ""
    ready: false
    restartCount: 0
    state: {waiting: {reason: ContainerCreating, message: pulling}}
"""


def manifest() -> dict[str, Any]:
    data = yaml.safe_load(POD_YAML)
    assert isinstance(data, dict)
    return data


def test_realistic_pod_is_fully_declared() -> None:
    assert walk(pod.Pod, manifest(), "", unresolved=CLUSTER_REFS) == []


def test_pod_list_template_and_binding_are_declared() -> None:
    the_pod = manifest()
    documents: list[tuple[Object, dict[str, Any]]] = [
        (
            pod.PodList,
            {
                "apiVersion": "v1",
                "kind": "PodList",
                "metadata": {"resourceVersion": "4300", "continue": ""},
                "items": [the_pod],
            },
        ),
        (
            pod.PodTemplate,
            {
                "apiVersion": "v1",
                "kind": "PodTemplate",
                "metadata": {"name": "web"},
                "template": {"metadata": the_pod["metadata"], "spec": the_pod["spec"]},
            },
        ),
        (
            pod.Binding,
            {
                "apiVersion": "v1",
                "kind": "Binding",
                "metadata": {"name": "web", "namespace": "shop"},
                "target": {"apiVersion": "v1", "kind": "Node", "name": "node-1"},
            },
        ),
    ]
    for obj, document in documents:
        assert walk(obj, document, "", unresolved=CLUSTER_REFS) == []
    assert pod.PodTemplateList.field("items").type == ListOf(pod.PodTemplate)


def test_undeclared_pod_fields_are_reported() -> None:
    broken = manifest()
    broken["spec"]["containers"][0]["livenessProbe"]["httpGet"]["portt"] = 80
    broken["spec"]["volumes"][0]["emptyDir"]["medium"] = 1
    assert walk(pod.Pod, broken, "", unresolved=CLUSTER_REFS) == [
        ".spec.containers[0].livenessProbe.httpGet.portt: not declared in "
        "io.k8s.api.core.v1.HTTPGetAction",
        ".spec.volumes[0].emptyDir.medium: 1 is not STRING",
    ]


# --- Well-known numbers and metadata ------------------------------------------------


@pytest.mark.parametrize(
    ("obj", "field", "number"),
    [
        (pod.Pod, "metadata", 1),
        (pod.Pod, "spec", 2),
        (pod.Pod, "status", 3),
        (pod.PodSpec, "volumes", 1),
        (pod.PodSpec, "containers", 2),
        (pod.PodSpec, "restartPolicy", 3),
        (pod.PodSpec, "nodeSelector", 7),
        (pod.PodSpec, "serviceAccountName", 8),
        (pod.PodSpec, "nodeName", 10),
        (pod.PodSpec, "securityContext", 14),
        (pod.PodSpec, "affinity", 18),
        (pod.PodSpec, "initContainers", 20),
        (pod.PodSpec, "automountServiceAccountToken", 21),
        (pod.PodSpec, "tolerations", 22),
        (pod.PodSpec, "shareProcessNamespace", 27),
        (pod.PodSpec, "topologySpreadConstraints", 33),
        (pod.PodSpec, "ephemeralContainers", 34),
        (pod.PodSpec, "os", 36),
        (pod.PodSpec, "schedulingGates", 38),
        (pod.PodSpec, "resourceClaims", 39),
        (pod.PodSpec, "resources", 40),
        (pod.Container, "name", 1),
        (pod.Container, "ports", 6),
        (pod.Container, "env", 7),
        (pod.Container, "resources", 8),
        (pod.Container, "volumeMounts", 9),
        (pod.Container, "livenessProbe", 10),
        (pod.Container, "imagePullPolicy", 14),
        (pod.Container, "envFrom", 19),
        (pod.Container, "terminationMessagePolicy", 20),
        (pod.Container, "startupProbe", 22),
        (pod.Container, "resizePolicy", 23),
        (pod.Container, "restartPolicy", 24),
        (pod.EphemeralContainer, "targetContainerName", 2),
        (pod.PodStatus, "hostIP", 5),
        (pod.PodStatus, "startTime", 7),
        (pod.PodStatus, "containerStatuses", 8),
        (pod.PodStatus, "initContainerStatuses", 10),
        (pod.PodStatus, "nominatedNodeName", 11),
        (pod.PodStatus, "podIPs", 12),
        (pod.PodStatus, "hostIPs", 16),
        (pod.ContainerStatus, "allocatedResourcesStatus", 14),
        (pod.ContainerStateTerminated, "containerID", 7),
        (pod.Probe, "initialDelaySeconds", 2),
        (pod.Probe, "terminationGracePeriodSeconds", 7),
        (pod.ProbeHandler, "grpc", 4),
        (pod.LifecycleHandler, "sleep", 4),
        (pod.VolumeMount, "recursiveReadOnly", 7),
        (pod.VolumeSource, "secret", 6),
        (pod.VolumeSource, "configMap", 19),
        (pod.VolumeSource, "projected", 26),
        (pod.VolumeSource, "storageos", 27),
        (pod.VolumeSource, "csi", 28),
        (pod.VolumeSource, "ephemeral", 29),
        (pod.VolumeSource, "image", 30),
        (pod.ISCSIVolumeSource, "chapAuthSession", 11),
        (pod.ISCSIVolumeSource, "secretRef", 10),
        (pod.ClusterTrustBundleProjection, "optional", 5),
        (pod.ClusterTrustBundleProjection, "path", 4),
        (pod.ConfigMapVolumeSource, "optional", 4),
        (pod.PodSecurityContext, "windowsOptions", 8),
        (pod.PodSecurityContext, "supplementalGroupsPolicy", 12),
        (pod.PodSecurityContext, "seLinuxChangePolicy", 13),
        (pod.SecurityContext, "windowsOptions", 10),
        (pod.SecurityContext, "appArmorProfile", 12),
        (pod.PodCondition, "lastTransitionTime", 4),
        (pod.PodResourceClaim, "resourceClaimName", 3),
        (pod.PodResourceClaim, "resourceClaimTemplateName", 4),
        (pod.ObjectReference, "apiVersion", 5),
        (pod.TopologySpreadConstraint, "matchLabelKeys", 8),
    ],
)
def test_well_known_protobuf_numbers(obj: Object, field: str, number: int) -> None:
    """Numbers as in core/v1 generated.proto."""
    assert obj.field(field).proto == number


@pytest.mark.parametrize(
    ("obj", "field", "strategy", "key", "list_type", "map_keys"),
    [
        (pod.PodSpec, "containers", "merge", "name", "map", ("name",)),
        (pod.PodSpec, "initContainers", "merge", "name", "map", ("name",)),
        (pod.PodSpec, "volumes", "merge,retainKeys", "name", "map", ("name",)),
        (pod.PodSpec, "tolerations", None, None, "atomic", ()),
        (pod.PodSpec, "hostAliases", "merge", "ip", "map", ("ip",)),
        (pod.PodSpec, "imagePullSecrets", "merge", "name", "map", ("name",)),
        (
            pod.PodSpec,
            "topologySpreadConstraints",
            "merge",
            "topologyKey",
            "map",
            ("topologyKey", "whenUnsatisfiable"),
        ),
        (pod.PodSpec, "resourceClaims", "merge,retainKeys", "name", "map", ("name",)),
        (pod.Container, "ports", "merge", "containerPort", "map", ("containerPort", "protocol")),
        (pod.Container, "env", "merge", "name", "map", ("name",)),
        (pod.Container, "volumeMounts", "merge", "mountPath", "map", ("mountPath",)),
        (pod.Container, "volumeDevices", "merge", "devicePath", "map", ("devicePath",)),
        (pod.Container, "envFrom", None, None, "atomic", ()),
        (pod.PodStatus, "conditions", "merge", "type", "map", ("type",)),
        (pod.PodStatus, "podIPs", "merge", "ip", "map", ("ip",)),
        (pod.PodStatus, "hostIPs", "merge", "ip", "atomic", ()),
        (pod.PodStatus, "containerStatuses", None, None, "atomic", ()),
        (pod.ResourceRequirements, "claims", None, None, "map", ("name",)),
    ],
)
def test_patch_and_list_metadata(
    obj: Object,
    field: str,
    strategy: str | None,
    key: str | None,
    list_type: str,
    map_keys: tuple[str, ...],
) -> None:
    declared = obj.field(field)
    assert (declared.patch_strategy, declared.patch_merge_key) == (strategy, key)
    assert (declared.list_type, declared.list_map_keys) == (list_type, map_keys)


def test_types_required_and_enums() -> None:
    assert pod.PodSpec.field("nodeSelector").map_type == "atomic"
    assert pod.PodSpec.field("overhead").type == schema.MapOf(schema.QUANTITY)
    assert pod.PodSpec.field("terminationGracePeriodSeconds").type is schema.INT64
    assert pod.PodSpec.field("priority").type is schema.INT32
    assert pod.HTTPGetAction.field("port").type is schema.INT_OR_STRING
    assert pod.EmptyDirVolumeSource.field("sizeLimit").type is schema.QUANTITY
    assert pod.PodStatus.field("startTime").type is schema.TIME
    assert pod.PodSpec.field("volumes").type == ListOf(pod.Volume)
    assert pod.Pod.field("metadata").type is meta.ObjectMeta
    assert pod.PodList.field("metadata").resolved() is meta.ListMeta
    assert pod.PersistentVolumeClaimTemplate.field("spec").type == Ref(
        "io.k8s.api.core.v1.PersistentVolumeClaimSpec"
    )
    assert list(pod.PodSpec.required()) == ["containers"]
    assert list(pod.Container.required()) == ["name"]
    assert set(pod.ContainerStatus.required()) == {
        "name",
        "ready",
        "restartCount",
        "image",
        "imageID",
    }
    assert pod.PodList.field("items").required
    # EphemeralContainer inlines EphemeralContainerCommon: the same fields, enums included.
    for name in ("imagePullPolicy", "terminationMessagePolicy"):
        assert pod.EphemeralContainer.field(name).enum == pod.Container.field(name).enum != ()
    assert pod.PodSpec.field("restartPolicy").enum == ("Always", "Never", "OnFailure")
    assert pod.PodSpec.field("dnsPolicy").enum == (
        "ClusterFirst",
        "ClusterFirstWithHostNet",
        "Default",
        "None",
    )
    assert pod.Container.field("imagePullPolicy").enum == ("Always", "IfNotPresent", "Never")
    assert pod.ContainerPort.field("protocol").enum == ("SCTP", "TCP", "UDP")
    assert pod.PodStatus.field("phase").enum == (
        "Failed",
        "Pending",
        "Running",
        "Succeeded",
        "Unknown",
    )
    for kind in ("Pod", "PodList", "PodTemplate", "PodTemplateList", "Binding"):
        assert getattr(pod, kind).gvk == schema.GroupVersionKind("", "v1", kind)


def test_fields_added_after_1_32_are_absent() -> None:
    """The field set is 1.32's: later additions stay out."""
    assert pod.PodSpec.get("hostnameOverride") is None
    assert pod.PodStatus.get("observedGeneration") is None
    assert pod.PodCondition.get("observedGeneration") is None
    assert pod.Lifecycle.get("stopSignal") is None
    assert pod.ContainerStatus.get("stopSignal") is None
    assert pod.Container.get("restartPolicyRules") is None
    assert pod.EnvVarSource.get("fileKeyRef") is None


def test_protobuf_round_trip_of_a_pod_without_inlined_fields() -> None:
    """The declarations drive the codec: a Pod using no inlined struct survives encode/decode."""
    document: dict[str, Any] = {
        "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "image": "nginx:1.27",
                    "ports": [{"containerPort": 80, "protocol": "TCP"}],
                    "env": [
                        {"name": "A", "value": "1"},
                        {"name": "B", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                    ],
                    "resources": {"limits": {"cpu": "500m"}, "requests": {"memory": "64Mi"}},
                    "securityContext": {"runAsUser": 1000, "capabilities": {"drop": ["ALL"]}},
                    "lifecycle": {"preStop": {"sleep": {"seconds": 3}}},
                }
            ],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "tolerations": [{"key": "k", "operator": "Exists", "tolerationSeconds": 10}],
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {"matchExpressions": [{"key": "z", "operator": "In", "values": ["a"]}]}
                        ]
                    }
                }
            },
        },
        "status": {
            "phase": "Running",
            "startTime": "2025-01-10T09:00:01Z",
            "podIPs": [{"ip": "10.244.1.7"}],
            "containerStatuses": [
                {
                    "name": "app",
                    "ready": True,
                    "restartCount": 0,
                    "image": "nginx:1.27",
                    "imageID": "sha256:1",
                    "state": {"running": {"startedAt": "2025-01-10T09:00:02Z"}},
                }
            ],
        },
    }
    raw = protobuf.encode(document, pod.Pod)
    assert protobuf.decode_object(raw, pod.Pod) == document
