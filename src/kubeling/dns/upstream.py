"""Forwarding names outside the cluster domain to the host's resolvers.

The upstreams are the ``nameserver`` lines of the host's ``/etc/resolv.conf``
(read once at start), without this server's own address: a host that uses the
cluster DNS as its resolver must not make it forward to itself.

:meth:`Forwarder.exchange` sends a query to each upstream in turn until one
answers: over UDP, then over TCP when the UDP answer is truncated (for clients
that can take the whole answer), within a timeout per upstream. Every query
leaves with a fresh random id from a fresh socket (a random source port), and
only a reply with that id, the QR bit, the same question and a well-formed body
is accepted: anything else arriving on the socket is ignored, so a spoofed or
garbled packet cannot become an answer. The number of queries in flight is
bounded; past it, callers refuse at once (CoreDNS's ``max_concurrent`` answers
REFUSED too) rather than queueing without limit.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import secrets
from collections.abc import Callable, Iterable, Sequence
from typing import Final

from kubeling.dns.message import Flags
from kubeling.dns.wire import HEADER_SIZE, FormatError, decode_message

__all__ = [
    "DEFAULT_MAX_IN_FLIGHT",
    "DEFAULT_TIMEOUT",
    "Forwarder",
    "nameservers",
    "parse_upstream",
    "upstreams_from_resolv_conf",
]

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT: Final = 2.0
DEFAULT_MAX_IN_FLIGHT: Final = 1000
DNS_PORT: Final = 53


def nameservers(resolv_conf: str) -> list[str]:
    """The ``nameserver`` addresses of a resolv.conf, in order (invalid ones skipped).

    >>> nameservers("# x\\nnameserver 10.0.0.2\\nsearch a\\nnameserver fe80::1%eth0\\nnameserver x")
    ['10.0.0.2', 'fe80::1%eth0']
    """
    found: list[str] = []
    for line in resolv_conf.splitlines():
        words = line.split()
        if len(words) < 2 or words[0] != "nameserver":
            continue
        address = words[1]
        try:
            ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            continue
        found.append(address)
    return found


def upstreams_from_resolv_conf(
    resolv_conf: str, *, exclude: Iterable[str] = ()
) -> list[tuple[str, int]]:
    """Where to forward: the resolv.conf's nameservers on port 53, except ``exclude``
    (this server's own addresses).

    >>> upstreams_from_resolv_conf("nameserver 127.96.0.10\\nnameserver 1.1.1.1",
    ...                            exclude=["127.96.0.10"])
    [('1.1.1.1', 53)]
    """
    own = {str(ipaddress.ip_address(address)) for address in exclude}
    return [
        (address, DNS_PORT)
        for address in nameservers(resolv_conf)
        if str(ipaddress.ip_address(address.split("%", 1)[0])) not in own
    ]


def parse_upstream(text: str) -> tuple[str, int]:
    """An upstream given as ``address``, ``address:port`` or ``[ipv6]:port``.

    >>> parse_upstream("10.0.0.2"), parse_upstream("127.0.0.1:5353"), parse_upstream("[::1]:53")
    (('10.0.0.2', 53), ('127.0.0.1', 5353), ('::1', 53))
    """
    host, port = text, DNS_PORT
    try:
        if text.startswith("["):
            host, _, rest = text[1:].partition("]")
            if rest:
                port = int(rest.removeprefix(":"))
        elif text.count(":") == 1:
            host, _, number = text.partition(":")
            port = int(number)
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        raise ValueError(f"not an ADDRESS[:PORT]: {text!r}") from None
    if not 0 < port < 65536:
        raise ValueError(f"not a port: {port} in {text!r}")
    return host, port


def _question_end(data: bytes) -> int:
    """Where the (single) question of a message ends."""
    pos = HEADER_SIZE
    while True:
        if pos >= len(data):
            raise FormatError("question runs past the end")
        length = data[pos]
        if length & 0xC0 == 0xC0:
            pos += 2
            break
        pos += 1 + length
        if length == 0:
            break
    if pos + 4 > len(data):
        raise FormatError("question runs past the end")
    return pos + 4


def _question(data: bytes) -> tuple[bytes, bytes]:
    """A message's question as compared: the name case-insensitively, type and class as are."""
    end = _question_end(data)
    return data[HEADER_SIZE : end - 4].lower(), data[end - 4 : end]


class _Collector(asyncio.DatagramProtocol):
    """Takes the first datagram that is the reply to one query."""

    def __init__(self, accept: Callable[[bytes], bool]) -> None:
        self.accept = accept
        self.reply: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: object) -> None:
        if not self.reply.done() and self.accept(data):
            self.reply.set_result(data)

    def error_received(self, exc: Exception) -> None:
        if not self.reply.done():
            self.reply.set_exception(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.reply.done():
            self.reply.set_exception(exc or ConnectionError("socket closed"))


class Forwarder:
    """Sends queries to upstream resolvers and returns their replies."""

    def __init__(
        self,
        upstreams: Sequence[tuple[str, int]],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    ) -> None:
        self.upstreams = list(upstreams)
        self.timeout = timeout
        self.max_in_flight = max_in_flight
        self.in_flight = 0

    def saturated(self) -> bool:
        """True when no more queries may be sent until some come back."""
        return self.in_flight >= self.max_in_flight

    async def exchange(self, query: bytes, *, tcp_on_truncation: bool = True) -> bytes | None:
        """The first acceptable upstream reply to ``query`` (its id is replaced by a fresh
        one, which the reply carries), or None if no upstream gave one in time."""
        self.in_flight += 1
        try:
            ident = secrets.randbits(16)
            packet = ident.to_bytes(2, "big") + query[2:]
            question = _question(packet)

            def accept(reply: bytes) -> bool:
                return _is_reply(reply, ident, question)

            for host, port in self.upstreams:
                try:
                    async with asyncio.timeout(self.timeout):
                        reply = await self._udp(host, port, packet, accept)
                    if tcp_on_truncation and reply[2] & (Flags.TC >> 8):
                        async with asyncio.timeout(self.timeout):
                            tcp_reply = await self._tcp(host, port, packet)
                        if accept(tcp_reply):
                            reply = tcp_reply
                    return reply
                except (OSError, TimeoutError, asyncio.IncompleteReadError) as err:
                    log.debug("upstream %s:%s failed: %r", host, port, err)
            return None
        finally:
            self.in_flight -= 1

    async def _udp(
        self, host: str, port: int, packet: bytes, accept: Callable[[bytes], bool]
    ) -> bytes:
        loop = asyncio.get_running_loop()
        transport, collector = await loop.create_datagram_endpoint(
            lambda: _Collector(accept), remote_addr=(host, port)
        )
        try:
            transport.sendto(packet)
            return await collector.reply
        finally:
            transport.close()

    async def _tcp(self, host: str, port: int, packet: bytes) -> bytes:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(len(packet).to_bytes(2, "big") + packet)
            await writer.drain()
            size = int.from_bytes(await reader.readexactly(2), "big")
            return await reader.readexactly(size)
        finally:
            writer.close()


def _is_reply(reply: bytes, ident: int, question: tuple[bytes, bytes]) -> bool:
    if len(reply) < HEADER_SIZE or int.from_bytes(reply[:2], "big") != ident:
        return False
    if not reply[2] & (Flags.QR >> 8):
        return False
    try:
        if _question(reply) != question:
            return False
        decode_message(reply)
    except FormatError:
        return False
    return True
