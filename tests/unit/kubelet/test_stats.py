"""Summary stats: /proc readings (from a fake /proc), CPU rates over two samples, the Summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubeling.kubelet.runtime import procstats
from kubeling.kubelet.runtime.cgroups import CgroupManager
from kubeling.kubelet.runtime.interface import (
    ContainerState,
    ContainerStats,
    ContainerStatus,
    PodSandboxMetadata,
    PodSandboxStatus,
    SandboxState,
)
from kubeling.kubelet.stats import CpuSample, Sampled, StatsProvider, build_summary

MEMINFO = """MemTotal:        8000000 kB
MemFree:         2000000 kB
MemAvailable:    5000000 kB
Inactive(file):  1000000 kB
AnonPages:       1500000 kB
"""
STAT = (
    "cpu  1000 0 500 90000 100 0 0 0 0 0\ncpu0 1000 0 500 90000 100 0 0 0 0 0\nbtime 1700000000\n"
)


def write_process(proc: Path, pid: int, *, pgrp: int, utime: int, stime: int, pages: str) -> None:
    directory = proc / str(pid)
    directory.mkdir(parents=True)
    # field 2 may hold spaces and parentheses; utime and stime are fields 14 and 15
    fields = ["S", "1", str(pgrp), str(pgrp)] + ["0"] * 7 + [str(utime), str(stime)] + ["0"] * 30
    (directory / "stat").write_text(f"{pid} (a (b) c) " + " ".join(fields) + "\n")
    (directory / "statm").write_text(pages + "\n")


@pytest.fixture
def proc(tmp_path: Path) -> Path:
    root = tmp_path / "proc"
    root.mkdir()
    (root / "meminfo").write_text(MEMINFO)
    (root / "stat").write_text(STAT)
    (root / "vmstat").write_text("pgfault 42\npgmajfault 7\n")
    write_process(root, 100, pgrp=100, utime=150, stime=50, pages="1000 300 100 1 0 200 0")
    write_process(root, 101, pgrp=100, utime=100, stime=0, pages="1000 200 50 1 0 100 0")
    write_process(root, 200, pgrp=200, utime=7, stime=3, pages="1000 10 10 1 0 10 0")
    (root / "self").mkdir()  # not a pid: skipped
    return root


def test_group_usage_sums_the_process_group(proc: Path) -> None:
    """CPU ticks and resident pages of every process of a group; other groups apart."""
    usage = procstats.group_usage({100, 300}, proc=proc, ticks=100, page=4096)
    assert set(usage) == {100}
    group = usage[100]
    assert group.cpu_nanoseconds == 3 * 1_000_000_000  # 300 ticks at 100 Hz
    assert group.working_set_bytes == group.usage_bytes == 500 * 4096
    assert group.rss_bytes == (200 + 150) * 4096


def test_node_usage(proc: Path) -> None:
    node = procstats.node_usage(proc=proc, ticks=100)
    assert node.cpu_nanoseconds == 15 * 1_000_000_000  # user + system, not idle or iowait
    assert node.memory_total_bytes == 8_000_000 * 1024
    assert node.memory_usage_bytes == 6_000_000 * 1024
    assert node.memory_working_set_bytes == 5_000_000 * 1024
    assert node.memory_available_bytes == 3_000_000 * 1024
    assert node.memory_rss_bytes == 1_500_000 * 1024
    assert (node.page_faults, node.major_page_faults, node.boot_time) == (42, 7, 1700000000)


def test_a_missing_proc_reads_as_nothing(tmp_path: Path) -> None:
    assert procstats.group_usage({1}, proc=tmp_path / "none") == {}
    assert procstats.node_usage(proc=tmp_path / "none").memory_total_bytes == 0


def _node(cpu: int) -> procstats.NodeUsage:
    return procstats.NodeUsage(cpu, 100, 60, 50, 40, 50, 1, 0, 1700000000)


def _stats(container_id: str, at: float, cpu: int) -> ContainerStats:
    return ContainerStats(container_id, "sb", "web", at, cpu, 2048, 2048, 1024)


SANDBOX = PodSandboxStatus(
    id="sb",
    metadata=PodSandboxMetadata("web-1", "default", "uid-1"),
    state=SandboxState.READY,
    created_at=1700000100.0,
)
STATUS = ContainerStatus(
    id="c1",
    sandbox_id="sb",
    name="web",
    attempt=0,
    state=ContainerState.RUNNING,
    created_at=1700000100.0,
    started_at=1700000101.0,
)


def test_summary_with_two_samples_has_rates() -> None:
    sampled = Sampled(
        node_name="n1",
        node=_node(30_000_000_000),
        node_time=1700000210.0,
        node_previous=CpuSample(1700000200.0, 10_000_000_000),
        containers=[_stats("c1", 1700000210.0, 6_000_000_000)],
        containers_previous={"c1": CpuSample(1700000200.0, 1_000_000_000)},
        sandboxes=[SANDBOX],
        statuses=[STATUS],
    )
    summary = build_summary(sampled)
    node = summary["node"]
    assert node["nodeName"] == "n1"
    assert node["startTime"] == "2023-11-14T22:13:20Z"
    assert node["cpu"] == {
        "time": "2023-11-14T22:16:50Z",
        "usageNanoCores": 2_000_000_000,
        "usageCoreNanoSeconds": 30_000_000_000,
    }
    assert node["memory"]["workingSetBytes"] == 50
    assert node["memory"]["availableBytes"] == 50
    [pod] = summary["pods"]
    assert pod["podRef"] == {"name": "web-1", "namespace": "default", "uid": "uid-1"}
    [container] = pod["containers"]
    assert container["name"] == "web"
    assert container["startTime"] == "2023-11-14T22:15:01Z"
    assert container["cpu"]["usageNanoCores"] == 500_000_000
    assert container["memory"] == {
        "time": "2023-11-14T22:16:50Z",
        "usageBytes": 2048,
        "workingSetBytes": 2048,
        "rssBytes": 1024,
    }
    assert pod["cpu"]["usageNanoCores"] == 500_000_000
    assert pod["memory"]["workingSetBytes"] == 2048


def test_summary_with_one_sample_has_no_rate() -> None:
    sampled = Sampled("n1", _node(5), 1.0, None, [_stats("c1", 1.0, 5)], {}, [SANDBOX], [STATUS])
    summary = build_summary(sampled)
    assert "usageNanoCores" not in summary["node"]["cpu"]
    assert "usageNanoCores" not in summary["pods"][0]["containers"][0]["cpu"]
    assert "usageNanoCores" not in summary["pods"][0]["cpu"]


class FakeRuntime:
    """The runtime calls the stats provider makes, with a CPU counter that grows."""

    def __init__(self) -> None:
        self.cpu = 0

    async def list_container_stats(self) -> list[ContainerStats]:
        self.cpu += 1_000_000_000
        return [_stats("c1", float(self.cpu // 1_000_000_000), self.cpu)]

    async def list_pod_sandboxes(self) -> list[PodSandboxStatus]:
        return [SANDBOX]

    async def list_containers(self) -> list[ContainerStatus]:
        return [STATUS]


async def test_provider_keeps_the_last_two_samples() -> None:
    """Each round of sampling rates the container over the round before."""
    runtime = FakeRuntime()
    times = iter([1.0, 2.0, 3.0])
    provider = StatsProvider(
        runtime,  # type: ignore[arg-type]
        "n1",
        read_node=lambda: _node(0),
        clock=lambda: next(times),
    )
    first = await provider.summary()  # samples once
    assert "usageNanoCores" not in first["pods"][0]["containers"][0]["cpu"]
    await provider.sample()
    second = await provider.summary()
    assert second["pods"][0]["containers"][0]["cpu"]["usageNanoCores"] == 1_000_000_000


def test_cgroup_v2_usage(tmp_path: Path) -> None:
    """cpu.stat usage_usec, memory.current less inactive_file, anon as rss."""
    container = tmp_path / "kubeling" / "c1"
    container.mkdir(parents=True)
    (container / "cpu.stat").write_text("usage_usec 2500000\nuser_usec 2000000\n")
    (container / "memory.current").write_text("10485760\n")
    (container / "memory.stat").write_text("anon 4194304\nfile 6291456\ninactive_file 2097152\n")
    manager = CgroupManager(version=2, bases={"": tmp_path / "kubeling"})
    assert manager.usage("c1") == procstats.GroupUsage(
        cpu_nanoseconds=2_500_000_000,
        working_set_bytes=8388608,
        usage_bytes=10485760,
        rss_bytes=4194304,
    )
    assert manager.usage("gone") is None


def test_cgroup_v1_usage(tmp_path: Path) -> None:
    memory = tmp_path / "memory" / "c1"
    cpu = tmp_path / "cpu" / "c1"
    memory.mkdir(parents=True)
    cpu.mkdir(parents=True)
    (cpu / "cpuacct.usage").write_text("123456789\n")
    (memory / "memory.usage_in_bytes").write_text("1000\n")
    (memory / "memory.stat").write_text("rss 300\ntotal_rss 400\ntotal_inactive_file 100\n")
    bases = {"memory": tmp_path / "memory", "cpu": tmp_path / "cpu"}
    manager = CgroupManager(version=1, bases=bases)
    usage = manager.usage("c1")
    assert usage == procstats.GroupUsage(123456789, 900, 1000, 400)
    (cpu / "cpuacct.usage").unlink()  # a cpu hierarchy without cpuacct: no figures
    assert manager.usage("c1") is None
