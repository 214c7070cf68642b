"""The controllers' default ClusterRoles and bindings (``system:controller:<name>``).

Kubernetes 1.32's ``controller_policy.go`` with its default feature gates:
each controller of kube-controller-manager that runs with its own service
account (``--use-service-account-credentials``) gets a ClusterRole with
exactly what it needs, bound to ``kube-system/<name>``. Controllers behind
gates that are off by default in 1.32 (resource claims, service CIDRs,
storage version migration...) have none. The taint eviction controller uses
the node controller's account, as in Kubernetes.

``local-path-provisioner`` is kubeling's own (k3s has one too, outside the
bootstrap policy); it gets a role here so that every controller kubeling
runs has one.
"""

from __future__ import annotations

from typing import Any, Final

from kubeling.apiserver.authz.bootstrappolicy.builder import (
    READ,
    Rule,
    cluster_binding,
    cluster_role,
    events_rule,
    rule,
)

__all__ = ["CONTROLLER_ROLE_PREFIX", "controller_role_bindings", "controller_roles"]

Obj = dict[str, Any]

CONTROLLER_ROLE_PREFIX: Final = "system:controller:"

CORE = ""
ADMISSIONREGISTRATION = "admissionregistration.k8s.io"
APPS = "apps"
AUTHORIZATION = "authorization.k8s.io"
AUTOSCALING = "autoscaling"
BATCH = "batch"
CERTIFICATES = "certificates.k8s.io"
CUSTOM_METRICS = "custom.metrics.k8s.io"
DISCOVERY = "discovery.k8s.io"
EXTENSIONS = "extensions"
EXTERNAL_METRICS = "external.metrics.k8s.io"
POLICY = "policy"
RBAC = "rbac.authorization.k8s.io"
RESOURCE_METRICS = "metrics.k8s.io"
STORAGE = "storage.k8s.io"

_LEGACY_TOKEN_TRACKING_CONFIGMAP = "kube-apiserver-legacy-service-account-token-tracking"


def _rules() -> dict[str, list[Rule]]:
    """Each controller's rules, by its service account name, in Kubernetes' order."""
    return {
        "attachdetach-controller": [
            rule("list", "watch")
            .groups(CORE)
            .resources("persistentvolumes", "persistentvolumeclaims"),
            rule("get", "list", "watch").groups(CORE).resources("nodes"),
            rule("patch", "update").groups(CORE).resources("nodes/status"),
            rule("list", "watch").groups(CORE).resources("pods"),
            events_rule(),
            rule("get", "create", "delete", "list", "watch")
            .groups(STORAGE)
            .resources("volumeattachments"),
            rule("get", "watch", "list").groups(STORAGE).resources("csidrivers"),
            rule("get", "watch", "list").groups(STORAGE).resources("csinodes"),
        ],
        "clusterrole-aggregation-controller": [
            # full powers over cluster roles, to write any aggregation
            rule("escalate", "get", "list", "watch", "update", "patch")
            .groups(RBAC)
            .resources("clusterroles"),
        ],
        "cronjob-controller": [
            rule("get", "list", "watch", "update").groups(BATCH).resources("cronjobs"),
            rule("get", "list", "watch", "create", "update", "delete", "patch")
            .groups(BATCH)
            .resources("jobs"),
            rule("update").groups(BATCH).resources("cronjobs/status"),
            rule("update").groups(BATCH).resources("cronjobs/finalizers"),
            rule("list", "watch", "delete").groups(CORE).resources("pods"),
            events_rule(),
        ],
        "daemon-set-controller": [
            rule("get", "list", "watch").groups(EXTENSIONS, APPS).resources("daemonsets"),
            rule("update").groups(EXTENSIONS, APPS).resources("daemonsets/status"),
            rule("update").groups(EXTENSIONS, APPS).resources("daemonsets/finalizers"),
            rule("list", "watch").groups(CORE).resources("nodes"),
            rule("list", "watch", "create", "delete", "patch").groups(CORE).resources("pods"),
            rule("create").groups(CORE).resources("pods/binding"),
            rule("get", "list", "watch", "create", "delete", "update", "patch")
            .groups(APPS)
            .resources("controllerrevisions"),
            events_rule(),
        ],
        "deployment-controller": [
            rule("get", "list", "watch", "update")
            .groups(EXTENSIONS, APPS)
            .resources("deployments"),
            rule("update").groups(EXTENSIONS, APPS).resources("deployments/status"),
            rule("update").groups(EXTENSIONS, APPS).resources("deployments/finalizers"),
            rule("get", "list", "watch", "create", "update", "patch", "delete")
            .groups(APPS, EXTENSIONS)
            .resources("replicasets"),
            rule("get", "list", "watch", "update").groups(CORE).resources("pods"),
            events_rule(),
        ],
        "disruption-controller": [
            rule(*READ).groups(EXTENSIONS, APPS).resources("deployments"),
            rule(*READ).groups(APPS, EXTENSIONS).resources("replicasets"),
            rule(*READ).groups(CORE).resources("replicationcontrollers"),
            rule(*READ).groups(POLICY).resources("poddisruptionbudgets"),
            rule(*READ).groups(APPS).resources("statefulsets"),
            rule("update").groups(POLICY).resources("poddisruptionbudgets/status"),
            rule("patch", "update").groups(CORE).resources("pods/status"),
            rule("get").groups("*").resources("*/scale"),
            events_rule(),
        ],
        "endpoint-controller": [
            rule(*READ).groups(CORE).resources("services", "pods"),
            rule("get", "list", "watch", "create", "update", "delete")
            .groups(CORE)
            .resources("endpoints"),
            rule("create").groups(CORE).resources("endpoints/restricted"),
            events_rule(),
        ],
        "endpointslice-controller": [
            rule(*READ).groups(CORE).resources("services", "pods", "nodes"),
            # to own slices with blockOwnerDeletion, the service's finalizers
            rule("update").groups(CORE).resources("services/finalizers"),
            rule("get", "list", "watch", "create", "update", "delete")
            .groups(DISCOVERY)
            .resources("endpointslices"),
            events_rule(),
        ],
        "endpointslicemirroring-controller": [
            rule(*READ).groups(CORE).resources("services", "endpoints"),
            rule("update").groups(CORE).resources("services/finalizers"),
            rule("update").groups(CORE).resources("endpoints/finalizers"),
            rule("get", "list", "watch", "create", "update", "delete")
            .groups(DISCOVERY)
            .resources("endpointslices"),
            events_rule(),
        ],
        "expand-controller": [
            rule("get", "list", "watch", "update", "patch")
            .groups(CORE)
            .resources("persistentvolumes"),
            rule("update", "patch").groups(CORE).resources("persistentvolumeclaims/status"),
            rule(*READ).groups(CORE).resources("persistentvolumeclaims"),
            events_rule(),
            rule("get").groups(CORE).resources("services"),
        ],
        "ephemeral-volume-controller": [
            rule(*READ).groups(CORE).resources("pods"),
            rule("update").groups(CORE).resources("pods/finalizers"),
            rule("get", "list", "watch", "create").groups(CORE).resources("persistentvolumeclaims"),
            events_rule(),
        ],
        "generic-garbage-collector": [
            rule("get", "list", "watch", "patch", "update", "delete").groups("*").resources("*"),
            events_rule(),
        ],
        "horizontal-pod-autoscaler": [
            rule(*READ).groups(AUTOSCALING).resources("horizontalpodautoscalers"),
            rule("update").groups(AUTOSCALING).resources("horizontalpodautoscalers/status"),
            rule("get", "update").groups("*").resources("*/scale"),
            rule("list", "watch").groups(CORE).resources("pods"),
            rule("list", "watch").groups(RESOURCE_METRICS).resources("pods"),
            rule(*READ).groups(CUSTOM_METRICS).resources("*"),
            rule(*READ).groups(EXTERNAL_METRICS).resources("*"),
            events_rule(),
        ],
        "job-controller": [
            rule("get", "list", "watch", "update", "patch").groups(BATCH).resources("jobs"),
            rule("update").groups(BATCH).resources("jobs/status"),
            rule("update").groups(BATCH).resources("jobs/finalizers"),
            rule("list", "watch", "create", "delete", "patch").groups(CORE).resources("pods"),
            events_rule(),
        ],
        "namespace-controller": [
            rule("get", "list", "watch", "delete").groups(CORE).resources("namespaces"),
            rule("update").groups(CORE).resources("namespaces/finalize", "namespaces/status"),
            rule("get", "list", "watch", "delete", "deletecollection").groups("*").resources("*"),
        ],
        "node-controller": [
            rule("get", "list", "watch", "update", "delete", "patch")
            .groups(CORE)
            .resources("nodes"),
            rule("patch", "update").groups(CORE).resources("nodes/status"),
            # pod deletion
            rule("patch", "update").groups(CORE).resources("pods/status"),
            rule("list", "watch", "get", "delete").groups(CORE).resources("pods"),
            events_rule(),
        ],
        "persistent-volume-binder": [
            rule("get", "list", "watch", "update", "create", "delete")
            .groups(CORE)
            .resources("persistentvolumes"),
            rule("update").groups(CORE).resources("persistentvolumes/status"),
            rule("get", "list", "watch", "update").groups(CORE).resources("persistentvolumeclaims"),
            rule("update").groups(CORE).resources("persistentvolumeclaims/status"),
            rule("list", "watch", "get", "create", "delete").groups(CORE).resources("pods"),
            rule(*READ).groups(STORAGE).resources("storageclasses"),
            rule("list", "watch").groups(CORE).resources("nodes"),
            events_rule(),
            # the recycler watches its pod's events
            rule("watch").groups(CORE).resources("events"),
            rule("get").groups(CORE).resources("services"),
        ],
        "pod-garbage-collector": [
            rule("list", "watch", "delete").groups(CORE).resources("pods"),
            rule(*READ).groups(CORE).resources("nodes"),
            rule("patch").groups(CORE).resources("pods/status"),
        ],
        "replicaset-controller": [
            rule("get", "list", "watch", "update")
            .groups(APPS, EXTENSIONS)
            .resources("replicasets"),
            rule("update").groups(APPS, EXTENSIONS).resources("replicasets/status"),
            rule("update").groups(APPS, EXTENSIONS).resources("replicasets/finalizers"),
            rule("list", "watch", "patch", "create", "delete").groups(CORE).resources("pods"),
            events_rule(),
        ],
        "replication-controller": [
            rule("get", "list", "watch", "update").groups(CORE).resources("replicationcontrollers"),
            rule("update").groups(CORE).resources("replicationcontrollers/status"),
            rule("update").groups(CORE).resources("replicationcontrollers/finalizers"),
            rule("list", "watch", "patch", "create", "delete").groups(CORE).resources("pods"),
            events_rule(),
        ],
        "resourcequota-controller": [
            # quota counts anything: full read
            rule("list", "watch").groups("*").resources("*"),
            rule("update").groups(CORE).resources("resourcequotas/status"),
            events_rule(),
        ],
        "route-controller": [
            rule("list", "watch").groups(CORE).resources("nodes"),
            rule("patch").groups(CORE).resources("nodes/status"),
            events_rule(),
        ],
        "service-account-controller": [
            rule("create").groups(CORE).resources("serviceaccounts"),
            events_rule(),
        ],
        "service-controller": [
            rule(*READ).groups(CORE).resources("services"),
            rule("patch", "update").groups(CORE).resources("services/status"),
            rule("list", "watch").groups(CORE).resources("nodes"),
            events_rule(),
        ],
        "statefulset-controller": [
            rule("list", "watch").groups(CORE).resources("pods"),
            rule(*READ).groups(APPS).resources("statefulsets"),
            rule("update").groups(APPS).resources("statefulsets/status"),
            rule("update").groups(APPS).resources("statefulsets/finalizers"),
            rule("get", "create", "delete", "update", "patch").groups(CORE).resources("pods"),
            rule("get", "create", "delete", "update", "patch", "list", "watch")
            .groups(APPS)
            .resources("controllerrevisions"),
            rule("get", "create", "list", "watch").groups(CORE).resources("persistentvolumeclaims"),
            rule("update", "delete").groups(CORE).resources("persistentvolumeclaims"),
            rule("update").groups(CORE).resources("pods/finalizers"),
            events_rule(),
        ],
        "ttl-controller": [
            rule("update", "patch", "list", "watch").groups(CORE).resources("nodes"),
            events_rule(),
        ],
        "certificate-controller": [
            rule("get", "list", "watch", "delete")
            .groups(CERTIFICATES)
            .resources("certificatesigningrequests"),
            rule("update")
            .groups(CERTIFICATES)
            .resources("certificatesigningrequests/status", "certificatesigningrequests/approval"),
            rule("approve")
            .groups(CERTIFICATES)
            .resources("signers")
            .names("kubernetes.io/kube-apiserver-client-kubelet"),
            rule("sign")
            .groups(CERTIFICATES)
            .resources("signers")
            .names(
                "kubernetes.io/legacy-unknown",
                "kubernetes.io/kube-apiserver-client",
                "kubernetes.io/kube-apiserver-client-kubelet",
                "kubernetes.io/kubelet-serving",
            ),
            rule("create").groups(AUTHORIZATION).resources("subjectaccessreviews"),
            events_rule(),
        ],
        "pvc-protection-controller": [
            rule("get", "list", "watch", "update").groups(CORE).resources("persistentvolumeclaims"),
            rule("list", "watch", "get").groups(CORE).resources("pods"),
            events_rule(),
        ],
        "pv-protection-controller": [
            rule("get", "list", "watch", "update").groups(CORE).resources("persistentvolumes"),
            events_rule(),
        ],
        "ttl-after-finished-controller": [
            rule("get", "list", "watch", "delete").groups(BATCH).resources("jobs"),
            events_rule(),
        ],
        "root-ca-cert-publisher": [
            rule("create", "update").groups(CORE).resources("configmaps"),
            events_rule(),
        ],
        "validatingadmissionpolicy-status-controller": [
            rule(*READ).groups(ADMISSIONREGISTRATION).resources("validatingadmissionpolicies"),
            rule("get", "patch", "update")
            .groups(ADMISSIONREGISTRATION)
            .resources("validatingadmissionpolicies/status"),
            events_rule(),
        ],
        "legacy-service-account-token-cleaner": [
            rule("get")
            .groups(CORE)
            .resources("configmaps")
            .names(_LEGACY_TOKEN_TRACKING_CONFIGMAP),
            rule("patch", "delete").groups(CORE).resources("secrets"),
        ],
        # kubeling's own: the default local-path StorageClass and its volumes
        "local-path-provisioner": [
            rule("get", "list", "watch", "create").groups(STORAGE).resources("storageclasses"),
            rule(*READ).groups(CORE).resources("nodes"),
            rule("get", "list", "watch", "update").groups(CORE).resources("persistentvolumeclaims"),
            rule("get", "list", "watch", "create", "delete")
            .groups(CORE)
            .resources("persistentvolumes"),
            events_rule(),
        ],
    }


def controller_roles() -> list[Obj]:
    """``system:controller:<service account>`` for each controller."""
    return [cluster_role(CONTROLLER_ROLE_PREFIX + name, rules) for name, rules in _rules().items()]


def controller_role_bindings() -> list[Obj]:
    """Each controller role bound to its service account in kube-system."""
    return [
        cluster_binding(CONTROLLER_ROLE_PREFIX + name, service_accounts=[("kube-system", name)])
        for name in _rules()
    ]
