"""UDP frontends of the userspace proxy: one flow per client, closed when idle.

The first datagram from a client address (IP and port) opens a *flow*: an
endpoint is picked for it and a socket connected to that endpoint carries the
client's datagrams there and the endpoint's answers back, sent from the
frontend's own address so the client sees the Service answer. Later datagrams
of the client follow its flow, as conntrack entries do for kube-proxy. A flow
ends when it has been idle for the idle timeout, when the endpoint answers with
an ICMP error (its next datagram then picks again), or when its endpoint
leaves the rules (kube-proxy clears such stale UDP conntrack entries too).

Datagrams that the rules do not forward, from outside
``loadBalancerSourceRanges``, or that would open a flow past the proxy's flow
limit are dropped, as a datagram can be; a flow still connecting holds at most a
few datagrams.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Final, cast

from kubeling.proxy.endpoints import Endpoint
from kubeling.proxy.rules import Frontend, Verdict, source_allowed
from kubeling.proxy.userspace.balancer import Balancer
from kubeling.proxy.userspace.shared import Shared

__all__ = ["UdpListener"]

log = logging.getLogger(__name__)

#: Datagrams a flow holds while its socket to the endpoint is being opened.
PENDING_DATAGRAMS: Final = 64

Address = tuple[str, int]


class UdpListener(asyncio.DatagramProtocol):
    """A UDP frontend. ``frontend`` and ``balancer`` may be replaced at any time: new flows
    use the current ones."""

    def __init__(self, frontend: Frontend, balancer: Balancer, shared: Shared) -> None:
        self.frontend = frontend
        self.balancer = balancer
        self.shared = shared
        self.transport: asyncio.DatagramTransport | None = None
        self.flows: dict[Address, _Flow] = {}
        self._reaper: asyncio.Task[None] | None = None

    async def start(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: self, sock=sock)
        self._reaper = loop.create_task(self._reap_idle(), name=f"reaper {self.frontend}")

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Python 3.11's selector transport does not subclass DatagramTransport.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Address) -> None:
        flow = self.flows.get(addr)
        if flow is None:
            flow = self._open_flow(addr)
            if flow is None:
                self.shared.stats.udp_dropped += 1
                return
        flow.send(data)

    def error_received(self, exc: Exception) -> None:
        log.debug("%s: %s", self.frontend, exc)

    def _open_flow(self, client: Address) -> _Flow | None:
        shared, frontend = self.shared, self.frontend
        client_ip = str(client[0])
        route = frontend.host_route if shared.from_host(client_ip) else frontend.route
        if (
            route.verdict is not Verdict.FORWARD
            or shared.stats.udp_flows >= shared.max_udp_flows
            or not source_allowed(frontend, client_ip, shared.node)
        ):
            return None
        endpoint = self.balancer.pick(route.endpoints, client_ip)
        if endpoint is None:
            return None
        flow = _Flow(self, client, endpoint)
        self.flows[client] = flow
        shared.stats.udp_flows += 1
        shared.spawn(flow.open(), name=f"udp flow {frontend} {client_ip}")
        return flow

    def reply(self, data: bytes, client: Address) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(data, client)

    def end_flow(self, flow: _Flow) -> None:
        if self.flows.get(flow.client) is flow:
            del self.flows[flow.client]
            self.shared.stats.udp_flows -= 1
        flow.close()

    def keep_only(self, endpoints: set[Endpoint]) -> None:
        """End the flows whose endpoint left the rules."""
        for flow in [f for f in self.flows.values() if f.endpoint not in endpoints]:
            self.end_flow(flow)

    async def _reap_idle(self) -> None:
        timeout = self.shared.udp_idle_timeout
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(max(0.05, timeout / 4))
            horizon = loop.time() - timeout
            for flow in [f for f in self.flows.values() if f.last_active < horizon]:
                self.end_flow(flow)

    def close(self) -> None:
        """Stop receiving and end every flow."""
        if self._reaper is not None:
            self._reaper.cancel()
        for flow in list(self.flows.values()):
            self.end_flow(flow)
        if self.transport is not None:
            self.transport.close()


class _Flow(asyncio.DatagramProtocol):
    """One client's datagrams to and from its endpoint."""

    def __init__(self, listener: UdpListener, client: Address, endpoint: Endpoint) -> None:
        self.listener = listener
        self.client = client
        self.endpoint = endpoint
        self.transport: asyncio.DatagramTransport | None = None
        self.pending: list[bytes] = []
        self.closed = False
        self.last_active = asyncio.get_running_loop().time()

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.create_datagram_endpoint(
                lambda: self, remote_addr=(self.endpoint.ip, self.endpoint.port)
            )
        except OSError as err:
            log.debug("udp flow to %s failed: %s", self.endpoint, err)
            self.listener.end_flow(self)
            return
        if self.closed:
            self.close()
            return
        pending, self.pending = self.pending, []
        for data in pending:
            self.send(data)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Python 3.11's selector transport does not subclass DatagramTransport.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def send(self, data: bytes) -> None:
        self.last_active = asyncio.get_running_loop().time()
        if self.transport is not None:
            self.transport.sendto(data)
        elif len(self.pending) < PENDING_DATAGRAMS:
            self.pending.append(data)

    def datagram_received(self, data: bytes, addr: Address) -> None:
        self.last_active = asyncio.get_running_loop().time()
        self.listener.reply(data, self.client)

    def error_received(self, exc: Exception) -> None:
        # The endpoint is gone (ICMP port unreachable): the next datagram picks again.
        log.debug("udp flow to %s: %s", self.endpoint, exc)
        self.listener.end_flow(self)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()
