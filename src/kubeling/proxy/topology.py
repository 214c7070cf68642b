"""Which endpoints a Service port may use from this node: Kubernetes'
``CategorizeEndpoints`` (``pkg/proxy/topology.go``).

"Usable" means ready; when no endpoint is ready, endpoints that are still
serving while they terminate are used instead, so that a rollout or a scale
down does not drop connections that could still be served (independently for
the Cluster and the Local set). Cluster endpoints are narrowed to this node's
zone when topology hints say so: every ready endpoint carries zone hints and at
least one is hinted for this node's zone (``topology.kubernetes.io/zone``);
otherwise hints are ignored, and they are never applied to the terminating
fallback.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kubeling.proxy.endpoints import Endpoint
from kubeling.proxy.serviceports import ServicePort

__all__ = ["Categorized", "categorize_endpoints"]


@dataclass(frozen=True, slots=True)
class Categorized:
    """The endpoints of a Service port, sorted out for this node."""

    #: For "Cluster" traffic policy (empty if the port never uses it).
    cluster: tuple[Endpoint, ...] = ()
    #: For "Local" traffic policy: endpoints on this node (empty if never used).
    local: tuple[Endpoint, ...] = ()
    #: Whether the service has a usable endpoint anywhere in the cluster.
    has_any: bool = False


def _only(endpoints: Sequence[Endpoint], keep: Callable[[Endpoint], bool]) -> tuple[Endpoint, ...]:
    return tuple(e for e in endpoints if keep(e))


def _fallback(e: Endpoint) -> bool:
    return e.serving and e.terminating


def _zone_filtered(endpoints: Sequence[Endpoint], zone: str) -> bool:
    """Whether topology hints narrow cluster endpoints to ``zone``."""
    ready = [e for e in endpoints if e.ready]
    if not ready or not zone:
        return False
    if any(not e.zone_hints for e in ready):
        return False
    return any(zone in e.zone_hints for e in ready)


def categorize_endpoints(
    endpoints: Sequence[Endpoint], port: ServicePort, *, zone: str = ""
) -> Categorized:
    """Sort ``endpoints`` of ``port`` into its Cluster and Local sets for a node in ``zone``."""
    if not endpoints:
        return Categorized()
    cluster: tuple[Endpoint, ...] = ()
    has_any = False
    if port.uses_cluster_endpoints:
        by_zone = _zone_filtered(endpoints, zone)
        cluster = _only(endpoints, lambda e: e.ready and (not by_zone or zone in e.zone_hints))
        if not cluster:
            # No ready endpoint anywhere (topology would have been ignored otherwise).
            cluster = _only(endpoints, _fallback)
        has_any = bool(cluster)
    local: tuple[Endpoint, ...] = ()
    if port.uses_local_endpoints:
        has_any = has_any or any(e.ready or _fallback(e) for e in endpoints)
        local = _only(endpoints, lambda e: e.local and e.ready)
        if not local:
            local = _only(endpoints, lambda e: e.local and _fallback(e))
    return Categorized(cluster=cluster, local=local, has_any=has_any)
