"""The container shim: what keeps a container's process company, whatever the kubelet does.

The process runtime cannot make its containers children of the kubelet: a kubelet that
restarts would take their exit codes and log pipes with it. As containerd does with its
shims, every container gets a supervisor process of its own, in its own session:

- it starts the container's process in a new process group (so that a signal reaches the
  container and everything it started), joined to the container's cgroups, in a mount namespace
  of its own with its volumes bind-mounted (when the runtime mounts volumes so: :mod:`mounts`),
  in its working directory, as its user, with stdin on ``/dev/null`` and stdout/stderr on pipes;
- it reports the start (or why it could not start: a missing executable is an exit code 128 with
  reason ``StartError``, as runc reports it) on a pipe the kubelet holds, and writes
  ``started.json`` (pid and process start time, so that a recycled pid is never taken for the
  container) in the container's directory;
- it copies the output into the container's log in the CRI format, with rotation
  (:mod:`crilog`);
- when the process ends it kills what is left of its process group and cgroup (a container's
  processes end with it, as in a pid namespace), drains the pipes, notes an OOM kill from the
  memory cgroup, and writes ``exit.json``.

Starting a Python interpreter per container costs tens of milliseconds of CPU, so the kubelet
starts one **zygote** (``shim.py zygote``) that imports all this once and forks a shim per
container on request: a request is a container directory and the write end of the report
pipe, passed over a Unix socket (``SCM_RIGHTS``). The zygote reaps its shims and exits when
the kubelet has gone away and its last shim has ended; shims of a previous zygote keep running
(and reporting) across kubelet restarts.

``shim.py exec DIR -- CMD...`` runs a command in a running container's context (its cgroups,
mount namespace, working directory, environment and user), in the foreground: the hook for exec
probes, lifecycle hooks and ``kubectl exec``.

This file runs in a bare interpreter (``python -I -S``): standard library only, and
:mod:`crilog` is imported from this file's directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING or __package__:
    from kubeling.kubelet.runtime import crilog, mounts
else:  # run as a script by the runtime: a bare interpreter, crilog and mounts beside this file
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import crilog
    import mounts

__all__ = ["exec_failure_message", "exit_code_of", "main"]

CONFIG: Final = "config.json"
STARTED: Final = "started.json"
EXITED: Final = "exit.json"
#: The fd a zygote gets its request socket on.
ZYGOTE_FD: Final = 3
#: How long output of an exited container is still drained (descendants holding the pipes).
DRAIN_SECONDS: Final = 2.0
#: runc's exit code for a process that could not be started.
START_ERROR_EXIT_CODE: Final = 128

Json = dict[str, Any]


def write_json(path: Path, value: Json) -> None:
    """Write ``value`` to ``path`` atomically (a reader sees all of it or nothing), readable by
    its owner only: a container's configuration holds its environment, Secrets included.

    Not fsynced: the state must outlive the kubelet and the shims (the page cache does), not
    the machine. After a machine crash every container has ended anyway, and a record that did
    not reach the disk reads as absent (:func:`~.records.read_json`): the kubelet starts the
    pod's containers again, as it must. An fsync per record (three per container start) made
    100 pods started at once take twice as long."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "w") as f:
        json.dump(value, f)
    os.replace(tmp, path)


def process_start_ticks(pid: int) -> int:
    """The start time of process ``pid`` in clock ticks since boot (``/proc/PID/stat``
    field 22); with the pid it names one process for ever. 0 if there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return 0
    # The command name (field 2) may hold spaces and parentheses: split after its last ")".
    fields = stat[stat.rindex(b")") + 2 :].split()
    return int(fields[19])


def exit_code_of(wait_status: int) -> int:
    """The exit code a container runtime reports: the process's own, or 128 + the signal.

    >>> exit_code_of(0), exit_code_of(256 * 3), exit_code_of(9), exit_code_of(15)
    (0, 3, 137, 143)
    """
    code = os.waitstatus_to_exitcode(wait_status)
    return 128 - code if code < 0 else code


def exec_failure_message(argv0: str, error: OSError) -> str:
    """What runc says when it cannot run a container's command.

    >>> exec_failure_message("nosuch", FileNotFoundError(2, "No such file or directory"))
    'exec: "nosuch": executable file not found in $PATH'
    >>> exec_failure_message("./x", PermissionError(13, "Permission denied"))
    'exec: "./x": permission denied'
    """
    if isinstance(error, FileNotFoundError):
        if "/" in argv0:
            return f'exec: "{argv0}": stat {argv0}: no such file or directory'
        return f'exec: "{argv0}": executable file not found in $PATH'
    return f'exec: "{argv0}": {_reason(error)}'


def _reset_signals() -> None:
    """Undo what a Python parent changed: ignored SIGPIPE/SIGXFSZ survive exec otherwise."""
    for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGCHLD, signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    signal.set_wakeup_fd(-1)


class SetupError(Exception):
    """A container's context could not be entered; the message says which step failed."""


def enter_container(config: Json, *, join_pid: int = 0) -> None:
    """In a fresh child: join the container's cgroups, its pod's UTS namespace (hostname),
    its mount namespace (a new one with its volumes, or that of its process ``join_pid`` for
    an exec), directory and user."""
    for procs in config.get("cgroupProcs") or ():
        try:
            with open(procs, "w") as f:
                f.write(str(os.getpid()))
        except OSError as err:
            raise SetupError(f"joining cgroup {os.path.dirname(procs)}: {_reason(err)}") from None
    uts = config.get("utsNamespace")
    if uts:
        try:
            mounts.join_uts_namespace(uts)
        except OSError as err:
            raise SetupError(f"setting the hostname: {err.strerror or err}") from None
    volumes = config.get("mounts")
    if volumes:
        try:
            if join_pid:
                mounts.join_namespace(join_pid)
            else:
                mounts.enter_new_namespace(volumes)
        except OSError as err:
            raise SetupError(f"mounting volumes: {err.strerror or err}") from None
    cwd = config["cwd"]
    try:
        os.chdir(cwd)
    except OSError as err:
        raise SetupError(
            f'chdir to cwd ("{cwd}") set in config.json failed: {_reason(err)}'
        ) from None
    user = config.get("user")
    if user:
        try:
            os.setgroups([int(g) for g in user.get("groups") or ()])
            os.setgid(int(user["gid"]))
            os.setuid(int(user["uid"]))
        except OSError as err:
            raise SetupError(f"setting the user {user['uid']}: {_reason(err)}") from None


def _reason(err: OSError) -> str:
    return (err.strerror or str(err)).lower()


def _exec_container(config: Json, out_w: int, err_w: int, report_w: int) -> None:
    """The container's process, between fork and exec; never returns."""
    argv = [str(a) for a in config["argv"]]
    try:
        _reset_signals()
        os.setpgid(0, 0)
        enter_container(config)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        os.closerange(3, report_w)
        os.closerange(report_w + 1, 1 << 16)
        os.execvpe(argv[0], argv, {str(k): str(v) for k, v in config["env"].items()})
    except SetupError as err:
        os.write(report_w, str(err).encode())
    except OSError as err:
        os.write(report_w, exec_failure_message(argv[0], err).encode())
    except BaseException as err:  # anything at all: the child must not return
        os.write(report_w, (str(err) or type(err).__name__).encode())
    os._exit(127)


def _oom_killed(config: Json) -> bool:
    """Whether the container's memory cgroup saw an OOM kill (v1 memory.oom_control or v2
    memory.events: an ``oom_kill N`` line)."""
    path = config.get("oomEvents")
    if not path:
        return False
    try:
        with open(path) as f:
            for line in f:
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value) > 0
    except (OSError, ValueError):
        return False
    return False


def _kill_leftovers(config: Json, pgid: int) -> None:
    """Kill what the container's process left behind: its group, and its cgroup."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    for procs in config.get("cgroupProcs") or ():
        try:
            with open(procs) as f:
                pids = [int(p) for p in f.read().split()]
        except (OSError, ValueError):
            continue
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def run_container(directory: Path, report_fd: int) -> int:
    """Supervise one container (see the module docstring); returns the shim's exit code."""
    config: Json = json.loads((directory / CONFIG).read_text())
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    exec_r, exec_w = os.pipe2(os.O_CLOEXEC)
    pid = os.fork()
    if pid == 0:
        os.close(out_r)
        os.close(err_r)
        os.close(exec_r)
        _exec_container(config, out_w, err_w, exec_w)
    for fd in (out_w, err_w, exec_w):
        os.close(fd)
    failure = b""
    while chunk := os.read(exec_r, 4096):  # EOF once exec succeeded (close-on-exec)
        failure += chunk
    os.close(exec_r)
    now = time.time_ns()
    if failure:
        os.waitpid(pid, 0)
        os.close(out_r)
        os.close(err_r)
        message = failure.decode(errors="replace")
        write_json(
            directory / EXITED,
            {
                "exitCode": START_ERROR_EXIT_CODE,
                "reason": "StartError",
                "message": message,
                "startedAt": now,
                "finishedAt": now,
            },
        )
        _report(report_fd, {"error": message})
        return 0
    started = {
        "pid": pid,
        "startTicks": process_start_ticks(pid),
        "shimPid": os.getpid(),
        "shimStartTicks": process_start_ticks(os.getpid()),
        "startedAt": now,
    }
    write_json(directory / STARTED, started)
    _report(report_fd, started)
    exit_code, finished = _pump(config, pid, {out_r: "stdout", err_r: "stderr"})
    oom = _oom_killed(config)
    write_json(
        directory / EXITED,
        {
            "exitCode": exit_code,
            "reason": "OOMKilled" if oom else ("Completed" if exit_code == 0 else "Error"),
            "message": "",
            "startedAt": now,
            "finishedAt": finished,
        },
    )
    return 0


def _report(fd: int, value: Json) -> None:
    with contextlib.suppress(OSError):  # the kubelet may be gone: the files say it all
        os.write(fd, json.dumps(value).encode())
    os.close(fd)


def _pump(config: Json, pid: int, streams: dict[int, str]) -> tuple[int, int]:
    """Copy output to the log until the process ended and its pipes are drained; returns
    the exit code and when the process ended (Unix nanoseconds)."""
    writer = crilog.RotatingLogWriter(
        Path(config["logPath"]),
        max_bytes=int(config.get("logMaxBytes") or 0),
        max_files=int(config.get("logMaxFiles") or 5),
    )
    splitters = {fd: crilog.LineSplitter() for fd in streams}
    pidfd = os.pidfd_open(pid)
    exit_code: int | None = None
    finished = 0
    deadline = 0.0
    try:
        while streams or exit_code is None:
            watched = list(streams) + ([pidfd] if exit_code is None else [])
            timeout = None if exit_code is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select(watched, [], [], timeout)
            if exit_code is not None and not ready:
                break  # descendants that escaped still hold a pipe: stop waiting for them
            for fd in ready:
                if fd == pidfd:
                    _, status = os.waitpid(pid, 0)
                    exit_code, finished = exit_code_of(status), time.time_ns()
                    _kill_leftovers(config, pid)
                    deadline = time.monotonic() + DRAIN_SECONDS
                    continue
                data = os.read(fd, 65536)
                stream = streams[fd]
                if not data:
                    for tag, content in splitters[fd].flush():
                        writer.write(stream, tag, content)
                    os.close(fd)
                    del streams[fd]
                    continue
                for tag, content in splitters[fd].feed(data):
                    writer.write(stream, tag, content)
        for fd, stream in streams.items():
            for tag, content in splitters[fd].flush():
                writer.write(stream, tag, content)
            os.close(fd)
    finally:
        os.close(pidfd)
        writer.close()
    assert exit_code is not None
    return exit_code, finished


def zygote(sock: socket.socket) -> int:
    """Fork a shim per request until the kubelet hangs up and the last shim has ended."""
    os.closerange(ZYGOTE_FD + 1, 1 << 16)  # nothing else of the kubelet's may leak to shims
    wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    children: set[int] = set()
    connected = True
    while connected or children:
        watched = [wake_r] + ([sock.fileno()] if connected else [])
        ready, _, _ = select.select(watched, [], [], 5.0)
        if wake_r in ready:
            with contextlib.suppress(BlockingIOError):
                os.read(wake_r, 4096)
        _reap(children)
        if sock.fileno() in ready:
            try:
                message, fds, _, _ = socket.recv_fds(sock, 65536, 1)
            except OSError:
                message, fds = b"", []
            if not message:
                connected = False
                continue
            request = json.loads(message)
            report_fd = fds[0] if fds else -1
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    _reset_signals()
                    os.setsid()
                    sock.close()
                    os.close(wake_r)
                    os.close(wake_w)
                    if "uts" in request:
                        code = pin_uts(request, report_fd)
                    else:
                        code = run_container(Path(request["dir"]), report_fd)
                finally:
                    os._exit(code)
            children.add(pid)
            if report_fd >= 0:
                os.close(report_fd)
    return 0


def pin_uts(request: Json, report_fd: int) -> int:
    """A pod's UTS namespace, pinned at ``request["uts"]`` with ``request["hostname"]``;
    reports ``{}`` or ``{"error": why}``."""
    try:
        mounts.pin_uts_namespace(str(request["uts"]), str(request["hostname"]))
    except OSError as err:
        _report(report_fd, {"error": str(err.strerror or err)})
        return 1
    _report(report_fd, {})
    return 0


def _reap(children: set[int]) -> None:
    while children:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            children.clear()
            return
        if pid == 0:
            return
        children.discard(pid)


def exec_in_container(directory: Path, argv: list[str]) -> int:
    """Replace this process with ``argv`` run in the container's context."""
    config: Json = json.loads((directory / CONFIG).read_text())
    started: Json = {}
    with contextlib.suppress(OSError, ValueError):
        started = json.loads((directory / STARTED).read_text())
    _reset_signals()
    try:
        enter_container(config, join_pid=int(started.get("pid") or 0))
        os.execvpe(argv[0], argv, {str(k): str(v) for k, v in config["env"].items()})
    except SetupError as err:
        print(err, file=sys.stderr)
        return 126
    except OSError as err:
        print(exec_failure_message(argv[0], err), file=sys.stderr)
        return 126 if isinstance(err, PermissionError) else 127


def main(args: list[str]) -> int:
    """``zygote`` (request socket on fd 3) or ``exec DIR -- CMD...``."""
    if args[:1] == ["zygote"]:
        return zygote(socket.socket(fileno=ZYGOTE_FD))
    if len(args) >= 4 and args[0] == "exec" and args[2] == "--":
        return exec_in_container(Path(args[1]), args[3:])
    print("usage: shim.py zygote | shim.py exec DIR -- CMD...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
