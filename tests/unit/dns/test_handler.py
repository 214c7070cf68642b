"""The query handler: packets in, actions out (reply, forward, chase, drop)."""

from __future__ import annotations

import struct

import pytest

from kubeling.dns.handler import Chase, Forward, QueryHandler, Reply
from kubeling.dns.message import (
    AXFR,
    BADVERS,
    CLASS_IN,
    FORMERR,
    NOERROR,
    NOTIMP,
    NXDOMAIN,
    REFUSED,
    SERVFAIL,
    SRV,
    A,
    AddressA,
    Edns,
    Flags,
    Message,
    Question,
    Record,
)
from kubeling.dns.records import namespace_contribution, service_contribution
from kubeling.dns.wire import decode_message, encode_message
from kubeling.dns.zone import ClusterZone
from tests.support.dns_objects import endpoint, endpoint_slice, port, service

WEB = "web.default.svc.cluster.local"
BIG = "big.default.svc.cluster.local"


@pytest.fixture
def zone() -> ClusterZone:
    """default/web (ClusterIP), default/big (headless, 100 ready endpoints), default/ext
    (ExternalName)."""
    zone = ClusterZone(dns_ips=("10.96.0.10",))
    zone.set_source(("namespace", "default"), namespace_contribution("default", zone=zone.domain))
    zone.set_source(
        ("service", "default/web"),
        service_contribution(service("web", ports=[port("http", 80)]), [], zone=zone.domain),
    )
    big = endpoint_slice("big", [endpoint(f"10.1.0.{i}") for i in range(1, 101)])
    zone.set_source(
        ("service", "default/big"),
        service_contribution(service("big", cluster_ip="None"), [big], zone=zone.domain),
    )
    ext = service("ext", cluster_ip=None, type="ExternalName", external_name="www.example.com")
    zone.set_source(("service", "default/ext"), service_contribution(ext, [], zone=zone.domain))
    return zone


def query(
    name: str,
    qtype: int = A,
    *,
    ident: int = 0x1234,
    edns: Edns | None = None,
    flags: int = Flags.RD,
    qclass: int = CLASS_IN,
) -> bytes:
    return encode_message(
        Message(id=ident, flags=flags, questions=[Question(name, qtype, qclass)], edns=edns)
    )


def reply(action: object) -> Message:
    assert isinstance(action, Reply), action
    return decode_message(action.data)


def test_an_answer_is_authoritative_and_echoes_the_query(zone: ClusterZone) -> None:
    response = reply(QueryHandler(zone).handle(query(WEB, flags=Flags.RD | Flags.CD), tcp=False))
    assert response.id == 0x1234
    assert response.flags & Flags.QR
    assert response.flags & Flags.AA
    assert response.flags & Flags.RD
    assert response.flags & Flags.CD
    assert response.flags & Flags.RA
    assert response.rcode == NOERROR
    assert response.questions == [Question(WEB, A)]
    assert response.answers == [Record(WEB, A, CLASS_IN, 5, AddressA("10.96.0.5"))]
    assert response.edns is None  # no OPT without the client's


def test_edns_is_answered_with_our_size_and_the_do_bit(zone: ClusterZone) -> None:
    response = reply(
        QueryHandler(zone).handle(
            query(WEB, edns=Edns(udp_size=4096, dnssec_ok=True, options=((10, b"c" * 8),))),
            tcp=False,
        )
    )
    assert response.edns == Edns(udp_size=1232, dnssec_ok=True)


def test_nxdomain_carries_the_soa(zone: ClusterZone) -> None:
    response = reply(QueryHandler(zone).handle(query("nope.default.svc.cluster.local"), tcp=False))
    assert response.rcode == NXDOMAIN
    assert response.flags & Flags.AA
    assert [r.name for r in response.authority] == ["cluster.local"]


@pytest.mark.parametrize(
    ("edns", "tcp", "truncated"),
    [
        (None, False, True),  # 100 A records are 1,6xx bytes: more than 512
        (Edns(udp_size=1232), False, True),
        (Edns(udp_size=4096), False, True),  # capped at 1232
        (None, True, False),
    ],
)
def test_udp_answers_are_truncated(
    zone: ClusterZone, edns: Edns | None, tcp: bool, truncated: bool
) -> None:
    action = QueryHandler(zone).handle(query(BIG, edns=edns), tcp=tcp)
    assert isinstance(action, Reply)
    response = decode_message(action.data)
    assert response.truncated is truncated
    if truncated:
        assert len(action.data) <= (512 if edns is None else 1232)
        assert 0 < len(response.answers) < 100
    else:
        assert len(response.answers) == 100


def test_repeated_questions_come_from_the_cache_with_their_own_id(zone: ClusterZone) -> None:
    handler = QueryHandler(zone)
    first = reply(handler.handle(query(WEB, ident=1), tcp=False))
    second = reply(handler.handle(query(WEB, ident=2), tcp=False))
    assert handler.statistics()["cache_hits"] == 1
    assert second.id == 2
    second.id = first.id
    assert second == first


def test_the_cache_follows_zone_changes(zone: ClusterZone) -> None:
    handler = QueryHandler(zone)
    reply(handler.handle(query(WEB), tcp=False))
    moved = service("web", cluster_ip="10.96.0.6", ports=[port("http", 80)])
    zone.set_source(("service", "default/web"), service_contribution(moved, [], zone=zone.domain))
    response = reply(handler.handle(query(WEB), tcp=False))
    assert response.answers[0].rdata == AddressA("10.96.0.6")
    assert handler.statistics().get("cache_hits", 0) == 0


def test_the_cache_is_bounded(zone: ClusterZone) -> None:
    handler = QueryHandler(zone, cache_size=10)
    for i in range(100):
        handler.handle(query(f"n{i}.default.svc.cluster.local"), tcp=False)
        assert handler.statistics()["cached_answers"] <= 10


@pytest.mark.parametrize(
    "packet",
    [
        b"",
        b"\x12\x34",
        bytes(11),
        # A response (QR set), well-formed or not: never answered.
        query(WEB, flags=Flags.QR),
        struct.pack("!6H", 1, Flags.QR, 1, 0, 0, 0) + b"\xff",
    ],
)
def test_short_packets_and_responses_are_dropped(zone: ClusterZone, packet: bytes) -> None:
    assert QueryHandler(zone).handle(packet, tcp=False) is None


@pytest.mark.parametrize(
    "packet",
    [
        struct.pack("!6H", 0x4242, Flags.RD, 1, 0, 0, 0) + b"\x05ab",
        struct.pack("!6H", 0x4242, Flags.RD, 1, 0, 0, 0) + b"\xc0\x0c\x00\x01\x00\x01",
        query(WEB, ident=0x4242) + b"junk",
    ],
)
def test_malformed_queries_get_formerr_with_the_header_alone(
    zone: ClusterZone, packet: bytes
) -> None:
    response = reply(QueryHandler(zone).handle(packet, tcp=False))
    assert response.id == 0x4242
    assert response.rcode == FORMERR
    assert response.flags & Flags.RD
    assert response.questions == []


def test_query_errors(zone: ClusterZone) -> None:
    handler = QueryHandler(zone)
    two_questions = encode_message(Message(id=1, questions=[Question(WEB, A), Question(WEB, A)]))
    assert reply(handler.handle(two_questions, tcp=False)).rcode == FORMERR
    no_question = encode_message(Message(id=1))
    assert reply(handler.handle(no_question, tcp=False)).rcode == FORMERR
    notify = query(WEB, flags=4 << Flags.OPCODE_SHIFT)
    response = reply(handler.handle(notify, tcp=False))
    assert response.rcode == NOTIMP
    assert response.opcode == 4
    badvers = reply(handler.handle(query(WEB, edns=Edns(version=1)), tcp=False))
    assert badvers.rcode == BADVERS
    assert badvers.edns is not None
    assert badvers.answers == []
    assert reply(handler.handle(query("cluster.local", AXFR), tcp=True)).rcode == REFUSED
    assert reply(handler.handle(query(WEB, qclass=3), tcp=False)).rcode == REFUSED


def test_other_names_are_forwarded(zone: ClusterZone) -> None:
    packet = query("www.example.com", edns=Edns(udp_size=4096))
    action = QueryHandler(zone).handle(packet, tcp=False)
    assert isinstance(action, Forward)
    assert action.query == packet
    assert action.limit == 1232
    chaos = QueryHandler(zone).handle(query("version.bind", qclass=3), tcp=True)
    assert isinstance(chaos, Forward)
    assert chaos.limit == 65535


def _upstream_reply(packet: bytes, *, answers: int, ident: int = 0x9999) -> bytes:
    request = decode_message(packet)
    return encode_message(
        Message(
            id=ident,
            flags=Flags.QR | Flags.RD | Flags.RA,
            questions=request.questions,
            answers=[
                Record(request.questions[0].name, A, CLASS_IN, 60, AddressA(f"192.0.2.{i}"))
                for i in range(answers)
            ],
            edns=request.edns,
        )
    )


def test_forwarded_replies_get_the_clients_id(zone: ClusterZone) -> None:
    handler = QueryHandler(zone)
    packet = query("www.example.com", ident=77)
    action = handler.handle(packet, tcp=False)
    assert isinstance(action, Forward)
    response = decode_message(handler.forwarded(action, _upstream_reply(packet, answers=2)))
    assert response.id == 77
    assert len(response.answers) == 2


def test_forwarded_replies_too_large_for_the_client_say_tc(zone: ClusterZone) -> None:
    handler = QueryHandler(zone)
    packet = query("www.example.com", ident=77)
    action = handler.handle(packet, tcp=False)
    assert isinstance(action, Forward)
    data = handler.forwarded(action, _upstream_reply(packet, answers=60))
    response = decode_message(data)
    assert response.truncated
    assert response.answers == []
    assert response.questions == [Question("www.example.com", A)]
    assert len(data) <= 512


def test_no_upstream_answer_is_servfail(zone: ClusterZone) -> None:
    handler = QueryHandler(zone)
    action = handler.handle(query("www.example.com", edns=Edns()), tcp=False)
    assert isinstance(action, Forward)
    response = decode_message(handler.forwarded(action, None))
    assert response.rcode == SERVFAIL
    assert response.edns is not None
    refused = decode_message(handler.refused(action))
    assert refused.rcode == REFUSED


def test_external_names_are_chased(zone: ClusterZone) -> None:
    handler = QueryHandler(zone)
    action = handler.handle(query("ext.default.svc.cluster.local", ident=5), tcp=False)
    assert isinstance(action, Chase)
    assert action.question == Question("www.example.com", A)
    upstream_query = decode_message(handler.chase_query(action))
    assert upstream_query.questions == [Question("www.example.com", A)]
    assert upstream_query.flags & Flags.RD
    data = handler.chased(action, _upstream_reply(handler.chase_query(action), answers=1))
    response = decode_message(data)
    assert response.id == 5
    assert [(r.name, r.rtype) for r in response.answers] == [
        ("ext.default.svc.cluster.local", 5),
        ("www.example.com", A),
    ]
    # Without an upstream answer: the CNAME alone.
    alone = decode_message(handler.chased(action, None))
    assert [r.rtype for r in alone.answers] == [5]
    garbled = decode_message(handler.chased(action, b"\x00\x05garbage"))
    assert [r.rtype for r in garbled.answers] == [5]


def test_srv_answers_carry_glue(zone: ClusterZone) -> None:
    response = reply(QueryHandler(zone).handle(query(f"_http._tcp.{WEB}", SRV), tcp=False))
    assert len(response.answers) == 1
    assert response.additional == [Record(WEB, A, CLASS_IN, 5, AddressA("10.96.0.5"))]
