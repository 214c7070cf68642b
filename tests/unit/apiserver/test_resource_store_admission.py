"""The REST store runs the admission chain on every write, with the Attributes Kubernetes builds."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.api import errors
from kubeling.api.authentication.user import UserInfo
from kubeling.api.errors import StatusError
from kubeling.apiserver.admission.chain import AdmissionChain
from kubeling.apiserver.admission.interfaces import AdmissionPlugin, Attributes
from kubeling.apiserver.registry.builtin import builtin_resources
from kubeling.apiserver.registry.registry import Registry
from kubeling.apiserver.rest.options import DeleteOptions, ListOptions, WriteOptions
from kubeling.apiserver.rest.resource_store import ResourceStore
from kubeling.apiserver.rest.subresources import Scale
from kubeling.storage.memory import MemoryStore

USER = UserInfo("jane", groups=("dev",))


class Recorder(AdmissionPlugin):
    """Records both phases; labels ConfigMaps in the mutating phase."""

    name = "Recorder"

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str, str, bool, bool]] = []

    def _note(self, phase: str, a: Attributes) -> None:
        self.seen.append(
            (phase, a.operation, a.subresource, a.kind, a.obj is not None, a.old_obj is not None)
        )
        assert a.user == USER

    async def admit(self, attributes: Attributes) -> None:
        self._note("admit", attributes)
        if attributes.obj is not None and attributes.kind == "ConfigMap":
            attributes.obj.setdefault("metadata", {}).setdefault("labels", {})["admitted"] = "yes"

    async def validate(self, attributes: Attributes) -> None:
        self._note("validate", attributes)


def _stores() -> tuple[Recorder, Registry]:
    recorder = Recorder()
    registry = Registry(MemoryStore(), admission=AdmissionChain([recorder], user=lambda: USER))
    for resource in builtin_resources():
        registry.add(resource)
    return recorder, registry


def _rest(registry: Registry, group: str, version: str, plural: str) -> ResourceStore:
    rest = registry.lookup(group, version, plural)
    assert rest is not None
    return rest


CM: dict[str, Any] = {"metadata": {"name": "cm"}, "data": {"a": "1"}}


async def test_create_update_patch_delete_are_admitted() -> None:
    recorder, registry = _stores()
    cms = _rest(registry, "", "v1", "configmaps")
    made = await cms.create("ns", CM, WriteOptions())
    assert made["metadata"]["labels"] == {"admitted": "yes"}  # the mutation is stored
    await cms.update("ns", "cm", {**made, "data": {"a": "2"}}, WriteOptions())
    await cms.patch("ns", "cm", "merge", {"data": {"a": "3"}}, WriteOptions())
    await cms.delete("ns", "cm", DeleteOptions())
    assert recorder.seen == [
        ("admit", "CREATE", "", "ConfigMap", True, False),
        ("validate", "CREATE", "", "ConfigMap", True, False),
        ("admit", "UPDATE", "", "ConfigMap", True, True),
        ("validate", "UPDATE", "", "ConfigMap", True, True),
        ("admit", "UPDATE", "", "ConfigMap", True, True),
        ("validate", "UPDATE", "", "ConfigMap", True, True),
        ("admit", "DELETE", "", "ConfigMap", False, True),
        ("validate", "DELETE", "", "ConfigMap", False, True),
    ]


async def test_dry_runs_are_admitted_and_store_nothing() -> None:
    recorder, registry = _stores()
    cms = _rest(registry, "", "v1", "configmaps")
    answer = await cms.create("ns", CM, WriteOptions(dry_run=True))
    assert answer["metadata"]["labels"] == {"admitted": "yes"}
    assert [entry[:2] for entry in recorder.seen] == [("admit", "CREATE"), ("validate", "CREATE")]
    with pytest.raises(StatusError) as missing:
        await cms.get("ns", "cm")
    assert missing.value.code == 404


async def test_a_refusal_stops_the_write() -> None:
    class Refuser(AdmissionPlugin):
        name = "Refuser"

        async def validate(self, attributes: Attributes) -> None:
            raise errors.forbidden("configmaps", "cm", "no")

    registry = Registry(MemoryStore(), admission=AdmissionChain([Refuser()], user=lambda: USER))
    for resource in builtin_resources():
        registry.add(resource)
    cms = _rest(registry, "", "v1", "configmaps")
    with pytest.raises(StatusError) as refused:
        await cms.create("ns", CM, WriteOptions())
    assert refused.value.code == 403
    assert (await cms.list("ns", ListOptions()))["items"] == []


async def test_subresources_are_admitted_as_themselves() -> None:
    recorder, registry = _stores()
    deployments = _rest(registry, "apps", "v1", "deployments")
    deployment = {
        "metadata": {"name": "d"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "d"}},
            "template": {
                "metadata": {"labels": {"app": "d"}},
                "spec": {"containers": [{"name": "c", "image": "i"}]},
            },
        },
    }
    await deployments.create("ns", deployment, WriteOptions())
    recorder.seen.clear()
    await Scale(deployments).update("ns", "d", {"spec": {"replicas": 3}}, WriteOptions())
    current = await deployments.get("ns", "d")
    await deployments.update(
        "ns", "d", {**current, "status": {"replicas": 3}}, WriteOptions(), subresource="status"
    )
    assert recorder.seen == [
        ("admit", "UPDATE", "scale", "Scale", True, True),  # the Scale, not the Deployment
        ("validate", "UPDATE", "scale", "Scale", True, True),
        ("admit", "UPDATE", "status", "Deployment", True, True),
        ("validate", "UPDATE", "status", "Deployment", True, True),
    ]
    assert (await deployments.get("ns", "d"))["spec"]["replicas"] == 3


async def test_delete_collection_admits_each_object() -> None:
    recorder, registry = _stores()
    cms = _rest(registry, "", "v1", "configmaps")
    for name in ("a", "b"):
        await cms.create("ns", {"metadata": {"name": name}}, WriteOptions())
    recorder.seen.clear()
    await cms.delete_collection("ns", ListOptions(), DeleteOptions())
    assert [entry[:2] for entry in recorder.seen] == [
        ("admit", "DELETE"),
        ("validate", "DELETE"),
    ] * 2
