"""The process runtime with real processes: start, logs, stop, exit codes, restart, cgroups."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kubeling.kubelet.attach_stream import open_attach
from kubeling.kubelet.runtime.cgroups import CgroupManager, detect
from kubeling.kubelet.runtime.crilog import parse_record
from kubeling.kubelet.runtime.interface import (
    ContainerConfig,
    ContainerEvent,
    ContainerState,
    LinuxResources,
    NotFoundError,
    PodSandboxConfig,
    PodSandboxMetadata,
    RuntimeServiceError,
)
from kubeling.kubelet.runtime.process import ProcessRuntime
from tests.support.processes import wait_all_gone
from tests.support.waiting import eventually

PY = sys.executable


class Runtimes:
    """Opens runtimes on one directory and, at the end, removes everything they started."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.opened: list[ProcessRuntime] = []
        self.seen: set[tuple[int, int]] = set()
        self.events: list[ContainerEvent] = []

    async def open(self, *, cgroups: CgroupManager | None = None) -> ProcessRuntime:
        runtime = ProcessRuntime(self.root / "runtime", cgroups=cgroups, log_max_bytes=4096)
        runtime.subscribe(self.events.append)
        await runtime.start()
        self.opened.append(runtime)
        return runtime

    async def cleanup(self) -> None:
        last = self.opened[-1] if self.opened else await self.open()
        for runtime in self.opened:
            self.seen.update(runtime.processes())
        for sandbox in await last.list_pod_sandboxes():
            await last.remove_pod_sandbox(sandbox.id)
        for runtime in self.opened:
            await runtime.close()
        await wait_all_gone(self.seen)


@pytest.fixture
async def runtimes(tmp_path: Path) -> AsyncIterator[Runtimes]:
    opened = Runtimes(tmp_path)
    try:
        yield opened
    finally:
        await opened.cleanup()


def sandbox_config(tmp_path: Path, name: str = "pod") -> PodSandboxConfig:
    return PodSandboxConfig(
        PodSandboxMetadata(name, "default", f"uid-{name}"),
        hostname=name,
        log_directory=str(tmp_path / "logs" / name),
    )


async def run(
    runtime: ProcessRuntime,
    sandbox: PodSandboxConfig,
    sandbox_id: str,
    command: list[str],
    *,
    name: str = "c",
    **extra: object,
) -> str:
    config = ContainerConfig(
        name=name, attempt=0, image="none", command=command, log_path=f"{name}/0.log", **extra
    )
    container_id = await runtime.create_container(sandbox_id, config, sandbox)
    await runtime.start_container(container_id)
    return container_id


async def wait_state(runtime: ProcessRuntime, container_id: str, state: ContainerState) -> None:
    async def reached() -> bool:
        return (await runtime.container_status(container_id)).state is state

    await eventually(reached, within=15, what=f"the container to reach {state}")


def log_lines(path: str) -> list[tuple[str, str]]:
    """The (stream, line) records of a CRI log; none if it does not exist yet."""
    try:
        content = Path(path).read_bytes()
    except FileNotFoundError:
        return []
    return [
        (r.stream, r.content.decode())
        for r in (parse_record(line) for line in content.splitlines())
    ]


async def test_a_container_runs_its_command_and_logs_in_the_cri_format(
    runtimes: Runtimes, tmp_path: Path
) -> None:
    runtime = await runtimes.open()
    sandbox = sandbox_config(tmp_path)
    sandbox_id = await runtime.run_pod_sandbox(sandbox)
    script = "import os, sys; print('out', os.getcwd(), os.environ['GREETING']); " + (
        "print('err', os.environ['HOSTNAME'], file=sys.stderr)"
    )
    cid = await run(runtime, sandbox, sandbox_id, [PY, "-c", script], envs={"GREETING": "hi"})
    await wait_state(runtime, cid, ContainerState.EXITED)
    status = await runtime.container_status(cid)
    assert (status.exit_code, status.reason) == (0, "Completed")
    assert status.started_at <= status.finished_at
    work_dir = (await runtime.pod_sandbox_status(sandbox_id)).work_dir
    assert status.log_path == str(tmp_path / "logs" / "pod" / "c" / "0.log")
    assert sorted(log_lines(status.log_path)) == [
        ("stderr", "err pod"),
        ("stdout", f"out {work_dir} hi"),
    ]
    assert [e.kind for e in runtimes.events if e.container_id == cid] == ["started", "exited"]
    # The configuration holds the environment (Secrets too): only its owner may read it.
    assert _mode(tmp_path / "runtime") == 0o700
    assert _mode(tmp_path / "runtime" / "containers" / cid / "config.json") == 0o600


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


async def test_exit_codes_and_reasons(runtimes: Runtimes, tmp_path: Path) -> None:
    runtime = await runtimes.open()
    sandbox = sandbox_config(tmp_path)
    sandbox_id = await runtime.run_pod_sandbox(sandbox)
    failing = await run(runtime, sandbox, sandbox_id, ["sh", "-c", "exit 3"], name="fail")
    await wait_state(runtime, failing, ContainerState.EXITED)
    status = await runtime.container_status(failing)
    assert (status.exit_code, status.reason) == (3, "Error")
    with pytest.raises(RuntimeServiceError, match=r'exec: "no-such-cmd": executable file not'):
        await run(runtime, sandbox, sandbox_id, ["no-such-cmd"], name="missing")
    missing = next(c for c in await runtime.list_containers() if c.name == "missing")
    assert (missing.state, missing.exit_code, missing.reason) == (
        ContainerState.EXITED,
        128,
        "StartError",
    )
    with pytest.raises(RuntimeServiceError, match=r'chdir to cwd \("/no/such/dir"\)'):
        await run(runtime, sandbox, sandbox_id, ["true"], name="cwd", working_dir="/no/such/dir")
    with pytest.raises(RuntimeServiceError, match="sets neither command nor args"):
        await run(runtime, sandbox, sandbox_id, [], name="empty")


async def test_stop_sends_sigterm_then_sigkill_after_the_grace_period(
    runtimes: Runtimes, tmp_path: Path
) -> None:
    runtime = await runtimes.open()
    sandbox = sandbox_config(tmp_path)
    sandbox_id = await runtime.run_pod_sandbox(sandbox)
    polite = await run(runtime, sandbox, sandbox_id, ["sleep", "60"], name="polite")
    stubborn_script = (
        "import signal, time; signal.signal(signal.SIGTERM, lambda *a: print('TERM', flush=True));"
        " print('ready', flush=True); time.sleep(60)"
    )
    stubborn = await run(runtime, sandbox, sandbox_id, [PY, "-c", stubborn_script], name="stub")
    log = (await runtime.container_status(stubborn)).log_path
    await eventually(
        lambda: ("stdout", "ready") in log_lines(log), within=15, what="the stubborn one ready"
    )
    started = time.monotonic()
    await runtime.stop_container(polite, 30)
    assert time.monotonic() - started < 10  # SIGTERM ended it: no wait for the grace period
    assert (await runtime.container_status(polite)).exit_code == 128 + signal.SIGTERM
    started = time.monotonic()
    await runtime.stop_container(stubborn, 1)
    assert time.monotonic() - started >= 1  # it ignored SIGTERM: killed after the grace period
    status = await runtime.container_status(stubborn)
    assert (status.exit_code, status.reason) == (128 + signal.SIGKILL, "Error")
    assert ("stdout", "TERM") in log_lines(status.log_path)
    await runtime.stop_container(stubborn, 1)  # stopping again is a no-op


async def test_a_containers_children_end_with_it(runtimes: Runtimes, tmp_path: Path) -> None:
    runtime = await runtimes.open()
    sandbox = sandbox_config(tmp_path)
    sandbox_id = await runtime.run_pod_sandbox(sandbox)
    pid_file = tmp_path / "child.pid"
    cid = await run(
        runtime, sandbox, sandbox_id, ["sh", "-c", f"sleep 60 & echo $! > {pid_file}; exit 0"]
    )
    await wait_state(runtime, cid, ContainerState.EXITED)
    child = int(pid_file.read_text())
    await eventually(
        lambda: _state(child) == b"Z", within=10, what="the container's background child to end"
    )


def _own_cgroups() -> str:
    return Path(f"/proc/{os.getpid()}/cgroup").read_text()


def _state(pid: int) -> bytes:
    """A process's state letter; a process gone counts as a zombie (it ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return b"Z"
    return stat[stat.rindex(b")") + 2 :][:1]


async def test_a_new_runtime_finds_running_containers_again(
    runtimes: Runtimes, tmp_path: Path
) -> None:
    first = await runtimes.open()
    sandbox = sandbox_config(tmp_path)
    sandbox_id = await first.run_pod_sandbox(sandbox)
    cid = await run(first, sandbox, sandbox_id, ["sh", "-c", "echo before; sleep 60"])
    before = await first.container_status(cid)
    runtimes.seen.update(first.processes())
    await first.close()

    second = await runtimes.open()
    again = await second.container_status(cid)
    assert again.state is ContainerState.RUNNING
    assert again.started_at == before.started_at
    assert [s.id for s in await second.list_pod_sandboxes(pod_uid="uid-pod")] == [sandbox_id]
    await second.stop_container(cid, 5)
    assert (await second.container_status(cid)).exit_code == 128 + signal.SIGTERM
    assert log_lines(again.log_path) == [("stdout", "before")]
    assert [e.kind for e in runtimes.events if e.container_id == cid] == ["started", "exited"]


async def test_exec_runs_in_the_containers_context(runtimes: Runtimes, tmp_path: Path) -> None:
    runtime = await runtimes.open()
    sandbox = sandbox_config(tmp_path)
    sandbox_id = await runtime.run_pod_sandbox(sandbox)
    cid = await run(runtime, sandbox, sandbox_id, ["sleep", "60"], envs={"WHO": "me"})
    result = await runtime.exec_sync(cid, ["sh", "-c", "echo $WHO $PWD; echo oops >&2; exit 4"])
    work_dir = (await runtime.pod_sandbox_status(sandbox_id)).work_dir
    assert (result.exit_code, result.stdout) == (4, f"me {work_dir}\n".encode())
    assert result.stderr == b"oops\n"
    with pytest.raises(RuntimeServiceError, match="timed out"):
        await runtime.exec_sync(cid, ["sleep", "30"], timeout_seconds=0.5)
    missing = await runtime.exec_sync(cid, ["no-such-cmd"])
    assert missing.exit_code == 127
    assert b"executable file not found" in missing.stderr
    await runtime.stop_container(cid, 0)
    with pytest.raises(RuntimeServiceError, match="not running"):
        await runtime.exec_sync(cid, ["true"])


async def test_attach_to_stdin_and_output(runtimes: Runtimes, tmp_path: Path) -> None:
    """stdin: true keeps a pipe open for attached clients; output reaches every client asking
    for it (and the log); stdinOnce closes the stdin when the first client's stdin ends."""
    runtime = await runtimes.open()
    sandbox = sandbox_config(tmp_path)
    sandbox_id = await runtime.run_pod_sandbox(sandbox)
    cid = await run(runtime, sandbox, sandbox_id, ["cat"], stdin=True, stdin_once=True)
    address = runtime.attach_address(cid)
    watcher = await open_attach(address, stdin=False, stdout=True, stderr=True)
    client = await open_attach(address, stdin=True, stdout=True, stderr=False)
    await client.write_stdin(b"hello\n")
    assert client.stdout is not None
    assert watcher.stdout is not None
    assert await asyncio.wait_for(client.stdout.readline(), 10) == b"hello\n"
    assert await asyncio.wait_for(watcher.stdout.readline(), 10) == b"hello\n"
    await client.close_stdin()  # stdinOnce: cat sees the end of its input and exits
    await wait_state(runtime, cid, ContainerState.EXITED)
    assert await asyncio.wait_for(client.wait(), 10) is None  # the attach ends with it
    assert await asyncio.wait_for(watcher.wait(), 10) is None
    status = await runtime.container_status(cid)
    assert status.exit_code == 0
    assert log_lines(status.log_path) == [("stdout", "hello")]
    with pytest.raises(RuntimeServiceError, match="not running"):
        runtime.attach_address(cid)


async def test_attach_to_a_terminal(runtimes: Runtimes, tmp_path: Path) -> None:
    """tty: true runs the container on a terminal: input echoes, resizes reach it, a detach
    leaves it running."""
    runtime = await runtimes.open()
    sandbox = sandbox_config(tmp_path)
    sandbox_id = await runtime.run_pod_sandbox(sandbox)
    script = (
        "import os, sys\nfor line in sys.stdin:\n"
        "    size = os.get_terminal_size(0)\n"
        "    print('got', line.strip(), f'{size.columns}x{size.lines}', flush=True)\n"
    )
    cid = await run(runtime, sandbox, sandbox_id, [PY, "-c", script], stdin=True, tty=True)
    client = await open_attach(runtime.attach_address(cid), stdin=True, stdout=True, stderr=False)
    client.resize(100, 30)
    await client.write_stdin(b"abc\r")
    assert client.stdout is not None
    seen = b""
    while b"100x30" not in seen:
        seen += await asyncio.wait_for(client.stdout.read(1024), 10)
    assert b"abc" in seen.split(b"got abc")[0]  # the terminal echoed the input
    await client.close()
    await asyncio.sleep(0.2)
    assert (await runtime.container_status(cid)).state is ContainerState.RUNNING
    await runtime.stop_container(cid, 5)


@pytest.mark.parametrize("with_cgroups", [False, True])
async def test_container_stats(runtimes: Runtimes, tmp_path: Path, with_cgroups: bool) -> None:
    """A busy container's CPU time grows and its memory shows, from its process group or its
    cgroups (needs cgroups here: fails if they are not usable)."""
    cgroups = detect() if with_cgroups else None
    assert cgroups is None or isinstance(cgroups, CgroupManager), f"no cgroups: {cgroups}"
    runtime = await runtimes.open(cgroups=cgroups)
    sandbox = sandbox_config(tmp_path)
    sandbox_id = await runtime.run_pod_sandbox(sandbox)
    busy = "x = bytearray(32 << 20)\nx[::4096] = b'1' * len(x[::4096])\nwhile True: pass"
    cid = await run(runtime, sandbox, sandbox_id, [PY, "-c", busy])
    idle = await run(runtime, sandbox, sandbox_id, ["sleep", "60"], name="idle")
    await asyncio.sleep(1.0)
    [first] = [s for s in await runtime.list_container_stats() if s.container_id == cid]
    await asyncio.sleep(1.0)
    stats = {s.container_id: s for s in await runtime.list_container_stats()}
    assert set(stats) == {cid, idle}
    second = stats[cid]
    assert second.cpu_usage_core_nanoseconds > first.cpu_usage_core_nanoseconds
    assert second.memory_working_set_bytes > 32 << 20
    assert second.memory_rss_bytes > 32 << 20
    assert stats[idle].memory_working_set_bytes < second.memory_working_set_bytes
    await runtime.stop_container(cid, 0)
    assert cid not in {s.container_id for s in await runtime.list_container_stats()}


async def test_logs_rotate(runtimes: Runtimes, tmp_path: Path) -> None:
    runtime = await runtimes.open()
    sandbox = sandbox_config(tmp_path)
    sandbox_id = await runtime.run_pod_sandbox(sandbox)
    cid = await run(runtime, sandbox, sandbox_id, [PY, "-c", "for i in range(500): print(i)"])
    await wait_state(runtime, cid, ContainerState.EXITED)
    log = Path((await runtime.container_status(cid)).log_path)
    rotated = sorted(p for p in log.parent.iterdir() if p != log)
    assert 1 <= len(rotated) <= 4  # 4 KiB per file here, at most 5 files
    assert log_lines(str(log))[-1] == ("stdout", "499")


async def test_removal(runtimes: Runtimes, tmp_path: Path) -> None:
    runtime = await runtimes.open()
    sandbox = sandbox_config(tmp_path)
    sandbox_id = await runtime.run_pod_sandbox(sandbox)
    cid = await run(runtime, sandbox, sandbox_id, ["sleep", "60"])
    with pytest.raises(RuntimeServiceError, match="running"):
        await runtime.remove_container(cid)
    await runtime.stop_pod_sandbox(sandbox_id)
    assert (await runtime.container_status(cid)).state is ContainerState.EXITED
    await runtime.remove_pod_sandbox(sandbox_id)
    with pytest.raises(NotFoundError):
        await runtime.container_status(cid)
    with pytest.raises(NotFoundError):
        await runtime.pod_sandbox_status(sandbox_id)
    await runtime.remove_pod_sandbox(sandbox_id)  # idempotent
    assert not (tmp_path / "runtime" / "sandboxes" / sandbox_id).exists()


async def test_memory_limits_and_oom_kills(runtimes: Runtimes, tmp_path: Path) -> None:
    """Needs cgroups (root here, see docs/kubelet.md): fails if they are not usable."""
    cgroups = detect()
    assert isinstance(cgroups, CgroupManager), f"cgroups are not usable here: {cgroups}"
    runtime = await runtimes.open(cgroups=cgroups)
    sandbox = sandbox_config(tmp_path)
    sandbox_id = await runtime.run_pod_sandbox(sandbox)
    hog = "x = bytearray(256 << 20); import time; time.sleep(30)"
    limits = LinuxResources(memory_limit_in_bytes=64 << 20, cpu_quota=50000, cpu_period=100000)
    cid = await run(runtime, sandbox, sandbox_id, [PY, "-c", hog], resources=limits)
    await wait_state(runtime, cid, ContainerState.EXITED)
    status = await runtime.container_status(cid)
    assert (status.exit_code, status.reason) == (137, "OOMKilled")
    small = await run(runtime, sandbox, sandbox_id, ["sleep", "60"], name="small", resources=limits)
    result = await runtime.exec_sync(small, ["cat", "/proc/self/cgroup"])
    assert small in result.stdout.decode()
    assert small not in _own_cgroups()
    await runtime.remove_pod_sandbox(sandbox_id)
    assert not any(base.joinpath(small).exists() for base in cgroups.bases.values())
