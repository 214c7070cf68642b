"""Kubernetes' IP and CIDR libraries: ``ip('10.0.0.1')``, ``cidr('10.0.0.0/8')``.

Parsing follows Go's ``net/netip`` as Kubernetes uses it: no leading zeros
in IPv4 octets, no IPv6 zones, no IPv4-mapped IPv6 addresses. A CIDR keeps
the address it was written with (``cidr('10.1.2.3/8').ip()`` is
``10.1.2.3``); ``masked()`` clears the host bits.

>>> c = _parse_cidr("10.1.2.3/8")
>>> str(c.network), _contains_ip(c, "10.200.0.1"), _to_string(c.masked())
('10.0.0.0/8', True, '10.0.0.0/8')
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from kubeling.api.cel import types as t
from kubeling.api.cel.errors import EvalError
from kubeling.api.cel.functions import Library, member, overload
from kubeling.api.cel.values import register_opaque
from kubeling.api.goformat import go_quote

__all__ = ["NETWORKS", "Cidr"]

NETWORKS: Final = Library()
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Cidr:
    """An address and a prefix length."""

    address: Address
    prefix: int

    @property
    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        return ipaddress.ip_network(f"{self.address}/{self.prefix}", strict=False)

    def masked(self) -> Cidr:
        return Cidr(self.network.network_address, self.prefix)


register_opaque(ipaddress.IPv4Address, t.IP.name)
register_opaque(ipaddress.IPv6Address, t.IP.name)
register_opaque(Cidr, t.CIDR.name)


def _address_problem(text: str) -> tuple[Address | None, str]:
    try:
        address = ipaddress.ip_address(text)
    except ValueError as err:
        return None, f"IP Address {go_quote(text)} parse error during conversion from string: {err}"
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return None, f"IP address {go_quote(text)} with zone value is not allowed"
        if address.ipv4_mapped is not None:
            return None, f"IPv4-mapped IPv6 address {go_quote(text)} is not allowed"
    return address, ""


def _parse_ip(text: str) -> Address:
    address, problem = _address_problem(text)
    if address is None:
        raise EvalError(problem)
    return address


def _parse_cidr(text: str) -> Cidr:
    address_text, slash, prefix_text = text.partition("/")
    address, problem = _address_problem(address_text)
    bits = 32 if isinstance(address, ipaddress.IPv4Address) else 128
    if address is None or not slash or not prefix_text.isdigit() or int(prefix_text) > bits:
        raise EvalError(
            f"network address {go_quote(text)} parse error during conversion from string: "
            f"netip.ParsePrefix({go_quote(text)}): {problem or 'bad bits after slash'}"
        )
    return Cidr(address, int(prefix_text))


def _ok(parse: Callable[[str], object], text: str) -> bool:
    try:
        parse(text)
    except EvalError:
        return False
    return True


_BROADCAST: Final = ipaddress.IPv4Address("255.255.255.255")


def _is_global_unicast(a: Address) -> bool:
    """Go's ``IsGlobalUnicast``: private ranges count; special ones do not."""
    if a.is_unspecified or a.is_loopback or a.is_multicast or a.is_link_local:
        return False
    return a != _BROADCAST


def _is_link_local_multicast(a: Address) -> bool:
    if isinstance(a, ipaddress.IPv4Address):
        return a in ipaddress.ip_network("224.0.0.0/24")
    return a.is_multicast and (a.packed[1] & 0x0F) == 0x02


def _contains_ip(c: Cidr, ip: Address | str) -> bool:
    address = _parse_ip(ip) if isinstance(ip, str) else ip
    return address.version == c.address.version and address in c.network


def _contains_cidr(c: Cidr, other: Cidr | str) -> bool:
    inner = _parse_cidr(other) if isinstance(other, str) else other
    if inner.address.version != c.address.version or inner.prefix < c.prefix:
        return False
    return inner.network.network_address in c.network


def _to_string(value: Address | Cidr) -> str:
    if isinstance(value, Cidr):
        return f"{value.address}/{value.prefix}"
    return str(value)


NETWORKS.add("ip", overload("string_to_ip", [t.STRING], t.IP, _parse_ip))
NETWORKS.add("isIP", overload("is_ip", [t.STRING], t.BOOL, lambda s: _ok(_parse_ip, s)))
NETWORKS.add(
    "ip.isCanonical",
    overload("ip_is_canonical", [t.STRING], t.BOOL, lambda s: str(_parse_ip(s)) == s),
)
NETWORKS.add("family", member("ip_family", [t.IP], t.INT, lambda a: a.version))
for _name, _test in (
    ("isUnspecified", lambda a: a.is_unspecified),
    ("isLoopback", lambda a: a.is_loopback),
    ("isLinkLocalMulticast", _is_link_local_multicast),
    ("isLinkLocalUnicast", lambda a: a.is_link_local),
    ("isGlobalUnicast", _is_global_unicast),
):
    NETWORKS.add(_name, member(f"ip_{_name}", [t.IP], t.BOOL, _test))
NETWORKS.add("cidr", overload("string_to_cidr", [t.STRING], t.CIDR, _parse_cidr))
NETWORKS.add("isCIDR", overload("is_cidr", [t.STRING], t.BOOL, lambda s: _ok(_parse_cidr, s)))
NETWORKS.add(
    "containsIP",
    member("cidr_contains_ip_string", [t.CIDR, t.STRING], t.BOOL, _contains_ip),
    member("cidr_contains_ip_ip", [t.CIDR, t.IP], t.BOOL, _contains_ip),
)
NETWORKS.add(
    "containsCIDR",
    member("cidr_contains_cidr_string", [t.CIDR, t.STRING], t.BOOL, _contains_cidr),
    member("cidr_contains_cidr", [t.CIDR, t.CIDR], t.BOOL, _contains_cidr),
)
NETWORKS.add("ip", member("cidr_ip", [t.CIDR], t.IP, lambda c: c.address))
NETWORKS.add("masked", member("cidr_masked", [t.CIDR], t.CIDR, Cidr.masked))
NETWORKS.add("prefixLength", member("cidr_prefix_length", [t.CIDR], t.INT, lambda c: c.prefix))
NETWORKS.add(
    "string",
    overload("ip_to_string", [t.IP], t.STRING, _to_string),
    overload("cidr_to_string", [t.CIDR], t.STRING, _to_string),
)
