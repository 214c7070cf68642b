"""gRPC probes: ``grpc.health.v1.Health/Check`` over plain-text HTTP/2 (``pkg/probe/grpc``).

``SERVING`` is success; any other status, an error or a timeout a failure, with the messages
Kubernetes gives. The health messages are small enough to encode by hand (``service`` is
field 1 of the request, ``status`` field 1 of the response), so no generated code is needed.
"""

from __future__ import annotations

import asyncio
from typing import Final

import grpc
from grpc import aio

from kubeling.kubelet.backoff import format_seconds
from kubeling.kubelet.prober.httpget import join_host_port, user_agent
from kubeling.kubelet.prober.result import ProbeResult

__all__ = ["SERVING_STATUS", "decode_status", "encode_request", "grpc_probe"]

CHECK_METHOD: Final = "/grpc.health.v1.Health/Check"
#: ``HealthCheckResponse.ServingStatus`` by number.
SERVING_STATUS: Final = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def encode_request(service: str) -> bytes:
    """``HealthCheckRequest{service}`` in protobuf.

    >>> encode_request(""), encode_request("db")
    (b'', b'\\n\\x02db')
    """
    data = service.encode()
    return b"\x0a" + _varint(len(data)) + data if data else b""


def decode_status(message: bytes) -> int:
    """The ``status`` of a ``HealthCheckResponse`` (0 when absent); other fields skipped.

    >>> decode_status(b"\\x08\\x01"), decode_status(b"")
    (1, 0)
    """
    status, index = 0, 0

    def varint() -> int:
        nonlocal index
        value, shift = 0, 0
        while True:
            byte = message[index]
            index += 1
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
            shift += 7

    while index < len(message):
        key = varint()
        field, wire = key >> 3, key & 7
        if wire == 0:
            value = varint()
            if field == 1:
                status = value
        elif wire == 2:
            length = varint()  # read before adding: varint() moves the index
            index += length
        elif wire == 1:
            index += 8
        elif wire == 5:
            index += 4
        else:
            break
    return status


async def grpc_probe(
    host: str, port: int, service: str, timeout_seconds: float
) -> tuple[ProbeResult, str]:
    """Check ``service`` ("" the server as a whole) at ``host:port``."""
    address = join_host_port(host, port)
    options = [("grpc.primary_user_agent", user_agent("probe"))]
    async with aio.insecure_channel(address, options=options) as channel:
        try:
            await asyncio.wait_for(channel.channel_ready(), timeout_seconds)
        except TimeoutError:
            return (
                ProbeResult.FAILURE,
                f'timeout: failed to connect service "{address}" within '
                f"{format_seconds(timeout_seconds)}: context deadline exceeded",
            )
        check = channel.unary_unary(
            CHECK_METHOD, request_serializer=encode_request, response_deserializer=decode_status
        )
        try:
            status = await check(service, timeout=timeout_seconds)
        except aio.AioRpcError as err:
            code = err.code()
            if code is grpc.StatusCode.UNIMPLEMENTED:
                return (
                    ProbeResult.FAILURE,
                    "this server doesn't implement the grpc health protocol "
                    f"(grpc.health.v1.Health): {err.details()}",
                )
            if code is grpc.StatusCode.DEADLINE_EXCEEDED:
                return (
                    ProbeResult.FAILURE,
                    "timeout: health rpc did not complete within "
                    f"{format_seconds(timeout_seconds)}",
                )
            name = "".join(part.capitalize() for part in code.name.split("_"))
            return (
                ProbeResult.FAILURE,
                f"error: health rpc probe failed: rpc error: code = {name} desc = {err.details()}",
            )
    if status != 1:
        return (
            ProbeResult.FAILURE,
            f'service unhealthy (responded with "{SERVING_STATUS.get(status, str(status))}")',
        )
    return ProbeResult.SUCCESS, "service healthy"
