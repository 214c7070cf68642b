"""The ingress controller against a real API server, with real traffic.

A ``kubeling server`` runs for the module; each test runs the controller
in-process (as ``kubeling ingress --node-name ingress-node`` would) on free
ports of 127.0.0.1. aiohttp servers on 127.0.0.1 stand in for pods: the tests
create Services and EndpointSlices pointing at them through the API, as the
proxy tests do, and check routing, readiness, classes, TLS Secrets and status.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kubeling.api import errors
from kubeling.client import ApiClient, load_client_config
from kubeling.client.resources import (
    ENDPOINTSLICES,
    INGRESSCLASSES,
    INGRESSES,
    NAMESPACES,
    NODES,
    SECRETS,
    SERVICES,
)
from kubeling.ingress import IngressOptions, IngressServer, Timeouts, run_ingress
from kubeling.pki import self_signed_serving_cert
from tests.support.cluster import RunningServer
from tests.support.controllers import eventually
from tests.support.ingress import WebBackend, request, served_certificate_cn
from tests.support.ingress_objects import Obj, ingress, path, rule, tls_secret

NODE = "ingress-node"
DEFAULT_CN = "Kubernetes Ingress Controller Fake Certificate"


@pytest.fixture
async def node(api_client: ApiClient) -> str:
    nodes = api_client.resource(NODES)
    try:
        await nodes.create({"metadata": {"name": NODE}})
    except errors.StatusError as err:
        if not errors.is_already_exists(err):
            raise
    status = {"addresses": [{"type": "InternalIP", "address": "127.0.0.1"}]}
    await nodes.patch(NODE, {"status": status}, subresource="status")
    return NODE


@pytest.fixture
async def namespace(api_client: ApiClient, request: pytest.FixtureRequest) -> AsyncIterator[str]:
    name = request.node.name.removeprefix("test_").replace("_", "-")[:50]
    await api_client.resource(NAMESPACES).create({"metadata": {"name": name}})
    yield name
    for resource in (INGRESSES, SERVICES, ENDPOINTSLICES):
        client = api_client.resource(resource)
        for item in (await client.list(namespace=name))["items"]:
            with contextlib.suppress(errors.StatusError):
                await client.delete(item["metadata"]["name"], namespace=name)


@pytest.fixture
async def controller(kubeling_server: RunningServer, node: str) -> AsyncIterator[IngressServer]:
    """The ingress controller of ``node``, serving on free ports; its server."""
    ready: asyncio.Future[IngressServer] = asyncio.get_running_loop().create_future()
    options = IngressOptions(
        node_name=node,
        default_certificate=self_signed_serving_cert(DEFAULT_CN),
        bind_address="127.0.0.1",
        http_port=0,
        https_port=0,
        timeouts=Timeouts(connect=1.0),
        min_sync_period=0.1,
    )
    task = asyncio.create_task(
        run_ingress(
            load_client_config(kubeling_server.kubeconfig), options, on_ready=ready.set_result
        )
    )
    async with asyncio.timeout(30):
        server = await asyncio.shield(ready)
    yield server
    if task.done() and task.exception() is not None:
        raise AssertionError("the ingress controller failed") from task.exception()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert server.active == 0


@pytest.fixture
async def pods() -> AsyncIterator[list[WebBackend]]:
    servers = [await WebBackend(f"pod-{n}").start() for n in range(3)]
    yield servers
    for server in servers:
        await server.close()


async def expose(
    client: ApiClient,
    namespace: str,
    name: str,
    backends: list[WebBackend],
    *,
    ready: bool = True,
) -> None:
    """A Service ``name`` (port 80, named http) whose slice lists ``backends``."""
    services = client.resource(SERVICES)
    with contextlib.suppress(errors.StatusError):
        await services.create(
            {
                "metadata": {"name": name, "namespace": namespace},
                "spec": {"ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
            }
        )
    slices = client.resource(ENDPOINTSLICES)
    for backend in backends:
        body: Obj = {
            "metadata": {
                "name": f"{name}-{backend.port}",
                "namespace": namespace,
                "labels": {"kubernetes.io/service-name": name},
            },
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": backend.port, "protocol": "TCP"}],
            "endpoints": [{"addresses": ["127.0.0.1"], "conditions": {"ready": ready}}],
        }
        try:
            await slices.create(body)
        except errors.StatusError as err:
            if not errors.is_already_exists(err):
                raise
            current = await slices.get(body["metadata"]["name"], namespace=namespace)
            body["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
            await slices.update(body)


async def create_ingress(client: ApiClient, namespace: str, body: Obj) -> Obj:
    body = {**body, "metadata": {"name": body["metadata"]["name"], "namespace": namespace}}
    return await client.resource(INGRESSES).create(body)


def name_of(answer: Any) -> str:
    return str(answer.json()["name"])


async def test_ingress_class_created(controller: IngressServer, api_client: ApiClient) -> None:
    """The kubeling IngressClass exists, ours and the default."""
    found = await api_client.resource(INGRESSCLASSES).get("kubeling")
    assert found["spec"]["controller"] == "kubeling.io/ingress-controller"
    annotations = found["metadata"]["annotations"]
    assert annotations["ingressclass.kubernetes.io/is-default-class"] == "true"


async def test_routes_hosts_and_paths_and_sets_status(
    controller: IngressServer, api_client: ApiClient, namespace: str, pods: list[WebBackend]
) -> None:
    """Two hosts and two paths to two Services; status.loadBalancer gets the node's IP."""
    await expose(api_client, namespace, "web", pods[:2])
    await expose(api_client, namespace, "api", pods[2:])
    site = ingress(
        "site",
        rule("web.test", path("/", "web"), path("/api", "api", "http")),
        rule("api.test", path("/", "api")),
    )
    await create_ingress(api_client, namespace, site)
    port = controller.addresses["http"][1]

    async def routed() -> bool:
        return (await request(port, "api.test")).status == 200

    await eventually(routed)
    assert name_of(await request(port, "api.test", "/x")) == "pod-2"
    assert name_of(await request(port, "web.test", "/api/v1")) == "pod-2"
    seen = {name_of(await request(port, "web.test", "/")) for _ in range(4)}
    assert seen == {"pod-0", "pod-1"}
    assert (await request(port, "other.test")).status == 404

    async def status_set() -> bool:
        obj = await api_client.resource(INGRESSES).get("site", namespace=namespace)
        return bool(obj["status"].get("loadBalancer", {}).get("ingress"))

    await eventually(status_set)
    obj = await api_client.resource(INGRESSES).get("site", namespace=namespace)
    assert obj["status"]["loadBalancer"]["ingress"] == [{"ip": "127.0.0.1"}]


async def test_only_ready_endpoints(
    controller: IngressServer, api_client: ApiClient, namespace: str, pods: list[WebBackend]
) -> None:
    """A Service without a ready endpoint answers 503; readiness brings it back."""
    await expose(api_client, namespace, "web", pods[:1], ready=False)
    await create_ingress(api_client, namespace, ingress("i", rule("r.test", path("/", "web"))))
    port = controller.addresses["http"][1]

    async def answers(status: int) -> bool:
        return (await request(port, "r.test")).status == status

    await eventually(lambda: answers(503), within=15, what="503")
    await expose(api_client, namespace, "web", pods[:1], ready=True)
    await eventually(lambda: answers(200), within=15, what="200")


async def test_other_classes_are_left_alone(
    controller: IngressServer, api_client: ApiClient, namespace: str, pods: list[WebBackend]
) -> None:
    """An Ingress of another controller's class is neither routed nor given status."""
    classes = api_client.resource(INGRESSCLASSES)
    with contextlib.suppress(errors.StatusError):
        await classes.create(
            {"metadata": {"name": "other"}, "spec": {"controller": "example.com/other"}}
        )
    await expose(api_client, namespace, "web", pods[:1])
    theirs = ingress("theirs", rule("theirs.test", path("/", "web")), class_name="other")
    ours = ingress("ours", rule("ours.test", path("/", "web")), class_name="kubeling")
    await create_ingress(api_client, namespace, theirs)
    await create_ingress(api_client, namespace, ours)
    port = controller.addresses["http"][1]

    async def ours_routed() -> bool:
        return (await request(port, "ours.test")).status == 200

    await eventually(ours_routed)
    assert (await request(port, "theirs.test")).status == 404
    obj = await api_client.resource(INGRESSES).get("theirs", namespace=namespace)
    assert not obj["status"].get("loadBalancer", {}).get("ingress")

    async def address_of(name: str) -> list[Any]:
        obj = await api_client.resource(INGRESSES).get(name, namespace=namespace)
        return list(obj["status"].get("loadBalancer", {}).get("ingress") or [])

    await eventually(lambda: address_of("ours"), within=15, what="status of ours")
    # Handed to the other class: no longer routed, and the status we wrote taken back.
    await api_client.resource(INGRESSES).patch(
        "ours", {"spec": {"ingressClassName": "other"}}, namespace=namespace
    )

    async def let_go() -> bool:
        return not await address_of("ours") and (await request(port, "ours.test")).status == 404

    await eventually(let_go, within=15, what="ours let go")


async def test_tls_secret_by_sni(
    controller: IngressServer, api_client: ApiClient, namespace: str, pods: list[WebBackend]
) -> None:
    """A kubernetes.io/tls Secret named in spec.tls is served for its host; a changed
    Secret is picked up; other names get the default certificate."""
    cert, key = self_signed_serving_cert("secure.test", dns_names=["secure.test"])
    secrets = api_client.resource(SECRETS)
    await secrets.create(tls_secret("tls", cert, key, namespace=namespace))
    await expose(api_client, namespace, "web", pods[:1])
    secure = ingress(
        "secure",
        rule("secure.test", path("/", "web")),
        tls=[{"hosts": ["secure.test"], "secretName": "tls"}],
    )
    await create_ingress(api_client, namespace, secure)
    port = controller.addresses["https"][1]

    async def served(cn: str) -> bool:
        return await served_certificate_cn(port, "secure.test") == cn

    await eventually(lambda: served("secure.test"))
    assert await served_certificate_cn(port, "plain.test") == DEFAULT_CN
    answer = await request(port, "secure.test", tls_name="secure.test")
    assert name_of(answer) == "pod-0"
    assert answer.json()["headers"]["x-forwarded-proto"] == "https"
    cert2, key2 = self_signed_serving_cert("renewed", dns_names=["secure.test"])
    current = await secrets.get("tls", namespace=namespace)
    await secrets.update(
        tls_secret("tls", cert2, key2, namespace=namespace) | {"metadata": {**current["metadata"]}}
    )
    await eventually(lambda: served("renewed"))
