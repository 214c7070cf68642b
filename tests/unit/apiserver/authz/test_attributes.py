"""What a request asks, and the 403 Kubernetes answers when it may not."""

from __future__ import annotations

import pytest

from kubeling.api.authentication.user import UserInfo
from kubeling.apiserver.authz.attributes import Attributes, forbidden, request_attributes
from kubeling.apiserver.request_info import parse_request_info

ALICE = UserInfo("alice", groups=("dev",))


def _attributes(method: str, path: str, query: dict[str, str] | None = None) -> Attributes:
    query = query or {}
    return request_attributes(
        ALICE, parse_request_info(method, path, query), method=method, query=query
    )


@pytest.mark.parametrize(
    ("method", "path", "query", "expected"),
    [
        (
            "GET",
            "/api/v1/namespaces/default/pods",
            {},
            'pods is forbidden: User "alice" cannot list resource "pods" in API group "" '
            'in the namespace "default"',
        ),
        (
            "GET",
            "/apis/apps/v1/namespaces/ns/deployments/web",
            {},
            'deployments.apps "web" is forbidden: User "alice" cannot get resource '
            '"deployments" in API group "apps" in the namespace "ns"',
        ),
        (
            "GET",
            "/api/v1/nodes",
            {"watch": "true"},
            'nodes is forbidden: User "alice" cannot watch resource "nodes" in API group "" '
            "at the cluster scope",
        ),
        (
            "GET",
            "/api/v1/namespaces/ns/pods/web/log",
            {},
            'pods "web" is forbidden: User "alice" cannot get resource "pods/log" in API '
            'group "" in the namespace "ns"',
        ),
        (
            "PUT",
            "/apis/apps/v1/namespaces/ns/deployments/web/scale",
            {},
            'deployments.apps "web" is forbidden: User "alice" cannot update resource '
            '"deployments/scale" in API group "apps" in the namespace "ns"',
        ),
        (
            "DELETE",
            "/api/v1/namespaces/ns/configmaps",
            {},
            'configmaps is forbidden: User "alice" cannot deletecollection resource '
            '"configmaps" in API group "" in the namespace "ns"',
        ),
        (
            "GET",
            "/api/v1/namespaces/team",
            {},
            'namespaces "team" is forbidden: User "alice" cannot get resource "namespaces" '
            'in API group "" in the namespace "team"',
        ),
        (
            "GET",
            "/api/v1/namespaces/ns/pods",
            {"fieldSelector": "metadata.name=web", "watch": "1"},
            'pods "web" is forbidden: User "alice" cannot watch resource "pods" in API group '
            '"" in the namespace "ns"',
        ),
        ("GET", "/healthz", {}, 'forbidden: User "alice" cannot get path "/healthz"'),
        ("POST", "/apis", {}, 'forbidden: User "alice" cannot post path "/apis"'),
        ("HEAD", "/version", {}, 'forbidden: User "alice" cannot head path "/version"'),
    ],
)
def test_forbidden_messages(method: str, path: str, query: dict[str, str], expected: str) -> None:
    """The message names the user, verb, resource (with subresource), group and scope."""
    assert str(forbidden(_attributes(method, path, query))) == expected


def test_forbidden_status_and_reason() -> None:
    """The Status carries the resource and name; the authorizers' reason follows."""
    err = forbidden(_attributes("GET", "/apis/apps/v1/namespaces/ns/deployments/web"), "RBAC: x")
    status = err.to_status()
    assert status["code"] == 403
    assert status["reason"] == "Forbidden"
    assert status["details"] == {"name": "web", "group": "apps", "kind": "deployments"}
    assert status["message"].endswith('in the namespace "ns": RBAC: x')


@pytest.mark.parametrize(
    ("selector", "name"),
    [
        ("metadata.name=web", "web"),
        ("metadata.name==web", "web"),
        ("metadata.name!=web", ""),
        ("metadata.name=web,metadata.namespace=ns", "web"),
        ("metadata.name=a/b", ""),  # not a valid name: authorized as a plain list
        ("spec.nodeName=n1", ""),
        ("(((", ""),  # malformed: the handler answers 400
    ],
)
def test_a_list_selecting_one_name_is_authorized_for_it(selector: str, name: str) -> None:
    attributes = _attributes("GET", "/api/v1/namespaces/ns/pods", {"fieldSelector": selector})
    assert (attributes.verb, attributes.name) == ("list", name)
