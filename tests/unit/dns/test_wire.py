"""The DNS wire format: round trips, compression, truncation, and strictness on bad input."""

from __future__ import annotations

import contextlib
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubeling.dns.message import (
    AAAA,
    CLASS_IN,
    CNAME,
    MX,
    NS,
    NXDOMAIN,
    PTR,
    SOA,
    SRV,
    TXT,
    A,
    AddressA,
    AddressAAAA,
    Edns,
    Flags,
    MailExchange,
    Message,
    Opaque,
    Question,
    Record,
    ServiceLocation,
    StartOfAuthority,
    Target,
    Text,
)
from kubeling.dns.wire import FormatError, decode_message, encode_message, encode_name


def _header(qd: int = 1, an: int = 0, ns: int = 0, ar: int = 0, flags: int = 0x0100) -> bytes:
    return struct.pack("!6H", 0x1234, flags, qd, an, ns, ar)


def _question(name: bytes = b"\x03web\x00", qtype: int = A) -> bytes:
    return name + struct.pack("!HH", qtype, CLASS_IN)


def _rr(name: bytes, rtype: int, rdata: bytes, *, rclass: int = CLASS_IN, ttl: int = 5) -> bytes:
    return name + struct.pack("!HHIH", rtype, rclass, ttl, len(rdata)) + rdata


# -- round trips --------------------------------------------------------------------------------

EVERY_TYPE = Message(
    id=0xBEEF,
    flags=Flags.QR | Flags.AA | Flags.RD | Flags.RA,
    rcode=NXDOMAIN,
    questions=[Question("Web.Default.svc.cluster.local", A)],
    answers=[
        Record("web.default.svc.cluster.local", A, CLASS_IN, 5, AddressA("10.96.0.5")),
        Record("web.default.svc.cluster.local", AAAA, CLASS_IN, 5, AddressAAAA("fd00::5")),
        Record("x.default.svc.cluster.local", CNAME, CLASS_IN, 5, Target("www.example.com")),
        Record("5.0.96.10.in-addr.arpa", PTR, CLASS_IN, 5, Target("web.default.svc.cluster.local")),
        Record(
            "_http._tcp.web.default.svc.cluster.local",
            SRV,
            CLASS_IN,
            5,
            ServiceLocation(0, 100, 80, "web.default.svc.cluster.local"),
        ),
        Record("dns-version.cluster.local", TXT, CLASS_IN, 28800, Text((b"1.1.0", b""))),
        Record("example.com", MX, CLASS_IN, 60, MailExchange(10, "mail.example.com")),
        Record("example.com", 99, CLASS_IN, 60, Opaque(b"\x00\x01opaque")),
    ],
    authority=[
        Record(
            "cluster.local",
            SOA,
            CLASS_IN,
            5,
            StartOfAuthority(
                "ns.dns.cluster.local", "hostmaster.cluster.local", 7, 7200, 1800, 86400, 5
            ),
        ),
        Record("cluster.local", NS, CLASS_IN, 5, Target("ns.dns.cluster.local")),
    ],
    additional=[Record("ns.dns.cluster.local", A, CLASS_IN, 5, AddressA("10.96.0.10"))],
    edns=Edns(udp_size=4096, extended_rcode=0, dnssec_ok=True, options=((10, b"12345678"),)),
)


def test_every_record_type_round_trips() -> None:
    """Each rdata type, both EDNS and a full rcode survive encoding and decoding."""
    assert decode_message(encode_message(EVERY_TYPE)) == EVERY_TYPE


def test_extended_rcode_goes_into_the_opt_record() -> None:
    """BADVERS (16) needs the OPT record's upper rcode bits."""
    message = Message(id=1, flags=Flags.QR, rcode=16, edns=Edns())
    data = encode_message(message)
    assert data[3] & 0x0F == 0  # the header keeps the low four bits
    assert decode_message(data).rcode == 16


def test_names_are_compressed() -> None:
    """A name or suffix written before becomes a two-byte pointer; case is kept exactly."""
    message = Message(
        id=1,
        questions=[Question("WEB.default.svc.cluster.local", A)],
        answers=[
            Record("WEB.default.svc.cluster.local", A, CLASS_IN, 5, AddressA("10.0.0.1")),
            Record("db.default.svc.cluster.local", A, CLASS_IN, 5, AddressA("10.0.0.2")),
        ],
    )
    data = encode_message(message)
    question_size = len(encode_name("WEB.default.svc.cluster.local")) + 4
    # Answer 1: a pointer (2) + 10 bytes + 4 bytes of address; answer 2: "db" + pointer.
    assert len(data) == 12 + question_size + (2 + 10 + 4) + (3 + 2 + 10 + 4)
    assert data[12 + question_size : 12 + question_size + 2] == b"\xc0\x0c"
    decoded = decode_message(data)
    assert [r.name for r in decoded.answers] == [
        "WEB.default.svc.cluster.local",
        "db.default.svc.cluster.local",
    ]


def test_srv_targets_are_written_in_full_but_can_be_pointed_at() -> None:
    """RFC 2782: no compression in SRV targets; later names may still point into them."""
    message = Message(
        id=1,
        answers=[
            Record("_p._tcp.s.n", SRV, CLASS_IN, 5, ServiceLocation(0, 100, 80, "host.s.n")),
            Record("host.s.n", A, CLASS_IN, 5, AddressA("10.0.0.1")),
        ],
    )
    data = encode_message(message)
    assert b"\x04host\x01s\x01n\x00" in data
    assert data.count(b"\x04host") == 1  # the A record's owner points into the SRV target
    assert decode_message(data).answers == message.answers


def test_labels_with_dots_and_backslashes_round_trip() -> None:
    """A label byte that would be ambiguous in text is escaped, and comes back as it was."""
    wire = _header() + _question(b"\x03a.b\x02\\c\x00")
    decoded = decode_message(wire)
    assert decoded.questions[0].name == "a\\.b.\\\\c"
    assert encode_message(decoded) == wire


# -- truncation ---------------------------------------------------------------------------------


def _many_addresses(count: int, *, edns: Edns | None = None) -> Message:
    name = "big.default.svc.cluster.local"
    return Message(
        id=9,
        flags=Flags.QR | Flags.AA,
        questions=[Question(name, A)],
        answers=[
            Record(name, A, CLASS_IN, 5, AddressA(f"10.0.{i // 256}.{i % 256}"))
            for i in range(count)
        ],
        edns=edns,
    )


@pytest.mark.parametrize(
    ("edns", "limit"),
    [(None, 512), (Edns(udp_size=1232), 1232)],
)
def test_answers_over_the_limit_are_truncated_with_tc(edns: Edns | None, limit: int) -> None:
    """Whole records are left out, TC is set, and the OPT record keeps its place."""
    message = _many_addresses(200, edns=edns)
    data = encode_message(message, limit=limit)
    assert len(data) <= limit
    decoded = decode_message(data)
    assert decoded.truncated
    assert 0 < len(decoded.answers) < 200
    assert decoded.answers == message.answers[: len(decoded.answers)]
    assert decoded.edns == edns
    # One more record would not have fitted.
    assert len(data) + 16 > limit


def test_what_fits_is_not_truncated() -> None:
    message = _many_addresses(10)
    decoded = decode_message(encode_message(message, limit=512))
    assert not decoded.truncated
    assert decoded.answers == message.answers


def test_dropping_additional_records_does_not_set_tc() -> None:
    """Glue is optional (RFC 2181 section 9): the answer is still complete without it."""
    message = _many_addresses(1)
    message.additional = [
        Record(f"glue{i}.cluster.local", A, CLASS_IN, 5, AddressA("10.0.0.1")) for i in range(100)
    ]
    decoded = decode_message(encode_message(message, limit=512))
    assert not decoded.truncated
    assert decoded.answers == message.answers
    assert 0 < len(decoded.additional) < 100


def test_compression_table_is_rolled_back_with_a_dropped_record() -> None:
    """A pointer may never point at bytes that were cut off: decode checks every pointer."""
    name = "x" * 60 + ".example"
    message = Message(
        id=1,
        answers=[Record(f"{i}.{name}", A, CLASS_IN, 5, AddressA("10.0.0.1")) for i in range(40)],
        additional=[Record(f"a{i}.{name}", A, CLASS_IN, 5, AddressA("10.0.0.1")) for i in range(9)],
    )
    for limit in range(100, 700, 7):
        decode_message(encode_message(message, limit=limit))


# -- strictness ---------------------------------------------------------------------------------


def _answer(rtype: int, rdata: bytes) -> bytes:
    """A response with one question and one answer of ``rtype`` owned by the root."""
    return _header(an=1) + _question() + _rr(b"\x00", rtype, rdata)


_QUESTION_A = struct.pack("!HH", A, 1)

MALFORMED = {
    "empty": b"",
    "shorter than a header": b"\x12\x34\x01",
    "question missing": _header(),
    "label past the end": _header() + b"\x05ab",
    "question tail missing": _header() + b"\x03web\x00\x00",
    "pointer to itself": _header() + b"\xc0\x0c" + _QUESTION_A,
    "pointer forwards": _header() + b"\xc0\x20" + _QUESTION_A + bytes(20),
    "pointer loop through a label": _header(an=1)
    + _question()
    + _rr(b"\x01a\xc0\x15", A, bytes(4)),
    "truncated pointer": _header() + b"\xc0",
    "extended label type": _header() + b"\x41abc\x00" + _QUESTION_A,
    "name over 255 bytes": _header() + (b"\x3f" + b"a" * 63) * 4 + b"\x00" + _QUESTION_A,
    "record tail missing": _header(an=1) + _question() + b"\x00\x00\x01",
    "rdata past the end": _answer(A, b"\x01\x02\x03\x04")[:-3],
    "A of 5 bytes": _answer(A, b"\x01\x02\x03\x04\x05"),
    "AAAA of 4 bytes": _answer(AAAA, b"\x01\x02\x03\x04"),
    "CNAME with bytes after its name": _answer(CNAME, b"\x00\x00"),
    "SOA without its numbers": _answer(SOA, b"\x00\x00\x00\x00"),
    "SRV too short": _answer(SRV, b"\x00\x00"),
    "MX too short": _answer(MX, b"\x00"),
    "TXT string past its record": _answer(TXT, b"\x05ab"),
    "OPT in the answer section": _answer(41, b""),
    "two OPT records": _header(ar=2) + _question() + _rr(b"\x00", 41, b"", rclass=1232) * 2,
    "OPT with a name": _header(ar=1) + _question() + _rr(b"\x01a\x00", 41, b"", rclass=1232),
    "EDNS option past its record": _header(ar=1)
    + _question()
    + _rr(b"\x00", 41, b"\x00\x0a\x00\x08\x01", rclass=1232),
    "trailing bytes": _header() + _question() + b"\x00",
    "more questions than bytes": _header(qd=60000) + _question(),
}


@pytest.mark.parametrize("data", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_messages_raise_format_error(data: bytes) -> None:
    with pytest.raises(FormatError):
        decode_message(data)


def test_a_real_dig_query_decodes() -> None:
    """dig 9.18's query for web.default.svc.cluster.local A, with EDNS and a cookie."""
    data = bytes.fromhex(
        "a0f30120000100000000000103776562076465666175"
        "6c74037376630763"
        "6c7573746572056c6f63616c0000010001"
        "00002904d000000000000c000a00082b5f86c9a26d5dd4"
    )
    query = decode_message(data)
    assert query.questions == [Question("web.default.svc.cluster.local", A)]
    assert query.edns is not None
    assert query.edns.udp_size == 1232
    assert query.edns.options[0][0] == 10  # COOKIE
    assert query.flags & Flags.RD


# -- fuzzing ------------------------------------------------------------------------------------


@settings(max_examples=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_random_bytes_never_raise_anything_but_format_error(data: bytes) -> None:
    with contextlib.suppress(FormatError):
        decode_message(data)


@settings(max_examples=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_messages_never_raise_anything_but_format_error(data: st.DataObject) -> None:
    """Random byte flips, cuts and splices of a valid message with every record type."""
    wire = bytearray(encode_message(EVERY_TYPE))
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(wire) - 1))
        wire[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(wire)))
    try:
        message = decode_message(bytes(wire[:cut]))
    except FormatError:
        return
    # Whatever decodes can be encoded again (names stay within limits).
    encode_message(message)


_label = st.binary(min_size=1, max_size=20).map(lambda b: b.decode("latin-1"))
_name = st.lists(_label, min_size=0, max_size=6).map(
    lambda labels: ".".join(label.replace("\\", "\\\\").replace(".", "\\.") for label in labels)
)


@settings(max_examples=500)
@given(
    names=st.lists(_name, min_size=1, max_size=6),
    addresses=st.lists(st.ip_addresses(v=4).map(str), min_size=1, max_size=6),
)
def test_generated_messages_round_trip(names: list[str], addresses: list[str]) -> None:
    """Any names (any bytes in labels) and addresses survive encoding with compression."""
    message = Message(
        id=7,
        flags=Flags.QR,
        questions=[Question(names[0], A)],
        answers=[
            Record(name, A, CLASS_IN, 5, AddressA(address))
            for name, address in zip(names, addresses, strict=False)
        ],
        authority=[Record(name, CNAME, CLASS_IN, 5, Target(names[-1])) for name in names],
    )
    assert decode_message(encode_message(message)) == message
