"""The DNS server's sockets: UDP and TCP on one address and port (the IO shell).

Everything a query means is decided by :class:`~kubeling.dns.handler.QueryHandler`;
this module moves bytes and keeps every resource bounded, because anyone who can
reach the address can send anything:

- UDP: datagrams are read in batches straight from the socket; answers from the
  zone are sent at once, without a task, and dropped rather than queued if the
  socket cannot take them. Forwarded queries and CNAME chases run as tasks,
  at most :attr:`~kubeling.dns.upstream.Forwarder.max_in_flight` at a time;
  past that the query is refused (REFUSED) at once, without a task.
- TCP (RFC 7766): two-byte length prefix, several queries per connection,
  answered in order; at most ``max_tcp_connections`` connections (more are
  closed at once), each closed after ``tcp_idle_timeout`` seconds without a
  query, on a length below a DNS header, or on a message that is a response.
- Nothing a client sends can stop the server: an unexpected error in handling
  one query is logged and that query dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from collections.abc import Coroutine
from typing import Any, Final

from kubeling.dns.handler import Chase, Forward, QueryHandler, Reply
from kubeling.dns.upstream import Forwarder
from kubeling.dns.wire import HEADER_SIZE, MAX_MESSAGE

__all__ = ["DnsServer"]

log = logging.getLogger(__name__)

DEFAULT_MAX_TCP_CONNECTIONS: Final = 256
DEFAULT_TCP_IDLE_TIMEOUT: Final = 10.0
#: Large enough for bursts of queries from many clients, bounded all the same.
_UDP_RECEIVE_BUFFER: Final = 4 * 1024 * 1024
#: How many datagrams one readiness of the UDP socket serves before the loop moves on.
_UDP_BATCH: Final = 64


class _UdpEndpoint:
    """The UDP socket, read straight from the event loop's selector.

    Each time the socket is readable, up to :data:`_UDP_BATCH` datagrams are read and
    answered in one go: under load one loop turn serves many queries (asyncio's datagram
    transport reads one per turn). Answers are sent without buffering: if the socket
    cannot take one, it is dropped, as the network may drop any datagram, rather than
    queued without bound.
    """

    def __init__(self, server: DnsServer, sock: socket.socket) -> None:
        self.server = server
        self.sock = sock
        self.loop = asyncio.get_running_loop()
        sock.setblocking(False)
        self.loop.add_reader(sock.fileno(), self._readable)

    def close(self) -> None:
        if self.sock.fileno() >= 0:
            self.loop.remove_reader(self.sock.fileno())
            self.sock.close()

    def _readable(self) -> None:
        for _ in range(_UDP_BATCH):
            try:
                data, addr = self.sock.recvfrom(MAX_MESSAGE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as err:
                # An ICMP error for an earlier answer (a client gone away): nothing to do.
                log.debug("UDP receive error: %r", err)
                continue
            self._query(data, addr)

    def _query(self, data: bytes, addr: Any) -> None:
        server = self.server
        try:
            action = server.handler.handle(data, tcp=False)
        except Exception:
            log.exception("DNS query from %s dropped: handling it failed", addr)
            return
        if action is None:
            return
        if isinstance(action, Reply):
            self.send(action.data, addr)
        elif server.busy():
            self.send(server.handler.refused(action), addr)
        else:
            server.spawn(self._complete(action, addr))

    async def _complete(self, action: Forward | Chase, addr: Any) -> None:
        self.send(await self.server.complete(action), addr)

    def send(self, data: bytes, addr: Any) -> None:
        try:
            self.sock.sendto(data, addr)
        except OSError as err:  # full (BlockingIOError), closed, unreachable: drop it
            log.debug("UDP answer to %s dropped: %r", addr, err)


class DnsServer:
    """Serves a :class:`QueryHandler` over UDP and TCP, forwarding through a :class:`Forwarder`."""

    def __init__(
        self,
        handler: QueryHandler,
        forwarder: Forwarder,
        *,
        max_tcp_connections: int = DEFAULT_MAX_TCP_CONNECTIONS,
        tcp_idle_timeout: float = DEFAULT_TCP_IDLE_TIMEOUT,
    ) -> None:
        self.handler = handler
        self.forwarder = forwarder
        self.max_tcp_connections = max_tcp_connections
        self.tcp_idle_timeout = tcp_idle_timeout
        self._connections: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._udp: _UdpEndpoint | None = None
        self._tcp: asyncio.Server | None = None
        self.address: tuple[str, int] | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, host: str, port: int) -> tuple[str, int]:
        """Listen on ``host``:``port`` over UDP and TCP (port 0: one free port for both).
        PermissionError (a port below 1024 without the right) and OSError (in use) pass."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        for _ in range(20 if port == 0 else 1):
            udp_socket = socket.socket(family, socket.SOCK_DGRAM)
            try:
                udp_socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _UDP_RECEIVE_BUFFER)
                udp_socket.bind((host, port))
                bound = udp_socket.getsockname()[1]
                tcp = await asyncio.start_server(
                    self._serve_connection, host, bound, reuse_address=True, backlog=128
                )
            except OSError as err:
                udp_socket.close()
                if port == 0 and err.errno == errno.EADDRINUSE:
                    continue  # the free UDP port was taken for TCP: try another
                raise
            self._udp, self._tcp = _UdpEndpoint(self, udp_socket), tcp
            self.address = (host, bound)
            return self.address
        raise OSError(errno.EADDRINUSE, f"no port free for both UDP and TCP on {host}")

    async def stop(self) -> None:
        """Stop listening, cancel forwards in flight, close connections."""
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()
        for writer in list(self._connections):
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._tcp is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1):
                    await self._tcp.wait_closed()

    def statistics(self) -> dict[str, int]:
        """The handler's counters with the server's own."""
        return {
            **self.handler.statistics(),
            "tcp_connections": len(self._connections),
            "tasks": len(self._tasks),
            "forwards_in_flight": self.forwarder.in_flight,
        }

    # -- work ------------------------------------------------------------------------------

    def busy(self) -> bool:
        """True when no more upstream work may start: as many tasks as forwards allowed."""
        return len(self._tasks) >= self.forwarder.max_in_flight or self.forwarder.saturated()

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run a forward or chase as a task the server tracks (and cancels on stop)."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("DNS forward failed", exc_info=task.exception())

    async def complete(self, action: Forward | Chase) -> bytes:
        """The answer to a query that needs an upstream."""
        if self.forwarder.saturated():  # TCP clients (UDP ones are refused before a task)
            return self.handler.refused(action)
        if isinstance(action, Forward):
            # A UDP client's query goes upstream over UDP as is: a truncated upstream
            # answer already fits it, and the client will come back over TCP.
            reply = await self.forwarder.exchange(action.query, tcp_on_truncation=action.tcp)
            return self.handler.forwarded(action, reply)
        reply = await self.forwarder.exchange(self.handler.chase_query(action))
        return self.handler.chased(action, reply)

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if len(self._connections) >= self.max_tcp_connections:
            writer.close()
            return
        self._connections.add(writer)
        try:
            await self._serve_queries(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass
        except Exception:
            log.exception("DNS TCP connection closed after an error")
        finally:
            self._connections.discard(writer)
            writer.close()

    async def _serve_queries(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        while True:
            async with asyncio.timeout(self.tcp_idle_timeout):
                prefix = await reader.readexactly(2)
                size = int.from_bytes(prefix, "big")
                if size < HEADER_SIZE:
                    return
                data = await reader.readexactly(size)
            action = self.handler.handle(data, tcp=True)
            if action is None:
                return
            answer = action.data if isinstance(action, Reply) else await self.complete(action)
            writer.write(len(answer).to_bytes(2, "big") + answer)
            async with asyncio.timeout(self.tcp_idle_timeout):
                await writer.drain()
