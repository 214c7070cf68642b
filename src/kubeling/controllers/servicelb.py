"""The built-in load balancer: k3s's ServiceLB, run as the cloud service controller runs one.

A local cluster has no cloud to provision load balancers, so, as k3s does, a
``LoadBalancer`` Service is exposed on the nodes themselves: every node's
service proxy opens the Service's ports on the node's addresses (the proxy
listens on the ingress addresses that are its own, see ``kubeling.proxy``),
and this controller writes those addresses into ``status.loadBalancer.ingress``
so that ``kubectl get svc`` shows an EXTERNAL-IP instead of ``<pending>``.

Which Services: ``type: LoadBalancer`` with no ``loadBalancerClass`` or with
ours (:data:`LOAD_BALANCER_CLASS`); any other class belongs to another
implementation and is left alone, as Kubernetes' service controller leaves it.

Which addresses (k3s's rules): those of every node not labelled
``node.kubernetes.io/exclude-from-external-load-balancers``; ExternalIPs when
any node has one, else InternalIPs; only the Service's IP families, in its
order; and with ``externalTrafficPolicy: Local`` only nodes running a ready
endpoint of the Service. Entries carry ``ipMode: VIP``, the value the API
server would default.

Lifecycle (Kubernetes' ``cloud-provider`` service controller): the
``service.kubernetes.io/load-balancer-cleanup`` finalizer is added before the
status is first written; when the Service stops wanting a load balancer
(another type, or it is being deleted) the status is cleared and the
finalizer removed. Events: ``EnsuringLoadBalancer``/``EnsuredLoadBalancer``
when the status changes, ``UnAvailableLoadBalancer`` when no node qualifies,
``DeletingLoadBalancer``/``DeletedLoadBalancer`` on cleanup.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Final

from kubeling.api import errors
from kubeling.client import NORMAL, WARNING, DeletedFinalStateUnknown, PatchType
from kubeling.client.resources import ENDPOINTSLICES, NODES, SERVICES
from kubeling.controllers.base import Controller, ControllerContext

__all__ = [
    "EXCLUDE_LABEL",
    "LOAD_BALANCER_CLASS",
    "LOAD_BALANCER_FINALIZER",
    "ServiceLBController",
    "load_balancer_ingress",
    "needs_cleanup",
    "wants_load_balancer",
]

#: The ``loadBalancerClass`` this controller answers to (besides none at all).
LOAD_BALANCER_CLASS: Final = "kubeling.io/servicelb"
LOAD_BALANCER_FINALIZER: Final = "service.kubernetes.io/load-balancer-cleanup"
EXCLUDE_LABEL: Final = "node.kubernetes.io/exclude-from-external-load-balancers"
_SERVICE_NAME_LABEL: Final = "kubernetes.io/service-name"

Obj = dict[str, Any]


def _spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("spec") or {}


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def wants_load_balancer(service: Mapping[str, Any]) -> bool:
    """A LoadBalancer Service of no class or of ours."""
    spec = _spec(service)
    return spec.get("type") == "LoadBalancer" and spec.get("loadBalancerClass") in (
        None,
        LOAD_BALANCER_CLASS,
    )


def needs_cleanup(service: Mapping[str, Any]) -> bool:
    """Whether a Service we served must be let go (deleted, or no longer a load balancer)."""
    if LOAD_BALANCER_FINALIZER not in (_meta(service).get("finalizers") or ()):
        return False
    return bool(_meta(service).get("deletionTimestamp")) or not wants_load_balancer(service)


def _ready_nodes(service: Mapping[str, Any], slices: Iterable[Mapping[str, Any]]) -> set[str]:
    """Nodes running a ready pod endpoint of ``service``."""
    nodes: set[str] = set()
    for slice_ in slices:
        for endpoint in slice_.get("endpoints") or ():
            ref = endpoint.get("targetRef") or {}
            ready = (endpoint.get("conditions") or {}).get("ready") is True
            if ref.get("kind") == "Pod" and ready and endpoint.get("nodeName"):
                nodes.add(str(endpoint["nodeName"]))
    return nodes


def _family(ip: str) -> str | None:
    try:
        return "IPv4" if ipaddress.ip_address(ip).version == 4 else "IPv6"
    except ValueError:
        return None


def load_balancer_ingress(
    service: Mapping[str, Any],
    nodes: Iterable[Mapping[str, Any]],
    slices: Iterable[Mapping[str, Any]] = (),
) -> list[Obj]:
    """The ``status.loadBalancer.ingress`` of ``service`` given the cluster's nodes and the
    service's EndpointSlices (which matter with ``externalTrafficPolicy: Local``)."""
    local_only = _spec(service).get("externalTrafficPolicy") == "Local"
    ready = _ready_nodes(service, slices) if local_only else None
    external: set[str] = set()
    internal: set[str] = set()
    for node in nodes:
        meta = _meta(node)
        if EXCLUDE_LABEL in (meta.get("labels") or {}) or meta.get("deletionTimestamp"):
            continue
        if ready is not None and meta.get("name") not in ready:
            continue
        for address in (node.get("status") or {}).get("addresses") or ():
            if address.get("type") == "ExternalIP" and address.get("address"):
                external.add(str(address["address"]))
            elif address.get("type") == "InternalIP" and address.get("address"):
                internal.add(str(address["address"]))
    chosen = external or internal
    ips: list[str] = []
    for family in _spec(service).get("ipFamilies") or ["IPv4"]:
        ips.extend(sorted(ip for ip in chosen if _family(ip) == family))
    return [{"ip": ip, "ipMode": "VIP"} for ip in ips]


def _ingress(service: Mapping[str, Any]) -> list[Any]:
    return list(((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or [])


class ServiceLBController(Controller):
    """Gives LoadBalancer Services the addresses of the nodes that serve them."""

    name: ClassVar[str] = "service-lb-controller"
    component: ClassVar[str] = "service-controller"
    workers: ClassVar[int] = 1

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.services = self.informers.informer_for(SERVICES)
        self.nodes = self.informers.informer_for(NODES)
        self.slices = self.informers.informer_for(ENDPOINTSLICES)
        self.services_api = self.client.resource(SERVICES)
        self.services.add_event_handler(
            on_add=self._service_changed, on_update=lambda _old, new: self._service_changed(new)
        )
        self.nodes.add_event_handler(
            on_add=self._nodes_changed,
            on_update=self._node_updated,
            on_delete=self._nodes_changed,
        )
        self.slices.add_event_handler(
            on_add=self._slice_changed,
            on_update=lambda _old, new: self._slice_changed(new),
            on_delete=self._slice_changed,
        )

    def _service_changed(self, service: Obj) -> None:
        if wants_load_balancer(service) or needs_cleanup(service):
            self.enqueue(service)

    def _nodes_changed(self, _node: Obj | DeletedFinalStateUnknown) -> None:
        for service in self.services.lister.list():
            if wants_load_balancer(service):
                self.enqueue(service)

    def _node_updated(self, old: Obj, new: Obj) -> None:
        # Status heartbeats change nothing here: only addresses, labels and deletion do.
        def relevant(node: Obj) -> tuple[Any, ...]:
            meta = _meta(node)
            addresses = (node.get("status") or {}).get("addresses")
            return (meta.get("labels"), meta.get("deletionTimestamp"), addresses)

        if relevant(old) != relevant(new):
            self._nodes_changed(new)

    def _slice_changed(self, obj: Obj | DeletedFinalStateUnknown) -> None:
        slice_ = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        service = (_meta(slice_).get("labels") or {}).get(_SERVICE_NAME_LABEL)
        namespace = _meta(slice_).get("namespace")
        if service and namespace:
            self.queue.add(f"{namespace}/{service}")

    def _slices_of(self, service: Mapping[str, Any]) -> list[Obj]:
        meta = _meta(service)
        return [
            s
            for s in self.slices.lister.list(namespace=str(meta.get("namespace") or ""))
            if (_meta(s).get("labels") or {}).get(_SERVICE_NAME_LABEL) == meta.get("name")
        ]

    async def sync(self, key: str) -> None:
        namespace, _, name = key.partition("/")
        try:
            service = self.services.lister.get(name, namespace=namespace)
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return
            raise
        if needs_cleanup(service):
            await self._clean_up(service)
        elif wants_load_balancer(service) and not _meta(service).get("deletionTimestamp"):
            await self._ensure(service)

    async def _ensure(self, service: Obj) -> None:
        ingress = load_balancer_ingress(service, self.nodes.lister.list(), self._slices_of(service))
        finalizers = list(_meta(service).get("finalizers") or ())
        if LOAD_BALANCER_FINALIZER in finalizers and _ingress(service) == ingress:
            return
        self.recorder.event(service, NORMAL, "EnsuringLoadBalancer", "Ensuring load balancer")
        if LOAD_BALANCER_FINALIZER not in finalizers:
            service = await self._set_finalizers(service, [*finalizers, LOAD_BALANCER_FINALIZER])
        if not ingress:
            self.recorder.event(
                service,
                WARNING,
                "UnAvailableLoadBalancer",
                "There are no available nodes for LoadBalancer",
            )
        if _ingress(service) != ingress:
            await self._set_ingress(service, ingress)
        self.recorder.event(service, NORMAL, "EnsuredLoadBalancer", "Ensured load balancer")

    async def _clean_up(self, service: Obj) -> None:
        self.recorder.event(service, NORMAL, "DeletingLoadBalancer", "Deleting load balancer")
        if _ingress(service) and not _meta(service).get("deletionTimestamp"):
            service = await self._set_ingress(service, [])
        finalizers = [
            f for f in _meta(service).get("finalizers") or () if f != LOAD_BALANCER_FINALIZER
        ]
        try:
            await self._set_finalizers(service, finalizers)
        except errors.StatusError as err:
            if not errors.is_not_found(err):
                raise
        self.recorder.event(service, NORMAL, "DeletedLoadBalancer", "Deleted load balancer")

    async def _set_finalizers(self, service: Obj, finalizers: list[str]) -> Obj:
        meta = _meta(service)
        # Carries the resourceVersion: a concurrent finalizer change is a conflict, not lost.
        changes = {"finalizers": finalizers or None, "resourceVersion": meta["resourceVersion"]}
        return await self.services_api.patch(
            str(meta["name"]),
            {"metadata": changes},
            patch_type=PatchType.MERGE,
            namespace=str(meta["namespace"]),
        )

    async def _set_ingress(self, service: Obj, ingress: list[Obj]) -> Obj:
        meta = _meta(service)
        patch = {"status": {"loadBalancer": {"ingress": ingress or None}}}
        return await self.services_api.patch(
            str(meta["name"]),
            patch,
            patch_type=PatchType.MERGE,
            namespace=str(meta["namespace"]),
            subresource="status",
        )
