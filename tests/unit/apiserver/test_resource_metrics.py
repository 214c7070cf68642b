"""metrics.k8s.io served from kubelet summaries: quantities, conversion, errors, the cache."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.api import errors
from kubeling.apiserver.request_info import parse_request_info
from kubeling.apiserver.resource_metrics import (
    ResourceMetrics,
    cpu_quantity,
    memory_quantity,
    node_metrics,
    pod_metrics,
)
from kubeling.apiserver.rest.options import ListOptions

Obj = dict[str, Any]


@pytest.mark.parametrize(
    ("nano", "text"),
    [(0, "0"), (1, "1n"), (2452532, "2452532n"), (1_000_000, "1m"), (1_500_000_000, "1500m")],
)
def test_cpu_quantity(nano: int, text: str) -> None:
    assert cpu_quantity(nano) == text


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0"), (1000, "1k"), (4096, "4Ki"), (5 * 1024**2, "5Mi"), (123456 * 1024, "123456Ki")],
)
def test_memory_quantity(size: int, text: str) -> None:
    assert memory_quantity(size) == text


NODE: Obj = {"metadata": {"name": "n1", "labels": {"zone": "a"}}}
POD: Obj = {
    "metadata": {"name": "web", "namespace": "default", "uid": "u1", "labels": {"app": "w"}},
    "spec": {"nodeName": "n1"},
}


def _cpu(rate: int | None) -> Obj:
    cpu: Obj = {"time": "2024-01-01T00:00:10Z", "usageCoreNanoSeconds": 5}
    if rate is not None:
        cpu["usageNanoCores"] = rate
    return cpu


def summary(rate: int | None = 250_000_000) -> Obj:
    return {
        "node": {"nodeName": "n1", "cpu": _cpu(rate), "memory": {"workingSetBytes": 4096}},
        "pods": [
            {
                "podRef": {"name": "web", "namespace": "default", "uid": "u1"},
                "cpu": _cpu(rate),
                "memory": {"workingSetBytes": 2048},
                "containers": [
                    {"name": "c", "cpu": _cpu(rate), "memory": {"workingSetBytes": 2048}}
                ],
            }
        ],
    }


def test_node_metrics() -> None:
    assert node_metrics(NODE, summary(), window=10.0) == {
        "kind": "NodeMetrics",
        "apiVersion": "metrics.k8s.io/v1beta1",
        "metadata": {
            "name": "n1",
            "creationTimestamp": "2024-01-01T00:00:10Z",
            "labels": {"zone": "a"},
        },
        "timestamp": "2024-01-01T00:00:10Z",
        "window": "10s",
        "usage": {"cpu": "250m", "memory": "4Ki"},
    }
    assert node_metrics(NODE, summary(rate=None), window=10.0) is None


def test_pod_metrics() -> None:
    found = pod_metrics(POD, summary()["pods"][0], window=12.5)
    assert found is not None
    assert found["window"] == "12.5s"
    assert found["metadata"]["namespace"] == "default"
    assert found["containers"] == [{"name": "c", "usage": {"cpu": "250m", "memory": "2Ki"}}]
    assert pod_metrics(POD, summary(rate=None)["pods"][0], window=10.0) is None


class FakeStore:
    """The two ResourceStore calls the metrics API makes."""

    def __init__(self, resource: str, objects: list[Obj]) -> None:
        self.resource = resource
        self.objects = objects

    async def get(self, namespace: str, name: str) -> Obj:
        for obj in self.objects:
            meta = obj["metadata"]
            if meta["name"] == name and meta.get("namespace", "") == namespace:
                return obj
        raise errors.not_found(self.resource, name)

    async def list(self, namespace: str, options: ListOptions) -> Obj:
        items = [
            o for o in self.objects if not namespace or o["metadata"]["namespace"] == namespace
        ]
        return {"items": items}


def _metrics(fetches: list[str], *, now: list[float]) -> ResourceMetrics:
    async def fetch(node: Any) -> Obj:
        fetches.append(node["metadata"]["name"])
        return summary()

    return ResourceMetrics(
        FakeStore("nodes", [NODE]),  # type: ignore[arg-type]
        FakeStore("pods", [POD]),  # type: ignore[arg-type]
        fetch,
        cache_seconds=5.0,
        clock=lambda: now[0],
    )


async def test_lists_and_gets_from_cached_summaries() -> None:
    fetches: list[str] = []
    now = [100.0]
    metrics = _metrics(fetches, now=now)
    nodes = await metrics.serve(
        parse_request_info("GET", "/apis/metrics.k8s.io/v1beta1/nodes", {}), {}
    )
    assert nodes is not None
    assert [n["metadata"]["name"] for n in nodes["items"]] == ["n1"]
    path = "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web"
    pod = await metrics.serve(parse_request_info("GET", path, {}), {})
    assert pod is not None
    assert pod["kind"] == "PodMetrics"
    assert fetches == ["n1"]  # the second request was answered from the cache
    now[0] += 6
    await metrics.serve(parse_request_info("GET", "/apis/metrics.k8s.io/v1beta1/pods", {}), {})
    assert fetches == ["n1", "n1"]


@pytest.mark.parametrize(
    ("method", "path", "code", "message"),
    [
        (
            "GET",
            "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nosuch",
            404,
            'podmetrics.metrics.k8s.io "default/nosuch" not found',
        ),
        (
            "GET",
            "/apis/metrics.k8s.io/v1beta1/nodes/nosuch",
            404,
            'nodemetrics.metrics.k8s.io "nosuch" not found',
        ),
        (
            "DELETE",
            "/apis/metrics.k8s.io/v1beta1/nodes/n1",
            405,
            'delete is not supported on resources of kind "nodes.metrics.k8s.io"',
        ),
    ],
)
async def test_errors(method: str, path: str, code: int, message: str) -> None:
    metrics = _metrics([], now=[0.0])
    with pytest.raises(errors.StatusError) as raised:
        await metrics.serve(parse_request_info(method, path, {}), {})
    assert (raised.value.code, raised.value.message) == (code, message)


async def test_an_unknown_resource_is_not_served_here() -> None:
    metrics = _metrics([], now=[0.0])
    info = parse_request_info("GET", "/apis/metrics.k8s.io/v1beta1/services", {})
    assert await metrics.serve(info, {}) is None


async def test_an_unreachable_kubelet_leaves_its_node_out() -> None:
    async def fail(node: Any) -> Obj:
        raise errors.internal_error("dial tcp: connection refused")

    metrics = ResourceMetrics(
        FakeStore("nodes", [NODE]),  # type: ignore[arg-type]
        FakeStore("pods", [POD]),  # type: ignore[arg-type]
        fail,
    )
    nodes = await metrics.serve(
        parse_request_info("GET", "/apis/metrics.k8s.io/v1beta1/nodes", {}), {}
    )
    assert nodes == {
        "kind": "NodeMetricsList",
        "apiVersion": "metrics.k8s.io/v1beta1",
        "metadata": {},
        "items": [],
    }
