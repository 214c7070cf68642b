"""The ``kube-system/kube-dns`` Service: where pods and users find the cluster DNS.

As in a kubeadm or k3s cluster, the Service is named ``kube-dns`` and has the
ClusterIP every kubelet writes into pods' resolv.conf (``--cluster-dns``,
``.10`` of the service range), with ports ``dns`` 53/UDP and ``dns-tcp``
53/TCP. Here the DNS server binds that address itself (the whole of
127.0.0.0/8 is local on Linux, so no root and no proxy is needed), so the
Service has no selector and no endpoints, and carries
``service.kubernetes.io/service-proxy-name``, the label by which kube-proxy
leaves a Service to another proxy: the service proxy must not listen on this
address too.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any, Final

from kubeling.api import errors
from kubeling.client import ResourceClient

__all__ = [
    "KUBE_DNS_NAME",
    "KUBE_DNS_NAMESPACE",
    "PROXY_NAME",
    "cluster_dns_address",
    "ensure_kube_dns_service",
    "kube_dns_service",
]

log = logging.getLogger(__name__)

KUBE_DNS_NAME: Final = "kube-dns"
KUBE_DNS_NAMESPACE: Final = "kube-system"
#: The ``service.kubernetes.io/service-proxy-name`` of the Service: served by us, not a proxy.
PROXY_NAME: Final = "kubeling-dns"
_SERVICE_PROXY_NAME_LABEL: Final = "service.kubernetes.io/service-proxy-name"


def cluster_dns_address(service_cidr: str) -> str:
    """The cluster DNS address of a service range: its tenth address, as kubeadm and k3s
    choose it.

    >>> cluster_dns_address("127.96.0.0/16"), cluster_dns_address("10.96.0.0/12")
    ('127.96.0.10', '10.96.0.10')
    """
    network = ipaddress.ip_network(service_cidr, strict=False)
    return str(network.network_address + 10)


def kube_dns_service(address: str) -> dict[str, Any]:
    """The Service object, with ``address`` as its ClusterIP."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": KUBE_DNS_NAME,
            "namespace": KUBE_DNS_NAMESPACE,
            "labels": {
                "k8s-app": "kube-dns",
                "kubernetes.io/name": "KubeDNS",
                _SERVICE_PROXY_NAME_LABEL: PROXY_NAME,
            },
        },
        "spec": {
            "clusterIP": address,
            "ports": [
                {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
            ],
        },
    }


async def ensure_kube_dns_service(services: ResourceClient, address: str) -> dict[str, Any]:
    """The kube-dns Service, created with ``address`` if it does not exist. An existing one
    is left as it is (a ClusterIP cannot change); a different address is logged, since pods
    would then be told an address this server does not serve."""
    try:
        existing = await services.get(KUBE_DNS_NAME, namespace=KUBE_DNS_NAMESPACE)
    except errors.StatusError as err:
        if not errors.is_not_found(err):
            raise
    else:
        actual = (existing.get("spec") or {}).get("clusterIP")
        if actual != address:
            log.warning(
                "Service %s/%s has ClusterIP %s, not %s: pods told %s will not reach this DNS",
                KUBE_DNS_NAMESPACE,
                KUBE_DNS_NAME,
                actual,
                address,
                actual,
            )
        return existing
    try:
        created: dict[str, Any] = await services.create(kube_dns_service(address))
    except errors.StatusError as err:
        if not errors.is_already_exists(err):
            raise
        return await services.get(KUBE_DNS_NAME, namespace=KUBE_DNS_NAMESPACE)
    log.info("created Service %s/%s with ClusterIP %s", KUBE_DNS_NAMESPACE, KUBE_DNS_NAME, address)
    return created
