"""The local-path provisioner's volumes, and which directories it may remove."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.controllers.volume.localpath import (
    ProvisioningError,
    local_path_storage_class,
    local_path_volume,
    removable_directory,
)

Obj = dict[str, Any]


def _claim(**spec: Any) -> Obj:
    return {
        "metadata": {"name": "data", "namespace": "web", "uid": "1234", "resourceVersion": "7"},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "3Gi"}},
            "storageClassName": "local-path",
            **spec,
        },
    }


_NODE = {"metadata": {"name": "node-1", "labels": {"kubernetes.io/hostname": "host-1"}}}


def test_the_volume_is_a_host_directory_on_the_selected_node() -> None:
    volume = local_path_volume(_claim(), _NODE, local_path_storage_class(), "/var/lib/k/storage")
    assert volume == {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {
            "name": "pvc-1234",
            "annotations": {"pv.kubernetes.io/provisioned-by": "rancher.io/local-path"},
        },
        "spec": {
            "persistentVolumeReclaimPolicy": "Delete",
            "accessModes": ["ReadWriteOnce"],
            "volumeMode": "Filesystem",
            "capacity": {"storage": "3Gi"},
            "hostPath": {
                "path": "/var/lib/k/storage/pvc-1234_web_data",
                "type": "DirectoryOrCreate",
            },
            "nodeAffinity": {
                "required": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {
                                    "key": "kubernetes.io/hostname",
                                    "operator": "In",
                                    "values": ["host-1"],
                                }
                            ]
                        }
                    ]
                }
            },
            "claimRef": {
                "kind": "PersistentVolumeClaim",
                "namespace": "web",
                "name": "data",
                "uid": "1234",
                "apiVersion": "v1",
                "resourceVersion": "7",
            },
            "storageClassName": "local-path",
        },
    }


def test_a_node_without_a_hostname_label_is_named_by_its_name() -> None:
    volume = local_path_volume(
        _claim(), {"metadata": {"name": "bare"}}, local_path_storage_class(), "/s"
    )
    term = volume["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]
    assert term["matchExpressions"][0]["values"] == ["bare"]


def test_the_class_reclaim_policy_is_the_volumes() -> None:
    retained = {**local_path_storage_class(), "reclaimPolicy": "Retain"}
    volume = local_path_volume(_claim(), _NODE, retained, "/s")
    assert volume["spec"]["persistentVolumeReclaimPolicy"] == "Retain"


@pytest.mark.parametrize(
    ("claim", "node", "message"),
    [
        (
            _claim(selector={"matchLabels": {"a": "b"}}),
            _NODE,
            "claim.Spec.Selector is not supported",
        ),
        (
            _claim(accessModes=["ReadWriteMany"]),
            _NODE,
            "NodePath only supports ReadWriteOnce and ReadWriteOncePod (1.22+) access modes",
        ),
        (_claim(), None, "configuration error, no node was specified"),
    ],
)
def test_what_cannot_be_provisioned(claim: Obj, node: Obj | None, message: str) -> None:
    with pytest.raises(ProvisioningError) as caught:
        local_path_volume(claim, node, local_path_storage_class(), "/s")
    assert str(caught.value) == message


def _volume(name: str, path: object) -> Obj:
    return {"metadata": {"name": name}, "spec": {"hostPath": {"path": path}}}


@pytest.mark.parametrize(
    ("volume", "removable"),
    [
        (_volume("pvc-1", "/base/pvc-1_ns_c"), "/base/pvc-1_ns_c"),
        (_volume("pvc-1", "/base/pvc-1_ns_c/"), "/base/pvc-1_ns_c"),
        # not directly under the base
        (_volume("pvc-1", "/base/deeper/pvc-1_ns_c"), None),
        (_volume("pvc-1", "/elsewhere/pvc-1_ns_c"), None),
        (_volume("pvc-1", "/base/../etc/pvc-1_ns_c"), None),
        # not named after the volume
        (_volume("pvc-1", "/base/pvc-2_ns_c"), None),
        (_volume("pvc-1", "/base"), None),
        (_volume("pvc-1", "/"), None),
        # no host path
        ({"metadata": {"name": "pvc-1"}, "spec": {"nfs": {"path": "/base/pvc-1_ns_c"}}}, None),
        (_volume("pvc-1", 7), None),
    ],
)
def test_removable_directory(volume: Obj, removable: str | None) -> None:
    assert removable_directory(volume, "/base") == removable
