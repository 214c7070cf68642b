"""CPU and memory use read from ``/proc``: what cAdvisor reads from cgroups, for process groups.

The process runtime's containers are process groups (:mod:`~kubeling.kubelet.runtime.shim`
makes each container's process a group leader), so where they have no cgroups
(:meth:`~kubeling.kubelet.runtime.cgroups.CgroupManager.usage` reads those) a container's use
is the sum over the live processes of its group, read in one pass over ``/proc``:

- CPU: ``utime + stime`` of ``/proc/<pid>/stat`` (fields 14 and 15, clock ticks), as
  nanoseconds. A process that ended takes its CPU time with it (its parent's ``cutime`` is not
  counted), so the sum can go down; the kubelet's rate then reads as 0 rather than negative.
- Memory: ``/proc/<pid>/statm``'s resident pages (``usageBytes`` and ``workingSetBytes``, as
  ``VmRSS``) and resident minus shared pages (``rssBytes``, anonymous memory, as a cgroup's
  ``rss``). Pages shared between the group's processes are counted once per process.

The node's figures come from ``/proc/stat`` (the ``cpu`` line without idle and iowait) and
``/proc/meminfo`` (usage = MemTotal - MemFree; working set = usage - Inactive(file), as
cAdvisor computes it for the root cgroup; rss = AnonPages).

Every reader takes the ``/proc`` directory, so tests give it a fake one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = [
    "PROC",
    "GroupUsage",
    "NodeUsage",
    "group_usage",
    "node_usage",
    "parse_boot_time",
    "parse_meminfo",
    "parse_stat_cpu",
]

PROC: Final = Path("/proc")
CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK")
PAGE_SIZE: Final = os.sysconf("SC_PAGE_SIZE")
_NANOS: Final = 1_000_000_000


@dataclass(frozen=True, slots=True)
class GroupUsage:
    """A container's use: cumulative CPU time and memory (working set, usage, anonymous)."""

    cpu_nanoseconds: int
    working_set_bytes: int
    usage_bytes: int
    rss_bytes: int


@dataclass(frozen=True, slots=True)
class NodeUsage:
    cpu_nanoseconds: int
    memory_total_bytes: int
    memory_usage_bytes: int
    memory_working_set_bytes: int
    memory_rss_bytes: int
    memory_available_bytes: int
    page_faults: int
    major_page_faults: int
    #: When the machine booted (Unix seconds; the node's ``startTime``).
    boot_time: int = 0


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError):
        return None


def _process(proc: Path, pid: str) -> tuple[int, int, int, int] | None:
    """(process group, cpu ticks, resident pages, shared pages) of one process, or None if it
    is gone or unreadable."""
    stat = _read(proc / pid / "stat")
    statm = _read(proc / pid / "statm")
    if stat is None or statm is None or ")" not in stat:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ")".
    fields = stat[stat.rindex(")") + 2 :].split()
    pages = statm.split()
    try:
        # fields[0] is field 3 (state): pgrp is field 5, utime 14, stime 15.
        return int(fields[2]), int(fields[11]) + int(fields[12]), int(pages[1]), int(pages[2])
    except (IndexError, ValueError):
        return None


def group_usage(
    groups: set[int], *, proc: Path = PROC, ticks: int = CLOCK_TICKS, page: int = PAGE_SIZE
) -> dict[int, GroupUsage]:
    """The use of each process group in ``groups`` (one pass over ``proc``); a group with no
    live process is missing from the answer."""
    totals: dict[int, list[int]] = {}
    try:
        entries = [e.name for e in os.scandir(proc) if e.name.isdigit()]
    except OSError:
        return {}
    for pid in entries:
        found = _process(proc, pid)
        if found is None or found[0] not in groups:
            continue
        group, cpu, resident, shared = found
        total = totals.setdefault(group, [0, 0, 0, 0])
        total[0] += cpu
        total[1] += resident
        total[2] += max(0, resident - shared)
        total[3] += 1
    return {
        group: GroupUsage(
            cpu_nanoseconds=cpu * _NANOS // ticks,
            working_set_bytes=resident * page,
            usage_bytes=resident * page,
            rss_bytes=anonymous * page,
        )
        for group, (cpu, resident, anonymous, _) in totals.items()
    }


def parse_stat_cpu(text: str, *, ticks: int = CLOCK_TICKS) -> int:
    """The node's busy CPU time in nanoseconds from ``/proc/stat``: every field of the
    ``cpu`` line but idle and iowait (guest time is already in user).

    >>> parse_stat_cpu("cpu  100 5 50 1000 20 1 2 3 0 0\\ncpu0 1 2 3\\n", ticks=100)
    1610000000
    """
    for line in text.splitlines():
        fields = line.split()
        if fields and fields[0] == "cpu":
            values = [int(v) for v in fields[1:9]]
            busy = sum(values) - values[3] - (values[4] if len(values) > 4 else 0)
            return busy * _NANOS // ticks
    return 0


def parse_boot_time(text: str) -> int:
    """The ``btime`` line of ``/proc/stat``.

    >>> parse_boot_time("cpu 1 2 3\\nbtime 1700000000\\n")
    1700000000
    """
    for line in text.splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[0] == "btime" and fields[1].isdigit():
            return int(fields[1])
    return 0


def parse_meminfo(text: str) -> dict[str, int]:
    """``/proc/meminfo`` as name → bytes.

    >>> parse_meminfo("MemTotal:  2048 kB\\nHugePages_Total:   0\\n")
    {'MemTotal': 2097152, 'HugePages_Total': 0}
    """
    values: dict[str, int] = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        parts = rest.split()
        if not parts:
            continue
        try:
            number = int(parts[0])
        except ValueError:
            continue
        values[name.strip()] = number * 1024 if parts[1:2] == ["kB"] else number
    return values


def _vmstat(text: str) -> Mapping[str, int]:
    values: dict[str, int] = {}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if value.strip().isdigit():
            values[name] = int(value)
    return values


def node_usage(*, proc: Path = PROC, ticks: int = CLOCK_TICKS) -> NodeUsage:
    """The node's CPU time and memory use (see the module docstring)."""
    memory = parse_meminfo(_read(proc / "meminfo") or "")
    vmstat = _vmstat(_read(proc / "vmstat") or "")
    stat = _read(proc / "stat") or ""
    total = memory.get("MemTotal", 0)
    usage = max(0, total - memory.get("MemFree", 0))
    working_set = max(0, usage - memory.get("Inactive(file)", 0))
    return NodeUsage(
        cpu_nanoseconds=parse_stat_cpu(stat, ticks=ticks),
        memory_total_bytes=total,
        memory_usage_bytes=usage,
        memory_working_set_bytes=working_set,
        memory_rss_bytes=memory.get("AnonPages", 0),
        memory_available_bytes=max(0, total - working_set),
        page_faults=vmstat.get("pgfault", 0),
        major_page_faults=vmstat.get("pgmajfault", 0),
        boot_time=parse_boot_time(stat),
    )
