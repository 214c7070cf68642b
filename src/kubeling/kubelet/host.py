"""Facts about the machine the kubelet runs on, read from /proc, /sys and /etc.

Everything the Node reports about its host: CPUs, memory, the size of the filesystem holding
the kubelet's root directory, the kernel and OS, machine and boot IDs, and what is available
now (memory, disk, process IDs) for the pressure conditions.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path

__all__ = ["HostInfo", "go_arch", "read_host_info"]

_ARCHES = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "armv7l": "arm",
    "armv6l": "arm",
    "i686": "386",
    "i386": "386",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "riscv64": "riscv64",
}


def go_arch(machine: str) -> str:
    """Go's ``GOARCH`` for ``uname -m``: what Kubernetes calls the architecture.

    >>> go_arch("x86_64"), go_arch("aarch64")
    ('amd64', 'arm64')
    """
    return _ARCHES.get(machine, machine)


@dataclass(frozen=True, slots=True)
class HostInfo:
    hostname: str
    machine_id: str
    system_uuid: str
    boot_id: str
    kernel_version: str
    os_image: str
    architecture: str
    cpus: int
    memory_bytes: int
    memory_available_bytes: int
    storage_bytes: int
    storage_available_bytes: int
    pid_max: int
    processes: int


def _read(path: str, default: str = "") -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return default


def _meminfo() -> dict[str, int]:
    values: dict[str, int] = {}
    for line in _read("/proc/meminfo").splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            values[key] = int(parts[0]) * (1024 if parts[1:] == ["kB"] else 1)
    return values


def _os_image() -> str:
    for line in _read("/etc/os-release").splitlines():
        key, _, value = line.partition("=")
        if key == "PRETTY_NAME":
            return value.strip().strip('"')
    return "Linux"


def _processes() -> int:
    # /proc/loadavg: "0.00 0.01 0.05 1/123 4567" (running/total)
    fields = _read("/proc/loadavg").split()
    if len(fields) >= 4 and "/" in fields[3]:
        return int(fields[3].split("/")[1])
    return 0


def read_host_info(root_dir: Path, hostname: str) -> HostInfo:
    """Read the host's facts; ``root_dir`` is where the kubelet keeps its data."""
    memory = _meminfo()
    fs = os.statvfs(root_dir)
    machine_id = _read("/etc/machine-id") or _read("/var/lib/dbus/machine-id")
    return HostInfo(
        hostname=hostname,
        machine_id=machine_id,
        system_uuid=_read("/sys/class/dmi/id/product_uuid").lower() or machine_id,
        boot_id=_read("/proc/sys/kernel/random/boot_id"),
        kernel_version=platform.release(),
        os_image=_os_image(),
        architecture=go_arch(platform.machine()),
        cpus=os.cpu_count() or 1,
        memory_bytes=memory.get("MemTotal", 0),
        memory_available_bytes=memory.get("MemAvailable", memory.get("MemFree", 0)),
        storage_bytes=fs.f_blocks * fs.f_frsize,
        storage_available_bytes=fs.f_bavail * fs.f_frsize,
        pid_max=int(_read("/proc/sys/kernel/pid_max", "32768") or 32768),
        processes=_processes(),
    )
