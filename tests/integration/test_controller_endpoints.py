"""The Endpoints and EndpointSlice controllers against a real API server.

There is no kubelet: the tests play it by patching pod status (``podIP``,
``phase``, the ``Ready`` condition) through the ``status`` subresource, and
create the Nodes pods run on. Each test works in its own namespace.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from kubeling.api import errors
from kubeling.api.timestamps import format_time
from kubeling.client import ApiClient
from kubeling.client.resources import (
    ENDPOINTS,
    ENDPOINTSLICES,
    NAMESPACES,
    NODES,
    PODS,
    SERVICES,
)
from tests.support.cluster import RunningServer
from tests.support.controllers import controller_manager, eventually

Obj = dict[str, Any]

SLICE_SELECTOR = "kubernetes.io/service-name={}"


@pytest.fixture
async def controllers(kubeling_server: RunningServer) -> AsyncIterator[None]:
    async with controller_manager(kubeling_server, "endpoints", "endpointslice"):
        yield


@pytest.fixture
async def namespace(api_client: ApiClient, request: pytest.FixtureRequest) -> str:
    """A fresh namespace named after the test, and the node its pods run on."""
    name = request.node.name.removeprefix("test_").replace("_", "-")[:50]
    await api_client.resource(NAMESPACES).create({"metadata": {"name": name}})
    try:
        await api_client.resource(NODES).create(
            {"metadata": {"name": "node-1", "labels": {"topology.kubernetes.io/zone": "zone-a"}}}
        )
    except errors.StatusError as err:
        if not errors.is_already_exists(err):
            raise
    return name


async def create_service(client: ApiClient, namespace: str, name: str, **spec: Any) -> Obj:
    body: Obj = {"metadata": {"name": name, "namespace": namespace}, "spec": spec}
    return await client.resource(SERVICES).create(body)


async def create_pod(
    client: ApiClient,
    namespace: str,
    name: str,
    *,
    ip: str,
    ready: bool = True,
    labels: dict[str, str] | None = None,
    ports: list[Obj] | None = None,
    **spec: Any,
) -> Obj:
    """A pod on node-1, then its status as a kubelet would report it."""
    container: Obj = {"name": "app", "image": "app:1"}
    container["ports"] = [{"name": "http", "containerPort": 8080}] if ports is None else ports
    body: Obj = {
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {"app": "web"}},
        "spec": {"nodeName": "node-1", "containers": [container], **spec},
    }
    await client.resource(PODS).create(body)
    return await set_status(client, namespace, name, ip=ip, ready=ready)


async def set_status(client: ApiClient, namespace: str, name: str, *, ip: str, ready: bool) -> Obj:
    status = {
        "phase": "Running",
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "conditions": [
            {
                "type": "Ready",
                "status": "True" if ready else "False",
                "lastTransitionTime": format_time(),
            }
        ],
    }
    return await client.resource(PODS).patch(
        name, {"status": status}, namespace=namespace, subresource="status"
    )


async def endpoints_of(client: ApiClient, namespace: str, name: str) -> Obj | None:
    try:
        return await client.resource(ENDPOINTS).get(name, namespace=namespace)
    except errors.StatusError as err:
        if errors.is_not_found(err):
            return None
        raise


def ips(endpoints: Obj | None, field: str = "addresses") -> list[str]:
    if endpoints is None:
        return []
    return sorted(a["ip"] for s in endpoints.get("subsets") or () for a in s.get(field) or ())


async def slices_of(client: ApiClient, namespace: str, service: str) -> list[Obj]:
    listed = await client.resource(ENDPOINTSLICES).list(
        namespace=namespace, label_selector=SLICE_SELECTOR.format(service)
    )
    return list(listed["items"])


def slice_readiness(slices: list[Obj]) -> dict[str, bool]:
    return {
        e["addresses"][0]: e["conditions"]["ready"]
        for s in slices
        for e in s.get("endpoints") or ()
    }


WEB_PORTS = [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]


async def test_endpoints_follow_pod_readiness(
    api_client: ApiClient, controllers: None, namespace: str
) -> None:
    """Ready pods are addresses, others not-ready; readiness changes move them; slices agree."""
    await create_service(api_client, namespace, "web", selector={"app": "web"}, ports=WEB_PORTS)
    await create_pod(api_client, namespace, "web-1", ip="10.1.0.1", ready=True)
    await create_pod(api_client, namespace, "web-2", ip="10.1.0.2", ready=False)

    async def split(ready: list[str], not_ready: list[str]) -> Obj | None:
        endpoints = await endpoints_of(api_client, namespace, "web")
        if ips(endpoints) == ready and ips(endpoints, "notReadyAddresses") == not_ready:
            return endpoints
        return None

    endpoints = await eventually(lambda: split(["10.1.0.1"], ["10.1.0.2"]), what="endpoints")
    (subset,) = endpoints["subsets"]
    assert subset["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    address = subset["addresses"][0]
    assert address["nodeName"] == "node-1"
    assert address["targetRef"]["kind"] == "Pod"
    assert address["targetRef"]["name"] == "web-1"
    # (The trigger-time annotation is approximate by design: a sync retried after a
    # conflict may write none. Its rules are unit-tested.)

    async def slices_ready(expected: dict[str, bool]) -> list[Obj] | None:
        slices = await slices_of(api_client, namespace, "web")
        return slices if slice_readiness(slices) == expected else None

    (slice_,) = await eventually(
        lambda: slices_ready({"10.1.0.1": True, "10.1.0.2": False}), what="slices"
    )
    assert slice_["metadata"]["generateName"] == "web-"
    assert slice_["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] == (
        "endpointslice-controller.k8s.io"
    )
    assert slice_["metadata"]["ownerReferences"][0]["kind"] == "Service"
    assert slice_["addressType"] == "IPv4"
    assert {e["zone"] for e in slice_["endpoints"]} == {"zone-a"}

    await set_status(api_client, namespace, "web-2", ip="10.1.0.2", ready=True)
    await set_status(api_client, namespace, "web-1", ip="10.1.0.1", ready=False)
    await eventually(lambda: split(["10.1.0.2"], ["10.1.0.1"]), what="readiness swap")
    await eventually(lambda: slices_ready({"10.1.0.1": False, "10.1.0.2": True}))

    await api_client.resource(PODS).delete("web-1", namespace=namespace, grace_period_seconds=0)
    await eventually(lambda: split(["10.1.0.2"], []), what="deleted pod gone")
    await eventually(lambda: slices_ready({"10.1.0.2": True}))


async def test_named_ports_resolve_per_pod(
    api_client: ApiClient, controllers: None, namespace: str
) -> None:
    """A named targetPort is each pod's own number; a pod without it has no endpoint."""
    await create_service(api_client, namespace, "web", selector={"app": "web"}, ports=WEB_PORTS)
    await create_pod(api_client, namespace, "a", ip="10.2.0.1")
    await create_pod(
        api_client, namespace, "b", ip="10.2.0.2", ports=[{"name": "http", "containerPort": 9090}]
    )
    await create_pod(
        api_client, namespace, "c", ip="10.2.0.3", ports=[{"name": "metrics", "containerPort": 9}]
    )

    async def by_port() -> dict[int, list[str]] | None:
        endpoints = await endpoints_of(api_client, namespace, "web")
        found = {
            p["port"]: sorted(a["ip"] for a in s.get("addresses") or ())
            for s in (endpoints or {}).get("subsets") or ()
            for p in s["ports"]
        }
        return found if found == {8080: ["10.2.0.1"], 9090: ["10.2.0.2"]} else None

    await eventually(by_port, what="one subset per resolved port")

    async def slice_ports() -> list[tuple[list[int], list[str]]] | None:
        slices = await slices_of(api_client, namespace, "web")
        found = sorted(
            (
                [p.get("port") for p in s.get("ports") or ()],
                sorted(e["addresses"][0] for e in s.get("endpoints") or ()),
            )
            for s in slices
        )
        # The pod without the port is an endpoint with no ports in its own slice, as upstream.
        expected = [([], ["10.2.0.3"]), ([8080], ["10.2.0.1"]), ([9090], ["10.2.0.2"])]
        return found if found == expected else None

    await eventually(slice_ports, what="one slice per port set")


async def test_headless_service_publishes_hostnames(
    api_client: ApiClient, controllers: None, namespace: str
) -> None:
    """A headless service without ports: addresses with hostnames, the headless label."""
    await create_service(api_client, namespace, "db", selector={"app": "db"}, clusterIP="None")
    for n in range(2):
        await create_pod(
            api_client,
            namespace,
            f"db-{n}",
            ip=f"10.3.0.{n + 1}",
            labels={"app": "db"},
            hostname=f"db-{n}",
            subdomain="db",
        )

    async def hostnames() -> Obj | None:
        endpoints = await endpoints_of(api_client, namespace, "db")
        if endpoints is None or len(ips(endpoints)) != 2:
            return None
        return endpoints

    endpoints = await eventually(hostnames, what="headless endpoints")
    (subset,) = endpoints["subsets"]
    assert [a["hostname"] for a in subset["addresses"]] == ["db-0", "db-1"]
    assert "ports" not in subset
    assert endpoints["metadata"]["labels"] == {"service.kubernetes.io/headless": ""}
    slices = await eventually(lambda: slices_of(api_client, namespace, "db"))
    assert slices[0]["metadata"]["labels"]["service.kubernetes.io/headless"] == ""


async def test_publish_not_ready_addresses(
    api_client: ApiClient, controllers: None, namespace: str
) -> None:
    """With publishNotReadyAddresses an unready pod is a ready address."""
    await create_service(
        api_client,
        namespace,
        "peers",
        selector={"app": "web"},
        ports=WEB_PORTS,
        publishNotReadyAddresses=True,
    )
    await create_pod(api_client, namespace, "p", ip="10.4.0.1", ready=False)

    async def published() -> bool:
        return ips(await endpoints_of(api_client, namespace, "peers")) == ["10.4.0.1"]

    await eventually(published, what="not-ready pod published")


async def test_endpoints_of_services_without_selector_are_left_alone(
    api_client: ApiClient, controllers: None, namespace: str
) -> None:
    """Hand-written Endpoints stay as written; the controllers make no slices for them."""
    await create_service(api_client, namespace, "external", ports=WEB_PORTS)
    manual = {
        "metadata": {"name": "external", "namespace": namespace},
        "subsets": [{"addresses": [{"ip": "192.0.2.1"}], "ports": [{"name": "http", "port": 80}]}],
    }
    await api_client.resource(ENDPOINTS).create(manual)
    # A selector service created afterwards is a marker: once it is synced, so was "external".
    await create_service(api_client, namespace, "marker", selector={"app": "web"}, ports=WEB_PORTS)
    await eventually(lambda: endpoints_of(api_client, namespace, "marker"))
    await eventually(lambda: slices_of(api_client, namespace, "marker"))
    assert ips(await endpoints_of(api_client, namespace, "external")) == ["192.0.2.1"]
    assert await slices_of(api_client, namespace, "external") == []


async def test_endpoints_and_slices_go_with_the_service(
    api_client: ApiClient, controllers: None, namespace: str
) -> None:
    """Deleting the service deletes its Endpoints and EndpointSlices."""
    await create_service(api_client, namespace, "web", selector={"app": "web"}, ports=WEB_PORTS)
    await create_pod(api_client, namespace, "web-1", ip="10.5.0.1")
    await eventually(lambda: endpoints_of(api_client, namespace, "web"))
    await eventually(lambda: slices_of(api_client, namespace, "web"))
    await api_client.resource(SERVICES).delete("web", namespace=namespace)

    async def gone() -> bool:
        endpoints = await endpoints_of(api_client, namespace, "web")
        return endpoints is None and not await slices_of(api_client, namespace, "web")

    await eventually(gone, what="endpoints and slices deleted")


async def test_slices_split_beyond_100_endpoints(
    api_client: ApiClient, controllers: None, namespace: str
) -> None:
    """150 pods: two slices (100 + 50); fewer pods later: the emptied slice goes."""
    await create_service(api_client, namespace, "big", selector={"app": "big"}, ports=WEB_PORTS)
    for n in range(150):
        await create_pod(
            api_client,
            namespace,
            f"big-{n}",
            ip=f"10.6.{n // 200}.{n % 200 + 1}",
            labels={"app": "big"},
        )

    async def sizes(expected: list[int]) -> list[Obj] | None:
        slices = await slices_of(api_client, namespace, "big")
        found = sorted(len(s.get("endpoints") or ()) for s in slices)
        return slices if found == expected else None

    slices = await eventually(lambda: sizes([50, 100]), what="two slices")
    small = next(s for s in slices if len(s["endpoints"]) == 50)
    for endpoint in small["endpoints"]:
        await api_client.resource(PODS).delete(
            endpoint["targetRef"]["name"], namespace=namespace, grace_period_seconds=0
        )
    await eventually(lambda: sizes([100]), what="the emptied slice deleted")

    async def hundred_addresses() -> bool:
        return len(ips(await endpoints_of(api_client, namespace, "big"))) == 100

    await eventually(hundred_addresses, what="the Endpoints down to 100 addresses")


async def test_kubectl_shows_endpoints_and_slices(
    api_client: ApiClient, controllers: None, namespace: str, kubeling_server: RunningServer
) -> None:
    """``kubectl get endpoints``, ``get endpointslices`` and ``describe svc`` show them."""
    await create_service(api_client, namespace, "web", selector={"app": "web"}, ports=WEB_PORTS)
    await create_pod(api_client, namespace, "web-1", ip="10.7.0.1")
    await create_pod(api_client, namespace, "web-2", ip="10.7.0.2")

    async def both_ready() -> bool:
        ready = ips(await endpoints_of(api_client, namespace, "web")) == ["10.7.0.1", "10.7.0.2"]
        slices = await slices_of(api_client, namespace, "web")
        return ready and len(slice_readiness(slices)) == 2

    await eventually(both_ready)
    got = kubeling_server.kubectl("get", "endpoints", "web", "-n", namespace).stdout
    assert "10.7.0.1:8080,10.7.0.2:8080" in got
    slices = kubeling_server.kubectl("get", "endpointslices", "-n", namespace).stdout
    header, row = slices.splitlines()[:2]
    assert header.split() == ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]
    assert row.startswith("web-")
    assert row.split()[1:3] == ["IPv4", "8080"]
    assert sorted(row.split()[3].split(",")) == ["10.7.0.1", "10.7.0.2"]
    described = kubeling_server.kubectl("describe", "svc", "web", "-n", namespace).stdout
    assert "Endpoints:" in described
    assert "10.7.0.1:8080,10.7.0.2:8080" in described


async def test_endpoints_of_selectorless_services_are_mirrored_to_slices(
    api_client: ApiClient, kubeling_server: RunningServer, namespace: str
) -> None:
    """The mirroring controller copies hand-written Endpoints into slices, and removes them."""
    await create_service(api_client, namespace, "ext", ports=WEB_PORTS)
    manual = {
        "metadata": {"name": "ext", "namespace": namespace, "labels": {"team": "db"}},
        "subsets": [
            {
                "addresses": [{"ip": "192.0.2.1"}],
                "notReadyAddresses": [{"ip": "192.0.2.2"}],
                "ports": [{"name": "http", "port": 5432}],
            }
        ],
    }
    await api_client.resource(ENDPOINTS).create(manual)
    async with controller_manager(kubeling_server, "endpointslicemirroring"):

        async def mirrored(expected: dict[str, bool]) -> list[Obj] | None:
            slices = await slices_of(api_client, namespace, "ext")
            return slices if slice_readiness(slices) == expected else None

        (slice_,) = await eventually(
            lambda: mirrored({"192.0.2.1": True, "192.0.2.2": False}), what="mirrored slice"
        )
        labels = slice_["metadata"]["labels"]
        assert labels["endpointslice.kubernetes.io/managed-by"] == (
            "endpointslicemirroring-controller.k8s.io"
        )
        assert labels["team"] == "db"
        assert slice_["metadata"]["ownerReferences"][0]["kind"] == "Endpoints"
        assert slice_["ports"] == [{"name": "http", "protocol": "TCP", "port": 5432}]

        current = await api_client.resource(ENDPOINTS).get("ext", namespace=namespace)
        current["subsets"][0]["addresses"].append({"ip": "192.0.2.3"})
        await api_client.resource(ENDPOINTS).update(current)
        await eventually(
            lambda: mirrored({"192.0.2.1": True, "192.0.2.2": False, "192.0.2.3": True}),
            what="the update mirrored",
        )

        await api_client.resource(ENDPOINTS).patch(
            "ext",
            {"metadata": {"labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}}},
            namespace=namespace,
        )

        async def unmirrored() -> bool:
            return not await slices_of(api_client, namespace, "ext")

        await eventually(unmirrored, what="skip-mirror removes the slices")
