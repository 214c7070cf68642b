"""The core group's per-resource strategies (``pods``, ``services``...).

``core_strategies`` builds them all for one store; the registry hands each to
the resource's ``ResourceStore``. Resources not listed here use the generic
``Strategy``. See each module for the rules it implements, and the
ServiceStrategy for the ClusterIP/NodePort ranges it keeps in the store.
"""

from __future__ import annotations

from kubeling.apiserver.rest.strategy import Strategy
from kubeling.apiserver.strategies.configmaps import ConfigMapStrategy
from kubeling.apiserver.strategies.endpoints import EndpointsStrategy
from kubeling.apiserver.strategies.events import EventStrategy
from kubeling.apiserver.strategies.limitranges import LimitRangeStrategy
from kubeling.apiserver.strategies.namespaces import NamespaceFinalizeStrategy, NamespaceStrategy
from kubeling.apiserver.strategies.nodes import NodeStrategy
from kubeling.apiserver.strategies.persistentvolumeclaims import PersistentVolumeClaimStrategy
from kubeling.apiserver.strategies.persistentvolumes import PersistentVolumeStrategy
from kubeling.apiserver.strategies.pods import PodStrategy
from kubeling.apiserver.strategies.replicationcontrollers import ReplicationControllerStrategy
from kubeling.apiserver.strategies.resourcequotas import ResourceQuotaStrategy
from kubeling.apiserver.strategies.secrets import SecretStrategy
from kubeling.apiserver.strategies.serviceaccounts import ServiceAccountStrategy
from kubeling.apiserver.strategies.services import ServiceStrategy
from kubeling.storage import Store

__all__ = [
    "ConfigMapStrategy",
    "EndpointsStrategy",
    "EventStrategy",
    "LimitRangeStrategy",
    "NamespaceFinalizeStrategy",
    "NamespaceStrategy",
    "NodeStrategy",
    "PersistentVolumeClaimStrategy",
    "PersistentVolumeStrategy",
    "PodStrategy",
    "ReplicationControllerStrategy",
    "ResourceQuotaStrategy",
    "SecretStrategy",
    "ServiceAccountStrategy",
    "ServiceStrategy",
    "core_strategies",
]


def core_strategies(
    store: Store,
    *,
    service_cidr: str = "127.96.0.0/16",
    node_port_range: tuple[int, int] = (30000, 32767),
) -> dict[str, Strategy]:
    """One strategy per core resource, keyed by plural.

    >>> sorted(core_strategies.__annotations__)[:1]
    ['node_port_range']
    """
    return {
        "pods": PodStrategy(),
        "services": ServiceStrategy(
            store, service_cidr=service_cidr, node_port_range=node_port_range
        ),
        "namespaces": NamespaceStrategy(),
        "nodes": NodeStrategy(),
        "secrets": SecretStrategy(),
        "configmaps": ConfigMapStrategy(),
        "serviceaccounts": ServiceAccountStrategy(),
        "events": EventStrategy(),
        "endpoints": EndpointsStrategy(),
        "persistentvolumes": PersistentVolumeStrategy(),
        "persistentvolumeclaims": PersistentVolumeClaimStrategy(),
        "limitranges": LimitRangeStrategy(),
        "resourcequotas": ResourceQuotaStrategy(),
        "replicationcontrollers": ReplicationControllerStrategy(),
    }
