"""HPA decisions without metrics: bounds, conditions, and what each metric type reports."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.api import errors
from kubeling.client.resources import DEPLOYMENTS
from kubeling.controllers.podautoscaler import (
    HorizontalPodAutoscalerController,
    MetricFailure,
    bounds_decision,
    set_hpa_condition,
)
from tests.unit.controllers.fakes import fake_context, recorded_events

Obj = dict[str, Any]


@pytest.mark.parametrize(
    ("current", "minimum", "maximum", "desired", "reason", "rescale", "metrics"),
    [
        (0, 1, 5, 0, "", False, False),
        (0, 0, 5, 0, "", False, True),
        (1, 2, 5, 2, "Current number of replicas below Spec.MinReplicas", True, False),
        (9, 1, 5, 5, "Current number of replicas above Spec.MaxReplicas", True, False),
        (3, 1, 5, 3, "", False, True),
    ],
)
def test_bounds_decision(
    current: int,
    minimum: int,
    maximum: int,
    desired: int,
    reason: str,
    rescale: bool,
    metrics: bool,
) -> None:
    """Zero disables, out of bounds rescales to the bound, within bounds asks the metrics."""
    decision = bounds_decision(current, minimum, maximum)
    assert (decision.desired, decision.reason, decision.rescale, decision.metrics) == (
        desired,
        reason,
        rescale,
        metrics,
    )


def test_set_hpa_condition_moves_transition_time_only_on_status_change() -> None:
    """New or changed status: lastTransitionTime now; reason and message always follow."""
    status: Obj = {}
    set_hpa_condition(status, "AbleToScale", "True", "A", "a", now="t0")
    set_hpa_condition(status, "AbleToScale", "True", "B", "b", now="t1")
    assert status["conditions"] == [
        {
            "type": "AbleToScale",
            "status": "True",
            "lastTransitionTime": "t0",
            "reason": "B",
            "message": "b",
        }
    ]
    set_hpa_condition(status, "AbleToScale", "False", "C", "c", now="t2")
    assert status["conditions"][0]["lastTransitionTime"] == "t2"


_NOT_SERVED = (
    "unable to fetch metrics from resource metrics API: the server could not find the "
    "requested resource (get pods.metrics.k8s.io)"
)


@pytest.mark.parametrize(
    ("metric", "reason", "message"),
    [
        (
            {"type": "Resource", "resource": {"name": "cpu", "target": {"averageUtilization": 50}}},
            "FailedGetResourceMetric",
            f"failed to get cpu utilization: unable to get metrics for resource cpu: {_NOT_SERVED}",
        ),
        (
            {"type": "Resource", "resource": {"name": "memory", "target": {"averageValue": "1Gi"}}},
            "FailedGetResourceMetric",
            f"failed to get memory usage: unable to get metrics for resource memory: {_NOT_SERVED}",
        ),
        (
            {
                "type": "ContainerResource",
                "containerResource": {
                    "name": "cpu",
                    "container": "app",
                    "target": {"averageUtilization": 60},
                },
            },
            "FailedGetContainerResourceMetric",
            f"failed to get cpu utilization: unable to get metrics for resource cpu: {_NOT_SERVED}",
        ),
        (
            {"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"averageValue": "1"}}},
            "FailedGetPodsMetric",
            "unable to get metric qps: unable to fetch metrics from custom metrics API: "
            "no custom metrics API (custom.metrics.k8s.io) registered",
        ),
        (
            {
                "type": "External",
                "external": {"metric": {"name": "queue"}, "target": {"value": "1"}},
            },
            "FailedGetExternalMetric",
            "unable to get external metric ns/queue/nil: unable to fetch metrics from external "
            "metrics API: the server could not find the requested resource "
            "(get queue.external.metrics.k8s.io)",
        ),
    ],
)
async def test_metric_failures(metric: Obj, reason: str, message: str) -> None:
    """Each metric type fails with its reason and upstream's message when no API serves it."""
    ctx, client = fake_context()
    client.fail_lists["pods"] = errors.not_found("", "")
    controller = HorizontalPodAutoscalerController(ctx)
    failure = await controller._compute_metric(metric, "ns", "app=web", current=1, pods=[])
    assert isinstance(failure, MetricFailure)
    assert (failure.reason, failure.message) == (reason, message)


def _hpa(min_replicas: int, max_replicas: int) -> Obj:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web", "namespace": "ns", "resourceVersion": "7"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": min_replicas,
            "maxReplicas": max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"averageUtilization": 50}},
                }
            ],
        },
        "status": {"desiredReplicas": 0},
    }


def _scale(replicas: int) -> Obj:
    return {
        "kind": "Scale",
        "metadata": {"name": "web", "namespace": "ns"},
        "spec": {"replicas": replicas},
        "status": {"replicas": replicas, "selector": "app=web"},
    }


async def test_reconcile_rescales_below_min_then_reports_no_metrics() -> None:
    """Below minReplicas: rescaled; at it: ScalingActive False and the empty metric status."""
    ctx, client = fake_context()
    client.served = [DEPLOYMENTS]
    client.objects[(DEPLOYMENTS.plural, "ns", "web")] = _scale(1)
    controller = HorizontalPodAutoscalerController(ctx)
    await controller.reconcile(_hpa(2, 5))
    [scale_write] = client.writes("update")
    assert (scale_write.options["subresource"], scale_write.body["spec"]["replicas"]) == (
        "scale",
        2,
    )
    [status_write] = client.writes("update_status")
    status = status_write.body["status"]
    assert (status["currentReplicas"], status["desiredReplicas"]) == (1, 2)
    assert status["lastScaleTime"]
    assert [(c["type"], c["reason"]) for c in status["conditions"]] == [
        ("AbleToScale", "SucceededRescale")
    ]
    assert ("Normal", "SuccessfulRescale") in {(t, r) for t, r, _ in recorded_events(controller)}

    client.objects[(DEPLOYMENTS.plural, "ns", "web")] = _scale(2)
    client.calls.clear()
    await controller.reconcile(status_write.body)
    [status_write] = client.writes("update_status")
    status = status_write.body["status"]
    assert status["currentMetrics"] == [{"type": ""}]
    assert {c["type"]: c["reason"] for c in status["conditions"]} == {
        "AbleToScale": "SucceededGetScale",
        "ScalingActive": "FailedGetResourceMetric",
    }
    reasons = [reason for _, reason, _ in recorded_events(controller)]
    assert reasons[-2:] == ["FailedGetResourceMetric", "FailedComputeMetricsReplicas"]

    # nothing changed since: no write at all
    client.calls.clear()
    await controller.reconcile(status_write.body)
    assert client.writes("update_status") == []
