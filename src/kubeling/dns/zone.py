"""The cluster zone: every object's records merged, and the answer to a question (sans-IO).

:class:`ClusterZone` holds one :class:`~kubeling.dns.records.Contribution` per
source (a Service with its slices, a Namespace, a Pod, the zone's own names),
merged by owner name, and answers questions the way an authoritative server
does:

- a name in the zone with records of the asked type: those records (owner
  spelled as asked), plus the addresses of SRV targets and of the NS in the
  additional section;
- a name that exists without that type, including *empty non-terminals* (names
  that only have names below them, such as ``svc.<zone>``, ``<ns>.svc.<zone>``
  or ``_tcp.<svc>.<ns>.svc.<zone>``): NODATA, that is NOERROR with no answer;
- any other name in the zone: NXDOMAIN. Both negative answers carry the zone's
  SOA in the authority section (RFC 2308), whose minimum is the record TTL;
- a CNAME (an ExternalName Service) answers any other type with the CNAME and
  then the target's records: from the zone when the target is in it (chains of
  at most 8, the rcode is the last name's, RFC 6604), otherwise the target is
  left to the caller to look up upstream (:attr:`Answer.chase`);
- a PTR question for an address that is a ClusterIP (that Service's name) or an
  endpoint address (the endpoints' names);
- everything else, including reverse names this zone does not know, is not
  ours: :meth:`ClusterZone.resolve` returns None and the caller forwards it, as
  CoreDNS's ``fallthrough in-addr.arpa ip6.arpa`` does.

Where this differs from CoreDNS (documented in docs/dns.md): empty
non-terminals answer NODATA (CoreDNS says NXDOMAIN for some, e.g.
``_tcp.<svc>...``), and a CNAME answers every type (CoreDNS leaves SRV out).

The zone counts its changes (:attr:`ClusterZone.generation`) so that answers
cached elsewhere can be dropped when anything changed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Final

from kubeling.dns.message import (
    AAAA,
    ANY,
    CLASS_IN,
    CNAME,
    NOERROR,
    NS,
    NXDOMAIN,
    PTR,
    SOA,
    SRV,
    A,
    AddressA,
    AddressAAAA,
    Question,
    Record,
    ServiceLocation,
    StartOfAuthority,
    Target,
)
from kubeling.dns.records import (
    DEFAULT_TTL,
    Contribution,
    PodRecords,
    RRSet,
    address_of_reverse_name,
    pod_address,
    static_contribution,
)

__all__ = ["STATIC_SOURCE", "Answer", "ClusterZone"]

#: The source key of the zone's own names.
STATIC_SOURCE: Final = ("zone",)
#: How many CNAMEs inside the zone an answer follows.
MAX_CHAIN: Final = 8
#: CoreDNS's SOA timers.
_REFRESH, _RETRY, _EXPIRE = 7200, 1800, 86400

_EMPTY: Final[Mapping[int, RRSet]] = {}


@dataclass(slots=True)
class Answer:
    """An authoritative answer. ``chase`` is a CNAME target outside the zone whose records
    (of the asked type) the caller should look up and append to ``answers``."""

    rcode: int = NOERROR
    answers: list[Record] = field(default_factory=list)
    authority: list[Record] = field(default_factory=list)
    additional: list[Record] = field(default_factory=list)
    chase: Question | None = None


class ClusterZone:
    """The records of the cluster domain, updated source by source."""

    def __init__(
        self,
        *,
        domain: str = "cluster.local",
        dns_ips: tuple[str, ...] = (),
        ttl: int = DEFAULT_TTL,
        pod_records: PodRecords = "insecure",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.domain = domain.rstrip(".").lower()
        self.ttl = ttl
        self.pod_records: PodRecords = pod_records
        self._suffix = "." + self.domain
        self._pod_suffix = ".pod." + self.domain
        self._clock = clock
        self._sources: dict[Hashable, Contribution] = {}
        self._by_owner: dict[str, dict[Hashable, Mapping[int, RRSet]]] = {}
        self._nodes: dict[str, Mapping[int, RRSet]] = {}
        self._ancestors: dict[str, int] = {}
        self._cluster_ip_pointers: dict[str, dict[Hashable, str]] = {}
        self._endpoint_pointers: dict[str, dict[Hashable, tuple[str, ...]]] = {}
        #: Bumped by every change; cached answers of an older generation are stale.
        self.generation = 0
        #: The SOA serial: the Unix time of the last change, as CoreDNS's.
        self.serial = int(clock())
        self.set_source(
            STATIC_SOURCE, static_contribution(zone=self.domain, dns_ips=dns_ips, ttl=ttl)
        )

    # -- updates ---------------------------------------------------------------------------

    def set_source(self, key: Hashable, contribution: Contribution | None) -> None:
        """Replace what ``key`` contributes (None: remove it)."""
        old = self._sources.get(key)
        if old == contribution:
            return
        touched: set[str] = set()
        if old is not None:
            del self._sources[key]
            for owner in old.nodes:
                self._by_owner[owner].pop(key, None)
                touched.add(owner)
                self._count_ancestors(owner, -1)
            self._unpoint(key, old)
        if contribution is not None:
            self._sources[key] = contribution
            for owner, rrsets in contribution.nodes.items():
                self._by_owner.setdefault(owner, {})[key] = rrsets
                touched.add(owner)
                self._count_ancestors(owner, +1)
            for ip, name in contribution.cluster_ip_pointers.items():
                self._cluster_ip_pointers.setdefault(ip, {})[key] = name
            for ip, names in contribution.endpoint_pointers.items():
                self._endpoint_pointers.setdefault(ip, {})[key] = names
        for owner in touched:
            self._merge(owner)
        self.generation += 1
        self.serial = int(self._clock())

    def _unpoint(self, key: Hashable, old: Contribution) -> None:
        for pointers in (
            (self._cluster_ip_pointers, old.cluster_ip_pointers),
            (self._endpoint_pointers, old.endpoint_pointers),
        ):
            table, ips = pointers
            for ip in ips:
                by_source = table.get(ip)
                if by_source is not None:
                    by_source.pop(key, None)
                    if not by_source:
                        del table[ip]

    def _count_ancestors(self, owner: str, delta: int) -> None:
        """Names between ``owner`` and the zone exist while something is below them."""
        name = owner
        while name != self.domain and "." in name:
            name = name.split(".", 1)[1]
            if name == self.domain or not name.endswith(self._suffix):
                return
            count = self._ancestors.get(name, 0) + delta
            if count > 0:
                self._ancestors[name] = count
            else:
                self._ancestors.pop(name, None)

    def _merge(self, owner: str) -> None:
        by_source = self._by_owner.get(owner)
        if not by_source:
            self._by_owner.pop(owner, None)
            self._nodes.pop(owner, None)
            return
        if len(by_source) == 1:
            (self._nodes[owner],) = by_source.values()
            return
        merged: dict[int, RRSet] = {}
        for key in sorted(by_source, key=repr):  # a stable order whatever the update order
            for rtype, rrset in by_source[key].items():
                present = merged.get(rtype)
                if present is None:
                    merged[rtype] = rrset
                else:
                    items = present.items + tuple(i for i in rrset.items if i not in present.items)
                    merged[rtype] = RRSet(min(present.ttl, rrset.ttl), items)
        self._nodes[owner] = merged

    # -- questions -------------------------------------------------------------------------

    def is_authoritative_for(self, name: str) -> bool:
        """Whether ``name`` (lowercase) is in the cluster domain."""
        return name == self.domain or name.endswith(self._suffix)

    def resolve(self, qname: str, qtype: int) -> Answer | None:
        """The answer to ``qname``/``qtype`` (class IN), or None when it is not ours."""
        name = qname.lower()
        if self.is_authoritative_for(name):
            return self._answer(qname, name, qtype, 0)
        if qtype == PTR:
            address = address_of_reverse_name(name)
            targets = self.pointers(address) if address is not None else ()
            if targets:
                return Answer(
                    answers=[Record(qname, PTR, CLASS_IN, self.ttl, Target(t)) for t in targets]
                )
        return None

    def pointers(self, address: str) -> tuple[str, ...]:
        """The names a PTR lookup of ``address`` gives: the Service whose ClusterIP it is,
        else every endpoint name with that address."""
        services = self._cluster_ip_pointers.get(address)
        if services:
            return (min(services.values()),)
        endpoints = self._endpoint_pointers.get(address)
        if not endpoints:
            return ()
        names: dict[str, None] = {}
        for key in sorted(endpoints, key=repr):
            names.update(dict.fromkeys(endpoints[key]))
        return tuple(names)

    def soa(self) -> Record:
        """The zone's SOA record, with CoreDNS's values."""
        return Record(
            self.domain,
            SOA,
            CLASS_IN,
            min(self.ttl, 300),
            StartOfAuthority(
                f"ns.dns.{self.domain}",
                f"hostmaster.{self.domain}",
                self.serial & 0xFFFFFFFF,
                _REFRESH,
                _RETRY,
                _EXPIRE,
                self.ttl,
            ),
        )

    def _node(self, name: str) -> Mapping[int, RRSet] | None:
        node = self._nodes.get(name)
        if node is not None:
            return node
        if name in self._ancestors:
            return _EMPTY
        return self._pod_node(name)

    def _pod_node(self, name: str) -> Mapping[int, RRSet] | None:
        """``<a-b-c-d>.<ns>.pod.<zone>`` for any address, in an existing namespace
        (the ``insecure`` pod mode)."""
        if self.pod_records != "insecure" or not name.endswith(self._pod_suffix):
            return None
        label, dot, namespace = name[: -len(self._pod_suffix)].partition(".")
        if not dot or "." in namespace or namespace + self._pod_suffix not in self._nodes:
            return None
        ip = pod_address(label)
        if ip is None:
            return None
        if ip.version == 4:
            return {A: RRSet(self.ttl, (AddressA(str(ip)),))}
        return {AAAA: RRSet(self.ttl, (AddressAAAA(str(ip)),))}

    def _answer(self, qname: str, name: str, qtype: int, depth: int) -> Answer:
        node = self._node(name)
        if node is None:
            return Answer(rcode=NXDOMAIN, authority=[self.soa()])
        cname = node.get(CNAME)
        if cname is not None and qtype not in (CNAME, ANY):
            (target_data,) = cname.items[:1]
            assert isinstance(target_data, Target)
            target = target_data.name
            record = Record(qname, CNAME, CLASS_IN, cname.ttl, target_data)
            if not self.is_authoritative_for(target):
                return Answer(answers=[record], chase=Question(target, qtype))
            if depth >= MAX_CHAIN:
                return Answer(answers=[record])
            rest = self._answer(target, target, qtype, depth + 1)
            rest.answers.insert(0, record)
            return rest
        if qtype == ANY:
            rrsets = list(node.items())
        else:
            rrset = node.get(qtype)
            rrsets = [(qtype, rrset)] if rrset is not None else []
        answer = Answer()
        if name == self.domain and qtype in (SOA, ANY):
            answer.answers.append(self.soa())
        for rtype, rrset in rrsets:
            answer.answers.extend(Record(qname, rtype, CLASS_IN, rrset.ttl, d) for d in rrset.items)
        if not answer.answers:
            answer.authority.append(self.soa())
            return answer
        self._add_glue(answer)
        return answer

    def _add_glue(self, answer: Answer) -> None:
        """Addresses of the names SRV and NS records point to, when they are ours."""
        seen: set[str] = set()
        for record in answer.answers:
            if record.rtype == SRV and isinstance(record.rdata, ServiceLocation):
                target = record.rdata.target
            elif record.rtype == NS and isinstance(record.rdata, Target):
                target = record.rdata.name
            else:
                continue
            if target in seen:
                continue
            seen.add(target)
            node = self._nodes.get(target)
            if node is None:
                continue
            for rtype in (A, AAAA):
                rrset = node.get(rtype)
                if rrset is not None:
                    answer.additional.extend(
                        Record(target, rtype, CLASS_IN, rrset.ttl, d) for d in rrset.items
                    )
