"""Volumes set up by the real kubelet and seen by real processes, in both ways this node can
give them: bind mounts at their mountPath (a mount namespace per container: this machine runs
the tests as root) and symlinks under ``$KUBELING_ROOT`` (mount namespaces turned off).

The fixtures are those of :mod:`tests.integration.test_kubelet`. Mount paths are under the
test's temporary directory: a bind mount's missing mount point is made on the host.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from kubeling.client import ApiClient
from kubeling.client.resources import (
    CONFIGMAPS,
    PERSISTENTVOLUMECLAIMS,
    PERSISTENTVOLUMES,
    PODS,
    SECRETS,
    SERVICEACCOUNTS,
)
from tests.integration.test_kubelet import (
    PY,
    Node,
    client,
    container_status,
    eventually,
    get_pod,
    log_lines,
    node,
    pod_body,
    pod_events,
    server,
)

__all__ = ["client", "node", "server"]  # fixtures used here

Obj = dict[str, Any]

#: Reads what the test asks (argv[1]: JSON of name → path) and prints one JSON line.
READER = """
import json, os, stat, sys, time
root = os.environ.get("KUBELING_ROOT", "")
found = {}
for name, path in json.loads(sys.argv[1]).items():
    full = root + path
    for _ in range(100):
        if os.path.exists(full):
            break
        time.sleep(0.1)
    try:
        with open(full) as f:
            found[name] = f.read()
        found[name + ".mode"] = oct(stat.S_IMODE(os.stat(full).st_mode))
    except OSError as err:
        found[name] = "error: " + err.strerror
for name, path in json.loads(sys.argv[2]).items():
    try:
        with open(root + path, "w") as f:
            f.write("x")
        found[name] = "written"
    except OSError as err:
        found[name] = "error: " + err.strerror
print(json.dumps(found), flush=True)
time.sleep(600)
"""


#: Writes into the emptyDir mounted at $0, then waits.
WRITER = (
    'echo shared > "$KUBELING_ROOT$0/note"; mkdir -p "$KUBELING_ROOT$0/dir"; '
    'echo deep > "$KUBELING_ROOT$0/dir/note"; sleep 600'
)


async def _report(node: Node, client: ApiClient, name: str, container: str) -> Obj | None:
    pod = await get_pod(client, name)
    lines = log_lines(node, pod, container)
    return json.loads(lines[0]) if lines else None


async def test_volumes_bind_mounted_at_their_mount_paths(
    node: Node, client: ApiClient, tmp_path: Path
) -> None:
    await _check_volumes(node, client, tmp_path, "bind")


async def test_volumes_linked_under_kubeling_root(
    node: Node, client: ApiClient, tmp_path: Path
) -> None:
    await _check_volumes(node, client, tmp_path, "link")


async def _check_volumes(node: Node, client: ApiClient, tmp_path: Path, mode: str) -> None:
    """Every kind of volume, read (and written) by the container."""
    kubelet = await node.start(mount_namespaces=mode == "bind")
    assert getattr(kubelet.runtime, "volume_mode", "") == mode
    await client.resource(CONFIGMAPS).create(
        {
            "metadata": {"name": f"settings-{mode}", "namespace": "default"},
            "data": {"greeting": "hello", "other": "x"},
            "binaryData": {"blob": base64.b64encode(b"\x00\x01").decode()},
        }
    )
    await client.resource(SECRETS).create(
        {
            "metadata": {"name": f"creds-{mode}", "namespace": "default"},
            "data": {"password": base64.b64encode(b"s3cret").decode()},
        }
    )
    await client.resource(SERVICEACCOUNTS).create(
        {"metadata": {"name": f"runner-{mode}", "namespace": "default"}}
    )
    mnt = str(tmp_path / "mnt")
    host_dir = tmp_path / "host" / "data"
    reads = {
        "greeting": f"{mnt}/config/hello.txt",
        "secret": f"{mnt}/secret/password",
        "labels": f"{mnt}/info/labels",
        "podname": f"{mnt}/info/name",
        "shared": f"{mnt}/scratch/note",
        "host": f"{mnt}/host/file",
        "token": f"{mnt}/projected/token",
        "namespace": f"{mnt}/projected/namespace",
        "projected-cfg": f"{mnt}/projected/greeting",
        "sub": f"{mnt}/sub/note",
    }
    writes = {"write-config": f"{mnt}/config/new", "write-scratch": f"{mnt}/scratch/mine"}
    volumes = [
        {
            "name": "config",
            "configMap": {
                "name": f"settings-{mode}",
                "items": [{"key": "greeting", "path": "hello.txt", "mode": 0o600}],
            },
        },
        {"name": "secret", "secret": {"secretName": f"creds-{mode}", "defaultMode": 0o440}},
        {
            "name": "info",
            "downwardAPI": {
                "items": [
                    {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
                    {"path": "name", "fieldRef": {"fieldPath": "metadata.name"}},
                ]
            },
        },
        {"name": "scratch", "emptyDir": {"medium": "Memory"}},
        {"name": "host", "hostPath": {"path": str(host_dir), "type": "DirectoryOrCreate"}},
        {
            "name": "projected",
            "projected": {
                "sources": [
                    {"serviceAccountToken": {"path": "token", "expirationSeconds": 3600}},
                    {
                        "downwardAPI": {
                            "items": [
                                {
                                    "path": "namespace",
                                    "fieldRef": {"fieldPath": "metadata.namespace"},
                                }
                            ]
                        }
                    },
                    {
                        "configMap": {
                            "name": f"settings-{mode}",
                            "items": [{"key": "greeting", "path": "greeting"}],
                        }
                    },
                ]
            },
        },
    ]
    reader = {
        "name": "reader",
        "image": "python:3",
        "command": [PY, "-c", READER, json.dumps(reads), json.dumps(writes)],
        "volumeMounts": [
            {"name": "config", "mountPath": f"{mnt}/config"},
            {"name": "secret", "mountPath": f"{mnt}/secret"},
            {"name": "info", "mountPath": f"{mnt}/info"},
            {"name": "scratch", "mountPath": f"{mnt}/scratch"},
            {"name": "host", "mountPath": f"{mnt}/host"},
            {"name": "projected", "mountPath": f"{mnt}/projected"},
            {"name": "scratch", "mountPath": f"{mnt}/sub", "subPath": "dir"},
        ],
    }
    writer = {
        "name": "writer",
        "image": "busybox",
        "command": ["sh", "-c", WRITER, f"{mnt}/w"],
        "volumeMounts": [{"name": "scratch", "mountPath": f"{mnt}/w"}],
    }
    host_dir.mkdir(parents=True)
    (host_dir / "file").write_text("from the host")
    body = pod_body(
        f"vols-{mode}", node.name, [writer, reader], serviceAccountName=f"runner-{mode}"
    )
    body["metadata"]["labels"] = {"app": "vols", "tier": "b"}
    body["spec"]["volumes"] = volumes
    await client.resource(PODS).create(body)

    found = await eventually(lambda: _report(node, client, f"vols-{mode}", "reader"), "no report")
    assert found["greeting"] == "hello"
    assert found["greeting.mode"] == "0o600"
    assert found["secret"] == "s3cret"
    assert found["secret.mode"] == "0o440"
    assert found["labels"] == 'app="vols"\ntier="b"'
    assert found["podname"] == f"vols-{mode}"
    assert found["shared"] == "shared\n"
    assert found["sub"] == "deep\n"
    assert found["host"] == "from the host"
    assert found["token"].count(".") == 2  # a JWT
    assert found["namespace"] == "default"
    assert found["projected-cfg"] == "hello"
    assert found["write-scratch"] == "written"
    if mode == "bind":
        assert found["write-config"] == "error: Read-only file system"
    pod = await get_pod(client, f"vols-{mode}")
    assert container_status(pod, "reader")["ready"] is True
    uid = pod["metadata"]["uid"]
    # an exec (probes, hooks, kubectl exec) sees the volumes as the container does
    cid = container_status(pod, "reader")["containerID"].removeprefix("process://")
    script = f'cat "$KUBELING_ROOT{mnt}/config/hello.txt"'
    seen = await node.runtime().exec_sync(cid, ["sh", "-c", script])
    assert (seen.exit_code, seen.stdout) == (0, b"hello")
    volume_dir = node.root / "pods" / uid / "volumes" / "kubernetes.io~configmap" / "config"
    assert os.readlink(volume_dir / "hello.txt") == "..data/hello.txt"
    scratch = volume_dir.parent.parent / "kubernetes.io~empty-dir" / "scratch"
    with open("/proc/mounts") as f:  # noqa: ASYNC230 - a kernel file, read at once
        mounted = f.read()
    assert f"tmpfs {scratch} tmpfs" in mounted  # medium: Memory, as root


async def test_a_missing_configmap_keeps_the_pod_creating(
    node: Node, client: ApiClient, tmp_path: Path
) -> None:
    """FailedMount events and ContainerCreating until the ConfigMap exists; then it runs."""
    await node.start()
    mount = str(tmp_path / "cfg")
    app = {
        "name": "app",
        "image": "busybox",
        "command": ["sh", "-c", f'cat "$KUBELING_ROOT{mount}/k"; echo; sleep 600'],
        "volumeMounts": [{"name": "cfg", "mountPath": mount}],
    }
    body = pod_body("waits", node.name, [app])
    body["spec"]["volumes"] = [{"name": "cfg", "configMap": {"name": "later"}}]
    await client.resource(PODS).create(body)

    async def failed_mount() -> list[Obj]:
        return [e for e in await pod_events(client, "waits") if e["reason"] == "FailedMount"]

    failed = await eventually(failed_mount, "no FailedMount event")
    assert failed[0]["type"] == "Warning"
    assert failed[0]["message"] == (
        'MountVolume.SetUp failed for volume "cfg" : configmap "later" not found'
    )
    pod = await get_pod(client, "waits")
    waiting = container_status(pod, "app")["state"]["waiting"]
    assert waiting["reason"] == "ContainerCreating"
    assert pod["status"]["phase"] == "Pending"
    await client.resource(CONFIGMAPS).create(
        {"metadata": {"name": "later", "namespace": "default"}, "data": {"k": "now"}}
    )

    async def printed() -> bool:
        return "now" in log_lines(node, await get_pod(client, "waits"), "app")

    await eventually(printed, "the pod never ran with its ConfigMap", seconds=60)


async def test_a_local_path_claim_is_mounted(node: Node, client: ApiClient, tmp_path: Path) -> None:
    """A claim bound to a hostPath PersistentVolume (as the local-path provisioner makes them):
    its directory is created when mounted, and what the container writes is there."""
    await node.start()
    directory = tmp_path / "pv" / "pvc-data"
    await client.resource(PERSISTENTVOLUMES).create(
        {
            "metadata": {"name": f"pv-{node.name}"},
            "spec": {
                "capacity": {"storage": "1Gi"},
                "accessModes": ["ReadWriteOnce"],
                "hostPath": {"path": str(directory), "type": "DirectoryOrCreate"},
                "storageClassName": "manual",
            },
        }
    )
    claims = client.resource(PERSISTENTVOLUMECLAIMS)
    claim = await claims.create(
        {
            "metadata": {"name": "data", "namespace": "default"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
                "storageClassName": "manual",
                "volumeName": f"pv-{node.name}",
            },
        }
    )
    claim["status"] = {"phase": "Bound"}
    await claims.update_status(claim)
    mount = str(tmp_path / "data")
    app = {
        "name": "app",
        "image": "busybox",
        "command": ["sh", "-c", f'echo kept > "$KUBELING_ROOT{mount}/out"; sleep 600'],
        "volumeMounts": [{"name": "data", "mountPath": mount}],
    }
    body = pod_body("claimed", node.name, [app])
    body["spec"]["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]
    await client.resource(PODS).create(body)

    # The shell creates the file before it writes the line: wait for the line, not the file.
    async def written() -> bool:
        out = directory / "out"
        return out.exists() and out.read_text() == "kept\n"

    await eventually(written, "the container's line never reached the volume")
