"""The default policy's shape: what Kubernetes 1.32 bootstraps, consistent and valid."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.api.authentication.user import UserInfo
from kubeling.apiserver.authn.anonymous import ANONYMOUS_USER
from kubeling.apiserver.authz.bootstrappolicy import bootstrap_policy
from kubeling.apiserver.authz.policy import Policy
from kubeling.apiserver.authz.rbac import RBACAuthorizer
from kubeling.apiserver.strategies.others import (
    ClusterRoleBindingStrategy,
    ClusterRoleStrategy,
    RoleBindingStrategy,
    RoleStrategy,
)
from kubeling.controllers.manager import CONTROLLERS
from tests.unit.apiserver.authz._support import request

Obj = dict[str, Any]

POLICY = bootstrap_policy()
CLUSTER_ROLES = {r["metadata"]["name"]: r for r in POLICY.cluster_roles}
CLUSTER_ROLE_BINDINGS = {b["metadata"]["name"]: b for b in POLICY.cluster_role_bindings}

#: kube-controller-manager's service account for each controller kubeling runs.
CONTROLLER_ACCOUNTS = {
    "garbage-collector": "generic-garbage-collector",
    "replicaset": "replicaset-controller",
    "replicationcontroller": "replication-controller",
    "job": "job-controller",
    "cronjob": "cronjob-controller",
    "ttl-after-finished": "ttl-after-finished-controller",
    "podgc": "pod-garbage-collector",
    "endpoints": "endpoint-controller",
    "endpointslice": "endpointslice-controller",
    "endpointslicemirroring": "endpointslicemirroring-controller",
    "namespace": "namespace-controller",
    "serviceaccount": "service-account-controller",
    "root-ca-cert-publisher": "root-ca-cert-publisher",
    "deployment": "deployment-controller",
    "persistentvolume-binder": "persistent-volume-binder",
    "local-path-provisioner": "local-path-provisioner",
    "resourcequota": "resourcequota-controller",
    "daemonset": "daemon-set-controller",
    "statefulset": "statefulset-controller",
    "disruption": "disruption-controller",
    "horizontalpodautoscaling": "horizontal-pod-autoscaler",
    "nodelifecycle": "node-controller",
    "taint-eviction-controller": "node-controller",  # as upstream: the node controller's
    "service-lb-controller": "service-controller",  # the cloud service controller's
}


def test_the_named_defaults_exist() -> None:
    for name in (
        "cluster-admin",
        "admin",
        "edit",
        "view",
        "system:basic-user",
        "system:discovery",
        "system:public-info-viewer",
        "system:monitoring",
        "system:kube-scheduler",
        "system:kube-controller-manager",
        "system:node",
        "system:node-proxier",
        "system:kube-dns",
        "system:auth-delegator",
        "system:volume-scheduler",
        "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
        "system:certificates.k8s.io:kube-apiserver-client-approver",
        "system:controller:clusterrole-aggregation-controller",
    ):
        assert name in CLUSTER_ROLES, name
    assert len(CLUSTER_ROLES) == len(POLICY.cluster_roles)  # no name twice


@pytest.mark.parametrize(
    ("binding", "subjects"),
    [
        ("cluster-admin", [("Group", "system:masters")]),
        ("system:basic-user", [("Group", "system:authenticated")]),
        ("system:discovery", [("Group", "system:authenticated")]),
        (
            "system:public-info-viewer",
            [("Group", "system:authenticated"), ("Group", "system:unauthenticated")],
        ),
        ("system:monitoring", [("Group", "system:monitoring")]),
        ("system:kube-scheduler", [("User", "system:kube-scheduler")]),
        ("system:kube-controller-manager", [("User", "system:kube-controller-manager")]),
        ("system:node-proxier", [("User", "system:kube-proxy")]),
        ("system:kube-dns", [("ServiceAccount", "kube-dns")]),
        ("system:service-account-issuer-discovery", [("Group", "system:serviceaccounts")]),
        ("system:controller:namespace-controller", [("ServiceAccount", "namespace-controller")]),
    ],
)
def test_default_bindings(binding: str, subjects: list[tuple[str, str]]) -> None:
    found = CLUSTER_ROLE_BINDINGS[binding]
    assert found["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": binding,
    }
    assert [(s["kind"], s["name"]) for s in found.get("subjects") or []] == subjects


def test_system_node_is_bound_to_no_one() -> None:
    """As in Kubernetes 1.32: kubelets get the node rules from the Node authorizer."""
    assert "system:node" not in CLUSTER_ROLE_BINDINGS
    assert not [
        b
        for b in POLICY.cluster_role_bindings
        if any(s.get("name") == "system:nodes" for s in b.get("subjects") or [])
    ]


def test_every_object_is_labelled_annotated_and_valid() -> None:
    strategies = {
        "ClusterRole": ClusterRoleStrategy(),
        "Role": RoleStrategy(),
        "ClusterRoleBinding": ClusterRoleBindingStrategy(),
        "RoleBinding": RoleBindingStrategy(),
    }
    for obj in (
        *POLICY.cluster_roles,
        *POLICY.cluster_role_bindings,
        *POLICY.roles,
        *POLICY.role_bindings,
    ):
        meta = obj["metadata"]
        assert meta["labels"]["kubernetes.io/bootstrapping"] == "rbac-defaults"
        assert meta["annotations"] == {"rbac.authorization.kubernetes.io/autoupdate": "true"}
        strategy = strategies[obj["kind"]]
        namespaced = obj["kind"] in ("Role", "RoleBinding")
        assert strategy.validate(obj, namespaced=namespaced) == [], meta["name"]
        for rule in obj.get("rules") or []:
            for key in ("verbs", "apiGroups", "resources", "resourceNames", "nonResourceURLs"):
                if key in rule:
                    assert rule[key] == sorted(rule[key]), (meta["name"], key)


def test_every_binding_names_a_default_role() -> None:
    roles = {(r["metadata"].get("namespace", ""), r["metadata"]["name"]) for r in POLICY.roles}
    for obj in POLICY.cluster_role_bindings:
        assert obj["roleRef"]["name"] in CLUSTER_ROLES
    for obj in POLICY.role_bindings:
        assert (obj["metadata"]["namespace"], obj["roleRef"]["name"]) in roles
        assert obj["metadata"]["namespace"] in ("kube-system", "kube-public")


def test_admin_edit_and_view_aggregate() -> None:
    """admin ⊇ edit ⊇ view, each through its aggregate-to label; none has rules of its own."""
    prefix = "rbac.authorization.k8s.io/aggregate-to-"
    for name, parent in (("admin", None), ("edit", "admin"), ("view", "edit")):
        role = CLUSTER_ROLES[name]
        assert "rules" not in role
        assert role["aggregationRule"] == {
            "clusterRoleSelectors": [{"matchLabels": {prefix + name: "true"}}]
        }
        if parent:
            assert role["metadata"]["labels"][prefix + parent] == "true"
        feeder = CLUSTER_ROLES[f"system:aggregate-to-{name}"]
        assert feeder["metadata"]["labels"][prefix + name] == "true"


def test_metrics_readers_aggregate_into_view_edit_and_admin() -> None:
    """metrics-server's system:aggregated-metrics-reader: node and pod metrics for all three."""
    role = CLUSTER_ROLES["system:aggregated-metrics-reader"]
    labels = role["metadata"]["labels"]
    for name in ("admin", "edit", "view"):
        assert labels[f"rbac.authorization.k8s.io/aggregate-to-{name}"] == "true"
    assert role["rules"] == [
        {
            "apiGroups": ["metrics.k8s.io"],
            "resources": ["nodes", "pods"],
            "verbs": ["get", "list", "watch"],
        }
    ]


def test_each_controller_kubeling_runs_has_its_role_and_binding() -> None:
    assert set(CONTROLLER_ACCOUNTS) == set(CONTROLLERS)
    for account in CONTROLLER_ACCOUNTS.values():
        name = f"system:controller:{account}"
        assert name in CLUSTER_ROLES
        subjects = CLUSTER_ROLE_BINDINGS[name]["subjects"]
        assert subjects == [{"kind": "ServiceAccount", "name": account, "namespace": "kube-system"}]


def _policy() -> Policy:
    return Policy.build(
        cluster_roles=POLICY.cluster_roles,
        roles=POLICY.roles,
        cluster_role_bindings=POLICY.cluster_role_bindings,
        role_bindings=POLICY.role_bindings,
    )


@pytest.mark.parametrize(
    ("user", "verb", "path", "allowed"),
    [
        (ANONYMOUS_USER, "get", "/healthz", True),
        (ANONYMOUS_USER, "get", "/version", True),
        (ANONYMOUS_USER, "get", "/api", False),
        (ANONYMOUS_USER, "get", "/metrics", False),
        (UserInfo("u", groups=("system:authenticated",)), "get", "/apis/apps/v1", True),
        (UserInfo("u", groups=("system:authenticated",)), "get", "/openapi/v3", True),
        (UserInfo("u", groups=("system:authenticated",)), "get", "/metrics", False),
        (UserInfo("m", groups=("system:monitoring",)), "get", "/metrics", True),
        (UserInfo("m", groups=("system:monitoring",)), "get", "/readyz/etcd", True),
    ],
)
def test_what_the_defaults_allow_on_paths(
    user: UserInfo, verb: str, path: str, allowed: bool
) -> None:
    from kubeling.apiserver.authz.attributes import Attributes

    policy = _policy()
    result = RBACAuthorizer(lambda: policy).authorize(
        Attributes(user=user, verb=verb, resource_request=False, path=path)
    )
    assert result.allowed is allowed


def test_every_authenticated_user_may_ask_what_it_may_do() -> None:
    policy = _policy()
    rbac = RBACAuthorizer(lambda: policy)
    someone = UserInfo("u", groups=("system:authenticated",))
    for resource, group in (
        ("selfsubjectaccessreviews", "authorization.k8s.io"),
        ("selfsubjectrulesreviews", "authorization.k8s.io"),
        ("selfsubjectreviews", "authentication.k8s.io"),
    ):
        assert rbac.authorize(request(someone, "create", resource, group=group)).allowed
    assert not rbac.authorize(request(someone, "list", "pods", namespace="default")).allowed
    scheduler = UserInfo("system:kube-scheduler", groups=("system:authenticated",))
    assert rbac.authorize(
        request(scheduler, "create", "pods", subresource="binding", namespace="ns")
    ).allowed
    assert rbac.authorize(
        request(
            scheduler,
            "update",
            "leases",
            group="coordination.k8s.io",
            name="kube-scheduler",
            namespace="kube-system",
        )
    ).allowed
    assert not rbac.authorize(
        request(
            scheduler,
            "update",
            "leases",
            group="coordination.k8s.io",
            name="other",
            namespace="kube-system",
        )
    ).allowed
