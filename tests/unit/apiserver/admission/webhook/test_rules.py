"""Rule matching: scope, operations, groups, versions, resources and subresources."""

from __future__ import annotations

import pytest

from kubeling.apiserver.admission.webhook.hooks import Rule
from kubeling.apiserver.admission.webhook.rules import RequestResource, is_exempt, rule_matches


def _rule(
    resources: tuple[str, ...] = ("pods",),
    *,
    operations: tuple[str, ...] = ("*",),
    groups: tuple[str, ...] = ("",),
    versions: tuple[str, ...] = ("v1",),
    scope: str = "*",
) -> Rule:
    return Rule(operations, groups, versions, resources, scope)


def _request(
    resource: str = "pods",
    subresource: str = "",
    *,
    operation: str = "CREATE",
    group: str = "",
    version: str = "v1",
    namespace: str = "default",
) -> RequestResource:
    return RequestResource(operation, group, version, resource, subresource, namespace)


@pytest.mark.parametrize(
    ("rule", "request_", "matches"),
    [
        # resources and subresources
        (_rule(("pods",)), _request("pods"), True),
        (_rule(("pods",)), _request("pods", "status"), False),
        (_rule(("pods/status",)), _request("pods", "status"), True),
        (_rule(("pods/status",)), _request("pods"), False),
        (_rule(("pods/*",)), _request("pods"), True),
        (_rule(("pods/*",)), _request("pods", "exec"), True),
        (_rule(("*",)), _request("services"), True),
        (_rule(("*",)), _request("pods", "status"), False),
        (_rule(("*/*",)), _request("pods", "status"), True),
        (_rule(("*/status",)), _request("nodes", "status"), True),
        (_rule(("*/status",)), _request("nodes"), False),
        (_rule(("configmaps",)), _request("pods"), False),
        # operations
        (_rule(operations=("CREATE",)), _request(operation="CREATE"), True),
        (_rule(operations=("CREATE",)), _request(operation="DELETE"), False),
        (_rule(operations=("UPDATE", "DELETE")), _request(operation="DELETE"), True),
        (_rule(operations=("*",)), _request(operation="CONNECT"), True),
        # groups and versions
        (_rule(("deployments",), groups=("apps",)), _request("deployments", group="apps"), True),
        (_rule(("deployments",), groups=("",)), _request("deployments", group="apps"), False),
        (_rule(("deployments",), groups=("*",)), _request("deployments", group="apps"), True),
        (_rule(versions=("v2",)), _request(), False),
        (_rule(versions=("*",)), _request(version="v7"), True),
        # scope
        (_rule(scope="Namespaced"), _request(namespace="default"), True),
        (_rule(("nodes",), scope="Namespaced"), _request("nodes", namespace=""), False),
        (_rule(("nodes",), scope="Cluster"), _request("nodes", namespace=""), True),
        (_rule(scope="Cluster"), _request(namespace="default"), False),
        # a Namespace's own request carries its name as namespace, and is cluster-scoped
        (_rule(("namespaces",), scope="Cluster"), _request("namespaces", namespace="ns"), True),
        (_rule(("namespaces",), scope="Namespaced"), _request("namespaces", namespace="ns"), False),
        (_rule(("namespaces",), scope="*"), _request("namespaces", namespace="ns"), True),
    ],
)
def test_rule_matches(rule: Rule, request_: RequestResource, matches: bool) -> None:
    """Each part of a rule narrows what it covers, as upstream's rules.Matcher does."""
    assert rule_matches(rule, request_) is matches


@pytest.mark.parametrize(
    ("group", "resource", "exempt"),
    [
        ("admissionregistration.k8s.io", "validatingwebhookconfigurations", True),
        ("admissionregistration.k8s.io", "mutatingwebhookconfigurations", True),
        ("admissionregistration.k8s.io", "validatingadmissionpolicies", True),
        ("admissionregistration.k8s.io", "validatingadmissionpolicybindings", True),
        ("", "pods", False),
        ("example.com", "validatingwebhookconfigurations", False),
    ],
)
def test_exempt_resources(group: str, resource: str, exempt: bool) -> None:
    """Webhooks never see the admission configuration resources."""
    assert is_exempt(group, resource) is exempt
