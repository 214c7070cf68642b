"""Per-container cgroups for the process runtime: memory and CPU limits, OOM kills.

Where the kernel lets the kubelet write cgroups, each container gets its own, nested under the
cgroup the kubelet itself runs in (so a kubelet confined by its supervisor keeps its children
confined too; nothing is created at the root of a hierarchy someone else manages)::

    <own cgroup>/kubeling/<container-id>

- **cgroup v1** (one hierarchy per controller, as on hosts with "hybrid" cgroups): the memory
  and cpu hierarchies; ``memory.limit_in_bytes``, ``cpu.cfs_quota_us``/``cpu.cfs_period_us``,
  ``cpu.shares``; an OOM kill shows as ``oom_kill N`` in ``memory.oom_control``.
- **cgroup v2** (one unified tree with the memory and cpu controllers): ``memory.max``,
  ``cpu.max``, ``cpu.weight``; OOM kills in ``memory.events``. v2 lets a cgroup hand
  controllers to children only if it has no processes of its own, so the kubelet can nest
  there only when it runs in the root cgroup or in a delegated subtree that allows it.

:func:`detect` says which applies, or why none does (not root, read-only cgroupfs, no memory
controller...): the kubelet reports that reason once on its Node and still runs containers,
without limits.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from kubeling.kubelet.runtime.interface import LinuxResources
from kubeling.kubelet.runtime.procstats import GroupUsage

__all__ = [
    "CgroupManager",
    "ContainerCgroup",
    "cpu_weight_from_shares",
    "detect",
    "parse_flat_keyed",
]

log = logging.getLogger(__name__)

CGROUP_ROOT: Final = Path("/sys/fs/cgroup")
SUBTREE: Final = "kubeling"


@dataclass(frozen=True, slots=True)
class ContainerCgroup:
    """Where one container's processes go, and where its OOM kills are counted."""

    procs: tuple[str, ...]
    oom_events: str


def cpu_weight_from_shares(shares: int) -> int:
    """cgroup v2's ``cpu.weight`` for v1 ``cpu.shares``, as runc converts it.

    >>> cpu_weight_from_shares(2), cpu_weight_from_shares(1024), cpu_weight_from_shares(262144)
    (1, 39, 10000)
    """
    if shares == 0:
        return 0
    return 1 + ((shares - 2) * 9999) // 262142


def parse_flat_keyed(text: str) -> dict[str, int]:
    """A cgroup "flat keyed" file (``cpu.stat``, ``memory.stat``) as name → value.

    >>> parse_flat_keyed("usage_usec 1500\\nuser_usec 1000\\nbad line x\\n")
    {'usage_usec': 1500, 'user_usec': 1000}
    """
    values: dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            values[parts[0]] = int(parts[1])
    return values


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _read_keyed(path: Path) -> dict[str, int] | None:
    try:
        return parse_flat_keyed(path.read_text())
    except OSError:
        return None


def _own_cgroups(text: str) -> dict[str, str]:
    """``/proc/self/cgroup`` as controller → path (``""`` for the v2 tree).

    >>> _own_cgroups("4:memory:/a/b\\n1:cpu,cpuacct:/\\n0::/c\\n")
    {'memory': '/a/b', 'cpu': '/', 'cpuacct': '/', '': '/c'}
    """
    result: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        for controller in parts[1].split(",") if parts[1] else [""]:
            result[controller] = parts[2]
    return result


class CgroupManager:
    """Creates, limits and removes the cgroups of containers (see the module docstring)."""

    def __init__(self, *, version: int, bases: dict[str, Path]) -> None:
        #: 1 or 2.
        self.version = version
        #: v1: controller → ``<mount><own path>/kubeling``; v2: ``""`` → the same in the tree.
        self.bases = bases

    def describe(self) -> str:
        return f"cgroup v{self.version} under {', '.join(str(b) for b in self.bases.values())}"

    def create(self, container_id: str, resources: LinuxResources) -> ContainerCgroup:
        """The container's cgroups with ``resources`` applied (OSError if the kernel says no)."""
        if self.version == 2:
            path = self.bases[""] / container_id
            path.mkdir(exist_ok=True)
            if resources.memory_limit_in_bytes:
                (path / "memory.max").write_text(str(resources.memory_limit_in_bytes))
            if resources.cpu_quota > 0:
                (path / "cpu.max").write_text(f"{resources.cpu_quota} {resources.cpu_period}")
            weight = cpu_weight_from_shares(resources.cpu_shares)
            if weight:
                (path / "cpu.weight").write_text(str(weight))
            return ContainerCgroup((str(path / "cgroup.procs"),), str(path / "memory.events"))
        memory = self.bases["memory"] / container_id
        cpu = self.bases["cpu"] / container_id
        memory.mkdir(exist_ok=True)
        cpu.mkdir(exist_ok=True)
        if resources.memory_limit_in_bytes:
            (memory / "memory.limit_in_bytes").write_text(str(resources.memory_limit_in_bytes))
        if resources.cpu_quota > 0:
            (cpu / "cpu.cfs_period_us").write_text(str(resources.cpu_period))
            (cpu / "cpu.cfs_quota_us").write_text(str(resources.cpu_quota))
        if resources.cpu_shares:
            (cpu / "cpu.shares").write_text(str(resources.cpu_shares))
        return ContainerCgroup(
            (str(memory / "cgroup.procs"), str(cpu / "cgroup.procs")),
            str(memory / "memory.oom_control"),
        )

    def usage(self, container_id: str) -> GroupUsage | None:
        """The container's use as its cgroups count it (cAdvisor's figures): CPU from
        ``cpu.stat`` ``usage_usec`` (v2) or ``cpuacct.usage`` (v1); memory usage from
        ``memory.current`` / ``memory.usage_in_bytes``, the working set that less inactive file
        pages, rss the anonymous memory. None if a file is missing (its cgroups are gone, or a
        v1 cpu hierarchy without cpuacct)."""
        if self.version == 2:
            path = self.bases[""] / container_id
            cpu_stat = _read_keyed(path / "cpu.stat")
            usage = _read_int(path / "memory.current")
            memory = _read_keyed(path / "memory.stat")
            if cpu_stat is None or "usage_usec" not in cpu_stat or usage is None or memory is None:
                return None
            cpu = cpu_stat["usage_usec"] * 1000
            inactive, rss = memory.get("inactive_file", 0), memory.get("anon", 0)
        else:
            cpu_total = _read_int(self.bases["cpu"] / container_id / "cpuacct.usage")
            path = self.bases["memory"] / container_id
            usage = _read_int(path / "memory.usage_in_bytes")
            memory = _read_keyed(path / "memory.stat")
            if cpu_total is None or usage is None or memory is None:
                return None
            cpu = cpu_total
            inactive = memory.get("total_inactive_file", memory.get("inactive_file", 0))
            rss = memory.get("total_rss", memory.get("rss", 0))
        return GroupUsage(
            cpu_nanoseconds=cpu,
            working_set_bytes=max(0, usage - inactive),
            usage_bytes=usage,
            rss_bytes=rss,
        )

    def release(self) -> None:
        """Remove the ``kubeling`` cgroups themselves if no container is left in them."""
        for base in self.bases.values():
            with contextlib.suppress(OSError):
                base.rmdir()

    def kill(self, container_id: str) -> None:
        """SIGKILL every process in the container's cgroups (those that left its group too)."""
        for base in self.bases.values():
            _kill_all(base / container_id / "cgroup.procs")

    def remove(self, container_id: str) -> None:
        """Kill anything left in the container's cgroups and remove them (idempotent)."""
        for base in self.bases.values():
            path = base / container_id
            if not path.exists():
                continue
            _kill_all(path / "cgroup.procs")
            try:
                path.rmdir()
            except OSError as err:
                log.warning("cannot remove cgroup %s: %s", path, err)


def _kill_all(procs: Path) -> None:
    try:
        pids = [int(p) for p in procs.read_text().split()]
    except (OSError, ValueError):
        return
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def detect(root: Path = CGROUP_ROOT, *, own: str | None = None) -> CgroupManager | str:
    """The manager for this host, or the reason there is none."""
    if os.geteuid() != 0:
        return "not running as root"
    if own is None:
        try:
            own = Path("/proc/self/cgroup").read_text()
        except OSError as err:
            return f"cannot read /proc/self/cgroup: {err}"
    paths = _own_cgroups(own)
    if (root / "memory" / "memory.limit_in_bytes").exists() and "memory" in paths:
        mounts = [root / name for name in ("cpu", "cpu,cpuacct")]
        cpu_mount = next((m for m in mounts if (m / "cpu.shares").exists()), None)
        if cpu_mount is None or "cpu" not in paths:
            return "cgroup v1 without a cpu hierarchy"
        bases = {
            "memory": root / "memory" / paths["memory"].lstrip("/") / SUBTREE,
            "cpu": cpu_mount / paths["cpu"].lstrip("/") / SUBTREE,
        }
        try:
            for base in bases.values():
                base.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            return f"cannot create cgroups: {err}"
        return CgroupManager(version=1, bases=bases)
    controllers = root / "cgroup.controllers"
    if controllers.exists():
        available = controllers.read_text().split()
        if "memory" not in available or "cpu" not in available:
            return "cgroup v2 without the memory and cpu controllers"
        own_dir = root / paths.get("", "/").lstrip("/")
        base = own_dir / SUBTREE
        try:
            if own_dir != root:
                # Only possible if our own cgroup may give controllers to children.
                (own_dir / "cgroup.subtree_control").write_text("+memory +cpu")
            base.mkdir(exist_ok=True)
            if own_dir == root:
                (root / "cgroup.subtree_control").write_text("+memory +cpu")
            (base / "cgroup.subtree_control").write_text("+memory +cpu")
        except OSError as err:
            return f"cgroup v2 does not delegate to {own_dir}: {err}"
        return CgroupManager(version=2, bases={"": base})
    return "no memory cgroup controller"
