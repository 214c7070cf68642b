"""The PV controller and the local-path provisioner against a real API server.

The test plays the scheduler (it sets ``volume.kubernetes.io/selected-node``)
and the kubelet (it creates the volume's directory), which do not exist yet.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from kubeling.api import errors
from kubeling.client import ApiClient, load_client_config
from kubeling.client.resources import (
    EVENTS,
    NAMESPACES,
    NODES,
    PERSISTENTVOLUMECLAIMS,
    PERSISTENTVOLUMES,
    STORAGECLASSES,
)
from kubeling.controllers.manager import ControllerManagerOptions, run_controller_manager
from tests.support.cluster import RunningServer
from tests.support.waiting import eventually

Obj = dict[str, Any]


@pytest.fixture
def storage_dir(tmp_path: Path) -> Path:
    return tmp_path / "storage"


@pytest.fixture
async def controllers(kubeling_server: RunningServer, storage_dir: Path) -> AsyncIterator[None]:
    config = load_client_config(kubeling_server.kubeconfig)
    task = asyncio.create_task(
        run_controller_manager(
            config,
            ControllerManagerOptions(
                controllers=("persistentvolume-binder", "local-path-provisioner"),
                leader_elect=False,
                local_storage_path=str(storage_dir),
            ),
        )
    )
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _namespace(client: ApiClient, name: str) -> str:
    await client.resource(NAMESPACES).create({"metadata": {"name": name}})
    return name


def _pv(name: str, size: str, *, policy: str = "Retain", cls: str = "manual", **spec: Any) -> Obj:
    return {
        "metadata": {"name": name},
        "spec": {
            "capacity": {"storage": size},
            "accessModes": ["ReadWriteOnce"],
            "persistentVolumeReclaimPolicy": policy,
            "storageClassName": cls,
            "hostPath": {"path": f"/tmp/kubeling-test/{name}"},
            **spec,
        },
    }


def _pvc(name: str, size: str, **spec: Any) -> Obj:
    return {
        "metadata": {"name": name},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": size}},
            **spec,
        },
    }


async def _phase(client: ApiClient, resource: Any, name: str, namespace: str = "") -> str:
    try:
        obj = await client.resource(resource).get(name, namespace=namespace)
    except errors.StatusError as err:
        if errors.is_not_found(err):
            return "<gone>"
        raise
    return str((obj.get("status") or {}).get("phase"))


async def _events(client: ApiClient, namespace: str, name: str) -> dict[str, str]:
    listed = await client.resource(EVENTS).list(
        namespace=namespace, field_selector=f"involvedObject.name={name}"
    )
    return {e["reason"]: e["message"] for e in listed["items"]}


async def _has_event(client: ApiClient, namespace: str, name: str, reason: str) -> bool:
    return reason in await _events(client, namespace, name)


async def test_a_static_volume_binds_an_immediate_claim_smallest_fit_first(
    api_client: ApiClient, controllers: None
) -> None:
    ns = await _namespace(api_client, "static")
    pvs = api_client.resource(PERSISTENTVOLUMES)
    await pvs.create(_pv("static-big", "5Gi"))
    await pvs.create(_pv("static-small", "1Gi"))
    await pvs.create(_pv("static-tiny", "100Mi"))
    await pvs.create(_pv("static-other-class", "600Mi", cls="other"))
    for name in ("static-big", "static-small", "static-tiny", "static-other-class"):
        await eventually(
            lambda name=name: _phase_is(api_client, PERSISTENTVOLUMES, name, "Available"),
            within=20,
            what=f"PersistentVolume {name} to be Available",
        )
    claims = api_client.resource(PERSISTENTVOLUMECLAIMS)
    await claims.create(_pvc("data", "500Mi", storageClassName="manual"), namespace=ns)
    await eventually(
        lambda: _phase_is(api_client, PERSISTENTVOLUMECLAIMS, "data", "Bound", ns),
        within=20,
        what="PersistentVolumeClaim data to be Bound",
    )
    claim = await claims.get("data", namespace=ns)
    assert claim["spec"]["volumeName"] == "static-small"
    assert claim["status"]["capacity"] == {"storage": "1Gi"}
    assert claim["status"]["accessModes"] == ["ReadWriteOnce"]
    annotations = claim["metadata"]["annotations"]
    assert annotations["pv.kubernetes.io/bind-completed"] == "yes"
    assert annotations["pv.kubernetes.io/bound-by-controller"] == "yes"
    await eventually(
        lambda: _phase_is(api_client, PERSISTENTVOLUMES, "static-small", "Bound"),
        within=20,
        what="PersistentVolume static-small to be Bound",
    )
    volume = await pvs.get("static-small")
    ref = volume["spec"]["claimRef"]
    assert (ref["namespace"], ref["name"], ref["uid"]) == (ns, "data", claim["metadata"]["uid"])
    assert volume["metadata"]["annotations"]["pv.kubernetes.io/bound-by-controller"] == "yes"
    assert volume["status"]["lastPhaseTransitionTime"]
    assert await _phase(api_client, PERSISTENTVOLUMES, "static-big") == "Available"


async def _phase_is(
    client: ApiClient, resource: Any, name: str, phase: str, namespace: str = ""
) -> bool:
    return await _phase(client, resource, name, namespace) == phase


async def test_a_claim_naming_its_volume_is_bound_to_it_and_released_on_delete(
    api_client: ApiClient, controllers: None
) -> None:
    ns = await _namespace(api_client, "prebound")
    pvs = api_client.resource(PERSISTENTVOLUMES)
    claims = api_client.resource(PERSISTENTVOLUMECLAIMS)
    await pvs.create(_pv("wanted", "2Gi"))
    await pvs.create(_pv("recycled", "1Gi", policy="Recycle"))
    for name in ("wanted", "recycled"):
        await eventually(
            lambda name=name: _phase_is(api_client, PERSISTENTVOLUMES, name, "Available"),
            within=20,
            what=f"PersistentVolume {name} to be Available",
        )
    await claims.create(
        _pvc("mine", "1Gi", storageClassName="manual", volumeName="wanted"), namespace=ns
    )
    await claims.create(_pvc("scrubbed", "1Gi", storageClassName="manual"), namespace=ns)
    await eventually(
        lambda: _phase_is(api_client, PERSISTENTVOLUMECLAIMS, "mine", "Bound", ns),
        within=20,
        what="PersistentVolumeClaim mine to be Bound",
    )
    claim = await claims.get("mine", namespace=ns)
    # The user bound it: the claim is not "bound by controller".
    assert "pv.kubernetes.io/bound-by-controller" not in claim["metadata"]["annotations"]
    await eventually(
        lambda: _phase_is(api_client, PERSISTENTVOLUMES, "wanted", "Bound"),
        within=20,
        what="PersistentVolume wanted to be Bound",
    )

    # Retain: released, and kept.
    await claims.delete("mine", namespace=ns)
    await eventually(
        lambda: _phase_is(api_client, PERSISTENTVOLUMES, "wanted", "Released"),
        within=20,
        what="PersistentVolume wanted to be Released",
    )
    # Recycle is deprecated and no recycler exists: Failed, with Kubernetes' message.
    await eventually(
        lambda: _phase_is(api_client, PERSISTENTVOLUMECLAIMS, "scrubbed", "Bound", ns),
        within=20,
        what="PersistentVolumeClaim scrubbed to be Bound",
    )
    await claims.delete("scrubbed", namespace=ns)
    await eventually(
        lambda: _phase_is(api_client, PERSISTENTVOLUMES, "recycled", "Failed"),
        within=20,
        what="PersistentVolume recycled to be Failed",
    )
    recycled = await pvs.get("recycled")
    assert recycled["status"]["message"] == "No recycler plugin found for the volume!"
    assert (await pvs.get("wanted"))["status"]["phase"] == "Released"


async def test_a_claim_with_no_class_and_no_volume_says_so(
    api_client: ApiClient, controllers: None
) -> None:
    ns = await _namespace(api_client, "noclass")
    claims = api_client.resource(PERSISTENTVOLUMECLAIMS)
    # "" asks for no class: the default class is not applied.
    await claims.create(_pvc("lonely", "1Gi", storageClassName=""), namespace=ns)
    await eventually(
        lambda: _has_event(api_client, ns, "lonely", "FailedBinding"),
        within=20,
        what="a FailedBinding event for lonely",
    )
    events = await _events(api_client, ns, "lonely")
    assert events["FailedBinding"] == (
        "no persistent volumes available for this claim and no storage class is set"
    )
    assert await _phase(api_client, PERSISTENTVOLUMECLAIMS, "lonely", ns) == "Pending"


async def test_local_path_waits_for_the_scheduler_then_provisions_and_deletes(
    api_client: ApiClient,
    kubeling_server: RunningServer,
    controllers: None,
    storage_dir: Path,
) -> None:
    ns = await _namespace(api_client, "localpath")
    await api_client.resource(NODES).create(
        {"metadata": {"name": "node-a", "labels": {"kubernetes.io/hostname": "node-a"}}}
    )

    async def class_exists() -> bool:
        try:
            await api_client.resource(STORAGECLASSES).get("local-path")
        except errors.StatusError:
            return False
        return True

    await eventually(class_exists, within=20, what="the local-path StorageClass")
    storage_class = await api_client.resource(STORAGECLASSES).get("local-path")
    assert storage_class["provisioner"] == "rancher.io/local-path"
    assert storage_class["volumeBindingMode"] == "WaitForFirstConsumer"
    assert storage_class["reclaimPolicy"] == "Delete"
    assert (
        storage_class["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"]
        == "true"
    )

    claims = api_client.resource(PERSISTENTVOLUMECLAIMS)
    created = await claims.create(_pvc("cache", "2Gi"), namespace=ns)
    # DefaultStorageClass admission gave it the default class.
    assert created["spec"]["storageClassName"] == "local-path"
    await eventually(
        lambda: _has_event(api_client, ns, "cache", "WaitForFirstConsumer"),
        within=20,
        what="a WaitForFirstConsumer event for cache",
    )
    events = await _events(api_client, ns, "cache")
    assert events["WaitForFirstConsumer"] == (
        "waiting for first consumer to be created before binding"
    )
    assert await _phase(api_client, PERSISTENTVOLUMECLAIMS, "cache", ns) == "Pending"
    uid = created["metadata"]["uid"]
    pv_name = f"pvc-{uid}"
    assert await _phase(api_client, PERSISTENTVOLUMES, pv_name) == "<gone>"

    # The scheduler picks a node for the claim's first consumer.
    await claims.patch(
        "cache",
        {"metadata": {"annotations": {"volume.kubernetes.io/selected-node": "node-a"}}},
        namespace=ns,
    )
    await eventually(
        lambda: _phase_is(api_client, PERSISTENTVOLUMECLAIMS, "cache", "Bound", ns),
        within=20,
        what="PersistentVolumeClaim cache to be Bound",
    )
    await eventually(
        lambda: _phase_is(api_client, PERSISTENTVOLUMES, pv_name, "Bound"),
        within=20,
        what=f"PersistentVolume {pv_name} to be Bound",
    )
    claim = await claims.get("cache", namespace=ns)
    assert claim["spec"]["volumeName"] == pv_name
    annotations = claim["metadata"]["annotations"]
    assert annotations["volume.kubernetes.io/storage-provisioner"] == "rancher.io/local-path"
    assert annotations["volume.beta.kubernetes.io/storage-provisioner"] == "rancher.io/local-path"
    volume = await api_client.resource(PERSISTENTVOLUMES).get(pv_name)
    path = storage_dir / f"{pv_name}_{ns}_cache"
    assert volume["spec"]["hostPath"] == {"path": str(path), "type": "DirectoryOrCreate"}
    assert volume["spec"]["nodeAffinity"] == {
        "required": {
            "nodeSelectorTerms": [
                {
                    "matchExpressions": [
                        {"key": "kubernetes.io/hostname", "operator": "In", "values": ["node-a"]}
                    ]
                }
            ]
        }
    }
    assert volume["spec"]["persistentVolumeReclaimPolicy"] == "Delete"
    assert volume["spec"]["storageClassName"] == "local-path"
    assert volume["spec"]["capacity"] == {"storage": "2Gi"}
    assert volume["metadata"]["annotations"]["pv.kubernetes.io/provisioned-by"] == (
        "rancher.io/local-path"
    )
    await eventually(
        lambda: _has_event(api_client, ns, "cache", "ProvisioningSucceeded"),
        within=20,
        what="a ProvisioningSucceeded event for cache",
    )
    events = await _events(api_client, ns, "cache")
    assert events["ProvisioningSucceeded"] == f"Successfully provisioned volume {pv_name}"
    assert events["Provisioning"] == (
        f'External provisioner is provisioning volume for claim "{ns}/cache"'
    )
    assert events["ExternalProvisioning"].startswith(
        "Waiting for a volume to be created either by the external provisioner "
        "'rancher.io/local-path' or manually by the system administrator."
    )

    listing = await asyncio.to_thread(kubeling_server.kubectl, "get", "pv,pvc", "-n", ns)
    lines = listing.stdout.splitlines()
    assert lines[0].split() == [
        "NAME",
        "CAPACITY",
        "ACCESS",
        "MODES",
        "RECLAIM",
        "POLICY",
        "STATUS",
        "CLAIM",
        "STORAGECLASS",
        "VOLUMEATTRIBUTESCLASS",
        "REASON",
        "AGE",
    ]
    pv_line = next(line for line in lines if line.startswith(f"persistentvolume/{pv_name}"))
    assert pv_line.split()[1:7] == ["2Gi", "RWO", "Delete", "Bound", f"{ns}/cache", "local-path"]
    pvc_line = next(line for line in lines if line.startswith("persistentvolumeclaim/cache"))
    assert pvc_line.split()[1:6] == ["Bound", pv_name, "2Gi", "RWO", "local-path"]

    # The kubelet would create the directory as it mounts the volume.
    await asyncio.to_thread(_write_data, path)
    await claims.delete("cache", namespace=ns)
    await eventually(
        lambda: _phase_is(api_client, PERSISTENTVOLUMES, pv_name, "<gone>"),
        within=20,
        what=f"PersistentVolume {pv_name} to be deleted",
    )
    assert not await asyncio.to_thread(path.exists)
    assert await asyncio.to_thread(storage_dir.exists)


def _write_data(path: Path) -> None:
    path.mkdir(parents=True)
    (path / "data.txt").write_text("kept until the claim goes")


async def test_a_deleted_static_volume_without_a_deleter_fails(
    api_client: ApiClient, controllers: None
) -> None:
    ns = await _namespace(api_client, "nodeleter")
    await api_client.resource(PERSISTENTVOLUMES).create(_pv("doomed", "1Gi", policy="Delete"))
    await eventually(
        lambda: _phase_is(api_client, PERSISTENTVOLUMES, "doomed", "Available"),
        within=20,
        what="PersistentVolume doomed to be Available",
    )
    claims = api_client.resource(PERSISTENTVOLUMECLAIMS)
    await claims.create(_pvc("short", "1Gi", storageClassName="manual"), namespace=ns)
    await eventually(
        lambda: _phase_is(api_client, PERSISTENTVOLUMECLAIMS, "short", "Bound", ns),
        within=20,
        what="PersistentVolumeClaim short to be Bound",
    )
    await claims.delete("short", namespace=ns)
    await eventually(
        lambda: _phase_is(api_client, PERSISTENTVOLUMES, "doomed", "Failed"),
        within=20,
        what="PersistentVolume doomed to be Failed",
    )
    volume = await api_client.resource(PERSISTENTVOLUMES).get("doomed")
    assert volume["status"]["message"] == (
        'error getting deleter volume plugin for volume "doomed": no volume plugin matched'
    )


async def test_a_claim_losing_its_volume_is_lost(api_client: ApiClient, controllers: None) -> None:
    ns = await _namespace(api_client, "lost")
    await api_client.resource(PERSISTENTVOLUMES).create(_pv("fragile", "1Gi"))
    await eventually(
        lambda: _phase_is(api_client, PERSISTENTVOLUMES, "fragile", "Available"),
        within=20,
        what="PersistentVolume fragile to be Available",
    )
    claims = api_client.resource(PERSISTENTVOLUMECLAIMS)
    await claims.create(_pvc("orphan", "1Gi", storageClassName="manual"), namespace=ns)
    await eventually(
        lambda: _phase_is(api_client, PERSISTENTVOLUMECLAIMS, "orphan", "Bound", ns),
        within=20,
        what="PersistentVolumeClaim orphan to be Bound",
    )
    await api_client.resource(PERSISTENTVOLUMES).delete("fragile")
    await eventually(
        lambda: _phase_is(api_client, PERSISTENTVOLUMECLAIMS, "orphan", "Lost", ns),
        within=20,
        what="PersistentVolumeClaim orphan to be Lost",
    )
    events = await _events(api_client, ns, "orphan")
    assert events["ClaimLost"] == (
        "Bound claim has lost its PersistentVolume. Data on the volume is lost!"
    )


async def test_the_bound_claims_class_cannot_change(api_client: ApiClient) -> None:
    """A class given to a claim is fixed: changing it is a 422, nothing is stored."""
    ns = await _namespace(api_client, "immutable")
    claims = api_client.resource(PERSISTENTVOLUMECLAIMS)
    await claims.create(_pvc("fixed", "1Gi", storageClassName="manual"), namespace=ns)
    with pytest.raises(errors.StatusError) as caught:
        await claims.patch("fixed", {"spec": {"storageClassName": "other"}}, namespace=ns)
    assert caught.value.code == 422
    assert "spec is immutable after creation" in caught.value.message
    assert (await claims.get("fixed", namespace=ns))["spec"]["storageClassName"] == "manual"


async def test_a_claim_made_before_any_default_class_gets_one_later(
    api_client: ApiClient, controllers: None
) -> None:
    """The retroactive default StorageClass: the binder sets the class once one is default."""
    ns = await _namespace(api_client, "retro")
    classes = api_client.resource(STORAGECLASSES)
    default_key = "storageclass.kubernetes.io/is-default-class"

    async def class_exists() -> bool:
        try:
            await classes.get("local-path")
        except errors.StatusError:
            return False
        return True

    await eventually(class_exists, within=20, what="the local-path StorageClass")
    await classes.patch("local-path", {"metadata": {"annotations": {default_key: "false"}}})
    try:
        claims = api_client.resource(PERSISTENTVOLUMECLAIMS)
        created = await claims.create(_pvc("early", "1Gi"), namespace=ns)
        assert "storageClassName" not in created["spec"]
        await classes.create(
            {
                "metadata": {"name": "late", "annotations": {default_key: "true"}},
                "provisioner": "example.com/nothing",
            }
        )

        async def class_given() -> bool:
            claim = await claims.get("early", namespace=ns)
            return claim["spec"].get("storageClassName") == "late"

        # The binder looks again at every claim every 15 s.
        await eventually(class_given, within=40, what="the late StorageClass on the claim")
        await eventually(
            lambda: _has_event(api_client, ns, "early", "ExternalProvisioning"),
            within=20,
            what="an ExternalProvisioning event for early",
        )
        claim = await claims.get("early", namespace=ns)
        assert claim["metadata"]["annotations"]["volume.kubernetes.io/storage-provisioner"] == (
            "example.com/nothing"
        )
    finally:
        await classes.patch("local-path", {"metadata": {"annotations": {default_key: "true"}}})
        with contextlib.suppress(errors.StatusError):
            await classes.delete("late")
