"""``kubeling dns``: the cluster DNS as a component, a client of the API server like any other.

Start-up, in order:

1. make sure the ``kube-system/kube-dns`` Service exists with the cluster DNS
   address as its ClusterIP (:mod:`kubeling.dns.kubedns`);
2. start informers on Services, EndpointSlices, Namespaces (and Pods in the
   ``verified`` pod mode) and wait until they have listed everything, so the
   first answer already knows the cluster (:mod:`kubeling.dns.sync`);
3. listen on the address, port 53 over UDP and TCP; where binding port 53 is not
   allowed (not root, no ``CAP_NET_BIND_SERVICE``), on the fallback port (1053)
   of the same address, and say so in the log;
4. serve until cancelled; then stop listening, then stop the informers.

Names outside the cluster domain go to the nameservers of the host's
``/etc/resolv.conf``, or to the upstreams given (:mod:`kubeling.dns.upstream`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from kubeling.client import ApiClient, ClientConfig, SharedInformerFactory, TransportError
from kubeling.client.resources import SERVICES
from kubeling.dns.handler import QueryHandler
from kubeling.dns.kubedns import cluster_dns_address, ensure_kube_dns_service
from kubeling.dns.records import DEFAULT_TTL, PodRecords
from kubeling.dns.server import DnsServer
from kubeling.dns.sync import ZoneSync
from kubeling.dns.upstream import DEFAULT_TIMEOUT, Forwarder, upstreams_from_resolv_conf
from kubeling.dns.zone import ClusterZone

__all__ = ["DEFAULT_FALLBACK_PORT", "USER_AGENT", "DnsOptions", "run_dns"]

log = logging.getLogger(__name__)

USER_AGENT: Final = "kubeling-dns/v1.32.4+kubeling"
DEFAULT_FALLBACK_PORT: Final = 1053


@dataclass(frozen=True, slots=True)
class DnsOptions:
    cluster_domain: str = "cluster.local"
    #: The service range; the DNS address is its tenth address unless ``cluster_dns`` is set.
    service_cidr: str = "127.96.0.0/16"
    cluster_dns: str | None = None
    #: Where to listen (default: the cluster DNS address).
    bind_address: str | None = None
    port: int = 53
    #: Used when ``port`` may not be bound (None: fail instead).
    fallback_port: int | None = DEFAULT_FALLBACK_PORT
    ttl: int = DEFAULT_TTL
    pod_records: PodRecords = "insecure"
    resolv_conf: Path = Path("/etc/resolv.conf")
    #: Upstreams (address, port); when given, the resolv.conf is not read.
    upstreams: tuple[tuple[str, int], ...] = ()
    upstream_timeout: float = DEFAULT_TIMEOUT

    @property
    def address(self) -> str:
        """The cluster DNS address: the kube-dns ClusterIP."""
        return self.cluster_dns or cluster_dns_address(self.service_cidr)


async def _ensure_service(client: ApiClient, address: str) -> None:
    """Create the kube-dns Service, waiting for the API server if it is not up yet."""
    while True:
        try:
            await ensure_kube_dns_service(client.resource(SERVICES), address)
            return
        except TransportError as err:
            log.warning("API server not reachable (%s); retrying in 1 s", err)
            await asyncio.sleep(1)


async def _listen(server: DnsServer, options: DnsOptions) -> tuple[str, int]:
    host = options.bind_address or options.address
    try:
        return await _start(server, host, options.port)
    except PermissionError:
        if options.fallback_port is None or options.fallback_port == options.port:
            raise
        log.warning(
            "not allowed to bind %s port %d (it needs root or CAP_NET_BIND_SERVICE): "
            "serving DNS on port %d instead; pods' resolv.conf cannot name a port, "
            "so only clients told the port (dig -p %d @%s) reach it",
            host,
            options.port,
            options.fallback_port,
            options.fallback_port,
            host,
        )
        return await _start(server, host, options.fallback_port)


async def _start(server: DnsServer, host: str, port: int) -> tuple[str, int]:
    try:
        return await server.start(host, port)
    except PermissionError:
        raise
    except OSError as err:
        # Most likely another cluster DNS (another kubeling up) on this machine.
        raise OSError(err.errno, f"cannot serve DNS on {host} port {port}: {err.strerror}") from err


def _upstreams(options: DnsOptions) -> list[tuple[str, int]]:
    if options.upstreams:
        return list(options.upstreams)
    try:
        text = options.resolv_conf.read_text()
    except OSError as err:
        log.warning("cannot read %s (%s): other names get SERVFAIL", options.resolv_conf, err)
        return []
    own = {options.address, options.bind_address or options.address}
    upstreams = upstreams_from_resolv_conf(text, exclude=own)
    if not upstreams:
        log.warning("no nameserver in %s: other names get SERVFAIL", options.resolv_conf)
    return upstreams


async def run_dns(
    config: ClientConfig,
    options: DnsOptions = DnsOptions(),
    *,
    on_ready: Callable[[DnsServer], None] | None = None,
) -> None:
    """Run the cluster DNS until cancelled. ``on_ready`` is called once it answers."""
    address = options.address
    upstreams = await asyncio.to_thread(_upstreams, options)
    async with ApiClient(config.with_user_agent(USER_AGENT)) as client:
        await _ensure_service(client, address)
        zone = ClusterZone(
            domain=options.cluster_domain,
            dns_ips=(address,),
            ttl=options.ttl,
            pod_records=options.pod_records,
        )
        informers = SharedInformerFactory(client)
        ZoneSync(zone, informers)
        server = DnsServer(
            QueryHandler(zone), Forwarder(upstreams, timeout=options.upstream_timeout)
        )
        try:
            async with asyncio.TaskGroup() as group:
                informers.start(group)
                await informers.wait_for_cache_sync()
                host, port = await _listen(server, options)
                log.info("cluster DNS for %s on %s port %d (UDP, TCP)", zone.domain, host, port)
                if on_ready is not None:
                    on_ready(server)
                await asyncio.Event().wait()  # until cancelled
        finally:
            # Stop answering first, then stop following the cluster.
            await server.stop()
            informers.shutdown()
