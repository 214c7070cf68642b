"""The ingress controller: informers in, routing table and Ingress status out.

Informers follow Ingresses, IngressClasses, Services, EndpointSlices, TLS
Secrets (``type=kubernetes.io/tls`` only) and the controller's own Node. Any
change marks the table dirty; the loop then recomputes it with the pure
:func:`~kubeling.ingress.routes.compute_routes` and hands it to the
:class:`~kubeling.ingress.server.IngressServer`, at once after a quiet period
and at most once per ``min_sync_period`` during bursts (as the service proxy
does), and every ``sync_period`` anyway.

Status: every Ingress served gets ``status.loadBalancer.ingress`` set to the
addresses it is reached at (``publish_addresses``, else the node's
``InternalIP``/``ExternalIP`` addresses, as k3s's Traefik publishes its
ServiceLB addresses); an Ingress that stops being ours has the entry removed
if it is still the one we wrote. A failed status write is retried at the next
sync. Problems (missing TLS Secrets, resource backends) are logged once each.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kubeling.api import errors
from kubeling.client import ApiClient, PatchType, SharedInformer
from kubeling.client.bounded_sync import run_bounded_sync
from kubeling.client.resources import (
    ENDPOINTSLICES,
    INGRESSCLASSES,
    INGRESSES,
    NODES,
    SECRETS,
    SERVICES,
    Resource,
)
from kubeling.ingress.routes import compute_routes, ingress_key
from kubeling.ingress.server import IngressServer
from kubeling.proxy.node import node_info

__all__ = ["IngressController", "load_balancer_status"]

log = logging.getLogger(__name__)

TLS_SECRETS: Final = "type=kubernetes.io/tls"
#: Seconds before a failed status write is tried again.
STATUS_RETRY: Final = 5.0


def load_balancer_status(addresses: Sequence[str]) -> list[dict[str, Any]]:
    """``status.loadBalancer.ingress`` for ``addresses`` (as kubectl shows ADDRESS)."""
    return [{"ip": address} for address in addresses]


def _current(ingress: Mapping[str, Any]) -> list[Any]:
    return list(((ingress.get("status") or {}).get("loadBalancer") or {}).get("ingress") or [])


@dataclass(frozen=True, slots=True)
class _Settings:
    node_name: str
    publish_addresses: tuple[str, ...]
    min_sync_period: float
    sync_period: float
    update_status: bool


class IngressController:
    """Keeps ``server`` routing by the Ingresses the informers hold, and their status true."""

    def __init__(
        self,
        client: ApiClient,
        server: IngressServer,
        *,
        node_name: str,
        publish_addresses: Sequence[str] = (),
        min_sync_period: float = 0.2,
        sync_period: float = 30.0,
        update_status: bool = True,
    ) -> None:
        self.client = client
        self.server = server
        self.settings = _Settings(
            node_name, tuple(publish_addresses), min_sync_period, sync_period, update_status
        )
        self.ingresses = self._informer(INGRESSES)
        self.classes = self._informer(INGRESSCLASSES)
        self.services = self._informer(SERVICES)
        self.slices = self._informer(ENDPOINTSLICES)
        self.secrets = self._informer(SECRETS, field_selector=TLS_SECRETS)
        self.nodes = self._informer(NODES, field_selector=f"metadata.name={node_name}")
        self.informers = (
            self.ingresses,
            self.classes,
            self.services,
            self.slices,
            self.secrets,
            self.nodes,
        )
        self._dirty = asyncio.Event()
        self._reported: set[str] = set()
        #: Set after the first sync: the server routes by the caches.
        self.synced = asyncio.Event()
        for informer in self.informers:
            informer.add_event_handler(
                on_add=self._changed,
                on_update=lambda _old, _new: self._dirty.set(),
                on_delete=self._changed,
            )

    def _informer(self, resource: Resource, *, field_selector: str = "") -> SharedInformer:
        return SharedInformer(
            self.client.resource(resource),
            resource=resource.group_resource,
            field_selector=field_selector,
        )

    def _changed(self, _obj: object) -> None:
        self._dirty.set()

    @property
    def addresses(self) -> tuple[str, ...]:
        """Where the served Ingresses are reached, for their status."""
        if self.settings.publish_addresses:
            return self.settings.publish_addresses
        nodes = self.nodes.lister.list()
        return node_info(nodes[0] if nodes else None, name=self.settings.node_name).addresses

    async def run(self) -> None:
        """Sync whenever something changed (and every ``sync_period``) until cancelled."""
        await run_bounded_sync(
            self.sync,
            self._dirty,
            min_period=self.settings.min_sync_period,
            max_period=self.settings.sync_period,
            log=log,
            what="ingress routes",
        )

    async def sync(self) -> None:
        """Recompute the table from the caches, apply it, then bring statuses in line."""
        table = compute_routes(
            self.ingresses.lister.list(),
            self.services.lister.list(),
            self.slices.lister.list(),
            self.secrets.lister.list(),
            classes=self.classes.lister.list(),
        )
        problems = [*table.problems, *self.server.update(table)]
        self._report(problems)
        self.synced.set()
        if self.settings.update_status:
            await self._sync_status(set(table.ingresses))

    def _report(self, problems: list[str]) -> None:
        for problem in problems:
            if problem not in self._reported:
                log.warning("%s", problem)
        self._reported = set(problems)

    async def _sync_status(self, served: set[str]) -> None:
        wanted = load_balancer_status(self.addresses)
        failed = False
        for ingress in self.ingresses.lister.list():
            current = _current(ingress)
            if ingress_key(ingress) in served:
                target = wanted
            elif current and current == wanted:
                target = []  # ours no more: take back what we wrote
            else:
                continue
            if current == target or (ingress_key(ingress) in served and not wanted):
                continue  # no address known yet: leave it until the node has one
            failed |= not await self._set_status(ingress, target)
        if failed:
            asyncio.get_running_loop().call_later(STATUS_RETRY, self._dirty.set)

    async def _set_status(self, ingress: Mapping[str, Any], target: list[dict[str, Any]]) -> bool:
        meta = ingress.get("metadata") or {}
        patch = {"status": {"loadBalancer": {"ingress": target or None}}}
        try:
            await self.client.resource(INGRESSES).patch(
                str(meta.get("name")),
                patch,
                patch_type=PatchType.MERGE,
                namespace=str(meta.get("namespace")),
                subresource="status",
            )
        except errors.StatusError as err:
            if errors.is_not_found(err):
                return True  # deleted meanwhile
            log.warning("updating the status of ingress %s failed: %s", ingress_key(ingress), err)
            return False
        return True
