"""apps/v1 types: Deployment, ReplicaSet, StatefulSet, DaemonSet, ControllerRevision.

Field numbers are those of Kubernetes' ``apps/v1/generated.proto``; the field
set is that of release 1.32, so the later ``terminatingReplicas`` status
counters and ``DeploymentSpec.podReplacementPolicy`` are left out. Pod
templates and claims are the core/v1 declarations, label selectors and the
rest of metadata the meta/v1 ones, all named by ``Ref``.
"""

from __future__ import annotations

from kubeling.api.schema import (
    BOOL,
    INT32,
    INT64,
    INT_OR_STRING,
    RAW_EXTENSION,
    STRING,
    TIME,
    Field,
    Kinds,
    ListOf,
    Object,
    Ref,
    conditions,
    list_kind,
)

__all__ = [
    "ControllerRevision",
    "ControllerRevisionList",
    "DaemonSet",
    "DaemonSetCondition",
    "DaemonSetList",
    "DaemonSetSpec",
    "DaemonSetStatus",
    "DaemonSetUpdateStrategy",
    "Deployment",
    "DeploymentCondition",
    "DeploymentList",
    "DeploymentSpec",
    "DeploymentStatus",
    "DeploymentStrategy",
    "ReplicaSet",
    "ReplicaSetCondition",
    "ReplicaSetList",
    "ReplicaSetSpec",
    "ReplicaSetStatus",
    "RollingUpdateDaemonSet",
    "RollingUpdateDeployment",
    "RollingUpdateStatefulSetStrategy",
    "StatefulSet",
    "StatefulSetCondition",
    "StatefulSetList",
    "StatefulSetOrdinals",
    "StatefulSetPersistentVolumeClaimRetentionPolicy",
    "StatefulSetSpec",
    "StatefulSetStatus",
    "StatefulSetUpdateStrategy",
]

_APPS = "io.k8s.api.apps.v1."
_KINDS = Kinds(_APPS, "apps", "v1")
_META = "io.k8s.apimachinery.pkg.apis.meta.v1."

_OBJECT_META = Ref(_META + "ObjectMeta")
_LABEL_SELECTOR = Ref(_META + "LabelSelector")
_POD_TEMPLATE_SPEC = Ref("io.k8s.api.core.v1.PodTemplateSpec")
_PERSISTENT_VOLUME_CLAIM = Ref("io.k8s.api.core.v1.PersistentVolumeClaim")

_ROLLING_OR_ON_DELETE = ("OnDelete", "RollingUpdate")
_CONDITIONS_DOC = "The latest available observations of the object's state."


def _metadata() -> Field:
    return Field("metadata", 1, _OBJECT_META, "Standard object's metadata.")


def _condition(name: str, doc: str, *, update_time: bool = False) -> Object:
    """A workload condition; Deployment's also records lastUpdateTime (6, 7)."""
    times = (
        [
            Field("lastUpdateTime", 6, TIME, "The last time this condition was updated."),
            Field("lastTransitionTime", 7, TIME, "Last time the condition changed status."),
        ]
        if update_time
        else [Field("lastTransitionTime", 3, TIME, "Last time the condition changed status.")]
    )
    return Object(
        _APPS + name,
        doc,
        [
            Field("type", 1, STRING, "Type of the condition.", required=True),
            Field(
                "status",
                2,
                STRING,
                "Status of the condition: True, False or Unknown.",
                required=True,
            ),
            *times,
            Field("reason", 4, STRING, "The reason for the condition's last transition."),
            Field("message", 5, STRING, "Human-readable details about the transition."),
        ],
    )


# --- Deployment -------------------------------------------------------------

RollingUpdateDeployment = Object(
    _APPS + "RollingUpdateDeployment",
    "Parameters of a rolling update of a Deployment.",
    [
        Field(
            "maxUnavailable",
            1,
            INT_OR_STRING,
            "Pods that may be unavailable during the update, a number or percentage.",
        ),
        Field(
            "maxSurge",
            2,
            INT_OR_STRING,
            "Pods that may be created above the desired count, a number or percentage.",
        ),
    ],
)

DeploymentStrategy = Object(
    _APPS + "DeploymentStrategy",
    "How to replace existing pods with new ones.",
    [
        Field(
            "type",
            1,
            STRING,
            "Type of deployment: Recreate or RollingUpdate (the default).",
            enum=("Recreate", "RollingUpdate"),
        ),
        Field("rollingUpdate", 2, RollingUpdateDeployment, "Rolling update parameters."),
    ],
)

DeploymentSpec = Object(
    _APPS + "DeploymentSpec",
    "The desired behavior of a Deployment.",
    [
        Field("replicas", 1, INT32, "Number of desired pods; 1 by default."),
        Field("selector", 2, _LABEL_SELECTOR, "Label selector for the pods.", required=True),
        Field("template", 3, _POD_TEMPLATE_SPEC, "The pods that will be created.", required=True),
        Field(
            "strategy",
            4,
            DeploymentStrategy,
            "How existing pods are replaced with new ones.",
            patch_strategy="retainKeys",
        ),
        Field(
            "minReadySeconds", 5, INT32, "Seconds a new pod must be ready to count as available."
        ),
        Field(
            "revisionHistoryLimit", 6, INT32, "Old ReplicaSets kept for rollback; 10 by default."
        ),
        Field("paused", 7, BOOL, "Whether the deployment is paused."),
        Field(
            "progressDeadlineSeconds",
            9,
            INT32,
            "Seconds to make progress before the deployment is considered failed.",
        ),
    ],
)

DeploymentCondition = _condition(
    "DeploymentCondition", "The state of a deployment at a point in time.", update_time=True
)

DeploymentStatus = Object(
    _APPS + "DeploymentStatus",
    "The most recently observed status of a Deployment.",
    [
        Field("observedGeneration", 1, INT64, "The generation observed by the controller."),
        Field("replicas", 2, INT32, "Non-terminating pods targeted by the deployment."),
        Field("updatedReplicas", 3, INT32, "Non-terminating pods with the desired template."),
        Field("readyReplicas", 7, INT32, "Non-terminating pods with a Ready condition."),
        Field("availableReplicas", 4, INT32, "Pods ready for at least minReadySeconds."),
        Field("unavailableReplicas", 5, INT32, "Pods still needed for 100% available capacity."),
        conditions(DeploymentCondition, 6, _CONDITIONS_DOC),
        Field("collisionCount", 8, INT32, "Count of hash collisions for the deployment."),
    ],
)

Deployment = _KINDS.kind(
    "Deployment",
    "Declarative updates for Pods and ReplicaSets.",
    [
        _metadata(),
        Field("spec", 2, DeploymentSpec, "The desired behavior of the Deployment."),
        Field("status", 3, DeploymentStatus, "The most recently observed status."),
    ],
)

DeploymentList = list_kind(Deployment, "A list of Deployments.", "The Deployments.")

# --- ReplicaSet -------------------------------------------------------------

ReplicaSetSpec = Object(
    _APPS + "ReplicaSetSpec",
    "The desired behavior of a ReplicaSet.",
    [
        Field("replicas", 1, INT32, "Number of desired pods; 1 by default."),
        Field(
            "minReadySeconds", 4, INT32, "Seconds a new pod must be ready to count as available."
        ),
        Field("selector", 2, _LABEL_SELECTOR, "Label query over the pods.", required=True),
        Field("template", 3, _POD_TEMPLATE_SPEC, "The pod created when replicas are missing."),
    ],
)

ReplicaSetCondition = _condition(
    "ReplicaSetCondition", "The state of a replica set at a point in time."
)

ReplicaSetStatus = Object(
    _APPS + "ReplicaSetStatus",
    "The current status of a ReplicaSet.",
    [
        Field("replicas", 1, INT32, "Most recently observed number of pods.", required=True),
        Field("fullyLabeledReplicas", 2, INT32, "Pods whose labels match the template's labels."),
        Field("readyReplicas", 4, INT32, "Pods with a Ready condition."),
        Field("availableReplicas", 5, INT32, "Pods ready for at least minReadySeconds."),
        Field("observedGeneration", 3, INT64, "The most recently observed generation."),
        conditions(ReplicaSetCondition, 6, _CONDITIONS_DOC),
    ],
)

ReplicaSet = _KINDS.kind(
    "ReplicaSet",
    "Keeps a specified number of pod replicas running.",
    [
        _metadata(),
        Field("spec", 2, ReplicaSetSpec, "The desired behavior of the ReplicaSet."),
        Field("status", 3, ReplicaSetStatus, "The most recently observed status."),
    ],
)

ReplicaSetList = list_kind(ReplicaSet, "A list of ReplicaSets.", "The ReplicaSets.")

# --- StatefulSet ------------------------------------------------------------

RollingUpdateStatefulSetStrategy = Object(
    _APPS + "RollingUpdateStatefulSetStrategy",
    "Parameters of a rolling update of a StatefulSet.",
    [
        Field("partition", 1, INT32, "The ordinal at which updates are partitioned."),
        Field(
            "maxUnavailable",
            2,
            INT_OR_STRING,
            "Pods that may be unavailable during the update, a number or percentage.",
        ),
    ],
)

StatefulSetUpdateStrategy = Object(
    _APPS + "StatefulSetUpdateStrategy",
    "How a StatefulSet's pods are updated.",
    [
        Field(
            "type",
            1,
            STRING,
            "The update strategy type; RollingUpdate by default.",
            enum=_ROLLING_OR_ON_DELETE,
        ),
        Field("rollingUpdate", 2, RollingUpdateStatefulSetStrategy, "Rolling update parameters."),
    ],
)

StatefulSetPersistentVolumeClaimRetentionPolicy = Object(
    _APPS + "StatefulSetPersistentVolumeClaimRetentionPolicy",
    "What happens to claims created from volumeClaimTemplates.",
    [
        Field(
            "whenDeleted",
            1,
            STRING,
            "What happens to the claims when the StatefulSet is deleted.",
            enum=("Delete", "Retain"),
        ),
        Field(
            "whenScaled",
            2,
            STRING,
            "What happens to the claims when the StatefulSet is scaled down.",
            enum=("Delete", "Retain"),
        ),
    ],
)

StatefulSetOrdinals = Object(
    _APPS + "StatefulSetOrdinals",
    "How replica ordinals are assigned.",
    [Field("start", 1, INT32, "The index of the first replica; 0 by default.")],
)

StatefulSetSpec = Object(
    _APPS + "StatefulSetSpec",
    "The desired identities of a StatefulSet's pods.",
    [
        Field("replicas", 1, INT32, "Desired number of replicas; 1 by default."),
        Field("selector", 2, _LABEL_SELECTOR, "Label query over the pods.", required=True),
        Field("template", 3, _POD_TEMPLATE_SPEC, "The pods that will be created.", required=True),
        Field(
            "volumeClaimTemplates",
            4,
            ListOf(_PERSISTENT_VOLUME_CLAIM),
            "Claims that pods are allowed to reference.",
            list_type="atomic",
        ),
        Field(
            "serviceName",
            5,
            STRING,
            "The service that governs the set's network identity.",
            required=True,
        ),
        Field(
            "podManagementPolicy",
            6,
            STRING,
            "How pods are created and deleted: OrderedReady (default) or Parallel.",
            enum=("OrderedReady", "Parallel"),
        ),
        Field("updateStrategy", 7, StatefulSetUpdateStrategy, "How pods are updated."),
        Field("revisionHistoryLimit", 8, INT32, "Revisions kept in the history; 10 by default."),
        Field(
            "minReadySeconds", 9, INT32, "Seconds a new pod must be ready to count as available."
        ),
        Field(
            "persistentVolumeClaimRetentionPolicy",
            10,
            StatefulSetPersistentVolumeClaimRetentionPolicy,
            "The lifecycle of claims created from volumeClaimTemplates.",
        ),
        Field("ordinals", 11, StatefulSetOrdinals, "How replica indices are numbered."),
    ],
)

StatefulSetCondition = _condition(
    "StatefulSetCondition", "The state of a statefulset at a point in time."
)

StatefulSetStatus = Object(
    _APPS + "StatefulSetStatus",
    "The current state of a StatefulSet.",
    [
        Field("observedGeneration", 1, INT64, "The most recently observed generation."),
        Field("replicas", 2, INT32, "Pods created by the controller.", required=True),
        Field("readyReplicas", 3, INT32, "Pods with a Ready condition."),
        Field("currentReplicas", 4, INT32, "Pods created from currentRevision."),
        Field("updatedReplicas", 5, INT32, "Pods created from updateRevision."),
        Field("currentRevision", 6, STRING, "The revision of pods [0, currentReplicas)."),
        Field("updateRevision", 7, STRING, "The revision of the most recently updated pods."),
        Field("collisionCount", 9, INT32, "Count of hash collisions for the StatefulSet."),
        conditions(StatefulSetCondition, 10, _CONDITIONS_DOC),
        Field("availableReplicas", 11, INT32, "Pods ready for at least minReadySeconds."),
    ],
)

StatefulSet = _KINDS.kind(
    "StatefulSet",
    "A set of pods with consistent identities.",
    [
        _metadata(),
        Field("spec", 2, StatefulSetSpec, "The desired identities of pods in this set."),
        Field("status", 3, StatefulSetStatus, "The current status of the pods in this set."),
    ],
)

StatefulSetList = list_kind(StatefulSet, "A list of StatefulSets.", "The StatefulSets.")

# --- DaemonSet --------------------------------------------------------------

RollingUpdateDaemonSet = Object(
    _APPS + "RollingUpdateDaemonSet",
    "Parameters of a rolling update of a DaemonSet.",
    [
        Field(
            "maxUnavailable",
            1,
            INT_OR_STRING,
            "Daemon pods that may be unavailable during the update.",
        ),
        Field(
            "maxSurge",
            2,
            INT_OR_STRING,
            "Nodes that may run an updated pod beside the old one during the update.",
        ),
    ],
)

DaemonSetUpdateStrategy = Object(
    _APPS + "DaemonSetUpdateStrategy",
    "How a DaemonSet's pods are updated.",
    [
        Field(
            "type",
            1,
            STRING,
            "RollingUpdate (the default) or OnDelete.",
            enum=_ROLLING_OR_ON_DELETE,
        ),
        Field("rollingUpdate", 2, RollingUpdateDaemonSet, "Rolling update parameters."),
    ],
)

DaemonSetSpec = Object(
    _APPS + "DaemonSetSpec",
    "The desired behavior of a DaemonSet.",
    [
        Field("selector", 1, _LABEL_SELECTOR, "Label query over the pods.", required=True),
        Field(
            "template",
            2,
            _POD_TEMPLATE_SPEC,
            "The pod created on every matching node.",
            required=True,
        ),
        Field("updateStrategy", 3, DaemonSetUpdateStrategy, "How pods are updated."),
        Field(
            "minReadySeconds", 4, INT32, "Seconds a new pod must be ready to count as available."
        ),
        Field("revisionHistoryLimit", 6, INT32, "Old history kept for rollback; 10 by default."),
    ],
)

DaemonSetCondition = _condition(
    "DaemonSetCondition", "The state of a DaemonSet at a point in time."
)

DaemonSetStatus = Object(
    _APPS + "DaemonSetStatus",
    "The current status of a DaemonSet.",
    [
        Field(
            "currentNumberScheduled",
            1,
            INT32,
            "Nodes running a daemon pod that should run one.",
            required=True,
        ),
        Field(
            "numberMisscheduled",
            2,
            INT32,
            "Nodes running a daemon pod that should not run one.",
            required=True,
        ),
        Field(
            "desiredNumberScheduled",
            3,
            INT32,
            "Nodes that should run the daemon pod.",
            required=True,
        ),
        Field(
            "numberReady",
            4,
            INT32,
            "Nodes that should run the daemon pod and have a ready one.",
            required=True,
        ),
        Field("observedGeneration", 5, INT64, "The most recently observed generation."),
        Field("updatedNumberScheduled", 6, INT32, "Nodes running the updated daemon pod."),
        Field("numberAvailable", 7, INT32, "Nodes with an available daemon pod."),
        Field(
            "numberUnavailable", 8, INT32, "Nodes that should run the pod but have none available."
        ),
        Field("collisionCount", 9, INT32, "Count of hash collisions for the DaemonSet."),
        conditions(DaemonSetCondition, 10, _CONDITIONS_DOC),
    ],
)

DaemonSet = _KINDS.kind(
    "DaemonSet",
    "The configuration of a daemon set.",
    [
        _metadata(),
        Field("spec", 2, DaemonSetSpec, "The desired behavior of the daemon set."),
        Field("status", 3, DaemonSetStatus, "The current status of the daemon set."),
    ],
)

DaemonSetList = list_kind(DaemonSet, "A list of DaemonSets.", "The daemon sets.")

# --- ControllerRevision -----------------------------------------------------

ControllerRevision = _KINDS.kind(
    "ControllerRevision",
    "An immutable snapshot of state data.",
    [
        _metadata(),
        Field("data", 2, RAW_EXTENSION, "The serialized representation of the state."),
        Field("revision", 3, INT64, "The revision of the state in data.", required=True),
    ],
)

ControllerRevisionList = list_kind(
    ControllerRevision, "A list of ControllerRevisions.", "The ControllerRevisions."
)
