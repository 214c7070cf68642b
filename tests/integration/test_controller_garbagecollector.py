"""The garbage collector against a real API server: background, foreground and orphan."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kubeling.api import errors
from kubeling.client import ApiClient, load_client_config
from kubeling.client.resources import CONFIGMAPS, SECRETS
from kubeling.controllers.manager import ControllerManagerOptions, run_controller_manager
from tests.support.cluster import RunningServer
from tests.support.waiting import eventually

NS = "default"


@pytest.fixture
async def collector(kubeling_server: RunningServer) -> AsyncIterator[None]:
    config = load_client_config(kubeling_server.kubeconfig)
    task = asyncio.create_task(
        run_controller_manager(
            config,
            ControllerManagerOptions(controllers=("garbage-collector",), leader_elect=False),
        )
    )
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _gone(client: ApiClient, resource: Any, name: str) -> bool:
    try:
        await client.resource(resource).get(name, namespace=NS)
    except errors.StatusError as err:
        return errors.is_not_found(err)
    return False


async def _owner_and_dependents(
    client: ApiClient, prefix: str, *, block: bool = False
) -> tuple[dict[str, Any], list[str]]:
    owner = await client.resource(CONFIGMAPS).create(
        {"metadata": {"name": f"{prefix}-owner"}}, namespace=NS
    )
    ref = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "blockOwnerDeletion": block,
    }
    names = []
    for i in range(2):
        dependent = await client.resource(SECRETS).create(
            {"metadata": {"name": f"{prefix}-dep{i}", "ownerReferences": [ref]}}, namespace=NS
        )
        names.append(dependent["metadata"]["name"])
    return owner, names


async def test_background_deletion_removes_dependents(
    api_client: ApiClient, collector: None
) -> None:
    owner, dependents = await _owner_and_dependents(api_client, "bg")
    await api_client.resource(CONFIGMAPS).delete(owner["metadata"]["name"], namespace=NS)
    for name in dependents:
        await eventually(
            lambda name=name: _gone(api_client, SECRETS, name),
            within=15,
            what=f"Secret {name} to be collected",
        )


async def test_a_dependent_of_a_missing_owner_is_deleted(
    api_client: ApiClient, collector: None
) -> None:
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "never", "uid": "0000-never"}
    await api_client.resource(SECRETS).create(
        {"metadata": {"name": "dangling", "ownerReferences": [ref]}}, namespace=NS
    )
    await eventually(
        lambda: _gone(api_client, SECRETS, "dangling"),
        within=15,
        what="Secret dangling to be collected",
    )


async def test_foreground_waits_for_blocking_dependents(
    api_client: ApiClient, collector: None
) -> None:
    owner, dependents = await _owner_and_dependents(api_client, "fg", block=True)
    # a finalizer on one dependent holds it, and so the owner
    await api_client.resource(SECRETS).patch(
        dependents[0], {"metadata": {"finalizers": ["example.com/hold"]}}, namespace=NS
    )
    owner_name = owner["metadata"]["name"]
    await api_client.resource(CONFIGMAPS).delete(
        owner_name, namespace=NS, propagation_policy="Foreground"
    )
    await eventually(
        lambda: _gone(api_client, SECRETS, dependents[1]),
        within=15,
        what=f"Secret {dependents[1]} to be collected",
    )
    held = await api_client.resource(CONFIGMAPS).get(owner_name, namespace=NS)
    assert held["metadata"]["deletionTimestamp"]
    assert "foregroundDeletion" in held["metadata"]["finalizers"]
    await api_client.resource(SECRETS).patch(
        dependents[0], {"metadata": {"finalizers": None}}, namespace=NS
    )
    await eventually(
        lambda: _gone(api_client, SECRETS, dependents[0]),
        within=15,
        what=f"Secret {dependents[0]} to be collected",
    )
    await eventually(
        lambda: _gone(api_client, CONFIGMAPS, owner_name),
        within=15,
        what=f"ConfigMap {owner_name} to be collected",
    )


async def test_orphan_keeps_dependents_without_the_reference(
    api_client: ApiClient, collector: None
) -> None:
    owner, dependents = await _owner_and_dependents(api_client, "or")
    owner_name = owner["metadata"]["name"]
    await api_client.resource(CONFIGMAPS).delete(
        owner_name, namespace=NS, propagation_policy="Orphan"
    )
    await eventually(
        lambda: _gone(api_client, CONFIGMAPS, owner_name),
        within=15,
        what=f"ConfigMap {owner_name} to be collected",
    )
    for name in dependents:
        kept = await api_client.resource(SECRETS).get(name, namespace=NS)
        assert not kept["metadata"].get("ownerReferences")


async def test_kubectl_delete_cascades(kubeling_server: RunningServer, collector: None) -> None:
    """kubectl's default (background) and --cascade=orphan, end to end."""
    async with ApiClient(load_client_config(kubeling_server.kubeconfig)) as client:
        owner, dependents = await _owner_and_dependents(client, "kc")
        await asyncio.to_thread(
            kubeling_server.kubectl, "delete", "configmap", owner["metadata"]["name"], "--wait"
        )
        for name in dependents:
            await eventually(
                lambda name=name: _gone(client, SECRETS, name),
                within=15,
                what=f"Secret {name} to be collected",
            )
        owner, dependents = await _owner_and_dependents(client, "ko")
        await asyncio.to_thread(
            kubeling_server.kubectl,
            "delete",
            "configmap",
            owner["metadata"]["name"],
            "--cascade=orphan",
        )
        await eventually(
            lambda: _gone(client, CONFIGMAPS, owner["metadata"]["name"]),
            within=15,
            what=f"ConfigMap {owner['metadata']['name']} to be collected",
        )
        for name in dependents:
            assert not (await client.resource(SECRETS).get(name, namespace=NS))["metadata"].get(
                "ownerReferences"
            )
