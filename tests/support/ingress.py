"""Backends and clients for the ingress tests.

``WebBackend`` is an aiohttp server standing in for a pod: every path answers
JSON with its name and what it received (method, path, headers); ``/upload``
counts a streamed request body, ``/stream`` answers in chunks, ``/ws`` is a
WebSocket echo. ``request`` is a one-shot HTTP/1.1 client over a raw socket
(plain or TLS with any SNI name), so tests send exactly the bytes they mean.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web
from cryptography import x509
from cryptography.x509.oid import NameOID

__all__ = ["Response", "WebBackend", "raw_exchange", "request", "served_certificate_cn"]


class WebBackend:
    """An HTTP server on 127.0.0.1 that says who it is and what it got."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.port = 0
        self.hits = 0
        self._runner: web.AppRunner | None = None

    async def _echo(self, req: web.Request) -> web.Response:
        self.hits += 1
        body = {
            "name": self.name,
            "method": req.method,
            "path": req.path_qs,
            "headers": {k.lower(): v for k, v in req.headers.items()},
        }
        return web.json_response(body)

    async def _upload(self, req: web.Request) -> web.Response:
        size = 0
        async for data in req.content.iter_any():
            size += len(data)
        return web.json_response({"name": self.name, "received": size})

    async def _stream(self, req: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(req)
        for i in range(int(req.query.get("chunks", "3"))):
            await response.write(f"{self.name}-{i};".encode())
        await response.write_eof()
        return response

    async def _ws(self, req: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(req)
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await ws.send_str(f"{self.name}:{msg.data}")
        return ws

    async def start(self) -> WebBackend:
        app = web.Application()
        app.router.add_get("/ws", self._ws)
        app.router.add_post("/upload", self._upload)
        app.router.add_get("/stream", self._stream)
        app.router.add_route("*", "/{tail:.*}", self._echo)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.body)
        return value


def _client_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the tests look at the certificate themselves
    return context


async def raw_exchange(
    port: int, data: bytes, *, tls_name: str | None = None, within: float = 10.0
) -> bytes:
    """Send ``data`` to 127.0.0.1:``port`` (TLS with SNI ``tls_name`` if given) and read
    until the server closes."""
    async with asyncio.timeout(within):
        reader, writer = await asyncio.open_connection(
            "127.0.0.1",
            port,
            ssl=_client_context() if tls_name is not None else None,
            server_hostname=tls_name,
        )
        try:
            writer.write(data)
            return await reader.read()
        finally:
            writer.close()


def _parse(raw: bytes) -> Response:
    head, _sep, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _colon, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding") == "chunked":
        decoded = b""
        while body:
            size_line, _crlf, body = body.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            decoded, body = decoded + body[:size], body[size + 2 :]
        body = decoded
    return Response(status, headers, body)


async def request(
    port: int,
    host: str,
    path: str = "/",
    *,
    method: str = "GET",
    tls_name: str | None = None,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
) -> Response:
    """One request with ``Host: host`` on its own connection."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    raw = await raw_exchange(
        port, ("\r\n".join(lines) + "\r\n\r\n").encode() + body, tls_name=tls_name
    )
    return _parse(raw)


async def served_certificate_cn(port: int, server_name: str | None) -> str:
    """The common name of the certificate served on a TLS handshake naming ``server_name``."""
    async with asyncio.timeout(10):
        _reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=_client_context(), server_hostname=server_name
        )
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True)
    finally:
        writer.close()
    cert = x509.load_der_x509_certificate(der)
    return str(cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)
