"""CPU time and resident memory of a process, for the benchmarks and tests that start
components and charge them (Linux ``/proc``)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cpu_seconds", "peak_rss_bytes", "rss_bytes"]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (0 if it cannot be read)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    """Resident memory of a process now (``VmRSS``; 0 if it cannot be read: it has ended)."""
    return _status_kib(pid, "VmRSS:") * 1024


def peak_rss_bytes(pid: int) -> int:
    """The most resident memory the process has had so far (``VmHWM``; 0 once it ended)."""
    return _status_kib(pid, "VmHWM:") * 1024


def _status_kib(pid: int, field: str) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    return 0  # a zombie has no memory left
