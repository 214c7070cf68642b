"""Volumes on the node: payloads, the atomic writer, hostPath types, the volume manager."""

from __future__ import annotations

import base64
import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from kubeling.kubelet.envvars import ContainerConfigError, PodIPs
from kubeling.kubelet.runtime.interface import Mount
from kubeling.kubelet.volumes import VolumeError, VolumeHost, VolumeManager
from kubeling.kubelet.volumes.atomic_writer import FileProjection, validate_path, write_payload
from kubeling.kubelet.volumes.hostpath import check_host_path
from kubeling.kubelet.volumes.projections import (
    configmap_payload,
    downward_api_payload,
    projected_payload,
    secret_payload,
)
from tests.unit.kubelet.builders import pod

Obj = dict[str, Any]
IPS = PodIPs(["10.0.0.1"], ["10.0.0.1"])


def getter(objects: dict[str, Obj]) -> Any:
    async def get(namespace: str, name: str) -> Obj | None:
        return objects.get(name)

    return get


CONFIGMAPS = {
    "cm": {"data": {"a": "1", "b": "2"}, "binaryData": {"bin": base64.b64encode(b"\x00").decode()}}
}
SECRETS = {"s": {"data": {"pw": base64.b64encode(b"secret").decode()}}}


def files(payload: Mapping[str, FileProjection]) -> dict[str, tuple[bytes, int]]:
    return {path: (f.data, f.mode) for path, f in payload.items()}


async def test_configmap_payloads() -> None:
    get = getter(CONFIGMAPS)
    assert files(await configmap_payload({"name": "cm"}, "ns", get, 0o644)) == {
        "a": (b"1", 0o644),
        "b": (b"2", 0o644),
        "bin": (b"\x00", 0o644),
    }
    items = [{"key": "a", "path": "x/y", "mode": 0o400}, {"key": "b", "path": "b"}]
    assert files(await configmap_payload({"name": "cm", "items": items}, "ns", get, 0o600)) == {
        "x/y": (b"1", 0o400),
        "b": (b"2", 0o600),
    }
    with pytest.raises(VolumeError, match=r'^configmap "nope" not found$'):
        await configmap_payload({"name": "nope"}, "ns", get, 0o644)
    assert await configmap_payload({"name": "nope", "optional": True}, "ns", get, 0o644) == {}
    missing = {"name": "cm", "items": [{"key": "zz", "path": "z"}]}
    with pytest.raises(VolumeError, match=r"^configmap references non-existent config key: zz$"):
        await configmap_payload(missing, "ns", get, 0o644)
    assert await configmap_payload({**missing, "optional": True}, "ns", get, 0o644) == {}


async def test_secret_payloads() -> None:
    get = getter(SECRETS)
    assert files(await secret_payload({}, "ns", "s", get, 0o400)) == {"pw": (b"secret", 0o400)}
    with pytest.raises(VolumeError, match=r'^secret "t" not found$'):
        await secret_payload({}, "ns", "t", get, 0o644)
    with pytest.raises(VolumeError, match=r"^secret references non-existent secret key: k$"):
        await secret_payload({"items": [{"key": "k", "path": "k"}]}, "ns", "s", get, 0o644)


def test_downward_api_payloads() -> None:
    body = pod("web")
    body["metadata"]["labels"] = {"b": 'say "hi"', "a": "1"}
    body["spec"]["containers"][0]["resources"] = {"limits": {"memory": "64Mi"}}
    items = [
        {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
        {"path": "one", "fieldRef": {"fieldPath": "metadata.labels['a']"}, "mode": 0o600},
        {
            "path": "mem",
            "resourceFieldRef": {
                "containerName": "web",
                "resource": "limits.memory",
                "divisor": "1Mi",
            },
        },
    ]
    payload = downward_api_payload(items, body, 0o644, ips=IPS, allocatable={})
    assert files(payload) == {
        "labels": (b'a="1"\nb="say \\"hi\\""', 0o644),
        "one": (b"1", 0o600),
        "mem": (b"64", 0o644),
    }
    bad = [
        {"path": "x", "fieldRef": {"fieldPath": "spec.bogus"}},
        {"path": "y", "resourceFieldRef": {"containerName": "nope", "resource": "limits.cpu"}},
    ]
    with pytest.raises(VolumeError) as err:
        downward_api_payload(bad, body, 0o644, ips=IPS, allocatable={})
    assert str(err.value) == "[unsupported fieldPath: spec.bogus, container nope not found]"


async def test_projected_payloads() -> None:
    """Sources together; every failing source reported at once."""
    requests: list[Mapping[str, Any]] = []

    async def token(pod: Mapping[str, Any], request: Mapping[str, Any]) -> str:
        requests.append(request)
        return "jwt"

    source = {
        "defaultMode": 0o440,
        "sources": [
            {"serviceAccountToken": {"path": "token", "audience": "vault"}},
            {"configMap": {"name": "cm", "items": [{"key": "a", "path": "ca.crt"}]}},
            {"secret": {"name": "s"}},
            {
                "downwardAPI": {
                    "items": [{"path": "ns", "fieldRef": {"fieldPath": "metadata.namespace"}}]
                }
            },
        ],
    }
    kwargs: Any = {
        "get_configmap": getter(CONFIGMAPS),
        "get_secret": getter(SECRETS),
        "token": token,
        "ips": IPS,
        "allocatable": {},
    }
    payload = await projected_payload(source, pod("web"), **kwargs)
    assert files(payload) == {
        "token": (b"jwt", 0o440),
        "ca.crt": (b"1", 0o440),
        "pw": (b"secret", 0o440),
        "ns": (b"ns", 0o440),
    }
    assert requests[0]["audience"] == "vault"
    broken = {
        "sources": [
            {"configMap": {"name": "gone"}},
            {"secret": {"name": "gone"}},
            {"clusterTrustBundle": {"name": "b", "path": "b"}},
        ]
    }
    with pytest.raises(VolumeError) as err:
        await projected_payload(broken, pod("web"), **kwargs)
    assert str(err.value) == (
        '[configmap "gone" not found, secret "gone" not found, clusterTrustBundle projections '
        "are not supported by this kubelet]"
    )


def test_atomic_writer(tmp_path: Path) -> None:
    """Versions behind ``..data``, a symlink per top-level name, stale names removed, an
    equal payload left alone."""
    target = tmp_path / "vol"
    assert write_payload(
        target, {"a": FileProjection(b"1", 0o600), "d/e": FileProjection(b"2", 0o644)}
    )
    first = os.readlink(target / "..data")
    assert os.readlink(target / "a") == "..data/a"
    assert (target / "d" / "e").read_bytes() == b"2"
    assert (target / "a").stat().st_mode & 0o777 == 0o600
    assert not write_payload(
        target, {"a": FileProjection(b"1", 0o600), "d/e": FileProjection(b"2", 0o644)}
    )
    assert write_payload(target, {"a": FileProjection(b"3", 0o644)})
    assert os.readlink(target / "..data") != first
    assert not (target / first).exists()
    assert not (target / "d").exists()
    assert (target / "a").read_bytes() == b"3"


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/abs", "invalid path: must be relative path: /abs"),
        ("a/../../b", "invalid path: must not contain '..': a/../../b"),
        ("..data", "invalid path: must not start with '..': ..data"),
        ("", "invalid path: must not be empty"),
    ],
)
def test_payload_paths_stay_inside(path: str, error: str) -> None:
    with pytest.raises(VolumeError) as err:
        validate_path(path)
    assert str(err.value) == error


def test_host_path_types(tmp_path: Path) -> None:
    created = tmp_path / "made" / "dir"
    check_host_path(str(created), "DirectoryOrCreate")
    assert created.is_dir()
    made_file = tmp_path / "made" / "file"
    check_host_path(str(made_file), "FileOrCreate")
    assert made_file.is_file()
    check_host_path(str(tmp_path / "nothing"), "")
    sock_path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(sock_path))
        check_host_path(str(sock_path), "Socket")
    cases = [
        (made_file, "Directory", "is not a directory"),
        (made_file, "DirectoryOrCreate", "is not a directory"),
        (created, "File", "is not a file"),
        (created, "Socket", "is not a socket file"),
        (created, "CharDevice", "is not a character device"),
        (created, "BlockDevice", "is not a block device"),
        (tmp_path / "none", "Directory", "is not a directory"),
    ]
    for path, kind, what in cases:
        with pytest.raises(VolumeError) as err:
            check_host_path(str(path), kind)
        assert str(err.value) == f"hostPath type check failed: {path} {what}"
    with pytest.raises(VolumeError, match=r"^Bogus is an invalid volume type$"):
        check_host_path(str(created), "Bogus")


# -- the manager --------------------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []

    def event(
        self, obj: Mapping[str, Any], kind: str, reason: str, message: str, *, field_path: str = ""
    ) -> None:
        self.events.append((kind, reason, message))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Host:
    def __init__(self) -> None:
        self.configmaps: dict[str, Obj] = {}
        self.claims: dict[str, Obj] = {}
        self.volumes: dict[str, Obj] = {}
        self.tokens = 0

    def host(self, clock: Clock) -> VolumeHost:
        async def request_token(namespace: str, account: str, spec: Obj) -> Obj:
            self.tokens += 1
            return {"token": f"t{self.tokens}", "expirationTimestamp": ""}

        return VolumeHost(
            get_configmap=getter(self.configmaps),
            get_secret=getter({}),
            get_claim=getter(self.claims),
            get_volume=getter(self.volumes),
            request_token=request_token,
            ips=lambda: IPS,
            allocatable=dict,
        )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def host() -> Host:
    return Host()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def manager(tmp_path: Path, host: Host, recorder: Recorder, clock: Clock) -> VolumeManager:
    return VolumeManager(
        tmp_path / "pods",
        host.host(clock),
        recorder=recorder,
        tmpfs=False,
        clock=clock,  # type: ignore[arg-type]
    )


async def test_a_missing_configmap_fails_with_back_off_until_it_exists(
    manager: VolumeManager, host: Host, recorder: Recorder, clock: Clock
) -> None:
    body = pod("web", volumes=[{"name": "cfg", "configMap": {"name": "later"}}])
    status = await manager.mount_pod(body)
    assert (status.ready, status.retry_after) == (False, 0.5)
    assert recorder.events == [
        (
            "Warning",
            "FailedMount",
            'MountVolume.SetUp failed for volume "cfg" : configmap "later" not found',
        )
    ]
    assert not (await manager.mount_pod(body)).ready  # not yet time: not even tried
    assert len(recorder.events) == 1
    clock.now += 0.5
    assert (await manager.mount_pod(body)).retry_after == 1.0
    host.configmaps["later"] = {"data": {"k": "v"}}
    clock.now += 1.0
    status = await manager.mount_pod(body)
    assert status.ready
    mounts = manager.container_mounts(
        body, {"name": "web", "volumeMounts": [{"name": "cfg", "mountPath": "/etc/cfg"}]}, {}
    )
    assert mounts == [
        Mount("/etc/cfg", str(manager.volume_dir("uid-1", "configMap", "cfg")), readonly=True)
    ]


async def test_contents_are_refreshed_and_tokens_renewed(
    manager: VolumeManager, host: Host, clock: Clock
) -> None:
    token = {"serviceAccountToken": {"path": "token", "expirationSeconds": 1000}}
    body = pod(
        "web",
        volumes=[
            {"name": "cfg", "configMap": {"name": "c"}},
            {"name": "sa", "projected": {"sources": [token]}},
        ],
    )
    host.configmaps["c"] = {"data": {"k": "v1"}}
    assert (await manager.mount_pod(body)).ready
    cfg = manager.volume_dir("uid-1", "configMap", "cfg") / "k"
    sa = manager.volume_dir("uid-1", "projected", "sa") / "token"
    assert (cfg.read_text(), sa.read_text()) == ("v1", "t1")
    host.configmaps["c"] = {"data": {"k": "v2"}}
    clock.now += 30
    await manager.mount_pod(body)
    assert cfg.read_text() == "v1"  # not yet: a minute between refreshes
    clock.now += 30
    await manager.mount_pod(body)
    assert (cfg.read_text(), sa.read_text()) == ("v2", "t1")
    clock.now += 800  # past 80 % of the token's life
    await manager.mount_pod(body)
    assert sa.read_text() == "t2"


async def test_claims(manager: VolumeManager, host: Host, tmp_path: Path) -> None:
    body = pod(
        "web",
        volumes=[{"name": "d", "persistentVolumeClaim": {"claimName": "c", "readOnly": True}}],
    )
    manager.recorder.events.clear()  # type: ignore[attr-defined]
    await manager.mount_pod(body)
    host.claims["c"] = {"spec": {}, "status": {"phase": "Pending"}}
    manager._pods.clear()
    await manager.mount_pod(body)
    path = tmp_path / "pv" / "dir"
    host.claims["c"] = {"spec": {"volumeName": "pv"}, "status": {"phase": "Bound"}}
    host.volumes["pv"] = {"spec": {"hostPath": {"path": str(path), "type": "DirectoryOrCreate"}}}
    manager._pods.clear()
    assert (await manager.mount_pod(body)).ready
    assert path.is_dir()
    messages = [e[2] for e in manager.recorder.events]  # type: ignore[attr-defined]
    assert messages == [
        'MountVolume.SetUp failed for volume "d" : error processing PVC ns/c: failed to fetch PVC '
        'from API server: persistentvolumeclaims "c" not found',
        'MountVolume.SetUp failed for volume "d" : error processing PVC ns/c: PVC is not bound',
    ]
    mounts = manager.container_mounts(
        body, {"name": "web", "volumeMounts": [{"name": "d", "mountPath": "/d"}]}, {}
    )
    assert mounts == [Mount("/d", str(path), readonly=True)]


async def test_unsupported_volume_types_fail_loudly(
    manager: VolumeManager, recorder: Recorder
) -> None:
    body = pod("web", volumes=[{"name": "n", "nfs": {"server": "x", "path": "/"}}])
    assert not (await manager.mount_pod(body)).ready
    assert recorder.events[0][2] == (
        'MountVolume.SetUp failed for volume "n" : volume type nfs is not supported by this kubelet'
    )


async def test_sub_paths(manager: VolumeManager) -> None:
    body = pod("web", volumes=[{"name": "e", "emptyDir": {}}])
    assert (await manager.mount_pod(body)).ready
    base = manager.volume_dir("uid-1", "emptyDir", "e")
    assert base.stat().st_mode & 0o777 == 0o777

    def mounts(**mount: Any) -> list[Mount]:
        container = {"name": "web", "volumeMounts": [{"name": "e", "mountPath": "/m", **mount}]}
        return manager.container_mounts(body, container, {"POD": "p1"})

    assert mounts(subPath="a/b") == [Mount("/m", f"{base}/a/b")]
    assert (base / "a" / "b").is_dir()
    assert mounts(subPathExpr="logs/$(POD)", readOnly=True) == [
        Mount("/m", f"{base}/logs/p1", True)
    ]
    (base / "out").symlink_to("/etc")
    for bad in ("../x", "/abs", "out"):
        with pytest.raises(ContainerConfigError):
            mounts(subPath=bad)
    with pytest.raises(ContainerConfigError, match='cannot find volume "zz" to mount'):
        manager.container_mounts(
            body, {"name": "web", "volumeMounts": [{"name": "zz", "mountPath": "/z"}]}, {}
        )


async def test_unmount_removes_the_pod_directory(manager: VolumeManager) -> None:
    body = pod("web", volumes=[{"name": "e", "emptyDir": {}}])
    await manager.mount_pod(body)
    other = manager.pods_dir / "orphan"
    other.mkdir()
    await manager.remove_orphans({"uid-1"})
    assert not other.exists()
    assert (manager.pods_dir / "uid-1").exists()
    await manager.unmount_pod("uid-1")
    assert not (manager.pods_dir / "uid-1").exists()
