"""Parsing request paths into resource, name, subresource and verb."""

from __future__ import annotations

import pytest

from kubeling.apiserver.request_info import parse_request_info


@pytest.mark.parametrize(
    ("method", "path", "query", "expected"),
    [
        ("GET", "/api/v1/namespaces/ns/pods", {}, ("list", "", "v1", "ns", "pods", "", "")),
        (
            "GET",
            "/api/v1/namespaces/ns/pods",
            {"watch": "true"},
            ("watch", "", "v1", "ns", "pods", "", ""),
        ),
        ("GET", "/api/v1/watch/namespaces/ns/pods", {}, ("watch", "", "v1", "ns", "pods", "", "")),
        ("GET", "/api/v1/pods", {}, ("list", "", "v1", "", "pods", "", "")),
        ("POST", "/api/v1/namespaces/ns/pods", {}, ("create", "", "v1", "ns", "pods", "", "")),
        (
            "PUT",
            "/api/v1/namespaces/ns/pods/p/status",
            {},
            ("update", "", "v1", "ns", "pods", "p", "status"),
        ),
        (
            "DELETE",
            "/api/v1/namespaces/ns/pods",
            {},
            ("deletecollection", "", "v1", "ns", "pods", "", ""),
        ),
        ("GET", "/api/v1/namespaces/ns", {}, ("get", "", "v1", "ns", "namespaces", "ns", "")),
        (
            "PUT",
            "/api/v1/namespaces/ns/finalize",
            {},
            ("update", "", "v1", "ns", "namespaces", "ns", "finalize"),
        ),
        ("GET", "/api/v1/namespaces", {}, ("list", "", "v1", "", "namespaces", "", "")),
        (
            "PATCH",
            "/apis/apps/v1/namespaces/ns/deployments/web/scale",
            {},
            ("patch", "apps", "v1", "ns", "deployments", "web", "scale"),
        ),
        (
            "GET",
            "/apis/rbac.authorization.k8s.io/v1/clusterroles/admin",
            {},
            ("get", "rbac.authorization.k8s.io", "v1", "", "clusterroles", "admin", ""),
        ),
    ],
)
def test_resource_paths(
    method: str, path: str, query: dict[str, str], expected: tuple[str, ...]
) -> None:
    """Each URL form maps to the verb, group, version, namespace, resource, name, subresource."""
    info = parse_request_info(method, path, query)
    assert info.is_resource_request
    got = (
        info.verb,
        info.group,
        info.version,
        info.namespace,
        info.resource,
        info.name,
        info.subresource,
    )
    assert got == expected


@pytest.mark.parametrize(
    "path",
    [
        "/version",
        "/healthz",
        "/api",
        "/apis",
        "/api/v1",
        "/apis/apps",
        "/apis/apps/v1",
        "/openapi/v3",
    ],
)
def test_non_resource_paths(path: str) -> None:
    """Discovery and health paths are not resource requests."""
    assert not parse_request_info("GET", path, {}).is_resource_request
