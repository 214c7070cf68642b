"""The ingress's HTTP server with real sockets: routing, proxying, TLS, limits, bad input.

No API server here: each test builds a routing table with the pure
``compute_routes`` from objects that point at small aiohttp servers on
127.0.0.1 (pods' stand-ins), and talks to the ingress with raw HTTP/1.1.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import AsyncIterator

import aiohttp
import pytest

from kubeling.ingress.routes import compute_routes
from kubeling.ingress.server import IngressServer, Timeouts
from kubeling.ingress.tls import CertificateStore
from kubeling.pki import self_signed_serving_cert
from tests.support.backends import open_fds
from tests.support.ingress import (
    WebBackend,
    raw_exchange,
    request,
    served_certificate_cn,
)
from tests.support.ingress_objects import (
    Obj,
    backend,
    endpoint_slice,
    ingress,
    path,
    rule,
    service,
    tls_secret,
)
from tests.support.waiting import eventually

DEFAULT_CN = "Kubernetes Ingress Controller Fake Certificate"


@pytest.fixture
async def pods() -> AsyncIterator[list[WebBackend]]:
    servers = [await WebBackend(f"pod-{n}").start() for n in range(3)]
    yield servers
    for server in servers:
        await server.close()


@pytest.fixture
async def ingress_server() -> AsyncIterator[IngressServer]:
    cert, key = self_signed_serving_cert(DEFAULT_CN)
    server = IngressServer(
        certificates=CertificateStore(cert, key),
        timeouts=Timeouts(header=1.0, idle=2.0, connect=1.0, handshake=1.0),
        max_connections=64,
    )
    await server.listen("127.0.0.1", 0)
    await server.listen("127.0.0.1", 0, tls=True)
    yield server
    await server.close()


def http_port(server: IngressServer) -> int:
    return server.addresses["http"][1]


def https_port(server: IngressServer) -> int:
    return server.addresses["https"][1]


def route(
    server: IngressServer,
    ingresses: list[Obj],
    pods: list[WebBackend],
    *,
    ready: dict[str, list[WebBackend]] | None = None,
    secrets: list[Obj] | None = None,
) -> None:
    """Apply a table where Service ``web`` is pods 0 and 1, ``api`` pod 2 (or ``ready``)."""
    members = ready or {"web": pods[:2], "api": pods[2:]}
    services = [service(name, ("http", 80)) for name in ("web", "api", "empty")]
    slices = [
        endpoint_slice(name, "http", p.port, "127.0.0.1")
        | {
            "metadata": {
                "name": f"{name}-{p.port}",
                "namespace": "ns",
                "labels": {"kubernetes.io/service-name": name},
            }
        }
        for name, backends in members.items()
        for p in backends
    ]
    # One slice per pod (different ports), as the slice controller makes per port number.
    table = compute_routes(ingresses, services, slices, secrets or [], classes=None)
    assert server.update(table) == []


TWO_HOSTS = [
    ingress(
        "site",
        rule("web.test", path("/", "web"), path("/api", "api")),
        rule("*.apps.test", path("/", "api")),
        rule("down.test", path("/", "empty")),
    )
]


async def test_hosts_and_paths(ingress_server: IngressServer, pods: list[WebBackend]) -> None:
    """Requests go by Host and path; the answer comes from the right pod."""
    route(ingress_server, TWO_HOSTS, pods)
    port = http_port(ingress_server)
    assert (await request(port, "web.test", "/")).json()["name"] in ("pod-0", "pod-1")
    assert (await request(port, "web.test", "/api/x")).json()["name"] == "pod-2"
    assert (await request(port, "x.apps.test:8080", "/")).json()["name"] == "pod-2"


async def test_balances_over_ready_endpoints(
    ingress_server: IngressServer, pods: list[WebBackend]
) -> None:
    """Round-robin over the Service's endpoints."""
    route(ingress_server, TWO_HOSTS, pods)
    names = Counter(
        [(await request(http_port(ingress_server), "web.test")).json()["name"] for _ in range(6)]
    )
    assert names == Counter({"pod-0": 3, "pod-1": 3})


async def test_404_and_503(ingress_server: IngressServer, pods: list[WebBackend]) -> None:
    """Nothing matches: 404; a backend with no ready endpoint: 503; plain small bodies."""
    route(ingress_server, TWO_HOSTS, pods)
    port = http_port(ingress_server)
    missing = await request(port, "nobody.test")
    assert (missing.status, missing.body) == (404, b"404 page not found\n")
    assert missing.headers["content-type"] == "text/plain; charset=utf-8"
    down = await request(port, "down.test")
    assert (down.status, down.body) == (503, b"no available server\n")


async def test_forwarded_headers_and_host(
    ingress_server: IngressServer, pods: list[WebBackend]
) -> None:
    """Host is kept; X-Forwarded-* are added (For appended); hop-by-hop headers dropped."""
    route(ingress_server, TWO_HOSTS, pods)
    answer = await request(
        http_port(ingress_server),
        "web.test",
        "/q?x=1",
        headers={"X-Forwarded-For": "10.9.9.9", "Keep-Alive": "timeout=5", "X-Custom": "yes"},
    )
    seen = answer.json()
    assert seen["path"] == "/q?x=1"
    headers = seen["headers"]
    assert headers["host"] == "web.test"
    assert headers["x-forwarded-for"] == "10.9.9.9, 127.0.0.1"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-forwarded-host"] == "web.test"
    assert headers["x-real-ip"] == "127.0.0.1"
    assert headers["x-custom"] == "yes"
    assert "keep-alive" not in headers


async def test_keep_alive_serves_many_requests(
    ingress_server: IngressServer, pods: list[WebBackend]
) -> None:
    """One client connection carries several requests, balanced each."""
    route(ingress_server, TWO_HOSTS, pods)
    one = b"GET / HTTP/1.1\r\nHost: web.test\r\n\r\n"
    last = b"GET /api HTTP/1.1\r\nHost: web.test\r\nConnection: close\r\n\r\n"
    raw = await raw_exchange(http_port(ingress_server), one * 3 + last)
    assert raw.count(b"HTTP/1.1 200 OK") == 4
    assert b"pod-0" in raw
    assert b"pod-1" in raw
    assert b"pod-2" in raw


async def test_streams_bodies_both_ways(
    ingress_server: IngressServer, pods: list[WebBackend]
) -> None:
    """A large upload (by length and chunked) and a chunked download go through."""
    route(ingress_server, [ingress("up", rule("web.test", path("/", "api")))], pods)
    port = http_port(ingress_server)
    big = os.urandom(3 * 1024 * 1024)
    uploaded = await request(port, "web.test", "/upload", method="POST", body=big)
    assert uploaded.json() == {"name": "pod-2", "received": len(big)}
    url = f"http://127.0.0.1:{port}/upload"

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 100_000

    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=chunks(), headers={"Host": "web.test"}) as response:
            assert await response.json() == {"name": "pod-2", "received": 1_000_000}
        async with session.get(
            f"http://127.0.0.1:{port}/stream?chunks=50", headers={"Host": "web.test"}
        ) as response:
            assert response.headers["Transfer-Encoding"] == "chunked"
            text = await response.text()
    assert text == "".join(f"pod-2-{i};" for i in range(50))


async def test_websocket_passes_through(
    ingress_server: IngressServer, pods: list[WebBackend]
) -> None:
    """An upgrade to WebSocket becomes a tunnel to the pod."""
    route(ingress_server, [ingress("ws", rule("ws.test", path("/", "api")))], pods)
    url = f"http://127.0.0.1:{http_port(ingress_server)}/ws"
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(url, headers={"Host": "ws.test"}) as ws,
    ):
        for word in ("one", "two"):
            await ws.send_str(word)
            assert (await ws.receive_str()) == f"pod-2:{word}"


async def test_tls_by_sni(ingress_server: IngressServer, pods: list[WebBackend]) -> None:
    """A host's Secret is served to handshakes naming it (wildcards too); others get the
    default certificate; HTTPS requests are proxied with X-Forwarded-Proto https."""
    cert, key = self_signed_serving_cert("web.test", dns_names=["web.test"])
    wild_cert, wild_key = self_signed_serving_cert("*.apps.test", dns_names=["*.apps.test"])
    secrets = [tls_secret("web-tls", cert, key), tls_secret("apps-tls", wild_cert, wild_key)]
    tls = [
        {"hosts": ["web.test"], "secretName": "web-tls"},
        {"hosts": ["*.apps.test"], "secretName": "apps-tls"},
    ]
    site = ingress("site", *TWO_HOSTS[0]["spec"]["rules"], tls=tls)
    route(ingress_server, [site], pods, secrets=secrets)
    port = https_port(ingress_server)
    assert await served_certificate_cn(port, "web.test") == "web.test"
    assert await served_certificate_cn(port, "x.apps.test") == "*.apps.test"
    assert await served_certificate_cn(port, "other.test") == DEFAULT_CN
    assert await served_certificate_cn(port, None) == DEFAULT_CN
    answer = await request(port, "web.test", "/api", tls_name="web.test")
    assert answer.json()["name"] == "pod-2"
    assert answer.json()["headers"]["x-forwarded-proto"] == "https"


async def test_bad_tls_secret_is_reported(ingress_server: IngressServer) -> None:
    """A Secret whose certificate does not load is a problem; the default serves its host."""
    site = ingress("bad", rule("bad.test", path("/", "web")), tls=[{"secretName": "junk"}])
    table = compute_routes(
        [site], [], [], [tls_secret("junk", b"not a cert", b"nor a key")], classes=None
    )
    problems = ingress_server.update(table)
    assert len(problems) == 1
    assert problems[0].startswith("TLS secret ns/junk cannot be used")
    assert await served_certificate_cn(https_port(ingress_server), "bad.test") == DEFAULT_CN


async def test_dead_endpoint_is_skipped(
    ingress_server: IngressServer, pods: list[WebBackend]
) -> None:
    """An endpoint that refuses connections is skipped for another; all dead: 502."""
    dead = WebBackend("dead")  # never started: port 0 refuses... use a closed server's port
    await dead.start()
    await dead.close()
    route(
        ingress_server,
        TWO_HOSTS,
        pods,
        ready={"web": [dead, pods[0]], "api": [dead]},
    )
    port = http_port(ingress_server)
    for _ in range(4):
        assert (await request(port, "web.test")).json()["name"] == "pod-0"
    assert (await request(port, "web.test", "/api")).status == 502


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"GARBAGE\r\n\r\n", b"400"),
        (b"GET / HTTP/1.1\r\n\r\n", b"400"),  # no Host
        (
            b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"400",
        ),
        (b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", b"400"),
        (b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"a" * 70_000 + b"\r\n\r\n", b"400"),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(200) + b"\r\n\r\n", b"400"),
    ],
)
async def test_malformed_requests_get_400(
    ingress_server: IngressServer, pods: list[WebBackend], data: bytes, status: bytes
) -> None:
    """Malformed requests are answered 400 and closed; the server carries on."""
    route(ingress_server, TWO_HOSTS, pods)
    port = http_port(ingress_server)
    raw = await raw_exchange(port, data)
    assert raw.startswith(b"HTTP/1.1 " + status), raw[:100]
    assert (await request(port, "web.test")).status == 200


async def test_idle_and_slow_clients_are_closed(ingress_server: IngressServer) -> None:
    """A client that sends nothing, or half a head, is closed after the header timeout."""
    port = http_port(ingress_server)
    for data in (b"", b"GET / HTTP/1.1\r\nHo"):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(data)
        async with asyncio.timeout(10):
            assert await reader.read() == b""
        writer.close()
    assert ingress_server.active == 0


async def test_connection_limit_and_flood(
    ingress_server: IngressServer, pods: list[WebBackend]
) -> None:
    """Connections over the limit are closed at once; a flood leaves no descriptor behind
    and the server still answers."""
    route(ingress_server, TWO_HOSTS, pods)
    port = http_port(ingress_server)
    before = open_fds()
    held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(64)]
    await asyncio.sleep(0.2)
    assert ingress_server.active == 64
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET / HTTP/1.1\r\nHost: web.test\r\n\r\n")
    async with asyncio.timeout(10):
        try:
            answer = await reader.read()
        except ConnectionResetError:
            answer = b""
    assert answer == b""  # closed (reset), never served
    writer.close()
    for _reader, held_writer in held:
        held_writer.close()
    await eventually(lambda: ingress_server.active == 0, within=5, what="no connection left active")
    garbage = [raw_exchange(port, os.urandom(512) + b"\r\n\r\n") for _ in range(200)]
    await asyncio.gather(*garbage, return_exceptions=True)
    assert (await request(port, "web.test")).status == 200
    await asyncio.sleep(0.2)
    assert open_fds() <= before + 8


async def test_default_backend(ingress_server: IngressServer, pods: list[WebBackend]) -> None:
    """An Ingress with only a defaultBackend takes every request."""
    route(ingress_server, [ingress("d", default=backend("api", 80))], pods)
    assert (await request(http_port(ingress_server), "any.test", "/x")).json()["name"] == "pod-2"


async def test_http10_clients(ingress_server: IngressServer, pods: list[WebBackend]) -> None:
    """HTTP/1.0 clients are served (keep-alive when they ask for it), without chunking."""
    route(ingress_server, TWO_HOSTS, pods)
    ask = b"GET /api HTTP/1.0\r\nHost: web.test\r\nConnection: keep-alive\r\n\r\n"
    last = b"GET /api HTTP/1.0\r\nHost: web.test\r\n\r\n"
    raw = await raw_exchange(http_port(ingress_server), ask + last)
    assert raw.count(b" 200 OK\r\n") == 2
    assert b"Connection: keep-alive\r\n" in raw
    assert b"chunked" not in raw.lower()


async def test_abandoned_upload(ingress_server: IngressServer, pods: list[WebBackend]) -> None:
    """A client that stops in the middle of its body costs only its own connection."""
    route(ingress_server, TWO_HOSTS, pods)
    port = http_port(ingress_server)
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /upload HTTP/1.1\r\nHost: web.test\r\nContent-Length: 1000000\r\n\r\n" + b"x" * 1000
    )
    await writer.drain()
    await asyncio.sleep(0.2)
    writer.close()
    await eventually(lambda: ingress_server.active == 0, within=5, what="no connection left active")
    assert (await request(port, "web.test")).status == 200


async def test_backend_closing_kept_alive_connections(ingress_server: IngressServer) -> None:
    """A backend that closes each connection after answering, without saying so: the next
    request finds the kept connection closed and is sent again on a new one."""
    answered = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal answered
        await reader.readuntil(b"\r\n\r\n")
        answered += 1
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()

    backend_server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = backend_server.sockets[0].getsockname()[1]
    solo = WebBackend("solo")
    solo.port = port
    try:
        route(ingress_server, TWO_HOSTS, [], ready={"web": [solo], "api": []})
        ask = b"GET / HTTP/1.1\r\nHost: web.test\r\n\r\n"
        last = b"GET / HTTP/1.1\r\nHost: web.test\r\nConnection: close\r\n\r\n"
        raw = await raw_exchange(http_port(ingress_server), ask * 3 + last)
    finally:
        backend_server.close()
    assert raw.count(b"HTTP/1.1 200 OK") == 4
    assert answered == 4


async def test_absolute_form_target(ingress_server: IngressServer, pods: list[WebBackend]) -> None:
    """A request with an absolute target is routed by its authority (not by Host, RFC 9112
    3.2.2) and reaches the pod in origin form."""
    route(ingress_server, TWO_HOSTS, pods)
    raw = await raw_exchange(
        http_port(ingress_server),
        b"GET http://web.test/api/x?y=1 HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n",
    )
    assert b'"name": "pod-2"' in raw
    assert b'"path": "/api/x?y=1"' in raw
    assert b'"host": "web.test"' in raw
