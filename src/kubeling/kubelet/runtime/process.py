"""The ``process`` runtime: each container is a host process group, supervised by a shim.

A pod sandbox is a directory with a working directory in it (``work/``, the containers' cwd and
``$HOME`` unless the container sets ``workingDir``); pods share the node's network, so a
sandbox's IP is the node's. A container is the process group of its ``command`` + ``args``,
started by its shim (:mod:`~kubeling.kubelet.runtime.shim`) with the pod's environment, stdin on
``/dev/null`` (a pipe with ``stdin: true``, a terminal with ``tty: true``) and its output in a
CRI log, and attachable through its shim (:mod:`~kubeling.kubelet.runtime.attach`). Its volumes
(``mounts``, host directories the kubelet prepared) are bind-mounted at their paths in a mount
namespace of its own where this process may make one (root); elsewhere
``$KUBELING_ROOT/<mountPath>`` is a symlink to each. Where
:mod:`~kubeling.kubelet.runtime.cgroups` allows, every container gets cgroups with its memory
and CPU limits, and an OOM kill is reported as ``OOMKilled``. No image is pulled: ``image`` is
only recorded.

Everything is on disk under the runtime's directory, so a new runtime on the same directory
(a restarted kubelet) finds the same sandboxes and containers::

    sandboxes/<id>/sandbox.json      what the kubelet asked for, and the state
    sandboxes/<id>/work/             the pod's working directory
    containers/<id>/record.json      the container's identity (written at create)
    containers/<id>/config.json      what the shim runs
    containers/<id>/started.json     written by the shim: pid, start ticks, shim pid
    containers/<id>/exit.json        written by the shim: exit code, reason, finish time

A container is RUNNING while its shim lives (the shim's pid *and* its start time must match:
pids are recycled), EXITED once ``exit.json`` exists. The runtime learns of exits at once by
polling a pidfd of each shim on the event loop; a shim that disappeared without writing
``exit.json`` leaves its container UNKNOWN if the process still runs (the kubelet kills and
restarts it) and EXITED with code 255 otherwise.

Stopping sends SIGTERM to the container's process group and SIGKILL to it (and to everything
in its cgroups) after the timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

from kubeling import __version__
from kubeling.api.goformat import go_quote
from kubeling.kubelet.runtime import attach, mounts, procstats, shim
from kubeling.kubelet.runtime.cgroups import CgroupManager
from kubeling.kubelet.runtime.interface import (
    ContainerConfig,
    ContainerEvent,
    ContainerState,
    ContainerStats,
    ContainerStatus,
    ExecResult,
    ExecTimeoutError,
    Mount,
    NotFoundError,
    PodSandboxConfig,
    PodSandboxStatus,
    RuntimeServiceError,
    SandboxState,
)
from kubeling.kubelet.runtime.records import (
    ContainerRecord,
    SandboxRecord,
    process_alive,
    read_json,
)
from kubeling.kubelet.runtime.resolvconf import resolv_conf, resolver_environment
from kubeling.kubelet.runtime.zygote import DEFAULT_PATH, SHIM_SCRIPT, Zygote, read_to_eof

__all__ = ["DEFAULT_PATH", "ROOT_VARIABLE", "ProcessRuntime", "link_mounts", "no_command_message"]

log = logging.getLogger(__name__)

#: How long a SIGKILLed container may take to be reported gone before stop gives up.
KILL_WAIT_SECONDS: Final = 10.0
UNKNOWN_EXIT_CODE: Final = 255

Json = dict[str, Any]


#: Where a container finds its volumes when they cannot be mounted at their mountPath.
ROOT_VARIABLE: Final = "KUBELING_ROOT"
ETC_RESOLV_CONF: Final = "/etc/resolv.conf"


def link_mounts(rootfs: Path, volumes: Sequence[Mount]) -> None:
    """Without mount namespaces: ``<rootfs>/<mountPath>`` is a symlink to each volume, and the
    container finds its volumes under ``$KUBELING_ROOT`` (read-only is not enforced)."""
    for mount in volumes:
        link = rootfs / mount.container_path.lstrip("/")
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(mount.host_path)


def no_command_message(name: str, image: str) -> str:
    """Why a container without command and args cannot run here, and what to do about it."""
    return (
        f'container "{name}" sets neither command nor args: the process runtime pulls no '
        f'images and runs the container\'s command on the node (image "{image}" is only '
        'recorded); give it one, e.g. command: ["python3", "-m", "http.server"]'
    )


class ProcessRuntime:
    """The process runtime over the state directory ``root`` (see the module docstring)."""

    name = "process"

    def __init__(
        self,
        root: Path,
        *,
        ips: Sequence[str] = ("127.0.0.1",),
        cgroups: CgroupManager | None = None,
        log_max_bytes: int = 10 * 1024 * 1024,
        log_max_files: int = 5,
        mount_namespaces: bool = True,
    ) -> None:
        self.root = root
        self.mount_namespaces = mount_namespaces
        #: How volumes reach containers: ``bind`` (at their mountPath, in a mount namespace
        #: per container) or ``link`` (symlinks under ``$KUBELING_ROOT``); see :meth:`start`.
        self.volume_mode = "link"
        self.volume_note = "not yet detected"
        #: What the pod's hostname and resolver are in its containers (see :meth:`start`).
        self.isolation_note = "not yet detected"
        self.ips = tuple(ips)
        self.cgroups = cgroups
        self.log_max_bytes = log_max_bytes
        self.log_max_files = log_max_files
        self._sandboxes: dict[str, SandboxRecord] = {}
        self._containers: dict[str, ContainerRecord] = {}
        self._listeners: list[Callable[[ContainerEvent], None]] = []
        self._zygote = Zygote(root / "shim.log")
        self._started = False

    def version(self) -> str:
        return __version__

    # -- lifecycle of the runtime itself ------------------------------------------------------

    async def start(self) -> None:
        """Load what is on disk and start watching running containers."""
        if self._started:
            return
        await asyncio.to_thread(self._load)
        why = await asyncio.to_thread(mounts.namespaces_usable) if self.mount_namespaces else ""
        if self.mount_namespaces and not why:
            self.volume_mode = "bind"
            self.volume_note = "bind mounts at mountPath (a mount namespace per container)"
            self.isolation_note = (
                "a UTS namespace per pod (its hostname); /etc/hosts and /etc/resolv.conf "
                "bind-mounted in each container"
            )
        else:
            self.volume_mode = "link"
            reason = why or "disabled"
            self.volume_note = (
                f"no mount namespaces ({reason}): volumes are symlinks under $KUBELING_ROOT"
            )
            self.isolation_note = (
                f"none ({reason}): containers see the node's hostname ($HOSTNAME is the pod's) "
                "and /etc/resolv.conf; the pod's DNS search list and options reach them as "
                "LOCALDOMAIN and RES_OPTIONS, its nameserver does not"
            )
        for container in self._containers.values():
            if container.state is ContainerState.RUNNING:
                self._watch(container)
        self._started = True

    def _load(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o700)  # containers' configurations hold their Secrets
        for sub in ("sandboxes", "containers"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        for directory in (self.root / "sandboxes").iterdir():
            value = read_json(directory / "sandbox.json")
            if value is not None:
                sandbox = SandboxRecord.from_json(value, directory)
                self._sandboxes[sandbox.id] = sandbox
        for directory in (self.root / "containers").iterdir():
            value = read_json(directory / "record.json")
            if value is None:
                continue
            container = ContainerRecord.from_json(value, directory)
            container.started = read_json(directory / shim.STARTED)
            container.exited = read_json(directory / shim.EXITED)
            if container.exited is None and container.started is not None:
                self._check_shim(container)
            if container.state in (ContainerState.EXITED, ContainerState.CREATED):
                container.done.set()
            if container.state is ContainerState.EXITED:
                self._release_cgroup(container)
            self._containers[container.id] = container

    def _check_shim(self, container: ContainerRecord) -> None:
        """A container whose shim is gone without an exit record: UNKNOWN or EXITED."""
        started = container.started or {}
        if process_alive(int(started.get("shimPid", 0)), int(started.get("shimStartTicks", -1))):
            return
        container.exited = read_json(container.directory / shim.EXITED)
        if container.exited is not None:
            return
        if process_alive(int(started.get("pid", 0)), int(started.get("startTicks", -1))):
            container.unknown = True
            return
        container.exited = {
            "exitCode": UNKNOWN_EXIT_CODE,
            "reason": "Unknown",
            "message": "the container's shim ended without recording how the container ended",
            "startedAt": started.get("startedAt", 0),
            "finishedAt": time.time_ns(),
        }

    async def close(self) -> None:
        """Stop watching; running containers keep running (a later runtime finds them).
        Sandboxes where nothing runs let go of their UTS namespace (pinned again if a
        container is created in them), so that a stopped node leaves no mount behind."""
        idle = [
            sandbox
            for sandbox in self._sandboxes.values()
            if not any(
                c.sandbox_id == sandbox.id
                and c.state in (ContainerState.RUNNING, ContainerState.UNKNOWN)
                for c in self._containers.values()
            )
        ]
        for sandbox in idle:
            await asyncio.to_thread(_unpin, sandbox)
        loop = asyncio.get_running_loop()
        for container in self._containers.values():
            if container.pidfd >= 0:
                loop.remove_reader(container.pidfd)
                os.close(container.pidfd)
                container.pidfd = -1
        await self._zygote.close()
        if self.cgroups is not None:
            await asyncio.to_thread(self.cgroups.release)
        self._started = False

    def processes(self) -> list[tuple[int, int]]:
        """``(pid, start ticks)`` of every process this runtime knows it started: the zygote,
        the shims and the containers' processes (for a caller that must see them all gone)."""
        found: list[tuple[int, int]] = []
        if self._zygote.pid:
            found.append((self._zygote.pid, shim.process_start_ticks(self._zygote.pid)))
        for container in self._containers.values():
            started = container.started or {}
            for pid, ticks in (("pid", "startTicks"), ("shimPid", "shimStartTicks")):
                if started.get(pid):
                    found.append((int(started[pid]), int(started.get(ticks, 0))))
        return found

    def subscribe(self, listener: Callable[[ContainerEvent], None]) -> None:
        self._listeners.append(listener)

    def _notify(self, container: ContainerRecord, kind: str) -> None:
        event = ContainerEvent(container.id, container.sandbox_id, container.pod_uid, kind)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("container event listener failed")

    # -- sandboxes ---------------------------------------------------------------------------

    async def run_pod_sandbox(self, config: PodSandboxConfig) -> str:
        sandbox_id = secrets.token_hex(32)
        directory = self.root / "sandboxes" / sandbox_id
        hostname = config.hostname or config.metadata.name
        if config.host_network:
            hostname = socket.gethostname()
        # Where the runtime may make namespaces, a pod not on the host network gets a UTS
        # namespace of its own, pinned on a file so that every container can join it.
        uts = self.volume_mode == "bind" and not config.host_network
        sandbox = SandboxRecord(
            id=sandbox_id,
            metadata=config.metadata,
            hostname=hostname,
            log_directory=config.log_directory,
            created_at=time.time(),
            state=SandboxState.READY,
            labels=dict(config.labels),
            annotations=dict(config.annotations),
            directory=directory,
            dns_config=config.dns_config,
            host_network=config.host_network,
            uts_namespace=str(directory / "uts") if uts else "",
        )

        def create() -> None:
            sandbox.work_dir.mkdir(parents=True)
            if sandbox.log_directory:
                Path(sandbox.log_directory).mkdir(parents=True, exist_ok=True)
            if sandbox.dns_config is not None:
                sandbox.resolv_conf.write_text(resolv_conf(sandbox.dns_config))

        await asyncio.to_thread(create)
        try:
            if sandbox.uts_namespace:
                await self._pin_uts(sandbox.uts_namespace, hostname)
        except RuntimeServiceError:
            await asyncio.to_thread(shutil.rmtree, directory, True)
            raise
        await asyncio.to_thread(shim.write_json, directory / "sandbox.json", sandbox.to_json())
        self._sandboxes[sandbox_id] = sandbox
        return sandbox_id

    async def _ensure_uts(self, sandbox: SandboxRecord) -> None:
        """Pin the sandbox's UTS namespace again if it was let go (a stopped node)."""
        path = sandbox.uts_namespace
        if path and not await asyncio.to_thread(os.path.ismount, path):
            await self._pin_uts(path, sandbox.hostname)

    async def _pin_uts(self, path: str, hostname: str) -> None:
        """Ask the zygote for a UTS namespace named ``hostname``, pinned at ``path``."""
        report_r, report_w = os.pipe()
        try:
            self._zygote.request({"uts": path, "hostname": hostname}, report_w)
        except OSError as err:
            os.close(report_r)
            raise RuntimeServiceError(f"cannot set the pod's hostname: {err}") from err
        finally:
            os.close(report_w)
        report = await read_to_eof(report_r)
        result: Json = json.loads(report) if report else {"error": "no answer from the zygote"}
        if "error" in result:
            raise RuntimeServiceError(f"cannot set the pod's hostname: {result['error']}")

    def _sandbox(self, sandbox_id: str) -> SandboxRecord:
        try:
            return self._sandboxes[sandbox_id]
        except KeyError:
            raise NotFoundError(f"pod sandbox {sandbox_id!r} not found") from None

    async def stop_pod_sandbox(self, sandbox_id: str) -> None:
        sandbox = self._sandboxes.get(sandbox_id)
        if sandbox is None:
            return
        members = [c for c in self._containers.values() if c.sandbox_id == sandbox_id]
        await asyncio.gather(*(self.stop_container(c.id, 0) for c in members))
        await asyncio.to_thread(_unpin, sandbox)
        if sandbox.state is not SandboxState.NOTREADY:
            sandbox.state = SandboxState.NOTREADY
            await asyncio.to_thread(
                shim.write_json, sandbox.directory / "sandbox.json", sandbox.to_json()
            )

    async def remove_pod_sandbox(self, sandbox_id: str) -> None:
        if sandbox_id not in self._sandboxes:
            return
        await self.stop_pod_sandbox(sandbox_id)
        for container in [c for c in self._containers.values() if c.sandbox_id == sandbox_id]:
            await self.remove_container(container.id)
        sandbox = self._sandboxes.pop(sandbox_id)

        def remove() -> None:
            _unpin(sandbox)
            shutil.rmtree(sandbox.directory, True)

        await asyncio.to_thread(remove)

    async def pod_sandbox_status(self, sandbox_id: str) -> PodSandboxStatus:
        return self._sandbox_status(self._sandbox(sandbox_id))

    def _sandbox_status(self, sandbox: SandboxRecord) -> PodSandboxStatus:
        return PodSandboxStatus(
            id=sandbox.id,
            metadata=sandbox.metadata,
            state=sandbox.state,
            created_at=sandbox.created_at,
            ips=self.ips,
            work_dir=str(sandbox.work_dir),
            log_directory=sandbox.log_directory,
            labels=dict(sandbox.labels),
            annotations=dict(sandbox.annotations),
        )

    async def list_pod_sandboxes(self, *, pod_uid: str = "") -> list[PodSandboxStatus]:
        return [
            self._sandbox_status(s)
            for s in self._sandboxes.values()
            if not pod_uid or s.metadata.uid == pod_uid
        ]

    # -- containers --------------------------------------------------------------------------

    async def create_container(
        self, sandbox_id: str, config: ContainerConfig, sandbox_config: PodSandboxConfig
    ) -> str:
        sandbox = self._sandbox(sandbox_id)
        if sandbox.state is not SandboxState.READY:
            raise RuntimeServiceError(f"pod sandbox {sandbox_id!r} is not ready")
        argv = [*config.command, *config.args]
        if not argv:
            raise RuntimeServiceError(no_command_message(config.name, config.image))
        await self._ensure_uts(sandbox)
        container_id = secrets.token_hex(32)
        directory = self.root / "containers" / container_id
        log_directory = sandbox.log_directory or str(sandbox.directory / "logs")
        log_path = os.path.join(log_directory, config.log_path or f"{config.name}.log")
        work_dir = sandbox.work_dir
        cwd = str(work_dir / config.working_dir) if config.working_dir else str(work_dir)
        env = {"PATH": DEFAULT_PATH, "HOSTNAME": sandbox.hostname, "HOME": str(work_dir)}
        volumes = list(config.mounts)
        if sandbox.dns_config is not None:
            if self.volume_mode == "bind":
                if not any(m.container_path.rstrip("/") == ETC_RESOLV_CONF for m in volumes):
                    volumes.append(Mount(ETC_RESOLV_CONF, str(sandbox.resolv_conf)))
            else:
                env.update(resolver_environment(sandbox.dns_config))
        env.update(config.envs)
        rootfs = directory / "rootfs"
        if volumes and self.volume_mode == "link":
            env[ROOT_VARIABLE] = str(rootfs)
        container = ContainerRecord(
            id=container_id,
            sandbox_id=sandbox_id,
            pod_uid=sandbox.metadata.uid,
            name=config.name,
            attempt=config.attempt,
            image=config.image,
            created_at=time.time(),
            log_path=log_path,
            labels=dict(config.labels),
            annotations=dict(config.annotations),
            directory=directory,
        )
        shim_config: Json = {
            "argv": argv,
            "env": env,
            "cwd": cwd,
            "logPath": log_path,
            "logMaxBytes": self.log_max_bytes,
            "logMaxFiles": self.log_max_files,
            "tty": config.tty,
            "stdin": config.stdin,
            "stdinOnce": config.stdin_once,
        }
        if volumes and self.volume_mode == "bind":
            shim_config["mounts"] = [
                {"source": m.host_path, "target": m.container_path, "readonly": m.readonly}
                for m in volumes
            ]
        if sandbox.uts_namespace:
            shim_config["utsNamespace"] = sandbox.uts_namespace
        if config.user is not None:
            shim_config["user"] = {
                "uid": config.user.uid,
                "gid": config.user.gid,
                "groups": list(config.user.supplemental_groups),
            }

        def create() -> None:
            directory.mkdir(parents=True)
            Path(log_path).parent.mkdir(parents=True, exist_ok=True)
            if volumes and self.volume_mode == "link":
                try:
                    link_mounts(rootfs, volumes)
                except OSError as err:
                    shutil.rmtree(directory, ignore_errors=True)
                    raise RuntimeServiceError(
                        f"cannot link the container's volumes: {err}"
                    ) from err
            if self.cgroups is not None:
                try:
                    cgroup = self.cgroups.create(container_id, config.resources)
                except OSError as err:
                    self.cgroups.remove(container_id)
                    shutil.rmtree(directory, ignore_errors=True)
                    raise RuntimeServiceError(
                        f"cannot set up the container's cgroups: {err}"
                    ) from err
                shim_config["cgroupProcs"] = list(cgroup.procs)
                shim_config["oomEvents"] = cgroup.oom_events
            shim.write_json(directory / shim.CONFIG, shim_config)
            shim.write_json(directory / "record.json", container.to_json())

        await asyncio.to_thread(create)
        container.done.set()  # not running: nothing to wait for until it starts
        self._containers[container_id] = container
        return container_id

    def _container(self, container_id: str) -> ContainerRecord:
        try:
            return self._containers[container_id]
        except KeyError:
            raise NotFoundError(f"container {container_id!r} not found") from None

    async def start_container(self, container_id: str) -> None:
        container = self._container(container_id)
        if container.state is not ContainerState.CREATED or container.starting:
            raise RuntimeServiceError(
                f"container {container_id!r} is not in created state: {container.state}"
            )
        container.starting = True
        report_r, report_w = os.pipe()
        try:
            self._zygote.spawn(container.directory, report_w)
        except OSError as err:
            os.close(report_r)
            container.starting = False
            raise RuntimeServiceError(f"cannot start the container's shim: {err}") from err
        finally:
            os.close(report_w)
        try:
            report = await read_to_eof(report_r)
        finally:
            container.starting = False
        result: Json = json.loads(report) if report else {}
        if "pid" in result:
            container.done.clear()
            container.started = result
            self._watch(container)
            self._notify(container, "started")
            return
        container.started = await asyncio.to_thread(read_json, container.directory / shim.STARTED)
        container.exited = await asyncio.to_thread(read_json, container.directory / shim.EXITED)
        if container.exited is None:
            container.exited = {
                "exitCode": shim.START_ERROR_EXIT_CODE,
                "reason": "StartError",
                "message": "the container's shim failed before starting it",
                "startedAt": 0,
                "finishedAt": time.time_ns(),
            }
        await asyncio.to_thread(self._release_cgroup, container)
        self._notify(container, "exited")
        raise RuntimeServiceError(
            str(result.get("error") or container.exited.get("message") or "start failed")
        )

    def _watch(self, container: ContainerRecord) -> None:
        """Get called when the container's shim ends."""
        started = container.started or {}
        try:
            pidfd = os.pidfd_open(int(started["shimPid"]))
        except (OSError, KeyError, ValueError):
            self._shim_ended(container)
            return
        if not process_alive(int(started["shimPid"]), int(started.get("shimStartTicks", -1))):
            os.close(pidfd)
            self._shim_ended(container)
            return
        container.pidfd = pidfd
        container.done.clear()
        asyncio.get_running_loop().add_reader(pidfd, self._shim_ended, container)

    def _shim_ended(self, container: ContainerRecord) -> None:
        if container.pidfd >= 0:
            asyncio.get_running_loop().remove_reader(container.pidfd)
            os.close(container.pidfd)
            container.pidfd = -1
        shim_pid = int((container.started or {}).get("shimPid", 0))
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(shim_pid, os.WNOHANG)  # only if it is our child (it is the zygote's)
        self._check_shim(container)
        if container.state is ContainerState.RUNNING:
            # pidfd readable yet the shim alive: cannot happen; treat the shim as gone.
            container.unknown = True
        if container.state is ContainerState.EXITED:
            self._release_cgroup(container)
        container.done.set()
        self._notify(container, "exited")

    def _release_cgroup(self, container: ContainerRecord) -> None:
        """An ended container's cgroups go at once (its shim already read the OOM count)."""
        if self.cgroups is not None:
            self.cgroups.remove(container.id)

    async def stop_container(self, container_id: str, grace_period: float) -> None:
        container = self._container(container_id)
        if container.state is ContainerState.UNKNOWN:
            self._kill_unsupervised(container)
            return
        if container.state is not ContainerState.RUNNING:
            return
        if grace_period > 0:
            self._signal(container, signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(container.done.wait(), grace_period)
        if not container.done.is_set():
            self._signal(container, signal.SIGKILL)
            if self.cgroups is not None:
                await asyncio.to_thread(self.cgroups.kill, container.id)
            try:
                await asyncio.wait_for(container.done.wait(), KILL_WAIT_SECONDS)
            except TimeoutError:
                raise RuntimeServiceError(
                    f"container {container_id!r} did not end after SIGKILL"
                ) from None

    def _signal(self, container: ContainerRecord, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(container.pgid, sig)

    def _kill_unsupervised(self, container: ContainerRecord) -> None:
        """A container whose shim is gone: kill its group (if it is still the same process)
        and record it as ended."""
        started = container.started or {}
        if process_alive(int(started.get("pid", 0)), int(started.get("startTicks", -1))):
            self._signal(container, signal.SIGKILL)
        container.unknown = False
        container.exited = {
            "exitCode": 128 + signal.SIGKILL,
            "reason": "Error",
            "message": "killed after its shim was lost",
            "startedAt": started.get("startedAt", 0),
            "finishedAt": time.time_ns(),
        }
        shim.write_json(container.directory / shim.EXITED, container.exited)
        self._release_cgroup(container)
        container.done.set()
        self._notify(container, "exited")

    async def remove_container(self, container_id: str) -> None:
        container = self._containers.get(container_id)
        if container is None:
            return
        if container.state in (ContainerState.RUNNING, ContainerState.UNKNOWN):
            raise RuntimeServiceError(f"container {container_id!r} is running: stop it first")

        def remove() -> None:
            if self.cgroups is not None:
                self.cgroups.remove(container_id)
            shutil.rmtree(container.directory, ignore_errors=True)

        await asyncio.to_thread(remove)
        self._containers.pop(container_id, None)

    async def container_status(self, container_id: str) -> ContainerStatus:
        return self._status(self._container(container_id))

    def known_container_status(self, container_id: str) -> ContainerStatus | None:
        container = self._containers.get(container_id)
        return None if container is None else self._status(container)

    def _status(self, container: ContainerRecord) -> ContainerStatus:
        started, exited = container.started or {}, container.exited or {}
        started_at = started.get("startedAt") or exited.get("startedAt") or 0
        return ContainerStatus(
            id=container.id,
            sandbox_id=container.sandbox_id,
            name=container.name,
            attempt=container.attempt,
            state=container.state,
            created_at=container.created_at,
            started_at=int(started_at) / 1e9,
            finished_at=int(exited.get("finishedAt") or 0) / 1e9,
            exit_code=int(exited.get("exitCode") or 0),
            reason=str(exited.get("reason") or ""),
            message=str(exited.get("message") or ""),
            image=container.image,
            log_path=container.log_path,
            labels=dict(container.labels),
            annotations=dict(container.annotations),
        )

    async def list_containers(
        self, *, sandbox_id: str = "", pod_uid: str = ""
    ) -> list[ContainerStatus]:
        return [
            self._status(c)
            for c in self._containers.values()
            if (not sandbox_id or c.sandbox_id == sandbox_id)
            and (not pod_uid or c.pod_uid == pod_uid)
        ]

    async def list_container_stats(self) -> list[ContainerStats]:
        """Each running container's use: its cgroups' figures where it has cgroups, else the
        sum over its process group (:mod:`procstats`)."""
        running = [c for c in self._containers.values() if c.state is ContainerState.RUNNING]
        if not running:
            return []
        usage = await asyncio.to_thread(self._usage, running)
        now = time.time()
        return [
            ContainerStats(
                container_id=container.id,
                sandbox_id=container.sandbox_id,
                name=container.name,
                timestamp=now,
                cpu_usage_core_nanoseconds=found.cpu_nanoseconds,
                memory_working_set_bytes=found.working_set_bytes,
                memory_usage_bytes=found.usage_bytes,
                memory_rss_bytes=found.rss_bytes,
            )
            for container in running
            if (found := usage.get(container.id)) is not None  # else: ended since
        ]

    def _usage(self, running: list[ContainerRecord]) -> dict[str, procstats.GroupUsage]:
        found: dict[str, procstats.GroupUsage] = {}
        if self.cgroups is not None:
            for container in running:
                usage = self.cgroups.usage(container.id)
                if usage is not None:
                    found[container.id] = usage
        rest = [c for c in running if c.id not in found]
        if rest:
            groups = procstats.group_usage({c.pgid for c in rest})
            for container in rest:
                if container.pgid in groups:
                    found[container.id] = groups[container.pgid]
        return found

    # -- running commands in containers ------------------------------------------------------

    def exec_command(self, container_id: str, cmd: Sequence[str]) -> list[str]:
        container = self._container(container_id)
        if container.state is not ContainerState.RUNNING:
            raise RuntimeServiceError(f"container {container_id!r} is not running")
        if not cmd:
            raise RuntimeServiceError("no command to run in the container")
        script = str(SHIM_SCRIPT)
        return [sys.executable, "-I", "-S", script, "exec", str(container.directory), "--", *cmd]

    def attach_address(self, container_id: str) -> str:
        container = self._container(container_id)
        if container.state is not ContainerState.RUNNING:
            raise RuntimeServiceError(f"container {container_id!r} is not running")
        return attach.socket_name(container_id)

    async def exec_sync(
        self, container_id: str, cmd: Sequence[str], *, timeout_seconds: float = 0
    ) -> ExecResult:
        argv = self.exec_command(container_id, cmd)
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        try:
            stdout, stderr = await asyncio.wait_for(process.communicate(), timeout_seconds or None)
        except TimeoutError:
            await _kill_group(process)
            # As the kubelet words a CRI ExecSync that ran out of time.
            raise ExecTimeoutError(f"command {go_quote(' '.join(cmd))} timed out") from None
        except asyncio.CancelledError:
            await _kill_group(process)
            raise
        return ExecResult(process.returncode or 0, stdout, stderr)


def _unpin(sandbox: SandboxRecord) -> None:
    """Let go of the sandbox's UTS namespace (processes in it keep it)."""
    if sandbox.uts_namespace:
        with contextlib.suppress(OSError):
            mounts.unmount(sandbox.uts_namespace)


async def _kill_group(process: asyncio.subprocess.Process) -> None:
    """Kill an exec'd command and whatever it started (it has a session of its own)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    await process.wait()
