"""``kubeling dns`` against a real API server, asked with dig over UDP and TCP.

Objects are made with kubectl; the EndpointSlice controller runs in-process and
the tests play the kubelet (pod IPs, readiness) through the status subresource.
The DNS process listens on the cluster DNS address 127.96.0.10 (on a free port:
several test runs share the machine) and forwards to a fake upstream.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from kubeling.api import errors
from kubeling.api.timestamps import format_time
from kubeling.client import ApiClient
from kubeling.client.resources import NODES, PODS
from kubeling.dns.message import A, Flags, Message, Question
from kubeling.dns.wire import encode_message
from tests.support.cluster import RunningServer
from tests.support.controllers import controller_manager, eventually
from tests.support.dns import (
    DigAnswer,
    FakeUpstream,
    RunningDns,
    dig,
    running_dns,
    threaded_upstream,
)

Obj = dict[str, Any]
DOMAIN = "cluster.local"


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeUpstream]:
    with threaded_upstream() as fake:
        yield fake


@pytest.fixture(scope="module")
def dns(
    kubeling_server: RunningServer, upstream: FakeUpstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningDns]:
    with running_dns(
        kubeling_server.kubeconfig,
        tmp_path_factory.mktemp("dns"),
        "--upstream",
        f"127.0.0.1:{upstream.port}",
    ) as process:
        yield process


@pytest.fixture
async def endpointslices(kubeling_server: RunningServer) -> AsyncIterator[None]:
    async with controller_manager(kubeling_server, "endpointslice"):
        yield


@pytest.fixture
async def namespace(kubeling_server: RunningServer, request: pytest.FixtureRequest) -> str:
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.removeprefix("test_"))[:40].strip("-")
    kubeling_server.kubectl("create", "namespace", name)
    return name


def apply(server: RunningServer, namespace: str, *objects: Obj) -> None:
    manifest = {"apiVersion": "v1", "kind": "List", "items": list(objects)}
    server.kubectl("apply", "-n", namespace, "-f", "-", input=json.dumps(manifest))


def service(name: str, **spec: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec}


def pod(name: str, *, labels: dict[str, str], **spec: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "nodeName": "node-1",
            "containers": [
                {"name": "db", "image": "db:1", "ports": [{"name": "pg", "containerPort": 5432}]}
            ],
            **spec,
        },
    }


async def report(client: ApiClient, namespace: str, name: str, *, ip: str, ready: bool) -> None:
    """What a kubelet would report: running, at ``ip``, ready or not."""
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
    await client.resource(PODS).patch(
        name, {"status": status}, namespace=namespace, subresource="status"
    )


async def ensure_node(client: ApiClient) -> None:
    try:
        await client.resource(NODES).create({"metadata": {"name": "node-1"}})
    except errors.StatusError as err:
        if not errors.is_already_exists(err):
            raise


async def ask(dns: RunningDns, name: str, qtype: str = "A", *options: str) -> DigAnswer:
    return await dig(dns.host, dns.port, name, qtype, *options)


async def until(dns: RunningDns, name: str, qtype: str, expected: list[str], *options: str) -> None:
    """Ask until the answer's data is ``expected`` (sorted), within 30 s."""

    async def check() -> DigAnswer | None:
        answer = await ask(dns, name, qtype, *options)
        return answer if sorted(answer.data) == sorted(expected) else None

    await eventually(check, within=30, what=f"{name} {qtype} -> {expected}")


def test_the_kube_dns_service(kubeling_server: RunningServer, dns: RunningDns) -> None:
    """kube-system/kube-dns: ClusterIP .10 of the service range, dns 53/UDP and dns-tcp
    53/TCP, left to this server by the service-proxy-name label."""
    assert dns.host == "127.96.0.10"
    svc = kubeling_server.kubectl_json("get", "service", "kube-dns", "-n", "kube-system")
    spec: Any = svc["spec"]
    assert spec["clusterIP"] == "127.96.0.10"
    assert [(p["name"], p["port"], p["protocol"]) for p in spec["ports"]] == [
        ("dns", 53, "UDP"),
        ("dns-tcp", 53, "TCP"),
    ]
    metadata: Any = svc["metadata"]
    assert metadata["labels"]["k8s-app"] == "kube-dns"
    assert metadata["labels"]["service.kubernetes.io/service-proxy-name"] == "kubeling-dns"


@pytest.mark.parametrize("transport", ["+notcp", "+tcp"])
async def test_a_cluster_ip_service(
    kubeling_server: RunningServer, dns: RunningDns, namespace: str, transport: str
) -> None:
    apply(
        kubeling_server,
        namespace,
        service(
            "web",
            ports=[{"name": "http", "port": 80}, {"name": "dns", "port": 53, "protocol": "UDP"}],
        ),
    )
    ip = kubeling_server.kubectl(
        "get", "svc", "web", "-n", namespace, "-o", "jsonpath={.spec.clusterIP}"
    ).stdout
    name = f"web.{namespace}.svc.{DOMAIN}"
    await until(dns, name, "A", [ip], transport)
    answer = await ask(dns, name, "A", transport)
    assert answer.status == "NOERROR"
    assert {"qr", "aa"} <= answer.flags
    assert answer.answer == [f"{name} 5 A {ip}"]
    srv = await ask(dns, f"_http._tcp.{name}", "SRV", transport)
    assert srv.answer == [f"_http._tcp.{name} 5 SRV 0 100 80 {name}"]
    assert srv.additional == [f"{name} 5 A {ip}"]
    udp_srv = await ask(dns, f"_dns._udp.{name}", "SRV", transport)
    assert udp_srv.data == [f"0 100 53 {name}"]
    ptr = await ask(dns, "", "", "-x", ip, transport)
    assert ptr.data == [name]
    nodata = await ask(dns, name, "AAAA", transport)
    assert (nodata.status, nodata.answer, len(nodata.authority)) == ("NOERROR", [], 1)
    missing = await ask(dns, f"nope.{namespace}.svc.{DOMAIN}", "A", transport)
    assert missing.status == "NXDOMAIN"
    assert missing.authority[0].startswith(f"{DOMAIN} 5 SOA ns.dns.{DOMAIN} hostmaster.{DOMAIN}")
    no_port = await ask(dns, f"_http._udp.{name}", "SRV", transport)
    assert no_port.status == "NXDOMAIN"
    ns = await ask(dns, f"{namespace}.svc.{DOMAIN}", "A", transport)
    assert (ns.status, ns.answer) == ("NOERROR", [])


async def test_headless_service_with_statefulset_like_pods(
    kubeling_server: RunningServer,
    dns: RunningDns,
    api_client: ApiClient,
    endpointslices: None,
    namespace: str,
) -> None:
    """Ready pods only; pods with hostname and subdomain get their own names; SRV per pod;
    PTR of a pod address; readiness changes follow."""
    await ensure_node(api_client)
    apply(
        kubeling_server,
        namespace,
        service(
            "db", clusterIP="None", selector={"app": "db"}, ports=[{"name": "pg", "port": 5432}]
        ),
        pod("db-0", labels={"app": "db"}, hostname="db-0", subdomain="db"),
        pod("db-1", labels={"app": "db"}, hostname="db-1", subdomain="db"),
        pod("loose", labels={"app": "db"}),
    )
    await report(api_client, namespace, "db-0", ip="10.1.0.10", ready=True)
    await report(api_client, namespace, "db-1", ip="10.1.0.11", ready=False)
    await report(api_client, namespace, "loose", ip="10.1.0.12", ready=True)
    base = f"db.{namespace}.svc.{DOMAIN}"
    await until(dns, base, "A", ["10.1.0.10", "10.1.0.12"])
    assert (await ask(dns, f"db-0.{base}")).data == ["10.1.0.10"]
    assert (await ask(dns, f"10-1-0-12.{base}")).data == ["10.1.0.12"]
    assert (await ask(dns, f"db-1.{base}")).status == "NXDOMAIN"  # not ready
    srv = await ask(dns, f"_pg._tcp.{base}", "SRV")
    assert sorted(srv.data) == [f"0 50 5432 10-1-0-12.{base}", f"0 50 5432 db-0.{base}"]
    assert sorted(srv.additional) == [
        f"10-1-0-12.{base} 5 A 10.1.0.12",
        f"db-0.{base} 5 A 10.1.0.10",
    ]
    assert (await ask(dns, "", "", "-x", "10.1.0.10")).data == [f"db-0.{base}"]
    # db-1 becomes ready, db-0 not: the answers follow.
    await report(api_client, namespace, "db-1", ip="10.1.0.11", ready=True)
    await report(api_client, namespace, "db-0", ip="10.1.0.10", ready=False)
    await until(dns, base, "A", ["10.1.0.11", "10.1.0.12"])
    assert (await ask(dns, f"db-1.{base}", "A", "+tcp")).data == ["10.1.0.11"]
    # No ready pod at all: the name is gone (NXDOMAIN, as the specification says).
    kubeling_server.kubectl("delete", "pod", "db-1", "loose", "-n", namespace, "--wait=false")
    await until(dns, base, "A", [])
    assert (await ask(dns, base)).status == "NXDOMAIN"


async def test_publish_not_ready_addresses(
    kubeling_server: RunningServer,
    dns: RunningDns,
    api_client: ApiClient,
    endpointslices: None,
    namespace: str,
) -> None:
    await ensure_node(api_client)
    apply(
        kubeling_server,
        namespace,
        service(
            "peers",
            clusterIP="None",
            publishNotReadyAddresses=True,
            selector={"app": "peer"},
            ports=[{"name": "pg", "port": 5432}],
        ),
        pod("peer-0", labels={"app": "peer"}, hostname="peer-0", subdomain="peers"),
    )
    await report(api_client, namespace, "peer-0", ip="10.1.0.20", ready=False)
    base = f"peers.{namespace}.svc.{DOMAIN}"
    await until(dns, base, "A", ["10.1.0.20"])
    assert (await ask(dns, f"peer-0.{base}")).data == ["10.1.0.20"]


async def test_deletions_follow(
    kubeling_server: RunningServer, dns: RunningDns, namespace: str
) -> None:
    """A deleted Service's names go (NXDOMAIN); its namespace's name stays (NODATA) while
    the namespace exists; a namespace that does not exist has no name."""
    apply(kubeling_server, namespace, service("gone", ports=[{"name": "http", "port": 80}]))
    jsonpath = "jsonpath={.spec.clusterIP}"
    ip = kubeling_server.kubectl("get", "svc", "gone", "-n", namespace, "-o", jsonpath).stdout
    name = f"gone.{namespace}.svc.{DOMAIN}"
    await until(dns, name, "A", [ip])
    kubeling_server.kubectl("delete", "service", "gone", "-n", namespace)

    async def gone() -> bool:
        return (await ask(dns, name)).status == "NXDOMAIN"

    await eventually(gone, within=30, what=f"{name} to be NXDOMAIN")
    assert (await ask(dns, f"_http._tcp.{name}", "SRV")).status == "NXDOMAIN"
    # Its address is no longer the cluster's: the reverse name goes upstream (NXDOMAIN there).
    assert (await ask(dns, "", "", "-x", ip)).data == []
    namespace_name = await ask(dns, f"{namespace}.svc.{DOMAIN}")
    assert (namespace_name.status, namespace_name.answer) == ("NOERROR", [])
    assert (await ask(dns, f"no-such-namespace.svc.{DOMAIN}")).status == "NXDOMAIN"


async def test_verified_pod_records(
    kubeling_server: RunningServer,
    api_client: ApiClient,
    upstream: FakeUpstream,
    namespace: str,
    tmp_path: Path,
) -> None:
    """With --pods verified, the DNS follows Pods: only a pod's own address in its own
    namespace has a name."""
    await ensure_node(api_client)
    apply(kubeling_server, namespace, pod("worker", labels={"app": "worker"}))
    await report(api_client, namespace, "worker", ip="10.1.0.30", ready=True)
    with running_dns(
        kubeling_server.kubeconfig,
        tmp_path,
        "--pods",
        "verified",
        "--upstream",
        f"127.0.0.1:{upstream.port}",
    ) as verified:
        name = f"10-1-0-30.{namespace}.pod.{DOMAIN}"
        assert (await ask(verified, name)).data == ["10.1.0.30"]
        assert (await ask(verified, f"10-1-0-31.{namespace}.pod.{DOMAIN}")).status == "NXDOMAIN"
        assert (await ask(verified, f"10-1-0-30.default.pod.{DOMAIN}")).status == "NXDOMAIN"
        kubeling_server.kubectl(
            "delete", "pod", "worker", "-n", namespace, "--grace-period=0", "--force"
        )

        async def gone() -> bool:
            return (await ask(verified, name)).status == "NXDOMAIN"

        await eventually(gone, within=30, what=f"{name} to go with its pod")


async def test_external_names(
    kubeling_server: RunningServer, dns: RunningDns, namespace: str
) -> None:
    apply(
        kubeling_server,
        namespace,
        service("ext", type="ExternalName", externalName="www.example.test"),
        service("alias", type="ExternalName", externalName=f"kube-dns.kube-system.svc.{DOMAIN}"),
    )
    name = f"ext.{namespace}.svc.{DOMAIN}"
    await until(dns, name, "CNAME", ["www.example.test"])
    answer = await ask(dns, name)
    assert answer.answer == [f"{name} 5 CNAME www.example.test", "www.example.test 60 A 192.0.2.1"]
    alias = await ask(dns, f"alias.{namespace}.svc.{DOMAIN}", "A", "+tcp")
    assert alias.data == [f"kube-dns.kube-system.svc.{DOMAIN}", "127.96.0.10"]


@pytest.mark.parametrize("transport", ["+notcp", "+tcp"])
async def test_other_names_are_forwarded(dns: RunningDns, transport: str) -> None:
    answer = await ask(dns, "www.example.test", "A", transport)
    assert (answer.status, answer.data) == ("NOERROR", ["192.0.2.1"])
    assert "aa" not in answer.flags
    assert (await ask(dns, "nx.example.test", "A", transport)).status == "NXDOMAIN"
    big = await ask(dns, "big.example.test", "A", transport)
    assert big.transport == "TCP"  # over UDP: TC, and dig asks again over TCP
    assert len(big.answer) == 100


async def test_zone_records(dns: RunningDns) -> None:
    soa = await ask(dns, DOMAIN, "SOA")
    assert soa.data[0].startswith(f"ns.dns.{DOMAIN} hostmaster.{DOMAIN} ")
    assert soa.data[0].endswith(" 7200 1800 86400 5")
    ns = await ask(dns, DOMAIN, "NS")
    assert ns.data == [f"ns.dns.{DOMAIN}"]
    assert ns.additional == [f"ns.dns.{DOMAIN} 5 A 127.96.0.10"]
    version = await ask(dns, f"dns-version.{DOMAIN}", "TXT")
    assert version.answer == [f'dns-version.{DOMAIN} 28800 TXT "1.1.0"']
    pod_name = f"10-1-2-3.default.pod.{DOMAIN}"
    assert (await ask(dns, pod_name)).data == ["10.1.2.3"]
    kubernetes = await ask(dns, f"kubernetes.default.svc.{DOMAIN}")
    assert kubernetes.data == ["127.96.0.1"]


def _garbage(rng: random.Random, valid: bytes) -> bytes:
    if rng.random() < 0.3:
        return rng.randbytes(rng.randrange(0, 700))
    data = bytearray(valid)
    for _ in range(rng.randrange(1, 6)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data[: rng.randrange(1, len(data) + 1)])


def _flood(address: tuple[str, int], count: int, seed: int) -> None:
    rng = random.Random(seed)
    valid = encode_message(
        Message(id=1, flags=Flags.RD, questions=[Question(f"kube-dns.kube-system.svc.{DOMAIN}", A)])
    )
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for _ in range(count):
            sender.sendto(_garbage(rng, valid), address)


async def _tcp_garbage(address: tuple[str, int], count: int, seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(count):
        try:
            _, writer = await asyncio.open_connection(*address)
        except OSError:
            continue
        writer.write(rng.randbytes(rng.randrange(0, 300)))
        writer.close()


async def test_floods_of_malformed_packets(dns: RunningDns) -> None:
    """Random and mutated datagrams and garbage TCP connections: the process keeps
    answering and its memory stays bounded (a second, larger flood adds nearly nothing)."""
    address = (dns.host, dns.port)
    await asyncio.to_thread(_flood, address, 20_000, 1)
    await _tcp_garbage(address, 200, 1)
    await asyncio.sleep(1)
    settled = dns.rss_bytes()
    await asyncio.to_thread(_flood, address, 60_000, 2)
    await _tcp_garbage(address, 600, 2)
    await asyncio.sleep(1)
    assert dns.process.poll() is None
    grown = dns.rss_bytes() - settled
    assert grown < 16 * 1024 * 1024, f"RSS grew by {grown} bytes"
    answer = await ask(dns, f"kube-dns.kube-system.svc.{DOMAIN}")
    assert answer.data == ["127.96.0.10"]
    answer = await ask(dns, f"kube-dns.kube-system.svc.{DOMAIN}", "A", "+tcp")
    assert answer.data == ["127.96.0.10"]


def _private_address() -> str:
    """An address in 127.0.0.0/8 no other test run is likely to use."""
    return f"127.97.{random.randrange(256)}.{random.randrange(1, 255)}"


def test_port_53_when_allowed(kubeling_server: RunningServer, tmp_path: Path) -> None:
    address = _private_address()
    with running_dns(
        kubeling_server.kubeconfig, tmp_path, "--bind-address", address, port="53"
    ) as process:
        assert (process.host, process.port) == (address, 53)
        answer = asyncio.run(ask(process, f"kube-dns.kube-system.svc.{DOMAIN}"))
        assert answer.data == ["127.96.0.10"]


def test_the_fallback_port_without_the_right_to_bind_53(
    kubeling_server: RunningServer, tmp_path: Path
) -> None:
    """Without CAP_NET_BIND_SERVICE (dropped from the bounding set, as for a user other
    than root), port 53 is refused and the fallback port serves; the log says how."""
    address = _private_address()
    with running_dns(
        kubeling_server.kubeconfig,
        tmp_path,
        "--bind-address",
        address,
        "--fallback-port",
        "1053",
        port="53",
        wrapper=("setpriv", "--bounding-set=-net_bind_service"),
    ) as process:
        assert (process.host, process.port) == (address, 1053)
        answer = asyncio.run(ask(process, f"kube-dns.kube-system.svc.{DOMAIN}"))
        assert answer.data == ["127.96.0.10"]
    log = process.log.read_text()
    assert "not allowed to bind" in log
    assert f"dig -p 1053 @{address}" in log
