"""Run a kubeling component (``scheduler``, ``controller-manager``, ``simulate``...) as its own
process against a :class:`~tests.support.cluster.RunningServer`, and stop it afterwards.

Only the process started here is stopped, by its PID (SIGINT, then SIGKILL after 30 s); a
component that exits on its own with a failure makes the context fail with its log's tail.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.support.cluster import RunningServer

__all__ = ["running_component", "wait_for_line"]


@contextmanager
def running_component(
    server: RunningServer,
    command: Sequence[str],
    *,
    log_path: Path,
    kubeconfig: Path | None = None,
) -> Iterator[subprocess.Popen[str]]:
    """``python -m kubeling <command...> --kubeconfig <kubeconfig>`` (by default the server's
    admin one), stdout piped (for :func:`wait_for_line`), stderr to ``log_path``."""
    kubeconfig = kubeconfig or server.kubeconfig
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "kubeling", *command, "--kubeconfig", str(kubeconfig)],
            stdout=subprocess.PIPE,
            stderr=log,
            stdin=subprocess.DEVNULL,
            text=True,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()
        # 130: stopped by SIGINT (KeyboardInterrupt), as the commands report it.
        if process.returncode not in (0, 130, -signal.SIGINT, -signal.SIGKILL):
            raise AssertionError(
                f"kubeling {command[0]} exited {process.returncode}:\n"
                f"{log_path.read_text()[-3000:]}"
            )


def wait_for_line(
    process: subprocess.Popen[str],
    pattern: str | re.Pattern[str],
    *,
    log_path: Path | None = None,
    timeout: float = 120,
) -> re.Match[str]:
    """Read the process's stdout until a line matches ``pattern``; the match. A failure
    quotes the end of ``log_path`` (the process's log) when given."""
    assert process.stdout is not None
    wanted = re.compile(pattern)

    def tail() -> str:
        return log_path.read_text()[-3000:] if log_path is not None else ""

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                raise RuntimeError(f"process exited before {wanted.pattern!r}: {tail()}")
            continue
        match = wanted.search(line)
        if match:
            return match
    raise RuntimeError(f"no line matching {wanted.pattern!r} in {timeout} s: {tail()}")
