"""Store benchmark: durable writes/s and reads/s, sqlite vs a real etcd, side by side.

Both backends run on this machine in one temporary directory on the same disk:
sqlite through kubeling's SqliteStore (WAL, synchronous=FULL, group commit) and
a single etcd member (Debian's etcd-server) started here, through EtcdStore.
Each write creates a new key with a ~1 KiB JSON value (a small object, like a
pod), and is acknowledged only when durable. Reads are gets of existing keys.

    .venv/bin/python bench/store.py [--seconds 5] [--concurrency 64]

The last line is the figure the project tracks:
``store: sqlite=<w/s> etcd=<w/s> ratio=<sqlite/etcd>`` for the 64-writer case.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.etcd import start_cluster

from kubeling.storage import Store
from kubeling.storage.etcd import EtcdStore
from kubeling.storage.sqlite import SqliteStore

VALUE = json.dumps(
    {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "x", "namespace": "bench", "labels": {"app": "bench"}},
        "data": {"payload": "x" * 900},
    }
).encode()


async def _run_for(
    seconds: float, concurrency: int, op: Callable[[int, int], Awaitable[object]]
) -> float:
    """Run ``op(worker, i)`` from ``concurrency`` workers for ``seconds``; ops/s."""
    deadline = time.perf_counter() + seconds
    counts = [0] * concurrency

    async def worker(w: int) -> None:
        i = 0
        while time.perf_counter() < deadline:
            await op(w, i)
            i += 1
        counts[w] = i

    start = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    return sum(counts) / (time.perf_counter() - start)


async def measure(name: str, store: Store, *, seconds: float, concurrency: int) -> dict[str, float]:
    results: dict[str, float] = {}
    for writers in (1, concurrency):
        tag = f"w{writers}"

        async def write(w: int, i: int, tag: str = tag) -> object:
            return await store.create(f"/registry/bench/{tag}/{w}/{i:08d}", VALUE)

        results[f"writes_{writers}"] = await _run_for(seconds, writers, write)
        print(f"  {name}: {writers:>3} writer(s): {results[f'writes_{writers}']:>9.0f} writes/s")
    keys = [kv.key for kv in (await store.list("/registry/bench/w1/0/", limit=1000)).kvs]

    async def read(w: int, i: int) -> object:
        return await store.get(keys[(w * 7919 + i) % len(keys)])

    results["reads"] = await _run_for(seconds, concurrency, read)
    print(f"  {name}: {concurrency:>3} readers:   {results['reads']:>9.0f} reads/s")
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    print(f"command: {' '.join([os.path.basename(sys.executable), *sys.argv])}")
    with tempfile.TemporaryDirectory(prefix="kubeling-bench-") as tmp:
        root = Path(tmp)
        sqlite = await SqliteStore.open(str(root / "state.db"), auto_compact_interval=None)
        try:
            s = await measure("sqlite", sqlite, seconds=args.seconds, concurrency=args.concurrency)
        finally:
            await sqlite.close()
        members = start_cluster(root, 1)
        try:
            etcd = await EtcdStore.open([members[0].endpoint])
            try:
                e = await measure("etcd", etcd, seconds=args.seconds, concurrency=args.concurrency)
            finally:
                await etcd.close()
        finally:
            for member in members:
                member.stop()
    key = f"writes_{args.concurrency}"
    print(
        f"reads: sqlite={s['reads']:.0f} etcd={e['reads']:.0f} ratio={s['reads'] / e['reads']:.2f}"
    )
    print(f"store: sqlite={s[key]:.0f} etcd={e[key]:.0f} ratio={s[key] / e[key]:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
