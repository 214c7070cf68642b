"""Probe handlers against real servers on 127.0.0.1: HTTP(S) GET, TCP, gRPC health."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from aiohttp import web
from grpc import aio

from kubeling.kubelet.prober import ProbeResult
from kubeling.kubelet.prober.grpcprobe import grpc_probe
from kubeling.kubelet.prober.httpget import HTTPGetError, http_get, http_get_request, http_probe
from kubeling.kubelet.prober.tcpprobe import tcp_probe
from kubeling.pki import ensure_pki
from tests.support.ports import free_port

Obj = dict[str, Any]


class HTTPServer:
    """An aiohttp app on 127.0.0.1 that records the requests it gets."""

    def __init__(self) -> None:
        self.requests: list[web.Request] = []
        self.port = 0
        self.tls_port = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request)
        path = request.path
        if path == "/ok":
            return web.Response(text="fine")
        if path == "/fail":
            return web.Response(status=503, text="down")
        if path == "/same":
            raise web.HTTPFound("/ok")
        if path == "/other":
            raise web.HTTPFound(f"http://localhost:{self.port}/ok")
        if path.startswith("/loop"):
            raise web.HTTPFound(f"/loop{len(self.requests)}")
        if path == "/slow":
            await asyncio.sleep(5)
        return web.Response(status=404)


@pytest.fixture
async def http_server(tmp_path: Path) -> AsyncIterator[HTTPServer]:
    server = HTTPServer()
    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    server.port, server.tls_port = free_port(), free_port()
    pki = ensure_pki(tmp_path / "pki", server_names=["localhost"], server_ips=["127.0.0.1"])
    await web.TCPSite(runner, "127.0.0.1", server.port).start()
    await web.TCPSite(
        runner, "127.0.0.1", server.tls_port, ssl_context=pki.server_ssl_context()
    ).start()
    try:
        yield server
    finally:
        await runner.cleanup()


async def probe(server: HTTPServer, path: str, **action: Any) -> tuple[ProbeResult, str]:
    return await http_probe({"port": server.port, "path": path, **action}, {}, "127.0.0.1", 1)


async def test_http_statuses(http_server: HTTPServer) -> None:
    """2xx succeeds with the body as output; other codes fail with Kubernetes' message."""
    assert await probe(http_server, "/ok") == (ProbeResult.SUCCESS, "fine")
    assert await probe(http_server, "/fail") == (
        ProbeResult.FAILURE,
        "HTTP probe failed with statuscode: 503",
    )


async def test_http_redirects(http_server: HTTPServer) -> None:
    """Same host: followed; another host: a warning; more than 10: a failure."""
    assert await probe(http_server, "/same") == (ProbeResult.SUCCESS, "fine")
    result, output = await probe(http_server, "/other")
    assert result is ProbeResult.WARNING
    assert output.startswith("Probe terminated redirects, Response body: ")
    result, output = await probe(http_server, "/loop")
    assert result is ProbeResult.FAILURE
    assert output.endswith(": stopped after 10 redirects")
    assert len([r for r in http_server.requests if r.path.startswith("/loop")]) == 11


async def test_http_headers_and_host(http_server: HTTPServer) -> None:
    headers = [{"name": "Host", "value": "example.test"}, {"name": "X-Token", "value": "t"}]
    assert (await probe(http_server, "/ok", httpHeaders=headers))[0] is ProbeResult.SUCCESS
    request = http_server.requests[-1]
    assert request.headers["Host"] == "example.test"
    assert request.headers["X-Token"] == "t"
    assert request.headers["User-Agent"] == "kube-probe/1.32"
    assert request.headers["Accept"] == "*/*"


async def test_https_is_not_verified(http_server: HTTPServer) -> None:
    action = {"port": http_server.tls_port, "path": "/ok", "scheme": "HTTPS"}
    assert await http_probe(action, {}, "127.0.0.1", 1) == (ProbeResult.SUCCESS, "fine")


async def test_https_to_a_plain_http_server_is_recognised(http_server: HTTPServer) -> None:
    """Lifecycle hooks retry such a request over HTTP; they need to know."""
    request = http_get_request({"port": http_server.port, "scheme": "HTTPS"}, {}, "127.0.0.1", "x")
    with pytest.raises(HTTPGetError) as err:
        await http_get(request, 1)
    assert err.value.http_response_to_https


async def test_http_errors_read_as_go_prints_them(http_server: HTTPServer) -> None:
    port = free_port()
    result, output = await http_probe({"port": port, "path": "/"}, {}, "127.0.0.1", 1)
    assert result is ProbeResult.FAILURE
    assert output == (
        f'Get "http://127.0.0.1:{port}/": dial tcp 127.0.0.1:{port}: connect: connection refused'
    )
    result, output = await probe(http_server, "/slow")
    assert result is ProbeResult.FAILURE
    assert output == (
        f'Get "http://127.0.0.1:{http_server.port}/slow": context deadline exceeded '
        "(Client.Timeout exceeded while awaiting headers)"
    )


async def test_tcp(http_server: HTTPServer) -> None:
    assert await tcp_probe("127.0.0.1", http_server.port, 1) == (ProbeResult.SUCCESS, "")
    port = free_port()
    assert await tcp_probe("127.0.0.1", port, 1) == (
        ProbeResult.FAILURE,
        f"dial tcp 127.0.0.1:{port}: connect: connection refused",
    )


@pytest.fixture
async def grpc_server() -> AsyncIterator[int]:
    """A gRPC server whose health service knows "" (SERVING) and "db" (NOT_SERVING)."""

    def check(request: bytes, context: grpc.ServicerContext) -> bytes:
        if request == b"\x0a\x07missing":
            context.abort(grpc.StatusCode.NOT_FOUND, "unknown service")
        return b"\x08\x01" if request == b"" else b"\x08\x02"

    server = aio.server()
    handler = grpc.method_handlers_generic_handler(
        "grpc.health.v1.Health", {"Check": grpc.unary_unary_rpc_method_handler(check)}
    )
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield port
    finally:
        await server.stop(0)


async def test_grpc(grpc_server: int) -> None:
    assert await grpc_probe("127.0.0.1", grpc_server, "", 1) == (
        ProbeResult.SUCCESS,
        "service healthy",
    )
    assert await grpc_probe("127.0.0.1", grpc_server, "db", 1) == (
        ProbeResult.FAILURE,
        'service unhealthy (responded with "NOT_SERVING")',
    )
    assert await grpc_probe("127.0.0.1", grpc_server, "missing", 1) == (
        ProbeResult.FAILURE,
        "error: health rpc probe failed: rpc error: code = NotFound desc = unknown service",
    )


async def test_grpc_without_the_health_service(http_server: HTTPServer) -> None:
    """A gRPC server that lacks the health service, and no server at all."""
    server = aio.server()
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        result, output = await grpc_probe("127.0.0.1", port, "", 1)
    finally:
        await server.stop(0)
    assert result is ProbeResult.FAILURE
    assert output.startswith(
        "this server doesn't implement the grpc health protocol (grpc.health.v1.Health): "
    )
    closed = free_port()
    assert await grpc_probe("127.0.0.1", closed, "", 1) == (
        ProbeResult.FAILURE,
        f'timeout: failed to connect service "127.0.0.1:{closed}" within 1s: '
        "context deadline exceeded",
    )
