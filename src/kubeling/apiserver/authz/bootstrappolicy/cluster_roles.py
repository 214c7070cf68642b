"""The default ClusterRoles and ClusterRoleBindings of Kubernetes 1.32.

Written from ``plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go``
with 1.32's default feature gates (the alpha and off-by-default beta
features add nothing here: no DynamicResourceAllocation rules, no
ClusterTrustBundle projection). ``admin``, ``edit`` and ``view`` carry no
rules of their own: they aggregate the ClusterRoles labelled
``rbac.authorization.k8s.io/aggregate-to-<name>``, starting with
``system:aggregate-to-<name>``; ``edit`` is aggregated into ``admin`` and
``view`` into ``edit``.
"""

from __future__ import annotations

from typing import Any, Final

from kubeling.apiserver.authz.bootstrappolicy.builder import (
    READ,
    READ_UPDATE,
    READ_WRITE,
    WRITE,
    cluster_binding,
    cluster_role,
    events_rule,
    rule,
)
from kubeling.apiserver.authz.user import (
    ALL_AUTHENTICATED,
    ALL_SERVICE_ACCOUNTS,
    ALL_UNAUTHENTICATED,
    KUBE_CONTROLLER_MANAGER,
    KUBE_PROXY,
    KUBE_SCHEDULER,
    MONITORING_GROUP,
    SYSTEM_PRIVILEGED_GROUP,
)

__all__ = ["AGGREGATE_TO", "cluster_role_bindings", "cluster_roles", "node_rules"]

Obj = dict[str, Any]

AGGREGATE_TO: Final = "rbac.authorization.k8s.io/aggregate-to-"

CORE = ""
APPS = "apps"
AUTHENTICATION = "authentication.k8s.io"
AUTHORIZATION = "authorization.k8s.io"
AUTOSCALING = "autoscaling"
BATCH = "batch"
CERTIFICATES = "certificates.k8s.io"
COORDINATION = "coordination.k8s.io"
DISCOVERY = "discovery.k8s.io"
EXTENSIONS = "extensions"
NETWORKING = "networking.k8s.io"
NODE = "node.k8s.io"
POLICY = "policy"
RBAC = "rbac.authorization.k8s.io"
STORAGE = "storage.k8s.io"


def node_rules() -> list[Any]:
    """``NodeRules``: what kubelets need. The ``system:node`` ClusterRole holds them, bound to
    no one; the Node authorizer allows them to every kubelet, narrowed per node."""
    return [
        rule("create").groups(AUTHENTICATION).resources("tokenreviews"),
        rule("create")
        .groups(AUTHORIZATION)
        .resources("subjectaccessreviews", "localsubjectaccessreviews"),
        rule(*READ).groups(CORE).resources("services"),
        rule("create", "get", "list", "watch").groups(CORE).resources("nodes"),
        rule("update", "patch").groups(CORE).resources("nodes/status"),
        rule("update", "patch").groups(CORE).resources("nodes"),
        rule("create", "update", "patch").groups(CORE).resources("events"),
        rule(*READ).groups(CORE).resources("pods"),
        rule("create", "delete").groups(CORE).resources("pods"),
        rule("update", "patch").groups(CORE).resources("pods/status"),
        rule("create").groups(CORE).resources("pods/eviction"),
        rule("get", "list", "watch").groups(CORE).resources("secrets", "configmaps"),
        rule("get").groups(CORE).resources("persistentvolumeclaims", "persistentvolumes"),
        rule("get").groups(CORE).resources("endpoints"),
        rule("create", "get", "list", "watch")
        .groups(CERTIFICATES)
        .resources("certificatesigningrequests"),
        rule("get", "create", "update", "patch", "delete").groups(COORDINATION).resources("leases"),
        rule("get").groups(STORAGE).resources("volumeattachments"),
        rule("create").groups(CORE).resources("serviceaccounts/token"),
        rule("get", "update", "patch").groups(CORE).resources("persistentvolumeclaims/status"),
        rule("get", "watch", "list").groups(STORAGE).resources("csidrivers"),
        rule("get", "create", "update", "patch", "delete").groups(STORAGE).resources("csinodes"),
        rule("get", "list", "watch").groups(NODE).resources("runtimeclasses"),
    ]


def _approver(signer: str) -> Obj:
    return cluster_role(
        f"system:certificates.k8s.io:{signer.split('/', 1)[1]}-approver",
        [rule("approve").groups(CERTIFICATES).resources("signers").names(signer)],
    )


def cluster_roles() -> list[Obj]:
    """Every default ClusterRole but the controllers' (``controller_roles``)."""
    return [
        cluster_role(
            "cluster-admin",
            [
                rule("*").groups("*").resources("*"),
                rule("*").non_resource_urls("*"),
            ],
        ),
        cluster_role(
            "system:discovery",
            [
                rule("get").non_resource_urls(
                    "/livez",
                    "/readyz",
                    "/healthz",
                    "/version",
                    "/version/",
                    "/openapi",
                    "/openapi/*",
                    "/api",
                    "/api/*",
                    "/apis",
                    "/apis/*",
                )
            ],
        ),
        cluster_role(
            "system:monitoring",
            [
                rule("get").non_resource_urls(
                    "/metrics",
                    "/metrics/slis",
                    "/livez",
                    "/readyz",
                    "/healthz",
                    "/livez/*",
                    "/readyz/*",
                    "/healthz/*",
                )
            ],
        ),
        cluster_role(
            "system:basic-user",
            [
                rule("create")
                .groups(AUTHORIZATION)
                .resources("selfsubjectaccessreviews", "selfsubjectrulesreviews"),
                rule("create").groups(AUTHENTICATION).resources("selfsubjectreviews"),
            ],
        ),
        cluster_role(
            "system:public-info-viewer",
            [
                rule("get").non_resource_urls(
                    "/livez", "/readyz", "/healthz", "/version", "/version/"
                )
            ],
        ),
        cluster_role("admin", aggregate_from=f"{AGGREGATE_TO}admin"),
        cluster_role(
            "edit",
            labels={f"{AGGREGATE_TO}admin": "true"},
            aggregate_from=f"{AGGREGATE_TO}edit",
        ),
        cluster_role(
            "view",
            labels={f"{AGGREGATE_TO}edit": "true"},
            aggregate_from=f"{AGGREGATE_TO}view",
        ),
        cluster_role(
            "system:aggregate-to-admin",
            [
                rule("create").groups(AUTHORIZATION).resources("localsubjectaccessreviews"),
                rule(*READ_WRITE).groups(RBAC).resources("roles", "rolebindings"),
            ],
            labels={f"{AGGREGATE_TO}admin": "true"},
        ),
        cluster_role(
            "system:aggregate-to-edit",
            [
                # read on the resources that can escalate
                rule(*READ)
                .groups(CORE)
                .resources(
                    "pods/attach",
                    "pods/proxy",
                    "pods/exec",
                    "pods/portforward",
                    "secrets",
                    "services/proxy",
                ),
                rule("impersonate").groups(CORE).resources("serviceaccounts"),
                rule(*WRITE)
                .groups(CORE)
                .resources("pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward"),
                rule("create").groups(CORE).resources("pods/eviction"),
                rule(*WRITE)
                .groups(CORE)
                .resources(
                    "replicationcontrollers",
                    "replicationcontrollers/scale",
                    "serviceaccounts",
                    "services",
                    "services/proxy",
                    "persistentvolumeclaims",
                    "configmaps",
                    "secrets",
                    "events",
                ),
                rule("create").groups(CORE).resources("serviceaccounts/token"),
                rule(*WRITE)
                .groups(APPS)
                .resources(
                    "statefulsets",
                    "statefulsets/scale",
                    "daemonsets",
                    "deployments",
                    "deployments/scale",
                    "deployments/rollback",
                    "replicasets",
                    "replicasets/scale",
                ),
                rule(*WRITE).groups(AUTOSCALING).resources("horizontalpodautoscalers"),
                rule(*WRITE).groups(BATCH).resources("jobs", "cronjobs"),
                rule(*WRITE)
                .groups(EXTENSIONS)
                .resources(
                    "daemonsets",
                    "deployments",
                    "deployments/scale",
                    "deployments/rollback",
                    "ingresses",
                    "replicasets",
                    "replicasets/scale",
                    "replicationcontrollers/scale",
                    "networkpolicies",
                ),
                rule(*WRITE).groups(POLICY).resources("poddisruptionbudgets"),
                rule(*WRITE).groups(NETWORKING).resources("networkpolicies", "ingresses"),
                rule(*READ_WRITE).groups(COORDINATION).resources("leases"),
            ],
            labels={f"{AGGREGATE_TO}edit": "true"},
        ),
        cluster_role(
            "system:aggregate-to-view",
            [
                rule(*READ)
                .groups(CORE)
                .resources(
                    "pods",
                    "replicationcontrollers",
                    "replicationcontrollers/scale",
                    "serviceaccounts",
                    "services",
                    "services/status",
                    "endpoints",
                    "persistentvolumeclaims",
                    "persistentvolumeclaims/status",
                    "configmaps",
                ),
                rule(*READ)
                .groups(CORE)
                .resources(
                    "limitranges",
                    "resourcequotas",
                    "bindings",
                    "events",
                    "pods/status",
                    "resourcequotas/status",
                    "namespaces/status",
                    "replicationcontrollers/status",
                    "pods/log",
                ),
                # reading namespaces at namespace scope reads *this* namespace
                rule(*READ).groups(CORE).resources("namespaces"),
                rule(*READ).groups(DISCOVERY).resources("endpointslices"),
                rule(*READ)
                .groups(APPS)
                .resources(
                    "controllerrevisions",
                    "statefulsets",
                    "statefulsets/status",
                    "statefulsets/scale",
                    "daemonsets",
                    "daemonsets/status",
                    "deployments",
                    "deployments/status",
                    "deployments/scale",
                    "replicasets",
                    "replicasets/status",
                    "replicasets/scale",
                ),
                rule(*READ)
                .groups(AUTOSCALING)
                .resources("horizontalpodautoscalers", "horizontalpodautoscalers/status"),
                rule(*READ)
                .groups(BATCH)
                .resources("jobs", "cronjobs", "cronjobs/status", "jobs/status"),
                rule(*READ)
                .groups(EXTENSIONS)
                .resources(
                    "daemonsets",
                    "daemonsets/status",
                    "deployments",
                    "deployments/scale",
                    "deployments/status",
                    "ingresses",
                    "ingresses/status",
                    "replicasets",
                    "replicasets/scale",
                    "replicasets/status",
                    "replicationcontrollers/scale",
                    "networkpolicies",
                ),
                rule(*READ)
                .groups(POLICY)
                .resources("poddisruptionbudgets", "poddisruptionbudgets/status"),
                rule(*READ)
                .groups(NETWORKING)
                .resources("networkpolicies", "ingresses", "ingresses/status"),
            ],
            labels={f"{AGGREGATE_TO}view": "true"},
        ),
        cluster_role(
            "system:heapster",
            [
                rule(*READ).groups(CORE).resources("events", "pods", "nodes", "namespaces"),
                rule(*READ).groups(EXTENSIONS).resources("deployments"),
            ],
        ),
        cluster_role("system:node", node_rules()),
        cluster_role(
            "system:node-problem-detector",
            [
                rule("get").groups(CORE).resources("nodes"),
                rule("patch").groups(CORE).resources("nodes/status"),
                events_rule(),
            ],
        ),
        cluster_role(
            "system:kubelet-api-admin",
            [
                rule("get", "list", "watch").groups(CORE).resources("nodes"),
                rule("proxy").groups(CORE).resources("nodes"),
                rule("*")
                .groups(CORE)
                .resources("nodes/proxy", "nodes/metrics", "nodes/stats", "nodes/log"),
            ],
        ),
        cluster_role(
            "system:node-bootstrapper",
            [
                rule("create", "get", "list", "watch")
                .groups(CERTIFICATES)
                .resources("certificatesigningrequests")
            ],
        ),
        cluster_role(
            "system:auth-delegator",
            [
                rule("create").groups(AUTHENTICATION).resources("tokenreviews"),
                rule("create").groups(AUTHORIZATION).resources("subjectaccessreviews"),
            ],
        ),
        cluster_role(
            "system:kube-aggregator",
            [rule(*READ).groups(CORE).resources("services", "endpoints")],
        ),
        cluster_role(
            "system:kube-controller-manager",
            [
                events_rule(),
                # leader election
                rule("create").groups(COORDINATION).resources("leases"),
                rule("get", "update")
                .groups(COORDINATION)
                .resources("leases")
                .names("kube-controller-manager"),
                rule("create").groups(CORE).resources("secrets", "serviceaccounts"),
                rule("delete").groups(CORE).resources("secrets"),
                rule("get")
                .groups(CORE)
                .resources("namespaces", "secrets", "serviceaccounts", "configmaps"),
                rule("update").groups(CORE).resources("secrets", "serviceaccounts"),
                rule("create").groups(AUTHENTICATION).resources("tokenreviews"),
                rule("create").groups(AUTHORIZATION).resources("subjectaccessreviews"),
                # every shared informer
                rule("list", "watch").groups("*").resources("*"),
                rule("create").groups(CORE).resources("serviceaccounts/token"),
            ],
        ),
        cluster_role(
            "system:kube-dns",
            [rule("list", "watch").groups(CORE).resources("endpoints", "services")],
        ),
        cluster_role(
            "system:persistent-volume-provisioner",
            [
                rule("get", "list", "watch", "create", "delete")
                .groups(CORE)
                .resources("persistentvolumes"),
                # update: the lock annotations on claims
                rule("get", "list", "watch", "update")
                .groups(CORE)
                .resources("persistentvolumeclaims"),
                rule(*READ).groups(STORAGE).resources("storageclasses"),
                rule("watch").groups(CORE).resources("events"),
                events_rule(),
            ],
        ),
        cluster_role(
            "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
            [
                rule("create")
                .groups(CERTIFICATES)
                .resources("certificatesigningrequests/nodeclient")
            ],
        ),
        cluster_role(
            "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
            [
                rule("create")
                .groups(CERTIFICATES)
                .resources("certificatesigningrequests/selfnodeclient")
            ],
        ),
        cluster_role(
            "system:volume-scheduler",
            [
                rule(*READ_UPDATE).groups(CORE).resources("persistentvolumes"),
                rule(*READ).groups(STORAGE).resources("storageclasses"),
                rule(*READ_UPDATE).groups(CORE).resources("persistentvolumeclaims"),
            ],
        ),
        _approver("kubernetes.io/legacy-unknown"),
        _approver("kubernetes.io/kubelet-serving"),
        _approver("kubernetes.io/kube-apiserver-client"),
        _approver("kubernetes.io/kube-apiserver-client-kubelet"),
        # metrics-server's reader role, for the resource metrics API served in-process:
        # view, edit and admin may read node and pod metrics (kubectl top).
        cluster_role(
            "system:aggregated-metrics-reader",
            [rule(*READ).groups("metrics.k8s.io").resources("pods", "nodes")],
            labels={
                f"{AGGREGATE_TO}admin": "true",
                f"{AGGREGATE_TO}edit": "true",
                f"{AGGREGATE_TO}view": "true",
            },
        ),
        cluster_role(
            "system:service-account-issuer-discovery",
            [rule("get").non_resource_urls("/.well-known/openid-configuration", "/openid/v1/jwks")],
        ),
        cluster_role(
            "system:node-proxier",
            [
                rule("list", "watch").groups(CORE).resources("services", "endpoints"),
                rule("get", "list", "watch").groups(CORE).resources("nodes"),
                events_rule(),
                rule("list", "watch").groups(DISCOVERY).resources("endpointslices"),
            ],
        ),
        cluster_role(
            "system:kube-scheduler",
            [
                events_rule(),
                # leader election
                rule("create").groups(COORDINATION).resources("leases"),
                rule("get", "update")
                .groups(COORDINATION)
                .resources("leases")
                .names("kube-scheduler"),
                rule(*READ).groups(CORE).resources("nodes"),
                rule("get", "list", "watch", "delete").groups(CORE).resources("pods"),
                rule("create").groups(CORE).resources("pods/binding", "bindings"),
                rule("patch", "update").groups(CORE).resources("pods/status"),
                # what selects pods
                rule(*READ).groups(CORE).resources("services", "replicationcontrollers"),
                rule(*READ).groups(APPS, EXTENSIONS).resources("replicasets"),
                rule(*READ).groups(APPS).resources("statefulsets"),
                # what pods use or what applies to them
                rule(*READ).groups(POLICY).resources("poddisruptionbudgets"),
                rule(*READ).groups(CORE).resources("persistentvolumeclaims", "persistentvolumes"),
                rule("create").groups(AUTHENTICATION).resources("tokenreviews"),
                rule("create").groups(AUTHORIZATION).resources("subjectaccessreviews"),
                rule(*READ).groups(STORAGE).resources("csinodes"),
                rule(*READ).groups(CORE).resources("namespaces"),
                rule(*READ).groups(STORAGE).resources("csidrivers"),
                rule(*READ).groups(STORAGE).resources("csistoragecapacities"),
            ],
        ),
    ]


def cluster_role_bindings() -> list[Obj]:
    """Every default ClusterRoleBinding but the controllers'."""
    return [
        cluster_binding("cluster-admin", groups=[SYSTEM_PRIVILEGED_GROUP]),
        cluster_binding("system:monitoring", groups=[MONITORING_GROUP]),
        cluster_binding("system:discovery", groups=[ALL_AUTHENTICATED]),
        cluster_binding("system:basic-user", groups=[ALL_AUTHENTICATED]),
        cluster_binding(
            "system:public-info-viewer", groups=[ALL_AUTHENTICATED, ALL_UNAUTHENTICATED]
        ),
        cluster_binding("system:node-proxier", users=[KUBE_PROXY]),
        cluster_binding("system:kube-controller-manager", users=[KUBE_CONTROLLER_MANAGER]),
        cluster_binding("system:kube-dns", service_accounts=[("kube-system", "kube-dns")]),
        cluster_binding("system:kube-scheduler", users=[KUBE_SCHEDULER]),
        cluster_binding("system:volume-scheduler", users=[KUBE_SCHEDULER]),
        cluster_binding("system:service-account-issuer-discovery", groups=[ALL_SERVICE_ACCOUNTS]),
    ]
