"""The container shim: what keeps a container's process company, whatever the kubelet does.

The process runtime cannot make its containers children of the kubelet: a kubelet that
restarts would take their exit codes and log pipes with it. As containerd does with its
shims, every container gets a supervisor process of its own, in its own session:

- it starts the container's process in a new process group (so that a signal reaches the
  container and everything it started), joined to the container's cgroups, in a mount namespace
  of its own with its volumes bind-mounted (when the runtime mounts volumes so: :mod:`mounts`),
  in its working directory, as its user, with stdout/stderr on pipes and stdin on ``/dev/null``
  (a pipe when its spec has ``stdin: true``; all three on a pseudo-terminal with ``tty: true``);
- it reports the start (or why it could not start: a missing executable is an exit code 128 with
  reason ``StartError``, as runc reports it) on a pipe the kubelet holds, and writes
  ``started.json`` (pid and process start time, so that a recycled pid is never taken for the
  container) in the container's directory;
- it copies the output into the container's log in the CRI format, with rotation
  (:mod:`crilog`);
- it serves the container's attach socket (:mod:`attach`): attached clients get its output as
  it comes and may write to its stdin;
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
import fcntl
import json
import os
import select
import signal
import socket
import struct
import sys
import termios
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING or __package__:
    from kubeling.kubelet.runtime import attach, crilog, mounts
else:  # run as a script by the runtime: a bare interpreter, its modules beside this file
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import attach
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


def _exec_container(config: Json, stdio: tuple[int, int, int], report_w: int) -> None:
    """The container's process, between fork and exec; never returns. ``stdio`` are its
    stdin (-1: ``/dev/null``), stdout and stderr; with a TTY all three are the terminal, which
    becomes its controlling terminal in a session of its own."""
    argv = [str(a) for a in config["argv"]]
    try:
        _reset_signals()
        if config.get("tty"):
            os.setsid()  # a session (and process group) led by the container's process
        else:
            os.setpgid(0, 0)
        enter_container(config)
        stdin = stdio[0] if stdio[0] >= 0 else os.open(os.devnull, os.O_RDONLY)
        os.dup2(stdin, 0)
        os.dup2(stdio[1], 1)
        os.dup2(stdio[2], 2)
        if config.get("tty"):
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
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


def set_terminal_size(fd: int, width: int, height: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))


class Stdio:
    """The container's standard streams as the shim holds them: pipes, or a terminal
    (``tty``), and the write end of its stdin when its spec has ``stdin`` (or a TTY)."""

    def __init__(self, config: Json) -> None:
        self.tty = bool(config.get("tty"))
        if self.tty:
            master, slave = os.openpty()
            set_terminal_size(slave, 80, 24)  # until a client says otherwise, as runc
            self.child = (slave, slave, slave)
            self.outputs = {master: "stdout"}
            self.stdin = master
            self._parent_only = [master]
            self._child_only = [slave]
            return
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        in_r, in_w = os.pipe() if config.get("stdin") else (-1, -1)
        self.child = (in_r, out_w, err_w)
        self.outputs = {out_r: "stdout", err_r: "stderr"}
        self.stdin = in_w
        self._parent_only = [out_r, err_r] + ([in_w] if in_w >= 0 else [])
        self._child_only = [out_w, err_w] + ([in_r] if in_r >= 0 else [])

    def in_child(self) -> None:
        for fd in self._parent_only:
            os.close(fd)

    def in_parent(self) -> None:
        for fd in set(self._child_only):
            os.close(fd)

    def close(self) -> None:
        for fd in set(self.outputs) | ({self.stdin} if self.stdin >= 0 else set()):
            with contextlib.suppress(OSError):
                os.close(fd)


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
    stdio = Stdio(config)
    exec_r, exec_w = os.pipe2(os.O_CLOEXEC)
    pid = os.fork()
    if pid == 0:
        stdio.in_child()
        os.close(exec_r)
        _exec_container(config, stdio.child, exec_w)
    stdio.in_parent()
    os.close(exec_w)
    failure = b""
    while chunk := os.read(exec_r, 4096):  # EOF once exec succeeded (close-on-exec)
        failure += chunk
    os.close(exec_r)
    now = time.time_ns()
    if failure:
        os.waitpid(pid, 0)
        stdio.close()
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
    hub = _attach_hub(directory.name, config, stdio)
    write_json(directory / STARTED, started)
    _report(report_fd, started)
    try:
        exit_code, finished = _pump(config, pid, stdio, hub)
    finally:
        if hub is not None:
            hub.close()
        with contextlib.suppress(OSError):
            if stdio.stdin >= 0 and not stdio.tty:
                os.close(stdio.stdin)
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


def _attach_hub(container_id: str, config: Json, stdio: Stdio) -> attach.AttachHub | None:
    """The container's attach socket (:mod:`attach`); None if it cannot listen (the
    container runs on, without attach)."""
    master = stdio.stdin if stdio.tty else -1
    try:
        return attach.AttachHub(
            container_id,
            stdin_fd=stdio.stdin,
            stdin_once=bool(config.get("stdinOnce")),
            terminal=stdio.tty,
            resize=(lambda w, h: set_terminal_size(master, w, h)) if stdio.tty else None,
        )
    except OSError as err:
        print(f"container {container_id}: no attach socket: {err}", file=sys.stderr)
        return None


def _pump(config: Json, pid: int, stdio: Stdio, hub: attach.AttachHub | None) -> tuple[int, int]:
    """Copy output to the log (and to attached clients) until the process ended and its
    output is drained; pass attached clients' input to its stdin. Returns the exit code and
    when the process ended (Unix nanoseconds)."""
    streams = dict(stdio.outputs)
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
            watched += hub.read_fds() if hub is not None else []
            writes = hub.write_fds() if hub is not None else []
            timeout = None if exit_code is None else max(0.0, deadline - time.monotonic())
            ready, writable, _ = select.select(watched, writes, [], timeout)
            if exit_code is not None and not ready and not writable:
                break  # descendants that escaped still hold a pipe: stop waiting for them
            for fd in writable:
                if hub is not None:
                    hub.writable(fd)
            for fd in ready:
                if fd == pidfd:
                    _, status = os.waitpid(pid, 0)
                    exit_code, finished = exit_code_of(status), time.time_ns()
                    _kill_leftovers(config, pid)
                    deadline = time.monotonic() + DRAIN_SECONDS
                    continue
                if fd not in streams:
                    if hub is not None:
                        hub.readable(fd)
                    continue
                try:
                    data = os.read(fd, 65536)
                except BlockingIOError:
                    continue
                except OSError:  # EIO: a terminal whose every other end is closed
                    data = b""
                stream = streams[fd]
                if not data:
                    for tag, content in splitters[fd].flush():
                        writer.write(stream, tag, content)
                    if hub is not None and hub.stdin_fd == fd:
                        hub.stdin_fd = -1  # the terminal goes with its output
                    os.close(fd)
                    del streams[fd]
                    continue
                if hub is not None:
                    hub.broadcast(attach.STDOUT if stream == "stdout" else attach.STDERR, data)
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
