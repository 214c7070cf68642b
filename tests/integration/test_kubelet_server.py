"""The kubelet's streaming server on its own: TLS and who may call it, logs, exec over WebSocket,
port-forward over native SPDY and over SPDY tunnelled in a WebSocket, and their errors.

The server runs in the test's event loop over :class:`LocalStreamingRuntime`; clients are
aiohttp (WebSocket) and kubeling's own SPDY session (the client side of the same code)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from kubeling.httpstream import channels
from kubeling.httpstream.spdy_session import SpdySession, SpdyStream, StreamClosedError
from kubeling.httpstream.upgrade import request_upgrade
from kubeling.kubelet.server import KubeletServer, KubeletServerConfig
from kubeling.pki import Pki, ensure_pki, identity_from_cert, issue_client_cert, issue_serving_cert
from tests.support.streaming_runtime import LocalStreamingRuntime, cri_lines


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return ensure_pki(tmp_path_factory.mktemp("pki") / "pki", server_names=[], server_ips=[])


class Node:
    def __init__(self, server: KubeletServer, runtime: LocalStreamingRuntime, pki: Pki, root: Path):
        self.server, self.runtime, self.pki, self.root = server, runtime, pki, root

    def url(self, path: str, scheme: str = "https") -> str:
        return f"{scheme}://127.0.0.1:{self.server.port}{path}"

    def client_context(self, user: str = "admin") -> ssl.SSLContext:
        if user == "admin":
            return self.pki.client_ssl_context(self.pki.admin_cert, self.pki.admin_key)
        cert_pem, key_pem = issue_client_cert(self.pki, user, ["dev"])
        cert, key = self.root / f"{user}.crt", self.root / f"{user}.key"
        cert.write_bytes(cert_pem)
        key.write_bytes(key_pem)
        return self.pki.client_ssl_context(cert, key)


@pytest.fixture
async def node(pki: Pki, tmp_path: Path) -> AsyncIterator[Node]:
    cert_pem, key_pem = issue_serving_cert(pki, "system:node:n1", names=["n1"], ips=["127.0.0.1"])
    (tmp_path / "k.crt").write_bytes(cert_pem)
    (tmp_path / "k.key").write_bytes(key_pem)

    def identify(peercert: Any) -> tuple[str, tuple[str, ...]] | None:
        identity = identity_from_cert(peercert)
        return None if identity is None else (identity.user, identity.groups)

    runtime = LocalStreamingRuntime(tmp_path / "pods")
    server = KubeletServer(
        KubeletServerConfig(
            bind_address="127.0.0.1",
            port=0,
            ssl_context=pki.serving_ssl_context(tmp_path / "k.crt", tmp_path / "k.key"),
            identify=identify,
            log_poll_interval=0.02,
        ),
        runtime,
    )
    await server.start()
    running = Node(server, runtime, pki, tmp_path)
    runtime.add_pod(
        {
            "metadata": {"name": "web", "namespace": "default", "uid": "uid-1"},
            "spec": {"containers": [{"name": "app"}, {"name": "idle"}]},
            "status": {
                "containerStatuses": [
                    {"name": "app", "containerID": "process://a", "state": {"running": {}}},
                    {"name": "idle", "state": {"waiting": {"reason": "ContainerCreating"}}},
                ]
            },
        }
    )
    runtime.write_log(
        "process://a",
        cri_lines(
            ("2024-01-01T00:00:01Z", "stdout", "one\n"), ("2024-01-01T00:00:02Z", "stderr", "two\n")
        ),
    )
    try:
        yield running
    finally:
        await runtime.stop()
        await server.stop()


async def _get(node: Node, path: str, *, user: str | None = "admin") -> tuple[int, str]:
    ssl_context = node.client_context(user) if user else _anonymous(node.pki)
    async with (
        aiohttp.ClientSession() as session,
        session.get(node.url(path), ssl=ssl_context) as response,
    ):
        return response.status, await response.text()


def _anonymous(pki: Pki) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=pki.ca_cert)


async def test_who_may_call(node: Node) -> None:
    """The API server's identity (or system:masters) is served; no certificate is 401; another
    user is 403 with the kubelet's message; /healthz is open."""
    assert await _get(node, "/containerLogs/default/web/app") == (200, "one\ntwo\n")
    assert await _get(node, "/containerLogs/default/web/app", user=None) == (401, "Unauthorized\n")
    status, text = await _get(node, "/containerLogs/default/web/app", user="bob")
    assert status == 403
    assert text == "Forbidden (user=bob, verb=get, resource=nodes, subresource=proxy)\n"
    assert await _get(node, "/healthz", user=None) == (200, "ok")


@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        (
            "/containerLogs/default/web/app?tailLines=1&timestamps=true",
            200,
            "2024-01-01T00:00:02.000000000Z two\n",
        ),
        ("/containerLogs/default/web/app?tail=1", 200, "two\n"),
        ("/containerLogs/default/web/app?tail=all", 200, "one\ntwo\n"),
        ("/containerLogs/default/web/app?limitBytes=5", 200, "one\nt"),
        ("/containerLogs/default/nope/app", 404, 'pod "nope" does not exist\n'),
        ("/containerLogs/default/web/nope", 404, 'container "nope" not found in pod "web"\n'),
        (
            "/containerLogs/default/web/idle",
            400,
            'container "idle" in pod "web" is waiting to start: ContainerCreating\n',
        ),
        (
            "/containerLogs/default/web/app?previous=true",
            400,
            'previous terminated container "app" in pod "web" not found\n',
        ),
        (
            "/containerLogs/default/web/app?tailLines=x",
            400,
            '{"message": "Unable to decode query."}\n',
        ),
        ("/containerLogs/default/web/app?tailLines=-1", 422, '{"message": "Invalid request."}\n'),
    ],
)
async def test_container_logs(node: Node, path: str, status: int, text: str) -> None:
    """Logs with options, and the kubelet's own errors (the API server turns them into Statuses)."""
    assert await _get(node, path) == (status, text)


@contextlib.asynccontextmanager
async def _ws(
    node: Node, path: str, protocols: tuple[str, ...]
) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(
            node.url(path, "wss"), protocols=protocols, ssl=node.client_context()
        )
        async with ws:
            yield ws


async def _ws_messages(ws: aiohttp.ClientWebSocketResponse) -> list[bytes]:
    messages = []
    async for message in ws:
        assert message.type == aiohttp.WSMsgType.BINARY
        messages.append(message.data)
    return messages


@pytest.mark.parametrize("protocol", [channels.V5, channels.V4])
async def test_exec_over_websocket(node: Node, protocol: str) -> None:
    """Hello on stdout, stdout and stderr on their channels, the exit Status on the error
    channel; stdin reaches the command (v5 closes it with [255, 0])."""
    command = (
        "command=sh&command=-c&command="
        + "read%20x;%20echo%20got%20$x;%20echo%20err%20%3E%262;%20exit%207"
    )
    path = f"/exec/default/web/app?{command}&input=1&output=1&error=1"
    async with _ws(node, path, (protocol,)) as ws:
        assert ws.protocol == protocol
        await ws.send_bytes(b"\x00hello\n")
        if protocol == channels.V5:
            await ws.send_bytes(b"\xff\x00")
        messages = await asyncio.wait_for(_ws_messages(ws), 10)
    assert messages[0] == b"\x01"
    out = b"".join(m[1:] for m in messages if m[0] == channels.STDOUT)
    err = b"".join(m[1:] for m in messages if m[0] == channels.STDERR)
    assert (out, err) == (b"got hello\n", b"err\n")
    assert json.loads(messages[-1][1:]) == channels.exit_code_status(7)
    assert messages[-1][0] == channels.ERROR


async def test_exec_errors_after_the_upgrade(node: Node) -> None:
    """A container that does not run: the translator's InternalError on the error channel."""
    async with _ws(node, "/exec/default/web/idle?command=true&output=1", (channels.V5,)) as ws:
        messages = await asyncio.wait_for(_ws_messages(ws), 10)
    status = json.loads(messages[-1][1:])
    assert status["reason"] == "InternalError"
    assert status["code"] == 500
    assert status["message"] == (
        'Internal error occurred: unable to upgrade connection: container not found ("idle")'
    )


@pytest.mark.parametrize(
    ("path", "headers", "status", "text"),
    [
        ("/exec/default/web/app?command=true&output=1", {}, 400, "Upgrade request required\n"),
        (
            "/exec/default/web/app?command=true",
            {"Connection": "Upgrade", "Upgrade": "websocket"},
            400,
            "you must specify at least 1 of stdin, stdout, stderr\n",
        ),
        ("/exec/default/nope/app?command=true&output=1", {}, 404, "pod does not exist\n"),
        ("/exec/default/web/other-uid/app?command=true&output=1", {}, 404, "pod not found\n"),
        (
            "/exec/default/web/app?command=true&output=1",
            {
                "Connection": "Upgrade",
                "Upgrade": "websocket",
                "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                "Sec-WebSocket-Protocol": "channel.k8s.io",
            },
            400,
            "requested protocol(s) are not supported: [channel.k8s.io]; "
            "supports [v5.channel.k8s.io v4.channel.k8s.io]\n",
        ),
        (
            "/portForward/default/web",
            {"Connection": "Upgrade", "Upgrade": "SPDY/3.1", "X-Stream-Protocol-Version": "v9"},
            403,
            "unable to upgrade: unable to negotiate protocol: client supports [v9], "
            "server accepts [portforward.k8s.io]\n",
        ),
    ],
)
async def test_refused_before_the_upgrade(
    node: Node, path: str, headers: dict[str, str], status: int, text: str
) -> None:
    """What the kubelet refuses before switching protocols, with its status codes and words."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(node.url(path), headers=headers, ssl=node.client_context()) as response,
    ):
        assert (response.status, await response.text()) == (status, text)


class _WebSocketBytes:
    """The client side of SPDY tunnelled in a WebSocket."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def receive(self) -> bytes:
        message = await self.ws.receive()
        return bytes(message.data) if message.type == aiohttp.WSMsgType.BINARY else b""

    async def send(self, data: bytes) -> None:
        await self.ws.send_bytes(data)

    async def close(self) -> None:
        await self.ws.close()


class _RawBytes:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def receive(self) -> bytes:
        return await self.reader.read(65536)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def close(self) -> None:
        self.writer.close()


async def _echo_server() -> tuple[asyncio.Server, int]:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            writer.write(data.upper())
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def _read_all(stream: SpdyStream) -> bytes:
    out = b""
    while data := await stream.read():
        out += data
    return out


async def _forward_once(session: SpdySession, port: int, request_id: str) -> tuple[bytes, bytes]:
    """One forwarded connection as kubectl makes it: error stream, data stream, send, half-close."""
    base = {"port": [str(port)], "requestID": [request_id]}
    error = await session.open_stream({**base, "streamType": ["error"]})
    await error.close()
    data = await session.open_stream({**base, "streamType": ["data"]})
    await data.write(b"hello through the tunnel")
    await data.close()
    return await asyncio.wait_for(_read_all(data), 10), await asyncio.wait_for(_read_all(error), 10)


@pytest.mark.parametrize("transport", ["spdy", "websocket"])
async def test_port_forward(node: Node, transport: str) -> None:
    """Port-forward over native SPDY and over SPDY tunnelled in WebSocket: bytes both ways, two
    connections on one session, and a refused port reported on the error stream."""
    echo, port = await _echo_server()
    ws_session: aiohttp.ClientSession | None = None
    if transport == "spdy":
        result = await request_upgrade(
            host="127.0.0.1",
            port=node.server.port,
            ssl_context=node.client_context(),
            method="POST",
            target="/portForward/default/web",
            headers=[
                ("Connection", "Upgrade"),
                ("Upgrade", "SPDY/3.1"),
                ("X-Stream-Protocol-Version", "portforward.k8s.io"),
            ],
        )
        assert result.head.status == 101
        assert result.head.header("x-stream-protocol-version") == "portforward.k8s.io"
        channel: Any = _RawBytes(result.reader, result.writer)
    else:
        ws_session = aiohttp.ClientSession()
        ws = await ws_session.ws_connect(
            node.url("/portForward/default/web", "wss"),
            protocols=("SPDY/3.1+portforward.k8s.io",),
            ssl=node.client_context(),
        )
        channel = _WebSocketBytes(ws)
    session = SpdySession(channel, client=True)
    serving = asyncio.create_task(session.serve())
    try:
        assert await _forward_once(session, port, "0") == (b"HELLO THROUGH THE TUNNEL", b"")
        assert await _forward_once(session, port, "1") == (b"HELLO THROUGH THE TUNNEL", b"")
        echo.close()
        await echo.wait_closed()
        data, error = await _forward_once(session, port, "2")
        assert data == b""
        assert error.decode() == (
            f"error forwarding port {port} to pod uid-1, uid : failed to connect to "
            f"localhost:{port} inside the pod's network: dial tcp4 127.0.0.1:{port}: "
            "connect: connection refused"
        )
        with pytest.raises(StreamClosedError, match="refused"):
            await session.open_stream({"streamType": ["data"], "port": ["0"]})
    finally:
        await session.close()
        await asyncio.wait_for(serving, 10)
        if ws_session is not None:
            await ws_session.close()


async def test_stop_ends_open_streams(node: Node) -> None:
    """stop() ends a followed log and an open exec, and returns."""
    running_id = await node.runtime.start_container("default", "web", "app", ["sleep", "60"])
    pod = node.runtime.get_pod("default", "web")
    assert pod is not None
    pod["status"]["containerStatuses"][0]["containerID"] = running_id  # type: ignore[index]
    exec_path = "/exec/default/web/app?command=sleep&command=60&output=1"
    async with aiohttp.ClientSession() as session, _ws(node, exec_path, (channels.V5,)) as ws:
        response = await session.get(
            node.url("/containerLogs/default/web/app?follow=true"), ssl=node.client_context()
        )
        await asyncio.wait_for(node.server.stop(), 10)
        with contextlib.suppress(aiohttp.ClientPayloadError):
            await asyncio.wait_for(response.content.read(), 10)
        await asyncio.wait_for(_ws_messages(ws), 10)
        response.close()
