"""Answers of the cluster zone: questions in, rcode and sections out."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from kubeling.dns.message import (
    AAAA,
    ANY,
    CNAME,
    MX,
    NOERROR,
    NS,
    NXDOMAIN,
    PTR,
    SOA,
    SRV,
    TXT,
    A,
    Question,
    Record,
)
from kubeling.dns.records import (
    PodRecords,
    namespace_contribution,
    pod_contribution,
    service_contribution,
)
from kubeling.dns.zone import Answer, ClusterZone
from tests.support.dns_objects import endpoint, endpoint_slice, port, record_text, service

SOA_TEXT = (
    "cluster.local 5 SOA ns.dns.cluster.local hostmaster.cluster.local SERIAL 7200 1800 86400 5"
)
WEB = "web.default.svc.cluster.local"
DB = "db.default.svc.cluster.local"


def cluster_zone(pod_records: PodRecords = "insecure") -> ClusterZone:
    """default/web (ClusterIP, dual-stack), default/db (headless, a StatefulSet-like pod
    db-0 and one without hostname), default/ext (ExternalName outside), default/alias
    (ExternalName to web), default/loop-a and loop-b (ExternalNames to each other)."""
    zone = ClusterZone(dns_ips=("10.96.0.10",), pod_records=pod_records, clock=lambda: 1000.0)
    objects = {
        "default/web": (
            service(
                "web",
                cluster_ips=["10.96.0.5", "fd00::5"],
                ports=[port("http", 80), port("", 8080)],
            ),
            [],
        ),
        "default/db": (
            service("db", cluster_ip="None", ports=[port("pg", 5432)]),
            [
                endpoint_slice(
                    "db",
                    [endpoint("10.1.0.1", hostname="db-0"), endpoint("10.1.0.2")],
                    ports=[port("pg", 5432)],
                )
            ],
        ),
        "default/ext": (
            service("ext", cluster_ip=None, type="ExternalName", external_name="www.example.com"),
            [],
        ),
        "default/alias": (
            service("alias", cluster_ip=None, type="ExternalName", external_name=WEB),
            [],
        ),
        "default/loop-a": (
            service(
                "loop-a",
                cluster_ip=None,
                type="ExternalName",
                external_name="loop-b.default.svc.cluster.local",
            ),
            [],
        ),
        "default/loop-b": (
            service(
                "loop-b",
                cluster_ip=None,
                type="ExternalName",
                external_name="loop-a.default.svc.cluster.local",
            ),
            [],
        ),
    }
    for key, (svc, slices) in objects.items():
        zone.set_source(("service", key), service_contribution(svc, slices, zone=zone.domain))
    for namespace in ("default", "kube-system"):
        zone.set_source(
            ("namespace", namespace),
            namespace_contribution(namespace, zone=zone.domain, pod_records=pod_records),
        )
    return zone


@dataclass
class Expected:
    rcode: int = NOERROR
    answers: list[str] = field(default_factory=list)
    authority: list[str] = field(default_factory=list)
    additional: list[str] = field(default_factory=list)
    chase: Question | None = None


CASES: list[tuple[str, int, Expected]] = [
    # Services with a ClusterIP.
    (WEB, A, Expected(answers=[f"{WEB} 5 A 10.96.0.5"])),
    (WEB, AAAA, Expected(answers=[f"{WEB} 5 AAAA fd00::5"])),
    (
        "Web.DEFAULT.svc.Cluster.Local",
        A,
        Expected(answers=["Web.DEFAULT.svc.Cluster.Local 5 A 10.96.0.5"]),
    ),
    (
        f"_http._tcp.{WEB}",
        SRV,
        Expected(
            answers=[f"_http._tcp.{WEB} 5 SRV 0 100 80 {WEB}"],
            additional=[f"{WEB} 5 A 10.96.0.5", f"{WEB} 5 AAAA fd00::5"],
        ),
    ),
    (
        WEB,
        SRV,
        Expected(
            answers=[f"{WEB} 5 SRV 0 50 80 {WEB}", f"{WEB} 5 SRV 0 50 8080 {WEB}"],
            additional=[f"{WEB} 5 A 10.96.0.5", f"{WEB} 5 AAAA fd00::5"],
        ),
    ),
    (f"_http._udp.{WEB}", SRV, Expected(rcode=NXDOMAIN, authority=[SOA_TEXT])),
    (f"_tcp.{WEB}", SRV, Expected(authority=[SOA_TEXT])),  # an empty non-terminal: NODATA
    (WEB, TXT, Expected(authority=[SOA_TEXT])),
    (WEB, MX, Expected(authority=[SOA_TEXT])),
    # Headless.
    (DB, A, Expected(answers=[f"{DB} 5 A 10.1.0.1", f"{DB} 5 A 10.1.0.2"])),
    (DB, AAAA, Expected(authority=[SOA_TEXT])),
    (f"db-0.{DB}", A, Expected(answers=[f"db-0.{DB} 5 A 10.1.0.1"])),
    (f"10-1-0-2.{DB}", A, Expected(answers=[f"10-1-0-2.{DB} 5 A 10.1.0.2"])),
    (f"db-1.{DB}", A, Expected(rcode=NXDOMAIN, authority=[SOA_TEXT])),
    (
        f"_pg._tcp.{DB}",
        SRV,
        Expected(
            answers=[
                f"_pg._tcp.{DB} 5 SRV 0 50 5432 db-0.{DB}",
                f"_pg._tcp.{DB} 5 SRV 0 50 5432 10-1-0-2.{DB}",
            ],
            additional=[f"db-0.{DB} 5 A 10.1.0.1", f"10-1-0-2.{DB} 5 A 10.1.0.2"],
        ),
    ),
    # ExternalName.
    (
        "ext.default.svc.cluster.local",
        A,
        Expected(
            answers=["ext.default.svc.cluster.local 5 CNAME www.example.com"],
            chase=Question("www.example.com", A),
        ),
    ),
    (
        "ext.default.svc.cluster.local",
        CNAME,
        Expected(answers=["ext.default.svc.cluster.local 5 CNAME www.example.com"]),
    ),
    (
        "alias.default.svc.cluster.local",
        A,
        Expected(
            answers=[f"alias.default.svc.cluster.local 5 CNAME {WEB}", f"{WEB} 5 A 10.96.0.5"]
        ),
    ),
    (
        "alias.default.svc.cluster.local",
        TXT,
        Expected(answers=[f"alias.default.svc.cluster.local 5 CNAME {WEB}"], authority=[SOA_TEXT]),
    ),
    # Namespaces, the zone's own names, nonsense.
    ("default.svc.cluster.local", A, Expected(authority=[SOA_TEXT])),
    ("nope.svc.cluster.local", A, Expected(rcode=NXDOMAIN, authority=[SOA_TEXT])),
    ("nope.default.svc.cluster.local", A, Expected(rcode=NXDOMAIN, authority=[SOA_TEXT])),
    ("svc.cluster.local", A, Expected(authority=[SOA_TEXT])),
    ("cluster.local", A, Expected(authority=[SOA_TEXT])),
    ("cluster.local", SOA, Expected(answers=[SOA_TEXT])),
    (
        "cluster.local",
        NS,
        Expected(
            answers=["cluster.local 5 NS ns.dns.cluster.local"],
            additional=["ns.dns.cluster.local 5 A 10.96.0.10"],
        ),
    ),
    (
        "cluster.local",
        ANY,
        Expected(
            answers=[SOA_TEXT, "cluster.local 5 NS ns.dns.cluster.local"],
            additional=["ns.dns.cluster.local 5 A 10.96.0.10"],
        ),
    ),
    ("ns.dns.cluster.local", A, Expected(answers=["ns.dns.cluster.local 5 A 10.96.0.10"])),
    ("dns.cluster.local", A, Expected(authority=[SOA_TEXT])),
    (
        "dns-version.cluster.local",
        TXT,
        Expected(answers=['dns-version.cluster.local 28800 TXT "1.1.0"']),
    ),
    ("foo.cluster.local", A, Expected(rcode=NXDOMAIN, authority=[SOA_TEXT])),
    ("a.b.c.web.default.svc.cluster.local", A, Expected(rcode=NXDOMAIN, authority=[SOA_TEXT])),
    # Pods (insecure: any address in an existing namespace).
    (
        "10-1-2-3.default.pod.cluster.local",
        A,
        Expected(answers=["10-1-2-3.default.pod.cluster.local 5 A 10.1.2.3"]),
    ),
    (
        "fd00--3.default.pod.cluster.local",
        AAAA,
        Expected(answers=["fd00--3.default.pod.cluster.local 5 AAAA fd00::3"]),
    ),
    ("fd00--3.default.pod.cluster.local", A, Expected(authority=[SOA_TEXT])),
    ("10-1-2-3.nope.pod.cluster.local", A, Expected(rcode=NXDOMAIN, authority=[SOA_TEXT])),
    ("web.default.pod.cluster.local", A, Expected(rcode=NXDOMAIN, authority=[SOA_TEXT])),
    ("default.pod.cluster.local", A, Expected(authority=[SOA_TEXT])),
    ("pod.cluster.local", A, Expected(authority=[SOA_TEXT])),
    # Reverse lookups.
    ("5.0.96.10.in-addr.arpa", PTR, Expected(answers=[f"5.0.96.10.in-addr.arpa 5 PTR {WEB}"])),
    ("1.0.1.10.in-addr.arpa", PTR, Expected(answers=[f"1.0.1.10.in-addr.arpa 5 PTR db-0.{DB}"])),
    (
        "5." + "0." * 29 + "d.f.ip6.arpa",
        PTR,
        Expected(answers=["5." + "0." * 29 + f"d.f.ip6.arpa 5 PTR {WEB}"]),
    ),
]

NOT_OURS: list[tuple[str, int]] = [
    ("www.example.com", A),
    ("9.9.9.9.in-addr.arpa", PTR),  # an address the cluster does not know: forwarded
    ("5.0.96.10.in-addr.arpa", A),
    ("96.10.in-addr.arpa", PTR),
    ("local", SOA),
]


def render(records: list[Record]) -> list[str]:
    return [record_text(r).replace(" 1000 7200", " SERIAL 7200") for r in records]


def ask(zone: ClusterZone, qname: str, qtype: int) -> Answer:
    """The zone's answer, which must be one (not a name to forward)."""
    answer = zone.resolve(qname, qtype)
    assert answer is not None, f"{qname} was not answered"
    return answer


@pytest.mark.parametrize(
    ("qname", "qtype", "expected"),
    CASES,
    ids=[f"{name} {qtype}" for name, qtype, _ in CASES],
)
def test_answers(qname: str, qtype: int, expected: Expected) -> None:
    answer = cluster_zone().resolve(qname, qtype)
    assert answer is not None
    assert answer.rcode == expected.rcode
    assert render(answer.answers) == expected.answers
    assert render(answer.authority) == expected.authority
    assert render(answer.additional) == expected.additional
    assert answer.chase == expected.chase


@pytest.mark.parametrize(("qname", "qtype"), NOT_OURS)
def test_other_names_are_not_ours(qname: str, qtype: int) -> None:
    assert cluster_zone().resolve(qname, qtype) is None


def test_cname_loops_stop() -> None:
    """Two ExternalNames naming each other: at most 8 CNAMEs, then the chain stops."""
    answer = cluster_zone().resolve("loop-a.default.svc.cluster.local", A)
    assert answer is not None
    assert answer.rcode == NOERROR
    assert len(answer.answers) == 9
    assert {r.rtype for r in answer.answers} == {CNAME}


def test_pod_records_disabled() -> None:
    zone = cluster_zone("disabled")
    answer = zone.resolve("10-1-2-3.default.pod.cluster.local", A)
    assert answer is not None
    assert answer.rcode == NXDOMAIN
    pod_ns = zone.resolve("default.pod.cluster.local", A)
    assert pod_ns is not None
    assert pod_ns.rcode == NXDOMAIN


def test_pod_records_verified() -> None:
    """Only addresses of pods that exist, in their namespace."""
    zone = cluster_zone("verified")
    pod = {"metadata": {"name": "p", "namespace": "default"}, "status": {"podIP": "10.1.2.3"}}
    zone.set_source(("pod", "default/p"), pod_contribution(pod, zone=zone.domain))
    ok = zone.resolve("10-1-2-3.default.pod.cluster.local", A)
    assert ok is not None
    assert render(ok.answers) == ["10-1-2-3.default.pod.cluster.local 5 A 10.1.2.3"]
    for name in ("10-1-2-4.default.pod.cluster.local", "10-1-2-3.kube-system.pod.cluster.local"):
        other = zone.resolve(name, A)
        assert other is not None
        assert other.rcode == NXDOMAIN
    zone.set_source(("pod", "default/p"), None)
    gone = zone.resolve("10-1-2-3.default.pod.cluster.local", A)
    assert gone is not None
    assert gone.rcode == NXDOMAIN


def test_changes_and_removals() -> None:
    """Replacing a source replaces its records; removing it removes them and the empty
    non-terminals above them; every change moves the generation and the serial."""
    now = [1000.0]
    zone = ClusterZone(clock=lambda: now[0])
    zone.set_source(("namespace", "default"), namespace_contribution("default", zone=zone.domain))
    generation = zone.generation
    now[0] = 2000.0
    svc = service("web", ports=[port("http", 80)])
    zone.set_source(("service", "default/web"), service_contribution(svc, [], zone=zone.domain))
    assert zone.generation == generation + 1
    assert zone.serial == 2000
    assert render(ask(zone, f"_http._tcp.{WEB}", SRV).answers)
    # The same contribution again is no change.
    zone.set_source(("service", "default/web"), service_contribution(svc, [], zone=zone.domain))
    assert zone.generation == generation + 1
    moved = service("web", cluster_ip="10.96.0.6", ports=[port("web", 80)])
    zone.set_source(("service", "default/web"), service_contribution(moved, [], zone=zone.domain))
    assert render(ask(zone, WEB, A).answers) == [f"{WEB} 5 A 10.96.0.6"]
    assert ask(zone, f"_http._tcp.{WEB}", SRV).rcode == NXDOMAIN
    assert zone.resolve("5.0.96.10.in-addr.arpa", PTR) is None
    zone.set_source(("service", "default/web"), None)
    for name in (WEB, f"_tcp.{WEB}", f"_web._tcp.{WEB}"):
        assert ask(zone, name, A).rcode == NXDOMAIN
    assert zone.resolve("6.0.96.10.in-addr.arpa", PTR) is None
    # The namespace still exists.
    assert ask(zone, "default.svc.cluster.local", A).rcode == NOERROR


def test_a_cluster_ip_outranks_endpoints_in_reverse_lookups() -> None:
    zone = ClusterZone()
    headless = service("db", cluster_ip="None")
    slices = [endpoint_slice("db", [endpoint("10.96.0.5", hostname="db-0")])]
    zone.set_source(
        ("service", "default/db"), service_contribution(headless, slices, zone=zone.domain)
    )
    answer = zone.resolve("5.0.96.10.in-addr.arpa", PTR)
    assert answer is not None
    assert render(answer.answers) == [f"5.0.96.10.in-addr.arpa 5 PTR db-0.{DB}"]
    zone.set_source(
        ("service", "default/web"), service_contribution(service("web"), [], zone=zone.domain)
    )
    answer = zone.resolve("5.0.96.10.in-addr.arpa", PTR)
    assert answer is not None
    assert render(answer.answers) == [f"5.0.96.10.in-addr.arpa 5 PTR {WEB}"]


def test_another_domain() -> None:
    zone = ClusterZone(domain="Corp.Example.", dns_ips=("10.0.0.10",))
    zone.set_source(
        ("service", "a/web"),
        service_contribution(service("web", namespace="a"), [], zone=zone.domain),
    )
    answer = zone.resolve("web.a.svc.corp.example", A)
    assert answer is not None
    assert render(answer.answers) == ["web.a.svc.corp.example 5 A 10.96.0.5"]
    assert zone.resolve("web.a.svc.cluster.local", A) is None
