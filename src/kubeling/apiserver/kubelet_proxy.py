"""``pods/log``, ``pods/exec``, ``pods/attach``, ``pods/portforward``: proxied to the kubelet.

The API server checks the request (options, pod, container, node: see
:mod:`~kubeling.apiserver.rest.pod_location`), then:

- **log**: GETs ``/containerLogs/<ns>/<pod>/<container>`` from the kubelet and streams the body
  back as ``text/plain`` (flushed as it comes, for ``follow``). A kubelet error becomes a Status
  as Kubernetes' ``GenericHttpResponseChecker`` makes it: 400 BadRequest and 500 InternalError
  keep the kubelet's text, 404 is NotFound for ``pods/log``.
- **exec, attach, portforward**: must be upgrade requests (WebSocket or SPDY/3.1; anything else
  is 400 ``Upgrade request required``). The request goes to the kubelet's ``/exec``, ``/attach``
  or ``/portForward`` with its upgrade headers; if the kubelet switches protocols, so does this
  server, with the kubelet's response headers, and the two connections are spliced byte for byte
  until either side closes (Kubernetes' ``UpgradeAwareHandler``). Whatever the kubelet answers
  instead is passed back as it is.

The connection to the kubelet is TLS with the API server's kubelet-client certificate, and the
kubelet's certificate must chain to the cluster CA and name the address dialled.

The same connection also serves :meth:`KubeletProxy.get_json`: the API server's own reads from
kubelets (the summary stats behind ``metrics.k8s.io``).

Every open stream is tracked so that :meth:`KubeletProxy.close` can end them when the server
stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
from aiohttp import web

from kubeling.api import errors
from kubeling.api.podoptions import (
    parse_log_options,
    parse_port_forward_options,
    parse_stream_options,
    validate_log_options,
)
from kubeling.api.schema import GroupVersionKind
from kubeling.apiserver.admission.interfaces import CONNECT
from kubeling.apiserver.rest.pod_location import (
    KubeletLocation,
    kubelet_location,
    validate_container,
)
from kubeling.apiserver.rest.resource_store import ResourceStore
from kubeling.httpstream.hijack import RawConnection, switch_protocols
from kubeling.httpstream.upgrade import UpgradeError, request_upgrade

__all__ = ["STREAM_SUBRESOURCES", "KubeletProxy"]

log = logging.getLogger("kubeling.apiserver")

#: The pod subresources served here, with their kubelet path prefixes.
STREAM_SUBRESOURCES = {
    "log": "/containerLogs",
    "exec": "/exec",
    "attach": "/attach",
    "portforward": "/portForward",
}
# Request headers an upgrade needs end to end; the rest (credentials...) stays here.
_FORWARDED_HEADERS = frozenset(
    {
        "upgrade",
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-protocol",
        "sec-websocket-extensions",
        "x-stream-protocol-version",
        "user-agent",
        "origin",
    }
)
# Response headers aiohttp writes itself.
_OWN_RESPONSE_HEADERS = frozenset({"date", "server", "content-length", "transfer-encoding"})
_CHUNK = 64 * 1024
_ERROR_BODY_LIMIT = 50_000


class KubeletProxy:
    """Serves the streaming pod subresources by proxying to kubelets."""

    def __init__(
        self, pods: ResourceStore, nodes: ResourceStore, *, ssl_context: ssl.SSLContext | None
    ) -> None:
        self._pods = pods
        self._nodes = nodes
        self._ssl = ssl_context if ssl_context is not None else ssl.create_default_context()
        self._session: aiohttp.ClientSession | None = None
        self._active: set[asyncio.Task[Any]] = set()

    async def close(self) -> None:
        """End every open stream and the connections to kubelets."""
        active = list(self._active)
        for task in active:
            task.cancel()
        await asyncio.gather(*active, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def serve(
        self, request: web.Request, namespace: str, name: str, subresource: str
    ) -> web.StreamResponse:
        """Serve ``pods/<name>/<subresource>``; errors are raised as ``StatusError``."""
        task = asyncio.current_task()
        if task is not None:
            self._active.add(task)
        try:
            if subresource == "log":
                return await self._log(request, namespace, name)
            return await self._connect(request, namespace, name, subresource)
        finally:
            if task is not None:
                self._active.discard(task)

    # -- log ---------------------------------------------------------------------------------

    async def _log(self, request: web.Request, namespace: str, name: str) -> web.StreamResponse:
        options = parse_log_options(_multi(request))
        problems = validate_log_options(options)
        if problems:
            raise errors.invalid("PodLogOptions", name, problems)
        pod = await self._pods.get(namespace, name)
        container = validate_container(options.container, pod)
        location = await kubelet_location(self._nodes, pod)
        if location is None:
            return web.Response(status=204)  # no node yet: no log (a null stream upstream)
        path = f"/containerLogs/{quote(namespace)}/{quote(name)}/{quote(container)}"
        query = options.kubelet_query()
        url = location.url(path + ("?" + urlencode(query) if query else ""))
        session = self._client_session()
        try:
            upstream = await session.get(url, ssl=self._ssl, allow_redirects=False)
        except (aiohttp.ClientError, OSError) as err:
            raise errors.internal_error(f'Get "{url}": {_reason(err)}') from err
        async with upstream:
            if not 200 <= upstream.status <= 206:
                body = (await upstream.content.read(_ERROR_BODY_LIMIT)).decode(errors="replace")
                raise _kubelet_error(upstream.status, body, name)
            response = web.StreamResponse(status=200, headers={"Content-Type": "text/plain"})
            response.enable_chunked_encoding()
            await response.prepare(request)
            try:
                async for chunk in upstream.content.iter_any():
                    await response.write(chunk)
                await response.write_eof()
            except (aiohttp.ClientError, ConnectionError):
                pass  # either side went away: the stream just ends
            return response

    async def get_json(self, location: KubeletLocation, path: str, *, seconds: float) -> Any:
        """GET ``path`` from a kubelet and decode its JSON answer; a failure (unreachable, not
        200, not JSON, or slower than ``seconds``) raises ``StatusError`` (500) saying what
        happened."""
        url = location.url(path)
        session = self._client_session()
        try:
            async with session.get(
                url,
                ssl=self._ssl,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=seconds),
            ) as upstream:
                if upstream.status != 200:
                    body = (await upstream.content.read(_ERROR_BODY_LIMIT)).decode(errors="replace")
                    raise errors.internal_error(
                        f'Get "{url}": the kubelet answered {upstream.status}: {body.strip()}'
                    )
                return await upstream.json(content_type=None)
        except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as err:
            raise errors.internal_error(f'Get "{url}": {_reason(err)}') from err

    def _client_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=30),
                auto_decompress=False,
            )
        return self._session

    # -- exec, attach, portforward -------------------------------------------------------

    async def _connect(
        self, request: web.Request, namespace: str, name: str, subresource: str
    ) -> web.StreamResponse:
        query = _multi(request)
        if subresource == "portforward":
            forward = parse_port_forward_options(query)
            await self._admit(namespace, name, subresource, forward.to_api())
            kubelet_query = forward.kubelet_query()
            pod = await self._pods.get(namespace, name)
            path = f"/portForward/{quote(namespace)}/{quote(name)}"
        else:
            options = parse_stream_options(query, with_command=subresource == "exec")
            await self._admit(
                namespace, name, subresource, options.to_api(with_command=subresource == "exec")
            )
            pod = await self._pods.get(namespace, name)
            container = validate_container(options.container, pod)
            kubelet_query = options.kubelet_query(with_command=subresource == "exec")
            path = f"{STREAM_SUBRESOURCES[subresource]}/{quote(namespace)}/{quote(name)}"
            path += f"/{quote(container)}"
        location = await kubelet_location(self._nodes, pod)
        if location is None:
            raise errors.bad_request(f"pod {name} does not have a host assigned")
        if "upgrade" not in request.headers.get("Connection", "").lower() or not (
            request.headers.get("Upgrade")
        ):
            raise errors.bad_request("Upgrade request required")
        target = path + ("?" + urlencode(kubelet_query) if kubelet_query else "")
        return await self._upgrade(request, location, target)

    async def _admit(
        self, namespace: str, name: str, subresource: str, options: dict[str, Any]
    ) -> None:
        """CONNECT admission, on the options object (``PodExecOptions``...)."""
        await self._pods.admit_subresource(
            CONNECT,
            subresource,
            options,
            None,
            namespace=namespace,
            name=name,
            kind=GroupVersionKind("", "v1", str(options["kind"])),
        )

    async def _upgrade(
        self, request: web.Request, location: KubeletLocation, target: str
    ) -> web.StreamResponse:
        headers = [("Connection", "Upgrade")]
        headers += [
            (key, value)
            for key, value in request.headers.items()
            if key.lower() in _FORWARDED_HEADERS
        ]
        if request.method == "POST":
            headers.append(("Content-Length", "0"))
        try:
            result = await request_upgrade(
                host=location.host,
                port=location.port,
                ssl_context=self._ssl,
                method=request.method,
                target=target,
                headers=headers,
            )
        except (OSError, UpgradeError, asyncio.IncompleteReadError) as err:
            raise errors.internal_error(f"error dialing backend: {_reason(err)}") from err
        if result.head.status != 101:
            # The kubelet declined: its answer goes back as it is.
            response = web.Response(status=result.head.status, body=result.body)
            content_type = result.head.header("content-type")
            if content_type:
                response.headers["Content-Type"] = content_type
            return response
        try:
            client = await switch_protocols(
                request,
                [
                    (key, value)
                    for key, value in result.head.headers
                    if key.lower() not in _OWN_RESPONSE_HEADERS
                ],
            )
            await _splice(client, result.reader, result.writer)
        finally:
            result.writer.close()
        return client.response


async def _splice(
    client: RawConnection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """Copy both ways until either side is done (each side's close closes the other)."""

    async def to_kubelet() -> None:
        while data := await client.receive():
            writer.write(data)
            await writer.drain()

    async def to_client() -> None:
        while data := await reader.read(_CHUNK):
            await client.send(data)

    tasks = [asyncio.create_task(to_kubelet()), asyncio.create_task(to_client())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for outcome in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(outcome, Exception) and not isinstance(outcome, ConnectionError):
                log.debug("stream proxy ended: %r", outcome)
        with contextlib.suppress(ConnectionError, RuntimeError):
            await client.close()


def _multi(request: web.Request) -> dict[str, list[str]]:
    return {key: request.query.getall(key) for key in request.query}


def _reason(err: BaseException) -> str:
    if isinstance(err, aiohttp.ClientConnectorError):
        return str(err.os_error) or str(err)
    return str(err) or type(err).__name__


def _kubelet_error(status: int, body: str, name: str) -> errors.StatusError:
    """A kubelet error answer as a Status (``GenericHttpResponseChecker``)."""
    text = body.strip()
    if status == 500:
        return errors.internal_error(text)
    if status == 400:
        return errors.bad_request(text)
    return errors.generic_server_response(status, "", "pods/log", name, text)
