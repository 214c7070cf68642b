"""The kubelet's HTTPS server as a component: ``start``, ``stop``, its port.

It serves :class:`~kubeling.kubelet.server.app.KubeletApp` over TLS on the node's kubelet port
(10250 by default; 0 picks a free one, which ``port`` then tells). ``stop`` ends every open
stream (logs being followed, exec sessions, port-forwards) before it stops listening, so that it
never waits on a client.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass

from aiohttp import web

from kubeling.kubelet.server.app import Identify, KubeletApp, Summary
from kubeling.kubelet.server.interface import StreamingRuntime

__all__ = ["DEFAULT_PORT", "KubeletServer", "KubeletServerConfig"]

log = logging.getLogger("kubeling.kubelet.server")

DEFAULT_PORT = 10250


@dataclass(frozen=True, kw_only=True)
class KubeletServerConfig:
    """Where and how the kubelet serves."""

    bind_address: str = "0.0.0.0"
    port: int = DEFAULT_PORT
    #: The serving certificate (signed by the cluster CA) and the CA that client certificates
    #: must chain to (``CERT_OPTIONAL`` or ``CERT_REQUIRED``). None serves plain HTTP (tests).
    ssl_context: ssl.SSLContext | None = None
    #: Reads a client certificate into (user, groups); None accepts every caller (tests only).
    identify: Identify | None = None
    #: How often a followed log is checked for new lines, in seconds.
    log_poll_interval: float = 0.2


class KubeletServer:
    """The kubelet's streaming server."""

    def __init__(
        self,
        config: KubeletServerConfig,
        runtime: StreamingRuntime,
        *,
        summary: Summary | None = None,
    ) -> None:
        self.config = config
        self._app = KubeletApp(
            runtime,
            identify=config.identify,
            log_poll_interval=config.log_poll_interval,
            summary=summary,
        )
        self._runner: web.AppRunner | None = None
        self.port = config.port

    async def start(self) -> None:
        """Listen; ``port`` is the bound port afterwards."""
        self._runner = web.AppRunner(self._app.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(
            self._runner,
            self.config.bind_address,
            self.config.port,
            ssl_context=self.config.ssl_context,
            reuse_address=True,
        )
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = int(sockets[0].getsockname()[1])
        log.info("kubelet server listening on %s:%d", self.config.bind_address, self.port)

    async def stop(self) -> None:
        """End the open streams, then stop listening."""
        sessions = list(self._app.sessions)
        for task in sessions:
            task.cancel()
        await asyncio.gather(*sessions, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
