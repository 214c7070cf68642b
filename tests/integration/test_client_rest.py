"""kubeling.client's REST client against a real ``kubeling server``: verbs and typed errors."""

from __future__ import annotations

import asyncio
import itertools
from contextlib import aclosing
from typing import Any

import pytest

from kubeling.api import errors
from kubeling.api.errors import StatusError
from kubeling.client import ApiClient, PatchType, WatchEvent
from kubeling.client.resources import CONFIGMAPS, DEPLOYMENTS, NAMESPACES, NODES, PODS

_names = itertools.count()


async def _namespace(client: ApiClient) -> str:
    name = f"rest-{next(_names)}"
    await client.resource(NAMESPACES).create({"metadata": {"name": name}})
    return name


def _cm(name: str, namespace: str, **data: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": namespace}, "data": data}


async def test_crud_and_typed_errors(api_client: ApiClient) -> None:
    """create, get, update, list, delete; 404, 409 AlreadyExists, 409 Conflict, 422 Invalid."""
    ns = await _namespace(api_client)
    cms = api_client.resource(CONFIGMAPS)
    created = await cms.create(_cm("a", ns, k="1"))
    assert (created["kind"], created["data"]) == ("ConfigMap", {"k": "1"})
    read = await cms.get("a", namespace=ns)
    assert read["metadata"]["uid"] == created["metadata"]["uid"]

    with pytest.raises(StatusError) as missing:
        await cms.get("nope", namespace=ns)
    assert errors.is_not_found(missing.value)
    assert (missing.value.code, missing.value.message) == (404, 'configmaps "nope" not found')

    with pytest.raises(StatusError) as duplicate:
        await cms.create(_cm("a", ns))
    assert errors.is_already_exists(duplicate.value)
    assert duplicate.value.code == 409

    updated = await cms.update({**read, "data": {"k": "2"}})
    assert updated["metadata"]["resourceVersion"] != read["metadata"]["resourceVersion"]
    with pytest.raises(StatusError) as stale:
        await cms.update({**read, "data": {"k": "3"}})  # read's resourceVersion is stale now
    assert errors.is_conflict(stale.value)
    assert "the object has been modified" in stale.value.message

    bad_pod = {"metadata": {"name": "bad", "namespace": ns}, "spec": {"containers": []}}
    with pytest.raises(StatusError) as invalid:
        await api_client.resource(PODS).create(bad_pod)
    assert errors.is_invalid(invalid.value)
    assert invalid.value.code == 422
    assert invalid.value.details is not None
    assert "spec.containers" in [cause.field for cause in invalid.value.details.causes]

    await cms.delete("a", namespace=ns)
    with pytest.raises(StatusError) as gone:
        await cms.get("a", namespace=ns)
    assert errors.is_not_found(gone.value)


async def test_lists_page_and_select(api_client: ApiClient) -> None:
    """Label selectors filter; limit/continue walk every item exactly once."""
    ns = await _namespace(api_client)
    cms = api_client.resource(CONFIGMAPS)
    for i in range(5):
        body = _cm(f"c{i}", ns)
        body["metadata"]["labels"] = {"tier": "a" if i < 2 else "b"}
        await cms.create(body)
    selected = await cms.list(namespace=ns, label_selector="tier=a")
    assert sorted(i["metadata"]["name"] for i in selected["items"]) == ["c0", "c1"]
    names, token = [], ""
    while True:
        page = await cms.list(namespace=ns, label_selector="tier", limit=2, continue_token=token)
        names += [i["metadata"]["name"] for i in page["items"]]
        token = page["metadata"].get("continue", "")
        if not token:
            break
    assert names == [f"c{i}" for i in range(5)]


async def test_patch_types(api_client: ApiClient) -> None:
    """JSON patch, merge patch, strategic merge patch (by merge key) and server-side apply."""
    ns = await _namespace(api_client)
    cms = api_client.resource(CONFIGMAPS)
    await cms.create(_cm("p", ns, a="1", b="2"))
    patched = await cms.patch(
        "p",
        [{"op": "add", "path": "/data/c", "value": "3"}],
        namespace=ns,
        patch_type=PatchType.JSON,
    )
    assert patched["data"] == {"a": "1", "b": "2", "c": "3"}
    patched = await cms.patch("p", {"data": {"a": None}}, namespace=ns, patch_type=PatchType.MERGE)
    assert patched["data"] == {"b": "2", "c": "3"}

    deployments = api_client.resource(DEPLOYMENTS)
    labels = {"app": "web"}
    containers = [{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:1"}]
    await deployments.create(
        {
            "metadata": {"name": "web", "namespace": ns},
            "spec": {
                "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": {"containers": containers}},
            },
        }
    )
    strategic = {"spec": {"template": {"spec": {"containers": [{"name": "b", "image": "b:2"}]}}}}
    merged = await deployments.patch("web", strategic, namespace=ns)
    images = [c["image"] for c in merged["spec"]["template"]["spec"]["containers"]]
    assert images == ["a:1", "b:2"]  # merged by name, not replaced

    applied = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "p", "namespace": ns}}
    await cms.apply({**applied, "data": {"owned": "x"}}, field_manager="first")
    with pytest.raises(StatusError) as conflict:
        await cms.apply({**applied, "data": {"owned": "y"}}, field_manager="second")
    assert errors.is_conflict(conflict.value)
    forced = await cms.apply(
        {**applied, "data": {"owned": "y"}}, field_manager="second", force=True
    )
    assert forced["data"]["owned"] == "y"
    managers = {entry["manager"] for entry in forced["metadata"]["managedFields"]}
    assert "second" in managers


async def test_delete_options(api_client: ApiClient) -> None:
    """Preconditions (409 on a wrong uid), propagation policy, deletecollection by selector."""
    ns = await _namespace(api_client)
    cms = api_client.resource(CONFIGMAPS)
    created = await cms.create(_cm("d", ns))
    with pytest.raises(StatusError) as wrong_uid:
        await cms.delete("d", namespace=ns, precondition_uid="not-the-uid")
    assert errors.is_conflict(wrong_uid.value)
    await cms.delete(
        "d",
        namespace=ns,
        precondition_uid=created["metadata"]["uid"],
        precondition_resource_version=created["metadata"]["resourceVersion"],
        propagation_policy="Background",
        grace_period_seconds=0,
    )
    for i in range(3):
        body = _cm(f"x{i}", ns)
        body["metadata"]["labels"] = {"sweep": "yes" if i < 2 else "no"}
        await cms.create(body)
    await cms.delete_collection(namespace=ns, label_selector="sweep=yes")
    left = await cms.list(namespace=ns)
    assert [i["metadata"]["name"] for i in left["items"]] == ["x2"]


async def test_update_status_writes_only_status(api_client: ApiClient) -> None:
    """PUT to /status changes status and leaves the spec alone."""
    nodes = api_client.resource(NODES)
    node = await nodes.create({"metadata": {"name": "status-node"}, "spec": {}})
    condition = {"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "ok"}
    changed = {
        **node,
        "spec": {"unschedulable": True},
        "status": {"conditions": [condition]},
    }
    written = await nodes.update_status(changed)
    assert written["status"]["conditions"][0]["reason"] == "KubeletReady"
    assert not written["spec"].get("unschedulable")
    await nodes.delete("status-node")


async def test_watch_from_a_version(api_client: ApiClient) -> None:
    """Changes after a list's resourceVersion arrive in order; a too-old version is 410."""
    ns = await _namespace(api_client)
    cms = api_client.resource(CONFIGMAPS)
    version = (await cms.list(namespace=ns))["metadata"]["resourceVersion"]
    got: list[tuple[str, str]] = []

    async def watch() -> None:
        async with aclosing(
            cms.watch(namespace=ns, resource_version=version, timeout_seconds=30)
        ) as events:
            async for event in events:
                if event.type != "BOOKMARK":
                    got.append((event.type, event.object["metadata"]["name"]))
                if len(got) == 3:
                    return

    watcher = asyncio.create_task(watch())
    await cms.create(_cm("w", ns))
    await cms.patch("w", {"data": {"k": "v"}}, namespace=ns)
    await cms.delete("w", namespace=ns)
    await asyncio.wait_for(watcher, 30)
    assert got == [("ADDED", "w"), ("MODIFIED", "w"), ("DELETED", "w")]

    with pytest.raises(StatusError) as expired:
        async for _ in cms.watch(namespace=ns, resource_version="1"):
            pass
    assert errors.is_resource_expired(expired.value) or errors.is_gone(expired.value)
    assert expired.value.code == 410


async def test_watch_without_a_version_starts_with_what_exists(api_client: ApiClient) -> None:
    """No resourceVersion: synthetic ADDED events for the existing objects come first."""
    ns = await _namespace(api_client)
    cms = api_client.resource(CONFIGMAPS)
    await cms.create(_cm("there", ns))
    async with aclosing(cms.watch(namespace=ns, timeout_seconds=30)) as events:
        first = await anext(events)
    assert first == WatchEvent("ADDED", first.object)
    assert first.object["metadata"]["name"] in ("there", "kube-root-ca.crt")
