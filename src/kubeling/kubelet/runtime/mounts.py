"""Linux mounts for the process runtime: mount namespaces, bind mounts, tmpfs.

Python 3.11 has no ``os.unshare``, ``os.setns`` or ``mount``: they are called through libc.
This file runs in the shim's bare interpreter too (standard library only).

- :func:`enter_new_namespace` (a container's process, before it execs): a mount namespace of
  its own whose mounts do not propagate back, with every volume bind-mounted at its mount path
  (the mount point is created on the host's filesystem if missing: an empty directory, or an
  empty file for a file), read-only ones remounted read-only;
- :func:`join_namespace`: an exec'd command enters its container's namespace;
- :func:`pin_uts_namespace` (a child of the zygote, about to exit): a UTS namespace with the
  pod's hostname, kept without a process by bind-mounting it on a file of the sandbox, as
  CRI-O's ``pinns`` does; :func:`join_uts_namespace`: a container's process (or an exec'd
  command) enters it;
- :func:`mount_tmpfs` / :func:`unmount`: the kubelet's ``emptyDir`` of medium ``Memory``;
- :func:`namespaces_usable`: whether this process may do all that ("" if so, else why).
"""

from __future__ import annotations

import ctypes
import functools
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from typing import Any, Final

__all__ = [
    "MountError",
    "enter_new_namespace",
    "join_namespace",
    "join_uts_namespace",
    "mount_tmpfs",
    "namespaces_usable",
    "pin_uts_namespace",
    "unmount",
]

CLONE_NEWNS: Final = 0x00020000
CLONE_NEWUTS: Final = 0x04000000
MS_RDONLY: Final = 0x1
MS_NOSUID: Final = 0x2
MS_NODEV: Final = 0x4
MS_REMOUNT: Final = 0x20
MS_BIND: Final = 0x1000
MS_REC: Final = 0x4000
MS_PRIVATE: Final = 0x40000
MNT_DETACH: Final = 0x2


class MountError(OSError):
    """A mount operation failed; the message says which and why."""


@functools.cache
def _libc() -> ctypes.CDLL:
    """The C library, loaded once per process. Its functions are found among the symbols the
    interpreter already has (``dlopen(NULL)``), never with ``ctypes.util.find_library``: that
    runs ``ldconfig -p`` in a subprocess at every call (2-3 ms on a quiet machine), and a
    container's start made several of them at a time when 100 starts had the cores."""
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise MountError(err, f"{what}: {os.strerror(err).lower()}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    libc = _libc()
    result = libc.mount(
        source.encode() if source is not None else None,
        target.encode(),
        fstype.encode() if fstype is not None else None,
        ctypes.c_ulong(flags),
        data.encode() if data else None,
    )
    _check(result, f"mount {source or fstype or ''} on {target}")


def _prepare_target(source: str, target: str) -> None:
    """The mount point: a directory for a directory, an empty file for anything else."""
    if os.path.lexists(target) and not os.path.islink(target):
        return
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
        return
    os.makedirs(os.path.dirname(target) or "/", exist_ok=True)
    with open(target, "a"):
        pass


def enter_new_namespace(mounts: Iterable[Mapping[str, Any]]) -> None:
    """In a container's process: a private mount namespace with ``mounts`` (``source``,
    ``target``, ``readonly``) bind-mounted."""
    _check(_libc().unshare(CLONE_NEWNS), "unshare the mount namespace")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    for mount in mounts:
        source, target = str(mount["source"]), str(mount["target"])
        try:
            _prepare_target(source, target)
        except OSError as err:
            raise MountError(err.errno or 0, f"mount point {target}: {err.strerror}") from None
        _mount(source, target, None, MS_BIND | MS_REC)
        if mount.get("readonly"):
            _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC)


def join_namespace(pid: int) -> None:
    """Enter the mount namespace of process ``pid`` (it must be single-threaded here)."""
    fd = os.open(f"/proc/{pid}/ns/mnt", os.O_RDONLY)
    try:
        _check(_libc().setns(fd, CLONE_NEWNS), f"join the mount namespace of {pid}")
    finally:
        os.close(fd)


def pin_uts_namespace(path: str, hostname: str) -> None:
    """In a child that exits afterwards: a new UTS namespace named ``hostname``, kept alive
    by a bind mount of it on ``path`` (created empty if missing)."""
    libc = _libc()
    _check(libc.unshare(CLONE_NEWUTS), "unshare the UTS namespace")
    name = hostname.encode()
    _check(libc.sethostname(name, ctypes.c_size_t(len(name))), f"set the hostname {hostname}")
    with open(path, "a"):
        pass
    _mount(f"/proc/{os.getpid()}/ns/uts", path, None, MS_BIND)


def join_uts_namespace(path: str) -> None:
    """Enter the UTS namespace pinned at ``path``."""
    fd = os.open(path, os.O_RDONLY)
    try:
        _check(_libc().setns(fd, CLONE_NEWUTS), f"join the UTS namespace {path}")
    finally:
        os.close(fd)


def mount_tmpfs(path: str, size_bytes: int = 0) -> None:
    """Mount a tmpfs (mode 0777) on ``path``, of ``size_bytes`` if given."""
    options = "mode=0777" + (f",size={size_bytes}" if size_bytes else "")
    _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, options)


def unmount(path: str) -> None:
    """Detach whatever is mounted on ``path`` (nothing: no error)."""
    if _libc().umount2(path.encode(), MNT_DETACH) != 0:
        err = ctypes.get_errno()
        if err not in (22, 2):  # EINVAL: not a mount point; ENOENT: gone
            raise MountError(err, f"unmount {path}: {os.strerror(err).lower()}")


def namespaces_usable() -> str:
    """ "" if a child of this process may make mount and UTS namespaces and mount in them,
    else why."""
    if os.geteuid() != 0:
        return "not running as root"
    check = subprocess.run(
        [sys.executable, "-I", "-S", os.path.abspath(__file__), "check"],
        capture_output=True,
        check=False,
    )
    return check.stderr.decode(errors="replace").strip() if check.returncode else ""


def _self_check() -> int:
    try:
        enter_new_namespace(())
        _check(_libc().unshare(CLONE_NEWUTS), "unshare the UTS namespace")
    except OSError as err:
        print(err.strerror or err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_self_check() if sys.argv[1:] == ["check"] else 2)
