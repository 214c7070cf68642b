"""policy/v1 types: PodDisruptionBudget and the Eviction subresource body.

Field numbers are those of Kubernetes' ``policy/v1/generated.proto`` at
release 1.32; label selectors, conditions, metadata and DeleteOptions are the
meta/v1 declarations, named by ``Ref``.
"""

from __future__ import annotations

from kubeling.api.schema import (
    INT32,
    INT64,
    INT_OR_STRING,
    STRING,
    TIME,
    Field,
    Kinds,
    MapOf,
    Object,
    Ref,
    conditions,
    list_kind,
)

__all__ = [
    "Eviction",
    "PodDisruptionBudget",
    "PodDisruptionBudgetList",
    "PodDisruptionBudgetSpec",
    "PodDisruptionBudgetStatus",
]

_POLICY = "io.k8s.api.policy.v1."
_KINDS = Kinds(_POLICY, "policy", "v1")
_META = "io.k8s.apimachinery.pkg.apis.meta.v1."

_OBJECT_META = Ref(_META + "ObjectMeta")
_LABEL_SELECTOR = Ref(_META + "LabelSelector")
_CONDITION = Ref(_META + "Condition")
_DELETE_OPTIONS = Ref(_META + "DeleteOptions")


PodDisruptionBudgetSpec = Object(
    _POLICY + "PodDisruptionBudgetSpec",
    "The description of a PodDisruptionBudget.",
    [
        Field(
            "minAvailable",
            1,
            INT_OR_STRING,
            "Selected pods that must stay available after an eviction, a number or percentage.",
        ),
        Field(
            "selector",
            2,
            _LABEL_SELECTOR,
            "Label query over the pods whose evictions the budget manages.",
            patch_strategy="replace",
        ),
        Field(
            "maxUnavailable",
            3,
            INT_OR_STRING,
            "Selected pods that may be unavailable after an eviction, a number or percentage.",
        ),
        Field(
            "unhealthyPodEvictionPolicy",
            4,
            STRING,
            "When running but unhealthy pods may be evicted.",
            enum=("AlwaysAllow", "IfHealthyBudget"),
        ),
    ],
)

PodDisruptionBudgetStatus = Object(
    _POLICY + "PodDisruptionBudgetStatus",
    "The observed status of a PodDisruptionBudget.",
    [
        Field("observedGeneration", 1, INT64, "The generation observed when updating this status."),
        Field(
            "disruptedPods",
            2,
            MapOf(TIME),
            "Pods whose eviction was processed but not yet observed, by name.",
        ),
        Field(
            "disruptionsAllowed",
            3,
            INT32,
            "Pod disruptions currently allowed.",
            required=True,
        ),
        Field("currentHealthy", 4, INT32, "Current number of healthy pods.", required=True),
        Field("desiredHealthy", 5, INT32, "Minimum desired number of healthy pods.", required=True),
        Field("expectedPods", 6, INT32, "Total pods counted by the budget.", required=True),
        conditions(_CONDITION, 7, "Conditions of the budget, e.g. DisruptionAllowed."),
    ],
)

PodDisruptionBudget = _KINDS.kind(
    "PodDisruptionBudget",
    "The maximum disruption that can be caused to a collection of pods.",
    [
        Field("metadata", 1, _OBJECT_META, "Standard object's metadata."),
        Field("spec", 2, PodDisruptionBudgetSpec, "The desired behavior of the budget."),
        Field("status", 3, PodDisruptionBudgetStatus, "The most recently observed status."),
    ],
)

PodDisruptionBudgetList = list_kind(
    PodDisruptionBudget, "A list of PodDisruptionBudgets.", "The PodDisruptionBudgets."
)

Eviction = _KINDS.kind(
    "Eviction",
    "Evicts a pod from its node, subject to disruption budgets (pods/eviction).",
    [
        Field("metadata", 1, _OBJECT_META, "Describes the pod being evicted."),
        Field("deleteOptions", 2, _DELETE_OPTIONS, "Options for the deletion of the pod."),
    ],
)
