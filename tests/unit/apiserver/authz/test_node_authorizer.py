"""The Node authorizer's decisions for kubelets, as Kubernetes 1.32 makes them."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.api.authentication.node_identity import node_user
from kubeling.api.authentication.user import UserInfo
from kubeling.apiserver.authz.attributes import Attributes
from kubeling.apiserver.authz.authorizer import Decision
from kubeling.apiserver.authz.bootstrappolicy import node_policy_rules
from kubeling.apiserver.authz.node import NodeAuthorizer, NodeGraph

N1 = node_user("n1")
NO_RELATION = "no relationship found between node 'n1' and this object"


def _graph() -> NodeGraph:
    graph = NodeGraph()
    for name, node, secret in (("p1", "n1", "s1"), ("p2", "n2", "s2")):
        graph.set_pod(
            {
                "metadata": {"namespace": "ns", "name": name},
                "spec": {
                    "nodeName": node,
                    "serviceAccountName": f"sa-{node}",
                    "volumes": [
                        {"secret": {"secretName": secret}},
                        {"configMap": {"name": f"cm-{node}"}},
                        {"persistentVolumeClaim": {"claimName": f"pvc-{node}"}},
                    ],
                },
            }
        )
        graph.set_volume_attachment(
            {"metadata": {"name": f"va-{node}"}, "spec": {"nodeName": node}}
        )
        graph.set_pv(
            {
                "metadata": {"name": f"pv-{node}"},
                "spec": {"claimRef": {"namespace": "ns", "name": f"pvc-{node}"}},
            }
        )
    return graph


AUTHORIZER = NodeAuthorizer(_graph, node_policy_rules())


def ask(
    verb: str,
    resource: str,
    name: str = "",
    *,
    namespace: str = "",
    group: str = "",
    subresource: str = "",
    fields: tuple[tuple[str, str], ...] = (),
    user: UserInfo = N1,
) -> tuple[Decision, str]:
    result = AUTHORIZER.authorize(
        Attributes(
            user=user,
            verb=verb,
            resource_request=True,
            namespace=namespace,
            api_group=group,
            api_version="v1",
            resource=resource,
            subresource=subresource,
            name=name,
            field_equals=fields,
        )
    )
    return result.decision, result.reason


ALLOW = (Decision.ALLOW, "")
QUIET = (Decision.NO_OPINION, "")


@pytest.mark.parametrize(
    ("request_args", "expected"),
    [
        # what pods on the node use
        ({"verb": "get", "resource": "secrets", "name": "s1", "namespace": "ns"}, ALLOW),
        ({"verb": "watch", "resource": "secrets", "name": "s1", "namespace": "ns"}, ALLOW),
        (
            {"verb": "get", "resource": "secrets", "name": "s2", "namespace": "ns"},
            (Decision.NO_OPINION, NO_RELATION),
        ),
        (
            {"verb": "list", "resource": "secrets", "namespace": "ns"},
            (Decision.NO_OPINION, "No Object name found"),
        ),
        (
            {"verb": "update", "resource": "secrets", "name": "s1", "namespace": "ns"},
            (Decision.NO_OPINION, "can only read resources of this type"),
        ),
        (
            {"verb": "get", "resource": "secrets", "name": "s1"},
            (Decision.NO_OPINION, "can only read namespaced object of this type"),
        ),
        ({"verb": "get", "resource": "configmaps", "name": "cm-n1", "namespace": "ns"}, ALLOW),
        (
            {"verb": "get", "resource": "configmaps", "name": "cm-n2", "namespace": "ns"},
            (Decision.NO_OPINION, NO_RELATION),
        ),
        (
            {
                "verb": "get",
                "resource": "persistentvolumeclaims",
                "name": "pvc-n1",
                "namespace": "ns",
            },
            ALLOW,
        ),
        (
            {"verb": "list", "resource": "persistentvolumeclaims", "namespace": "ns"},
            (Decision.NO_OPINION, "can only get individual resources of this type"),
        ),
        (
            {
                "verb": "patch",
                "resource": "persistentvolumeclaims",
                "name": "pvc-n1",
                "namespace": "ns",
                "subresource": "status",
            },
            ALLOW,
        ),
        (
            {
                "verb": "patch",
                "resource": "persistentvolumeclaims",
                "name": "pvc-n2",
                "namespace": "ns",
                "subresource": "status",
            },
            (Decision.NO_OPINION, NO_RELATION),
        ),
        ({"verb": "get", "resource": "persistentvolumes", "name": "pv-n1"}, ALLOW),
        (
            {"verb": "get", "resource": "persistentvolumes", "name": "pv-n2"},
            (Decision.NO_OPINION, NO_RELATION),
        ),
        (
            {
                "verb": "get",
                "resource": "resourceclaims",
                "name": "rc",
                "namespace": "ns",
                "group": "resource.k8s.io",
            },
            (Decision.NO_OPINION, NO_RELATION),
        ),
        (
            {
                "verb": "get",
                "resource": "volumeattachments",
                "name": "va-n1",
                "group": "storage.k8s.io",
            },
            ALLOW,
        ),
        (
            {
                "verb": "get",
                "resource": "volumeattachments",
                "name": "va-n2",
                "group": "storage.k8s.io",
            },
            (Decision.NO_OPINION, NO_RELATION),
        ),
        # service account tokens
        (
            {
                "verb": "create",
                "resource": "serviceaccounts",
                "name": "sa-n1",
                "namespace": "ns",
                "subresource": "token",
            },
            ALLOW,
        ),
        (
            {
                "verb": "create",
                "resource": "serviceaccounts",
                "name": "sa-n2",
                "namespace": "ns",
                "subresource": "token",
            },
            (Decision.NO_OPINION, NO_RELATION),
        ),
        (
            {"verb": "get", "resource": "serviceaccounts", "name": "sa-n1", "namespace": "ns"},
            (Decision.NO_OPINION, "can only create tokens for individual service accounts"),
        ),
        # its own Node
        ({"verb": "get", "resource": "nodes", "name": "n1"}, ALLOW),
        ({"verb": "watch", "resource": "nodes", "name": "n1"}, ALLOW),
        (
            {"verb": "get", "resource": "nodes", "name": "n2"},
            (Decision.NO_OPINION, "node 'n1' cannot read 'n2', only its own Node object"),
        ),
        (
            {"verb": "list", "resource": "nodes"},
            (Decision.NO_OPINION, "node 'n1' cannot read all nodes, only its own Node object"),
        ),
        ({"verb": "create", "resource": "nodes"}, ALLOW),
        ({"verb": "patch", "resource": "nodes", "name": "n1", "subresource": "status"}, ALLOW),
        ({"verb": "delete", "resource": "nodes", "name": "n1"}, QUIET),
        # pods
        ({"verb": "get", "resource": "pods", "name": "p1", "namespace": "ns"}, ALLOW),
        (
            {"verb": "get", "resource": "pods", "name": "p2", "namespace": "ns"},
            (Decision.NO_OPINION, NO_RELATION),
        ),
        ({"verb": "watch", "resource": "pods", "fields": (("spec.nodeName", "n1"),)}, ALLOW),
        (
            {"verb": "list", "resource": "pods", "fields": (("spec.nodeName", "n2"),)},
            (Decision.NO_OPINION, "can only list/watch pods with spec.nodeName field selector"),
        ),
        (
            {"verb": "list", "resource": "pods", "namespace": "ns"},
            (Decision.NO_OPINION, "can only list/watch pods with spec.nodeName field selector"),
        ),
        ({"verb": "delete", "resource": "pods", "name": "p2", "namespace": "ns"}, ALLOW),
        (
            {
                "verb": "patch",
                "resource": "pods",
                "name": "p1",
                "namespace": "ns",
                "subresource": "status",
            },
            ALLOW,
        ),
        (
            {
                "verb": "create",
                "resource": "pods",
                "name": "p1",
                "namespace": "ns",
                "subresource": "eviction",
            },
            ALLOW,
        ),
        ({"verb": "update", "resource": "pods", "name": "p1", "namespace": "ns"}, QUIET),
        (
            {
                "verb": "get",
                "resource": "pods",
                "name": "p1",
                "namespace": "ns",
                "subresource": "log",
            },
            QUIET,
        ),
        # its own Lease
        (
            {
                "verb": "update",
                "resource": "leases",
                "name": "n1",
                "namespace": "kube-node-lease",
                "group": "coordination.k8s.io",
            },
            ALLOW,
        ),
        (
            {
                "verb": "create",
                "resource": "leases",
                "namespace": "kube-node-lease",
                "group": "coordination.k8s.io",
            },
            ALLOW,
        ),
        (
            {
                "verb": "update",
                "resource": "leases",
                "name": "n2",
                "namespace": "kube-node-lease",
                "group": "coordination.k8s.io",
            },
            (
                Decision.NO_OPINION,
                "can only access node lease with the same name as the requesting node",
            ),
        ),
        (
            {
                "verb": "get",
                "resource": "leases",
                "name": "n1",
                "namespace": "kube-system",
                "group": "coordination.k8s.io",
            },
            (
                Decision.NO_OPINION,
                'can only access leases in the "kube-node-lease" system namespace',
            ),
        ),
        (
            {
                "verb": "list",
                "resource": "leases",
                "namespace": "kube-node-lease",
                "group": "coordination.k8s.io",
            },
            (Decision.NO_OPINION, "can only get, create, update, patch, or delete a node lease"),
        ),
        # the rest: the system:node rules
        ({"verb": "create", "resource": "events", "namespace": "ns"}, ALLOW),
        ({"verb": "watch", "resource": "services"}, ALLOW),
        ({"verb": "create", "resource": "tokenreviews", "group": "authentication.k8s.io"}, ALLOW),
        ({"verb": "list", "resource": "deployments", "namespace": "ns", "group": "apps"}, QUIET),
        ({"verb": "delete", "resource": "services", "name": "x", "namespace": "ns"}, QUIET),
    ],
)
def test_kubelet_requests(request_args: dict[str, Any], expected: tuple[Decision, str]) -> None:
    assert ask(**request_args) == expected


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        (UserInfo("alice"), QUIET),
        (UserInfo("system:node:n1"), QUIET),  # not in system:nodes: not a node
        (UserInfo("kubelet", groups=("system:nodes",)), QUIET),  # no node prefix: not a node
        (
            UserInfo("system:node:", groups=("system:nodes",)),
            (Decision.NO_OPINION, 'unknown node for user "system:node:"'),
        ),
    ],
)
def test_only_identified_nodes_are_decided(user: UserInfo, expected: tuple[Decision, str]) -> None:
    assert ask("get", "secrets", "s1", namespace="ns", user=user) == expected


def test_non_resource_requests_follow_the_node_rules() -> None:
    result = AUTHORIZER.authorize(
        Attributes(user=N1, verb="get", resource_request=False, path="/healthz")
    )
    assert result.decision is Decision.NO_OPINION  # system:node has no non-resource rules


def test_nodes_get_no_rule_list() -> None:
    rules = AUTHORIZER.rules_for(N1, "ns")
    assert rules.incomplete
    assert not rules.resource_rules
    assert not AUTHORIZER.rules_for(UserInfo("alice"), "ns").incomplete
