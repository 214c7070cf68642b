"""What each object puts in the zone: tables of objects in, records out."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.dns.message import type_name
from kubeling.dns.records import (
    Contribution,
    address_of_reverse_name,
    dashed,
    namespace_contribution,
    pod_address,
    pod_contribution,
    service_contribution,
    static_contribution,
)
from tests.support.dns_objects import endpoint, endpoint_slice, port, rdata_text, service

ZONE = "cluster.local"
BASE = "web.default.svc.cluster.local"
DB = "db.default.svc.cluster.local"


def records(contribution: Contribution) -> set[str]:
    """Every record as ``owner TTL TYPE data``, and ``owner (exists)`` for names without
    data."""
    out: set[str] = set()
    for owner, rrsets in contribution.nodes.items():
        if not rrsets:
            out.add(f"{owner} (exists)")
        for rtype, rrset in rrsets.items():
            out.update(
                f"{owner} {rrset.ttl} {type_name(rtype)} {rdata_text(d)}" for d in rrset.items
            )
    return out


def pointers(contribution: Contribution) -> set[str]:
    out = {f"{ip} -> {name} (service)" for ip, name in contribution.cluster_ip_pointers.items()}
    for ip, names in contribution.endpoint_pointers.items():
        out.update(f"{ip} -> {name}" for name in names)
    return out


HEADLESS_SLICE = endpoint_slice(
    "db",
    [
        endpoint("10.1.0.1", hostname="db-0"),
        endpoint("10.1.0.2"),
        endpoint("10.1.0.3", ready=False),
        endpoint("10.1.0.4", ready=None),  # unknown readiness counts as ready
    ],
    ports=[port("pg", 5432), port("", 9000)],
)

SERVICE_CASES: list[tuple[str, dict[str, Any], list[dict[str, Any]], set[str], set[str]]] = [
    (
        "ClusterIP: A, SRV for named ports and at the name for every port, PTR",
        service("web", ports=[port("http", 80), port("dns", 53, "UDP"), port("", 8080)]),
        [],
        {
            f"{BASE} 5 A 10.96.0.5",
            f"{BASE} 5 SRV 0 33 80 {BASE}",
            f"{BASE} 5 SRV 0 33 53 {BASE}",
            f"{BASE} 5 SRV 0 33 8080 {BASE}",
            f"_http._tcp.{BASE} 5 SRV 0 100 80 {BASE}",
            f"_dns._udp.{BASE} 5 SRV 0 100 53 {BASE}",
        },
        {f"10.96.0.5 -> {BASE} (service)"},
    ),
    (
        "dual-stack ClusterIP: A and AAAA",
        service("web", cluster_ips=["10.96.0.5", "fd00::5"], ports=[port("http", 80)]),
        [],
        {
            f"{BASE} 5 A 10.96.0.5",
            f"{BASE} 5 AAAA fd00::5",
            f"{BASE} 5 SRV 0 100 80 {BASE}",
            f"_http._tcp.{BASE} 5 SRV 0 100 80 {BASE}",
        },
        {f"10.96.0.5 -> {BASE} (service)", f"fd00::5 -> {BASE} (service)"},
    ),
    (
        "ClusterIP with endpoints: each ready address also has its own name",
        service("web", ports=[port("http", 80)]),
        [
            endpoint_slice(
                "web",
                [endpoint("10.1.0.7"), endpoint("10.1.0.8", ready=False)],
                ports=[port("http", 8080)],
            )
        ],
        {
            f"{BASE} 5 A 10.96.0.5",
            f"{BASE} 5 SRV 0 100 80 {BASE}",
            f"_http._tcp.{BASE} 5 SRV 0 100 80 {BASE}",
            f"10-1-0-7.{BASE} 5 A 10.1.0.7",
            f"10-1-0-7.{BASE} 5 SRV 0 100 8080 10-1-0-7.{BASE}",
        },
        {f"10.96.0.5 -> {BASE} (service)", f"10.1.0.7 -> 10-1-0-7.{BASE}"},
    ),
    (
        "headless: ready endpoints, hostnames or dashed addresses, SRV per endpoint",
        service("db", cluster_ip="None", ports=[port("pg", 5432)]),
        [HEADLESS_SLICE],
        {
            f"{DB} 5 A 10.1.0.1",
            f"{DB} 5 A 10.1.0.2",
            f"{DB} 5 A 10.1.0.4",
            f"{DB} 5 SRV 0 16 5432 db-0.{DB}",
            f"{DB} 5 SRV 0 16 9000 db-0.{DB}",
            f"{DB} 5 SRV 0 16 5432 10-1-0-2.{DB}",
            f"{DB} 5 SRV 0 16 9000 10-1-0-2.{DB}",
            f"{DB} 5 SRV 0 16 5432 10-1-0-4.{DB}",
            f"{DB} 5 SRV 0 16 9000 10-1-0-4.{DB}",
            f"_pg._tcp.{DB} 5 SRV 0 33 5432 db-0.{DB}",
            f"_pg._tcp.{DB} 5 SRV 0 33 5432 10-1-0-2.{DB}",
            f"_pg._tcp.{DB} 5 SRV 0 33 5432 10-1-0-4.{DB}",
            f"db-0.{DB} 5 A 10.1.0.1",
            f"db-0.{DB} 5 SRV 0 50 5432 db-0.{DB}",
            f"db-0.{DB} 5 SRV 0 50 9000 db-0.{DB}",
            f"10-1-0-2.{DB} 5 A 10.1.0.2",
            f"10-1-0-2.{DB} 5 SRV 0 50 5432 10-1-0-2.{DB}",
            f"10-1-0-2.{DB} 5 SRV 0 50 9000 10-1-0-2.{DB}",
            f"10-1-0-4.{DB} 5 A 10.1.0.4",
            f"10-1-0-4.{DB} 5 SRV 0 50 5432 10-1-0-4.{DB}",
            f"10-1-0-4.{DB} 5 SRV 0 50 9000 10-1-0-4.{DB}",
        },
        {
            f"10.1.0.1 -> db-0.{DB}",
            f"10.1.0.2 -> 10-1-0-2.{DB}",
            f"10.1.0.4 -> 10-1-0-4.{DB}",
        },
    ),
    (
        "headless with publishNotReadyAddresses: not-ready endpoints too",
        service("db", cluster_ip="None", publish_not_ready=True),
        [endpoint_slice("db", [endpoint("10.1.0.3", ready=False)])],
        {f"{DB} 5 A 10.1.0.3", f"10-1-0-3.{DB} 5 A 10.1.0.3"},
        {f"10.1.0.3 -> 10-1-0-3.{DB}"},
    ),
    (
        "headless with the tolerate-unready annotation of the specification",
        service(
            "db",
            cluster_ip="None",
            annotations={"service.alpha.kubernetes.io/tolerate-unready-endpoints": "true"},
        ),
        [endpoint_slice("db", [endpoint("10.1.0.3", ready=False)])],
        {f"{DB} 5 A 10.1.0.3", f"10-1-0-3.{DB} 5 A 10.1.0.3"},
        {f"10.1.0.3 -> 10-1-0-3.{DB}"},
    ),
    (
        "headless without ready endpoints: no name at all (NXDOMAIN)",
        service("db", cluster_ip="None", ports=[port("pg", 5432)]),
        [endpoint_slice("db", [endpoint("10.1.0.3", ready=False)], ports=[port("pg", 5432)])],
        set(),
        set(),
    ),
    (
        "headless across two slices, IPv4 and IPv6; an FQDN slice gives nothing",
        service("db", cluster_ip="None"),
        [
            endpoint_slice("db", [endpoint("10.1.0.1", hostname="db-0")], name="db-v4"),
            endpoint_slice(
                "db", [endpoint("fd00::1", hostname="db-0")], name="db-v6", address_type="IPv6"
            ),
            endpoint_slice("db", [endpoint("db.example.com")], name="db-f", address_type="FQDN"),
        ],
        {
            f"{DB} 5 A 10.1.0.1",
            f"{DB} 5 AAAA fd00::1",
            f"db-0.{DB} 5 A 10.1.0.1",
            f"db-0.{DB} 5 AAAA fd00::1",
        },
        {f"10.1.0.1 -> db-0.{DB}", f"fd00::1 -> db-0.{DB}"},
    ),
    (
        "ExternalName: a CNAME to the external name",
        service("web", cluster_ip=None, type="ExternalName", external_name="www.Example.com."),
        [],
        {f"{BASE} 5 CNAME www.example.com"},
        set(),
    ),
    (
        "ExternalName that is an address: nothing, as in CoreDNS",
        service("web", cluster_ip=None, type="ExternalName", external_name="192.0.2.1"),
        [],
        set(),
        set(),
    ),
]


@pytest.mark.parametrize(
    ("svc", "slices", "expected", "expected_pointers"),
    [case[1:] for case in SERVICE_CASES],
    ids=[case[0] for case in SERVICE_CASES],
)
def test_service_records(
    svc: dict[str, Any],
    slices: list[dict[str, Any]],
    expected: set[str],
    expected_pointers: set[str],
) -> None:
    contribution = service_contribution(svc, slices, zone=ZONE)
    assert records(contribution) == expected
    assert pointers(contribution) == expected_pointers


def test_ttl_is_the_zones() -> None:
    contribution = service_contribution(service("web"), [], zone=ZONE, ttl=30)
    assert records(contribution) == {f"{BASE} 30 A 10.96.0.5"}


def test_srv_weight_is_at_least_one() -> None:
    """CoreDNS's 100 // n, but never 0 for more than 100 records."""
    slices = [
        endpoint_slice("db", [endpoint(f"10.1.{i // 250}.{i % 250 + 1}") for i in range(150)])
    ]
    slices[0]["ports"] = [port("pg", 5432)]
    contribution = service_contribution(service("db", cluster_ip="None"), slices, zone=ZONE)
    srv = [r for r in records(contribution) if r.startswith(f"_pg._tcp.{DB}")]
    assert len(srv) == 150
    assert all(" SRV 0 1 5432 " in r for r in srv)


def test_namespace_names_exist_without_data() -> None:
    assert records(namespace_contribution("team", zone=ZONE)) == {
        "team.svc.cluster.local (exists)",
        "team.pod.cluster.local (exists)",
    }
    assert records(namespace_contribution("team", zone=ZONE, pod_records="disabled")) == {
        "team.svc.cluster.local (exists)"
    }


def test_pod_records_for_the_verified_mode() -> None:
    pod = {
        "metadata": {"name": "p", "namespace": "team"},
        "status": {"podIP": "10.1.0.9", "podIPs": [{"ip": "10.1.0.9"}, {"ip": "fd00::9"}]},
    }
    assert records(pod_contribution(pod, zone=ZONE)) == {
        "10-1-0-9.team.pod.cluster.local 5 A 10.1.0.9",
        "fd00--9.team.pod.cluster.local 5 AAAA fd00::9",
    }
    assert records(pod_contribution({"metadata": {"namespace": "t"}}, zone=ZONE)) == set()


def test_static_names() -> None:
    assert records(static_contribution(zone=ZONE, dns_ips=["10.96.0.10"])) == {
        "cluster.local 5 NS ns.dns.cluster.local",
        "ns.dns.cluster.local 5 A 10.96.0.10",
        'dns-version.cluster.local 28800 TXT "1.1.0"',
        "svc.cluster.local (exists)",
        "pod.cluster.local (exists)",
    }


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("10-1-0-5", "10.1.0.5"),
        ("fd00--5", "fd00::5"),
        ("fd00-0-0-0-0-0-0-5", "fd00::5"),
        ("10-1-0", None),
        ("10-1-0-500", None),
        ("web-0", None),
        ("", None),
    ],
)
def test_pod_address(label: str, expected: str | None) -> None:
    address = pod_address(label)
    assert (str(address) if address is not None else None) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("10.0.96.127.in-addr.arpa", "127.96.0.10"),
        ("10.0.96.127.in-addr.arpa.extra", None),
        ("96.127.in-addr.arpa", None),
        ("256.0.96.127.in-addr.arpa", None),
        ("010.0.96.127.in-addr.arpa", None),
        ("x.0.96.127.in-addr.arpa", None),
        ("5." + "0." * 29 + "d.f.ip6.arpa", "fd00::5"),
        ("5." + "0." * 30 + "d.f.ip6.arpa", None),
        ("g." + "0." * 29 + "d.f.ip6.arpa", None),
        ("example.com", None),
    ],
)
def test_address_of_reverse_name(name: str, expected: str | None) -> None:
    assert address_of_reverse_name(name) == expected


def test_dashed() -> None:
    assert dashed("10.1.0.5") == "10-1-0-5"
    assert dashed("fd00::5") == "fd00--5"
