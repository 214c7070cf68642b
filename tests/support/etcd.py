"""Start real etcd members on 127.0.0.1 for tests and benchmarks.

Each member runs in its own temporary data dir on free ports. Tests stop only
the processes they started, by PID. If the ``etcd`` binary is missing the
helpers raise (tests must fail loudly, never skip): ``make test`` installs
Debian's etcd-server.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.ports import restartable_port

__all__ = ["EtcdMember", "etcd_binary", "start_cluster"]

# Large enough for the store's 1.5 MiB values plus the key and the request frame.
MAX_REQUEST_BYTES = 2 * 1024 * 1024


def etcd_binary() -> str:
    path = shutil.which("etcd") or ("/usr/bin/etcd" if os.path.exists("/usr/bin/etcd") else None)
    if path is None:
        raise RuntimeError("etcd is not installed: run `make test`, which installs etcd-server")
    return path


@dataclass
class EtcdMember:
    """One etcd process; ``start``/``stop``/``kill`` may be repeated."""

    name: str
    data_dir: Path
    client_port: int
    peer_port: int
    initial_cluster: str = ""
    log_path: Path = field(init=False)
    process: subprocess.Popen[bytes] | None = None
    started_once: bool = False

    def __post_init__(self) -> None:
        self.log_path = self.data_dir.with_suffix(".log")

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.client_port}"

    @property
    def client_url(self) -> str:
        return f"http://127.0.0.1:{self.client_port}"

    @property
    def peer_url(self) -> str:
        return f"http://127.0.0.1:{self.peer_port}"

    def start(self, *, progress_interval: str = "1s") -> None:
        args = [
            etcd_binary(),
            "--name", self.name,
            "--data-dir", str(self.data_dir),
            "--listen-client-urls", self.client_url,
            "--advertise-client-urls", self.client_url,
            "--listen-peer-urls", self.peer_url,
            "--initial-advertise-peer-urls", self.peer_url,
            "--initial-cluster", self.initial_cluster or f"{self.name}={self.peer_url}",
            "--initial-cluster-state", "existing" if self.started_once else "new",
            "--initial-cluster-token", "kubeling-test",
            "--max-request-bytes", str(MAX_REQUEST_BYTES),
            "--experimental-watch-progress-notify-interval", progress_interval,
            "--log-level", "warn",
        ]  # fmt: skip
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        self.started_once = True

    def wait_healthy(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"etcd {self.name} exited: {self.log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.client_url}/health", timeout=1) as response:
                    if b'"true"' in response.read():
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"etcd {self.name} not healthy: {self.log_path.read_text()[-2000:]}")

    def stop(self, *, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            self.process = None
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def kill(self) -> None:
        self.stop(sig=signal.SIGKILL)


def start_cluster(root: Path, size: int = 1, *, progress_interval: str = "1s") -> list[EtcdMember]:
    """Start ``size`` members forming one cluster and wait until all are healthy."""
    members = [
        EtcdMember(f"m{i}", root / f"etcd-m{i}", restartable_port(), restartable_port())
        for i in range(size)
    ]
    initial = ",".join(f"{m.name}={m.peer_url}" for m in members)
    try:
        for member in members:
            member.initial_cluster = initial
            member.start(progress_interval=progress_interval)
        for member in members:
            member.wait_healthy()
    except BaseException:
        for member in members:
            member.kill()
        raise
    return members
