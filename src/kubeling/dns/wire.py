"""The DNS wire format (RFC 1035 section 4, RFC 3596, 2782, 6891): bytes to messages and back.

Decoding is strict, because every byte comes from the network: each length is
checked against what is left, a name may not exceed 63 bytes per label or 255
in all, compression pointers must point strictly before where the name being
read started (so they can never loop), record data must be exactly as long as
it says (a name in it must end where the data ends), there may be at most one
OPT record and only in the additional section, and nothing may follow the last
record. Any violation raises :class:`FormatError`; nothing else escapes for any
input (the fuzz tests hold the decoder to that).

Encoding compresses names (owners and the names inside CNAME, NS, PTR, DNAME,
MX and SOA data; SRV targets are written in full, as RFC 2782 asks, though later
names may point into them), matching suffixes byte for byte so that every name
keeps the case it was written with, and fits the message into a size limit: records that
do not fit are left out whole, the OPT record always has its place, and TC is set
when an answer or authority record had to go (RFC 2181 section 9: dropping
additional records, such as SRV glue, does not make an answer incomplete).
"""

from __future__ import annotations

import functools
import socket
import struct
from typing import Final

from kubeling.dns.message import (
    AAAA,
    CNAME,
    DNAME,
    MX,
    NS,
    OPT,
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
    Rdata,
    Record,
    ServiceLocation,
    StartOfAuthority,
    Target,
    Text,
)

__all__ = [
    "HEADER_SIZE",
    "MAX_MESSAGE",
    "FormatError",
    "decode_message",
    "encode_message",
    "encode_name",
    "read_header",
]

HEADER_SIZE: Final = 12
#: The largest message TCP's two-byte length prefix can carry.
MAX_MESSAGE: Final = 65535
MAX_NAME: Final = 255
MAX_LABEL: Final = 63

_HEADER: Final = struct.Struct("!6H")
_QUESTION_TAIL: Final = struct.Struct("!HH")
_RECORD_TAIL: Final = struct.Struct("!HHIH")
_SOA_TAIL: Final = struct.Struct("!5I")
_SRV_HEAD: Final = struct.Struct("!3H")
_U16: Final = struct.Struct("!H")

#: Types whose data is one domain name that may be compressed (RFC 3597 section 4).
_NAME_TYPES: Final = frozenset({CNAME, NS, PTR, DNAME})


class FormatError(ValueError):
    """The bytes are not a well-formed DNS message (answered with FORMERR, or dropped)."""


def read_header(data: bytes) -> tuple[int, int]:
    """The message id and flags word, if at least a header is there.

    >>> read_header(bytes.fromhex("abcd0100") + bytes(8))
    (43981, 256)
    """
    if len(data) < HEADER_SIZE:
        raise FormatError("shorter than a DNS header")
    ident, flags = struct.unpack_from("!HH", data)
    return ident, flags


# -- decoding -----------------------------------------------------------------------------------


def _label_text(raw: bytes) -> str:
    text = raw.decode("latin-1")
    if "." in text or "\\" in text:
        text = text.replace("\\", "\\\\").replace(".", "\\.")
    return text


def _read_name(data: bytes, offset: int) -> tuple[str, int]:
    """The name at ``offset`` and the offset just after it (after its first pointer, if any)."""
    labels: list[str] = []
    size = 1  # the final zero byte
    after = -1
    segment_start = offset
    pos = offset
    end = len(data)
    while True:
        if pos >= end:
            raise FormatError("name runs past the end of the message")
        length = data[pos]
        if length == 0:
            if after < 0:
                after = pos + 1
            return ".".join(labels), after
        kind = length & 0xC0
        if kind == 0xC0:
            if pos + 1 >= end:
                raise FormatError("truncated compression pointer")
            pointer = ((length & 0x3F) << 8) | data[pos + 1]
            # Strictly before where this stretch of labels began: every jump goes further
            # back, so a chain of pointers always ends.
            if pointer >= segment_start:
                raise FormatError("compression pointer does not point backwards")
            if after < 0:
                after = pos + 2
            segment_start = pos = pointer
            continue
        if kind:
            raise FormatError("unknown label type")
        size += length + 1
        if size > MAX_NAME:
            raise FormatError("name longer than 255 bytes")
        start = pos + 1
        pos = start + length
        if pos > end:
            raise FormatError("label runs past the end of the message")
        labels.append(_label_text(data[start:pos]))


def _read_rdata(data: bytes, rtype: int, start: int, end: int) -> Rdata:
    size = end - start
    if rtype == A:
        if size != 4:
            raise FormatError("A record data is not 4 bytes")
        return AddressA(socket.inet_ntop(socket.AF_INET, data[start:end]))
    if rtype == AAAA:
        if size != 16:
            raise FormatError("AAAA record data is not 16 bytes")
        return AddressAAAA(socket.inet_ntop(socket.AF_INET6, data[start:end]))
    if rtype in _NAME_TYPES:
        name, pos = _read_name(data, start)
        _expect_end(pos, end)
        return Target(name)
    if rtype == MX:
        if size < 3:
            raise FormatError("MX record data too short")
        (preference,) = _U16.unpack_from(data, start)
        name, pos = _read_name(data, start + 2)
        _expect_end(pos, end)
        return MailExchange(preference, name)
    if rtype == SOA:
        mname, pos = _read_name(data, start)
        rname, pos = _read_name(data, pos)
        if pos + _SOA_TAIL.size > end:
            raise FormatError("SOA record data too short")
        numbers = _SOA_TAIL.unpack_from(data, pos)
        _expect_end(pos + _SOA_TAIL.size, end)
        return StartOfAuthority(mname, rname, *numbers)
    if rtype == SRV:
        if size < _SRV_HEAD.size + 1:
            raise FormatError("SRV record data too short")
        priority, weight, port = _SRV_HEAD.unpack_from(data, start)
        name, pos = _read_name(data, start + _SRV_HEAD.size)
        _expect_end(pos, end)
        return ServiceLocation(priority, weight, port, name)
    if rtype == TXT:
        strings: list[bytes] = []
        pos = start
        while pos < end:
            length = data[pos]
            pos += 1 + length
            if pos > end:
                raise FormatError("TXT string runs past the record data")
            strings.append(data[pos - length : pos])
        return Text(tuple(strings))
    return Opaque(data[start:end])


def _expect_end(pos: int, end: int) -> None:
    if pos != end:
        raise FormatError("record data length does not match its content")


def _read_options(data: bytes, start: int, end: int) -> tuple[tuple[int, bytes], ...]:
    options: list[tuple[int, bytes]] = []
    pos = start
    while pos < end:
        if pos + 4 > end:
            raise FormatError("truncated EDNS option")
        code, length = struct.unpack_from("!HH", data, pos)
        pos += 4 + length
        if pos > end:
            raise FormatError("EDNS option runs past the OPT record")
        options.append((code, data[pos - length : pos]))
    return tuple(options)


def decode_message(data: bytes) -> Message:
    """Parse one whole message; :class:`FormatError` for anything malformed.

    >>> query = bytes.fromhex("12340100000100000000000003777777076578616d706c6500000f0001")
    >>> decode_message(query).questions
    [Question(name='www.example', qtype=15, qclass=1)]
    """
    if len(data) < HEADER_SIZE:
        raise FormatError("shorter than a DNS header")
    ident, flags, qdcount, ancount, nscount, arcount = _HEADER.unpack_from(data)
    pos = HEADER_SIZE
    end = len(data)
    questions: list[Question] = []
    for _ in range(qdcount):
        name, pos = _read_name(data, pos)
        if pos + 4 > end:
            raise FormatError("truncated question")
        qtype, qclass = _QUESTION_TAIL.unpack_from(data, pos)
        pos += 4
        questions.append(Question(name, qtype, qclass))
    sections: list[list[Record]] = [[], [], []]
    edns: Edns | None = None
    for index, count in enumerate((ancount, nscount, arcount)):
        section = sections[index]
        for _ in range(count):
            name, pos = _read_name(data, pos)
            if pos + _RECORD_TAIL.size > end:
                raise FormatError("truncated resource record")
            rtype, rclass, ttl, rdlength = _RECORD_TAIL.unpack_from(data, pos)
            start = pos + _RECORD_TAIL.size
            pos = start + rdlength
            if pos > end:
                raise FormatError("record data runs past the end of the message")
            if rtype == OPT:
                if index != 2 or edns is not None or name:
                    raise FormatError("misplaced or repeated OPT record")
                edns = Edns(
                    udp_size=rclass,
                    extended_rcode=ttl >> 24,
                    version=(ttl >> 16) & 0xFF,
                    dnssec_ok=bool(ttl & 0x8000),
                    options=_read_options(data, start, pos),
                )
                continue
            section.append(Record(name, rtype, rclass, ttl, _read_rdata(data, rtype, start, pos)))
    if pos != end:
        raise FormatError("bytes after the last record")
    rcode = flags & Flags.RCODE_MASK
    if edns is not None:
        rcode |= edns.extended_rcode << 4
    return Message(
        id=ident,
        flags=flags & ~Flags.RCODE_MASK,
        rcode=rcode,
        questions=questions,
        answers=sections[0],
        authority=sections[1],
        additional=sections[2],
        edns=edns,
    )


# -- encoding -----------------------------------------------------------------------------------


def _split_labels(name: str) -> list[bytes]:
    if "\\" not in name:
        return [label.encode("latin-1") for label in name.split(".")]
    labels: list[bytes] = []
    current = bytearray()
    chars = iter(name)
    for char in chars:
        if char == "\\":
            escaped = next(chars, None)
            if escaped is None:
                raise ValueError(f"name ends in a lone backslash: {name!r}")
            current += escaped.encode("latin-1")
        elif char == ".":
            labels.append(bytes(current))
            current.clear()
        else:
            current += char.encode("latin-1")
    labels.append(bytes(current))
    return labels


@functools.lru_cache(maxsize=4096)
def _name_form(name: str) -> tuple[bytes, tuple[int, ...]]:
    """A name's labels on the wire (without the final zero) and where each label starts."""
    if not name:
        return b"", ()
    try:
        labels = _split_labels(name)
    except UnicodeEncodeError as err:
        raise ValueError(f"name has characters DNS cannot carry: {name!r}") from err
    wire = bytearray()
    starts: list[int] = []
    for label in labels:
        if not label or len(label) > MAX_LABEL:
            raise ValueError(f"invalid label in {name!r}")
        starts.append(len(wire))
        wire.append(len(label))
        wire += label
    if len(wire) + 1 > MAX_NAME:
        raise ValueError(f"name longer than 255 bytes: {name!r}")
    return bytes(wire), tuple(starts)


def encode_name(name: str) -> bytes:
    """A name in uncompressed wire form.

    >>> encode_name("a.bc")
    b'\\x01a\\x02bc\\x00'
    """
    return _name_form(name)[0] + b"\x00"


class _Writer:
    """A message being written, with the compression table and rollback marks."""

    __slots__ = ("added", "buf", "names")

    def __init__(self) -> None:
        self.buf = bytearray(HEADER_SIZE)
        self.names: dict[bytes, int] = {}
        self.added: list[bytes] = []

    def mark(self) -> tuple[int, int]:
        return len(self.buf), len(self.added)

    def rollback(self, mark: tuple[int, int]) -> None:
        size, added = mark
        del self.buf[size:]
        for key in self.added[added:]:
            del self.names[key]
        del self.added[added:]

    def name(self, name: str, *, compress: bool = True) -> None:
        wire, starts = _name_form(name)
        buf = self.buf
        names = self.names
        here = len(buf)
        if compress:
            for index, start in enumerate(starts):
                pointer = names.get(wire[start:])
                if pointer is not None:
                    buf += wire[:start]
                    buf += (0xC000 | pointer).to_bytes(2, "big")
                    self._remember(wire, starts[:index], here)
                    return
        buf += wire
        buf.append(0)
        self._remember(wire, starts, here)

    def _remember(self, wire: bytes, starts: tuple[int, ...], here: int) -> None:
        for start in starts:
            offset = here + start
            if offset >= 0x4000:  # a pointer has 14 bits
                return
            key = wire[start:]
            if key not in self.names:
                self.names[key] = offset
                self.added.append(key)

    def record(self, record: Record) -> None:
        self.name(record.name)
        buf = self.buf
        buf += _RECORD_TAIL.pack(record.rtype, record.rclass, record.ttl, 0)
        length_at = len(buf) - 2
        self._rdata(record.rdata)
        size = len(buf) - length_at - 2
        if size > 0xFFFF:
            raise ValueError("record data longer than 65535 bytes")
        buf[length_at : length_at + 2] = size.to_bytes(2, "big")

    def _rdata(self, rdata: Rdata) -> None:
        buf = self.buf
        match rdata:
            case AddressA(address):
                buf += socket.inet_pton(socket.AF_INET, address)
            case AddressAAAA(address):
                buf += socket.inet_pton(socket.AF_INET6, address)
            case Target(name):
                self.name(name)
            case ServiceLocation(priority, weight, port, target):
                buf += _SRV_HEAD.pack(priority, weight, port)
                self.name(target, compress=False)
            case StartOfAuthority(mname, rname, serial, refresh, retry, expire, minimum):
                self.name(mname)
                self.name(rname)
                buf += _SOA_TAIL.pack(serial, refresh, retry, expire, minimum)
            case MailExchange(preference, exchange):
                buf += _U16.pack(preference)
                self.name(exchange)
            case Text(strings):
                for string in strings:
                    if len(string) > 255:
                        raise ValueError("TXT string longer than 255 bytes")
                    buf.append(len(string))
                    buf += string
            case Opaque(data):
                buf += data

    def opt(self, edns: Edns, rcode: int) -> None:
        ttl = ((rcode >> 4) & 0xFF) << 24 | (edns.version & 0xFF) << 16
        if edns.dnssec_ok:
            ttl |= 0x8000
        data = b"".join(
            struct.pack("!HH", code, len(value)) + value for code, value in edns.options
        )
        self.buf += b"\x00" + _RECORD_TAIL.pack(OPT, edns.udp_size, ttl, len(data)) + data


def _opt_size(edns: Edns) -> int:
    return 11 + sum(4 + len(value) for _, value in edns.options)


def encode_message(message: Message, *, limit: int = MAX_MESSAGE) -> bytes:
    """The message on the wire, at most ``limit`` bytes: records that do not fit are left
    out (whole), TC is set if an answer or authority record was among them.

    >>> from kubeling.dns.message import Question
    >>> encode_message(Message(id=1, flags=0x0100, questions=[Question("a", 1)])).hex()
    '00010100000100000000000001610000010001'
    """
    writer = _Writer()
    for question in message.questions:
        writer.name(question.name)
        writer.buf += _QUESTION_TAIL.pack(question.qtype, question.qclass)
    edns = message.edns
    budget = min(limit, MAX_MESSAGE) - (_opt_size(edns) if edns is not None else 0)
    flags = message.flags & ~Flags.RCODE_MASK
    counts = [0, 0, 0]
    full = True
    for index, section in enumerate((message.answers, message.authority, message.additional)):
        if not full:
            break
        for record in section:
            mark = writer.mark()
            writer.record(record)
            if len(writer.buf) > budget:
                writer.rollback(mark)
                full = False
                if index < 2:
                    flags |= Flags.TC
                break
            counts[index] += 1
    if edns is not None:
        writer.opt(edns, message.rcode)
        counts[2] += 1
    _HEADER.pack_into(
        writer.buf,
        0,
        message.id,
        flags | (message.rcode & Flags.RCODE_MASK),
        len(message.questions),
        *counts,
    )
    return bytes(writer.buf)
