"""The kubelet's side of the container runtime: reading a pod's state, starting and killing.

Kubernetes' ``kubeGenericRuntimeManager``: it turns a pod into runtime calls and records what
users see of them.

- :meth:`PodRuntimeManager.pod_status` reads a pod's sandboxes and containers (with the
  termination message taken from the log for ``FallbackToLogsOnError``);
- :meth:`PodRuntimeManager.sync_pod` sets up (or refreshes) the pod's volumes — until they
  are, nothing starts — then carries out what
  :func:`~kubeling.kubelet.actions.compute_pod_actions` decides: kill what must die, make a
  sandbox (with the pod's hostname and resolver from :mod:`.pod_network`; a failure is a
  ``FailedCreatePodSandBox`` Warning), start init containers in order and the regular ones;
- starting a container (``startContainer``): the crash-loop back-off first (an exited container
  restarts only once its back-off since it finished has passed: ``BackOff`` Event and the
  ``CrashLoopBackOff`` reason otherwise), then the image (``Pulled``: nothing to pull here), the
  configuration (environment, ``$(VAR)`` in command and args, volume mounts and
  ``/etc/hosts``, resources, user;
  failure: ``CreateContainerConfigError``), create (``CreateContainerError``), ``Created``, start
  (``RunContainerError``), ``Started``, the postStart hook; old dead containers of the same
  name are removed, keeping the one before for ``lastState``;
- killing (``killContainer``): ``Killing`` Event, the preStop hook, then SIGTERM and SIGKILL
  after the grace period (at least 2 s); a pod is killed regular containers first, then its
  sidecars in reverse order, then its sandbox.

Every failure that concerns a container is recorded in the pod worker's *reasons* (container
name → reason, message), which the status shows as the container's Waiting state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pwd
import shutil
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

from kubeling.api.quantity import QuantityParseError, parse_quantity
from kubeling.client import NORMAL, WARNING, EventRecorder
from kubeling.kubelet import events
from kubeling.kubelet.actions import PodActions, compute_pod_actions
from kubeling.kubelet.backoff import Backoff, format_seconds
from kubeling.kubelet.envvars import ContainerConfigError
from kubeling.kubelet.etc_hosts import pod_hostname_and_domain
from kubeling.kubelet.expansion import expand_all
from kubeling.kubelet.hooks import LifecycleHooks
from kubeling.kubelet.pod_network import PodNetwork
from kubeling.kubelet.podutil import (
    Obj,
    container_field_path,
    container_hash,
    find_container,
    format_pod,
    grace_period_seconds,
    is_restartable_init_container,
    spec_of,
    stable_key,
)
from kubeling.kubelet.probes import ProbeResults
from kubeling.kubelet.runtime.crilog import parse_record, rotated_files
from kubeling.kubelet.runtime.interface import (
    ContainerConfig,
    ContainerState,
    ContainerStatus,
    LinuxResources,
    Mount,
    PodSandboxConfig,
    PodSandboxMetadata,
    RuntimeService,
    RuntimeServiceError,
    SandboxState,
    UserConfig,
)
from kubeling.kubelet.runtimestatus import HASH_ANNOTATION, PodRuntimeStatus
from kubeling.kubelet.volumes import VolumeManager

__all__ = ["PodRuntimeManager", "SyncOutcome"]

log = logging.getLogger(__name__)

#: The shortest grace period a container gets (kubelet's minimumGracePeriodInSeconds).
MINIMUM_GRACE_PERIOD: Final = 2
#: How soon a container whose configuration or creation failed is tried again.
RETRY_SECONDS: Final = 10.0
#: FallbackToLogsOnError: the end of the log, at most this many lines and bytes.
MESSAGE_LOG_LINES: Final = 80
MESSAGE_LOG_BYTES: Final = 2048
QUOTA_PERIOD: Final = 100_000

Environment = Callable[[Mapping[str, Any], Mapping[str, Any]], Awaitable[dict[str, str]]]


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    """What a sync did: whether the runtime changed, and when to look again at the latest."""

    changed: bool
    retry_after: float | None = None


def milli_cpu_to_shares(milli: int) -> int:
    """cgroup cpu shares for a CPU request (``MilliCPUToShares``).

    >>> milli_cpu_to_shares(0), milli_cpu_to_shares(1), milli_cpu_to_shares(250)
    (2, 2, 256)
    """
    if milli == 0:
        return 2
    return max(2, min((milli * 1024) // 1000, 262144))


def milli_cpu_to_quota(milli: int) -> int:
    """The CFS quota for a CPU limit over a 100 ms period (``MilliCPUToQuota``).

    >>> milli_cpu_to_quota(0), milli_cpu_to_quota(5), milli_cpu_to_quota(500)
    (0, 1000, 50000)
    """
    if milli == 0:
        return 0
    return max(1000, (milli * QUOTA_PERIOD) // 1000)


def _quantity(value: object, *, milli: bool) -> int:
    if value is None:
        return 0
    try:
        quantity = parse_quantity(str(value))
    except QuantityParseError:
        return 0
    return quantity.milli_value() if milli else quantity.value()


def linux_resources(container: Mapping[str, Any]) -> LinuxResources:
    """The cgroup settings of a container's requests and limits."""
    resources = container.get("resources") or {}
    requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
    cpu_request = _quantity(requests.get("cpu"), milli=True)
    cpu_limit = _quantity(limits.get("cpu"), milli=True)
    shares = milli_cpu_to_shares(cpu_request or cpu_limit)
    quota = milli_cpu_to_quota(cpu_limit)
    return LinuxResources(
        cpu_period=QUOTA_PERIOD if quota else 0,
        cpu_quota=quota,
        cpu_shares=shares,
        memory_limit_in_bytes=_quantity(limits.get("memory"), milli=False),
    )


def container_user(pod: Mapping[str, Any], container: Mapping[str, Any]) -> UserConfig | None:
    """The user a container runs as: its securityContext, else the pod's; None: the kubelet's."""
    pod_context = spec_of(pod).get("securityContext") or {}
    context = container.get("securityContext") or {}
    uid = context.get("runAsUser", pod_context.get("runAsUser"))
    if uid is None:
        return None
    gid = context.get("runAsGroup", pod_context.get("runAsGroup"))
    if gid is None:
        try:
            gid = pwd.getpwuid(int(uid)).pw_gid
        except KeyError:
            gid = 0
    groups = tuple(int(g) for g in pod_context.get("supplementalGroups") or ())
    return UserConfig(int(uid), int(gid), groups)


def _read_message_tail(path: str) -> str:
    """The last lines of a CRI log as one text (FallbackToLogsOnError)."""
    files = [*rotated_files(Path(path))[-1:], Path(path)]
    lines: list[bytes] = []
    for file in files:
        try:
            content = file.read_bytes()
        except OSError:
            continue
        for raw in content.splitlines():
            try:
                record = parse_record(raw)
            except ValueError:
                continue
            if lines and lines[-1].endswith(b"\0"):
                lines[-1] = lines[-1][:-1] + record.content
            else:
                lines.append(record.content)
            if record.partial:
                lines[-1] += b"\0"  # to be continued by the next record
    text = b"".join(line.rstrip(b"\0") + b"\n" for line in lines[-MESSAGE_LOG_LINES:])
    return text[-MESSAGE_LOG_BYTES:].decode(errors="replace")


class PodRuntimeManager:
    """Drives one node's pods through a :class:`RuntimeService` (see the module docstring)."""

    def __init__(
        self,
        runtime: RuntimeService,
        *,
        recorder: EventRecorder,
        environment: Environment,
        probes: ProbeResults,
        hooks: LifecycleHooks,
        pod_logs_dir: Path,
        backoff: Backoff | None = None,
        volumes: VolumeManager | None = None,
        network: PodNetwork | None = None,
        pod_ips: Sequence[str] = (),
        node_name: str = "",
    ) -> None:
        self.runtime = runtime
        self.volumes = volumes
        #: Hostname, resolver and /etc/hosts (None: the runtime's defaults, no hosts file).
        self.network = network
        self.pod_ips = tuple(pod_ips)
        #: What Events about the node name (Kubernetes' kubelet: the node's name as its uid).
        self.node_ref: Obj = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": node_name, "uid": node_name},
        }
        self.recorder = recorder
        self.environment = environment
        self.probes = probes
        self.hooks = hooks
        self.pod_logs_dir = pod_logs_dir
        self.backoff = backoff or Backoff()

    # -- reading -------------------------------------------------------------------------------

    async def pod_status(self, pod: Mapping[str, Any]) -> PodRuntimeStatus:
        uid = pod["metadata"]["uid"]
        sandboxes = await self.runtime.list_pod_sandboxes(pod_uid=uid)
        containers = await self.runtime.list_containers(pod_uid=uid)
        completed = []
        for status in containers:
            found = find_container(pod, status.name)
            if (
                found is not None
                and status.state is ContainerState.EXITED
                and status.exit_code != 0
                and not status.message
                and found[0].get("terminationMessagePolicy") == "FallbackToLogsOnError"
                and status.log_path
            ):
                message = await asyncio.to_thread(_read_message_tail, status.log_path)
                status = _with_message(status, message)
            completed.append(status)
        return PodRuntimeStatus.of(uid, sandboxes, completed)

    def sandbox_config(self, pod: Mapping[str, Any], attempt: int) -> PodSandboxConfig:
        """The sandbox's configuration, without its resolver (:meth:`_new_sandbox_config`)."""
        meta = pod["metadata"]
        name, namespace, uid = meta["name"], meta["namespace"], meta["uid"]
        try:
            hostname, _ = pod_hostname_and_domain(pod, "")
        except ValueError:
            hostname = name
        return PodSandboxConfig(
            metadata=PodSandboxMetadata(name, namespace, uid, attempt),
            hostname="" if spec_of(pod).get("hostNetwork") else hostname,
            host_network=bool(spec_of(pod).get("hostNetwork")),
            log_directory=str(self.pod_logs_dir / f"{namespace}_{name}_{uid}"),
            labels={
                "io.kubernetes.pod.name": name,
                "io.kubernetes.pod.namespace": namespace,
                "io.kubernetes.pod.uid": uid,
            },
            # As CRI: the pod's annotations go with its sandbox (the simulated runtime reads
            # its per-pod settings there).
            annotations=dict(meta.get("annotations") or {}),
        )

    # -- syncing -------------------------------------------------------------------------------

    async def sync_pod(
        self,
        pod: Mapping[str, Any],
        status: PodRuntimeStatus,
        reasons: MutableMapping[str, tuple[str, str]],
    ) -> SyncOutcome:
        """Carry out the pod's next actions; ``reasons`` gets each container's start failure."""
        refresh: float | None = None
        if self.volumes is not None:
            mounted = await self.volumes.mount_pod(pod)
            if not mounted.ready:
                return SyncOutcome(False, mounted.retry_after)
            refresh = mounted.retry_after
        outcome = await self._carry_out(pod, status, reasons)
        if refresh is not None and (outcome.retry_after is None or refresh < outcome.retry_after):
            return replace(outcome, retry_after=refresh)
        return outcome

    async def _carry_out(
        self,
        pod: Mapping[str, Any],
        status: PodRuntimeStatus,
        reasons: MutableMapping[str, tuple[str, str]],
    ) -> SyncOutcome:
        actions = compute_pod_actions(pod, status, self.probes, runtime_name=self.runtime.name)
        if actions.empty:
            return SyncOutcome(False)
        changed = False
        if actions.create_sandbox and actions.sandbox_id:
            self.recorder.event(
                pod,
                NORMAL,
                events.SANDBOX_CHANGED,
                "Pod sandbox changed, it will be killed and re-created.",
            )
        if actions.kill_pod:
            changed = await self.kill_pod(pod, status)
            if actions.create_sandbox:
                await self._purge_init_containers(pod, status)
        else:
            for kill in actions.containers_to_kill.values():
                await self.kill_container(
                    pod, kill.container_id, kill.name, kill.message, kill.reason
                )
                changed = True
        await self._prune_init_containers(pod, status)
        return await self._start_all(pod, status, actions, reasons, changed)

    async def _start_all(
        self,
        pod: Mapping[str, Any],
        status: PodRuntimeStatus,
        actions: PodActions,
        reasons: MutableMapping[str, tuple[str, str]],
        changed: bool,
    ) -> SyncOutcome:
        spec = spec_of(pod)
        sandbox_id = actions.sandbox_id
        sandbox = self.sandbox_config(pod, actions.attempt)
        if actions.create_sandbox:
            try:
                sandbox = await self._new_sandbox_config(pod, sandbox)
                sandbox_id = await self.runtime.run_pod_sandbox(sandbox)
            except (RuntimeServiceError, ValueError, OSError) as err:
                self.recorder.event(
                    pod,
                    WARNING,
                    events.FAILED_CREATE_SANDBOX,
                    f"Failed to create pod sandbox: {err}",
                )
                return SyncOutcome(changed, RETRY_SECONDS)
            changed = True
        retry: float | None = None

        def later(seconds: float | None) -> None:
            nonlocal retry
            if seconds is not None:
                retry = seconds if retry is None else min(retry, seconds)

        inits = spec.get("initContainers") or []
        for index in actions.init_containers_to_start:
            container = inits[index]
            started, wait = await self._start(pod, status, container, sandbox_id, sandbox, reasons)
            changed |= started
            later(wait)
            if not started and not is_restartable_init_container(container):
                return SyncOutcome(changed, retry)
        containers = spec.get("containers") or []
        for index in actions.containers_to_start:
            started, wait = await self._start(
                pod, status, containers[index], sandbox_id, sandbox, reasons
            )
            changed |= started
            later(wait)
        return SyncOutcome(changed, retry)

    async def _new_sandbox_config(
        self, pod: Mapping[str, Any], sandbox: PodSandboxConfig
    ) -> PodSandboxConfig:
        """The sandbox's hostname and resolver, with the Warnings forming them gave."""
        if self.network is None:
            return sandbox
        network = await asyncio.to_thread(self.network.sandbox, pod)
        for event in network.events:
            subject = self.node_ref if event.on_node else pod
            self.recorder.event(subject, WARNING, event.reason, event.message)
        return replace(
            sandbox,
            hostname=network.hostname,
            dns_config=network.dns_config,
            host_network=network.host_network,
        )

    async def _start(
        self,
        pod: Mapping[str, Any],
        status: PodRuntimeStatus,
        container: Mapping[str, Any],
        sandbox_id: str,
        sandbox: PodSandboxConfig,
        reasons: MutableMapping[str, tuple[str, str]],
    ) -> tuple[bool, float | None]:
        """Start one container; (whether the runtime changed, seconds until a retry)."""
        name = container["name"]
        path = container_field_path(pod, name)
        latest = status.find(name)
        if latest is not None and latest.state is ContainerState.EXITED:
            key = stable_key(pod, container)
            if self.backoff.is_in_backoff_since(key, latest.finished_at):
                self.recorder.event(
                    pod,
                    WARNING,
                    events.BACK_OFF,
                    events.back_off_message(name, format_pod(pod)),
                    field_path=path,
                )
                delay = format_seconds(self.backoff.get(key))
                reasons[name] = (
                    "CrashLoopBackOff",
                    f"back-off {delay} restarting failed container={name} pod={format_pod(pod)}",
                )
                return False, self.backoff.remaining(key, latest.finished_at)
            self.backoff.next(key, latest.finished_at)

        image = str(container.get("image") or "")
        self.recorder.event(
            pod, NORMAL, events.PULLED, events.pulled_message(image), field_path=path
        )
        restart_count = latest.attempt + 1 if latest is not None else 0
        try:
            config = await self._container_config(pod, container, restart_count)
        except ContainerConfigError as err:
            self.recorder.event(pod, WARNING, events.FAILED, f"Error: {err}", field_path=path)
            reasons[name] = ("CreateContainerConfigError", str(err))
            return False, RETRY_SECONDS
        try:
            container_id = await self.runtime.create_container(sandbox_id, config, sandbox)
        except RuntimeServiceError as err:
            self.recorder.event(pod, WARNING, events.FAILED, f"Error: {err}", field_path=path)
            reasons[name] = ("CreateContainerError", str(err))
            return False, RETRY_SECONDS
        self.recorder.event(
            pod, NORMAL, events.CREATED, events.created_message(name), field_path=path
        )
        try:
            await self.runtime.start_container(container_id)
        except RuntimeServiceError as err:
            self.recorder.event(pod, WARNING, events.FAILED, f"Error: {err}", field_path=path)
            reasons[name] = ("RunContainerError", str(err))
            return True, None
        self.recorder.event(
            pod, NORMAL, events.STARTED, events.started_message(name), field_path=path
        )
        reasons.pop(name, None)
        await self._prune(status, name, keep=1)
        if (container.get("lifecycle") or {}).get("postStart"):
            await self._post_start(pod, container, container_id, reasons)
        return True, None

    async def _post_start(
        self,
        pod: Mapping[str, Any],
        container: Mapping[str, Any],
        container_id: str,
        reasons: MutableMapping[str, tuple[str, str]],
    ) -> None:
        name = container["name"]
        path = container_field_path(pod, name)
        runtime_id = f"{self.runtime.name}://{container_id}"
        failure = await self.hooks.post_start(pod, container, runtime_id)
        if failure:
            self.recorder.event(
                pod, WARNING, events.FAILED_POST_START_HOOK, failure, field_path=path
            )
            await self.kill_container(pod, container_id, name, "FailedPostStartHook", "")
            reasons[name] = ("PostStartHookError", failure)

    async def _container_config(
        self, pod: Mapping[str, Any], container: Mapping[str, Any], restart_count: int
    ) -> ContainerConfig:
        meta = pod["metadata"]
        env = await self.environment(pod, container)
        name = container["name"]
        volume_mounts: list[Mount] = []
        if self.volumes is not None:
            volume_mounts = await asyncio.to_thread(
                self.volumes.container_mounts, pod, container, env
            )
        if self.network is not None:
            try:
                hosts = await asyncio.to_thread(
                    self.network.hosts_mount, pod, self.pod_ips, volume_mounts
                )
            except (ValueError, OSError) as err:
                raise ContainerConfigError(f"failed to write the hosts file: {err}") from err
            if hosts is not None:
                volume_mounts = [*volume_mounts, hosts]
        return ContainerConfig(
            name=name,
            attempt=restart_count,
            image=str(container.get("image") or ""),
            command=expand_all(container.get("command") or [], env),
            args=expand_all(container.get("args") or [], env),
            working_dir=str(container.get("workingDir") or ""),
            envs=env,
            mounts=volume_mounts,
            log_path=f"{name}/{restart_count}.log",
            labels={
                "io.kubernetes.pod.name": meta["name"],
                "io.kubernetes.pod.namespace": meta["namespace"],
                "io.kubernetes.pod.uid": meta["uid"],
                "io.kubernetes.container.name": name,
            },
            annotations={
                HASH_ANNOTATION: container_hash(container),
                "io.kubernetes.container.restartCount": str(restart_count),
                "io.kubernetes.container.terminationMessagePolicy": str(
                    container.get("terminationMessagePolicy") or "File"
                ),
            },
            resources=linux_resources(container),
            user=container_user(pod, container),
            tty=bool(container.get("tty")),
            stdin=bool(container.get("stdin")),
            stdin_once=bool(container.get("stdinOnce")),
        )

    # -- killing -------------------------------------------------------------------------------

    async def kill_container(
        self,
        pod: Mapping[str, Any],
        container_id: str,
        name: str,
        message: str = "",
        reason: str = "",
        *,
        grace_override: float | None = None,
    ) -> None:
        """Stop one container with the pod's grace period, after its preStop hook."""
        found = find_container(pod, name)
        container: Obj = found[0] if found else {"name": name}
        grace: float = grace_period_seconds(pod)
        if reason in ("liveness", "startup"):
            probe = container.get(f"{reason}Probe") or {}
            if isinstance(probe.get("terminationGracePeriodSeconds"), int):
                grace = probe["terminationGracePeriodSeconds"]
        path = container_field_path(pod, name)
        self.recorder.event(
            pod, NORMAL, events.KILLING, message or events.stopping_message(name), field_path=path
        )
        if grace_override is not None:
            grace = grace_override
        if (container.get("lifecycle") or {}).get("preStop") and grace > 0:
            started = time.monotonic()
            await self._pre_stop(pod, container, container_id, grace)
            grace -= int(time.monotonic() - started)  # whole seconds, as the kubelet counts
        await self.runtime.stop_container(container_id, max(grace, MINIMUM_GRACE_PERIOD))

    async def _pre_stop(
        self, pod: Mapping[str, Any], container: Mapping[str, Any], container_id: str, grace: float
    ) -> None:
        path = container_field_path(pod, container["name"])
        runtime_id = f"{self.runtime.name}://{container_id}"
        try:
            failure = await asyncio.wait_for(
                self.hooks.pre_stop(pod, container, runtime_id, grace), grace
            )
        except TimeoutError:
            log.info(
                "preStop hook of %s in %s not completed in %ss: stopping the container",
                container["name"],
                format_pod(pod),
                grace,
            )
            return
        if failure:
            log.info(
                "preStop hook of %s in %s failed: %s", container["name"], format_pod(pod), failure
            )
            # As Kubernetes: the Event does not carry the message, which could hold Secrets.
            self.recorder.event(
                pod, WARNING, events.FAILED_PRE_STOP_HOOK, "PreStopHook failed", field_path=path
            )

    async def kill_pod(
        self,
        pod: Mapping[str, Any],
        status: PodRuntimeStatus,
        *,
        grace_override: float | None = None,
    ) -> bool:
        """Stop every container (regular ones together, then the sidecars one by one in
        reverse order) and the sandboxes; whether anything was running."""
        live = [
            c
            for c in status.containers
            if c.state in (ContainerState.RUNNING, ContainerState.UNKNOWN)
        ]
        sidecar_order = [
            c["name"]
            for c in spec_of(pod).get("initContainers") or []
            if is_restartable_init_container(c)
        ]
        regular = [c for c in live if c.name not in sidecar_order]
        sidecars = sorted(
            (c for c in live if c.name in sidecar_order),
            key=lambda c: sidecar_order.index(c.name),
            reverse=True,
        )
        results = await asyncio.gather(
            *(
                self.kill_container(pod, c.id, c.name, grace_override=grace_override)
                for c in regular
            ),
            return_exceptions=True,
        )
        for sidecar in sidecars:
            try:
                await self.kill_container(
                    pod, sidecar.id, sidecar.name, grace_override=grace_override
                )
            except RuntimeServiceError as err:
                results.append(err)
        ready = [s for s in status.sandboxes if s.state is SandboxState.READY]
        for sandbox in ready:
            await self.runtime.stop_pod_sandbox(sandbox.id)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return bool(live or ready)

    # -- removing ------------------------------------------------------------------------------

    async def _remove(self, status: ContainerStatus) -> None:
        with contextlib.suppress(RuntimeServiceError):
            await self.runtime.remove_container(status.id)
        if status.log_path:
            await asyncio.to_thread(_remove_log, status.log_path)

    async def _prune(self, status: PodRuntimeStatus, name: str, *, keep: int) -> None:
        """Remove the dead containers called ``name`` beyond the ``keep`` newest."""
        dead = [c for c in status.attempts(name) if c.state is ContainerState.EXITED]
        for old in dead[keep:]:
            await self._remove(old)

    async def _prune_init_containers(
        self, pod: Mapping[str, Any], status: PodRuntimeStatus
    ) -> None:
        for container in spec_of(pod).get("initContainers") or []:
            await self._prune(status, container["name"], keep=1)

    async def _purge_init_containers(
        self, pod: Mapping[str, Any], status: PodRuntimeStatus
    ) -> None:
        """A new sandbox starts initialization over: the old init containers go."""
        for container in spec_of(pod).get("initContainers") or []:
            await self._prune(status, container["name"], keep=0)

    async def remove_pod(self, uid: str) -> None:
        """Remove everything the node has of pod ``uid`` (it must be stopped): sandboxes,
        containers, logs, volumes."""
        for sandbox in await self.runtime.list_pod_sandboxes(pod_uid=uid):
            await self.runtime.remove_pod_sandbox(sandbox.id)
            if sandbox.log_directory:
                await asyncio.to_thread(_remove_tree, Path(sandbox.log_directory))
        for container in await self.runtime.list_containers(pod_uid=uid):
            await self._remove(container)
        if self.volumes is not None:
            await self.volumes.unmount_pod(uid)


def _with_message(status: ContainerStatus, message: str) -> ContainerStatus:
    return replace(status, message=message)


def _remove_log(path: str) -> None:
    log_path = Path(path)
    for file in [log_path, *rotated_files(log_path)]:
        file.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        log_path.parent.rmdir()  # the container's directory, once its last log is gone


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
