"""The CRD controllers inside a real API server: names, establishing, finalizing, restart.

An ``ApiServer`` runs in this process over a memory or sqlite store (plain
HTTP on a free port of 127.0.0.1, not used here): CRDs and their objects are
written through the registry as the HTTP handlers would, and the tests wait
for the controllers to reconcile.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from kubeling.api.errors import StatusError
from kubeling.apiserver.rest.options import DeleteOptions, ListOptions, WriteOptions
from kubeling.apiserver.rest.resource_store import ResourceStore
from kubeling.apiserver.server import ApiServer, ApiServerConfig
from tests.support.waiting import eventually

Obj = dict[str, Any]
W = WriteOptions()
GROUP = "stable.example.com"


def _crd(plural: str, kind: str, **names: Any) -> Obj:
    return {
        "metadata": {"name": f"{plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {"plural": plural, "kind": kind, **names},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "x-kubernetes-preserve-unknown-fields": True,
                        }
                    },
                }
            ],
        },
    }


class Cluster:
    """An ApiServer and shortcuts to its CRDs and custom resources."""

    def __init__(self, server: ApiServer) -> None:
        self.server = server
        assert server.registry is not None
        crds = server.registry.lookup("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        assert crds is not None
        self.crds: ResourceStore = crds

    def served(self, plural: str) -> ResourceStore | None:
        assert self.server.registry is not None
        return self.server.registry.lookup(GROUP, "v1", plural)

    async def crd(self, plural: str) -> Obj | None:
        try:
            return await self.crds.get("", f"{plural}.{GROUP}")
        except StatusError as err:
            if err.code != 404:
                raise
            return None

    async def condition(self, plural: str, kind: str) -> Obj | None:
        crd = await self.crd(plural)
        for cond in ((crd or {}).get("status") or {}).get("conditions") or []:
            if cond["type"] == kind:
                return dict(cond)
        return None

    async def wait_served(self, plural: str) -> ResourceStore:
        async def served() -> bool:
            return self.served(plural) is not None

        await eventually(served, within=20, what=f"{plural} served")
        rest = self.served(plural)
        assert rest is not None
        return rest

    async def wait_gone(self, plural: str) -> None:
        async def gone() -> bool:
            return await self.crd(plural) is None and self.served(plural) is None

        await eventually(gone, within=20, what=f"{plural} deleted")


async def _start(datastore: str) -> ApiServer:
    server = ApiServer(ApiServerConfig(datastore=datastore, port=0))
    await server.start()
    return server


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    server = await _start("memory://")
    try:
        yield Cluster(server)
    finally:
        await server.stop()


async def test_new_crd_gets_names_then_established(cluster: Cluster) -> None:
    """Names accepted, then Established, then served under the accepted names."""
    await cluster.crds.create("", _crd("crontabs", "CronTab", shortNames=["ct"]), W)
    rest = await cluster.wait_served("crontabs")
    crd = await cluster.crd("crontabs")
    assert crd is not None
    assert crd["status"]["acceptedNames"] == {
        "plural": "crontabs",
        "singular": "crontab",
        "shortNames": ["ct"],
        "kind": "CronTab",
        "listKind": "CronTabList",
    }
    assert [(c["type"], c["status"], c["reason"]) for c in crd["status"]["conditions"]] == [
        ("NamesAccepted", "True", "NoConflicts"),
        ("Established", "True", "InitialNamesAccepted"),
    ]
    assert rest.resource.short_names == ("ct",)


async def test_conflicting_names_are_not_served_until_freed(cluster: Cluster) -> None:
    """A CRD claiming another's short name is not accepted; deleting the other frees it."""
    await cluster.crds.create("", _crd("crontabs", "CronTab", shortNames=["ct"]), W)
    await cluster.wait_served("crontabs")
    await cluster.crds.create("", _crd("crontasks", "CronTask", shortNames=["ct"]), W)

    async def refused() -> bool:
        cond = await cluster.condition("crontasks", "NamesAccepted")
        return cond is not None and cond["status"] == "False"

    await eventually(refused, within=20, what="NamesAccepted=False")
    names_accepted = await cluster.condition("crontasks", "NamesAccepted")
    established = await cluster.condition("crontasks", "Established")
    assert names_accepted is not None
    assert established is not None
    assert (names_accepted["reason"], names_accepted["message"]) == (
        "ShortNamesConflict",
        '"ct" is already in use',
    )
    assert (established["status"], established["reason"]) == ("False", "NotAccepted")
    crd = await cluster.crd("crontasks")
    assert crd is not None
    assert "shortNames" not in crd["status"]["acceptedNames"]
    assert cluster.served("crontasks") is None

    await cluster.crds.delete("", f"crontabs.{GROUP}", DeleteOptions())
    await cluster.wait_gone("crontabs")
    rest = await cluster.wait_served("crontasks")
    assert rest.resource.short_names == ("ct",)


async def test_delete_removes_objects_honouring_their_finalizers(cluster: Cluster) -> None:
    """Terminating: new objects refused, objects deleted, finalizers waited for, CRD gone."""
    await cluster.crds.create("", _crd("crontabs", "CronTab"), W)
    rest = await cluster.wait_served("crontabs")
    await rest.create("default", {"metadata": {"name": "plain"}}, W)
    await rest.create(
        "kube-system", {"metadata": {"name": "held", "finalizers": ["example.com/x"]}}, W
    )

    deleted, gone = await cluster.crds.delete("", f"crontabs.{GROUP}", DeleteOptions())
    assert not gone
    assert deleted["metadata"]["finalizers"] == ["customresourcecleanup.apiextensions.k8s.io"]
    assert deleted["metadata"]["deletionTimestamp"]

    async def waiting() -> bool:
        listed = await rest.list("", ListOptions())
        return [i["metadata"]["name"] for i in listed["items"]] == ["held"]

    await eventually(waiting, within=20, what="the unheld object deleted")
    held = await rest.get("kube-system", "held")
    assert held["metadata"]["deletionTimestamp"]
    terminating = await cluster.condition("crontabs", "Terminating")
    assert terminating is not None
    assert (terminating["status"], terminating["reason"]) == ("True", "InstanceDeletionInProgress")
    assert rest.resource.discovery_verbs == ("delete", "deletecollection", "get", "list", "watch")
    with pytest.raises(StatusError) as refused:
        rest.strategy.admit_create()
    assert (refused.value.code, refused.value.reason, refused.value.message) == (
        405,
        "MethodNotAllowed",
        "create not allowed while custom resource definition is terminating",
    )

    released = copy.deepcopy(held)
    released["metadata"]["finalizers"] = []
    await rest.update("kube-system", "held", released, W)
    await cluster.wait_gone("crontabs")

    await cluster.crds.create("", _crd("crontabs", "CronTab"), W)
    again = await cluster.wait_served("crontabs")
    assert (await again.list("", ListOptions()))["items"] == []
    again.strategy.admit_create()  # a new CRD takes objects again


async def test_never_established_crd_goes_at_once(cluster: Cluster) -> None:
    """A CRD whose names were never accepted is released without touching any object."""
    await cluster.crds.create("", _crd("crontabs", "CronTab"), W)
    await cluster.wait_served("crontabs")
    await cluster.crds.create("", _crd("crontasks", "CronTab"), W)

    async def refused() -> bool:
        cond = await cluster.condition("crontasks", "NamesAccepted")
        return cond is not None and cond["status"] == "False"

    await eventually(refused, within=20, what="a kind conflict")
    # Never established: nothing to delete, the finalizer lets it go at once
    # (NeverEstablished), even with objects of the other CRD in the group.
    rest = cluster.served("crontabs")
    assert rest is not None
    await rest.create("default", {"metadata": {"name": "kept"}}, W)
    await cluster.crds.delete("", f"crontasks.{GROUP}", DeleteOptions())
    await cluster.wait_gone("crontasks")
    assert [i["metadata"]["name"] for i in (await rest.list("", ListOptions()))["items"]] == [
        "kept"
    ]


async def test_terminating_crd_finishes_after_restart(tmp_path: Path) -> None:
    """A CRD left terminating by a stopped server is served again, and finished, after restart."""
    datastore = f"sqlite:///{tmp_path / 'state.db'}"
    server = await _start(datastore)
    try:
        first = Cluster(server)
        await first.crds.create("", _crd("crontabs", "CronTab"), W)
        rest = await first.wait_served("crontabs")
        await rest.create("default", {"metadata": {"name": "held", "finalizers": ["a/b"]}}, W)
        await first.crds.delete("", f"crontabs.{GROUP}", DeleteOptions())

        async def in_progress() -> bool:
            cond = await first.condition("crontabs", "Terminating")
            return cond is not None and cond["reason"] == "InstanceDeletionInProgress"

        await eventually(in_progress, within=20, what="deletion in progress")
    finally:
        await server.stop()

    server = await _start(datastore)
    try:
        second = Cluster(server)
        rest = await second.wait_served("crontabs")
        with pytest.raises(StatusError):
            rest.strategy.admit_create()
        held = await rest.get("default", "held")
        held["metadata"]["finalizers"] = []
        await rest.update("default", "held", held, W)
        await second.wait_gone("crontabs")
    finally:
        await server.stop()
