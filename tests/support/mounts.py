"""Mount points tests leave behind: found in /proc/self/mountinfo, detached.

The kubelet mounts tmpfs (``emptyDir`` of medium Memory) and, with mount
namespaces, bind mounts under its root directory. A test must not leave them:
pytest cannot delete a temporary directory with a mount point inside, and its
clean-up of old directories then fails a later session.
"""

from __future__ import annotations

from pathlib import Path

from kubeling.kubelet.runtime.mounts import unmount

__all__ = ["detach_all_under", "mounts_under"]


def _unescape(field: str) -> str:
    # mountinfo escapes space, tab, newline and backslash as octal
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def mounts_under(root: Path) -> list[str]:
    """Mount points at or below ``root`` in this process's mount namespace, deepest first."""
    prefix = str(root.resolve()).rstrip("/")
    found: list[str] = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = _unescape(line.split(" ")[4])
        if point == prefix or point.startswith(prefix + "/"):
            found.append(point)
    return sorted(set(found), key=len, reverse=True)


def detach_all_under(root: Path) -> list[str]:
    """Lazily unmount everything mounted under ``root``; the mount points it found."""
    points = mounts_under(root)
    for point in points:
        unmount(point)
    return points
