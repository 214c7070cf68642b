"""Cluster DNS benchmark: queries/s and latency of ``kubeling dns`` over UDP.

Starts a real ``kubeling server`` and ``kubeling dns`` (on 127.96.0.10, a free port)
in a temporary directory, creates 100 Services through the API, waits until the
DNS answers for the last one, then sends queries over UDP from this process,
keeping ``--window`` queries in flight, for ``--seconds`` per run:

1. repeated questions: A and SRV of the Services and names that do not exist
   (NXDOMAIN), what resolvers ask again and again; the server answers these from
   its answer cache;
2. the same names in random letter case (DNS 0x20, as unbound sends them): every
   query is new bytes, so every one is decoded, looked up in the zone and encoded.

Latency is from sending a query to receiving its answer, so it includes waiting
behind the other queries in flight. The load generator shares the machine's two
cores with the server; it is a plain non-blocking socket loop to leave the server
as much CPU as possible.

    .venv/bin/python bench/dns.py [--seconds 5] [--window 32] [--services 100]

The last line summarizes: ``dns: qps=<x> p99_ms=<x> uncached_qps=<x>
uncached_p99_ms=<x>`` (goal: qps >= 10,000).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import select
import socket
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.cluster import running_server
from tests.support.dns import running_dns

from kubeling.client import ApiClient, load_client_config
from kubeling.client.resources import NAMESPACES, SERVICES
from kubeling.dns.message import NXDOMAIN, SRV, A, Flags, Message, Question
from kubeling.dns.wire import decode_message, encode_message


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _questions(services: int) -> list[Question]:
    questions: list[Question] = []
    for i in range(services):
        name = f"svc-{i}.bench.svc.cluster.local"
        questions.append(Question(name, A))
        questions.append(Question(f"_http._tcp.{name}", SRV))
        questions.append(Question(f"missing-{i}.bench.svc.cluster.local", A))
    return questions


def _random_case(name: str, rng: random.Random) -> str:
    return "".join(c.upper() if rng.random() < 0.5 else c for c in name)


def _packets(questions: list[Question], *, random_case: bool, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    count = len(questions) * (50 if random_case else 1)
    packets = []
    for i in range(count):
        question = questions[i % len(questions)]
        if random_case:
            question = Question(_random_case(question.name, rng), question.qtype)
        packets.append(encode_message(Message(id=0, flags=Flags.RD, questions=[question])))
    return packets


def load(
    address: tuple[str, int], packets: list[bytes], *, seconds: float, window: int
) -> tuple[int, list[float], int]:
    """Send ``packets`` round-robin with ``window`` in flight for ``seconds``: the answers
    received in that time, the latencies of all answers (s, including those still in flight
    at the end, waited for up to a second), and queries never answered."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    sock.connect(address)
    sock.setblocking(False)
    in_flight: dict[int, float] = {}
    latencies: list[float] = []
    lost = 0
    ident = 0
    index = 0
    clock = time.perf_counter
    deadline = clock() + seconds
    last_answer = clock()
    answered = -1  # set at the deadline: what came back within the run
    while True:
        now = clock()
        if now >= deadline:
            if answered < 0:
                answered = len(latencies)
            if not in_flight or now >= deadline + 1:
                break
        while now < deadline and len(in_flight) < window:
            ident = (ident + 1) & 0xFFFF
            while ident in in_flight:
                ident = (ident + 1) & 0xFFFF
            packet = packets[index]
            index = (index + 1) % len(packets)
            try:
                sock.send(ident.to_bytes(2, "big") + packet[2:])
            except BlockingIOError:
                break
            in_flight[ident] = clock()
        readable, _, _ = select.select([sock], [], [], 0.05)
        if readable:
            while True:
                try:
                    data = sock.recv(4096)
                except BlockingIOError:
                    break
                sent = in_flight.pop(int.from_bytes(data[:2], "big"), None)
                if sent is not None:
                    now = clock()
                    latencies.append(now - sent)
                    last_answer = now
        elif clock() - last_answer > 1.0:
            # Dropped somewhere (a full socket buffer): stop waiting for them.
            lost += len(in_flight)
            in_flight.clear()
            last_answer = clock()
    lost += len(in_flight)
    sock.close()
    return answered, latencies, lost


async def _create_services(kubeconfig: Path, count: int) -> None:
    async with ApiClient(load_client_config(kubeconfig)) as client:
        await client.resource(NAMESPACES).create({"metadata": {"name": "bench"}})
        services = client.resource(SERVICES)
        await asyncio.gather(
            *(
                services.create(
                    {
                        "metadata": {"name": f"svc-{i}", "namespace": "bench"},
                        "spec": {"ports": [{"name": "http", "port": 80}]},
                    }
                )
                for i in range(count)
            )
        )


def _wait_for(address: tuple[str, int], name: str, timeout: float = 30) -> None:
    query = encode_message(Message(id=7, flags=Flags.RD, questions=[Question(name, A)]))
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(1)
        while time.monotonic() < deadline:
            sock.sendto(query, address)
            try:
                answer = decode_message(sock.recv(4096))
            except TimeoutError:
                continue
            if answer.rcode != NXDOMAIN and answer.answers:
                return
            time.sleep(0.1)
    raise RuntimeError(f"the DNS never answered {name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--window", type=int, default=32)
    parser.add_argument("--services", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kubeling-bench-dns-") as tmp:
        root = Path(tmp)
        with (
            running_server(root / "server") as server,
            running_dns(server.kubeconfig, root, "--upstream", "127.0.0.1:9") as dns,
        ):
            asyncio.run(_create_services(server.kubeconfig, args.services))
            address = (dns.host, dns.port)
            _wait_for(address, f"svc-{args.services - 1}.bench.svc.cluster.local")
            questions = _questions(args.services)
            results = {}
            for label, random_case in (("repeated", False), ("0x20", True)):
                packets = _packets(questions, random_case=random_case, seed=1)
                load(address, packets, seconds=0.5, window=args.window)  # warm up
                answered, latencies, lost = load(
                    address, packets, seconds=args.seconds, window=args.window
                )
                qps = answered / args.seconds
                p50 = _percentile(latencies, 0.50) * 1000
                p99 = _percentile(latencies, 0.99) * 1000
                results[label] = (qps, p99)
                print(
                    f"{label:>8}: {qps:,.0f} queries/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
                    f"lost {lost} (window {args.window}, {len(packets)} distinct queries)",
                    flush=True,
                )
            print(f"server RSS: {dns.rss_bytes() / 1e6:.1f} MB")
    qps, p99 = results["repeated"]
    uncached_qps, uncached_p99 = results["0x20"]
    print(
        f"dns: qps={qps:.0f} p99_ms={p99:.2f} "
        f"uncached_qps={uncached_qps:.0f} uncached_p99_ms={uncached_p99:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
