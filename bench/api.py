"""API server benchmark: creates/s, get latency under load, big LISTs, watch fan-out.

Starts a real ``kubeling server`` (sqlite datastore, HTTPS, client-cert auth)
in a temporary directory and drives it over HTTPS from this process with
aiohttp, as a client library would:

1. pod creates/s with 50 concurrent clients (goal >= 1,000/s);
2. GET p99 while those creates run;
3. LIST of 10,000 pods in one namespace, p50/p99 over repeated lists
   (goal p99 <= 300 ms; the Kubernetes SLO is 30 s);
4. watch delivery to 1,000 watchers: the delay from a create's response to
   each watcher receiving the event, p50/p99 (goal p99 <= 100 ms).

    .venv/bin/python bench/api.py [--pods 10000] [--clients 50] [--watchers 1000]

The benchmark process turns its own cycle collector off: with 10,000 pods
parsed from each LIST its full collections pause it for up to 100 ms, and a
paused load generator would report that pause as server latency. The server
runs as it always does.

The last line summarizes: ``api: creates_per_s=<x> get_p99_ms=<x> list_p99_ms=<x>
watch_p99_ms=<x>``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.cluster import running_server

from kubeling.cli.kubeconfig import load_kubeconfig


def _pod(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "bench"}},
        "spec": {"containers": [{"name": "c", "image": "busybox", "command": ["sleep", "1"]}]},
    }


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _ssl(kubeconfig: Path, workdir: Path) -> ssl.SSLContext:
    config = load_kubeconfig(kubeconfig)
    context = ssl.create_default_context(cadata=config.ca_pem.decode() if config.ca_pem else None)
    cert, key = workdir / "client.crt", workdir / "client.key"
    assert config.client_cert_pem is not None
    assert config.client_key_pem is not None
    cert.write_bytes(config.client_cert_pem)
    key.write_bytes(config.client_key_pem)
    context.load_cert_chain(cert, key)
    return context


async def _create_pods(
    session: aiohttp.ClientSession, url: str, ns: str, names: list[str], clients: int
) -> tuple[float, list[float]]:
    queue = list(reversed(names))
    latencies: list[float] = []

    async def worker() -> None:
        while queue:
            name = queue.pop()
            started = time.perf_counter()
            async with session.post(f"{url}/api/v1/namespaces/{ns}/pods", json=_pod(name)) as r:
                await r.read()
                if r.status != 201:
                    raise RuntimeError(f"create {name}: {r.status}")
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return len(names) / (time.perf_counter() - started), latencies


async def _gets_during(
    session: aiohttp.ClientSession, url: str, ns: str, name: str, done: asyncio.Event
) -> list[float]:
    latencies: list[float] = []
    while not done.is_set():
        started = time.perf_counter()
        async with session.get(f"{url}/api/v1/namespaces/{ns}/pods/{name}") as r:
            await r.read()
        latencies.append(time.perf_counter() - started)
    return latencies


async def _watch_fanout(
    session: aiohttp.ClientSession, url: str, watchers: int, events: int
) -> list[float]:
    ns = "watch"
    async with session.post(f"{url}/api/v1/namespaces", json={"metadata": {"name": ns}}) as r:
        await r.read()
    async with session.get(f"{url}/api/v1/namespaces/{ns}/configmaps") as r:
        rv = (await r.json())["metadata"]["resourceVersion"]
    created_at: dict[str, float] = {}
    delays: list[float] = []
    ready = 0
    all_ready = asyncio.Event()

    async def watcher() -> None:
        nonlocal ready
        seen = 0
        async with session.get(
            f"{url}/api/v1/namespaces/{ns}/configmaps",
            params={"watch": "true", "resourceVersion": rv, "timeoutSeconds": "120"},
        ) as r:
            ready += 1
            if ready == watchers:
                all_ready.set()
            async for line in r.content:
                event = json.loads(line)
                name = event["object"]["metadata"]["name"]
                arrived = time.perf_counter()
                # the create's response may come after its watch event: its send time
                # was recorded before the request, so it is always known here
                delays.append(arrived - created_at[name])
                seen += 1
                if seen == events:
                    return

    tasks = [asyncio.create_task(watcher()) for _ in range(watchers)]
    await asyncio.wait_for(all_ready.wait(), 120)
    await asyncio.sleep(0.5)
    for i in range(events):
        name = f"cm{i}"
        body = {"metadata": {"name": name}, "data": {"i": str(i)}}
        created_at[name] = time.perf_counter()
        async with session.post(f"{url}/api/v1/namespaces/{ns}/configmaps", json=body) as r:
            await r.read()
        await asyncio.sleep(0.05)
    await asyncio.wait_for(asyncio.gather(*tasks), 120)
    return delays


async def run(args: argparse.Namespace) -> None:
    print(f"command: {' '.join([os.path.basename(sys.executable), *sys.argv])}")
    with tempfile.TemporaryDirectory(prefix="kubeling-bench-api-") as tmp:
        root = Path(tmp)
        with running_server(root) as server:
            context = _ssl(server.kubeconfig, root)
            connector = aiohttp.TCPConnector(ssl=context, limit=0)
            async with aiohttp.ClientSession(connector=connector) as session:
                url = server.url
                async with session.post(
                    f"{url}/api/v1/namespaces", json={"metadata": {"name": "bench"}}
                ) as r:
                    await r.read()
                # 1+2: creates with gets alongside
                async with session.post(
                    f"{url}/api/v1/namespaces/bench/pods", json=_pod("probe")
                ) as r:
                    await r.read()
                done = asyncio.Event()
                getters = [
                    asyncio.create_task(_gets_during(session, url, "bench", "probe", done))
                    for _ in range(5)
                ]
                names = [f"p{i:05d}" for i in range(args.pods - 1)]
                rate, create_lat = await _create_pods(session, url, "bench", names, args.clients)
                done.set()
                get_lat = [x for t in getters for x in await t]
                print(
                    f"  creates: {args.pods - 1} pods, {args.clients} clients: {rate:.0f}/s, "
                    f"p50 {statistics.median(create_lat) * 1000:.1f} ms, "
                    f"p99 {_percentile(create_lat, 0.99) * 1000:.1f} ms"
                )
                print(
                    f"  get under load: {len(get_lat)} gets, p50 "
                    f"{statistics.median(get_lat) * 1000:.1f} ms, "
                    f"p99 {_percentile(get_lat, 0.99) * 1000:.1f} ms"
                )
                # 3: LIST of every pod
                list_lat = []
                count = 0
                for _ in range(args.lists):
                    started = time.perf_counter()
                    async with session.get(f"{url}/api/v1/namespaces/bench/pods") as r:
                        body = await r.read()
                    list_lat.append(time.perf_counter() - started)
                    count = len(json.loads(body)["items"])
                print(
                    f"  list: {count} pods x {args.lists}: p50 "
                    f"{statistics.median(list_lat) * 1000:.0f} ms, "
                    f"p99 {_percentile(list_lat, 0.99) * 1000:.0f} ms"
                )
                # 4: watch fan-out
                delays = await _watch_fanout(session, url, args.watchers, args.events)
                print(
                    f"  watch: {args.watchers} watchers x {args.events} events: p50 "
                    f"{statistics.median(delays) * 1000:.1f} ms, "
                    f"p99 {_percentile(delays, 0.99) * 1000:.1f} ms"
                )
    print(
        f"api: creates_per_s={rate:.0f} get_p99_ms={_percentile(get_lat, 0.99) * 1000:.1f} "
        f"list_p99_ms={_percentile(list_lat, 0.99) * 1000:.0f} "
        f"watch_p99_ms={_percentile(delays, 0.99) * 1000:.1f}"
    )


def main() -> None:
    gc.disable()  # see the module docstring: the client's pauses are not the server's
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=10000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--lists", type=int, default=20)
    parser.add_argument("--watchers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=20)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
