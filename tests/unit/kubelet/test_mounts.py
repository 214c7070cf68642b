"""The process runtime's access to libc for mounts and namespaces."""

from __future__ import annotations

import ctypes.util
import subprocess

import pytest

from kubeling.kubelet.runtime import mounts


def test_libc_is_loaded_once_without_running_a_program(monkeypatch: pytest.MonkeyPatch) -> None:
    # ctypes.util.find_library runs `ldconfig -p` at every call: a container's start called it
    # several times, and 100 starts at once spent seconds in those subprocesses.
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("libc was looked up by running a program")

    monkeypatch.setattr(ctypes.util, "find_library", refuse)
    monkeypatch.setattr(subprocess, "Popen", refuse)
    mounts._libc.cache_clear()
    try:
        libc = mounts._libc()
        assert mounts._libc() is libc
        for name in ("mount", "umount2", "unshare", "setns", "sethostname"):
            assert callable(getattr(libc, name))
    finally:
        mounts._libc.cache_clear()
