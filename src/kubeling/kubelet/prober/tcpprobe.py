"""TCP socket probes: success if a connection opens within the timeout (``DoTCPProbe``)."""

from __future__ import annotations

import asyncio
import contextlib

from kubeling.kubelet.prober.httpget import dial_error, join_host_port
from kubeling.kubelet.prober.result import ProbeResult

__all__ = ["tcp_probe"]


async def tcp_probe(host: str, port: int, timeout_seconds: float) -> tuple[ProbeResult, str]:
    """Connect to ``host:port`` and close at once; failures read as Go's ``net.Dial``."""
    address = join_host_port(host, port)
    try:
        async with asyncio.timeout(timeout_seconds):
            _, writer = await asyncio.open_connection(host, port)
    except TimeoutError:
        return ProbeResult.FAILURE, f"dial tcp {address}: i/o timeout"
    except OSError as err:
        return ProbeResult.FAILURE, dial_error(address, err)
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return ProbeResult.SUCCESS, ""
