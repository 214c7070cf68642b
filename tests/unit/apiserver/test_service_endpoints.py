"""The API server points the ``kubernetes`` Service's Endpoints and EndpointSlice at itself."""

from __future__ import annotations

from typing import Any

from kubeling.apiserver.registry.builtin import builtin_resources
from kubeling.apiserver.registry.registry import Registry
from kubeling.apiserver.rest.options import WriteOptions
from kubeling.apiserver.rest.resource_store import ResourceStore
from kubeling.apiserver.service_endpoints import reconcile_service_endpoints
from kubeling.storage.memory import MemoryStore


def _registry() -> Registry:
    registry = Registry(MemoryStore())
    for resource in builtin_resources():
        registry.add(resource)
    return registry


def _rest(registry: Registry, group: str, plural: str) -> ResourceStore:
    rest = registry.lookup(group, "v1", plural)
    assert rest is not None
    return rest


async def _both(registry: Registry) -> tuple[dict[str, Any], dict[str, Any]]:
    endpoints = await _rest(registry, "", "endpoints").get("default", "kubernetes")
    slice_ = await _rest(registry, "discovery.k8s.io", "endpointslices").get(
        "default", "kubernetes"
    )
    return endpoints, slice_


async def test_creates_both_objects_as_kubernetes_writes_them() -> None:
    """Endpoints skip mirroring; the slice carries the service-name label the proxy reads."""
    registry = _registry()
    await reconcile_service_endpoints(registry, ip="127.0.0.1", port=41234)
    endpoints, slice_ = await _both(registry)
    assert endpoints["metadata"]["labels"] == {"endpointslice.kubernetes.io/skip-mirror": "true"}
    assert endpoints["subsets"] == [
        {
            "addresses": [{"ip": "127.0.0.1"}],
            "ports": [{"name": "https", "port": 41234, "protocol": "TCP"}],
        }
    ]
    assert slice_["metadata"]["labels"] == {"kubernetes.io/service-name": "kubernetes"}
    assert slice_["addressType"] == "IPv4"
    assert slice_["endpoints"] == [{"addresses": ["127.0.0.1"], "conditions": {"ready": True}}]
    assert slice_["ports"] == [{"name": "https", "port": 41234, "protocol": "TCP"}]


async def test_leaves_objects_that_already_agree_unwritten() -> None:
    registry = _registry()
    await reconcile_service_endpoints(registry, ip="127.0.0.1", port=6443)
    before = [o["metadata"]["resourceVersion"] for o in await _both(registry)]
    await reconcile_service_endpoints(registry, ip="127.0.0.1", port=6443)
    after = [o["metadata"]["resourceVersion"] for o in await _both(registry)]
    assert after == before


async def test_a_restart_on_another_port_and_a_hand_edit_are_corrected() -> None:
    """The port follows the server; labels and endpoints edited by hand are put back."""
    registry = _registry()
    await reconcile_service_endpoints(registry, ip="127.0.0.1", port=6443)
    slices = _rest(registry, "discovery.k8s.io", "endpointslices")
    _, slice_ = await _both(registry)
    slice_["metadata"]["labels"] = {"kubernetes.io/service-name": "other"}
    slice_["endpoints"] = [{"addresses": ["127.0.0.9"]}]
    await slices.update("default", "kubernetes", slice_, WriteOptions())
    await reconcile_service_endpoints(registry, ip="127.0.0.1", port=7443)
    endpoints, slice_ = await _both(registry)
    assert endpoints["subsets"][0]["ports"][0]["port"] == 7443
    assert slice_["ports"][0]["port"] == 7443
    assert slice_["metadata"]["labels"] == {"kubernetes.io/service-name": "kubernetes"}
    assert slice_["endpoints"] == [{"addresses": ["127.0.0.1"], "conditions": {"ready": True}}]
