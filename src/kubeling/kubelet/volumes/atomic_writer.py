"""Writing a volume's files so that readers see all of an update or none of it.

Kubernetes' ``AtomicWriter`` (``pkg/volume/util/atomic_writer.go``), used for configMap, secret,
downwardAPI and projected volumes. In the volume's directory::

    ..2024_05_01_10_00_00.123456789/   the files of one version (with their modes)
    ..data -> ..2024_05_01_10_00_00.123456789
    key    -> ..data/key               one symlink per top-level name of the payload

An update writes a new version directory, swaps ``..data`` with a rename (atomic), adds the
symlinks of new names, removes those of names gone, then the old version. A payload equal to
what is there changes nothing. Paths must be relative and stay inside (no ``..``).
"""

from __future__ import annotations

import datetime
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final

from kubeling.kubelet.volumes.errors import VolumeError

__all__ = ["DATA_DIR", "FileProjection", "validate_path", "write_payload"]

DATA_DIR: Final = "..data"


@dataclass(frozen=True, slots=True)
class FileProjection:
    data: bytes
    mode: int


def validate_path(path: str) -> str:
    """A payload path, cleaned; :class:`VolumeError` if absolute or escaping.

    >>> validate_path("a/./b"), validate_path("conf")
    ('a/b', 'conf')
    """
    if not path:
        raise VolumeError("invalid path: must not be empty")
    if path.startswith("/"):
        raise VolumeError(f"invalid path: must be relative path: {path}")
    parts = [p for p in PurePosixPath(path).parts if p != "."]
    if ".." in parts or not parts:
        raise VolumeError(f"invalid path: must not contain '..': {path}")
    if parts[0].startswith(".."):
        raise VolumeError(f"invalid path: must not start with '..': {path}")
    return "/".join(parts)


def _current(directory: Path) -> dict[str, FileProjection] | None:
    data = directory / DATA_DIR
    if not data.is_dir():
        return None
    found: dict[str, FileProjection] = {}
    for root, _, files in os.walk(data, followlinks=False):
        for name in files:
            path = Path(root) / name
            relative = path.relative_to(data).as_posix()
            found[relative] = FileProjection(path.read_bytes(), path.stat().st_mode & 0o7777)
    return found


def write_payload(directory: Path, payload: Mapping[str, FileProjection]) -> bool:
    """Make ``directory`` show ``payload``; whether anything changed (see the module
    docstring)."""
    cleaned = {validate_path(path): file for path, file in payload.items()}
    directory.mkdir(parents=True, exist_ok=True)
    if _current(directory) == cleaned:
        return False
    stamp = datetime.datetime.now(datetime.UTC).strftime("..%Y_%m_%d_%H_%M_%S.%f")
    version = directory / stamp
    suffix = 0
    while version.exists():
        suffix += 1
        version = directory / f"{stamp}{suffix}"
    version.mkdir(mode=0o755)
    for path, file in cleaned.items():
        target = version / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(file.data)
        os.chmod(target, file.mode)
    data = directory / DATA_DIR
    old = os.readlink(data) if data.is_symlink() else ""
    staged = directory / "..data_tmp"
    staged.unlink(missing_ok=True)
    staged.symlink_to(version.name)
    os.replace(staged, data)
    names = {path.split("/", 1)[0] for path in cleaned}
    for name in names:
        link = directory / name
        if not link.is_symlink():
            link.symlink_to(f"{DATA_DIR}/{name}")
    for entry in directory.iterdir():
        if entry.name.startswith(".."):
            continue
        if entry.name not in names and entry.is_symlink():
            entry.unlink()
    if old and old != version.name:
        shutil.rmtree(directory / old, ignore_errors=True)
    return True
