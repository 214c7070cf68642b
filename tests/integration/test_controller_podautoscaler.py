"""HorizontalPodAutoscalers against a real API server without nodes, so without metrics
(its metrics.k8s.io lists nothing): the target is kept within minReplicas/maxReplicas, the
conditions and events say why nothing more can be done, and kubectl shows <unknown>
targets."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kubeling.client import ApiClient, PatchType, load_client_config
from kubeling.client.resources import DEPLOYMENTS, HORIZONTALPODAUTOSCALERS
from kubeling.controllers.manager import CONTROLLERS
from kubeling.controllers.podautoscaler import (
    HorizontalPodAutoscalerController,
    HorizontalPodAutoscalerOptions,
)
from tests.integration.controllers_support import controller_manager, wait_for, wait_for_events
from tests.support.cluster import RunningServer

NS = "default"
Obj = dict[str, Any]
NO_METRICS = (
    "failed to get cpu utilization: unable to get metrics for resource cpu: no metrics "
    "returned from resource metrics API"
)


@pytest.fixture
async def autoscaler(
    kubeling_server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[None]:
    # a 0.5 s sync period instead of 15 s
    monkeypatch.setitem(
        CONTROLLERS,
        "horizontalpodautoscaling",
        functools.partial(
            HorizontalPodAutoscalerController,
            options=HorizontalPodAutoscalerOptions(sync_period=0.5),
        ),
    )
    config = load_client_config(kubeling_server.kubeconfig)
    async with controller_manager(config, "horizontalpodautoscaling"):
        yield


async def _deployment(client: ApiClient, name: str, replicas: int) -> None:
    await client.resource(DEPLOYMENTS).create(
        {
            "metadata": {"name": name},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {"containers": [{"name": "c", "image": "busybox"}]},
                },
            },
        },
        namespace=NS,
    )


async def _hpa(client: ApiClient, name: str, min_replicas: int, max_replicas: int) -> None:
    await client.resource(HORIZONTALPODAUTOSCALERS).create(
        {
            "metadata": {"name": name},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                "minReplicas": min_replicas,
                "maxReplicas": max_replicas,
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
        },
        namespace=NS,
    )


async def _replicas(client: ApiClient, name: str) -> int:
    deployment = await client.resource(DEPLOYMENTS).get(name, namespace=NS)
    return int(deployment["spec"]["replicas"])


def _conditions(hpa: Obj) -> dict[str, tuple[str, str, str]]:
    return {
        c["type"]: (c["status"], c["reason"], c["message"])
        for c in hpa.get("status", {}).get("conditions") or []
    }


async def test_min_replicas_enforced_and_metrics_reported_unavailable(
    kubeling_server: RunningServer, api_client: ApiClient, autoscaler: None
) -> None:
    """Deployment at 1, minReplicas 2: scaled to 2, then ScalingActive False for want of metrics."""
    await _deployment(api_client, "web", 1)
    await _hpa(api_client, "web", 2, 5)

    async def scaled_up() -> bool | None:
        return (await _replicas(api_client, "web") == 2) or None

    await wait_for(scaled_up)

    async def metrics_reported() -> bool | None:
        hpa = await api_client.resource(HORIZONTALPODAUTOSCALERS).get("web", namespace=NS)
        return ("ScalingActive" in _conditions(hpa)) or None

    await wait_for(metrics_reported)
    hpa = await api_client.resource(HORIZONTALPODAUTOSCALERS).get("web", namespace=NS)
    conditions = _conditions(hpa)
    assert conditions["AbleToScale"] == (
        "True",
        "SucceededGetScale",
        "the HPA controller was able to get the target's current scale",
    )
    assert conditions["ScalingActive"] == (
        "False",
        "FailedGetResourceMetric",
        f"the HPA was unable to compute the replica count: {NO_METRICS}",
    )
    status = hpa["status"]
    assert (status["currentReplicas"], status["desiredReplicas"]) == (2, 2)
    assert status["lastScaleTime"]
    await wait_for_events(
        api_client,
        NS,
        "web",
        (
            "SuccessfulRescale",
            "New size: 2; reason: Current number of replicas below Spec.MinReplicas",
        ),
        ("FailedGetResourceMetric", NO_METRICS),
        (
            "FailedComputeMetricsReplicas",
            "invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource "
            f"metric value: {NO_METRICS}",
        ),
    )

    table = await asyncio.to_thread(kubeling_server.kubectl, "get", "hpa", "web", "--no-headers")
    columns = table.stdout.split()
    assert columns[:2] == ["web", "Deployment/web"]
    assert "cpu: <unknown>/50%" in table.stdout
    assert columns[-4:-1] == ["2", "5", "2"]  # MINPODS, MAXPODS, REPLICAS
    # autoscaling/v1 reads the same status through conversion, the empty metric included
    v1: Any = await asyncio.to_thread(
        kubeling_server.kubectl_json, "get", "horizontalpodautoscalers.v1.autoscaling", "web"
    )
    assert (v1["status"]["currentReplicas"], v1["status"]["desiredReplicas"]) == (2, 2)
    annotations = v1["metadata"]["annotations"]
    assert annotations["autoscaling.alpha.kubernetes.io/current-metrics"] == '[{"type":""}]'


async def test_max_replicas_enforced(api_client: ApiClient, autoscaler: None) -> None:
    """A target scaled beyond maxReplicas is brought back to it."""
    await _deployment(api_client, "burst", 2)
    await _hpa(api_client, "burst", 1, 3)
    await api_client.resource(DEPLOYMENTS).patch(
        "burst",
        {"spec": {"replicas": 9}},
        namespace=NS,
        subresource="scale",
        patch_type=PatchType.MERGE,
    )

    async def capped() -> bool | None:
        return (await _replicas(api_client, "burst") == 3) or None

    await wait_for(capped)
    await wait_for_events(
        api_client,
        NS,
        "burst",
        (
            "SuccessfulRescale",
            "New size: 3; reason: Current number of replicas above Spec.MaxReplicas",
        ),
    )


async def test_a_missing_target_is_reported(api_client: ApiClient, autoscaler: None) -> None:
    """No such Deployment: AbleToScale False/FailedGetScale with the API's message."""
    await _hpa(api_client, "ghost", 1, 3)

    async def reported() -> bool | None:
        hpa = await api_client.resource(HORIZONTALPODAUTOSCALERS).get("ghost", namespace=NS)
        return ("AbleToScale" in _conditions(hpa)) or None

    await wait_for(reported)
    hpa = await api_client.resource(HORIZONTALPODAUTOSCALERS).get("ghost", namespace=NS)
    assert _conditions(hpa)["AbleToScale"] == (
        "False",
        "FailedGetScale",
        "the HPA controller was unable to get the target's current scale: "
        'deployments.apps "ghost" not found',
    )
