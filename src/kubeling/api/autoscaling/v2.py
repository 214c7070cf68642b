"""autoscaling/v2 types: the HorizontalPodAutoscaler with metrics and behavior.

Definition names carry the version (``io.k8s.api.autoscaling.v2.``), apart
from v1's ``CrossVersionObjectReference`` and friends. Field numbers are those
of ``autoscaling/v2/generated.proto`` at release 1.32, which is why
``HPAScalingRules.tolerance`` (added later) is left out.
"""

from __future__ import annotations

from kubeling.api.autoscaling import v1
from kubeling.api.schema import (
    INT32,
    INT64,
    QUANTITY,
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
    "ContainerResourceMetricSource",
    "ContainerResourceMetricStatus",
    "CrossVersionObjectReference",
    "ExternalMetricSource",
    "ExternalMetricStatus",
    "HPAScalingPolicy",
    "HPAScalingRules",
    "HorizontalPodAutoscaler",
    "HorizontalPodAutoscalerBehavior",
    "HorizontalPodAutoscalerCondition",
    "HorizontalPodAutoscalerList",
    "HorizontalPodAutoscalerSpec",
    "HorizontalPodAutoscalerStatus",
    "MetricIdentifier",
    "MetricSpec",
    "MetricStatus",
    "MetricTarget",
    "MetricValueStatus",
    "ObjectMetricSource",
    "ObjectMetricStatus",
    "PodsMetricSource",
    "PodsMetricStatus",
    "ResourceMetricSource",
    "ResourceMetricStatus",
]

_AUTOSCALING = "io.k8s.api.autoscaling.v2."
_KINDS = Kinds(_AUTOSCALING, "autoscaling", "v2")
_META = "io.k8s.apimachinery.pkg.apis.meta.v1."

_OBJECT_META = Ref(_META + "ObjectMeta")
_LABEL_SELECTOR = Ref(_META + "LabelSelector")

_METRIC_SOURCE_TYPES = ("ContainerResource", "External", "Object", "Pods", "Resource")


# --- Targets and values -----------------------------------------------------

# The same type as autoscaling/v1's, under this version's name.
CrossVersionObjectReference = Object(
    _AUTOSCALING + "CrossVersionObjectReference",
    v1.CrossVersionObjectReference.doc,
    v1.CrossVersionObjectReference.fields,
)

MetricIdentifier = Object(
    _AUTOSCALING + "MetricIdentifier",
    "The name and optional selector of a metric.",
    [
        Field("name", 1, STRING, "The name of the metric.", required=True),
        Field("selector", 2, _LABEL_SELECTOR, "Label selector narrowing the metric's scope."),
    ],
)

MetricTarget = Object(
    _AUTOSCALING + "MetricTarget",
    "The target value, average value or average utilization of a metric.",
    [
        Field(
            "type",
            1,
            STRING,
            "Whether the target is a Utilization, Value or AverageValue.",
            required=True,
        ),
        Field("value", 2, QUANTITY, "The target value of the metric."),
        Field("averageValue", 3, QUANTITY, "The target average of the metric across pods."),
        Field(
            "averageUtilization",
            4,
            INT32,
            "The target average utilization, as a percentage of requests.",
        ),
    ],
)

MetricValueStatus = Object(
    _AUTOSCALING + "MetricValueStatus",
    "The current value of a metric.",
    [
        Field("value", 1, QUANTITY, "The current value of the metric."),
        Field("averageValue", 2, QUANTITY, "The current average of the metric across pods."),
        Field(
            "averageUtilization",
            3,
            INT32,
            "The current average utilization, as a percentage of requests.",
        ),
    ],
)


def _by_source_type(
    name: str,
    doc: str,
    object_: Object,
    pods: Object,
    resource: Object,
    container_resource: Object,
    external: Object,
) -> Object:
    """MetricSpec or MetricStatus: the metric source type, then one member for each type."""
    return Object(
        _AUTOSCALING + name,
        doc,
        [
            Field(
                "type",
                1,
                STRING,
                "The type of metric source.",
                required=True,
                enum=_METRIC_SOURCE_TYPES,
            ),
            Field("object", 2, object_, "A metric describing a single object."),
            Field("pods", 3, pods, "A metric describing each pod of the target."),
            Field("resource", 4, resource, "A resource metric of each pod."),
            Field(
                "containerResource",
                7,
                container_resource,
                "A resource metric of one container in each pod.",
            ),
            Field("external", 5, external, "A metric from outside the cluster."),
        ],
    )


# --- Metric sources ---------------------------------------------------------

ObjectMetricSource = Object(
    _AUTOSCALING + "ObjectMetricSource",
    "Scaling on a metric describing a single Kubernetes object.",
    [
        Field(
            "describedObject",
            1,
            CrossVersionObjectReference,
            "The object the metric describes.",
            required=True,
        ),
        Field("target", 2, MetricTarget, "The target value of the metric.", required=True),
        Field("metric", 3, MetricIdentifier, "The metric, by name and selector.", required=True),
    ],
)

PodsMetricSource = Object(
    _AUTOSCALING + "PodsMetricSource",
    "Scaling on a metric describing each pod of the scale target.",
    [
        Field("metric", 1, MetricIdentifier, "The metric, by name and selector.", required=True),
        Field("target", 2, MetricTarget, "The target value of the metric.", required=True),
    ],
)

ResourceMetricSource = Object(
    _AUTOSCALING + "ResourceMetricSource",
    "Scaling on a resource metric (such as CPU or memory) of each pod.",
    [
        Field("name", 1, STRING, "The name of the resource.", required=True),
        Field("target", 2, MetricTarget, "The target value of the metric.", required=True),
    ],
)

ContainerResourceMetricSource = Object(
    _AUTOSCALING + "ContainerResourceMetricSource",
    "Scaling on a resource metric of one container in each pod.",
    [
        Field("name", 1, STRING, "The name of the resource.", required=True),
        Field("target", 2, MetricTarget, "The target value of the metric.", required=True),
        Field("container", 3, STRING, "The name of the container.", required=True),
    ],
)

ExternalMetricSource = Object(
    _AUTOSCALING + "ExternalMetricSource",
    "Scaling on a metric not associated with any Kubernetes object.",
    [
        Field("metric", 1, MetricIdentifier, "The metric, by name and selector.", required=True),
        Field("target", 2, MetricTarget, "The target value of the metric.", required=True),
    ],
)

MetricSpec = _by_source_type(
    "MetricSpec",
    "How to scale on one metric: the type and its matching source.",
    ObjectMetricSource,
    PodsMetricSource,
    ResourceMetricSource,
    ContainerResourceMetricSource,
    ExternalMetricSource,
)

# --- Metric statuses --------------------------------------------------------

ObjectMetricStatus = Object(
    _AUTOSCALING + "ObjectMetricStatus",
    "The current value of a metric describing a single Kubernetes object.",
    [
        Field("metric", 1, MetricIdentifier, "The metric, by name and selector.", required=True),
        Field("current", 2, MetricValueStatus, "The current value of the metric.", required=True),
        Field(
            "describedObject",
            3,
            CrossVersionObjectReference,
            "The object the metric describes.",
            required=True,
        ),
    ],
)

PodsMetricStatus = Object(
    _AUTOSCALING + "PodsMetricStatus",
    "The current value of a metric describing each pod of the scale target.",
    [
        Field("metric", 1, MetricIdentifier, "The metric, by name and selector.", required=True),
        Field("current", 2, MetricValueStatus, "The current value of the metric.", required=True),
    ],
)

ResourceMetricStatus = Object(
    _AUTOSCALING + "ResourceMetricStatus",
    "The current value of a resource metric of each pod.",
    [
        Field("name", 1, STRING, "The name of the resource.", required=True),
        Field("current", 2, MetricValueStatus, "The current value of the metric.", required=True),
    ],
)

ContainerResourceMetricStatus = Object(
    _AUTOSCALING + "ContainerResourceMetricStatus",
    "The current value of a resource metric of one container in each pod.",
    [
        Field("name", 1, STRING, "The name of the resource.", required=True),
        Field("current", 2, MetricValueStatus, "The current value of the metric.", required=True),
        Field("container", 3, STRING, "The name of the container.", required=True),
    ],
)

ExternalMetricStatus = Object(
    _AUTOSCALING + "ExternalMetricStatus",
    "The current value of a metric not associated with any Kubernetes object.",
    [
        Field("metric", 1, MetricIdentifier, "The metric, by name and selector.", required=True),
        Field("current", 2, MetricValueStatus, "The current value of the metric.", required=True),
    ],
)

MetricStatus = _by_source_type(
    "MetricStatus",
    "The last-read state of one metric.",
    ObjectMetricStatus,
    PodsMetricStatus,
    ResourceMetricStatus,
    ContainerResourceMetricStatus,
    ExternalMetricStatus,
)

# --- Behavior ---------------------------------------------------------------

HPAScalingPolicy = Object(
    _AUTOSCALING + "HPAScalingPolicy",
    "A single policy that must hold for a specified past interval.",
    [
        Field(
            "type",
            1,
            STRING,
            "The kind of scaling policy: Pods or Percent.",
            required=True,
            enum=("Percent", "Pods"),
        ),
        Field("value", 2, INT32, "The amount of change the policy permits.", required=True),
        Field(
            "periodSeconds",
            3,
            INT32,
            "The window of time over which the policy must hold.",
            required=True,
        ),
    ],
)

HPAScalingRules = Object(
    _AUTOSCALING + "HPAScalingRules",
    "The scaling behavior in one direction.",
    [
        Field(
            "stabilizationWindowSeconds",
            3,
            INT32,
            "Seconds of past recommendations considered when scaling.",
        ),
        Field(
            "selectPolicy",
            1,
            STRING,
            "Which policy is used: Max (default), Min or Disabled.",
            enum=("Disabled", "Max", "Min"),
        ),
        Field(
            "policies",
            2,
            ListOf(HPAScalingPolicy),
            "The scaling policies that may be used.",
            list_type="atomic",
        ),
    ],
)

HorizontalPodAutoscalerBehavior = Object(
    _AUTOSCALING + "HorizontalPodAutoscalerBehavior",
    "The scaling behavior of the target, up and down.",
    [
        Field("scaleUp", 1, HPAScalingRules, "The policy for scaling up."),
        Field("scaleDown", 2, HPAScalingRules, "The policy for scaling down."),
    ],
)

# --- HorizontalPodAutoscaler ------------------------------------------------

HorizontalPodAutoscalerSpec = Object(
    _AUTOSCALING + "HorizontalPodAutoscalerSpec",
    "The desired functionality of a HorizontalPodAutoscaler.",
    [
        Field(
            "scaleTargetRef",
            1,
            CrossVersionObjectReference,
            "The resource to scale and whose pods' metrics are collected.",
            required=True,
        ),
        Field("minReplicas", 2, INT32, "The lower limit for the number of replicas; 1 by default."),
        Field(
            "maxReplicas", 3, INT32, "The upper limit for the number of replicas.", required=True
        ),
        Field(
            "metrics",
            4,
            ListOf(MetricSpec),
            "The metrics used to compute the desired replica count.",
            list_type="atomic",
        ),
        Field(
            "behavior",
            5,
            HorizontalPodAutoscalerBehavior,
            "The scaling behavior, up and down.",
        ),
    ],
)

HorizontalPodAutoscalerCondition = Object(
    _AUTOSCALING + "HorizontalPodAutoscalerCondition",
    "The state of a HorizontalPodAutoscaler at a point in time.",
    [
        Field("type", 1, STRING, "The type of the condition.", required=True),
        Field(
            "status", 2, STRING, "Status of the condition: True, False or Unknown.", required=True
        ),
        Field("lastTransitionTime", 3, TIME, "Last time the condition changed status."),
        Field("reason", 4, STRING, "The reason for the last transition."),
        Field("message", 5, STRING, "Human-readable details about the transition."),
    ],
)

HorizontalPodAutoscalerStatus = Object(
    _AUTOSCALING + "HorizontalPodAutoscalerStatus",
    "The current status of a horizontal pod autoscaler.",
    [
        Field("observedGeneration", 1, INT64, "The most recent generation observed."),
        Field("lastScaleTime", 2, TIME, "The last time the autoscaler scaled the pods."),
        Field("currentReplicas", 3, INT32, "The current number of replicas."),
        Field("desiredReplicas", 4, INT32, "The desired number of replicas.", required=True),
        Field(
            "currentMetrics",
            5,
            ListOf(MetricStatus),
            "The last-read state of the metrics.",
            list_type="atomic",
        ),
        conditions(
            HorizontalPodAutoscalerCondition, 6, "Whether the conditions required to scale are met."
        ),
    ],
)

HorizontalPodAutoscaler = _KINDS.kind(
    "HorizontalPodAutoscaler",
    "Automatically manages the replica count of a scalable resource.",
    [
        Field("metadata", 1, _OBJECT_META, "Standard object metadata."),
        Field("spec", 2, HorizontalPodAutoscalerSpec, "The behavior of the autoscaler."),
        Field("status", 3, HorizontalPodAutoscalerStatus, "The current status of the autoscaler."),
    ],
)

HorizontalPodAutoscalerList = list_kind(
    HorizontalPodAutoscaler,
    "A list of horizontal pod autoscalers.",
    "The horizontal pod autoscalers.",
)
