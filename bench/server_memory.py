"""A real ``kubeling server``'s resident memory per pod: create pods, write their status, read RSS.

Starts ``kubeling server`` (sqlite, HTTPS) in a temporary directory, creates ``--pods`` pods
as ``bench/scale.py``'s Deployments make them (the pods of ``bench/memory_per_object.py``:
labels, ownerReferences, tolerations, bound to one of 1,000 node names), then writes each a
Running status as the kubelet does (conditions, containerStatuses, IPs), 8 clients at a time.
No other component runs: what grows is the server's own (watch cache and its history, the
Node authorizer's graph, sqlite's caches, allocator).

    .venv/bin/python bench/server_memory.py [--pods 6000]

Then lists every pod as an informer first does (``resourceVersion=0``, served from the watch
cache ignoring ``limit``) and reads the RSS again, and the peak (``VmHWM``): what that list
costs while it is built, and what it leaves behind.

Last line: ``server_memory: pods=<n> rss_mb_before=<x> rss_mb_after=<x> kb_per_pod=<x>
cpu_s=<x> peak_mb=<x> rss_mb_after_rv0_list=<x> peak_mb_rv0_list=<x>``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.memory_per_object import pod
from tests.support.cluster import running_server
from tests.support.process_stats import cpu_seconds, peak_rss_bytes, rss_bytes

from kubeling.client import ApiClient, PatchType, load_client_config
from kubeling.client.resources import NAMESPACES, PODS

PER_NAMESPACE = 3000


def _new_pod(index: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The pod to create (no server-set fields) and the status its kubelet writes."""
    body = pod(index)
    status = body.pop("status")
    meta = body["metadata"]
    for server_set in ("managedFields", "resourceVersion", "uid", "creationTimestamp"):
        meta.pop(server_set)
    return body, status


async def _fill(kubeconfig: Path, count: int) -> None:
    config = load_client_config(kubeconfig).with_user_agent("bench-server-memory/0")
    async with ApiClient(config) as client:
        for namespace in range((count + PER_NAMESPACE - 1) // PER_NAMESPACE):
            body = {"metadata": {"name": f"scale-{namespace:03d}"}}
            await client.resource(NAMESPACES).create(body)
        pods = client.resource(PODS)
        pending = list(range(count - 1, -1, -1))

        async def writer() -> None:
            while pending:
                body, status = _new_pod(pending.pop())
                meta = body["metadata"]
                await pods.create(body, namespace=meta["namespace"])
                await pods.patch(
                    meta["name"],
                    {"status": status},
                    patch_type=PatchType.MERGE,
                    namespace=meta["namespace"],
                    subresource="status",
                )

        await asyncio.gather(*(writer() for _ in range(8)))


async def _informer_list(kubeconfig: Path) -> int:
    """An informer's first list: every pod, ``resourceVersion=0`` (from the watch cache); the
    number of pods it got."""
    config = load_client_config(kubeconfig).with_user_agent("bench-server-memory/0")
    async with ApiClient(config) as client:
        listed = await client.resource(PODS).list(limit=500, resource_version="0")
        return len(listed["items"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=6000)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="kubeling-bench-server-memory-") as tmp,
        running_server(Path(tmp), extra=["--log-level", "warning"]) as server,
    ):
        pid = server.process.pid
        before, cpu = rss_bytes(pid) / 2**20, cpu_seconds(pid)
        asyncio.run(_fill(server.kubeconfig, args.pods))
        after, cpu = rss_bytes(pid) / 2**20, cpu_seconds(pid) - cpu
        peak = peak_rss_bytes(pid) / 2**20
        listed = asyncio.run(_informer_list(server.kubeconfig))
        assert listed == args.pods, listed
        after_list, peak_list = rss_bytes(pid) / 2**20, peak_rss_bytes(pid) / 2**20
    per_pod = (after - before) * 1024 / args.pods
    print(
        f"server_memory: pods={args.pods} rss_mb_before={before:.0f} rss_mb_after={after:.0f} "
        f"kb_per_pod={per_pod:.1f} cpu_s={cpu:.1f} peak_mb={peak:.0f} "
        f"rss_mb_after_rv0_list={after_list:.0f} peak_mb_rv0_list={peak_list:.0f}"
    )


if __name__ == "__main__":
    main()
