"""The HPA with metrics: the replica calculator, normalization, and reconcile over a fake
metrics source."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from kubeling.client.resources import DEPLOYMENTS, PODS
from kubeling.controllers.hpanormalization import Normalizer, convert_with_rules
from kubeling.controllers.podautoscaler import HorizontalPodAutoscalerController
from kubeling.controllers.replicacalculator import (
    CalculationError,
    PodMetric,
    ReplicaCalculator,
    pod_requests,
)
from kubeling.controllers.resourcemetrics import MetricsUnavailable, pod_metrics_from_list
from tests.unit.controllers.fakes import cache, fake_context, recorded_events

Obj = dict[str, Any]
NOW = 1_700_000_000.0
LONG_AGO = "2023-01-01T00:00:00Z"  # started and ready long before NOW


def pod(
    name: str,
    cpu: str = "100m",
    *,
    phase: str = "Running",
    ready: str = "True",
    started: str | None = LONG_AGO,
    labels: Mapping[str, str] | None = None,
) -> Obj:
    status: Obj = {
        "phase": phase,
        "conditions": [{"type": "Ready", "status": ready, "lastTransitionTime": LONG_AGO}],
    }
    if started:
        status["startTime"] = started
    return {
        "metadata": {"name": name, "namespace": "ns", "labels": dict(labels or {"app": "web"})},
        "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": cpu}}}]},
        "status": status,
    }


def used(**milli: int) -> dict[str, PodMetric]:
    return {name: PodMetric(value, NOW - 5, 10.0) for name, value in milli.items()}


@pytest.mark.parametrize(
    ("pods", "metrics", "current", "target", "expected"),
    [
        # 2 pods at 100% of 100m, target 50%: double
        ([pod("a"), pod("b")], used(a=100, b=100), 2, 50, (4, 100, 100)),
        # within tolerance (54% vs 50%): unchanged; 55% is 1.1, just beyond it in floating
        # point, as in Go
        ([pod("a"), pod("b")], used(a=54, b=54), 2, 50, (2, 54, 54)),
        ([pod("a"), pod("b")], used(a=55, b=55), 2, 50, (3, 55, 55)),
        # scale down: 10% vs 50%
        ([pod("a"), pod("b"), pod("c")], used(a=10, b=10, c=10), 3, 50, (1, 10, 10)),
        # a missing pod on a scale-down counts as its full request: 3 * (10+10+100)/300/0.5
        ([pod("a"), pod("b"), pod("c")], used(a=10, b=10), 3, 50, (3, 10, 10)),
        # a missing pod on a scale-up counts as 0: ratio (200+200+0)/300 / 0.5 = 2.66 -> 8
        ([pod("a"), pod("b"), pod("c")], used(a=200, b=200), 3, 50, (8, 200, 200)),
        # an unready pod on a scale-up counts as 0
        (
            [pod("a"), pod("b", ready="False")],
            used(a=200, b=200),
            2,
            50,
            (4, 200, 200),
        ),
        # deleted and failed pods are ignored entirely
        ([pod("a"), pod("f", phase="Failed")], used(a=100, f=900), 2, 50, (2, 100, 100)),
    ],
)
def test_resource_replicas(
    pods: list[Obj],
    metrics: dict[str, PodMetric],
    current: int,
    target: int,
    expected: tuple[int, int, int],
) -> None:
    """Usage over requests, tolerance, and the missing/unready rebalancing."""
    result = ReplicaCalculator().resource_replicas(current, target, "cpu", pods, metrics, now=NOW)
    assert (result.replicas, result.utilization, result.average) == expected


@pytest.mark.parametrize(
    ("pods", "metrics", "message"),
    [
        ([], used(a=1), "no pods returned by selector while calculating replica count"),
        (
            [pod("a", phase="Pending")],
            used(a=10),
            "did not receive metrics for targeted pods (pods might be unready)",
        ),
        (
            [{"metadata": {"name": "a"}, "spec": {"containers": [{"name": "c"}]}}],
            used(a=10),
            "missing request for cpu in container c of Pod a",
        ),
    ],
)
def test_resource_replicas_errors(
    pods: list[Obj], metrics: dict[str, PodMetric], message: str
) -> None:
    with pytest.raises(CalculationError) as raised:
        ReplicaCalculator().resource_replicas(1, 50, "cpu", pods, metrics, now=NOW)
    assert str(raised.value) == message


def test_a_pod_starting_is_unready_until_a_window_after_readiness() -> None:
    """Within the CPU initialization period, a metric sampled before one window after the
    pod became ready is not used."""
    fresh = pod("a", started="2023-11-14T22:12:00Z")  # NOW is 22:13:20
    fresh["status"]["conditions"][0]["lastTransitionTime"] = "2023-11-14T22:13:15Z"
    calculator = ReplicaCalculator()
    with pytest.raises(CalculationError):
        calculator.resource_replicas(1, 50, "cpu", [fresh], used(a=100), now=NOW)
    later = {"a": PodMetric(100, NOW + 20, 10.0)}
    assert calculator.resource_replicas(1, 50, "cpu", [fresh], later, now=NOW + 20).replicas == 2


def test_raw_resource_replicas_against_an_average_value() -> None:
    result = ReplicaCalculator().raw_resource_replicas(
        2, 100, "cpu", [pod("a"), pod("b")], used(a=300, b=100), now=NOW
    )
    assert (result.replicas, result.average) == (4, 200)


def test_pod_requests_count_sidecars() -> None:
    sidecar = pod("a")
    sidecar["spec"]["initContainers"] = [
        {"name": "init", "resources": {"requests": {"cpu": "1"}}},
        {"name": "side", "restartPolicy": "Always", "resources": {"requests": {"cpu": "50m"}}},
    ]
    assert pod_requests([sidecar], "cpu") == {"a": 150}
    assert pod_requests([sidecar], "cpu", container="side") == {"a": 50}


def test_pod_metrics_from_list() -> None:
    """Containers summed in milli-units; a pod lacking the resource is left out."""
    items = [
        {
            "metadata": {"name": "a"},
            "timestamp": "2023-11-14T22:13:15Z",
            "window": "10.5s",
            "containers": [
                {"name": "x", "usage": {"cpu": "250m", "memory": "10Ki"}},
                {"name": "y", "usage": {"cpu": "1500000n", "memory": "1Ki"}},
            ],
        },
        {"metadata": {"name": "b"}, "containers": [{"name": "x", "usage": {"memory": "1Ki"}}]},
    ]
    found, first = pod_metrics_from_list(items, "cpu")
    assert set(found) == {"a"}
    assert (found["a"].value, found["a"].window) == (252, 10.5)
    assert first == found["a"].timestamp
    only_y, _ = pod_metrics_from_list(items, "cpu", container="y")
    assert only_y["a"].value == 2
    with pytest.raises(MetricsUnavailable, match="no metrics returned from resource metrics API"):
        pod_metrics_from_list([], "cpu")


@pytest.mark.parametrize(
    ("current", "desired", "minimum", "maximum", "expected"),
    [
        (2, 3, 1, 10, (3, "DesiredWithinRange")),
        (2, 9, 1, 10, (4, "ScaleUpLimit")),
        (5, 12, 1, 8, (8, "TooManyReplicas")),
        (3, 0, 1, 8, (1, "TooFewReplicas")),
    ],
)
def test_convert_with_rules(
    current: int, desired: int, minimum: int, maximum: int, expected: tuple[int, str]
) -> None:
    assert convert_with_rules(current, desired, minimum, maximum)[:2] == expected


def test_scale_down_waits_for_the_stabilization_window() -> None:
    """Without behavior, the highest recommendation of the last 5 minutes wins."""
    now = [NOW]
    normalizer = Normalizer(clock=lambda: now[0])
    spec = {"maxReplicas": 10}
    normalizer.record_initial("ns/web", 4)
    decision = normalizer.normalize("ns/web", spec, current=4, desired=1, min_replicas=1)
    assert (decision.replicas, decision.able_reason) == (4, "ScaleDownStabilized")
    now[0] += 301
    decision = normalizer.normalize("ns/web", spec, current=4, desired=1, min_replicas=1)
    assert (decision.replicas, decision.able_reason) == (1, "ReadyForNewScale")
    assert (decision.limited, decision.limited_reason) == (False, "DesiredWithinRange")


def test_behavior_policies_limit_the_rate() -> None:
    """A scale-up policy of 1 pod per minute: one at a time, ScalingLimited ScaleUpLimit."""
    now = [NOW]
    normalizer = Normalizer(clock=lambda: now[0])
    spec = {
        "maxReplicas": 10,
        "behavior": {
            "scaleUp": {
                "stabilizationWindowSeconds": 0,
                "selectPolicy": "Max",
                "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}],
            }
        },
    }
    normalizer.record_initial("ns/web", 2)
    decision = normalizer.normalize("ns/web", spec, current=2, desired=6, min_replicas=1)
    assert (decision.replicas, decision.limited, decision.limited_reason) == (
        3,
        True,
        "ScaleUpLimit",
    )
    normalizer.record_scale("ns/web", spec, 2, 3)
    now[0] += 10
    assert normalizer.normalize("ns/web", spec, current=3, desired=6, min_replicas=1).replicas == 3
    now[0] += 60
    assert normalizer.normalize("ns/web", spec, current=3, desired=6, min_replicas=1).replicas == 4


class FakeMetrics:
    """A metrics source answering fixed pod metrics, recording what was asked."""

    def __init__(self, metrics: dict[str, PodMetric]) -> None:
        self.metrics = metrics
        self.asked: list[tuple[str, str, str]] = []

    async def pod_metrics(
        self, resource: str, namespace: str, selector: str, *, container: str = ""
    ) -> tuple[dict[str, PodMetric], float]:
        self.asked.append((resource, namespace, selector))
        if not self.metrics:
            raise MetricsUnavailable("no metrics returned from resource metrics API")
        return dict(self.metrics), NOW


def _hpa() -> Obj:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web", "namespace": "ns", "resourceVersion": "7"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 1,
            "maxReplicas": 10,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 50},
                    },
                }
            ],
        },
        "status": {"desiredReplicas": 0},
    }


async def test_reconcile_scales_up_on_cpu_utilization() -> None:
    """Two pods at 100% of their request against a 50% target: scaled to 4, ValidMetricFound,
    the utilization in currentMetrics."""
    ctx, client = fake_context()
    client.served = [DEPLOYMENTS]
    client.objects[(DEPLOYMENTS.plural, "ns", "web")] = {
        "kind": "Scale",
        "metadata": {"name": "web", "namespace": "ns"},
        "spec": {"replicas": 2},
        "status": {"replicas": 2, "selector": "app=web"},
    }
    metrics = FakeMetrics(used(a=100, b=100))
    controller = HorizontalPodAutoscalerController(ctx, clock=lambda: NOW, metrics=metrics)
    cache(controller, PODS, pod("a"), pod("b"), pod("other", labels={"app": "db"}))
    await controller.reconcile(_hpa())
    assert metrics.asked == [("cpu", "ns", "app=web")]
    [scale_write] = client.writes("update")
    assert scale_write.body["spec"]["replicas"] == 4
    [status_write] = client.writes("update_status")
    status = status_write.body["status"]
    assert (status["currentReplicas"], status["desiredReplicas"]) == (2, 4)
    assert status["currentMetrics"] == [
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "current": {"averageUtilization": 100, "averageValue": "100m"},
            },
        }
    ]
    conditions = {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}
    assert conditions == {
        "AbleToScale": ("True", "SucceededRescale"),
        "ScalingActive": ("True", "ValidMetricFound"),
        "ScalingLimited": ("False", "DesiredWithinRange"),
    }
    active = next(c for c in status["conditions"] if c["type"] == "ScalingActive")
    assert active["message"] == (
        "the HPA was able to successfully calculate a replica count from cpu resource "
        "utilization (percentage of request)"
    )
    assert (
        "Normal",
        "SuccessfulRescale",
        "New size: 4; reason: cpu resource utilization (percentage of request) above target",
    ) in recorded_events(controller)


async def test_reconcile_without_metrics_reports_the_failure() -> None:
    """No metrics for the pods: no rescale, ScalingActive False with upstream's words."""
    ctx, client = fake_context()
    client.served = [DEPLOYMENTS]
    client.objects[(DEPLOYMENTS.plural, "ns", "web")] = {
        "kind": "Scale",
        "metadata": {"name": "web", "namespace": "ns"},
        "spec": {"replicas": 2},
        "status": {"replicas": 2, "selector": "app=web"},
    }
    controller = HorizontalPodAutoscalerController(ctx, clock=lambda: NOW, metrics=FakeMetrics({}))
    cache(controller, PODS, pod("a"), pod("b"))
    await controller.reconcile(_hpa())
    assert client.writes("update") == []
    [status_write] = client.writes("update_status")
    status = status_write.body["status"]
    active = next(c for c in status["conditions"] if c["type"] == "ScalingActive")
    assert (active["status"], active["reason"], active["message"]) == (
        "False",
        "FailedGetResourceMetric",
        "the HPA was unable to compute the replica count: failed to get cpu utilization: "
        "unable to get metrics for resource cpu: no metrics returned from resource metrics API",
    )
    assert status["currentMetrics"] == [{"type": ""}]
