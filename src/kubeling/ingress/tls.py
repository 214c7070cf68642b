"""TLS for the ingress: one SSL context per certificate, chosen by SNI.

The HTTPS listener starts with the default certificate's context (a
self-signed certificate, as ingress-nginx's "Kubernetes Ingress Controller
Fake Certificate" and Traefik's "TRAEFIK DEFAULT CERT"); its SNI callback
switches each handshake to the context of the certificate the routing table
has for the server name, exact host before wildcard. A client that sends no
server name, or one no TLS entry covers, gets the default certificate.

Contexts are built once per distinct certificate and key (a Secret updated
with the same bytes costs nothing) and dropped when no host uses them. A
certificate that does not load (bad PEM, key not matching) is reported and
left out: its hosts get the default certificate. Keys are loaded from an
anonymous in-memory file (``memfd``), never written to disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import ssl
import tempfile
from collections.abc import Mapping
from typing import Final

from kubeling.ingress.matching import wildcard_of
from kubeling.ingress.routes import Certificate

__all__ = ["CertificateStore", "server_context"]

#: Only HTTP/1.1 is spoken: ALPN must not agree on h2.
_ALPN: Final = ["http/1.1"]


def _load(context: ssl.SSLContext, cert_pem: bytes, key_pem: bytes) -> None:
    """``load_cert_chain`` from bytes (it only reads files)."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("ingress-cert", 0)
        try:
            os.write(fd, cert_pem.rstrip(b"\n") + b"\n" + key_pem)
            path = f"/proc/self/fd/{fd}"
            context.load_cert_chain(path, path)
        finally:
            os.close(fd)
        return
    with tempfile.TemporaryDirectory() as tmp:  # pragma: no cover - non-Linux hosts
        path = os.path.join(tmp, "pair.pem")
        with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as out:
            out.write(cert_pem.rstrip(b"\n") + b"\n" + key_pem)
        context.load_cert_chain(path, path)


def server_context(cert_pem: bytes, key_pem: bytes) -> ssl.SSLContext:
    """A server context serving this certificate; ssl.SSLError if it does not load."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(_ALPN)
    _load(context, cert_pem, key_pem)
    return context


def _digest(cert: Certificate) -> str:
    return hashlib.sha256(cert.cert_pem + b"\0" + cert.key_pem).hexdigest()


class CertificateStore:
    """The contexts of the HTTPS listener: the default one and one per certificate."""

    def __init__(self, default_cert_pem: bytes, default_key_pem: bytes) -> None:
        self.default = server_context(default_cert_pem, default_key_pem)
        self.default.sni_callback = self._select
        self._by_digest: dict[str, ssl.SSLContext] = {}
        self._by_host: dict[str, ssl.SSLContext] = {}
        self._failed: dict[str, str] = {}

    def update(self, certificates: Mapping[str, Certificate]) -> list[str]:
        """Serve ``certificates`` (by host) from now on; the problems, as messages."""
        by_digest: dict[str, ssl.SSLContext] = {}
        by_host: dict[str, ssl.SSLContext] = {}
        problems: list[str] = []
        for host, cert in certificates.items():
            digest = _digest(cert)
            if digest in self._failed:
                problems.append(self._failed[digest])
                continue
            context = by_digest.get(digest) or self._by_digest.get(digest)
            if context is None:
                try:
                    context = server_context(cert.cert_pem, cert.key_pem)
                except (ssl.SSLError, OSError, ValueError) as err:
                    self._failed[digest] = f"TLS secret {cert.secret} cannot be used: {err}"
                    problems.append(self._failed[digest])
                    continue
            by_digest[digest] = context
            by_host[host] = context
        self._by_digest, self._by_host = by_digest, by_host
        # Forget failures of certificates nobody names any more (bounded by the Secrets).
        named = {_digest(c) for c in certificates.values()}
        self._failed = {d: m for d, m in self._failed.items() if d in named}
        return problems

    def context_for(self, server_name: str | None) -> ssl.SSLContext:
        """The context a handshake naming ``server_name`` gets."""
        if server_name:
            host = server_name.lower().rstrip(".")
            found = self._by_host.get(host) or self._by_host.get(wildcard_of(host))
            if found is not None:
                return found
        return self.default

    def _select(
        self, connection: ssl.SSLObject | ssl.SSLSocket, server_name: str | None, _ctx: object
    ) -> None:
        context = self.context_for(server_name)
        if context is not self.default:
            with contextlib.suppress(ssl.SSLError):
                connection.context = context
