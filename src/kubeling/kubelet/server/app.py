"""The kubelet's streaming endpoints (aiohttp), as Kubernetes' kubelet serves them on :10250.

=====================================================  ====================================
``GET /containerLogs/{ns}/{pod}/{container}``            the log, with ``PodLogOptions``
``GET|POST /exec/{ns}/{pod}[/{uid}]/{container}``        ``?command=...&input=1&output=1...``
``GET|POST /attach/{ns}/{pod}[/{uid}]/{container}``      ``?input=1&output=1&error=1&tty=1``
``GET|POST /portForward/{ns}/{pod}[/{uid}]``             SPDY port-forward
``GET /stats/summary``                                   ``stats/v1alpha1`` ``Summary``
``GET /healthz``                                         ``ok``
=====================================================  ====================================

Exec, attach and port-forward are upgrades: WebSocket (``v5``/``v4.channel.k8s.io`` for exec
and attach; ``SPDY/3.1+portforward.k8s.io``, SPDY tunnelled in WebSocket messages, for
port-forward) or native SPDY/3.1 (``X-Stream-Protocol-Version`` negotiated). Over WebSocket the
server speaks the protocols itself, as the API server's stream translator does for a kubelet that
speaks only SPDY; so a failure after the upgrade reaches the client as the translator reports it
(``Internal error occurred: unable to upgrade connection: container not found ("x")``).

Errors before an upgrade are plain text with the kubelet's status codes and messages: the API
server turns them into Statuses (``GenericHttpResponseChecker``).

Authentication and authorization: the caller's TLS client certificate must name an identity the
API server uses (``kube-apiserver-kubelet-client``, or any member of ``system:masters``);
anything else gets 401 or 403, as a kubelet with anonymous access off and webhook authorization.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from aiohttp import WSMsgType, web

from kubeling.api import errors
from kubeling.api.goformat import go_quote
from kubeling.api.podoptions import LogOptions, parse_log_options, validate_log_options
from kubeling.httpstream import channels
from kubeling.httpstream.hijack import switch_protocols
from kubeling.httpstream.spdy_session import SpdySession, SpdyStream
from kubeling.kubelet.server.container_logs import (
    LogRequest,
    LogUnavailable,
    log_container_id,
    read_log,
)
from kubeling.kubelet.server.cri_log import LogTimestamp
from kubeling.kubelet.server.interface import (
    ContainerNotFound,
    ContainerStream,
    Pod,
    StreamingError,
    StreamingRuntime,
)
from kubeling.kubelet.server.portforward import PortForwarder
from kubeling.kubelet.server.remotecommand import (
    Resize,
    SpdyTransport,
    WebSocketTransport,
    first_event,
    pump,
)

__all__ = ["APISERVER_KUBELET_CLIENT", "Identify", "KubeletApp", "Summary", "may_use_kubelet"]

log = logging.getLogger("kubeling.kubelet.server")

#: The user the API server authenticates as to kubelets (kubeadm's ``apiserver-kubelet-client``).
APISERVER_KUBELET_CLIENT = "kube-apiserver-kubelet-client"
#: Reads a verified TLS peer certificate (``getpeercert()``) into a user and groups.
Identify = Callable[[Mapping[str, Any]], tuple[str, Sequence[str]] | None]
#: The node's summary stats (``stats/v1alpha1`` ``Summary``) now.
Summary = Callable[[], Awaitable[Mapping[str, Any]]]

TUNNELING_PROTOCOL = "SPDY/3.1+portforward.k8s.io"
PORT_FORWARD_PROTOCOL = "portforward.k8s.io"
_STREAM_TIMEOUT = 30.0


def may_use_kubelet(user: str, groups: Sequence[str]) -> bool:
    """Whether an identity may use these endpoints (``nodes/proxy`` for the API server).

    >>> may_use_kubelet("kube-apiserver-kubelet-client", ()), may_use_kubelet("bob", ("dev",))
    (True, False)
    """
    return user == APISERVER_KUBELET_CLIENT or "system:masters" in groups


def _text(status: int, message: str) -> web.Response:
    return web.Response(status=status, text=message + "\n", content_type="text/plain")


def _upgrade_kind(request: web.Request) -> str | None:
    """``websocket``, ``spdy`` or None, from the Connection and Upgrade headers."""
    connection = request.headers.get("Connection", "").lower()
    if "upgrade" not in connection:
        return None
    upgrade = request.headers.get("Upgrade", "").lower()
    if upgrade == "websocket":
        return "websocket"
    if upgrade == "spdy/3.1":
        return "spdy"
    return None


def _offered_subprotocols(request: web.Request) -> list[str]:
    return [
        part.strip()
        for header in request.headers.getall("Sec-WebSocket-Protocol", [])
        for part in header.split(",")
        if part.strip()
    ]


def _negotiate_spdy(request: web.Request, supported: Sequence[str]) -> str | web.Response:
    """The ``X-Stream-Protocol-Version`` both support (client's order), or the 403."""
    offered = [
        part.strip()
        for header in request.headers.getall("X-Stream-Protocol-Version", [])
        for part in header.split(",")
        if part.strip()
    ]
    if not offered:
        return _text(400, "unable to upgrade: X-Stream-Protocol-Version is required")
    for protocol in offered:
        if protocol in supported:
            return protocol
    response = _text(
        403,
        "unable to upgrade: unable to negotiate protocol: client supports "
        f"[{' '.join(offered)}], server accepts [{' '.join(supported)}]",
    )
    for protocol in supported:
        response.headers.add("X-Accepted-Stream-Protocol-Versions", protocol)
    return response


def _has_container(pod: Pod, name: str) -> bool:
    spec = pod.get("spec") or {}
    return any(
        isinstance(c, Mapping) and c.get("name") == name
        for key in ("containers", "initContainers", "ephemeralContainers")
        for c in spec.get(key) or []
    )


class KubeletApp:
    """The aiohttp application over a :class:`StreamingRuntime`."""

    def __init__(
        self,
        runtime: StreamingRuntime,
        *,
        identify: Identify | None,
        log_poll_interval: float = 0.2,
        summary: Summary | None = None,
    ) -> None:
        self._runtime = runtime
        self._identify = identify
        self._summary = summary
        self._log_poll_interval = log_poll_interval
        #: Streaming handlers still running (stop() ends them before the runner waits).
        self.sessions: set[asyncio.Task[Any]] = set()
        self.app = web.Application(middlewares=[self._authenticate])
        self.app.router.add_get("/healthz", self._healthz)
        self.app.router.add_get("/stats/summary", self._stats_summary)
        self.app.router.add_get(
            "/containerLogs/{namespace}/{pod}/{container}", self._container_logs
        )
        for method in ("GET", "POST"):
            for prefix, handler in (("/exec", self._exec), ("/attach", self._attach)):
                self.app.router.add_route(
                    method, prefix + "/{namespace}/{pod}/{container}", handler
                )
                self.app.router.add_route(
                    method, prefix + "/{namespace}/{pod}/{uid}/{container}", handler
                )
            self.app.router.add_route(method, "/portForward/{namespace}/{pod}", self._port_forward)
            self.app.router.add_route(
                method, "/portForward/{namespace}/{pod}/{uid}", self._port_forward
            )

    # -- authentication ------------------------------------------------------------------------

    @web.middleware
    async def _authenticate(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if self._identify is not None and request.path != "/healthz":
            transport = request.transport
            peercert = transport.get_extra_info("peercert") if transport is not None else None
            identity = self._identify(peercert) if peercert else None
            if identity is None:
                return _text(401, "Unauthorized")
            user, groups = identity
            if not may_use_kubelet(user, groups):
                verb = "create" if request.method == "POST" else "get"
                return _text(
                    403,
                    f"Forbidden (user={user}, verb={verb}, resource=nodes, subresource=proxy)",
                )
        task = asyncio.current_task()
        if task is not None:
            self.sessions.add(task)
        try:
            return await handler(request)
        finally:
            if task is not None:
                self.sessions.discard(task)

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok", content_type="text/plain")

    async def _stats_summary(self, request: web.Request) -> web.Response:
        if self._summary is None:
            return _text(404, "404 page not found")
        summary = await self._summary()
        return web.Response(text=json.dumps(summary), content_type="application/json")

    # -- logs --------------------------------------------------------------------------------

    async def _container_logs(self, request: web.Request) -> web.StreamResponse:
        namespace = request.match_info["namespace"]
        pod_name = request.match_info["pod"]
        container = request.match_info["container"]
        query = {key: request.query.getall(key) for key in request.query}
        tail = query.pop("tail", None)  # the kubelet's old name for tailLines; "all" is no limit
        if tail and tail[0] != "all":
            query["tailLines"] = tail
        try:
            options = parse_log_options(query)
        except errors.StatusError:
            return _text(400, '{"message": "Unable to decode query."}')
        if validate_log_options(options):
            return _text(422, '{"message": "Invalid request."}')
        pod = self._runtime.get_pod(namespace, pod_name)
        if pod is None:
            return _text(404, f"pod {go_quote(pod_name)} does not exist")
        if not _has_container(pod, container):
            return _text(
                404, f"container {go_quote(container)} not found in pod {go_quote(pod_name)}"
            )
        try:
            container_id = log_container_id(pod, container, previous=options.previous)
        except LogUnavailable as err:
            return _text(400, str(err))
        path = self._runtime.log_path(container_id)
        if path is None or not path.exists():
            return _text(400, f"failed to get container status {go_quote(container_id)}: not found")
        response = web.StreamResponse(status=200, headers={"Content-Type": "text/plain"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        reader = read_log(
            path,
            _log_request(options),
            running=lambda: self._runtime.is_running(container_id),
            poll_interval=self._log_poll_interval,
        )
        try:
            async for chunk in reader:
                await response.write(chunk)
            await response.write_eof()
        except ConnectionError:
            pass  # the client went away
        finally:
            await reader.aclose()
        return response

    # -- exec and attach ---------------------------------------------------------------------

    async def _exec(self, request: web.Request) -> web.StreamResponse:
        command = request.query.getall("command", [])
        return await self._remote_command(request, command=command)

    async def _attach(self, request: web.Request) -> web.StreamResponse:
        return await self._remote_command(request, command=None)

    async def _remote_command(
        self, request: web.Request, *, command: Sequence[str] | None
    ) -> web.StreamResponse:
        flags = {
            name: request.query.get(name) == "1" for name in ("input", "output", "error", "tty")
        }
        stdin, stdout, tty = flags["input"], flags["output"], flags["tty"]
        stderr = flags["error"] and not tty  # a TTY merges stderr into stdout
        if not (stdin or stdout or stderr):
            return _text(400, "you must specify at least 1 of stdin, stdout, stderr")
        pod = self._pod(request)
        if isinstance(pod, web.Response):
            return pod
        container = request.match_info["container"]

        async def start(size: tuple[int, int] | None = None) -> ContainerStream:
            if command is None:
                return await self._runtime.attach(
                    pod, container, stdin=stdin, stdout=stdout, stderr=stderr, tty=tty
                )
            return await self._runtime.exec(
                pod,
                container,
                command,
                stdin=stdin,
                stdout=stdout,
                stderr=stderr,
                tty=tty,
                size=size,
            )

        failure = (
            "error executing command in container"
            if command is not None
            else "error attaching to container"
        )
        kind = _upgrade_kind(request)
        if kind == "websocket":
            protocol = channels.negotiate(_offered_subprotocols(request))
            if protocol is None:
                offered = " ".join(_offered_subprotocols(request))
                return _text(
                    400,
                    f"requested protocol(s) are not supported: [{offered}]; "
                    f"supports [{' '.join(channels.PROTOCOLS)}]",
                )
            ws = web.WebSocketResponse(protocols=(protocol,), max_msg_size=0)
            await ws.prepare(request)
            transport = WebSocketTransport(ws, protocol)
            try:
                await transport.hello(stdout=stdout, stderr=stderr)
                first = await first_event(transport) if tty and command is not None else None
                try:
                    stream = await start(
                        (first.width, first.height) if isinstance(first, Resize) else None
                    )
                except ContainerNotFound as err:
                    await transport.finish(
                        errors.internal_error(f"unable to upgrade connection: {err}").to_status()
                    )
                    return ws
                except StreamingError as err:
                    await transport.finish(errors.internal_error(f"{failure}: {err}").to_status())
                    return ws
                await pump(transport, stream, tty=tty, first=first)
            except ConnectionError:
                pass  # the client went away
            return ws
        if kind == "spdy":
            protocol_or_error = _negotiate_spdy(request, channels.PROTOCOLS)
            if isinstance(protocol_or_error, web.Response):
                return protocol_or_error
            # A missing container fails the upgrade itself (GetExec); a command that does not
            # start is reported after it, on the error stream.
            started: ContainerStream | dict[str, Any]
            try:
                started = await start()
            except ContainerNotFound as err:
                return _text(500, str(err))
            except StreamingError as err:
                started = dict(errors.internal_error(f"{failure}: {err}").to_status())
            try:
                return await self._serve_spdy_command(
                    request,
                    protocol_or_error,
                    started,
                    flags={"stdin": stdin, "stdout": stdout, "stderr": stderr, "resize": tty},
                )
            finally:
                if not isinstance(started, dict):
                    await started.close()
        return _text(400, "Upgrade request required")

    async def _serve_spdy_command(
        self,
        request: web.Request,
        protocol: str,
        started: ContainerStream | dict[str, Any],
        *,
        flags: Mapping[str, bool],
    ) -> web.StreamResponse:
        expected = {"error"} | {name for name, wanted in flags.items() if wanted}
        streams: dict[str, SpdyStream] = {}
        complete = asyncio.Event()

        def accept(new: SpdyStream) -> str | None:
            kind = new.header("streamType")
            if kind not in expected or kind in streams:
                return f"unexpected stream of type {go_quote(kind)}"
            streams[kind] = new
            if set(streams) == expected:
                complete.set()
            return None

        raw = await switch_protocols(
            request,
            [
                ("Connection", "Upgrade"),
                ("Upgrade", "SPDY/3.1"),
                ("X-Stream-Protocol-Version", protocol),
            ],
        )
        session = SpdySession(raw, accept=accept)
        serving = asyncio.create_task(session.serve())
        try:
            try:
                async with asyncio.timeout(_STREAM_TIMEOUT):
                    await complete.wait()
            except TimeoutError:
                log.info("exec/attach: timed out waiting for client to create streams")
                return raw.response
            transport = SpdyTransport(session, streams, serving)
            if isinstance(started, dict):
                await transport.finish(started)
            else:
                await pump(transport, started, tty=flags["resize"])
        finally:
            await session.close()
            serving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await serving
        return raw.response

    # -- port-forward ------------------------------------------------------------------------

    async def _port_forward(self, request: web.Request) -> web.StreamResponse:
        pod = self._pod(request)
        if isinstance(pod, web.Response):
            return pod
        pod_id = str((pod.get("metadata") or {}).get("uid", ""))

        async def connect(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
            return await self._runtime.port_forward(pod, port)

        forwarder = PortForwarder(connect=connect, pod_id=pod_id)
        kind = _upgrade_kind(request)
        if kind == "websocket":
            offered = _offered_subprotocols(request)
            if TUNNELING_PROTOCOL not in offered:
                return _text(
                    400,
                    f"requested protocol(s) are not supported: [{' '.join(offered)}]; "
                    f"supports [{TUNNELING_PROTOCOL}]",
                )
            ws = web.WebSocketResponse(protocols=(TUNNELING_PROTOCOL,), max_msg_size=0)
            await ws.prepare(request)
            session = SpdySession(_WebSocketBytes(ws), accept=forwarder.accept)
            try:
                await forwarder.serve(session)
            finally:
                await session.close()
            return ws
        if kind == "spdy":
            protocol = _negotiate_spdy(request, (PORT_FORWARD_PROTOCOL,))
            if isinstance(protocol, web.Response):
                return protocol
            raw = await switch_protocols(
                request,
                [
                    ("Connection", "Upgrade"),
                    ("Upgrade", "SPDY/3.1"),
                    ("X-Stream-Protocol-Version", protocol),
                ],
            )
            session = SpdySession(raw, accept=forwarder.accept)
            try:
                await forwarder.serve(session)
            finally:
                await session.close()
            return raw.response
        return _text(400, "Upgrade request required")

    # -- helpers -------------------------------------------------------------------------------

    def _pod(self, request: web.Request) -> Pod | web.Response:
        """The addressed pod, or the kubelet's 404."""
        pod = self._runtime.get_pod(request.match_info["namespace"], request.match_info["pod"])
        if pod is None:
            return _text(404, "pod does not exist")
        uid = request.match_info.get("uid")
        if uid and str((pod.get("metadata") or {}).get("uid", "")) != uid:
            return _text(404, "pod not found")
        return pod


def _log_request(options: LogOptions) -> LogRequest:
    """The reader's options (``NewLogOptions``): the later of sinceSeconds and sinceTime."""
    since: LogTimestamp | None = None
    if options.since_seconds is not None:
        since = LogTimestamp(time.time_ns() - options.since_seconds * 1_000_000_000)
    if options.since_time is not None:
        stamp = LogTimestamp(int(options.since_time.timestamp()) * 1_000_000_000)
        if since is None or stamp > since:
            since = stamp
    return LogRequest(
        tail_lines=options.tail_lines,
        limit_bytes=options.limit_bytes,
        since=since,
        follow=options.follow,
        timestamps=options.timestamps,
    )


class _WebSocketBytes:
    """A byte channel over a WebSocket's binary messages (SPDY tunnelled as kubectl does)."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self._ws = ws

    async def receive(self) -> bytes:
        while True:
            message = await self._ws.receive()
            if message.type == WSMsgType.BINARY:
                if message.data:
                    return bytes(message.data)
                continue
            if message.type in (WSMsgType.PING, WSMsgType.PONG):
                continue
            return b""  # closed, failed, or a text frame (not part of the tunnel)

    async def send(self, data: bytes) -> None:
        if self._ws.closed:
            raise ConnectionResetError("the WebSocket is closed")
        await self._ws.send_bytes(data)

    async def close(self) -> None:
        await self._ws.close()
