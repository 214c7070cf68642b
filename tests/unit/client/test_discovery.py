"""Preferred-version discovery over a scripted set of discovery documents."""

from __future__ import annotations

from typing import Any, cast

from kubeling.api import errors
from kubeling.client import ApiClient
from kubeling.client.discovery import server_preferred_resources

DOCUMENTS: dict[str, Any] = {
    "/api": {"versions": ["v1"]},
    "/api/v1": {
        "resources": [
            {"name": "pods", "kind": "Pod", "namespaced": True, "verbs": ["delete", "list"]},
            {"name": "pods/status", "kind": "Pod", "namespaced": True, "verbs": ["get"]},
            {"name": "nodes", "kind": "Node", "namespaced": False, "verbs": ["delete"]},
        ]
    },
    "/apis": {
        "groups": [
            {
                "name": "example.com",
                "versions": [{"version": "v2"}, {"version": "v1"}],
                "preferredVersion": {"version": "v1"},
            },
            {
                "name": "broken.io",
                "versions": [{"version": "v1"}],
                "preferredVersion": {"version": "v1"},
            },
        ]
    },
    "/apis/example.com/v2": {
        "resources": [
            {"name": "widgets", "kind": "Widget", "namespaced": True, "verbs": ["list"]},
            {"name": "gadgets", "kind": "Gadget", "namespaced": True, "verbs": ["list"]},
        ]
    },
    "/apis/example.com/v1": {
        "resources": [{"name": "widgets", "kind": "Widget", "namespaced": True, "verbs": ["get"]}]
    },
}


class _Scripted:
    async def request(self, method: str, path: str, **_: Any) -> Any:
        if path == "/apis/broken.io/v1":
            raise errors.service_unavailable("the server is currently unable to handle the request")
        return DOCUMENTS[path]


async def test_preferred_versions_subresources_and_failures() -> None:
    """The preferred version wins, others fill in, subresources go; failures are reported."""
    found = await server_preferred_resources(cast(ApiClient, _Scripted()))
    by_name = {(r.resource.group, r.resource.plural): r for r in found.resources}
    assert set(by_name) == {
        ("", "pods"),
        ("", "nodes"),
        ("example.com", "widgets"),
        ("example.com", "gadgets"),
    }
    assert by_name["example.com", "widgets"].resource.version == "v1"
    assert by_name["example.com", "widgets"].verbs == {"get"}
    assert by_name["example.com", "gadgets"].resource.version == "v2"
    assert by_name["", "pods"].resource.kind == "Pod"
    assert found.failure_message() == (
        "unable to retrieve the complete list of server APIs: broken.io/v1: "
        "the server is currently unable to handle the request"
    )
    namespaced = await server_preferred_resources(cast(ApiClient, _Scripted()), namespaced=True)
    assert ("", "nodes") not in {
        (r.resource.group, r.resource.plural) for r in namespaced.resources
    }
