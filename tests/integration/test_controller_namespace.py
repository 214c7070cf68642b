"""Namespace deletion, the default ServiceAccount and the root CA ConfigMap, on a real server.

``kubectl delete namespace`` waits until the namespace is gone; the namespace
controller gets it there: it deletes every object in it (built-in and
custom), reports what remains in the namespace's conditions while a
finalizer holds an object, and finalizes the namespace once everything went.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from kubeling.api import errors
from kubeling.client import ApiClient, load_client_config
from kubeling.client.resources import CONFIGMAPS, NAMESPACES, SERVICEACCOUNTS, Resource
from tests.support.cluster import RunningServer, kubectl_binary
from tests.support.controllers import controller_manager, eventually

Obj = dict[str, Any]

CRD = Path(__file__).resolve().parents[1] / "e2e" / "crontab-crd.yaml"
CRONTABS = Resource(
    group="stable.example.com", version="v1", plural="crontabs", kind="CronTab", namespaced=True
)
HOLD = "example.com/hold"


@pytest.fixture
async def controllers(kubeling_server: RunningServer) -> AsyncIterator[None]:
    async with controller_manager(
        kubeling_server, "namespace", "serviceaccount", "root-ca-cert-publisher"
    ):
        yield


async def get_or_none(
    client: ApiClient, resource: Resource, name: str, namespace: str = ""
) -> Obj | None:
    try:
        return await client.resource(resource).get(name, namespace=namespace)
    except errors.StatusError as err:
        if errors.is_not_found(err):
            return None
        raise


def conditions(namespace: Obj) -> dict[str, tuple[str, str, str]]:
    return {
        c["type"]: (c["status"], c["reason"], c["message"])
        for c in (namespace.get("status") or {}).get("conditions") or ()
    }


async def test_kubectl_delete_namespace_waits_for_everything_to_go(
    api_client: ApiClient, controllers: None, kubeling_server: RunningServer
) -> None:
    """ConfigMaps, a custom resource and a finalizer-held object: all gone, then the namespace."""
    kubeling_server.kubectl("apply", "-f", str(CRD))
    kubeling_server.kubectl(
        "wait", "--for=condition=Established", "crd/crontabs.stable.example.com", "--timeout=30s"
    )
    await api_client.resource(NAMESPACES).create({"metadata": {"name": "doomed"}})
    for n in range(3):
        await api_client.resource(CONFIGMAPS).create(
            {"metadata": {"name": f"cm-{n}", "namespace": "doomed"}, "data": {"n": str(n)}}
        )
    await api_client.resource(CONFIGMAPS).create(
        {"metadata": {"name": "held", "namespace": "doomed", "finalizers": [HOLD]}}
    )
    await api_client.resource(CRONTABS).create(
        {
            "apiVersion": "stable.example.com/v1",
            "kind": "CronTab",
            "metadata": {"name": "nightly", "namespace": "doomed"},
            "spec": {"cronSpec": "0 0 * * *", "image": "backup"},
        }
    )

    # kubectl waits (--wait is the default) until the namespace is gone
    deleting = await asyncio.create_subprocess_exec(
        kubectl_binary(),
        "delete",
        "namespace",
        "doomed",
        "--timeout=120s",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={
            **os.environ,
            "HOME": str(kubeling_server.home),
            "KUBECONFIG": str(kubeling_server.kubeconfig),
        },
    )
    try:

        async def held_back() -> Obj | None:
            namespace = await get_or_none(api_client, NAMESPACES, "doomed")
            found = conditions(namespace or {})
            if found.get("NamespaceFinalizersRemaining", ("",))[0] == "True":
                return namespace
            return None

        namespace = await eventually(held_back, what="the finalizer condition")
        assert namespace["status"]["phase"] == "Terminating"
        found = conditions(namespace)
        assert found["NamespaceFinalizersRemaining"] == (
            "True",
            "SomeFinalizerRemain",
            f"Some finalizers are remaining: {HOLD} in 1 resource instances",
        )
        assert found["NamespaceContentRemaining"] == (
            "True",
            "SomeResourcesRemain",
            "Some resources are remaining: configmaps. has 1 resource instances",
        )
        assert found["NamespaceDeletionDiscoveryFailure"][:2] == ("False", "ResourcesDiscovered")
        assert found["NamespaceDeletionContentFailure"][:2] == ("False", "ContentDeleted")
        left = await api_client.resource(CONFIGMAPS).list(namespace="doomed")
        assert [cm["metadata"]["name"] for cm in left["items"]] == ["held"]
        assert (await api_client.resource(CRONTABS).list(namespace="doomed"))["items"] == []
        assert deleting.returncode is None  # kubectl still waiting

        # Nothing new may be created meanwhile, and the refusal says why.
        with pytest.raises(errors.StatusError) as refused:
            await api_client.resource(CONFIGMAPS).create(
                {"metadata": {"name": "late", "namespace": "doomed"}}
            )
        assert refused.value.code == 403
        assert errors.has_status_cause(refused.value, errors.CAUSE_NAMESPACE_TERMINATING)

        await api_client.resource(CONFIGMAPS).patch(
            "held", {"metadata": {"finalizers": None}}, namespace="doomed"
        )
        async with asyncio.timeout(90):
            stdout, stderr = await deleting.communicate()
    finally:
        if deleting.returncode is None:
            deleting.kill()
            await deleting.communicate()
    assert deleting.returncode == 0, stderr.decode()
    assert stdout.decode().strip() == 'namespace "doomed" deleted'
    assert await get_or_none(api_client, NAMESPACES, "doomed") is None
    gone = kubeling_server.kubectl("get", "namespace", "doomed", check=False)
    assert gone.returncode == 1
    assert 'namespaces "doomed" not found' in gone.stderr


async def test_a_new_namespace_gets_its_default_service_account_and_root_ca(
    api_client: ApiClient, controllers: None, kubeling_server: RunningServer
) -> None:
    """``default`` and ``kube-root-ca.crt`` appear, and come back when deleted or changed."""
    await api_client.resource(NAMESPACES).create({"metadata": {"name": "fresh"}})
    accounts = api_client.resource(SERVICEACCOUNTS)
    account = await eventually(
        lambda: get_or_none(api_client, SERVICEACCOUNTS, "default", "fresh"), what="default SA"
    )
    listed = kubeling_server.kubectl("get", "serviceaccounts", "-n", "fresh").stdout
    assert listed.splitlines()[1].split()[0] == "default"

    await accounts.delete("default", namespace="fresh")

    async def recreated() -> Obj | None:
        again = await get_or_none(api_client, SERVICEACCOUNTS, "default", "fresh")
        if again and again["metadata"]["uid"] != account["metadata"]["uid"]:
            return again
        return None

    await eventually(recreated, what="default SA recreated")

    ca = load_client_config(kubeling_server.kubeconfig).ca_pem
    assert ca is not None
    configmap = await eventually(
        lambda: get_or_none(api_client, CONFIGMAPS, "kube-root-ca.crt", "fresh"),
        what="root CA ConfigMap",
    )
    assert configmap["data"] == {"ca.crt": ca.decode()}
    assert configmap["metadata"]["annotations"]["kubernetes.io/description"].startswith(
        "Contains a CA bundle that can be used to verify the kube-apiserver"
    )
    await api_client.resource(CONFIGMAPS).patch(
        "kube-root-ca.crt", {"data": {"ca.crt": "tampered"}}, namespace="fresh"
    )

    async def restored() -> bool:
        current = await get_or_none(api_client, CONFIGMAPS, "kube-root-ca.crt", "fresh")
        return current is not None and current["data"] == {"ca.crt": ca.decode()}

    await eventually(restored, what="root CA restored")
