"""The kubelet's volume manager: each pod's volumes set up on the node, and the mounts of each
container (Kubernetes' ``volumemanager`` with the in-tree plugins this node can run).

:meth:`VolumeManager.mount_pod` runs before the pod's containers start (and again at later
syncs, to refresh contents). Every volume of the pod becomes a directory on the node:

======================  ==================================================================
``emptyDir``            ``<pods>/<uid>/volumes/kubernetes.io~empty-dir/<name>`` (0777);
                        ``medium: Memory``: a tmpfs there (``sizeLimit`` its size) where the
                        kubelet may mount, else a plain directory
``configMap``,          ``.../kubernetes.io~configmap|secret|downward-api|projected/<name>``,
``secret``,             written atomically (:mod:`.atomic_writer`) and refreshed when the pod
``downwardAPI``,        is synced at least a minute after the last refresh, or when its
``projected``           labels or annotations changed; service account tokens are requested
                        again when 80 % of their lifetime has passed (or after 24 h)
``hostPath``            the path itself, after its ``type`` check (:mod:`.hostpath`)
``persistentVolume      the PersistentVolume's ``hostPath`` (created if missing, as the
Claim``                 local-path provisioner expects) or ``local`` path
======================  ==================================================================

A volume that cannot be set up (a missing ConfigMap or Secret, an unbound claim, a type this
kubelet does not run) gets a ``FailedMount`` Warning (``MountVolume.SetUp failed for volume
"config" : configmap "config" not found``) and keeps the pod's containers from starting
(they wait in ``ContainerCreating``); it is tried again after 0.5 s, doubling to 2 min 2 s.

:meth:`VolumeManager.container_mounts` gives a container's ``volumeMounts`` as runtime mounts:
the volume's directory or its ``subPath`` / ``subPathExpr`` (created if missing, never outside
the volume), read-only if the mount or the claim says so, and always for configMap, secret,
downwardAPI and projected volumes (as the kubelet mounts them).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
import os
import shutil
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Final

from kubeling.api.quantity import QuantityParseError, parse_quantity
from kubeling.client import WARNING, EventRecorder
from kubeling.kubelet import events
from kubeling.kubelet.envvars import ContainerConfigError, PodIPs
from kubeling.kubelet.expansion import expand
from kubeling.kubelet.runtime import mounts
from kubeling.kubelet.runtime.interface import Mount
from kubeling.kubelet.volumes.atomic_writer import write_payload
from kubeling.kubelet.volumes.errors import VolumeError
from kubeling.kubelet.volumes.hostpath import check_host_path
from kubeling.kubelet.volumes.projections import (
    DEFAULT_MODE,
    Getter,
    configmap_payload,
    downward_api_payload,
    projected_payload,
    secret_payload,
)

__all__ = ["MountStatus", "VolumeHost", "VolumeManager"]

log = logging.getLogger(__name__)

REFRESH_SECONDS: Final = 60.0
RETRY_INITIAL: Final = 0.5
RETRY_MAX: Final = 122.0
TOKEN_MAX_AGE: Final = 24 * 3600.0
#: Volume types whose contents the kubelet writes: mounted read-only.
PROJECTED_TYPES: Final = ("configMap", "secret", "downwardAPI", "projected")
PLUGIN_DIRS: Final = {
    "emptyDir": "kubernetes.io~empty-dir",
    "configMap": "kubernetes.io~configmap",
    "secret": "kubernetes.io~secret",
    "downwardAPI": "kubernetes.io~downward-api",
    "projected": "kubernetes.io~projected",
}

Obj = dict[str, Any]


@dataclass(frozen=True, slots=True)
class VolumeHost:
    """What volumes need from the kubelet: API objects, tokens, the pod's addresses."""

    get_configmap: Getter
    get_secret: Getter
    get_claim: Getter
    #: A PersistentVolume by name (namespace ignored).
    get_volume: Getter
    #: (namespace, service account, TokenRequest spec) → the TokenRequest's status.
    request_token: Callable[[str, str, Obj], Awaitable[Obj]]
    ips: Callable[[], PodIPs]
    allocatable: Callable[[], Mapping[str, str]]


@dataclass(frozen=True, slots=True)
class MountStatus:
    """Whether every volume of the pod is set up, and when to look again at the latest."""

    ready: bool
    retry_after: float | None = None


@dataclass(slots=True)
class _Token:
    value: str
    issued: float
    expires: float

    def refresh_at(self) -> float:
        return min(self.expires - 0.2 * (self.expires - self.issued), self.issued + TOKEN_MAX_AGE)


@dataclass(slots=True)
class _PodVolumes:
    paths: dict[str, str] = field(default_factory=dict)
    readonly: dict[str, bool] = field(default_factory=dict)
    refreshed: float = 0.0
    #: The labels and annotations the downward API last wrote.
    metadata_key: str = ""
    failures: int = 0
    next_try: float = 0.0
    tokens: dict[tuple[str, str], _Token] = field(default_factory=dict)
    tmpfs: list[str] = field(default_factory=list)


def _volume_type(volume: Mapping[str, Any]) -> str:
    return next((key for key in volume if key != "name"), "")


def _metadata_key(pod: Mapping[str, Any]) -> str:
    meta = pod.get("metadata") or {}
    return repr(
        (
            sorted((meta.get("labels") or {}).items()),
            sorted((meta.get("annotations") or {}).items()),
        )
    )


def _parse_time(text: object) -> float:
    if not isinstance(text, str) or not text:
        return 0.0
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class VolumeManager:
    """Sets up and tears down pods' volumes under ``pods_dir`` (see the module docstring)."""

    def __init__(
        self,
        pods_dir: Path,
        host: VolumeHost,
        *,
        recorder: EventRecorder,
        tmpfs: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.pods_dir = pods_dir
        self.host = host
        self.recorder = recorder
        self.tmpfs = tmpfs and os.geteuid() == 0
        self.clock = clock
        self._pods: dict[str, _PodVolumes] = {}

    def volume_dir(self, uid: str, kind: str, name: str) -> Path:
        return self.pods_dir / uid / "volumes" / PLUGIN_DIRS[kind] / name

    # -- setting up -----------------------------------------------------------------------------

    async def mount_pod(self, pod: Mapping[str, Any]) -> MountStatus:
        """Set up (or refresh) every volume of ``pod`` (see the module docstring)."""
        uid = pod["metadata"]["uid"]
        volumes = (pod.get("spec") or {}).get("volumes") or []
        state = self._pods.setdefault(uid, _PodVolumes())
        now = self.clock()
        complete = all(v.get("name") in state.paths for v in volumes)
        if complete:
            due = [t.refresh_at() for t in state.tokens.values()]
            next_refresh = min([state.refreshed + REFRESH_SECONDS, *due])
            if now < next_refresh and state.metadata_key == _metadata_key(pod):
                return MountStatus(True, next_refresh - now)
        elif now < state.next_try:
            return MountStatus(False, state.next_try - now)
        failed = False
        for volume in volumes:
            name = str(volume.get("name") or "")
            try:
                state.paths[name] = await self._set_up(pod, volume, state)
            except (VolumeError, ContainerConfigError, OSError) as err:
                if name in state.paths:
                    log.warning("refreshing volume %s of pod %s failed: %s", name, uid, err)
                    continue  # what was there stays: a refresh failed
                failed = True
                message = f'MountVolume.SetUp failed for volume "{name}" : {err}'
                self.recorder.event(pod, WARNING, events.FAILED_MOUNT, message)
        state.metadata_key = _metadata_key(pod)
        if failed:
            delay = min(RETRY_INITIAL * 2**state.failures, RETRY_MAX)
            state.failures += 1
            state.next_try = now + delay
            return MountStatus(False, delay)
        state.failures = 0
        state.refreshed = now
        return MountStatus(True, REFRESH_SECONDS)

    async def _set_up(
        self, pod: Mapping[str, Any], volume: Mapping[str, Any], state: _PodVolumes
    ) -> str:
        """Set up one volume; its directory on the node."""
        uid, namespace = pod["metadata"]["uid"], pod["metadata"]["namespace"]
        kind = _volume_type(volume)
        source = volume.get(kind) or {}
        name = str(volume["name"])
        state.readonly[name] = kind in PROJECTED_TYPES
        if kind == "emptyDir":
            return await asyncio.to_thread(self._empty_dir, uid, name, source, state)
        if kind == "hostPath":
            path = str(source.get("path") or "")
            await asyncio.to_thread(check_host_path, path, str(source.get("type") or ""))
            return path
        if kind == "persistentVolumeClaim":
            state.readonly[name] = source.get("readOnly") is True
            return await self._claim(namespace, source)
        if kind not in PROJECTED_TYPES:
            raise VolumeError(f"volume type {kind or '(none)'} is not supported by this kubelet")
        mode = source.get("defaultMode")
        default_mode = mode if isinstance(mode, int) else DEFAULT_MODE
        if kind == "configMap":
            payload = await configmap_payload(
                source, namespace, self.host.get_configmap, default_mode
            )
        elif kind == "secret":
            payload = await secret_payload(
                source,
                namespace,
                str(source.get("secretName") or ""),
                self.host.get_secret,
                default_mode,
            )
        elif kind == "downwardAPI":
            payload = downward_api_payload(
                source.get("items") or [],
                pod,
                default_mode,
                ips=self.host.ips(),
                allocatable=self.host.allocatable(),
            )
        else:

            async def token(pod: Mapping[str, Any], request: Mapping[str, Any]) -> str:
                return await self._token(pod, name, request, state)

            payload = await projected_payload(
                source,
                pod,
                get_configmap=self.host.get_configmap,
                get_secret=self.host.get_secret,
                token=token,
                ips=self.host.ips(),
                allocatable=self.host.allocatable(),
            )
        directory = self.volume_dir(uid, kind, name)
        await asyncio.to_thread(write_payload, directory, payload)
        return str(directory)

    def _empty_dir(self, uid: str, name: str, source: Mapping[str, Any], state: _PodVolumes) -> str:
        directory = self.volume_dir(uid, "emptyDir", name)
        directory.mkdir(parents=True, exist_ok=True)
        os.chmod(directory, 0o777)
        if source.get("medium") == "Memory" and self.tmpfs and not os.path.ismount(directory):
            size = 0
            with contextlib.suppress(QuantityParseError):
                size = parse_quantity(str(source.get("sizeLimit") or "0")).value()
            try:
                mounts.mount_tmpfs(str(directory), size)
                state.tmpfs.append(str(directory))
            except OSError as err:
                log.warning("emptyDir %s of pod %s: no tmpfs (%s): a directory", name, uid, err)
        return str(directory)

    async def _claim(self, namespace: str, source: Mapping[str, Any]) -> str:
        name = str(source.get("claimName") or "")
        where = f"error processing PVC {namespace}/{name}"
        claim = await self.host.get_claim(namespace, name)
        if claim is None:
            raise VolumeError(
                f"{where}: failed to fetch PVC from API server: "
                f'persistentvolumeclaims "{name}" not found'
            )
        volume_name = str((claim.get("spec") or {}).get("volumeName") or "")
        if (claim.get("status") or {}).get("phase") != "Bound" or not volume_name:
            raise VolumeError(f"{where}: PVC is not bound")
        volume = await self.host.get_volume("", volume_name)
        if volume is None:
            raise VolumeError(
                f'{where}: failed to fetch PV "{volume_name}" from API server: '
                f'persistentvolumes "{volume_name}" not found'
            )
        spec = volume.get("spec") or {}
        if spec.get("hostPath") is not None:
            path = str(spec["hostPath"].get("path") or "")
            kind = str(spec["hostPath"].get("type") or "DirectoryOrCreate")
            await asyncio.to_thread(check_host_path, path, kind)
            return path
        if spec.get("local") is not None:
            path = str(spec["local"].get("path") or "")
            await asyncio.to_thread(check_host_path, path, "Directory")
            return path
        kind = next((k for k in spec if k.endswith(("Source", "Path")) or k in ("csi", "nfs")), "")
        raise VolumeError(
            f"persistent volume {volume_name} ({kind or 'its type'}) is not supported by this "
            "kubelet: only hostPath and local volumes"
        )

    async def _token(
        self,
        pod: Mapping[str, Any],
        volume: str,
        request: Mapping[str, Any],
        state: _PodVolumes,
    ) -> str:
        """A service account token bound to the pod, from the cache until it is due."""
        key = (volume, str(request.get("path") or ""))
        now = self.clock()
        cached = state.tokens.get(key)
        if cached is not None and now < cached.refresh_at():
            return cached.value
        meta = pod["metadata"]
        audience = str(request.get("audience") or "")
        expiration = request.get("expirationSeconds")
        spec: Obj = {
            "audiences": [audience] if audience else [],
            "expirationSeconds": expiration if isinstance(expiration, int) else 3600,
            "boundObjectRef": {
                "apiVersion": "v1",
                "kind": "Pod",
                "name": meta["name"],
                "uid": meta["uid"],
            },
        }
        account = str((pod.get("spec") or {}).get("serviceAccountName") or "default")
        try:
            status = await self.host.request_token(meta["namespace"], account, spec)
        except VolumeError:
            if cached is not None and now < cached.expires:
                return cached.value  # still good: try again at the next refresh
            raise
        token = _Token(
            str(status.get("token") or ""),
            now,
            _parse_time(status.get("expirationTimestamp")) or now + spec["expirationSeconds"],
        )
        state.tokens[key] = token
        return token.value

    # -- containers -----------------------------------------------------------------------------

    def container_mounts(
        self, pod: Mapping[str, Any], container: Mapping[str, Any], env: Mapping[str, str]
    ) -> list[Mount]:
        """The runtime mounts of ``container``'s ``volumeMounts`` (see the module docstring)."""
        state = self._pods.get(pod["metadata"]["uid"]) or _PodVolumes()
        result: list[Mount] = []
        for mount in container.get("volumeMounts") or []:
            name = str(mount.get("name") or "")
            path = state.paths.get(name)
            if path is None:
                raise ContainerConfigError(
                    f'cannot find volume "{name}" to mount into container "{container["name"]}"'
                )
            sub = str(mount.get("subPath") or "")
            if not sub and mount.get("subPathExpr"):
                sub = expand(str(mount["subPathExpr"]), env)
            if sub:
                path = _sub_path(path, sub)
            readonly = mount.get("readOnly") is True or state.readonly.get(name, False)
            result.append(Mount(str(mount.get("mountPath") or ""), path, readonly))
        return result

    # -- tearing down ---------------------------------------------------------------------------

    async def unmount_pod(self, uid: str) -> None:
        """Remove the pod's volumes from the node (the containers are gone)."""
        state = self._pods.pop(uid, None)
        await asyncio.to_thread(self._remove, uid, state.tmpfs if state else [])

    def _remove(self, uid: str, tmpfs: list[str]) -> None:
        directory = self.pods_dir / uid
        for path in tmpfs:
            with contextlib.suppress(OSError):
                mounts.unmount(path)
        empty_dirs = directory / "volumes" / PLUGIN_DIRS["emptyDir"]
        if empty_dirs.is_dir():  # a tmpfs left from an earlier kubelet
            for entry in empty_dirs.iterdir():
                if os.path.ismount(entry):
                    with contextlib.suppress(OSError):
                        mounts.unmount(str(entry))
        shutil.rmtree(directory, ignore_errors=True)

    async def remove_orphans(self, known: set[str]) -> None:
        """Remove the directories of pods that are not ``known``."""
        try:
            uids = [p.name for p in self.pods_dir.iterdir() if p.is_dir()]
        except FileNotFoundError:
            return
        for uid in uids:
            if uid not in known:
                await self.unmount_pod(uid)


def _sub_path(volume: str, sub: str) -> str:
    """``volume/sub``, created as a directory if missing; never outside the volume."""
    if sub.startswith("/") or ".." in PurePosixPath(sub).parts:
        raise ContainerConfigError(f"subPath {sub!r} must be a relative path without '..'")
    path = os.path.join(volume, sub)
    real_volume = os.path.realpath(volume)
    if not os.path.realpath(path).startswith(real_volume.rstrip("/") + "/") and (
        os.path.realpath(path) != real_volume
    ):
        raise ContainerConfigError(f"subPath {sub!r} is outside the volume")
    if not os.path.lexists(path):
        os.makedirs(path, mode=0o755, exist_ok=True)
    return path
