"""Service proxy benchmark: HTTP through a ClusterIP vs. straight to the pod, side by side.

Starts a real ``kubeling server`` and ``kubeling proxy`` (the userspace backend,
as ``kubeling up`` runs it) in a temporary directory, an HTTP server standing in
for the pod (its own process: a minimal asyncio HTTP/1.1 server that answers
every request with a short body), and a Service with an EndpointSlice pointing
at it. Then, alternating between the pod's own address and the Service's
cluster IP (127.96.x.y) so that both see the same machine:

1. throughput: ``--connections`` keep-alive connections sending requests back
   to back for ``--duration`` seconds; requests/s (goal: through the proxy
   >= 50% of direct);
2. latency: one connection, one request at a time (a lightly loaded proxy);
   p50 and p99, and the p99 the proxy adds (goal <= 2 ms);
3. connection rate: a new connection for each request, ``--connections`` at a
   time; requests/s (what accepting and connecting upstream costs).

The load generator runs in this process with its own minimal HTTP client, so
that its overhead is small and the same for both paths. The last line
summarizes: ``proxy: direct_rps=<x> proxy_rps=<x> ratio=<x> direct_p99_ms=<x>
proxy_p99_ms=<x> added_p99_ms=<x> direct_cps=<x> proxy_cps=<x>``.

    .venv/bin/python bench/proxy.py [--duration 5] [--connections 32] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.cluster import RunningServer, running_server

HERE = Path(__file__).resolve()

REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
REQUEST_CLOSE = b"GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"


class _HttpClient(asyncio.Protocol):
    """One keep-alive connection; ``ask`` sends a request and waits for its whole response."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.waiter: asyncio.Future[None] | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        head, sep, body = self.buffer.partition(b"\r\n\r\n")
        if not sep:
            return
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        if len(body) >= length:
            self.buffer = body[length:]
            if self.waiter is not None and not self.waiter.done():
                self.waiter.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc or ConnectionResetError("closed"))

    async def ask(self, request: bytes = REQUEST) -> None:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        await self.waiter


async def _connect(host: str, port: int) -> _HttpClient:
    _, client = await asyncio.get_running_loop().create_connection(_HttpClient, host, port)
    return client


async def throughput(host: str, port: int, connections: int, duration: float) -> float:
    """Requests/s over ``connections`` keep-alive connections."""
    clients = [await _connect(host, port) for _ in range(connections)]
    deadline = time.perf_counter() + duration
    counts = [0] * connections

    async def run(n: int) -> None:
        while time.perf_counter() < deadline:
            await clients[n].ask()
            counts[n] += 1

    started = time.perf_counter()
    await asyncio.gather(*(run(n) for n in range(connections)))
    elapsed = time.perf_counter() - started
    for client in clients:
        assert client.transport is not None
        client.transport.close()
    return sum(counts) / elapsed


async def latencies(host: str, port: int, duration: float) -> list[float]:
    """Seconds per request, one request at a time on one connection."""
    client = await _connect(host, port)
    samples: list[float] = []
    deadline = time.perf_counter() + duration
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        await client.ask()
        samples.append(time.perf_counter() - started)
    assert client.transport is not None
    client.transport.close()
    return samples


async def connection_rate(host: str, port: int, connections: int, duration: float) -> float:
    """Requests/s with a new connection for each request."""
    deadline = time.perf_counter() + duration
    count = 0

    async def run() -> None:
        nonlocal count
        while time.perf_counter() < deadline:
            client = await _connect(host, port)
            await client.ask(REQUEST_CLOSE)
            await client.closed
            count += 1

    started = time.perf_counter()
    await asyncio.gather(*(run() for _ in range(connections)))
    return count / (time.perf_counter() - started)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@contextmanager
def _process(args: list[str], log: Path) -> Iterator[subprocess.Popen[str]]:
    with log.open("w") as out:
        process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=out, stdin=subprocess.DEVNULL, text=True
        )
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _create_service(server: RunningServer, pod_port: int) -> str:
    """A Service and the EndpointSlice of its one pod; its cluster IP."""
    server.kubectl("create", "service", "clusterip", "bench", "--tcp=80:http")
    slice_ = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": "bench-1", "labels": {"kubernetes.io/service-name": "bench"}},
        "addressType": "IPv4",
        "ports": [{"name": "80-http", "port": pod_port, "protocol": "TCP"}],
        "endpoints": [{"addresses": ["127.0.0.1"], "nodeName": "bench-node"}],
    }
    server.kubectl("create", "-f", "-", input=json.dumps(slice_))
    return server.kubectl("get", "svc", "bench", "-o", "jsonpath={.spec.clusterIP}").stdout


async def _wait_answering(host: str, port: int) -> None:
    async with asyncio.timeout(30):
        while True:
            try:
                client = await _connect(host, port)
                await client.ask()
                assert client.transport is not None
                client.transport.close()
                return
            except OSError:
                await asyncio.sleep(0.1)


async def measure(
    args: argparse.Namespace, direct: tuple[str, int], service: tuple[str, int]
) -> None:
    rps: dict[str, list[float]] = {"direct": [], "proxy": []}
    lat: dict[str, list[float]] = {"direct": [], "proxy": []}
    cps: dict[str, list[float]] = {"direct": [], "proxy": []}
    for round_ in range(args.rounds):
        for name, (host, port) in (("direct", direct), ("proxy", service)):
            rps[name].append(await throughput(host, port, args.connections, args.duration))
            lat[name].extend(await latencies(host, port, args.duration))
            cps[name].append(await connection_rate(host, port, args.connections, args.duration))
            print(
                f"  round {round_ + 1} {name:6}: {rps[name][-1]:8.0f} req/s keep-alive, "
                f"{cps[name][-1]:6.0f} req/s new connections",
                flush=True,
            )
    direct_rps, proxy_rps = statistics.mean(rps["direct"]), statistics.mean(rps["proxy"])
    p = {name: (_percentile(v, 0.5) * 1000, _percentile(v, 0.99) * 1000) for name, v in lat.items()}
    for name in ("direct", "proxy"):
        print(
            f"  {name:6}: {statistics.mean(rps[name]):.0f} req/s ({args.connections} connections), "
            f"latency p50 {p[name][0]:.3f} ms p99 {p[name][1]:.3f} ms ({len(lat[name])} requests), "
            f"{statistics.mean(cps[name]):.0f} new connections/s"
        )
    print(
        f"proxy: direct_rps={direct_rps:.0f} proxy_rps={proxy_rps:.0f} "
        f"ratio={proxy_rps / direct_rps:.2f} direct_p99_ms={p['direct'][1]:.3f} "
        f"proxy_p99_ms={p['proxy'][1]:.3f} added_p99_ms={p['proxy'][1] - p['direct'][1]:.3f} "
        f"direct_cps={statistics.mean(cps['direct']):.0f} "
        f"proxy_cps={statistics.mean(cps['proxy']):.0f}"
    )


async def run(args: argparse.Namespace) -> None:
    print(f"command: {' '.join([os.path.basename(sys.executable), *sys.argv])}", flush=True)
    with tempfile.TemporaryDirectory(prefix="kubeling-bench-proxy-") as tmp:
        root = Path(tmp)
        backend_cmd = [sys.executable, str(HERE), "--serve-backend"]
        with running_server(root) as server, _process(backend_cmd, root / "pod.log") as pod:
            assert pod.stdout is not None
            pod_port = int(pod.stdout.readline())
            proxy_cmd = [
                sys.executable, "-m", "kubeling", "proxy", "--kubeconfig", str(server.kubeconfig),
                "--node-name", "bench-node", "--log-level", "warning",
            ]  # fmt: skip
            with _process(proxy_cmd, root / "proxy.log"):
                cluster_ip = _create_service(server, pod_port)
                await _wait_answering(cluster_ip, 80)
                print(f"  pod 127.0.0.1:{pod_port}, Service {cluster_ip}:80", flush=True)
                await measure(args, ("127.0.0.1", pod_port), (cluster_ip, 80))


async def serve_backend() -> None:
    """The pod: answer HTTP on a free port (printed on stdout) until SIGTERM."""
    from tests.support.backends import HttpBackend

    backend = await HttpBackend("bench-pod").start()
    print(backend.port, flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await backend.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2, help="direct/proxy alternations")
    parser.add_argument("--serve-backend", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_backend:
        asyncio.run(serve_backend())
        return
    gc.disable()  # the load generator's collector pauses would count as latency
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
