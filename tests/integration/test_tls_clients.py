"""Real TLS clients accept the cluster PKI: Python's ssl (through aiohttp) and kubectl (Go).

A tiny aiohttp HTTPS server runs on 127.0.0.1 with :meth:`Pki.server_ssl_context` and answers
``/whoami`` with the identity of the peer certificate, read both from ``getpeercert()``'s dict and
from the DER bytes. kubectl's dispatcher asks ``/version`` first, so that is served too.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from kubeling.cli.kubeconfig import write_kubeconfig
from kubeling.pki import Pki, ensure_pki, identity_from_cert, issue_client_cert

VERSION = {"major": "1", "minor": "32", "gitVersion": "v1.32.4"}
KUBECTL = shutil.which("kubectl")


async def _version(request: web.Request) -> web.Response:
    return web.json_response(VERSION)


async def _whoami(request: web.Request) -> web.Response:
    transport = request.transport
    assert transport is not None
    ssl_object = transport.get_extra_info("ssl_object")
    assert isinstance(ssl_object, ssl.SSLObject)
    peercert = ssl_object.getpeercert()
    der = ssl_object.getpeercert(binary_form=True)
    if peercert is None or der is None:
        return web.json_response({"user": None, "groups": []})
    identity = identity_from_cert(peercert)
    assert identity == identity_from_cert(der)
    assert identity is not None
    return web.json_response({"user": identity.user, "groups": list(identity.groups)})


@dataclass(frozen=True)
class Server:
    pki: Pki
    url: str
    port: int


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    """The HTTPS server on a free port; cleaned up (listener and connections) after the test."""
    pki = await asyncio.to_thread(ensure_pki, tmp_path / "pki", server_names=[], server_ips=[])
    app = web.Application()
    app.router.add_get("/version", _version)
    app.router.add_get("/whoami", _whoami)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=pki.server_ssl_context())
        await site.start()
        port = int(runner.addresses[0][1])
        yield Server(pki=pki, url=f"https://127.0.0.1:{port}", port=port)
    finally:
        await runner.cleanup()


async def _get_json(
    url: str, context: ssl.SSLContext, *, server_hostname: str | None = None
) -> object:
    async with (
        aiohttp.ClientSession() as session,
        session.get(url, ssl=context, server_hostname=server_hostname) as response,
    ):
        assert response.status == 200
        return await response.json()


async def test_python_client_with_admin_cert(server: Server) -> None:
    """aiohttp with the admin cert: the server sees kubernetes-admin in system:masters."""
    context = server.pki.client_ssl_context(server.pki.admin_cert, server.pki.admin_key)
    expected = {"user": "kubernetes-admin", "groups": ["system:masters"]}
    assert await _get_json(f"{server.url}/whoami", context) == expected
    # The same connection checked against a DNS SAN rather than the IP SAN.
    by_name = await _get_json(
        f"{server.url}/whoami", context, server_hostname="kubernetes.default.svc"
    )
    assert by_name == expected


async def test_python_client_with_component_cert(server: Server, tmp_path: Path) -> None:
    """A cert from issue_client_cert is verified by the server and names a node."""
    cert_pem, key_pem = issue_client_cert(server.pki, "system:node:n1", ["system:nodes"])
    (tmp_path / "node.crt").write_bytes(cert_pem)
    (tmp_path / "node.key").write_bytes(key_pem)
    context = server.pki.client_ssl_context(tmp_path / "node.crt", tmp_path / "node.key")
    assert await _get_json(f"{server.url}/whoami", context) == {
        "user": "system:node:n1",
        "groups": ["system:nodes"],
    }


async def test_no_client_cert_is_accepted_anonymously(server: Server) -> None:
    """CERT_OPTIONAL: without a client cert TLS still succeeds and the handler sees no cert."""
    context = ssl.create_default_context(cafile=server.pki.ca_cert)
    assert await _get_json(f"{server.url}/whoami", context) == {"user": None, "groups": []}


async def test_client_cert_from_another_ca_is_rejected(server: Server, tmp_path: Path) -> None:
    """A client cert the cluster CA did not sign fails the handshake; it is not anonymous."""
    other = await asyncio.to_thread(ensure_pki, tmp_path / "other", server_names=[], server_ips=[])
    context = ssl.create_default_context(cafile=server.pki.ca_cert)
    # TLS 1.2, so the server checks the client cert before the client's handshake completes
    # (in TLS 1.3 the client finishes first and only sees the connection drop later).
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    await asyncio.to_thread(_handshake, server.port, context)  # no cert: fine
    context.load_cert_chain(other.admin_cert, other.admin_key)
    # asyncio's TLS server closes without flushing the alert, so the client sees an EOF.
    with pytest.raises((ssl.SSLError, ConnectionError)):
        await asyncio.to_thread(_handshake, server.port, context)


def _handshake(port: int, context: ssl.SSLContext) -> None:
    """A blocking TLS handshake with 127.0.0.1:port."""
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as sock,
        context.wrap_socket(sock, server_hostname="127.0.0.1"),
    ):
        pass


async def _kubectl(kubeconfig: Path, *args: str) -> tuple[int, str, str]:
    assert KUBECTL is not None
    # HOME keeps kubectl's discovery and HTTP caches inside the test's directory.
    env = {**os.environ, "HOME": str(kubeconfig.parent), "KUBECONFIG": str(kubeconfig)}
    process = await asyncio.create_subprocess_exec(
        KUBECTL,
        "--kubeconfig",
        str(kubeconfig),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not on PATH")


@needs_kubectl
async def test_kubectl_with_admin_kubeconfig(server: Server, tmp_path: Path) -> None:
    """Go's TLS stack accepts the CA, the serving cert and the admin client cert."""
    kubeconfig = tmp_path / "kubeconfig"
    write_kubeconfig(
        kubeconfig,
        server_url=server.url,
        ca_pem=server.pki.ca_pem(),
        client_cert_pem=server.pki.admin_cert.read_bytes(),
        client_key_pem=server.pki.admin_key.read_bytes(),
    )
    code, stdout, stderr = await _kubectl(kubeconfig, "get", "--raw", "/whoami")
    assert code == 0, stderr
    assert stdout.strip() == '{"user": "kubernetes-admin", "groups": ["system:masters"]}'


@needs_kubectl
async def test_kubectl_by_host_name(server: Server, tmp_path: Path) -> None:
    """kubectl to https://localhost:<port> checks the DNS SAN."""
    kubeconfig = tmp_path / "kubeconfig"
    write_kubeconfig(
        kubeconfig,
        server_url=f"https://localhost:{server.port}",
        ca_pem=server.pki.ca_pem(),
        client_cert_pem=server.pki.admin_cert.read_bytes(),
        client_key_pem=server.pki.admin_key.read_bytes(),
    )
    code, stdout, stderr = await _kubectl(kubeconfig, "get", "--raw", "/whoami")
    assert code == 0, stderr
    assert '"kubernetes-admin"' in stdout


@needs_kubectl
async def test_kubectl_with_token_sends_no_cert(server: Server, tmp_path: Path) -> None:
    """A token kubeconfig: kubectl completes TLS without a client cert."""
    kubeconfig = tmp_path / "kubeconfig"
    write_kubeconfig(kubeconfig, server_url=server.url, ca_pem=server.pki.ca_pem(), token="t")
    code, stdout, stderr = await _kubectl(kubeconfig, "get", "--raw", "/whoami")
    assert code == 0, stderr
    assert stdout.strip() == '{"user": null, "groups": []}'


@needs_kubectl
async def test_kubectl_rejects_a_foreign_ca(server: Server, tmp_path: Path) -> None:
    """kubectl trusting another CA refuses the server: the checks above have teeth."""
    other = await asyncio.to_thread(ensure_pki, tmp_path / "other", server_names=[], server_ips=[])
    kubeconfig = tmp_path / "kubeconfig"
    write_kubeconfig(
        kubeconfig,
        server_url=server.url,
        ca_pem=other.ca_pem(),
        client_cert_pem=server.pki.admin_cert.read_bytes(),
        client_key_pem=server.pki.admin_key.read_bytes(),
    )
    code, _, stderr = await _kubectl(kubeconfig, "get", "--raw", "/whoami")
    assert code != 0
    assert "certificate signed by unknown authority" in stderr
