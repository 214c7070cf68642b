"""apps/v1 types: references, realistic manifests and well-known numbers."""

from __future__ import annotations

import pytest

from kubeling.api import schema
from kubeling.api.apps import v1 as apps
from kubeling.api.schema import Object
from tests.unit.api.types.test_core_v1_cluster import (
    CORE_V1_POD,
    META_V1,
    assert_manifest_declared,
    assert_well_formed,
    external_refs,
    import_if_present,
    load,
)

META_REFS = {
    "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector",
    "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta",
    "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
}
# PersistentVolumeClaim is core/v1 cluster.py's (imported here, always present);
# PodTemplateSpec is the Pod closure's.
CORE_REFS = {"io.k8s.api.core.v1.PersistentVolumeClaim", "io.k8s.api.core.v1.PodTemplateSpec"}
OWNERS = {META_V1: META_REFS, CORE_V1_POD: {"io.k8s.api.core.v1.PodTemplateSpec"}}


@pytest.fixture(autouse=True)
def _owners() -> None:
    """Load the owners of referenced types that exist (core/v1 cluster comes with the helpers)."""
    for owner in OWNERS:
        import_if_present(owner)


def test_external_refs_are_exactly_the_expected_ones() -> None:
    """apps/v1 refers outside itself to meta/v1 and core/v1 only, by these names."""
    assert external_refs(apps) == META_REFS | CORE_REFS


@pytest.mark.parametrize("owner", sorted(OWNERS))
def test_refs_resolve_once_their_owner_exists(owner: str) -> None:
    """Every name expected from an owner module is declared by it, once it is written."""
    if import_if_present(owner) is None:
        pytest.skip(f"{owner} is not written yet")
    assert sorted(n for n in OWNERS[owner] if n not in schema.DEFINITIONS) == []


def test_persistent_volume_claim_ref_resolves() -> None:
    """volumeClaimTemplates name core/v1's PersistentVolumeClaim."""
    assert "io.k8s.api.core.v1.PersistentVolumeClaim" in schema.DEFINITIONS


def test_declarations_are_well_formed() -> None:
    """apiVersion/kind first, protobuf numbers everywhere, list/map metadata where it fits."""
    assert_well_formed(apps)


@pytest.mark.parametrize(
    ("obj", "field", "number"),
    [
        (apps.Deployment, "spec", 2),
        (apps.DeploymentSpec, "replicas", 1),
        (apps.DeploymentSpec, "selector", 2),
        (apps.DeploymentSpec, "template", 3),
        (apps.DeploymentSpec, "strategy", 4),
        (apps.DeploymentSpec, "progressDeadlineSeconds", 9),
        (apps.DeploymentStatus, "readyReplicas", 7),
        (apps.DeploymentStatus, "collisionCount", 8),
        (apps.DeploymentCondition, "lastUpdateTime", 6),
        (apps.DeploymentCondition, "lastTransitionTime", 7),
        (apps.ReplicaSetSpec, "minReadySeconds", 4),
        (apps.StatefulSetSpec, "volumeClaimTemplates", 4),
        (apps.StatefulSetSpec, "ordinals", 11),
        (apps.StatefulSetStatus, "collisionCount", 9),
        (apps.StatefulSetStatus, "availableReplicas", 11),
        (apps.DaemonSetSpec, "revisionHistoryLimit", 6),
        (apps.ControllerRevision, "revision", 3),
    ],
)
def test_well_known_protobuf_numbers(obj: Object, field: str, number: int) -> None:
    """Numbers as in apps/v1 generated.proto."""
    assert obj.field(field).proto == number


def test_patch_metadata() -> None:
    """retainKeys on the deployment strategy; conditions merged by type."""
    assert apps.DeploymentSpec.field("strategy").patch_strategy == "retainKeys"
    conditions = apps.DeploymentStatus.field("conditions")
    assert (conditions.patch_strategy, conditions.patch_merge_key) == ("merge", "type")
    assert conditions.list_map_keys == ("type",)
    assert apps.StatefulSetSpec.field("volumeClaimTemplates").list_type == "atomic"
    assert apps.RollingUpdateDeployment.field("maxSurge").type is schema.INT_OR_STRING
    assert apps.Deployment.gvk == schema.GroupVersionKind("apps", "v1", "Deployment")
    assert set(apps.DeploymentSpec.required()) == {"selector", "template"}


DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  labels: {app: web}
  annotations: {deployment.kubernetes.io/revision: "3"}
spec:
  replicas: 3
  revisionHistoryLimit: 10
  progressDeadlineSeconds: 600
  minReadySeconds: 5
  paused: false
  selector:
    matchLabels: {app: web}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 25%, maxUnavailable: 0}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{containerPort: 80, name: http, protocol: TCP}]
        resources:
          requests: {cpu: 100m, memory: 128Mi}
          limits: {memory: 256Mi}
        readinessProbe:
          httpGet: {path: /healthz, port: http}
          periodSeconds: 5
status:
  observedGeneration: 3
  replicas: 3
  updatedReplicas: 3
  readyReplicas: 3
  availableReplicas: 3
  conditions:
  - type: Available
    status: "True"
    lastUpdateTime: "2024-05-01T10:00:00Z"
    lastTransitionTime: "2024-05-01T10:00:00Z"
    reason: MinimumReplicasAvailable
    message: Deployment has minimum availability.
  - type: Progressing
    status: "True"
    lastUpdateTime: "2024-05-01T10:01:00Z"
    lastTransitionTime: "2024-05-01T09:00:00Z"
    reason: NewReplicaSetAvailable
    message: ReplicaSet "web-5d8f7c9b4" has successfully progressed.
"""

STATEFUL_SET = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: default}
spec:
  serviceName: db
  replicas: 3
  podManagementPolicy: Parallel
  selector:
    matchLabels: {app: db}
  updateStrategy:
    type: RollingUpdate
    rollingUpdate: {partition: 0, maxUnavailable: 1}
  persistentVolumeClaimRetentionPolicy: {whenDeleted: Retain, whenScaled: Delete}
  ordinals: {start: 1}
  revisionHistoryLimit: 10
  minReadySeconds: 0
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
      - name: postgres
        image: postgres:16
        volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]
  volumeClaimTemplates:
  - apiVersion: v1
    kind: PersistentVolumeClaim
    metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      storageClassName: gp3
      resources:
        requests: {storage: 10Gi}
    status:
      phase: Pending
status:
  observedGeneration: 1
  replicas: 3
  readyReplicas: 3
  currentReplicas: 3
  updatedReplicas: 3
  availableReplicas: 3
  currentRevision: db-7c6d5f8b9
  updateRevision: db-7c6d5f8b9
  collisionCount: 0
"""

DAEMON_SET = """
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: node-exporter, namespace: monitoring}
spec:
  selector:
    matchLabels: {app: node-exporter}
  updateStrategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 1, maxSurge: 0}
  template:
    metadata:
      labels: {app: node-exporter}
    spec:
      hostNetwork: true
      containers: [{name: exporter, image: prom/node-exporter:v1.8.0}]
status:
  currentNumberScheduled: 3
  numberMisscheduled: 0
  desiredNumberScheduled: 3
  numberReady: 3
  numberAvailable: 3
  updatedNumberScheduled: 3
  observedGeneration: 2
"""

REPLICA_SET = """
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-5d8f7c9b4
  namespace: default
  ownerReferences:
  - apiVersion: apps/v1
    kind: Deployment
    name: web
    uid: 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0
    controller: true
    blockOwnerDeletion: true
spec:
  replicas: 3
  selector:
    matchLabels: {app: web, pod-template-hash: 5d8f7c9b4}
  template:
    metadata:
      labels: {app: web, pod-template-hash: 5d8f7c9b4}
    spec:
      containers: [{name: web, image: nginx:1.27}]
status:
  replicas: 3
  fullyLabeledReplicas: 3
  readyReplicas: 3
  availableReplicas: 3
  observedGeneration: 1
"""

CONTROLLER_REVISION = """
apiVersion: apps/v1
kind: ControllerRevision
metadata: {name: db-7c6d5f8b9, namespace: default}
revision: 1
data:
  spec:
    template:
      $patch: replace
      metadata:
        labels: {app: db}
"""


@pytest.mark.parametrize(
    "text",
    [DEPLOYMENT, STATEFUL_SET, DAEMON_SET, REPLICA_SET, CONTROLLER_REVISION],
    ids=["deployment", "statefulset", "daemonset", "replicaset", "controllerrevision"],
)
def test_manifest_fields_are_declared(text: str) -> None:
    """Every field of a realistic manifest is declared, with the right JSON type."""
    assert_manifest_declared(load(text))
