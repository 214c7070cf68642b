"""DNS messages as values: header flags, questions, resource records, EDNS.

The types here carry no wire logic (that is :mod:`kubeling.dns.wire`); they are
what the pure parts (the zone, the query handler) build and inspect.

Names are text without the trailing dot (the root is ``""``), labels joined by
``.``. A label byte that would be ambiguous in that form (``.`` or ``\\``) is
escaped with a backslash, as in zone files; every other byte maps to one
character (Latin-1), so any name on the wire round-trips. Lookups compare names
case-insensitively (ASCII), as DNS does, by lowercasing them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "AAAA",
    "ANY",
    "AXFR",
    "CLASS_ANY",
    "CLASS_IN",
    "CNAME",
    "DNAME",
    "FORMERR",
    "IXFR",
    "MX",
    "NOERROR",
    "NOTIMP",
    "NS",
    "NXDOMAIN",
    "OPCODE_QUERY",
    "OPT",
    "PTR",
    "REFUSED",
    "SERVFAIL",
    "SOA",
    "SRV",
    "TXT",
    "A",
    "AddressA",
    "AddressAAAA",
    "Edns",
    "Flags",
    "MailExchange",
    "Message",
    "Opaque",
    "Question",
    "Rdata",
    "Record",
    "ServiceLocation",
    "StartOfAuthority",
    "Target",
    "Text",
    "type_name",
]

# Record types (RFC 1035, 3596, 2782, 6672, 6891) and the query-only ones.
A: Final = 1
NS: Final = 2
CNAME: Final = 5
SOA: Final = 6
PTR: Final = 12
MX: Final = 15
TXT: Final = 16
AAAA: Final = 28
SRV: Final = 33
DNAME: Final = 39
OPT: Final = 41
IXFR: Final = 251
AXFR: Final = 252
ANY: Final = 255

CLASS_IN: Final = 1
CLASS_ANY: Final = 255

OPCODE_QUERY: Final = 0

# Response codes; BADVERS (16) needs EDNS's extended bits.
NOERROR: Final = 0
FORMERR: Final = 1
SERVFAIL: Final = 2
NXDOMAIN: Final = 3
NOTIMP: Final = 4
REFUSED: Final = 5
BADVERS: Final = 16

_TYPE_NAMES: Final = {
    A: "A",
    NS: "NS",
    CNAME: "CNAME",
    SOA: "SOA",
    PTR: "PTR",
    MX: "MX",
    TXT: "TXT",
    AAAA: "AAAA",
    SRV: "SRV",
    DNAME: "DNAME",
    OPT: "OPT",
    IXFR: "IXFR",
    AXFR: "AXFR",
    ANY: "ANY",
}


def type_name(rtype: int) -> str:
    """A record type's mnemonic, or RFC 3597's generic form.

    >>> type_name(33), type_name(65280)
    ('SRV', 'TYPE65280')
    """
    return _TYPE_NAMES.get(rtype, f"TYPE{rtype}")


class Flags:
    """Bits of the header's second 16-bit word (RFC 1035 4.1.1, RFC 4035 AD/CD)."""

    QR: Final = 0x8000
    AA: Final = 0x0400
    TC: Final = 0x0200
    RD: Final = 0x0100
    RA: Final = 0x0080
    AD: Final = 0x0020
    CD: Final = 0x0010
    OPCODE_SHIFT: Final = 11
    OPCODE_MASK: Final = 0x7800
    RCODE_MASK: Final = 0x000F


# -- record data --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AddressA:
    """An IPv4 address, in dotted form."""

    address: str


@dataclass(frozen=True, slots=True)
class AddressAAAA:
    """An IPv6 address, in the form ``ipaddress`` prints."""

    address: str


@dataclass(frozen=True, slots=True)
class Target:
    """A single domain name: the data of CNAME, PTR, NS and DNAME records."""

    name: str


@dataclass(frozen=True, slots=True)
class MailExchange:
    preference: int
    exchange: str


@dataclass(frozen=True, slots=True)
class StartOfAuthority:
    mname: str
    rname: str
    serial: int
    refresh: int
    retry: int
    expire: int
    minimum: int


@dataclass(frozen=True, slots=True)
class ServiceLocation:
    """SRV data (RFC 2782)."""

    priority: int
    weight: int
    port: int
    target: str


@dataclass(frozen=True, slots=True)
class Text:
    """TXT data: one or more character strings of at most 255 bytes each."""

    strings: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class Opaque:
    """The data of a type this server does not interpret, kept byte for byte (RFC 3597)."""

    data: bytes


Rdata = (
    AddressA
    | AddressAAAA
    | Target
    | MailExchange
    | StartOfAuthority
    | ServiceLocation
    | Text
    | Opaque
)


@dataclass(frozen=True, slots=True)
class Record:
    name: str
    rtype: int
    rclass: int
    ttl: int
    rdata: Rdata


@dataclass(frozen=True, slots=True)
class Question:
    name: str
    qtype: int
    qclass: int = CLASS_IN


@dataclass(frozen=True, slots=True)
class Edns:
    """The OPT pseudo-record (RFC 6891): the sender's UDP payload size and flags."""

    udp_size: int = 1232
    extended_rcode: int = 0  # the upper 8 bits of a 12-bit rcode
    version: int = 0
    dnssec_ok: bool = False
    options: tuple[tuple[int, bytes], ...] = ()


@dataclass(slots=True)
class Message:
    """A whole DNS message. ``rcode`` is the full (extended) response code; on the wire its
    low 4 bits go in the header and the rest in the OPT record."""

    id: int
    flags: int = 0  # QR, opcode, AA, TC, RD, RA, AD, CD; the rcode bits are kept in ``rcode``
    rcode: int = NOERROR
    questions: list[Question] = field(default_factory=list)
    answers: list[Record] = field(default_factory=list)
    authority: list[Record] = field(default_factory=list)
    additional: list[Record] = field(default_factory=list)  # without the OPT record
    edns: Edns | None = None

    @property
    def opcode(self) -> int:
        return (self.flags & Flags.OPCODE_MASK) >> Flags.OPCODE_SHIFT

    @property
    def is_response(self) -> bool:
        return bool(self.flags & Flags.QR)

    @property
    def truncated(self) -> bool:
        return bool(self.flags & Flags.TC)
