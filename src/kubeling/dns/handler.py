"""One query in, one action out: the DNS server's logic without sockets (sans-IO).

:meth:`QueryHandler.handle` takes the bytes of a query and the transport it came
over and returns what to do:

- :class:`Reply`: send these bytes back (an authoritative answer, or an error);
- :class:`Forward`: the name is not ours; send the query upstream and pass the
  reply to :meth:`QueryHandler.forwarded`;
- :class:`Chase`: an answer that ends in a CNAME outside the zone; look the
  target up upstream and pass the reply to :meth:`QueryHandler.chased`;
- ``None``: drop it (too short to have a header, or a response, which a server
  must never answer: that is how reflection loops start).

Malformed queries are answered FORMERR with the header alone; unknown opcodes
NOTIMP; an EDNS version other than 0 BADVERS (RFC 6891); zone transfers and
classes other than IN in the cluster domain REFUSED. Answers are authoritative
(AA) and say that recursion is available (RA: other names are forwarded).

Over UDP an answer is at most 512 bytes, or the size the client advertised in
EDNS up to :data:`MAX_UDP_PAYLOAD` (1232, the DNS flag day 2020 value, which is
also what this server advertises); over TCP up to 65535. What does not fit is
truncated with TC set (:func:`kubeling.dns.wire.encode_message`); an upstream
reply too large for the client is replaced by an empty one with TC, so that the
client asks again over TCP.

Authoritative answers are cached as bytes, keyed by the query's bytes after its
id and the transport, and dropped whenever the zone changes: repeated questions
(what resolvers send) cost a dictionary lookup.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from typing import Final

from kubeling.dns.message import (
    AXFR,
    BADVERS,
    CLASS_IN,
    FORMERR,
    IXFR,
    NOTIMP,
    OPCODE_QUERY,
    OPT,
    REFUSED,
    SERVFAIL,
    Edns,
    Flags,
    Message,
    Question,
)
from kubeling.dns.wire import MAX_MESSAGE, FormatError, decode_message, encode_message, read_header
from kubeling.dns.zone import ClusterZone

__all__ = [
    "MAX_UDP_PAYLOAD",
    "MIN_UDP_PAYLOAD",
    "Action",
    "Chase",
    "Forward",
    "QueryHandler",
    "Reply",
    "udp_limit",
]

#: The largest UDP answer sent, and the size advertised in our OPT records.
MAX_UDP_PAYLOAD: Final = 1232
#: Every client accepts this much over UDP (RFC 1035).
MIN_UDP_PAYLOAD: Final = 512
#: How many answers the cache keeps before it starts over.
DEFAULT_CACHE_SIZE: Final = 10_000

_ECHOED_FLAGS: Final = Flags.OPCODE_MASK | Flags.RD | Flags.CD


@dataclass(frozen=True, slots=True)
class Reply:
    data: bytes


@dataclass(frozen=True, slots=True)
class Forward:
    """Send ``query`` (the client's own bytes) upstream."""

    query: bytes
    request: Message
    limit: int
    tcp: bool


@dataclass(frozen=True, slots=True)
class Chase:
    """Look ``question`` up upstream and complete ``response`` with its answers."""

    response: Message
    question: Question
    limit: int


Action = Reply | Forward | Chase | None


def udp_limit(edns: Edns | None) -> int:
    """How large a UDP answer to this query may be.

    >>> udp_limit(None), udp_limit(Edns(udp_size=4096)), udp_limit(Edns(udp_size=100))
    (512, 1232, 512)
    """
    if edns is None:
        return MIN_UDP_PAYLOAD
    return min(max(edns.udp_size, MIN_UDP_PAYLOAD), MAX_UDP_PAYLOAD)


def _reply_to(query: Message) -> Message:
    """An empty response to ``query``: same id, opcode, RD and CD, the question, and our
    OPT record if the client sent one (echoing its DO bit, RFC 3225)."""
    edns = None
    if query.edns is not None:
        edns = Edns(udp_size=MAX_UDP_PAYLOAD, dnssec_ok=query.edns.dnssec_ok)
    return Message(
        id=query.id,
        flags=Flags.QR | Flags.RA | (query.flags & _ECHOED_FLAGS),
        questions=list(query.questions),
        edns=edns,
    )


class QueryHandler:
    """Answers queries from a :class:`~kubeling.dns.zone.ClusterZone`."""

    def __init__(self, zone: ClusterZone, *, cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        self.zone = zone
        self.cache_size = cache_size
        self._cache: dict[tuple[bool, bytes], bytes] = {}
        self._cache_generation = zone.generation
        self.counters: Counter[str] = Counter()

    def statistics(self) -> dict[str, int]:
        """Counters: queries, cache hits, replies by outcome, drops, forwards."""
        return {**self.counters, "cached_answers": len(self._cache)}

    def handle(self, packet: bytes, *, tcp: bool) -> Action:
        """What to do with one query that arrived over UDP or TCP."""
        counters = self.counters
        counters["queries"] += 1
        if self._cache_generation != self.zone.generation:
            self._cache.clear()
            self._cache_generation = self.zone.generation
        key = (tcp, packet[2:])
        cached = self._cache.get(key)
        if cached is not None:
            counters["cache_hits"] += 1
            return Reply(packet[:2] + cached)
        try:
            query = decode_message(packet)
        except FormatError:
            return self._format_error(packet)
        if query.is_response:
            counters["dropped"] += 1
            return None
        limit = MAX_MESSAGE if tcp else udp_limit(query.edns)
        response = _reply_to(query)
        if query.edns is not None and query.edns.version != 0:
            response.rcode = BADVERS
            return self._reply(response, limit)
        if query.opcode != OPCODE_QUERY:
            response.rcode = NOTIMP
            return self._reply(response, limit)
        if len(query.questions) != 1 or query.questions[0].qtype == OPT:
            response.rcode = FORMERR
            return self._reply(response, limit)
        question = query.questions[0]
        ours = self.zone.is_authoritative_for(question.name.lower())
        if question.qclass != CLASS_IN or question.qtype in (AXFR, IXFR):
            if ours or question.qtype in (AXFR, IXFR):
                response.rcode = REFUSED
                return self._reply(response, limit)
            return self._forward(packet, query, limit, tcp)
        answer = self.zone.resolve(question.name, question.qtype)
        if answer is None:
            return self._forward(packet, query, limit, tcp)
        response.flags |= Flags.AA
        response.rcode = answer.rcode
        response.answers = answer.answers
        response.authority = answer.authority
        response.additional = answer.additional
        if answer.chase is not None:
            counters["chased"] += 1
            return Chase(response, answer.chase, limit)
        reply = self._reply(response, limit)
        if len(self._cache) >= self.cache_size:
            self._cache.clear()
        self._cache[key] = reply.data[2:]
        return reply

    def _forward(self, packet: bytes, query: Message, limit: int, tcp: bool) -> Forward:
        self.counters["forwarded"] += 1
        return Forward(packet, query, limit, tcp)

    def _format_error(self, packet: bytes) -> Reply | None:
        try:
            ident, flags = read_header(packet)
        except FormatError:
            self.counters["dropped"] += 1
            return None
        if flags & Flags.QR:
            self.counters["dropped"] += 1
            return None
        self.counters["formerr"] += 1
        header = Message(id=ident, flags=Flags.QR | (flags & _ECHOED_FLAGS), rcode=FORMERR)
        return Reply(encode_message(header))

    def _reply(self, response: Message, limit: int) -> Reply:
        try:
            data = encode_message(response, limit=limit)
        except ValueError:
            # Records no message can carry (a name too long...): the data is at fault,
            # not the client; answer as a server that failed.
            self.counters["servfail"] += 1
            failed = Message(
                id=response.id,
                flags=response.flags & ~Flags.AA,
                rcode=SERVFAIL,
                questions=response.questions,
                edns=response.edns,
            )
            data = encode_message(failed, limit=limit)
        self.counters[f"rcode_{response.rcode}"] += 1
        return Reply(data)

    def forwarded(self, forward: Forward, reply: bytes | None) -> bytes:
        """The answer to the client of ``forward``, given the upstream's reply (None: no
        upstream answered)."""
        request = forward.request
        if reply is None:
            failed = _reply_to(request)
            failed.rcode = SERVFAIL
            self.counters["upstream_failures"] += 1
            return encode_message(failed, limit=forward.limit)
        data = request.id.to_bytes(2, "big") + reply[2:]
        if len(data) <= forward.limit:
            return data
        # Too large for this client's UDP: an empty truncated answer makes it ask over TCP.
        truncated = _reply_to(request)
        truncated.flags |= Flags.TC
        return encode_message(truncated, limit=forward.limit)

    def refused(self, action: Forward | Chase) -> bytes:
        """REFUSED for a query that would need an upstream while too many are in flight."""
        self.counters["refused_overload"] += 1
        # A chase's response has the client's id, flags and question, and our OPT if it
        # sent one: a reply to it is the same as a reply to the query.
        request = action.request if isinstance(action, Forward) else action.response
        response = _reply_to(request)
        response.rcode = REFUSED
        return encode_message(response, limit=action.limit)

    def chase_query(self, chase: Chase) -> bytes:
        """The query to send upstream for ``chase`` (any id: the forwarder sets its own)."""
        query = Message(
            id=0, flags=Flags.RD, questions=[chase.question], edns=Edns(udp_size=MAX_UDP_PAYLOAD)
        )
        return encode_message(query)

    def chased(self, chase: Chase, reply: bytes | None) -> bytes:
        """``chase``'s answer completed with the upstream's answers for the CNAME target (as
        CoreDNS does, the CNAME alone if the upstream gave nothing usable)."""
        response = chase.response
        if reply is not None:
            try:
                upstream = decode_message(reply)
            except FormatError:
                upstream = None
            if upstream is not None:
                response = dataclasses.replace(
                    response, answers=[*response.answers, *upstream.answers]
                )
        return self._reply(response, chase.limit).data
