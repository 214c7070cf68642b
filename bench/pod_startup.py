"""Pod start-up benchmark: create-to-Running latency, idle memory, time to Ready.

Starts a real ``kubeling up`` in a temporary directory (its own data dir, a free port, a node
named ``bench-node``) and measures, as the issue asks:

1. ``up_to_ready_s``: from starting the process to its banner (the API server serving and the
   kubeconfig written; goal <= 1.5 s);
2. ``idle_rss_mb``: the resident memory of the ``kubeling up`` process and every process it
   started (the shim zygote), once its node is Ready and nothing runs (goal <= 150 MB). It is the
   sum of each process's RSS, which counts pages shared between them more than once;
3. ``p50_s``/``p99_s``: 100 pods created at once (concurrent POSTs), each bound to the node by
   ``spec.nodeName`` and running ``sleep 3600``: from sending the create to the pod's
   ``status.phase: Running`` arriving on a watch opened before the creates (goal p99 <= 1 s; the
   Kubernetes SLO is 5 s, from ``creationTimestamp``, which is later than the send).

    .venv/bin/python bench/pod_startup.py [--pods 100] [--no-bytecode]

It first writes the bytecode of kubeling's modules, as installing a package does (an editable
install where ``PYTHONDONTWRITEBYTECODE`` is set never has any, and compiling ~600 modules at
every start costs about 0.9 s of CPU); ``--no-bytecode`` measures that case instead.

At the end it stops ``kubeling up`` with SIGTERM and checks that every process it started (the
server, the zygote, the shims, the containers: found by their working directory or command
line naming the temporary directory) is gone; if one is not, it is killed by its PID and the
benchmark fails. The last line summarizes:
``pod_startup: p50_s=<x> p99_s=<x> idle_rss_mb=<x> up_to_ready_s=<x>``.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tests.support.process_stats import cpu_seconds, rss_bytes

from kubeling.client import ApiClient, load_client_config
from kubeling.client.resources import NAMESPACES, NODES, PODS

SOURCES = Path(__file__).resolve().parents[1] / "src"
NODE = "bench-node"
NAMESPACE = "bench"
_READY = re.compile(r"ready on (https://\S+)")


@dataclass
class Up:
    """The running ``kubeling up`` and what the benchmark learned starting it."""

    process: subprocess.Popen[str]
    data_dir: Path
    ready_after: float


def _compile_sources() -> None:
    """Write the bytecode of kubeling's modules, as installing a package does.

    An editable install has none until a run writes it, and none is ever written where
    ``PYTHONDONTWRITEBYTECODE`` is set (as on the project's machines): then every start
    compiles some 600 modules again (about 0.9 s of CPU before Ready, and more memory),
    which is not what a user's installed kubeling does.
    """
    compileall.compile_dir(SOURCES / "kubeling", quiet=1)


def _start_up(root: Path, *, bytecode: bool) -> Up:
    data_dir = root / "data"
    python = [sys.executable]
    env = {**os.environ, "PYTHONPATH": str(SOURCES)}
    if bytecode:
        _compile_sources()
    else:
        # Python looks for bytecode under an empty prefix and writes none: every module compiles.
        python += ["-X", f"pycache_prefix={root / 'no-bytecode'}"]
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    args = [*python, "-m", "kubeling", "up", "--data-dir", str(data_dir), "--port", "0"]
    log = (root / "up.log").open("w")
    started = time.perf_counter()
    process = subprocess.Popen(
        [*args, "--node-name", NODE],
        stdout=subprocess.PIPE,
        stderr=log,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    log.close()
    assert process.stdout is not None
    for line in process.stdout:
        if _READY.search(line):
            return Up(process, data_dir, time.perf_counter() - started)
    raise RuntimeError(f"kubeling up ended before ready:\n{(root / 'up.log').read_text()[-3000:]}")


# -- processes ---------------------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, start time in clock ticks) of ``pid``, or None once it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    fields = raw[raw.rindex(b")") + 2 :].split()
    if fields[0] == b"Z":
        return None  # a zombie has ended; its parent has not reaped it yet
    return int(fields[1]), int(fields[19])


def _pids() -> Iterator[int]:
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            yield int(entry.name)


def _descendants(root_pid: int) -> set[int]:
    parents: dict[int, int] = {}
    for pid in _pids():
        stat = _stat(pid)
        if stat is not None:
            parents[pid] = stat[0]
    found = {root_pid}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in found and pid not in found:
                found.add(pid)
                grew = True
    return found


def _started_under(root: Path) -> set[int]:
    """Processes whose working directory or command line names ``root``: the benchmark's."""
    marker = str(root)
    found = set()
    for pid in _pids():
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if cwd.startswith(marker) or marker in cmdline:
            found.add(pid)
    return found


def _stop(up: Up, started: dict[int, int]) -> list[int]:
    """SIGTERM ``kubeling up``; return the pids of ``started`` still alive afterwards (killed)."""
    if up.process.poll() is None:
        stopping = time.perf_counter()
        up.process.send_signal(signal.SIGTERM)
        try:
            up.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            print("kubeling up ignored SIGTERM for 30 s: killed", file=sys.stderr)
            up.process.kill()
            up.process.wait()
        print(f"kubeling up stopped in {time.perf_counter() - stopping:.2f} s")
    if up.process.stdout is not None:
        up.process.stdout.close()
    deadline = time.monotonic() + 15
    left = []
    while True:
        left = [pid for pid, ticks in started.items() if (_stat(pid) or (0, -1))[1] == ticks]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return left


# -- the cluster -------------------------------------------------------------------------------


def _pod(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": {"app": "bench"}},
        "spec": {
            "nodeName": NODE,
            "terminationGracePeriodSeconds": 1,
            "containers": [{"name": "sleep", "image": "busybox", "command": ["sleep", "3600"]}],
        },
    }


async def _wait_node_ready(client: ApiClient) -> None:
    nodes = client.resource(NODES)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            node = await nodes.get(NODE)
            for condition in (node.get("status") or {}).get("conditions") or []:
                if condition["type"] == "Ready" and condition["status"] == "True":
                    return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"node {NODE} never became Ready")


async def _measure_startup(client: ApiClient, count: int) -> list[float]:
    """Create ``count`` pods at once; the seconds from each create's send to Running seen."""
    await client.resource(NAMESPACES).create({"metadata": {"name": NAMESPACE}})
    pods = client.resource(PODS)
    listed = await pods.list(namespace=NAMESPACE)
    sent: dict[str, float] = {}
    running: dict[str, float] = {}

    async def watch() -> None:
        async with contextlib.aclosing(
            pods.watch(
                namespace=NAMESPACE,
                resource_version=listed["metadata"]["resourceVersion"],
                timeout_seconds=300,
            )
        ) as events:
            async for event in events:
                name = event.object["metadata"]["name"]
                phase = (event.object.get("status") or {}).get("phase")
                if phase == "Running" and name not in running:
                    running[name] = time.perf_counter()
                    if len(running) == count:
                        return

    watcher = asyncio.create_task(watch())
    await asyncio.sleep(0.5)  # the watch is open before the first create

    async def create(name: str) -> None:
        sent[name] = time.perf_counter()
        await pods.create(_pod(name))

    await asyncio.gather(*(create(f"p{i:03d}") for i in range(count)))
    await asyncio.wait_for(watcher, 300)
    return [running[name] - sent[name] for name in sent]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Figures:
    idle_rss_mb: float
    latencies: list[float]
    #: CPU seconds the kubeling up process used while the pods started.
    burst_cpu_s: float
    #: Every process started, with its start time.
    started: dict[int, int]


async def _drive(up: Up, count: int) -> Figures:
    config = load_client_config(up.data_dir / "kubeconfig.yaml")
    async with ApiClient(config) as client:
        await _wait_node_ready(client)
        await asyncio.sleep(3)  # let start-up's garbage settle: this is the idle figure
        tree = _descendants(up.process.pid)
        idle_rss = sum(rss_bytes(pid) for pid in tree) / 2**20
        cpu_before = cpu_seconds(up.process.pid)
        latencies = await _measure_startup(client, count)
        burst_cpu = cpu_seconds(up.process.pid) - cpu_before
    started = {}
    for pid in tree | _started_under(up.data_dir.parent) | _descendants(up.process.pid):
        stat = _stat(pid)
        if stat is not None and pid != os.getpid():
            started[pid] = stat[1]
    return Figures(idle_rss, latencies, burst_cpu, started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pods", type=int, default=100)
    parser.add_argument(
        "--no-bytecode",
        action="store_true",
        help="start kubeling up compiling every module from source (no .pyc read or written)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kubeling-bench-") as tmp:
        root = Path(tmp)
        up = _start_up(root, bytecode=not args.no_bytecode)
        started: dict[int, int] = {up.process.pid: (_stat(up.process.pid) or (0, 0))[1]}
        try:
            figures = asyncio.run(_drive(up, args.pods))
            started.update(figures.started)
        finally:
            left = _stop(up, started)
        if left:
            print(
                f"processes outlived kubeling up (exit code {up.process.returncode}; killed): "
                f"{left}\n{(root / 'up.log').read_text()[-3000:]}",
                file=sys.stderr,
            )
            return 1
    latencies, idle_rss = figures.latencies, figures.idle_rss_mb
    p50, p99 = _percentile(latencies, 0.50), _percentile(latencies, 0.99)
    print(f"up to Ready: {up.ready_after:.2f} s (goal <= 1.5 s)")
    print(f"idle RSS of kubeling up and its processes: {idle_rss:.0f} MiB (goal <= 150 MB)")
    print(f"{len(latencies)} pods, create to Running: p50 {p50:.3f} s, p99 {p99:.3f} s (goal 1 s)")
    print(f"CPU of the kubeling up process while they started: {figures.burst_cpu_s:.2f} s")
    print(
        f"pod_startup: p50_s={p50:.3f} p99_s={p99:.3f} idle_rss_mb={idle_rss:.0f} "
        f"up_to_ready_s={up.ready_after:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
