"""hostPath volumes: the ``type`` checks and creations of ``pkg/volume/hostpath``.

``DirectoryOrCreate`` makes the directory (0755, parents too) and ``FileOrCreate`` an empty
file (0644) when missing; ``Directory``, ``File``, ``Socket``, ``CharDevice``, ``BlockDevice``
must find that; ``""`` checks nothing. Failures read ``hostPath type check failed: /x is not a
directory``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from typing import Final

from kubeling.kubelet.volumes.errors import VolumeError

__all__ = ["check_host_path"]

_CHECKS: Final[dict[str, tuple[Callable[[int], bool], str]]] = {
    "Directory": (stat.S_ISDIR, "a directory"),
    "File": (stat.S_ISREG, "a file"),
    "Socket": (stat.S_ISSOCK, "a socket file"),
    "CharDevice": (stat.S_ISCHR, "a character device"),
    "BlockDevice": (stat.S_ISBLK, "a block device"),
}


def check_host_path(path: str, kind: str) -> None:
    """Check (or create) ``path`` as the hostPath ``type`` ``kind`` asks."""
    if kind in ("", None):
        return
    if kind not in (*_CHECKS, "DirectoryOrCreate", "FileOrCreate"):
        raise VolumeError(f"{kind} is an invalid volume type")
    exists = os.path.lexists(path)
    try:
        if kind == "DirectoryOrCreate" and not exists:
            os.makedirs(path, mode=0o755, exist_ok=True)
            return
        if kind == "FileOrCreate" and not exists:
            os.makedirs(os.path.dirname(path) or "/", mode=0o755, exist_ok=True)
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o644)
            os.close(fd)
            return
    except OSError as err:
        raise VolumeError(f"hostPath type check failed: {path}: {err.strerror}") from None
    test, what = _CHECKS[kind.removesuffix("OrCreate")]
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = 0
    if not test(mode):
        raise VolumeError(f"hostPath type check failed: {path} is not {what}")
