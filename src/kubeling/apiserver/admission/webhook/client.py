"""Calling a webhook: one HTTPS POST of an AdmissionReview, as client-go makes it.

The address comes from ``clientConfig``:

- ``url``: used as it is, with ``?timeout=<n>s`` added (client-go tells the
  webhook how long it has);
- ``service``: ``https://<name>.<namespace>.svc:<port><path>``; the
  connection goes to the Service's ClusterIP and the port (default 443)
  must be one of its ports (kube-apiserver's ClusterIP service resolver);
  the webhook's certificate must be valid for ``<name>.<namespace>.svc``.

The webhook's certificate must chain to ``caBundle`` (the system's trust
store when there is none); an untrusted certificate fails the call. The
call must complete within ``timeoutSeconds``.

Every failure is a :class:`CallError`. Transport failures read as Go's HTTP
client words them, ``Post "<url>": <reason>`` (``context deadline exceeded``,
``dial tcp 127.0.0.1:9: connect: connection refused``, ``tls: failed to verify
certificate: x509: certificate signed by unknown authority``...). An HTTP
error status reads as client-go reports it, without the URL: the ``Status``
the webhook sent, or the generic message for the code (``the server could not
find the requested resource`` for a 404).
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import json
import ssl
from collections.abc import Mapping
from typing import Any, Final, Protocol
from urllib.parse import urlsplit

import aiohttp

from kubeling.api import errors
from kubeling.apiserver.admission.webhook.hooks import ServiceReference, Webhook
from kubeling.apiserver.admission.webhook.lookups import ServiceLookup

__all__ = ["CallError", "ClientSetupError", "WebhookClient", "WebhookTransport"]

_CONTENT_TYPE: Final = "application/json"
#: A webhook's answer larger than this is refused (an AdmissionReview is small).
MAX_RESPONSE_BYTES: Final = 3 * 1024 * 1024


class CallError(Exception):
    """The POST failed; the text follows ``failed to call webhook: ``."""


class WebhookTransport(Protocol):
    """What the dispatchers call webhooks through (:class:`WebhookClient`, or a fake)."""

    async def post(self, webhook: Webhook, review: Mapping[str, Any]) -> Any:
        """POST ``review``; the decoded answer, or :class:`CallError`."""
        ...


class _AnswerError(CallError):
    """The webhook answered, badly (an HTTP error, not JSON): client-go reports these
    without the ``Post "<url>": `` of transport errors."""


class ClientSetupError(CallError):
    """No client can be made for this webhook (an unusable CA bundle, no address):
    reported as ``could not get REST client: <text>``."""


def _host_port(host: str, port: int) -> str:
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return f"{host}:{port}"
    return f"[{host}]:{port}"


def _certificate_error(err: ssl.SSLCertVerificationError, host: str) -> str:
    message = str(getattr(err, "verify_message", "") or err)
    lowered = message.lower()
    if "issuer" in lowered or "self-signed" in lowered or "self signed" in lowered:
        detail = "x509: certificate signed by unknown authority"
    elif "mismatch" in lowered:
        detail = f"x509: certificate is not valid for {host}"
    elif "expired" in lowered or "not yet valid" in lowered:
        detail = "x509: certificate has expired or is not yet valid"
    else:
        detail = message
    return f"tls: failed to verify certificate: {detail}"


def _connect_error(err: aiohttp.ClientConnectorError, address: str, host: str) -> str:
    if isinstance(err, aiohttp.ClientConnectorCertificateError):
        return _certificate_error(err.certificate_error, host)  # type: ignore[arg-type]
    if isinstance(err, aiohttp.ClientConnectorSSLError):
        return f"remote error: tls: {err.os_error}"
    cause = err.os_error
    if cause.errno == errno.ECONNREFUSED:
        return f"dial tcp {address}: connect: connection refused"
    return f"dial tcp {address}: connect: {cause.strerror or cause}"


def _http_error(code: int, body: bytes) -> str:
    """client-go's error for a non-2xx answer: its Status, or the generic message."""
    try:
        decoded = json.loads(body)
    except ValueError:
        decoded = None
    if isinstance(decoded, Mapping) and decoded.get("kind") == "Status":
        message = decoded.get("message")
        if isinstance(message, str) and message:
            return message
    text = body.decode("utf-8", "replace").strip()
    return errors.generic_server_response(code, "POST", "", "", text, unexpected=True).message


class WebhookClient:
    """POSTs AdmissionReviews to webhooks; ``services`` resolves ``clientConfig.service``."""

    def __init__(self, *, services: ServiceLookup | None = None) -> None:
        self._services = services
        self._contexts: dict[bytes | None, ssl.SSLContext] = {}

    def _ssl_context(self, ca_bundle: bytes | None) -> ssl.SSLContext:
        # One context per CA bundle: building one parses the bundle.
        context = self._contexts.get(ca_bundle)
        if context is None:
            try:
                if ca_bundle is None:
                    context = ssl.create_default_context()
                else:
                    context = ssl.create_default_context(cadata=ca_bundle.decode("ascii"))
            except (ssl.SSLError, ValueError, UnicodeDecodeError):
                raise ClientSetupError(
                    "unable to load root certificates: unable to parse bytes as PEM block"
                ) from None
            if len(self._contexts) > 64:
                self._contexts.clear()
            self._contexts[ca_bundle] = context
        return context

    async def _resolve(self, service: ServiceReference) -> tuple[str, int]:
        """The ClusterIP and port to dial (kube-apiserver's ClusterIP resolver)."""
        if self._services is None:
            raise CallError(f"service {service.name!r} cannot be resolved: no service lookup")
        svc = await self._services(service.namespace, service.name)
        if svc is None:
            raise CallError(f'service "{service.name}" not found')
        spec = svc.get("spec") if isinstance(svc.get("spec"), Mapping) else {}
        assert isinstance(spec, Mapping)
        kind = spec.get("type") or "ClusterIP"
        if kind == "ExternalName":
            return str(spec.get("externalName") or ""), service.port
        cluster_ip = spec.get("clusterIP") or ""
        if kind == "ClusterIP" and cluster_ip == "None":
            raise CallError('cannot route to service with ClusterIP "None"')
        if kind not in ("ClusterIP", "NodePort", "LoadBalancer"):
            raise CallError(f'unsupported service type "{kind}"')
        for port in spec.get("ports") or ():
            if isinstance(port, Mapping) and port.get("port") == service.port:
                return str(cluster_ip), service.port
        raise CallError(f'no service port {service.port} found for service "{service.name}"')

    async def post(self, webhook: Webhook, review: Mapping[str, Any]) -> Any:
        """POST ``review`` to ``webhook``; the decoded JSON answer, or :class:`CallError`
        (:class:`ClientSetupError` when no request could be made at all)."""
        config = webhook.client_config
        query = f"?timeout={webhook.timeout_seconds}s"
        server_hostname: str | None = None
        if config.service is not None:
            service = config.service
            host = f"{service.name}.{service.namespace}.svc"
            shown = f"https://{host}:{service.port}{service.path}{query}"
            server_hostname = host
        elif config.url is not None:
            try:
                parts = urlsplit(config.url)
                host, port = parts.hostname or "", parts.port or 443
            except ValueError as err:  # validation refuses these; stored data may predate it
                raise ClientSetupError(f"invalid URL {config.url!r}: {err}") from None
            shown = f"{config.url}{query}"
        else:
            raise ClientSetupError("no url or service in clientConfig")
        context = self._ssl_context(config.ca_bundle)
        body = json.dumps(review, separators=(",", ":")).encode()
        headers: dict[str, str]
        try:
            async with asyncio.timeout(webhook.timeout_seconds):
                if config.service is not None:
                    ip, port = await self._resolve(config.service)
                    target = f"https://{_host_port(ip, port)}{config.service.path}{query}"
                    address = _host_port(ip, port)
                    headers = {"Host": f"{host}:{port}"}
                else:
                    target = shown
                    address = _host_port(host, port)
                    headers = {}
                return await self._send(
                    target, body, headers, context, server_hostname, address, host
                )
        except TimeoutError:
            raise CallError(f'Post "{shown}": context deadline exceeded') from None
        except (_AnswerError, ClientSetupError):
            raise
        except CallError as err:
            raise CallError(f'Post "{shown}": {err}') from None

    async def _send(
        self,
        target: str,
        body: bytes,
        headers: dict[str, str],
        context: ssl.SSLContext,
        server_hostname: str | None,
        address: str,
        host: str,
    ) -> Any:
        connector = aiohttp.TCPConnector(ssl=context, force_close=True)
        try:
            async with (
                aiohttp.ClientSession(connector=connector) as session,
                session.post(
                    target,
                    data=body,
                    headers={
                        **headers,
                        "Content-Type": _CONTENT_TYPE,
                        "Accept": f"{_CONTENT_TYPE}, */*",
                    },
                    server_hostname=server_hostname,
                    allow_redirects=False,
                ) as response,
            ):
                payload = await response.content.read(MAX_RESPONSE_BYTES + 1)
                if len(payload) > MAX_RESPONSE_BYTES:
                    raise CallError("the webhook's response is too large")
                if not 200 <= response.status <= 206:
                    raise _AnswerError(_http_error(response.status, payload))
        except aiohttp.ClientConnectorError as err:
            raise CallError(_connect_error(err, address, server_hostname or host)) from None
        except aiohttp.ServerDisconnectedError:
            raise CallError("EOF") from None
        except aiohttp.ClientError as err:
            raise CallError(str(err) or type(err).__name__) from None
        try:
            return json.loads(payload)
        except ValueError as err:
            raise _AnswerError(f"couldn't get version/kind; json parse error: {err}") from None
