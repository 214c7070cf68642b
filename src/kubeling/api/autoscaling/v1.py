"""autoscaling/v1 types: the Scale subresource and the v1 HorizontalPodAutoscaler.

``Scale`` is the body of every ``.../scale`` subresource (deployments,
replicasets, statefulsets, replicationcontrollers). The v1 autoscaler only
knows a CPU utilization target; the metric types of autoscaling/v1's
``generated.proto`` exist for annotation round-tripping and are not served, so
they are not declared. Field numbers are those of ``generated.proto`` at
release 1.32.
"""

from __future__ import annotations

from kubeling.api.schema import (
    INT32,
    INT64,
    STRING,
    TIME,
    Field,
    Kinds,
    Object,
    Ref,
    list_kind,
)

__all__ = [
    "CrossVersionObjectReference",
    "HorizontalPodAutoscaler",
    "HorizontalPodAutoscalerList",
    "HorizontalPodAutoscalerSpec",
    "HorizontalPodAutoscalerStatus",
    "Scale",
    "ScaleSpec",
    "ScaleStatus",
]

_AUTOSCALING = "io.k8s.api.autoscaling.v1."
_KINDS = Kinds(_AUTOSCALING, "autoscaling", "v1")
_META = "io.k8s.apimachinery.pkg.apis.meta.v1."

_OBJECT_META = Ref(_META + "ObjectMeta")


# --- Scale ------------------------------------------------------------------

ScaleSpec = Object(
    _AUTOSCALING + "ScaleSpec",
    "The desired attributes of a scale subresource.",
    [Field("replicas", 1, INT32, "The desired number of instances of the scaled object.")],
)

ScaleStatus = Object(
    _AUTOSCALING + "ScaleStatus",
    "The current status of a scale subresource.",
    [
        Field(
            "replicas",
            1,
            INT32,
            "The observed number of instances of the scaled object.",
            required=True,
        ),
        Field("selector", 2, STRING, "The label query over the pods, in query-parameter syntax."),
    ],
)

Scale = _KINDS.kind(
    "Scale",
    "A scaling request for a resource.",
    [
        Field("metadata", 1, _OBJECT_META, "Standard object metadata."),
        Field("spec", 2, ScaleSpec, "The desired behavior of the scale."),
        Field("status", 3, ScaleStatus, "The current status of the scale."),
    ],
)

# --- HorizontalPodAutoscaler ------------------------------------------------

CrossVersionObjectReference = Object(
    _AUTOSCALING + "CrossVersionObjectReference",
    "Enough information to identify the referred resource.",
    [
        Field("kind", 1, STRING, "The kind of the referent.", required=True),
        Field("name", 2, STRING, "The name of the referent.", required=True),
        Field("apiVersion", 3, STRING, "The API version of the referent."),
    ],
    atomic=True,
)

HorizontalPodAutoscalerSpec = Object(
    _AUTOSCALING + "HorizontalPodAutoscalerSpec",
    "The specification of a horizontal pod autoscaler.",
    [
        Field(
            "scaleTargetRef",
            1,
            CrossVersionObjectReference,
            "The scaled resource, changed through its scale subresource.",
            required=True,
        ),
        Field("minReplicas", 2, INT32, "The lower limit for the number of replicas; 1 by default."),
        Field("maxReplicas", 3, INT32, "The upper limit for the number of pods.", required=True),
        Field(
            "targetCPUUtilizationPercentage",
            4,
            INT32,
            "The target average CPU utilization, as a percentage of requests.",
        ),
    ],
)

HorizontalPodAutoscalerStatus = Object(
    _AUTOSCALING + "HorizontalPodAutoscalerStatus",
    "The current status of a horizontal pod autoscaler.",
    [
        Field("observedGeneration", 1, INT64, "The most recent generation observed."),
        Field("lastScaleTime", 2, TIME, "The last time the autoscaler scaled the pods."),
        Field("currentReplicas", 3, INT32, "The current number of replicas.", required=True),
        Field("desiredReplicas", 4, INT32, "The desired number of replicas.", required=True),
        Field(
            "currentCPUUtilizationPercentage",
            5,
            INT32,
            "The current average CPU utilization, as a percentage of requests.",
        ),
    ],
)

HorizontalPodAutoscaler = _KINDS.kind(
    "HorizontalPodAutoscaler",
    "The configuration of a horizontal pod autoscaler.",
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
