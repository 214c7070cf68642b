"""The service proxy against a real API server, with real traffic.

A ``kubeling server`` runs for the module; each test runs the proxy in-process
(as ``kubeling proxy --node-name node-1`` would) and, where it needs them, the
endpointslice and service-lb controllers. Small servers on 127.0.0.1 stand in
for pods: the tests create EndpointSlices pointing at them, or pods whose
status they patch as a kubelet would (``podIP`` 127.0.0.1, the host network of
the embedded profile, and a container port per pod), and let the endpointslice
controller do the rest. Traffic goes to the Services' cluster IPs
(127.96.0.0/16), node ports and load-balancer addresses on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from kubeling.api import errors
from kubeling.api.timestamps import format_time
from kubeling.client import ApiClient, PatchType, load_client_config
from kubeling.client.resources import (
    ENDPOINTSLICES,
    EVENTS,
    NAMESPACES,
    NODES,
    PODS,
    SERVICES,
)
from kubeling.proxy import ProxyOptions, run_proxy
from kubeling.proxy.userspace import UserspaceBackend
from tests.support.backends import HttpBackend, UdpEchoBackend, http_get, open_fds, udp_ask
from tests.support.cluster import RunningServer
from tests.support.controllers import controller_manager, eventually
from tests.support.ports import free_port

Obj = dict[str, Any]
NODE = "node-1"


@pytest.fixture
async def node(api_client: ApiClient) -> str:
    """This proxy's Node, at 127.0.0.1 (created once for the module's server)."""
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
    """A namespace for the test; its Services are deleted afterwards, so that later
    proxies do not serve them."""
    name = request.node.name.removeprefix("test_").replace("_", "-")[:50]
    await api_client.resource(NAMESPACES).create({"metadata": {"name": name}})
    yield name
    services = api_client.resource(SERVICES)
    for svc in (await services.list(namespace=name))["items"]:
        svc_name = svc["metadata"]["name"]
        with contextlib.suppress(errors.StatusError):
            await services.patch(
                svc_name,
                {"metadata": {"finalizers": None}},
                patch_type=PatchType.MERGE,
                namespace=name,
            )
            await services.delete(svc_name, namespace=name)


@pytest.fixture
async def proxy(kubeling_server: RunningServer, node: str) -> AsyncIterator[UserspaceBackend]:
    """The service proxy of ``node`` running for the test; its backend, to look into."""
    backend = UserspaceBackend(udp_idle_timeout=1.0, connect_timeout=2.0)
    options = ProxyOptions(node_name=node, min_sync_period=0.1)
    task = asyncio.create_task(
        run_proxy(load_client_config(kubeling_server.kubeconfig), options, backend=backend)
    )
    yield backend
    if task.done() and task.exception() is not None:
        raise AssertionError("the proxy failed") from task.exception()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert backend.listening == frozenset()  # everything closed on the way out


@pytest.fixture
async def pods() -> AsyncIterator[list[HttpBackend]]:
    hits: Counter[str] = Counter()
    servers = [await HttpBackend(f"pod-{n}", hits).start() for n in range(3)]
    yield servers
    for server in servers:
        await server.close()


async def create_service(client: ApiClient, namespace: str, name: str, **spec: Any) -> Obj:
    spec.setdefault("ports", [{"name": "http", "port": 80, "targetPort": "http"}])
    body = {"metadata": {"name": name, "namespace": namespace}, "spec": spec}
    return await client.resource(SERVICES).create(body)


async def set_slice(
    client: ApiClient,
    namespace: str,
    service: str,
    port: int,
    *,
    ready: bool = True,
    node: str = NODE,
    port_name: str = "http",
    protocol: str = "TCP",
    present: bool = True,
) -> None:
    """The EndpointSlice of one backend port of ``service`` (as the controller would make
    for pods resolving the target port to ``port``); ``present=False`` empties it."""
    name = f"{service}-{port}"
    body = {
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"kubernetes.io/service-name": service},
        },
        "addressType": "IPv4",
        "ports": [{"name": port_name, "port": port, "protocol": protocol}],
        "endpoints": [
            {"addresses": ["127.0.0.1"], "conditions": {"ready": ready}, "nodeName": node}
        ]
        if present
        else [],
    }
    slices = client.resource(ENDPOINTSLICES)
    try:
        await slices.create(body)
    except errors.StatusError as err:
        if not errors.is_already_exists(err):
            raise
        await slices.patch(name, body, patch_type=PatchType.MERGE, namespace=namespace)


async def answers(ip: str, port: int) -> str | None:
    """The body the Service answers, or None while it refuses or resets."""
    try:
        return await http_get(ip, port, within=2)
    except (OSError, TimeoutError):
        return None


async def refused(ip: str, port: int) -> bool:
    """Whether connecting is refused right away (not timed out, not accepted)."""
    try:
        await http_get(ip, port, within=2)
    except ConnectionRefusedError:
        return True
    except (OSError, TimeoutError):
        return False
    return False


def cluster_ip(svc: Obj) -> str:
    return str(svc["spec"]["clusterIP"])


async def test_cluster_ip_spreads_across_endpoints(
    api_client: ApiClient, proxy: UserspaceBackend, namespace: str, pods: list[HttpBackend]
) -> None:
    svc = await create_service(api_client, namespace, "web")
    ip = cluster_ip(svc)
    assert ip.startswith("127.96.")
    for pod in pods:
        await set_slice(api_client, namespace, "web", pod.port)
    await eventually(
        lambda: _all_answer(ip, 80, {"pod-0", "pod-1", "pod-2"}), what="all three endpoints"
    )
    seen = Counter([await http_get(ip, 80) for _ in range(30)])
    assert seen == {"pod-0": 10, "pod-1": 10, "pod-2": 10}  # round-robin


async def _all_answer(ip: str, port: int, expected: set[str]) -> bool:
    got = {await answers(ip, port) for _ in range(len(expected) * 2)}
    return got == expected


async def test_scaling_to_zero_refuses_and_scaling_up_answers(
    api_client: ApiClient, proxy: UserspaceBackend, namespace: str, pods: list[HttpBackend]
) -> None:
    svc = await create_service(api_client, namespace, "web")
    ip = cluster_ip(svc)
    assert await eventually(lambda: refused(ip, 80), what="refused before any endpoint")
    await set_slice(api_client, namespace, "web", pods[0].port)
    assert await eventually(lambda: answers(ip, 80)) == "pod-0"
    await set_slice(api_client, namespace, "web", pods[0].port, present=False)
    assert await eventually(lambda: refused(ip, 80), what="refused after scaling to zero")
    await set_slice(api_client, namespace, "web", pods[1].port)
    assert await eventually(lambda: answers(ip, 80)) == "pod-1"


async def test_session_affinity_client_ip_sticks(
    api_client: ApiClient, proxy: UserspaceBackend, namespace: str, pods: list[HttpBackend]
) -> None:
    svc = await create_service(api_client, namespace, "web", sessionAffinity="ClientIP")
    assert svc["spec"]["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 10800}}
    ip = cluster_ip(svc)
    for pod in pods:
        await set_slice(api_client, namespace, "web", pod.port)
    await eventually(lambda: answers(ip, 80))
    first = await http_get(ip, 80)
    assert {await http_get(ip, 80) for _ in range(10)} == {first}


async def test_endpoints_from_pods_follow_readiness(
    kubeling_server: RunningServer,
    api_client: ApiClient,
    proxy: UserspaceBackend,
    namespace: str,
    pods: list[HttpBackend],
) -> None:
    """With the endpointslice controller: each pod's named ``http`` port resolves to its own
    number; a pod turning not ready leaves the rotation, and comes back."""
    async with controller_manager(kubeling_server, "endpointslice"):
        svc = await create_service(api_client, namespace, "web", selector={"app": "web"})
        ip = cluster_ip(svc)
        for n, pod in enumerate(pods):
            await create_pod(api_client, namespace, f"web-{n}", port=pod.port)
        await eventually(lambda: _all_answer(ip, 80, {"pod-0", "pod-1", "pod-2"}))
        await set_ready(api_client, namespace, "web-1", ready=False)
        await eventually(lambda: _all_answer(ip, 80, {"pod-0", "pod-2"}), what="web-1 out")
        await set_ready(api_client, namespace, "web-1", ready=True)
        await eventually(lambda: _all_answer(ip, 80, {"pod-0", "pod-1", "pod-2"}))


async def test_publish_not_ready_addresses(
    kubeling_server: RunningServer,
    api_client: ApiClient,
    proxy: UserspaceBackend,
    namespace: str,
    pods: list[HttpBackend],
) -> None:
    async with controller_manager(kubeling_server, "endpointslice"):
        svc = await create_service(
            api_client, namespace, "web", selector={"app": "web"}, publishNotReadyAddresses=True
        )
        await create_pod(api_client, namespace, "web-0", port=pods[0].port, ready=False)
        assert await eventually(lambda: answers(cluster_ip(svc), 80)) == "pod-0"


async def create_pod(
    client: ApiClient, namespace: str, name: str, *, port: int, ready: bool = True
) -> None:
    """A pod on this node listening on ``port`` (host network), reported running."""
    container = {
        "name": "app",
        "image": "app:1",
        "ports": [{"name": "http", "containerPort": port}],
    }
    body = {
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": "web"}},
        "spec": {"nodeName": NODE, "containers": [container]},
    }
    await client.resource(PODS).create(body)
    await set_ready(client, namespace, name, ready=ready)


async def set_ready(client: ApiClient, namespace: str, name: str, *, ready: bool) -> None:
    status = {
        "phase": "Running",
        "podIP": "127.0.0.1",
        "podIPs": [{"ip": "127.0.0.1"}],
        "conditions": [
            {"type": "Ready", "status": str(ready), "lastTransitionTime": format_time()}
        ],
    }
    await client.resource(PODS).patch(
        name, {"status": status}, namespace=namespace, subresource="status"
    )


async def test_internal_traffic_policy_local(
    api_client: ApiClient, proxy: UserspaceBackend, namespace: str, pods: list[HttpBackend]
) -> None:
    svc = await create_service(api_client, namespace, "web", internalTrafficPolicy="Local")
    ip = cluster_ip(svc)
    await set_slice(api_client, namespace, "web", pods[0].port, node="node-2")
    # Endpoints on another node only: kube-proxy drops, the userspace proxy refuses.
    assert await eventually(lambda: refused(ip, 80))
    await set_slice(api_client, namespace, "web", pods[1].port)
    await eventually(lambda: _all_answer(ip, 80, {"pod-1"}), what="only the local endpoint")


async def test_node_port_and_load_balancer(
    kubeling_server: RunningServer,
    api_client: ApiClient,
    proxy: UserspaceBackend,
    namespace: str,
    pods: list[HttpBackend],
) -> None:
    lb_port = free_port()
    async with controller_manager(kubeling_server, "service-lb-controller"):
        nodeport = await create_service(api_client, namespace, "np", type="NodePort")
        lb = await create_service(
            api_client,
            namespace,
            "lb",
            type="LoadBalancer",
            ports=[{"name": "http", "port": lb_port, "targetPort": "http"}],
        )
        other = await create_service(
            api_client,
            namespace,
            "other",
            type="LoadBalancer",
            loadBalancerClass="example.com/elsewhere",
            ports=[{"name": "http", "port": free_port(), "targetPort": "http"}],
        )
        for name in ("np", "lb", "other"):
            await set_slice(api_client, namespace, name, pods[0].port)

        async def external_ips() -> dict[str, str] | None:
            out = kubeling_server.kubectl("get", "svc", "-n", namespace, "--no-headers").stdout
            table = {line.split()[0]: line.split()[3] for line in out.splitlines()}
            return table if table.get("lb") == "127.0.0.1" else None

        table = await eventually(external_ips, what="EXTERNAL-IP of the LoadBalancer")
        assert table == {"np": "<none>", "lb": "127.0.0.1", "other": "<pending>"}
        node_port = nodeport["spec"]["ports"][0]["nodePort"]
        assert 30000 <= node_port <= 32767
        assert await eventually(lambda: answers("127.0.0.1", node_port)) == "pod-0"
        assert await eventually(lambda: answers("127.0.0.1", lb_port)) == "pod-0"
        lb_node_port = lb["spec"]["ports"][0]["nodePort"]
        assert await eventually(lambda: answers("127.0.0.1", lb_node_port)) == "pod-0"
        # Another class's Service gets no address from us, so nothing listens for it.
        other_port = other["spec"]["ports"][0]["port"]
        assert await refused("127.0.0.1", other_port)

        # No longer a LoadBalancer: the address goes, and the port closes.
        services = api_client.resource(SERVICES)
        await services.patch("lb", {"spec": {"type": "ClusterIP"}}, namespace=namespace)

        async def let_go() -> Obj | None:
            svc = await services.get("lb", namespace=namespace)
            finalizers = svc["metadata"].get("finalizers") or []
            return None if svc["status"].get("loadBalancer") or finalizers else svc

        await eventually(let_go, what="status and finalizer cleared")
        assert await eventually(lambda: refused("127.0.0.1", lb_port))
        events = kubeling_server.kubectl(
            "get", "events", "-n", namespace, "--field-selector", "involvedObject.name=lb"
        ).stdout
        for reason in ("EnsuringLoadBalancer", "EnsuredLoadBalancer", "DeletedLoadBalancer"):
            assert reason in events

        # Deleting a LoadBalancer Service waits for the controller to let it go, briefly.
        await create_service(api_client, namespace, "gone", type="LoadBalancer")

        async def finalized() -> bool:
            svc = await services.get("gone", namespace=namespace)
            return "service.kubernetes.io/load-balancer-cleanup" in (
                svc["metadata"].get("finalizers") or []
            )

        await eventually(finalized, what="the cleanup finalizer")
        await services.delete("gone", namespace=namespace)

        async def deleted() -> bool:
            try:
                await services.get("gone", namespace=namespace)
            except errors.StatusError as err:
                return errors.is_not_found(err)
            return False

        await eventually(deleted, what="the Service gone")


async def test_a_port_that_cannot_be_opened_gets_an_event(
    api_client: ApiClient, proxy: UserspaceBackend, namespace: str, pods: list[HttpBackend]
) -> None:
    with taken_port() as port:
        svc = await create_service(
            api_client,
            namespace,
            "web",
            type="NodePort",
            ports=[{"name": "http", "port": 80, "targetPort": "http", "nodePort": port}],
        )
        await set_slice(api_client, namespace, "web", pods[0].port)

        async def warning() -> Obj | None:
            events = await api_client.resource(EVENTS).list(namespace=namespace)
            for event in events["items"]:
                if event["reason"] == "FailedToOpenPort":
                    return dict(event)
            return None

        event = await eventually(warning, what="a FailedToOpenPort event")
        assert event["type"] == "Warning"
        assert event["involvedObject"]["name"] == "web"
        assert event["source"] == {"component": "kube-proxy", "host": NODE}
        assert event["message"] == (
            f"can't open port nodePort for {namespace}/web:http (127.0.0.1:{port}/TCP), "
            "skipping it: Address already in use"
        )
        # The rest of the Service works, and the proxy carries on.
        assert await eventually(lambda: answers(cluster_ip(svc), 80)) == "pod-0"


@contextlib.contextmanager
def taken_port() -> Iterator[int]:
    """A port in the node port range that something else holds on 127.0.0.1."""
    sock = socket.socket()
    try:
        for port in range(32767, 30000, -1):
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            sock.listen()
            yield port
            return
        raise RuntimeError("no free node port")
    finally:
        sock.close()


async def test_udp_service(api_client: ApiClient, proxy: UserspaceBackend, namespace: str) -> None:
    echo = await UdpEchoBackend("dns-0").start()
    try:
        svc = await create_service(
            api_client,
            namespace,
            "dns",
            ports=[{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": "dns"}],
        )
        await set_slice(api_client, namespace, "dns", echo.port, port_name="dns", protocol="UDP")

        async def answer() -> bytes | None:
            try:
                return await udp_ask(cluster_ip(svc), 53, b"hello", within=0.5)
            except (TimeoutError, OSError):
                return None

        assert await eventually(answer) == b"dns-0:hello"
    finally:
        await echo.close()


async def test_a_flood_of_connections_is_survived(
    api_client: ApiClient, proxy: UserspaceBackend, namespace: str, pods: list[HttpBackend]
) -> None:
    svc = await create_service(api_client, namespace, "web")
    ip = cluster_ip(svc)
    await set_slice(api_client, namespace, "web", pods[0].port)
    await eventually(lambda: answers(ip, 80))
    baseline = open_fds()

    async def one() -> None:
        with contextlib.suppress(OSError):
            _reader, writer = await asyncio.open_connection(ip, 80)
            writer.write(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            writer.transport.abort()

    for _round in range(5):
        await asyncio.gather(*(one() for _ in range(200)))

    async def settled() -> bool:
        return proxy.statistics().tcp_active == 0

    await eventually(settled, what="every flood connection closed")
    assert open_fds() <= baseline + 5
    # Still serving, and still following changes.
    await set_slice(api_client, namespace, "web", pods[1].port)
    await eventually(lambda: _all_answer(ip, 80, {"pod-0", "pod-1"}))
