"""The ingress's HTTP and HTTPS listeners: an HTTP/1.1 reverse proxy applying the table.

Each client connection is served request after request (keep-alive):

1. read the head (within ``header_timeout``: a client idle that long between
   requests is closed quietly), parse it strictly (:mod:`~kubeling.ingress.http1`;
   a malformed one gets 400 and the connection is closed);
2. match host and path against the current :class:`~kubeling.ingress.routes.RoutingTable`:
   no match is 404 (``404 page not found``), a backend without a ready endpoint
   503 (``no available server``), as Traefik answers;
3. pick an endpoint (round-robin per backend, :class:`~kubeling.proxy.userspace.balancer.Balancer`)
   and connect to it, straight to the pod's address and port; an endpoint that
   refuses or does not answer within ``connect_timeout`` is skipped for another
   (three tries), then 502;
4. send the head with ``Host`` kept, hop-by-hop headers dropped and
   ``X-Forwarded-For``/``-Proto``/``-Host``/``-Port`` and ``X-Real-IP`` added, and
   relay the request body while reading the response (so a backend may answer
   early, and ``100 Continue`` passes through), then relay the response;
5. ``101 Switching Protocols`` to a request that asked for an upgrade (WebSocket)
   turns the connection into a tunnel: bytes both ways until either side closes.

The connection to a backend is kept for the client's next request when it goes
to the same endpoint. Every read and write has a deadline (``idle_timeout``
without progress). At most ``max_connections`` clients are served at once;
more are closed as they arrive. Whatever a client or a backend sends, the
worst outcome is its own connection closed: errors are caught per connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from kubeling.ingress.http1 import (
    HOP_BY_HOP,
    MAX_HEAD,
    NO_BODY,
    BadMessage,
    Framing,
    Head,
    parse_request,
    parse_response,
    read_head,
    relay_body,
    request_framing,
    response_framing,
    serialize,
    simple_response,
)
from kubeling.ingress.matching import request_host
from kubeling.ingress.routes import Backend, RoutingTable
from kubeling.ingress.tls import CertificateStore
from kubeling.proxy.endpoints import Endpoint
from kubeling.proxy.userspace.balancer import ROUND_ROBIN, Balancer

__all__ = ["IngressServer", "Timeouts"]

log = logging.getLogger(__name__)

NOT_FOUND: Final = "404 page not found\n"
UNAVAILABLE: Final = "no available server\n"
BAD_GATEWAY: Final = "Bad Gateway\n"
GATEWAY_TIMEOUT: Final = "Gateway Timeout\n"
#: Endpoints tried for one request before answering 502.
CONNECT_TRIES: Final = 3
_BUFFER: Final = 64 * 1024


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Deadlines, in seconds (ingress-nginx's defaults where it has one)."""

    #: For a whole request head, and between keep-alive requests.
    header: float = 60.0
    #: Without a byte moving on a body or a tunnel (proxy-read/send-timeout).
    idle: float = 60.0
    #: To connect to an endpoint (proxy-connect-timeout).
    connect: float = 5.0
    #: For a TLS handshake.
    handshake: float = 10.0


class _Upstream:
    """An open connection to one endpoint."""

    def __init__(
        self, endpoint: Endpoint, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.endpoint = endpoint
        self.reader = reader
        self.writer = writer
        #: Requests sent on it so far.
        self.requests = 0

    @property
    def usable(self) -> bool:
        """Still open both ways (a backend may close an idle keep-alive connection)."""
        return not self.reader.at_eof() and not self.writer.is_closing()

    def close(self) -> None:
        self.writer.close()


class _StaleConnection(Exception):
    """A kept-alive backend connection closed as a request went out on it."""


class _Exchange:
    """One client connection's state."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, scheme: str
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.scheme = scheme
        peer = writer.get_extra_info("peername")
        sock = writer.get_extra_info("sockname")
        self.client_ip = str(peer[0]) if peer else ""
        self.local_port = str(sock[1]) if sock else ""
        self.upstream: _Upstream | None = None

    def drop_upstream(self) -> None:
        if self.upstream is not None:
            self.upstream.close()
            self.upstream = None


class IngressServer:
    """Serves HTTP (and HTTPS, given a :class:`CertificateStore`) by the current table."""

    def __init__(
        self,
        *,
        certificates: CertificateStore | None = None,
        timeouts: Timeouts = Timeouts(),
        max_connections: int = 4096,
        strategy: str = ROUND_ROBIN,
    ) -> None:
        self.table = RoutingTable()
        self.certificates = certificates
        self.timeouts = timeouts
        self.max_connections = max_connections
        self.strategy = strategy
        self.active = 0
        self._balancers: dict[str, Balancer] = {}
        self._servers: list[asyncio.Server] = []
        self._connections: dict[asyncio.Task[None], _Exchange] = {}
        #: Where each listener listens: scheme → (host, port).
        self.addresses: dict[str, tuple[str, int]] = {}

    # -- configuration --------------------------------------------------------------------

    def update(self, table: RoutingTable) -> list[str]:
        """Route new requests by ``table``; returns the TLS problems found."""
        self.table = table
        problems = self.certificates.update(table.certificates) if self.certificates else []
        # Balancers of backends that are gone are dropped (bounded by the table).
        keys = {backend.key for backend in table.backends()}
        self._balancers = {k: b for k, b in self._balancers.items() if k in keys}
        return problems

    def _balancer(self, backend: Backend) -> Balancer:
        balancer = self._balancers.get(backend.key)
        if balancer is None:
            balancer = self._balancers[backend.key] = Balancer(strategy=self.strategy)
        return balancer

    # -- listeners ------------------------------------------------------------------------

    async def listen(self, host: str, port: int, *, tls: bool = False) -> tuple[str, int]:
        """Start a listener; returns its address. OSError (PermissionError for a port the
        process may not bind) if it cannot."""
        scheme = "https" if tls else "http"
        context: ssl.SSLContext | None = None
        if tls:
            if self.certificates is None:
                raise ValueError("HTTPS needs certificates")
            context = self.certificates.default
        server = await asyncio.start_server(
            lambda r, w: self._accept(r, w, scheme),
            host,
            port,
            ssl=context,
            ssl_handshake_timeout=self.timeouts.handshake if tls else None,
            limit=MAX_HEAD,
            reuse_address=True,
            backlog=1024,
        )
        self._servers.append(server)
        address = server.sockets[0].getsockname()
        self.addresses[scheme] = (str(address[0]), int(address[1]))
        return self.addresses[scheme]

    async def close(self) -> None:
        """Stop listening, then end every connection."""
        for server in self._servers:
            server.close()
        # Aborting the sockets ends each connection's handler as a lost connection would
        # (cancelling those tasks would make asyncio's stream callback log them as errors).
        for exchange in self._connections.values():
            exchange.drop_upstream()
            exchange.writer.transport.abort()
        if self._connections:
            _done, pending = await asyncio.wait(self._connections, timeout=5)
            for task in pending:
                task.cancel()
        for server in self._servers:
            with contextlib.suppress(Exception):
                await server.wait_closed()
        self._servers.clear()

    async def _accept(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, scheme: str
    ) -> None:
        if self.active >= self.max_connections:
            writer.transport.abort()  # over the limit: costs an accept, nothing more
            return
        task = asyncio.current_task()
        assert task is not None
        self.active += 1
        exchange = _Exchange(reader, writer, scheme)
        self._connections[task] = exchange
        try:
            await self._serve(exchange)
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError, ssl.SSLError):
            pass  # the peer went away or stalled: its connection is all that ends
        except Exception:
            log.exception("ingress connection from %s failed", exchange.client_ip)
        finally:
            self.active -= 1
            self._connections.pop(task, None)
            exchange.drop_upstream()
            writer.close()

    # -- requests -------------------------------------------------------------------------

    async def _serve(self, exchange: _Exchange) -> None:
        while True:
            try:
                async with asyncio.timeout(self.timeouts.header):
                    data = await read_head(exchange.reader)
            except TimeoutError:
                return  # idle between requests, or a head too slow: closed quietly
            except BadMessage as err:
                await self._reply(exchange, err.status, f"{err.status} Bad Request\n", close=True)
                return
            if data is None:
                return
            try:
                request = parse_request(data)
                framing = request_framing(request)
            except BadMessage as err:
                await self._reply(exchange, err.status, f"{err.status} {err}\n", close=True)
                return
            if not await self._handle(exchange, request, framing):
                return

    async def _reply(
        self, exchange: _Exchange, status: int, body: str, *, close: bool, head_only: bool = False
    ) -> None:
        exchange.writer.write(simple_response(status, body, close=close, head_only=head_only))
        async with asyncio.timeout(self.timeouts.idle):
            await exchange.writer.drain()

    async def _handle(self, exchange: _Exchange, request: Head, framing: Framing) -> bool:
        """Serve one request; whether the connection may carry another."""
        keep_alive = _client_keeps_alive(request)
        host = request_host(_authority(request.target) or request.header("host") or "")
        head_only = request.method == "HEAD"
        if host is None:
            await self._reply(exchange, 400, "400 Bad Request\n", close=True, head_only=head_only)
            return False
        match = self.table.match(host, request.path)
        # The proxy's own answers keep the connection only if no body is left unread.
        own_close = not keep_alive or framing != NO_BODY
        if match is None:
            await self._reply(exchange, 404, NOT_FOUND, close=own_close, head_only=head_only)
            return not own_close
        backend = match.backend
        if not backend.endpoints:
            await self._reply(exchange, 503, UNAVAILABLE, close=own_close, head_only=head_only)
            return not own_close
        for _attempt in range(2):
            upstream = await self._connect(exchange, backend)
            if upstream is None:
                await self._reply(exchange, 502, BAD_GATEWAY, close=own_close, head_only=head_only)
                return not own_close
            try:
                return await self._forward(exchange, upstream, request, framing, keep_alive)
            except _StaleConnection:
                # The backend closed its idle connection as the request went out (a race
                # every keep-alive proxy has): nothing was sent back, so ask again anew.
                exchange.drop_upstream()
        return False

    async def _connect(self, exchange: _Exchange, backend: Backend) -> _Upstream | None:
        balancer = self._balancer(backend)
        failed: list[Endpoint] = []
        for _ in range(CONNECT_TRIES):
            endpoint = balancer.pick(backend.endpoints, exchange.client_ip, exclude=failed)
            if endpoint is None:
                break
            current = exchange.upstream
            if current is not None and current.endpoint == endpoint and current.usable:
                return current
            exchange.drop_upstream()
            try:
                async with asyncio.timeout(self.timeouts.connect):
                    reader, writer = await asyncio.open_connection(
                        endpoint.ip, endpoint.port, limit=MAX_HEAD
                    )
            except (OSError, TimeoutError) as err:
                log.info("ingress: endpoint %s of %s failed: %s", endpoint, backend.key, err)
                failed.append(endpoint)
                continue
            sock = writer.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            exchange.upstream = _Upstream(endpoint, reader, writer)
            return exchange.upstream
        return None

    def _upstream_head(self, exchange: _Exchange, request: Head, upgrade: bool) -> Head:
        named = request.tokens("connection")
        headers = [
            (k, v)
            for k, v in request.headers
            if k.lower() not in HOP_BY_HOP
            and k.lower() not in named
            and not k.lower().startswith("x-forwarded-")
            and k.lower() != "x-real-ip"
        ]
        if request_framing(request).kind == "chunked":
            headers.append(("Transfer-Encoding", "chunked"))
        forwarded_for = ", ".join([*request.values("x-forwarded-for"), exchange.client_ip])
        original_host = _authority(request.target) or request.header("host") or ""
        if _authority(request.target):
            # An absolute target's authority is the host (RFC 9112 3.2.2): Host follows it.
            headers = [(k, v) for k, v in headers if k.lower() != "host"]
            headers.insert(0, ("Host", original_host))
        headers += [
            ("X-Forwarded-For", forwarded_for),
            ("X-Forwarded-Host", original_host),
            ("X-Forwarded-Port", exchange.local_port),
            ("X-Forwarded-Proto", exchange.scheme),
            ("X-Real-IP", exchange.client_ip),
        ]
        if request.version == "HTTP/1.0":
            # Asked as HTTP/1.0, so that the answer is not chunked for a client that
            # cannot read chunks; the backend then closes after it.
            headers.append(("Connection", "close"))
        elif upgrade:
            headers += [("Connection", "upgrade"), ("Upgrade", request.header("upgrade") or "")]
        else:
            headers.append(("Connection", "keep-alive"))
        return Head((request.method, _origin_form(request.target), request.version), headers)

    async def _forward(
        self,
        exchange: _Exchange,
        upstream: _Upstream,
        request: Head,
        framing: Framing,
        keep_alive: bool,
    ) -> bool:
        upgrade = "upgrade" in request.tokens("connection") and bool(request.header("upgrade"))
        idle = self.timeouts.idle
        head_only = request.method == "HEAD"
        upstream.writer.write(serialize(self._upstream_head(exchange, request, upgrade)))
        upstream.requests += 1
        retryable = upstream.requests > 1 and framing == NO_BODY
        uploading: asyncio.Task[None] | None = None
        if framing != NO_BODY:
            uploading = asyncio.create_task(
                relay_body(exchange.reader, upstream.writer, framing, idle=idle)
            )
        try:
            response = await self._wait_response(exchange, upstream, request, uploading)
            if response is None:
                return False
            if response.status == 101:
                if not upgrade:
                    log.info("ingress: %s switched protocols unasked", upstream.endpoint)
                    await self._reply(exchange, 502, BAD_GATEWAY, close=True, head_only=head_only)
                    return False
                await self._send(exchange.writer, serialize(_client_head(response, request)))
                await _tunnel(exchange, upstream, idle)
                return False
            body = response_framing(response, request.method)
            close = not keep_alive or body.kind == "close"
            client_head = _client_head(response, request, close=close)
            await self._send(exchange.writer, serialize(client_head))
            try:
                await relay_body(upstream.reader, exchange.writer, body, idle=idle)
            except BadMessage:
                exchange.drop_upstream()  # cut short by the backend: the client sees it cut
                return False
            if uploading is not None:
                if not uploading.done():
                    return False  # answered before the body ended: the rest is not read
                uploading.result()
            if not _reusable(response, request, body):
                exchange.drop_upstream()
            return not close
        except _StaleConnection:
            if retryable:
                raise
            await self._reply(exchange, 502, BAD_GATEWAY, close=True, head_only=head_only)
            return False
        except (ConnectionError, TimeoutError, BadMessage) as err:
            exchange.drop_upstream()
            log.debug("ingress: request to %s failed: %s", upstream.endpoint, err)
            return False
        finally:
            if uploading is not None and not uploading.done():
                uploading.cancel()
                exchange.drop_upstream()
            if uploading is not None:
                with contextlib.suppress(BaseException):
                    await uploading

    async def _wait_response(
        self,
        exchange: _Exchange,
        upstream: _Upstream,
        request: Head,
        uploading: asyncio.Task[None] | None,
    ) -> Head | None:
        """The response head, unless the client's body breaks off first (then None: the
        connection is given up, as nothing sensible can be answered)."""
        answer = asyncio.create_task(self._response(exchange, upstream, request))
        if uploading is not None:
            await asyncio.wait({answer, uploading}, return_when=asyncio.FIRST_COMPLETED)
            if not answer.done() and uploading.exception() is not None:
                answer.cancel()
                await asyncio.gather(answer, return_exceptions=True)
                exchange.drop_upstream()
                return None
        return await answer

    async def _response(
        self, exchange: _Exchange, upstream: _Upstream, request: Head
    ) -> Head | None:
        """The backend's final (or 101) response head, after passing on 1xx ones; None
        when the client was answered with an error instead."""
        head_only = request.method == "HEAD"
        while True:
            try:
                async with asyncio.timeout(self.timeouts.idle):
                    data = await read_head(upstream.reader)
                if data is None:
                    raise _StaleConnection
                response = parse_response(data)
            except TimeoutError:
                exchange.drop_upstream()
                await self._reply(exchange, 504, GATEWAY_TIMEOUT, close=True, head_only=head_only)
                return None
            except ConnectionResetError as err:
                raise _StaleConnection from err
            except (BadMessage, ConnectionError) as err:
                log.info("ingress: bad response from %s: %s", upstream.endpoint, err)
                exchange.drop_upstream()
                await self._reply(exchange, 502, BAD_GATEWAY, close=True, head_only=head_only)
                return None
            if response.status == 101 or response.status >= 200:
                return response
            await self._send(exchange.writer, data)  # 100 Continue, 103 Early Hints

    async def _send(self, writer: asyncio.StreamWriter, data: bytes) -> None:
        writer.write(data)
        async with asyncio.timeout(self.timeouts.idle):
            await writer.drain()


def _origin_form(target: str) -> str:
    """``/path?query`` of an absolute-form target (``http://host/path?query``), as a
    backend expects it from a proxy in front of it; other forms as they are."""
    scheme, sep, rest = target.partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        return target
    slash = rest.find("/")
    if slash >= 0:
        return rest[slash:]
    query = rest.find("?")
    return "/" + (rest[query:] if query >= 0 else "")


def _authority(target: str) -> str:
    """The host of an absolute-form target (``http://host/path``), else ""."""
    _scheme, sep, rest = target.partition("://")
    return rest.split("/", 1)[0] if sep else ""


def _reusable(response: Head, request: Head, body: Framing) -> bool:
    """Whether the backend connection may carry another request after this exchange."""
    if body.kind == "close" or "close" in response.tokens("connection"):
        return False
    return request.version == "HTTP/1.1" and response.start[0] == "HTTP/1.1"


def _client_keeps_alive(request: Head) -> bool:
    tokens = request.tokens("connection")
    if request.version == "HTTP/1.0":
        return "keep-alive" in tokens
    return "close" not in tokens


def _client_head(response: Head, request: Head, *, close: bool = False) -> Head:
    """The backend's response head as the client gets it: hop-by-hop headers replaced by
    the client connection's own (framing and an upgrade are kept)."""
    named = response.tokens("connection")
    upgrade = response.status == 101
    headers = [
        (k, v)
        for k, v in response.headers
        if (k.lower() not in HOP_BY_HOP and k.lower() not in named)
        or (k.lower() == "transfer-encoding")
        or (upgrade and k.lower() == "upgrade")
    ]
    if upgrade:
        headers.append(("Connection", "Upgrade"))
    elif close:
        headers.append(("Connection", "close"))
    elif request.version == "HTTP/1.0":
        headers.append(("Connection", "keep-alive"))  # a 1.0 client assumes close otherwise
    return Head(("HTTP/1.1", response.start[1], response.start[2]), headers)


async def _pipe(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    idle: float,
    done: Callable[[], None],
) -> None:
    try:
        while True:
            async with asyncio.timeout(idle):
                data = await reader.read(_BUFFER)
            if not data:
                if writer.can_write_eof():
                    with contextlib.suppress(OSError):
                        writer.write_eof()  # a half-close passes on as one
                return
            writer.write(data)
            async with asyncio.timeout(idle):
                await writer.drain()
    except (ConnectionError, TimeoutError, OSError):
        done()


async def _tunnel(exchange: _Exchange, upstream: _Upstream, idle: float) -> None:
    """Relay bytes both ways (after a protocol switch) until both directions end or
    one fails or idles out."""
    client, backend = exchange, upstream
    stopped = asyncio.Event()
    tasks = [
        asyncio.create_task(_pipe(client.reader, backend.writer, idle, stopped.set)),
        asyncio.create_task(_pipe(backend.reader, client.writer, idle, stopped.set)),
    ]
    waiter = asyncio.create_task(stopped.wait())
    try:
        pending: set[asyncio.Task[Any]] = {*tasks, waiter}
        while waiter in pending and any(task in pending for task in tasks):
            _done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (*tasks, waiter):
            task.cancel()
        await asyncio.gather(*tasks, waiter, return_exceptions=True)
        exchange.drop_upstream()
