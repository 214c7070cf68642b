"""TCP frontends of the userspace proxy: accept, pick an endpoint, relay both ways.

Each accepted connection picks an endpoint from the frontend's route at that
moment (the host route for clients on this host, see
:attr:`~kubeling.proxy.rules.Frontend.host_route`) and connects to it; if the
endpoint refuses or does not answer within the connect timeout, another one is
tried (at most three in all), and when none answers the client is reset.
A connection the rules do not forward (rejected, dropped, from outside
``loadBalancerSourceRanges``) or over the proxy's connection limit is reset at
once. Frontends whose route forwards nothing are not listened on at all, so
clients get "connection refused" straight from the kernel, as kube-proxy's
``REJECT`` gives them; see :mod:`~kubeling.proxy.userspace.backend`.

Relaying is two small :class:`asyncio.Protocol` s wired to each other: bytes
received on one side are written to the other, a side whose peer's write
buffer is full stops reading until it drains (so a slow reader cannot make the
proxy buffer without bound), a half-close is passed on as a half-close, and a
reset as a reset. Connections already relaying keep going when the rules
change; only new connections follow the new rules.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Final

from kubeling.proxy.endpoints import Endpoint
from kubeling.proxy.rules import Frontend, Verdict, source_allowed
from kubeling.proxy.userspace.balancer import Balancer
from kubeling.proxy.userspace.shared import Shared
from kubeling.proxy.userspace.sockets import reset

__all__ = ["TcpListener"]

log = logging.getLogger(__name__)

#: Endpoints tried for one connection before the client is reset.
CONNECT_ATTEMPTS: Final = 3


class TcpListener:
    """A listening TCP frontend. ``frontend`` and ``balancer`` may be replaced at any time:
    new connections use the current ones."""

    def __init__(self, frontend: Frontend, balancer: Balancer, shared: Shared) -> None:
        self.frontend = frontend
        self.balancer = balancer
        self.shared = shared
        self._server: asyncio.Server | None = None

    async def start(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Client(self), sock=sock)

    def close(self) -> None:
        """Stop accepting; connections in progress carry on until they end."""
        if self._server is not None:
            self._server.close()


class _Side(asyncio.Protocol):
    """One socket of a relayed connection; ``other`` is the socket it relays to."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.other: _Side | None = None
        self.eof = False
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        other = self.other
        if other is not None and other.transport is not None:
            other.transport.write(data)

    def eof_received(self) -> bool:
        self.eof = True
        other = self.other
        if other is None or other.transport is None:
            return True  # passed on once the other side exists
        if not other.lost:
            other.transport.write_eof()
        # Both directions finished: let this side close (connection_lost closes the other).
        return not other.eof

    def pause_writing(self) -> None:
        # Our peer writes faster than our client reads: stop reading from the peer.
        if self.other is not None and self.other.transport is not None:
            self.other.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.other is not None and self.other.transport is not None:
            self.other.transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        other = self.other
        if other is None or other.lost or other.transport is None:
            return
        if exc is None:
            other.transport.close()  # after what is buffered for it is sent
        else:
            reset(other.transport)


class _Client(_Side):
    """The accepted side: decides where the connection goes, then connects there."""

    def __init__(self, listener: TcpListener) -> None:
        super().__init__()
        self.listener = listener
        self.counted = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        assert self.transport is not None
        listener, shared = self.listener, self.listener.shared
        peer = transport.get_extra_info("peername")
        client_ip = str(peer[0]) if peer else ""
        frontend = listener.frontend
        route = frontend.host_route if shared.from_host(client_ip) else frontend.route
        if (
            route.verdict is not Verdict.FORWARD
            or shared.stats.tcp_active >= shared.max_connections
            or not source_allowed(frontend, client_ip, shared.node)
        ):
            shared.stats.tcp_refused += 1
            reset(self.transport)
            return
        shared.stats.tcp_accepted += 1
        shared.stats.tcp_active += 1
        shared.relays.add(self)
        self.counted = True
        self.transport.pause_reading()  # nothing to relay to yet
        shared.spawn(
            self._connect(frontend, route.endpoints, client_ip), name=f"connect {frontend}"
        )

    async def _connect(
        self, frontend: Frontend, endpoints: tuple[Endpoint, ...], client_ip: str
    ) -> None:
        loop = asyncio.get_running_loop()
        shared = self.listener.shared
        tried: list[Endpoint] = []
        for _attempt in range(CONNECT_ATTEMPTS):
            endpoint = self.listener.balancer.pick(endpoints, client_ip, exclude=tried)
            if endpoint is None or self.lost:
                break
            try:
                async with asyncio.timeout(shared.connect_timeout):
                    _, upstream = await loop.create_connection(_Side, endpoint.ip, endpoint.port)
            except (OSError, TimeoutError) as err:
                log.debug("%s: endpoint %s failed: %s", frontend, endpoint, err)
                tried.append(endpoint)
                continue
            self._relay(upstream)
            return
        if not self.lost and self.transport is not None:
            shared.stats.tcp_upstream_failures += 1
            log.info("%s: no endpoint answered (tried %s)", frontend, ", ".join(map(str, tried)))
            reset(self.transport)

    def _relay(self, upstream: _Side) -> None:
        assert upstream.transport is not None
        assert self.transport is not None
        if self.lost:
            upstream.transport.close()  # the client left while we connected
            return
        self.other, upstream.other = upstream, self
        if self.eof:
            upstream.transport.write_eof()
        self.transport.resume_reading()

    def abort(self) -> None:
        """Reset both sides (the proxy is shutting down)."""
        for side in (self, self.other):
            if side is not None and side.transport is not None and not side.lost:
                reset(side.transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.counted:
            self.counted = False
            self.listener.shared.stats.tcp_active -= 1
            self.listener.shared.relays.discard(self)
        super().connection_lost(exc)
