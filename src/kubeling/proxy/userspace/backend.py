"""The userspace backend: a listening socket per frontend, relaying to endpoints.

Given the rules (:func:`~kubeling.proxy.rules.compute_rules`), :meth:`UserspaceBackend.sync`
makes the set of open frontends match them:

- a frontend is listened on while one of its routes forwards; one whose routes
  only reject or drop is closed, so that clients are refused by the kernel at
  once (TCP reset, ICMP port unreachable for UDP): the same answer kube-proxy's
  ``REJECT`` gives. A Local policy with no local endpoint (kube-proxy's ``DROP``)
  is refused the same way, since a userspace proxy cannot make a connection
  attempt vanish;
- a closed frontend stops accepting, but its connections carry on to their end;
- an open frontend picks up its new route at once: endpoints that turned not
  ready get no new connections (UDP flows to endpoints that left are ended);
- frontends are opened with ``SO_REUSEADDR``; one that cannot be opened (port in
  use, privileged without the right, address not on this host) is reported to
  the caller and tried again at the next sync; load-balancer and external IPs
  that are not this host's addresses are skipped quietly (another node serves
  them). Two frontends on the same address and port: the first (by Service
  name) wins and the second is reported. SCTP is not proxied.

Cluster IPs must be addresses of this host: in the embedded profile they come
from 127.96.0.0/16, inside the loopback network Linux answers for entirely, so
no root and no interface setup is needed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from kubeling.proxy.node import NodeInfo
from kubeling.proxy.rules import Frontend, ServiceRule, Verdict, Via, frontends
from kubeling.proxy.serviceports import ServicePortName
from kubeling.proxy.userspace.balancer import ROUND_ROBIN, Balancer
from kubeling.proxy.userspace.shared import Shared, Statistics
from kubeling.proxy.userspace.sockets import (
    address_missing,
    default_max_connections,
    open_socket,
    raise_fd_limit,
)
from kubeling.proxy.userspace.tcp import TcpListener
from kubeling.proxy.userspace.udp import UdpListener

__all__ = ["PortProblem", "UserspaceBackend"]

log = logging.getLogger(__name__)

PROTOCOLS: Final = ("TCP", "UDP")

Key = tuple[str, int, str]


@dataclass(frozen=True, slots=True)
class PortProblem:
    """A frontend that could not be opened, and why."""

    frontend: Frontend
    message: str


def serves(frontend: Frontend) -> bool:
    """Whether some client may be forwarded through ``frontend``."""
    return Verdict.FORWARD in (frontend.route.verdict, frontend.host_route.verdict)


class UserspaceBackend:
    """Listens on the frontends of the rules it is given and forwards to their endpoints."""

    name: Final = "userspace"

    def __init__(
        self,
        *,
        strategy: str = ROUND_ROBIN,
        connect_timeout: float = 10.0,
        udp_idle_timeout: float = 30.0,
        max_connections: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_connections is None:
            max_connections = default_max_connections(raise_fd_limit())
        self.strategy = strategy
        self.clock = clock
        self.shared = Shared(
            node=NodeInfo(name=""),
            max_connections=max_connections,
            connect_timeout=connect_timeout,
            udp_idle_timeout=udp_idle_timeout,
            max_udp_flows=max_connections,
        )
        self._listeners: dict[Key, TcpListener | UdpListener] = {}
        self._balancers: dict[ServicePortName, Balancer] = {}
        self._unsupported: set[ServicePortName] = set()

    @property
    def listening(self) -> frozenset[Key]:
        """The (address, port, protocol) frontends open now."""
        return frozenset(self._listeners)

    def statistics(self) -> Statistics:
        return self.shared.stats

    async def sync(self, rules: Sequence[ServiceRule], node: NodeInfo) -> list[PortProblem]:
        """Open, update and close frontends to match ``rules``; return those that failed."""
        self.shared.node = node
        self._balancers = {rule.name: self._balancer(rule) for rule in rules}
        self._unsupported &= self._balancers.keys()
        problems: list[PortProblem] = []
        wanted: dict[Key, Frontend] = {}
        for frontend in frontends(rules, node):
            if frontend.protocol not in PROTOCOLS:
                self._warn_unsupported(frontend)
            elif not serves(frontend):
                continue
            elif frontend.key in wanted:
                other = wanted[frontend.key]
                problems.append(PortProblem(frontend, f"{_cant_open(frontend)}: in use by {other}"))
            else:
                wanted[frontend.key] = frontend
        for key in [k for k in self._listeners if k not in wanted]:
            self._listeners.pop(key).close()
            log.info("closed %s:%s/%s", *key)
        for key, frontend in wanted.items():
            problem = await self._open_or_update(key, frontend)
            if problem is not None:
                problems.append(problem)
        self.shared.local_ips = frozenset(ip for ip, _port, _proto in self._listeners)
        return problems

    async def close(self) -> None:
        """Close every frontend and every connection in progress."""
        for listener in self._listeners.values():
            listener.close()
        self._listeners.clear()
        await self.shared.stop()

    def _balancer(self, rule: ServiceRule) -> Balancer:
        balancer = self._balancers.get(rule.name)
        if balancer is None:
            return Balancer(
                affinity_seconds=rule.port.affinity_seconds,
                strategy=self.strategy,
                clock=self.clock,
            )
        balancer.configure(affinity_seconds=rule.port.affinity_seconds)
        return balancer

    async def _open_or_update(self, key: Key, frontend: Frontend) -> PortProblem | None:
        balancer = self._balancers[frontend.rule.name]
        listener = self._listeners.get(key)
        if listener is not None:
            listener.frontend, listener.balancer = frontend, balancer
            if isinstance(listener, UdpListener):
                listener.keep_only({*frontend.route.endpoints, *frontend.host_route.endpoints})
            return None
        try:
            sock = open_socket(frontend.ip, frontend.port, frontend.protocol)
        except OSError as err:
            if address_missing(err) and frontend.via in (Via.EXTERNAL_IP, Via.LOAD_BALANCER):
                log.debug("skipping %s: not an address of this host", frontend)
                return None
            return PortProblem(frontend, f"{_cant_open(frontend)}: {err.strerror or err}")
        opened: TcpListener | UdpListener
        if frontend.protocol == "TCP":
            opened = TcpListener(frontend, balancer, self.shared)
        else:
            opened = UdpListener(frontend, balancer, self.shared)
        try:
            await opened.start(sock)
        except BaseException:
            sock.close()
            raise
        self._listeners[key] = opened
        log.info("opened %s", frontend)
        return None

    def _warn_unsupported(self, frontend: Frontend) -> None:
        if frontend.rule.name not in self._unsupported:
            self._unsupported.add(frontend.rule.name)
            log.warning("%s: the userspace proxy does not proxy %s", frontend, frontend.protocol)


def _cant_open(frontend: Frontend) -> str:
    """kube-proxy's words for a port it cannot hold."""
    return f"can't open port {frontend}, skipping it"
