"""Run ``kubeling server`` as a real process for end-to-end tests.

The server gets its own data dir and a free port on 127.0.0.1; kubectl gets a
HOME in the same temporary directory so that its discovery cache starts empty
and never touches the user's. Only the process started here is stopped, by
its PID.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["RunningServer", "kubectl_binary", "running_server"]

_READY = re.compile(r"ready on (https://[^ ]+)")


def kubectl_binary() -> str:
    path = shutil.which("kubectl")
    if path is None:
        raise RuntimeError("kubectl is not on PATH: the e2e tests need it")
    return path


@dataclass
class RunningServer:
    """A running ``kubeling server`` and how to reach it."""

    process: subprocess.Popen[str]
    url: str
    data_dir: Path
    home: Path

    @property
    def kubeconfig(self) -> Path:
        return self.data_dir / "kubeconfig.yaml"

    def kubectl(
        self, *args: str, input: str | None = None, check: bool = True, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """Run kubectl against this server; raise with its output if it fails and ``check``."""
        env = {**os.environ, "HOME": str(self.home), "KUBECONFIG": str(self.kubeconfig)}
        result = subprocess.run(
            [kubectl_binary(), *args],
            input=input,
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"kubectl {' '.join(args)} failed ({result.returncode}):\n"
                f"stdout: {result.stdout}\nstderr: {result.stderr}"
            )
        return result

    def kubectl_json(self, *args: str) -> dict[str, object]:
        out = self.kubectl(*args, "-o", "json").stdout
        value: dict[str, object] = json.loads(out)
        return value


@contextmanager
def running_server(
    root: Path,
    *,
    datastore: str | None = None,
    extra: Sequence[str] = (),
    command: str = "server",
    disabled_admission: Sequence[str] | None = None,
) -> Iterator[RunningServer]:
    """Start ``kubeling server --port 0`` (or ``command``: ``up``) under ``root`` and stop it
    afterwards.

    A bare ``server`` runs no service account controller, so, as Kubernetes' own
    integration tests do, it runs without the ServiceAccount admission plugin
    unless ``disabled_admission`` says otherwise (``()``: every plugin on).
    """
    data_dir, home = root / "data", root / "home"
    home.mkdir(parents=True, exist_ok=True)
    args = [sys.executable, "-m", "kubeling", command, "--data-dir", str(data_dir), "--port", "0"]
    if disabled_admission is None:
        disabled_admission = ("ServiceAccount",) if command == "server" else ()
    if disabled_admission:
        args += ["--disable-admission-plugins", ",".join(disabled_admission)]
    if datastore:
        args += ["--datastore", datastore]
    if command == "up":
        # The ingress's 80/443 belong to whichever cluster took them first: tests use free
        # ports unless they say otherwise, as they do for every other listener.
        for flag in ("--ingress-http-port", "--ingress-https-port"):
            if flag not in extra:
                args += [flag, "0"]
    log_path = root / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*args, *extra],
            stdout=subprocess.PIPE,
            stderr=log,
            stdin=subprocess.DEVNULL,
            text=True,
        )
    try:
        url = _wait_ready(process, log_path)
        yield RunningServer(process, url, data_dir, home)
    finally:
        stuck = False
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                stuck = True
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()
        # The server must stop cleanly on SIGTERM, open watches or not.
        if stuck:
            raise AssertionError(
                f"kubeling server ignored SIGTERM for 10 s:\n{log_path.read_text()[-3000:]}"
            )
        if process.returncode != 0:
            raise AssertionError(
                f"kubeling server exited {process.returncode}:\n{log_path.read_text()[-3000:]}"
            )


def _wait_ready(process: subprocess.Popen[str], log_path: Path, timeout: float = 30) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                raise RuntimeError(f"kubeling server exited: {log_path.read_text()[-3000:]}")
            continue
        match = _READY.search(line)
        if match:
            return match.group(1)
    raise RuntimeError(f"kubeling server not ready: {log_path.read_text()[-3000:]}")
