"""autoscaling/v2 ⇄ autoscaling/v1 HorizontalPodAutoscaler conversion."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from kubeling.api.conversion.autoscaling import (
    BEHAVIOR_ANNOTATION,
    CONDITIONS_ANNOTATION,
    CURRENT_METRICS_ANNOTATION,
    HPA_V1,
    METRICS_ANNOTATION,
    drop_round_trip_annotations,
    v1_to_v2,
    v2_to_v1,
)

REF = {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"}


def cpu(percent: int) -> dict[str, Any]:
    return {
        "type": "Resource",
        "resource": {
            "name": "cpu",
            "target": {"type": "Utilization", "averageUtilization": percent},
        },
    }


def v2(metrics: list[Any] | None = None, **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"scaleTargetRef": REF, "minReplicas": 1, "maxReplicas": 5}
    if metrics is not None:
        spec["metrics"] = metrics
    spec.update(extra.pop("spec", {}))
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": extra.pop("metadata", {"name": "web"}),
        "spec": spec,
        "status": extra.pop("status", {"desiredReplicas": 0}),
    }


def annotation(obj: dict[str, Any], key: str) -> Any:
    return json.loads(obj["metadata"]["annotations"][key])


def test_cpu_target_is_the_v1_percentage_both_ways() -> None:
    """targetCPUUtilizationPercentage ⇄ a Resource cpu Utilization metric; no annotation."""
    v1 = v2_to_v1(v2([cpu(50)]))
    assert v1["apiVersion"] == "autoscaling/v1"
    assert v1["spec"] == {
        "scaleTargetRef": REF,
        "minReplicas": 1,
        "maxReplicas": 5,
        "targetCPUUtilizationPercentage": 50,
    }
    assert v1["status"] == {"currentReplicas": 0, "desiredReplicas": 0}
    assert "annotations" not in v1["metadata"]
    back = v1_to_v2(v1)
    assert back["spec"]["metrics"] == [cpu(50)]
    assert back["apiVersion"] == "autoscaling/v2"


def test_v1_without_target_gets_the_80_percent_default() -> None:
    """A v1 HPA with no CPU target means 80% CPU utilization in v2 (upstream's pseudo-default)."""
    converted = v1_to_v2(
        {"metadata": {"name": "h"}, "spec": {"scaleTargetRef": REF, "maxReplicas": 2}}
    )
    assert converted["spec"]["metrics"] == [cpu(80)]
    assert "minReplicas" not in converted["spec"]


@pytest.mark.parametrize(
    ("v2_metric", "v1_metric"),
    [
        pytest.param(
            {
                "type": "Resource",
                "resource": {
                    "name": "memory",
                    "target": {"type": "AverageValue", "averageValue": "500Mi"},
                },
            },
            {"type": "Resource", "resource": {"name": "memory", "targetAverageValue": "500Mi"}},
            id="resource-value",
        ),
        pytest.param(
            {
                "type": "Pods",
                "pods": {
                    "metric": {"name": "qps", "selector": {"matchLabels": {"b": "2", "a": "1"}}},
                    "target": {"type": "AverageValue", "averageValue": "10"},
                },
            },
            {
                "type": "Pods",
                "pods": {
                    "metricName": "qps",
                    "targetAverageValue": "10",
                    "selector": {"matchLabels": {"a": "1", "b": "2"}},
                },
            },
            id="pods",
        ),
        pytest.param(
            {
                "type": "Object",
                "object": {
                    "describedObject": {"kind": "Service", "name": "front"},
                    "target": {"type": "Value", "value": "2k"},
                    "metric": {"name": "requests"},
                },
            },
            {
                "type": "Object",
                "object": {
                    "target": {"kind": "Service", "name": "front"},
                    "metricName": "requests",
                    "targetValue": "2k",
                },
            },
            id="object",
        ),
        pytest.param(
            {
                "type": "External",
                "external": {
                    "metric": {"name": "queue", "selector": {"matchLabels": {"q": "jobs"}}},
                    "target": {"type": "AverageValue", "averageValue": "30"},
                },
            },
            {
                "type": "External",
                "external": {
                    "metricName": "queue",
                    "metricSelector": {"matchLabels": {"q": "jobs"}},
                    "targetAverageValue": "30",
                },
            },
            id="external",
        ),
        pytest.param(
            {
                "type": "ContainerResource",
                "containerResource": {
                    "name": "cpu",
                    "container": "app",
                    "target": {"type": "Utilization", "averageUtilization": 60},
                },
            },
            {
                "type": "ContainerResource",
                "containerResource": {
                    "name": "cpu",
                    "targetAverageUtilization": 60,
                    "container": "app",
                },
            },
            id="container-resource",
        ),
    ],
)
def test_metrics_v1_cannot_express_round_trip_through_the_annotation(
    v2_metric: dict[str, Any], v1_metric: dict[str, Any]
) -> None:
    """Every metric but the CPU utilization goes to autoscaling.alpha.kubernetes.io/metrics."""
    v1 = v2_to_v1(v2([cpu(70), v2_metric]))
    assert v1["spec"]["targetCPUUtilizationPercentage"] == 70
    assert annotation(v1, METRICS_ANNOTATION) == [v1_metric]
    back = v1_to_v2(v1)
    # the annotation's metrics come first, then the CPU target, as upstream orders them
    assert back["spec"]["metrics"] == [v2_metric, cpu(70)]
    assert "annotations" not in back["metadata"]


def test_statuses_conditions_and_behavior_round_trip() -> None:
    """currentMetrics, conditions and behavior survive a read and write through v1."""
    behavior = {
        "scaleUp": {
            "stabilizationWindowSeconds": 0,
            "selectPolicy": "Max",
            "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15}],
        },
        "scaleDown": {"stabilizationWindowSeconds": 300},
    }
    conditions = [
        {
            "type": "AbleToScale",
            "status": "True",
            "lastTransitionTime": "2024-06-01T12:00:00Z",
            "reason": "SucceededGetScale",
            "message": "the HPA controller was able to get the target's current scale",
        }
    ]
    current = [
        {
            "type": "Resource",
            "resource": {"name": "cpu", "current": {"averageValue": "0", "averageUtilization": 42}},
        },
        {
            "type": "Pods",
            "pods": {"metric": {"name": "qps"}, "current": {"averageValue": "7"}},
        },
    ]
    stored = v2(
        [cpu(50)],
        spec={"behavior": behavior},
        status={
            "observedGeneration": 2,
            "currentReplicas": 3,
            "desiredReplicas": 4,
            "currentMetrics": current,
            "conditions": conditions,
        },
    )
    v1 = v2_to_v1(stored)
    assert v1["status"] == {
        "observedGeneration": 2,
        "currentReplicas": 3,
        "desiredReplicas": 4,
        "currentCPUUtilizationPercentage": 42,
    }
    assert annotation(v1, BEHAVIOR_ANNOTATION) == {
        "ScaleUp": {
            "StabilizationWindowSeconds": 0,
            "SelectPolicy": "Max",
            "Policies": [{"Type": "Pods", "Value": 4, "PeriodSeconds": 15}],
        },
        "ScaleDown": {"StabilizationWindowSeconds": 300, "SelectPolicy": None, "Policies": None},
    }
    assert annotation(v1, CURRENT_METRICS_ANNOTATION) == [
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "currentAverageUtilization": 42,
                "currentAverageValue": "0",
            },
        },
        {"type": "Pods", "pods": {"metricName": "qps", "currentAverageValue": "7"}},
    ]
    assert annotation(v1, CONDITIONS_ANNOTATION) == conditions
    back = v1_to_v2(v1)
    assert back["spec"]["behavior"] == behavior
    assert back["status"]["currentMetrics"] == current
    assert back["status"]["conditions"] == conditions
    assert back == stored


def test_behavior_annotation_is_go_marshalled_internal_type() -> None:
    """The behavior annotation has Go's field names, in declaration order, compact."""
    v1 = v2_to_v1(v2([cpu(50)], spec={"behavior": {"scaleDown": {"selectPolicy": "Min"}}}))
    assert v1["metadata"]["annotations"][BEHAVIOR_ANNOTATION] == (
        '{"ScaleUp":null,"ScaleDown":{"StabilizationWindowSeconds":null,'
        '"SelectPolicy":"Min","Policies":null}}'
    )


@pytest.mark.parametrize(
    "raw",
    ["not json", "{}", "[1]", '{"ScaleUp": 3}', '[{"type": 5}]', "null"],
)
def test_malformed_annotations_are_ignored(raw: str) -> None:
    """Annotations that do not decode into v1's types are dropped, never an error."""
    v1 = {
        "metadata": {
            "name": "h",
            "annotations": {
                METRICS_ANNOTATION: raw,
                BEHAVIOR_ANNOTATION: raw,
                CURRENT_METRICS_ANNOTATION: raw,
                CONDITIONS_ANNOTATION: raw,
                "keep": "me",
            },
        },
        "spec": {"scaleTargetRef": REF, "maxReplicas": 3, "targetCPUUtilizationPercentage": 10},
    }
    converted = v1_to_v2(v1)
    assert converted["spec"]["metrics"] == [cpu(10)]
    assert "behavior" not in converted["spec"]
    assert converted["status"] == {"desiredReplicas": 0}
    assert converted["metadata"]["annotations"] == {"keep": "me"}


def test_stale_round_trip_annotations_are_replaced_on_output() -> None:
    """v2 → v1 writes only the annotations its own conversion produced."""
    stored = v2(
        [cpu(50)], metadata={"name": "h", "annotations": {METRICS_ANNOTATION: "[]", "a": "b"}}
    )
    assert v2_to_v1(stored)["metadata"]["annotations"] == {"a": "b"}


def test_drop_round_trip_annotations_keeps_the_object_when_there_are_none() -> None:
    """Nothing to drop: the very metadata comes back (no copy)."""
    meta = {"name": "h", "annotations": {"a": "b"}}
    assert drop_round_trip_annotations(meta) is meta


@pytest.mark.parametrize(
    "stored",
    [
        v2([cpu(50)]),
        v2([]),
        v2(
            [
                {
                    "type": "External",
                    "external": {
                        "metric": {"name": "q"},
                        "target": {"type": "Value", "value": "3"},
                    },
                },
                cpu(20),
            ]
        ),
    ],
)
def test_v2_v1_v2_is_stable_after_one_trip(stored: dict[str, Any]) -> None:
    """One trip through v1 may reorder and fill Go's zero values; further trips change nothing."""
    before = copy.deepcopy(stored)
    once = v1_to_v2(v2_to_v1(stored))
    assert v1_to_v2(v2_to_v1(once)) == once
    assert stored == before  # pure


def test_declaration() -> None:
    """autoscaling/v1 is stored as autoscaling/v2 and selects on the same fields."""
    assert (HPA_V1.served.version, HPA_V1.storage.version) == ("v1", "v2")
    assert HPA_V1.field_labels is None
