"""``kubeling ingress``: the built-in ingress controller as a component.

Start-up, in order:

1. make sure the IngressClass ``kubeling`` exists (ours, the default class),
   waiting for the API server if it is not up yet; an existing one is left as
   it is (an administrator may have taken the default away);
2. start the informers and wait until they have listed everything, then apply
   the first routing table, so the first request already finds its route;
3. listen for HTTP on port 80 and HTTPS on 443 of ``bind_address``; where
   those may not be bound (not root, no ``CAP_NET_BIND_SERVICE``), on the
   fallback ports (8080 and 8443), and say so;
4. serve until cancelled; then stop listening and end connections, then stop
   the informers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from kubeling.api import errors
from kubeling.client import ApiClient, ClientConfig, TransportError
from kubeling.client.resources import INGRESSCLASSES
from kubeling.ingress.classes import default_ingress_class
from kubeling.ingress.controller import IngressController
from kubeling.ingress.server import IngressServer, Timeouts
from kubeling.ingress.tls import CertificateStore
from kubeling.proxy.userspace.balancer import ROUND_ROBIN

__all__ = [
    "DEFAULT_HTTPS_FALLBACK_PORT",
    "DEFAULT_HTTP_FALLBACK_PORT",
    "USER_AGENT",
    "IngressOptions",
    "run_ingress",
]

log = logging.getLogger(__name__)

USER_AGENT: Final = "kubeling-ingress/v1.32.4+kubeling"
DEFAULT_HTTP_FALLBACK_PORT: Final = 8080
DEFAULT_HTTPS_FALLBACK_PORT: Final = 8443


@dataclass(frozen=True, slots=True)
class IngressOptions:
    """``kubeling ingress``'s settings."""

    #: The node this controller runs on: its addresses go into Ingress status.
    node_name: str
    #: The default certificate (PEM chain, PEM key); None: no HTTPS listener.
    default_certificate: tuple[bytes, bytes] | None = None
    bind_address: str = "0.0.0.0"
    http_port: int = 80
    https_port: int = 443
    #: Used when ``http_port``/``https_port`` may not be bound (None: fail instead).
    http_fallback_port: int | None = DEFAULT_HTTP_FALLBACK_PORT
    https_fallback_port: int | None = DEFAULT_HTTPS_FALLBACK_PORT
    #: Written into status instead of the node's addresses.
    publish_addresses: tuple[str, ...] = ()
    update_status: bool = True
    max_connections: int = 4096
    balance: str = ROUND_ROBIN
    timeouts: Timeouts = field(default_factory=Timeouts)
    min_sync_period: float = 0.2


async def _ensure_class(client: ApiClient) -> None:
    """Create the ``kubeling`` IngressClass, waiting for the API server if need be."""
    while True:
        try:
            await client.resource(INGRESSCLASSES).create(default_ingress_class())
            log.info("created IngressClass kubeling (the default class)")
            return
        except errors.StatusError as err:
            if errors.is_already_exists(err):
                return
            raise
        except TransportError as err:
            log.warning("API server not reachable (%s); retrying in 1 s", err)
            await asyncio.sleep(1)


async def _listen(
    server: IngressServer, host: str, port: int, fallback: int | None, *, tls: bool
) -> tuple[str, int]:
    scheme = "HTTPS" if tls else "HTTP"
    try:
        return await _bind(server, host, port, tls=tls)
    except PermissionError:
        if fallback is None or fallback == port:
            raise
        log.warning(
            "not allowed to bind %s port %d (it needs root or CAP_NET_BIND_SERVICE): "
            "serving ingress %s on port %d instead",
            host,
            port,
            scheme,
            fallback,
        )
        return await _bind(server, host, fallback, tls=tls)


async def _bind(server: IngressServer, host: str, port: int, *, tls: bool) -> tuple[str, int]:
    try:
        return await server.listen(host, port, tls=tls)
    except PermissionError:
        raise
    except OSError as err:
        # Most likely another ingress (another kubeling up) or a LoadBalancer Service.
        what = "HTTPS" if tls else "HTTP"
        raise OSError(
            err.errno, f"cannot serve ingress {what} on {host} port {port}: {err.strerror}"
        ) from err


async def run_ingress(
    config: ClientConfig,
    options: IngressOptions,
    *,
    on_ready: Callable[[IngressServer], None] | None = None,
) -> None:
    """Run the ingress controller until cancelled. ``on_ready`` is called once it serves."""
    certificates = None
    if options.default_certificate is not None:
        certificates = CertificateStore(*options.default_certificate)
    server = IngressServer(
        certificates=certificates,
        timeouts=options.timeouts,
        max_connections=options.max_connections,
        strategy=options.balance,
    )
    async with ApiClient(config.with_user_agent(USER_AGENT)) as client:
        await _ensure_class(client)
        controller = IngressController(
            client,
            server,
            node_name=options.node_name,
            publish_addresses=options.publish_addresses,
            min_sync_period=options.min_sync_period,
            update_status=options.update_status,
        )
        try:
            async with asyncio.TaskGroup() as group:
                for informer in controller.informers:
                    group.create_task(informer.run(), name=f"ingress informer {informer.resource}")
                await asyncio.gather(*(i.wait_for_sync() for i in controller.informers))
                await controller.sync()
                host = options.bind_address
                await _listen(
                    server, host, options.http_port, options.http_fallback_port, tls=False
                )
                if certificates is not None:
                    await _listen(
                        server, host, options.https_port, options.https_fallback_port, tls=True
                    )
                log.info("ingress controller serving %s", server.addresses)
                if on_ready is not None:
                    on_ready(server)
                group.create_task(controller.run(), name="ingress-controller")
        finally:
            # Stop taking requests first, then stop following the cluster.
            await server.close()
