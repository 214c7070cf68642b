"""What kubeling adds to the default policy so that each of its components runs with its
own identity and only what it needs.

Kubernetes' bootstrap policy already covers the scheduler (``system:kube-scheduler``,
``system:volume-scheduler``), kube-proxy (``system:node-proxier``) and kubelets (the
Node authorizer with the ``system:node`` rules). Two components need more here:

- **The controller manager** runs every controller over one client as
  ``system:kube-controller-manager``. Kubernetes gives each controller its own service
  account (``--use-service-account-credentials``) bound to its
  ``system:controller:<name>`` role, which is why ``system:kube-controller-manager``
  itself is narrow (read everything, manage service accounts and their secrets). kubeling
  binds one more ClusterRole to that user, ``kubeling:kube-controller-manager``: the
  union of every ``system:controller:*`` role's rules, so the manager holds exactly what
  its controllers together hold.
- **Cluster DNS** authenticates as CoreDNS's service account
  (``system:serviceaccount:kube-system:coredns``, a client certificate), with kubeadm's
  ``system:coredns`` ClusterRole (list and watch endpoints, services, pods, namespaces,
  EndpointSlices). It also creates its ``kube-system/kube-dns`` Service at start (the
  addon installer's job in Kubernetes): the Role ``kubeling:kube-dns-service`` in
  kube-system lets it create Services there and read that one.
- **The ingress controller** authenticates as the service account
  ``system:serviceaccount:kube-system:kubeling-ingress`` (as k3s's Traefik runs as
  ``kube-system/traefik``), with the ClusterRole ``kubeling:ingress-controller``: read
  Ingresses, IngressClasses, Services, EndpointSlices, Secrets and Nodes, write Ingress
  status, and create the default IngressClass at start.
"""

from __future__ import annotations

from typing import Any, Final

from kubeling.apiserver.authz.bootstrappolicy.builder import (
    cluster_binding,
    cluster_role,
    namespace_binding,
    namespace_role,
    rule,
)
from kubeling.apiserver.authz.bootstrappolicy.controller_roles import controller_roles
from kubeling.apiserver.authz.user import KUBE_CONTROLLER_MANAGER

__all__ = [
    "CONTROLLER_MANAGER_ROLE",
    "COREDNS_SERVICE_ACCOUNT",
    "INGRESS_SERVICE_ACCOUNT",
    "component_cluster_role_bindings",
    "component_cluster_roles",
    "component_role_bindings",
    "component_roles",
]

Obj = dict[str, Any]

CONTROLLER_MANAGER_ROLE: Final = "kubeling:kube-controller-manager"
#: (namespace, name) of the service account cluster DNS runs as.
COREDNS_SERVICE_ACCOUNT: Final = ("kube-system", "coredns")
_COREDNS_ROLE: Final = "system:coredns"
_DNS_SERVICE_ROLE: Final = "kubeling:kube-dns-service"
#: (namespace, name) of the service account the ingress controller runs as.
INGRESS_SERVICE_ACCOUNT: Final = ("kube-system", "kubeling-ingress")
_INGRESS_ROLE: Final = "kubeling:ingress-controller"


def _controllers_union() -> Obj:
    rules: list[dict[str, Any]] = []
    for role in controller_roles():
        for written in role.get("rules") or []:
            if written not in rules:
                rules.append(written)
    union = cluster_role(CONTROLLER_MANAGER_ROLE)
    union["rules"] = rules
    return union


def component_cluster_roles() -> list[Obj]:
    return [
        _controllers_union(),
        cluster_role(
            _COREDNS_ROLE,
            [
                rule("list", "watch")
                .groups("")
                .resources("endpoints", "services", "pods", "namespaces"),
                rule("list", "watch").groups("discovery.k8s.io").resources("endpointslices"),
            ],
        ),
        cluster_role(
            _INGRESS_ROLE,
            [
                rule("get", "list", "watch").groups("").resources("services", "secrets", "nodes"),
                rule("get", "list", "watch").groups("discovery.k8s.io").resources("endpointslices"),
                rule("get", "list", "watch")
                .groups("networking.k8s.io")
                .resources("ingresses", "ingressclasses"),
                rule("update", "patch").groups("networking.k8s.io").resources("ingresses/status"),
                rule("create").groups("networking.k8s.io").resources("ingressclasses"),
            ],
        ),
    ]


def component_cluster_role_bindings() -> list[Obj]:
    return [
        cluster_binding(CONTROLLER_MANAGER_ROLE, users=[KUBE_CONTROLLER_MANAGER]),
        cluster_binding(_COREDNS_ROLE, service_accounts=[COREDNS_SERVICE_ACCOUNT]),
        cluster_binding(_INGRESS_ROLE, service_accounts=[INGRESS_SERVICE_ACCOUNT]),
    ]


def component_roles() -> list[Obj]:
    namespace, _ = COREDNS_SERVICE_ACCOUNT
    return [
        namespace_role(
            namespace,
            _DNS_SERVICE_ROLE,
            [
                rule("create").groups("").resources("services"),
                rule("get").groups("").resources("services").names("kube-dns"),
            ],
        )
    ]


def component_role_bindings() -> list[Obj]:
    namespace, _ = COREDNS_SERVICE_ACCOUNT
    return [
        namespace_binding(namespace, _DNS_SERVICE_ROLE, service_accounts=[COREDNS_SERVICE_ACCOUNT])
    ]
