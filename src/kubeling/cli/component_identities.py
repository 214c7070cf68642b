"""Each control-plane component's own identity: a client certificate and a kubeconfig.

As kubeadm writes ``scheduler.conf``, ``controller-manager.conf`` and
``kubelet.conf``, the API server's start (``kubeling server``, ``kubeling up``)
writes one kubeconfig per component into the data dir, each with a client
certificate signed by the cluster CA (kept in ``pki/``, reused while good):

==========================  ============================================  ====================
kubeconfig                  user (CN)                                     groups (O)
==========================  ============================================  ====================
scheduler.kubeconfig        system:kube-scheduler
controller-manager.kubec..  system:kube-controller-manager
proxy.kubeconfig            system:kube-proxy
dns.kubeconfig              system:serviceaccount:kube-system:coredns     system:serviceaccounts,
                                                                          system:serviceaccounts:kube-system
ingress.kubeconfig          system:serviceaccount:kube-system:kubeling-   (as dns)
                            ingress
kubelet.kubeconfig          system:node:<node>                            system:nodes
==========================  ============================================  ====================

(the kubelet's only when the server runs a node, ``kubeling up``). What each user
may do is the default RBAC policy's (and the Node authorizer's, for kubelets);
see ``apiserver/authz/bootstrappolicy/component_roles.py`` and docs/security.md.
The admin kubeconfig (``kubeconfig.yaml``, ``system:masters``) is for people.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from kubeling.api.authentication.node_identity import node_user
from kubeling.cli.kubeconfig import write_kubeconfig
from kubeling.pki import Identity, Pki, ensure_client_cert

__all__ = [
    "CONTROLLER_MANAGER",
    "DNS",
    "INGRESS",
    "PROXY",
    "SCHEDULER",
    "Component",
    "kubelet_component",
    "write_component_kubeconfig",
]


@dataclass(frozen=True, slots=True)
class Component:
    """A component's file name stem (``scheduler`` -> ``scheduler.kubeconfig``,
    ``pki/scheduler.crt``) and the identity its certificate names."""

    name: str
    identity: Identity

    def kubeconfig(self, data_dir: Path) -> Path:
        return data_dir / f"{self.name}.kubeconfig"


SCHEDULER: Final = Component("scheduler", Identity("system:kube-scheduler", ()))
CONTROLLER_MANAGER: Final = Component(
    "controller-manager", Identity("system:kube-controller-manager", ())
)
PROXY: Final = Component("proxy", Identity("system:kube-proxy", ()))
DNS: Final = Component(
    "dns",
    Identity(
        "system:serviceaccount:kube-system:coredns",
        ("system:serviceaccounts", "system:serviceaccounts:kube-system"),
    ),
)


INGRESS: Final = Component(
    "ingress",
    Identity(
        "system:serviceaccount:kube-system:kubeling-ingress",
        ("system:serviceaccounts", "system:serviceaccounts:kube-system"),
    ),
)


def kubelet_component(node_name: str) -> Component:
    """The kubelet of ``node_name``: ``system:node:<node>`` in ``system:nodes``."""
    user = node_user(node_name)
    return Component("kubelet", Identity(user.name, user.groups))


def write_component_kubeconfig(
    component: Component, *, pki: Pki, data_dir: Path, server_url: str
) -> Path:
    """Ensure the component's certificate and write its kubeconfig; the kubeconfig's path."""
    cert, key = ensure_client_cert(pki, component.name, component.identity)
    path = component.kubeconfig(data_dir)
    write_kubeconfig(
        path,
        server_url=server_url,
        ca_pem=pki.ca_pem(),
        client_cert_pem=cert.read_bytes(),
        client_key_pem=key.read_bytes(),
        user=component.identity.user,
    )
    return path
